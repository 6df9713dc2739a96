"""Entries as flat records: the JSON-lines and CSV exchange format (see docs/import-export.md).

`entry_to_record` and `record_to_entry` are inverse for every field a user can set;
parsing problems are reported as `Problem`s naming the column.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from typing import Any

from app.domain.entries import (
    ENTRY_CLASSES,
    ENTRY_TYPES,
    Entry,
    RecordMeta,
)
from app.domain.ids import is_client_code, is_uuid, looks_like_our_code
from app.domain.validation import Problem
from app.i18n import _

LIST_FIELDS = ("languages", "topics", "referrals", "partners", "clients")
INT_FIELDS = ("pupils_count", "families_count", "adults_reached", "children_reached", "duration_minutes")
COMMON_COLUMNS = [
    "id", "type", "date", "start", "end", "duration_minutes", "mediator", "district", "clients",
    "languages", "topics", "outcome", "follow_up", "follow_up_due", "follow_up_done", "notes",
]
TYPE_COLUMNS = {
    "consultation": ["setting", "accompanied_to", "referrals"],
    "tandem_session": ["school", "format", "teacher", "social_worker", "pupils_count", "families_count"],
    "outreach_visit": ["place_type", "purpose", "partners", "adults_reached", "children_reached"],
}
META_COLUMNS = ["created_at", "updated_at", "author", "device_id"]
ALL_COLUMNS = COMMON_COLUMNS + [c for t in ENTRY_TYPES for c in TYPE_COLUMNS[t]] + META_COLUMNS
CLIENT_CODE_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]{1,23}$")


def code_typo(code: str) -> str:
    """What is wrong with a code shaped like one this application makes whose check character
    does not match (a mistyped one, not a new person); "" otherwise."""
    if looks_like_our_code(code) and not is_client_code(code):
        return _("The client code {code} has a typo: its last character does not match. Check the code on the "
                 "client's card.").format(code=code.strip().upper())
    return ""


def entry_to_record(entry: Entry, client_codes: dict[str, str]) -> dict[str, Any]:
    """`client_codes` maps client ids to their pseudonymous codes."""
    record: dict[str, Any] = {
        "id": entry.id,
        "type": entry.type,
        "date": entry.start.date().isoformat() if entry.start else None,
        "start": entry.start.isoformat(timespec="minutes") if entry.start else None,
        "end": entry.end.isoformat(timespec="minutes") if entry.end else None,
        "duration_minutes": entry.duration_minutes,
        "mediator": entry.mediator,
        "district": entry.district,
        "clients": [client_codes.get(cid, cid) for cid in entry.client_ids],
        "languages": list(entry.languages),
        "topics": list(entry.topics),
        "outcome": entry.outcome,
        "follow_up": entry.follow_up,
        "follow_up_due": entry.follow_up_due.isoformat() if entry.follow_up_due else None,
        "follow_up_done": entry.follow_up_done,
        "notes": entry.notes,
    }
    for column in TYPE_COLUMNS[entry.type]:
        value = getattr(entry, column)
        record[column] = list(value) if isinstance(value, list) else value
    record.update(
        created_at=entry.meta.created_at,
        updated_at=entry.meta.updated_at,
        author=entry.meta.author,
        device_id=entry.meta.device_id,
    )
    return record


def is_client_ref(value: str) -> bool:
    """A client's id where a code would be (36 characters: longer than any code may be)."""
    return len(value) == 36 and is_uuid(value)


class RecordError(ValueError):
    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__(" ".join(p.message for p in problems))


_GERMAN_DATE = re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})(?:[ T,]+(\d{1,2}):(\d{2}))?$")


def _iso_text(value: str) -> str:
    """German spreadsheets write 20.11.2026 and 20.11.2026 09:30: read those as ISO dates too."""
    text = value.strip()
    german = _GERMAN_DATE.match(text)
    if german:
        day, month, year, hour, minute = german.groups()
        text = f"{year}-{int(month):02d}-{int(day):02d}" + (f"T{int(hour):02d}:{minute}" if hour else "")
    return text


def _parse_datetime(value: str) -> dt.datetime:
    parsed = dt.datetime.fromisoformat(_iso_text(value))
    return parsed.replace(tzinfo=None, second=0, microsecond=0)


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _as_list(value: Any) -> list[str]:
    if _blank(value):
        return []
    if isinstance(value, list):
        return [str(v).strip() for v in value if not _blank(v)]
    return [part.strip() for part in str(value).split(";") if part.strip()]


def _as_int(value: Any) -> int | None:
    if _blank(value):
        return None
    if isinstance(value, bool):
        raise ValueError
    if isinstance(value, int):
        return value
    text = str(value).strip()
    if not re.fullmatch(r"-?\d+", text):
        raise ValueError
    return int(text)


def _as_bool(value: Any) -> bool:
    if _blank(value):
        return False
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "ja", "x"):
        return True
    if text in ("0", "false", "no", "nein"):
        return False
    raise ValueError


