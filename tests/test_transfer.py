"""Import and export as JSON lines and CSV: round trip, upsert by id, all-or-nothing."""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
import json

import pytest
from helpers.factories import FAST_KDF, PASSPHRASE, consultation, outreach, tandem

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from app.domain.catalogs import Catalogs
from app.domain.entries import CODED_FIELDS, CONSULTATION, ENTRY_CLASSES, ENTRY_TYPES, TANDEM_SESSION
from app.domain.records import ALL_COLUMNS, META_COLUMNS, record_to_entry
from app.domain.validation import validate_entry
from app.services.demo import fill_demo
from app.services.stores import create_store
from app.services.transfer import ImportError_, export_text, import_file, read_records, write_export

FORMATS = ["jsonl", "csv"]


@pytest.fixture
def filled(journal):
    """A journal with every type, clients, lists, follow-ups and awkward text."""
    k1 = journal.save_client(journal.new_client())
    k2 = journal.save_client(journal.new_client())
    journal.save_entry(consultation(
        client_ids=[k1.id, k2.id], setting="accompaniment", accompanied_to="health_office",
        referrals=["jobcentre", "debt_counselling"], languages=["ro", "rom"], topics=["housing", "debts"],
        outcome="referred", follow_up="Termin, \"dringend\"; bitte", follow_up_due=dt.date(2025, 3, 17),
        notes='Zeile eins, mit Komma\nZeile "zwei"; mit Semikolon\r\nȘtefan, Ünal, Благодаря 🙂',
    ))
    journal.save_entry(consultation(start=dt.datetime(2025, 3, 9, 14, 0), end=None, setting="phone",
                                    district=None, languages=[], topics=[], notes="", client_ids=[k1.id],
                                    follow_up="erledigt", follow_up_due=dt.date(2025, 3, 9), follow_up_done=True))
    journal.save_entry(tandem(format="tridem", social_worker="SSA", school="ss2", pupils_count=0,
                              families_count=None, topics=["parent_talk", "transition"], outcome="in_progress"))
    journal.save_entry(outreach(partners=["public_order_office", "district_police"], adults_reached=0,
                                children_reached=None, topics=["neighbourhood"], languages=["bg"]))
    deleted = journal.save_entry(consultation(notes="wird gelöscht"))
    journal.delete_entry(deleted.id)
    return journal


@pytest.fixture
def fresh(data_dir):
    journal = create_store(data_dir / "fresh.db", PASSPHRASE, name="Test Mediator", kdf=FAST_KDF)
    yield journal
    journal.close()


def parse(text: str, fmt: str) -> list[dict]:
    if fmt == "jsonl":
        return [json.loads(line) for line in text.splitlines()]
    return list(csv.DictReader(io.StringIO(text)))


def without_meta(records: list[dict]) -> list[dict]:
    return [{k: v for k, v in r.items() if k not in ("created_at", "updated_at", "device_id")} for r in records]


def write(path, text: str):
    path.write_text(text, encoding="utf-8", newline="")
    return path


@pytest.mark.parametrize("fmt", FORMATS)
def test_round_trip_into_a_fresh_store_gives_the_same_export(filled, fresh, tmp_path, fmt):
    exported = export_text(filled, fmt)
    records = parse(exported, fmt)
    assert len(records) == 4, "tombstones are not exported"

    result = import_file(fresh, write(tmp_path / f"all.{fmt}", exported))

    assert (result.added, result.updated, result.unchanged, result.new_clients) == (4, 0, 0, 2)
    again = export_text(fresh, fmt)
    # created_at/updated_at/device_id are the bookkeeping of the store the entry is in:
    # a fresh store stamps its own. Everything a user typed, ids and client codes are identical.
    assert without_meta(parse(again, fmt)) == without_meta(records)
    assert {e.id for e in fresh.all_entries()} == {e.id for e in filled.all_entries()}
    assert sorted(fresh.client_codes().values()) == sorted(filled.client_codes().values())
    for original in filled.all_entries():
        copy = fresh.get_entry(original.id)
        assert dataclasses.replace(copy, client_ids=[], meta=original.meta) == dataclasses.replace(
            original, client_ids=[])
        assert [fresh.client_codes()[c] for c in copy.client_ids] == [
            filled.client_codes()[c] for c in original.client_ids]


