"""Import and export of entries as JSON lines or CSV (format: docs/import-export.md).

An import is all or nothing: every row is parsed and validated first, and only a
file without problems is written, in one transaction.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from app.domain.entries import Client, RecordMeta
from app.domain.ids import uuid7
from app.domain.records import (
    ALL_COLUMNS,
    LIST_FIELDS,
    RecordError,
    entry_to_record,
    is_client_ref,
    record_to_entry,
)
from app.domain.validation import validate_entry
from app.i18n import _, ngettext
from app.services.journal import Journal, utc_now
from app.store import repository as repo
from app.store import reporting, search_index
from app.store.engine import writing

FORMATS = ("jsonl", "csv")
CSV_CELL_LIMIT = 16 * 1024 * 1024  # characters; a note longer than the form allows is refused by validation
WHOLE_LINE = "-"  # the field of a problem with a line as a whole (not JSON, wrong number of columns)


class ImportError_(Exception):
    """A file that cannot be imported; nothing of it was written."""

    def __init__(self, line: int, field: str, message: str, more: int = 0):
        self.line, self.field, self.more = line, field, more
        if not line:  # about the whole file
            text = message
        elif field == WHOLE_LINE:
            text = _("Line {line}: {message}").format(line=line, message=message)
        else:
            text = _("Line {line} ({field}): {message}").format(line=line, field=field, message=message)
        if more:
            text += " " + ngettext("{count} more line has a problem.", "{count} more lines have problems.",
                                   more).format(count=more)
        text += " " + _("Nothing was imported.")
        super().__init__(text)


@dataclass
class ImportResult:
    added: int
    updated: int
    unchanged: int
    new_clients: int


def detect_format(path: Path) -> str:
    return "csv" if path.suffix.lower() == ".csv" else "jsonl"


def read_records(handle: IO[str], fmt: str) -> list[tuple[int, dict[str, Any] | None, str]]:
    """(line number, record or None, reason) per data row."""
    rows: list[tuple[int, dict[str, Any] | None, str]] = []
    if fmt == "csv":
        return _read_csv(handle.read())
    for number, text in enumerate(handle, start=1):
        if not text.strip():
            continue
        try:
            record = json.loads(text)
        except (ValueError, RecursionError):  # RecursionError: arrays nested thousands deep
            rows.append((number, None, _("This line is not valid JSON.")))
            continue
        if not isinstance(record, dict):
            rows.append((number, None, _("Each line must be one JSON object.")))
            continue
        if not _is_text(record):
            rows.append((number, None, _("This line has an escaped character that is not text (such as \\ud800).")))
            continue
        rows.append((number, record, ""))
    return rows


def _is_text(record: dict) -> bool:
    """False when a JSON escape made a lone surrogate, which no UTF-8 store can hold."""
    try:
        json.dumps(record, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _read_csv(text: str) -> list[tuple[int, dict[str, Any] | None, str]]:
    header = text.split("\n", 1)[0]
    # German Excel saves "CSV" with semicolons; our own export uses commas.
    delimiter = ";" if ";" in header and "," not in header else ","
    # strict: a quote left open swallowed every following row into one cell, and a stray quote
    # inside a cell was dropped, both without a word. A note may be long; validation limits it.
    csv.field_size_limit(max(csv.field_size_limit(), CSV_CELL_LIMIT))
    reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    rows: list[tuple[int, dict[str, Any] | None, str]] = []
    try:
        names = [name.strip() for name in reader.fieldnames or []]
        for name in names:
            if name not in ALL_COLUMNS:
                raise ImportError_(1, name[:40] or WHOLE_LINE, _("Unknown column “{column}”.").format(column=name[:40]))
            if names.count(name) > 1:
                raise ImportError_(1, name, _("This column appears twice in the header."))
        last = 1  # the line the last whole row ended on; a broken row starts after it
        for record in reader:
            line = reader.line_num
            last = reader.reader.line_num
            if None in record:
                rows.append((line, None, _("This row has more cells than the header.")))
                continue
            rows.append((line, {k.strip(): _unguard(v) for k, v in record.items() if k is not None}, ""))
    except csv.Error:
        raise ImportError_(last + 1, WHOLE_LINE, _(
            "A quotation mark is not closed, or stands inside a cell that does not start with one. "
            "Check the quotation marks from this line on.")) from None
    return rows


def import_file(journal: Journal, path: Path, fmt: str | None = None, *, now: dt.datetime | None = None) -> ImportResult:
    path = Path(path)
    fmt = fmt or detect_format(path)
    try:
        with open(path, encoding="utf-8-sig", newline="") as handle:
            rows = read_records(handle, fmt)
    except UnicodeDecodeError:
        raise ImportError_(0, WHOLE_LINE, _("The file is not UTF-8 text. Save it as UTF-8 and try again.")) from None
    return import_records(journal, rows, now=now)


def import_records(journal: Journal, rows, *, now: dt.datetime | None = None) -> ImportResult:
    now = now or dt.datetime.now()
    catalogs = journal.catalogs
    known_codes = {code.upper(): cid for cid, code in journal.client_codes().items()}
    planned: dict[str, Client] = {}
    parsed = []
    failures: list[tuple[int, str, str]] = []
    seen_ids: set[str] = set()
    for line, record, reason in rows:
        if record is None:
            failures.append((line, WHOLE_LINE, reason))
            continue
        try:
            entry, codes = record_to_entry(record)
        except RecordError as exc:
            failures.append((line, exc.problems[0].field, exc.problems[0].message))
            continue
        if entry.id and entry.id in seen_ids:
            failures.append((line, "id", _("This id appears twice in the file.")))
            continue
        seen_ids.add(entry.id)
        if entry.id and journal.is_erased("entries", entry.id):
            failures.append((line, "id", _("This entry was erased on a data-protection request and must not come "
                                           "back. Remove this line.")))
            continue
        if entry.id and journal.entry_is_deleted(entry.id):
            failures.append((line, "id", _("This entry was deleted in this journal and cannot be brought back by "
                                           "an import. Remove this line, or empty its id to add it as a new entry.")))
            continue
        previous = journal.get_entry(entry.id) if entry.id else None
        foreign = [c for c in codes if is_client_ref(c)]
        if any(previous is None or c not in previous.client_ids for c in foreign):
            failures.append((line, "clients", _("A client id stands only for a person this journal does not hold "
                                                "who is already linked to this entry. Write the client's code.")))
            continue
        for code in codes:
            if code not in known_codes and code not in planned and not is_client_ref(code):
                planned[code] = Client(id=uuid7(), code=code)
        entry.client_ids = [c if is_client_ref(c) else known_codes.get(c) or planned[c].id for c in codes]
        problems = validate_entry(entry, catalogs, now=now, previous=previous)
        if problems:
            failures.append((line, problems[0].field, problems[0].message))
            continue
        parsed.append(entry)
    if failures:
        line, field, message = failures[0]
        raise ImportError_(line, field, message, more=len(failures) - 1)

    stamp = utc_now()
    added = updated = unchanged = 0
    with writing(journal.engine) as conn:
        repo.insert_clients_bulk(
            conn,
            [
                Client(id=c.id, code=c.code, meta=RecordMeta(stamp, stamp, journal.user_name, journal.device_id))
                for c in planned.values()
            ],
        )
        for entry in parsed:
            existed = bool(entry.id) and repo.entry_exists(conn, entry.id)
            saved = journal.write_entry_in(conn, entry, stamp)
            if not existed:
                added += 1
            elif saved.meta.updated_at == stamp:
                updated += 1
            else:
                unchanged += 1
        reporting.catch_up(conn)  # a bulk write brings its reporting rows up to date itself
        if added + updated >= search_index.BULK_ROWS:
            search_index.compact(conn)
    return ImportResult(added, updated, unchanged, len(planned))


def export_records(journal: Journal) -> list[dict[str, Any]]:
    codes = journal.client_codes()
    return [entry_to_record(e, codes) for e in journal.all_entries()]


def write_export(journal: Journal, handle: IO[str], fmt: str) -> int:
    records = export_records(journal)
    if fmt == "jsonl":
        for record in records:
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
        return len(records)
    writer = csv.DictWriter(handle, fieldnames=ALL_COLUMNS, extrasaction="ignore", lineterminator="\r\n")
    writer.writeheader()
    for record in records:
        writer.writerow({k: _csv_cell(k, v) for k, v in record.items()})
    return len(records)


# A cell starting with one of these is run as a formula by spreadsheet programs (CSV injection).
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _csv_cell(column: str, value: Any) -> Any:
    if column in LIST_FIELDS and isinstance(value, list):
        value = ";".join(value)
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, str) and value.startswith((*_FORMULA_STARTS, "'")):
        # shown as text by Excel and LibreOffice; removed again on import. A text that already
        # starts with ' gets one too, so that the import can tell the two apart.
        return "'" + value
    return "" if value is None else value


def _unguard(value: Any) -> Any:
    if isinstance(value, str) and value.startswith("'") and value[1:].startswith((*_FORMULA_STARTS, "'")):
        return value[1:]
    return value


def export_text(journal: Journal, fmt: str) -> str:
    buffer = io.StringIO()
    write_export(journal, buffer, fmt)
    return buffer.getvalue()
