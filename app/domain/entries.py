"""The three kinds of log entry and the client register.

Times of day (`start`, `end`) are the mediator's local wall-clock time; record
bookkeeping (`created_at`, `updated_at`) is UTC. Multi-valued fields hold catalog
codes, never translated labels.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, fields, replace
from typing import ClassVar

from app.i18n import N_

CONSULTATION = "consultation"
TANDEM_SESSION = "tandem_session"
OUTREACH_VISIT = "outreach_visit"
ENTRY_TYPES = (CONSULTATION, TANDEM_SESSION, OUTREACH_VISIT)
ENTRY_TYPE_LABELS = {
    CONSULTATION: N_("Consultation"),
    TANDEM_SESSION: N_("Tandem session"),
    OUTREACH_VISIT: N_("Outreach visit"),
}

TANDEM = "tandem"
TRIDEM = "tridem"
FORMAT_LABELS = {TANDEM: N_("Tandem (mediator and teacher)"), TRIDEM: N_("Tridem (with school social worker)")}

PERSON = "person"
HOUSEHOLD = "household"
CLIENT_KIND_LABELS = {PERSON: N_("Person"), HOUSEHOLD: N_("Household")}


@dataclass
class RecordMeta:
    """Bookkeeping every synced record carries."""

    created_at: str = ""  # UTC ISO 8601
    updated_at: str = ""
    author: str = ""
    device_id: str = ""


@dataclass
class Entry:
    type: ClassVar[str] = ""

    id: str = ""
    start: dt.datetime | None = None
    end: dt.datetime | None = None
    mediator: str = ""
    languages: list[str] = field(default_factory=list)
    topics: list[str] = field(default_factory=list)
    outcome: str | None = None
    follow_up: str = ""
    follow_up_due: dt.date | None = None
    follow_up_done: bool = False
    notes: str = ""
    district: str | None = None
    client_ids: list[str] = field(default_factory=list)
    meta: RecordMeta = field(default_factory=RecordMeta)

    @property
    def duration_minutes(self) -> int | None:
        if self.start is None or self.end is None:
            return None
        return int((self.end - self.start).total_seconds() // 60)

    @property
    def date(self) -> dt.date | None:
        return self.start.date() if self.start else None

    def copy(self, **changes) -> Entry:
        return replace(self, **changes)

    @classmethod
    def field_names(cls) -> list[str]:
        return [f.name for f in fields(cls) if f.name != "meta"]


@dataclass
class Consultation(Entry):
    type: ClassVar[str] = CONSULTATION

    setting: str | None = None  # catalog "settings"
    accompanied_to: str | None = None  # catalog "services", when setting is accompaniment
    referrals: list[str] = field(default_factory=list)  # catalog "services"


@dataclass
class TandemSession(Entry):
    type: ClassVar[str] = TANDEM_SESSION

    school: str | None = None
    format: str = TANDEM
    teacher: str = ""  # role or initials, never a full name
    social_worker: str = ""
    pupils_count: int | None = None
    families_count: int | None = None


@dataclass
class OutreachVisit(Entry):
    type: ClassVar[str] = OUTREACH_VISIT

    place_type: str | None = None
    purpose: str | None = None
    partners: list[str] = field(default_factory=list)
    adults_reached: int | None = None
    children_reached: int | None = None


ENTRY_CLASSES: dict[str, type[Entry]] = {
    CONSULTATION: Consultation,
    TANDEM_SESSION: TandemSession,
    OUTREACH_VISIT: OutreachVisit,
}

# Which catalog a coded field draws from, per entry type.
CODED_FIELDS: dict[str, dict[str, str]] = {
    CONSULTATION: {
        "languages": "languages",
        "topics": "topics",
        "outcome": "outcomes",
        "district": "districts",
        "setting": "settings",
        "accompanied_to": "services",
        "referrals": "services",
    },
    TANDEM_SESSION: {
        "languages": "languages",
        "topics": "school_topics",
        "outcome": "outcomes",
        "district": "districts",
        "school": "schools",
    },
    OUTREACH_VISIT: {
        "languages": "languages",
        "topics": "topics",
        "outcome": "outcomes",
        "district": "districts",
        "place_type": "place_types",
        "purpose": "purposes",
        "partners": "partners",
    },
}


@dataclass
class Client:
    """A person or household, known by a pseudonymous code. No field for ethnicity, by design."""

    id: str = ""
    code: str = ""
    kind: str = PERSON
    name: str = ""  # optional, only where needed
    birth_year: int | None = None
    contact: str = ""
    languages: list[str] = field(default_factory=list)
    consent_date: dt.date | None = None
    consent_scopes: list[str] = field(default_factory=list)
    notes: str = ""
    meta: RecordMeta = field(default_factory=RecordMeta)

    def display(self) -> str:
        return f"{self.code} · {self.name}" if self.name else self.code