@pytest.mark.parametrize("fmt", FORMATS)
def test_reimporting_unchanged_rows_changes_nothing(filled, tmp_path, fmt):
    exported = export_text(filled, fmt)
    result = import_file(filled, write(tmp_path / f"same.{fmt}", exported))
    assert (result.added, result.updated, result.unchanged, result.new_clients) == (0, 0, 4, 0)
    assert export_text(filled, fmt) == exported, "not even updated_at may change"


@pytest.mark.parametrize("fmt", FORMATS)
def test_reimporting_an_edited_row_edits_that_entry(filled, tmp_path, fmt):
    exported = export_text(filled, fmt)
    records = parse(exported, fmt)
    target = next(r for r in records if r["type"] == "tandem_session")
    before = filled.get_entry(target["id"])
    target["notes"] = "Nachträglich korrigiert"
    target["pupils_count"] = 5 if fmt == "jsonl" else "5"

    buffer = io.StringIO()
    if fmt == "jsonl":
        buffer.write("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records))
    else:
        writer = csv.DictWriter(buffer, fieldnames=ALL_COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(records)
    result = import_file(filled, write(tmp_path / f"edited.{fmt}", buffer.getvalue()))

    assert (result.added, result.updated, result.unchanged) == (0, 1, 3)
    after = filled.get_entry(target["id"])
    assert after.notes == "Nachträglich korrigiert" and after.pupils_count == 5
    assert after.meta.created_at == before.meta.created_at
    assert after.meta.updated_at > before.meta.updated_at
    assert filled.count_entries() == 4, "an upsert, not a second entry"
    others = [r for r in parse(export_text(filled, fmt), fmt) if r["id"] != target["id"]]
    assert others == [r for r in parse(exported, fmt) if r["id"] != target["id"]]


def test_rows_without_id_are_added_and_client_codes_are_resolved(journal, tmp_path):
    known = journal.save_client(journal.new_client())
    rows = [
        {"type": "consultation", "start": "2025-03-01T10:00", "end": "10:45", "mediator": "M", "setting": "office",
         "clients": [known.code, "NEU-1"]},
        {"type": "outreach_visit", "date": "2025-03-02", "duration_minutes": "30", "mediator": "M",
         "district": "haspe", "place_type": "event", "purpose": "contact", "clients": "NEU-1"},
    ]
    path = write(tmp_path / "new.jsonl", "".join(json.dumps(r) + "\n" for r in rows))
    result = import_file(journal, path)
    assert (result.added, result.new_clients) == (2, 1)
    first, second = sorted(journal.all_entries(), key=lambda e: e.start)
    assert first.end == dt.datetime(2025, 3, 1, 10, 45)
    assert second.start == dt.datetime(2025, 3, 2, 0, 0) and second.duration_minutes == 30
    new_client = journal.client_by_code("NEU-1")
    assert first.client_ids == [known.id, new_client.id] and second.client_ids == [new_client.id]


# -- all or nothing ---------------------------------------------------------------------

GOOD = [
    {"type": "consultation", "start": "2025-04-01T09:00", "end": "2025-04-01T09:30", "mediator": "M",
     "setting": "office", "clients": ["NEU-7"], "notes": "gute Zeile eins"},
    {"type": "tandem_session", "start": "2025-04-02T09:00", "mediator": "M", "school": "gs2", "teacher": "KL",
     "notes": "gute Zeile zwei"},
]
BAD_ROWS = {
    "bad-date": ({"start": "2025-13-45T09:00"}, "start", "cannot be read"),
    "end-before-start": ({"end": "2025-04-03T08:00"}, "end", "end is before the start"),
    "unknown-school": ({"type": "tandem_session", "school": "gs42", "teacher": "KL", "place_type": "",
                        "purpose": "", "district": "", "adults_reached": ""}, "school", "not in the list"),
    "unknown-type": ({"type": "party"}, "type", "Unknown type"),
    "negative-people": ({"adults_reached": "-4"}, "adults_reached", "cannot be negative"),
    "not-a-number": ({"children_reached": "viele"}, "children_reached", "whole number"),
    "bad-id": ({"id": "1234"}, "id", "not a valid UUID"),
    "future": ({"start": "2999-01-01T10:00", "end": ""}, "start", "in the future"),
}
BAD_BASE = {"type": "outreach_visit", "start": "2025-04-03T10:00", "end": "2025-04-03T11:00", "mediator": "M",
            "district": "haspe", "place_type": "street", "purpose": "contact", "adults_reached": "3",
            "notes": "schlechte Zeile"}


def jsonl_text(rows) -> str:
    return "".join((r if isinstance(r, str) else json.dumps(r, ensure_ascii=False)) + "\n" for r in rows)


def csv_text(rows) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=ALL_COLUMNS, lineterminator="\n", extrasaction="raise")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: ";".join(v) if isinstance(v, list) else v for k, v in row.items()})
    return buffer.getvalue()


