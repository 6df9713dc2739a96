"""Edges of import and export that users hit in practice: ids and codes typed by hand,
German Excel's semicolon CSV, formulas in cells, and deleted entries that must stay deleted."""

from __future__ import annotations

import csv
import io
import json
import subprocess

import pytest
from helpers.factories import FAST_KDF, PASSPHRASE, PYTHON, REPO, consultation, subprocess_env

from app.domain.ids import is_client_code, new_client_code
from app.domain.validation import ValidationError
from app.services.stores import create_store, open_store
from app.services.transfer import ImportError_, export_text, import_file
from app.store.keyslots import KeySlots, keyslot_path

ROW = {"type": "consultation", "start": "2025-03-01T10:00", "end": "10:45", "mediator": "M", "setting": "office"}


def jsonl(path, *rows):
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


def test_a_deleted_entry_cannot_come_back_through_an_import(journal, tmp_path):
    kept = journal.save_entry(consultation(notes="bleibt"))
    gone = journal.save_entry(consultation(notes="Löschantrag"))
    old_export = tmp_path / "before-deletion.jsonl"
    old_export.write_text(export_text(journal, "jsonl"), encoding="utf-8")
    journal.delete_entry(gone.id)

    with pytest.raises(ImportError_) as info:
        import_file(journal, old_export)
    assert info.value.field == "id" and "deleted" in str(info.value)
    assert journal.get_entry(gone.id) is None
    assert [e.id for e in journal.all_entries()] == [kept.id]


def test_an_id_in_capitals_edits_the_same_entry(journal, tmp_path):
    saved = journal.save_entry(consultation(notes="vorher"))
    record = json.loads(export_text(journal, "jsonl"))
    record.update(id=saved.id.upper(), notes="nachher")
    result = import_file(journal, jsonl(tmp_path / "upper.jsonl", record))
    assert (result.added, result.updated) == (0, 1)
    assert [e.notes for e in journal.all_entries()] == ["nachher"]


def test_client_codes_match_whatever_their_case_and_typos_are_caught(journal, tmp_path):
    known = journal.save_client(journal.new_client())
    result = import_file(journal, jsonl(tmp_path / "lower.jsonl", {**ROW, "clients": [known.code.lower()]}))
    assert result.new_clients == 0
    assert journal.all_entries()[0].client_ids == [known.id]

    code = new_client_code()
    typo = code[:-1] + ("0" if code[-1] != "0" else "1")
    assert not is_client_code(typo)
    with pytest.raises(ImportError_) as info:
        import_file(journal, jsonl(tmp_path / "typo.jsonl", {**ROW, "clients": [typo]}))
    assert info.value.field == "clients" and typo in str(info.value)
    # Codes from an older system keep working as they are (only upper-cased).
    result = import_file(journal, jsonl(tmp_path / "legacy.jsonl", {**ROW, "clients": ["hagen-0815"]}))
    assert result.new_clients == 1 and journal.client_by_code("HAGEN-0815") is not None


def test_semicolon_csv_from_german_excel_is_read(journal, tmp_path):
    text = (
        "type;start;end;mediator;setting;topics;notes\r\n"
        'consultation;2025-03-01T10:00;10:45;M;office;"housing;debts";"Miete; Strom, Gas"\r\n'
    )
    path = tmp_path / "excel.csv"
    path.write_text(text, encoding="utf-8-sig", newline="")
    result = import_file(journal, path)
    assert result.added == 1
    entry = journal.all_entries()[0]
    assert entry.topics == ["housing", "debts"] and entry.notes == "Miete; Strom, Gas"


@pytest.mark.parametrize("note", ["=HYPERLINK(\"http://x\")", "+49 2331 123", "-Wohnung", "@SUM(A1)", "'=", "''x", "'Zitat'"])
def test_csv_cells_never_start_a_formula_and_still_round_trip(journal, data_dir, tmp_path, note):
    journal.save_entry(consultation(notes=note, follow_up=note))
    text = export_text(journal, "csv")
    cells = [cell for row in csv.reader(io.StringIO(text)) for cell in row]
    assert f"'{note}" in cells  # a text that starts with ' is marked too, so the import can tell
    assert not [cell for cell in cells if cell[:1] in ("=", "+", "-", "@")]
    path = tmp_path / "out.csv"
    path.write_text(text, encoding="utf-8", newline="")
    other = create_store(data_dir / "other.db", PASSPHRASE, name="Other", kdf=FAST_KDF)
    try:
        import_file(other, path)
        assert [(e.notes, e.follow_up) for e in other.all_entries()] == [(note, note)]
    finally:
        other.close()


def test_a_client_without_code_gets_a_clear_message(journal):
    client = journal.new_client()
    client.code = "  "
    with pytest.raises(ValidationError) as info:
        journal.save_client(client)
    assert "needs a code" in str(info.value.problems[0].message)


def test_key_file_with_absurd_kdf_cost_is_refused_before_deriving(journal, store_path):
    journal.close()
    path = keyslot_path(store_path)
    data = json.loads(path.read_text())
    data["slots"][0]["memory_cost_kib"] = 512 * 1024 * 1024  # 512 GiB: would exhaust memory first
    path.write_text(json.dumps(data))
    with pytest.raises(Exception) as info:
        open_store(store_path, PASSPHRASE)
    assert "damaged" in str(info.value)
    assert KeySlots.load(path)  # the file itself still parses: only the bound refused it