def record_to_entry(record: dict[str, Any]) -> tuple[Entry, list[str]]:
    """Parse one record; returns the entry and its client codes (resolved by the caller)."""
    problems: list[Problem] = []
    unknown = [key for key in record if key not in ALL_COLUMNS]
    if unknown:  # first: a misspelt "Type" column is the reason, not the type it seems to lack
        raise RecordError([Problem(str(unknown[0])[:40],
                                   _("Unknown column “{column}”.").format(column=str(unknown[0])[:40]))])
    entry_type = str(record.get("type") or "").strip()
    if entry_type not in ENTRY_CLASSES:
        raise RecordError(
            [Problem("type", _("Unknown type “{value}”: use consultation, tandem_session or outreach_visit.").format(
                value=entry_type[:40]))]
        )

    entry = ENTRY_CLASSES[entry_type]()
    entry_id = record.get("id")
    if not _blank(entry_id):
        if not is_uuid(str(entry_id)):
            problems.append(Problem("id", _("The id is not a valid UUID. Leave it empty for a new entry.")))
        else:
            entry.id = str(uuid.UUID(str(entry_id).strip()))  # one spelling: lower case, with hyphens

    start = record.get("start")
    unreadable = _("A date or time cannot be read. Use the form 2026-03-31 or 2026-03-31T14:30.")
    try:
        if not _blank(start):
            entry.start = _parse_datetime(str(start))
        elif not _blank(record.get("date")):
            entry.start = _parse_datetime(_iso_text(str(record["date"]))[:10] + "T00:00")
    except ValueError:
        problems.append(Problem("start", unreadable))
    try:
        if not _blank(record.get("end")):
            end_text = str(record["end"]).strip()
            if len(end_text) <= 5 and entry.start:  # a bare time like 14:30
                end_text = f"{entry.start.date().isoformat()}T{end_text}"
            entry.end = _parse_datetime(end_text)
        elif entry.start and not _blank(record.get("duration_minutes")):
            minutes = _as_int(record.get("duration_minutes"))
            if minutes is not None:
                entry.end = entry.start + dt.timedelta(minutes=minutes)
    except ValueError:
        problems.append(Problem("end", unreadable))
    if entry.start is None and not problems:
        problems.append(Problem("date", _("Enter the date and time.")))

    try:
        due = record.get("follow_up_due")
        entry.follow_up_due = None if _blank(due) else dt.date.fromisoformat(_iso_text(str(due))[:10])
    except ValueError:
        problems.append(Problem("follow_up_due", _("A date cannot be read. Use the form 2026-03-31.")))
    try:
        entry.follow_up_done = _as_bool(record.get("follow_up_done"))
    except ValueError:
        problems.append(Problem("follow_up_done", _("Follow-up done: write yes or no (or 1 or 0).")))

    for name in ("mediator", "follow_up", "notes", "district", "outcome", "teacher", "social_worker"):
        if isinstance(record.get(name), (dict, list)):  # would be stored as Python's text of it
            problems.append(Problem(name, _("“{column}” takes text, not a list or an object.").format(column=name)))
    for name in LIST_FIELDS:
        value = record.get(name)
        if isinstance(value, dict) or (isinstance(value, list) and any(isinstance(v, (dict, list)) for v in value)):
            problems.append(Problem(name, _("“{column}” takes a list of codes (texts).").format(column=name)))
    for name in ("mediator", "follow_up", "notes"):
        value = record.get(name)
        setattr(entry, name, "" if _blank(value) or isinstance(value, (dict, list)) else str(value))
    for name in ("district", "outcome"):
        value = record.get(name)
        setattr(entry, name, None if _blank(value) else str(value).strip())
    entry.languages = _as_list(record.get("languages"))
    entry.topics = _as_list(record.get("topics"))

    for column in TYPE_COLUMNS[entry_type]:
        value = record.get(column)
        if column in LIST_FIELDS:
            setattr(entry, column, _as_list(value))
        elif column in INT_FIELDS:
            try:
                setattr(entry, column, _as_int(value))
            except ValueError:
                problems.append(Problem(column, _("“{column}” must be a whole number.").format(column=column)))
        elif column in ("teacher", "social_worker"):
            setattr(entry, column, "" if _blank(value) else str(value).strip())
        elif column == "format":
            entry.format = "tandem" if _blank(value) else str(value).strip().lower()  # type: ignore[attr-defined]
        else:
            setattr(entry, column, None if _blank(value) else str(value).strip())
    for column in ALL_COLUMNS:
        if column not in TYPE_COLUMNS[entry_type] and column not in COMMON_COLUMNS + META_COLUMNS:
            if not _blank(record.get(column)) and record.get(column) != []:
                problems.append(
                    Problem(column, _("“{column}” does not belong to this type of entry.").format(column=column))
                )

    codes = [code.upper() for code in _as_list(record.get("clients"))]  # codes are case-insensitive
    # A person this journal does not hold is exported by id (an entry the team lead shared can link
    # people who were not shared); the importer keeps such a link only where the entry has it.
    codes = [code.lower() if is_client_ref(code) else code for code in codes]
    for code in codes:
        if is_client_ref(code):
            continue
        if not CLIENT_CODE_PATTERN.match(code):
            problems.append(Problem("clients", _("A client code may contain only letters, digits and hyphens.")))
            break
        typo = code_typo(code)
        if typo:
            problems.append(Problem("clients", typo))
            break
    if problems:
        raise RecordError(problems)
    entry.meta = RecordMeta()
    return entry, codes