def assert_nothing_imported(journal, path, line, field, reason, more=0):
    before_export = export_text(journal, "jsonl")
    before_clients = journal.client_codes()
    with pytest.raises(ImportError_) as info:
        import_file(journal, path)
    error = info.value
    assert (error.line, error.field, error.more) == (line, field, more)
    message = str(error)
    if not line:
        assert message.startswith(reason), "a problem of the whole file names no line"
    elif field == "-":
        assert message.startswith(f"Line {line}: ") and reason in message, "a problem of a whole line names no field"
    else:
        assert message.startswith(f"Line {line} ({field}): ") and reason in message
    assert message.endswith("Nothing was imported.") and "\n" not in message
    assert export_text(journal, "jsonl") == before_export
    assert journal.client_codes() == before_clients


@pytest.fixture
def with_existing(journal):
    """One stored entry that the bad file also tries to edit (that edit must not happen)."""
    existing = journal.save_entry(consultation(notes="ursprünglich"))
    edit = {**GOOD[0], "id": existing.id, "start": "2025-03-10T09:30", "end": "2025-03-10T10:00",
            "notes": "geändert"}
    edit.pop("clients")
    return journal, edit


@pytest.mark.parametrize(("change", "field", "reason"), BAD_ROWS.values(), ids=BAD_ROWS.keys())
def test_bad_jsonl_row_is_reported_by_line_and_nothing_is_imported(with_existing, tmp_path, change, field, reason):
    journal, edit = with_existing
    bad = {**BAD_BASE, **change}
    # line 1 and 2 good, line 3 edits the existing entry, line 4 empty, line 5 bad
    path = write(tmp_path / "bad.jsonl", jsonl_text([*GOOD, edit, "", bad]))
    assert_nothing_imported(journal, path, 5, field, reason)


@pytest.mark.parametrize(("change", "field", "reason"), BAD_ROWS.values(), ids=BAD_ROWS.keys())
def test_bad_csv_row_is_reported_by_line_and_nothing_is_imported(with_existing, tmp_path, change, field, reason):
    journal, edit = with_existing
    bad = {**BAD_BASE, **change}
    good = [dict(GOOD[0], notes="zwei\nZeilen"), GOOD[1]]  # a quoted cell spanning two lines
    # line 1 header, lines 2-3 first row, 4 second row, 5 the edit, 6 the bad row
    path = write(tmp_path / "bad.csv", csv_text([*good, edit, bad]))
    assert_nothing_imported(journal, path, 6, field, reason)


def test_bad_json_line_and_non_object(with_existing, tmp_path):
    journal, edit = with_existing
    path = write(tmp_path / "broken.jsonl", jsonl_text([GOOD[0], edit, '{"type": "consultation", ']))
    assert_nothing_imported(journal, path, 3, "-", "not valid JSON")
    path = write(tmp_path / "list.jsonl", jsonl_text([edit, "[1, 2]"]))
    assert_nothing_imported(journal, path, 2, "-", "one JSON object")


def test_extra_csv_cell(with_existing, tmp_path):
    journal, edit = with_existing
    text = csv_text([GOOD[0], edit]) + csv_text([GOOD[1]]).splitlines()[1] + ",surplus\n"
    path = write(tmp_path / "extra.csv", text)
    assert_nothing_imported(journal, path, 4, "-", "more cells than the header")


def test_unknown_column_and_foreign_column(with_existing, tmp_path):
    journal, edit = with_existing
    path = write(tmp_path / "unknown.jsonl", jsonl_text([edit, {**GOOD[0], "ethnicity": "x"}]))
    assert_nothing_imported(journal, path, 2, "ethnicity", "Unknown column")
    path = write(tmp_path / "foreign.jsonl", jsonl_text([edit, {**GOOD[0], "school": "gs1"}]))
    assert_nothing_imported(journal, path, 2, "school", "does not belong to this type")