def test_cli_import_says_how_many_client_codes_were_new(journal, store_path, data_dir, tmp_path):
    journal.close()
    path = jsonl(tmp_path / "new.jsonl", {**ROW, "clients": ["NEU-1", "NEU-2"]})
    env = {**subprocess_env(data_dir), "MEDIATORLOG_PASSPHRASE": PASSPHRASE}
    result = subprocess.run([PYTHON, "-m", "app", "--lang", "en", "import", "--store", str(store_path), str(path)],
                            cwd=REPO, env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "2 new client codes were added" in result.stdout


# -- files that are broken in ways a spreadsheet or a script produces ------------------------

HEADER = "type,start,end,mediator,setting,notes\n"


@pytest.mark.parametrize("body, line", [
    # a quote left open: every following row would have become part of this note
    ('consultation,2026-11-20T09:30,10:15,A,office,"Termin 3.\n'
     "consultation,2026-11-20T11:30,12:15,B,phone,zweiter\n"
     "consultation,2026-11-20T13:30,14:15,C,office,dritter\n", 2),
    # a quote inside a cell that does not start with one: it would have been dropped
    ('consultation,2026-11-20T09:30,10:15,A,office,ok\n'
     'consultation,2026-11-20T11:30,12:15,B,office,"Termin am 3. "Dienstag\n', 3),
])
def test_a_csv_with_broken_quotes_is_refused_at_its_line_and_nothing_is_imported(journal, tmp_path, body, line):
    path = tmp_path / "broken.csv"
    path.write_text(HEADER + body, encoding="utf-8")
    with pytest.raises(ImportError_) as info:
        import_file(journal, path)
    assert info.value.line == line and "quotation mark" in str(info.value)
    assert journal.all_entries() == []


@pytest.mark.parametrize("header, field, words", [
    ("type,start,mediator,setting,setting\n", "setting", "appears twice"),
    ("Type,Start,Mediator,Setting\n", "Type", "Unknown column “Type”"),
])
def test_a_csv_header_with_a_wrong_or_doubled_column_is_refused_even_without_rows(journal, tmp_path, header,
                                                                                  field, words):
    for rows in ("", "consultation,2026-11-20T09:30,A,office,phone\n"):
        path = tmp_path / "header.csv"
        path.write_text(header + rows, encoding="utf-8")
        with pytest.raises(ImportError_) as info:
            import_file(journal, path)
        assert (info.value.line, info.value.field) == (1, field) and words in str(info.value)
    assert journal.all_entries() == []


def test_a_note_longer_than_csvs_own_cell_limit_gets_the_notes_message(journal, tmp_path):
    path = tmp_path / "long.csv"
    path.write_text(HEADER + "consultation,2025-03-01T10:00,10:45,M,office," + "x" * 200_000 + "\n", encoding="utf-8")
    with pytest.raises(ImportError_) as info:
        import_file(journal, path)
    assert (info.value.line, info.value.field) == (2, "notes")


def test_an_unreadable_end_is_reported_against_the_end(journal, tmp_path):
    with pytest.raises(ImportError_) as info:
        import_file(journal, jsonl(tmp_path / "end.jsonl", {**ROW, "end": "25:00"}))
    assert info.value.field == "end"


@pytest.mark.parametrize("text", [
    "[" * 100_000 + "]" * 100_000 + "\n",  # nested too deep for the JSON parser
    '{"type": "consultation", "start": "2025-03-01T10:00", "mediator": "\\ud800", "setting": "office"}\n',
])
def test_json_lines_that_python_can_parse_but_not_store_are_refused_on_the_command_line(journal, store_path,
                                                                                       data_dir, tmp_path, text):
    journal.close()
    path = tmp_path / "odd.jsonl"
    path.write_text(text, encoding="utf-8")
    env = {**subprocess_env(data_dir), "MEDIATORLOG_PASSPHRASE": PASSPHRASE}
    result = subprocess.run([PYTHON, "-m", "app", "--lang", "en", "import", "--store", str(store_path), str(path)],
                            cwd=REPO, env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert result.stderr.startswith("mediatorlog: Line 1:") and result.stderr.count("\n") == 1, result.stderr
    assert "Traceback" not in result.stderr
    with open_store(store_path, PASSPHRASE) as again:
        assert again.all_entries() == []


def test_dates_as_german_excel_writes_them_are_read(journal, tmp_path):
    path = tmp_path / "excel.csv"
    path.write_text("type;start;end;mediator;setting;follow_up;follow_up_due\n"
                    "consultation;20.11.2025 09:30;10:15;A. Mihai;office;Anrufen;1.12.2025\n"
                    "consultation;3.2.2025;;B. Ivanova;phone;;\n", encoding="utf-8-sig")
    assert import_file(journal, path).added == 2
    by_mediator = {e.mediator: e for e in journal.all_entries()}
    first, second = by_mediator["A. Mihai"], by_mediator["B. Ivanova"]
    assert (first.start.isoformat(), first.end.isoformat()) == ("2025-11-20T09:30:00", "2025-11-20T10:15:00")
    assert first.follow_up_due.isoformat() == "2025-12-01"
    assert second.start.isoformat() == "2025-02-03T00:00:00"


@pytest.mark.parametrize("field, value, words", [
    ("notes", {"Name": 1}, "takes text"), ("mediator", ["A", "B"], "takes text"), ("district", {"x": 1}, "takes text"),
    ("languages", [{"a": 1}], "list of codes"), ("topics", {"housing": True}, "list of codes"),
])
def test_a_json_list_or_object_where_text_belongs_is_refused(journal, tmp_path, field, value, words):
    with pytest.raises(ImportError_) as info:
        import_file(journal, jsonl(tmp_path / "odd.jsonl", {**ROW, field: value}))
    assert info.value.field == field and words in str(info.value) and "{'" not in str(info.value)
    assert journal.all_entries() == []