def test_duplicate_id_in_one_file(with_existing, tmp_path):
    journal, edit = with_existing
    path = write(tmp_path / "twice.jsonl", jsonl_text([edit, GOOD[1], edit]))
    assert_nothing_imported(journal, path, 3, "id", "appears twice")


def test_several_bad_rows_report_the_first_and_count_the_rest(with_existing, tmp_path):
    journal, edit = with_existing
    rows = [edit, {**BAD_BASE, "adults_reached": "-1"}, GOOD[0], {"type": "party"}, "not json"]
    path = write(tmp_path / "many.jsonl", jsonl_text(rows))
    assert_nothing_imported(journal, path, 2, "adults_reached", "cannot be negative. 2 more lines have problems.",
                            more=2)


def test_file_that_is_not_utf8(with_existing, tmp_path):
    journal, _edit = with_existing
    path = tmp_path / "latin1.csv"
    path.write_bytes(csv_text([GOOD[0]]).replace("gute", "Größe").encode("latin-1"))
    assert_nothing_imported(journal, path, 0, "-", "The file is not UTF-8")


def test_csv_with_byte_order_mark_and_windows_line_ends(journal, tmp_path):
    text = csv_text(GOOD).replace("\n", "\r\n")
    path = tmp_path / "excel.csv"
    path.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    result = import_file(journal, path)
    assert result.added == 2
    assert sorted(e.notes for e in journal.all_entries()) == ["gute Zeile eins", "gute Zeile zwei"]


def test_csv_export_shape(filled):
    text = export_text(filled, "csv")
    header, *rows = text.splitlines()
    assert header.split(",") == ALL_COLUMNS
    records = parse(text, "csv")
    outreach_row = next(r for r in records if r["type"] == "outreach_visit")
    assert outreach_row["partners"] == "public_order_office;district_police"
    assert outreach_row["children_reached"] == "" and outreach_row["adults_reached"] == "0"
    done = next(r for r in records if r["follow_up"] == "erledigt")
    assert done["follow_up_done"] == "yes" and done["end"] == "" and done["duration_minutes"] == ""
    for record in records:
        assert set(META_COLUMNS) <= set(record) and record["author"] == "Test Mediator"


# -- more round trips -------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_demo_data_round_trips(journal, fresh, tmp_path, fmt):
    fill_demo(journal, entries=150, seed=7)
    exported = export_text(journal, fmt)
    result = import_file(fresh, write(tmp_path / f"demo.{fmt}", exported))
    assert result.added == journal.count_entries() == 150
    assert without_meta(parse(export_text(fresh, fmt), fmt)) == without_meta(parse(exported, fmt))
    assert import_file(fresh, tmp_path / f"demo.{fmt}").unchanged == 150


def test_lone_carriage_return_in_a_note_survives_csv(journal, fresh, tmp_path):
    """Text pasted from old documents can hold a bare CR: it is stored as a line break
    (notes are normalised to \\n on save) and that break survives CSV."""
    journal.save_entry(consultation(notes="Zeile eins\rZeile zwei"))
    exported = export_text(journal, "csv")
    import_file(fresh, write(tmp_path / "cr.csv", exported))
    assert [e.notes for e in fresh.all_entries()] == ["Zeile eins\nZeile zwei"]


def test_bare_carriage_return_inside_a_follow_up_survives_csv(journal, fresh, tmp_path):
    """Only notes are normalised to \\n; a follow-up, mediator or teacher text can still hold
    a bare CR inside, and the CSV export must quote it so that it re-imports as one row."""
    saved = journal.save_entry(consultation(follow_up="Anrufen\rdann schreiben"))
    exported = export_text(journal, "csv")
    import_file(fresh, write(tmp_path / "cr.csv", exported))
    assert [e.follow_up for e in fresh.all_entries()] == [saved.follow_up]


def test_reimport_of_a_teacher_with_surrounding_blanks_changes_nothing(journal, tmp_path):
    """The form accepts "KL " as typed; the export must re-import as the same entry."""
    saved = journal.save_entry(tandem(teacher="KL ", format="tridem", social_worker=" SSA"))
    for fmt in FORMATS:
        result = import_file(journal, write(tmp_path / f"t.{fmt}", export_text(journal, fmt)))
        assert (result.updated, result.unchanged) == (0, 1), fmt
    assert journal.get_entry(saved.id) == saved


SEEDED = Catalogs.seeded()
PAST = dt.datetime(2025, 6, 1)
# Free text as users type it: any characters (CR, tabs, quotes, semicolons, emoji...).
# Whitespace-only text is read back as empty by design, so it is not generated.
characters = st.characters(exclude_categories=("Cs",)) | st.sampled_from("\r\n\t;,\"'\\ ")
free_text = st.text(characters, max_size=40).filter(lambda s: s == "" or s.strip())
role_text = st.text(characters, min_size=1, max_size=24).map(str.strip).filter(bool)


def codes(catalog):
    return [v.code for v in SEEDED.values(catalog)]


@st.composite
def valid_entries(draw):
    entry_type = draw(st.sampled_from(ENTRY_TYPES))
    fields = CODED_FIELDS[entry_type]
    start = draw(st.datetimes(min_value=dt.datetime(2020, 1, 1), max_value=PAST)).replace(second=0, microsecond=0)
    values = dict(
        id=draw(st.uuids(version=4).map(str)),
        start=start,
        end=draw(st.none() | st.integers(0, 720).map(lambda m: start + dt.timedelta(minutes=m))),
        mediator=draw(free_text.filter(bool)),
        languages=draw(st.lists(st.sampled_from(codes("languages")), unique=True, max_size=3)),
        topics=draw(st.lists(st.sampled_from(codes(fields["topics"])), unique=True, max_size=3)),
        outcome=draw(st.none() | st.sampled_from(codes("outcomes"))),
        district=draw(st.none() | st.sampled_from(codes("districts"))),
        follow_up=draw(free_text),
        follow_up_due=draw(st.none() | st.dates(min_value=start.date(), max_value=dt.date(2026, 1, 1))),
        follow_up_done=draw(st.booleans()),
        notes=draw(free_text),
    )
    count = st.none() | st.integers(0, 10_000)
    if entry_type == CONSULTATION:
        values["setting"] = draw(st.sampled_from(codes("settings")))
        values["accompanied_to"] = draw(st.sampled_from(codes("services")) if values["setting"] == "accompaniment"
                                        else st.none() | st.sampled_from(codes("services")))
        values["referrals"] = draw(st.lists(st.sampled_from(codes("services")), unique=True, max_size=3))
    elif entry_type == TANDEM_SESSION:
        values.update(school=draw(st.sampled_from(codes("schools"))),
                      format=draw(st.sampled_from(["tandem", "tridem"])),
                      teacher=draw(role_text), social_worker=draw(role_text), pupils_count=draw(count),
                      families_count=draw(count))
    else:
        values.update(district=draw(st.sampled_from(codes("districts"))),
                      place_type=draw(st.sampled_from(codes("place_types"))),
                      purpose=draw(st.sampled_from(codes("purposes"))),
                      partners=draw(st.lists(st.sampled_from(codes("partners")), unique=True, max_size=3)),
                      adults_reached=draw(count), children_reached=draw(count))
    entry = ENTRY_CLASSES[entry_type](**values)
    assert validate_entry(entry, SEEDED, now=PAST) == []
    return entry


class _Source:
    """What write_export reads from a journal: its entries and the client codes."""

    def __init__(self, entries):
        self._entries = entries

    def all_entries(self):
        return self._entries

    def client_codes(self):
        return {}


@settings(max_examples=150, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(entries=st.lists(valid_entries(), min_size=1, max_size=3), fmt=st.sampled_from(FORMATS))
@example(entries=[consultation(id="0190f0e0-0000-7000-8000-000000000000", follow_up="a\rb")], fmt="csv")
def test_any_valid_entry_survives_the_exchange_format(entries, fmt):
    """write_export -> read_records -> record_to_entry gives back every field a user can set."""
    buffer = io.StringIO(newline="")
    write_export(_Source(entries), buffer, fmt)
    rows = read_records(io.StringIO(buffer.getvalue(), newline=""), fmt)
    assert [reason for _line, _record, reason in rows] == [""] * len(entries)
    for original, (_line, record, _reason) in zip(entries, rows):
        back, client_codes = record_to_entry(record)
        assert client_codes == []
        assert dataclasses.replace(back, meta=original.meta) == original
