"""Validation with messages a mediator can act on. Each problem names the field it
belongs to, so the form can show it next to that field. Messages are translated
when they are created and never contain personal data.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from app.domain.catalogs import CATALOGS, Catalogs
from app.domain.entries import (
    CODED_FIELDS,
    CONSULTATION,
    OUTREACH_VISIT,
    TANDEM,
    TANDEM_SESSION,
    TRIDEM,
    Client,
    Consultation,
    Entry,
    OutreachVisit,
    TandemSession,
)
from app.i18n import _

MAX_DURATION = dt.timedelta(hours=12)
FUTURE_SLACK = dt.timedelta(minutes=10)
MAX_ROLE_LENGTH = 24
EARLIEST_START = dt.datetime(2000, 1, 1)  # reports cover 2000-2099 (docs/reports.md)
MAX_NOTE_LENGTH = 20_000
MAX_COUNT = 10_000


@dataclass(frozen=True)
class Problem:
    field: str
    message: str


class ValidationError(ValueError):
    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__(" ".join(p.message for p in problems))


def _catalog_title(catalog: str) -> str:
    return _(CATALOGS[catalog])


def validate_entry(
    entry: Entry,
    catalogs: Catalogs,
    *,
    now: dt.datetime,
    previous: Entry | None = None,
) -> list[Problem]:
    """All problems with `entry`; an empty list means it may be saved.

    `previous` is the stored version when editing: retired catalog values it already
    had stay acceptable, so old entries remain editable after a value is retired.
    """
    problems: list[Problem] = []
    add = lambda field, message: problems.append(Problem(field, message))  # noqa: E731

    if entry.start is None:
        add("start", _("Enter the date and time."))
    else:
        if entry.start > now + FUTURE_SLACK:
            add("start", _("The date is in the future. Check the date."))
        elif entry.start < EARLIEST_START:  # 0202 for 2022: such an entry would be in no report
            add("start", _("The date is before the year 2000. Check the year."))
        if entry.end is not None:
            if entry.end < entry.start:
                add("end", _("The end is before the start. Check the times."))
            elif entry.end - entry.start > MAX_DURATION:
                add("end", _("This lasts more than 12 hours. Check the end time."))
        if entry.follow_up_due is not None and entry.follow_up_due < entry.start.date():
            add("follow_up_due", _("The follow-up date is before the date of the entry."))
    if not entry.mediator.strip():
        add("mediator", _("Enter who did this (mediator)."))
    if len(entry.notes) > MAX_NOTE_LENGTH:
        add("notes", _("The note is too long (at most {limit} characters).").format(limit=MAX_NOTE_LENGTH))
    if len(entry.follow_up) > 500:
        add("follow_up", _("The follow-up text is too long (at most {limit} characters).").format(limit=500))

    old_codes = _codes_of(previous) if previous is not None else set()
    for field_name, catalog in CODED_FIELDS[entry.type].items():
        value = getattr(entry, field_name)
        codes = value if isinstance(value, list) else ([value] if value else [])
        for code in codes:
            if not catalogs.knows(catalog, code):
                add(
                    field_name,
                    _("“{code}” is not in the list “{catalog}”. Choose a value from the list.").format(
                        code=code, catalog=_catalog_title(catalog)
                    ),
                )
            elif not catalogs.is_active(catalog, code) and (field_name, code) not in old_codes:
                add(
                    field_name,
                    _("“{label}” is no longer in use. Choose another value.").format(
                        label=catalogs.label(catalog, code)
                    ),
                )
        if isinstance(value, list) and len(set(value)) != len(value):
            add(field_name, _("A value is chosen twice."))

    if entry.type == CONSULTATION:
        problems += _validate_consultation(entry)  # type: ignore[arg-type]
    elif entry.type == TANDEM_SESSION:
        problems += _validate_tandem(entry)  # type: ignore[arg-type]
    elif entry.type == OUTREACH_VISIT:
        problems += _validate_outreach(entry)  # type: ignore[arg-type]
    return problems


def _codes_of(entry: Entry) -> set[tuple[str, str]]:
    found = set()
    for field_name in CODED_FIELDS[entry.type]:
        value = getattr(entry, field_name)
        for code in value if isinstance(value, list) else ([value] if value else []):
            found.add((field_name, code))
    return found


def _count_problem(field: str, value: int | None) -> Problem | None:
    if value is None:
        return None
    if value < 0:
        return Problem(field, _("A number of people cannot be negative."))
    if value > MAX_COUNT:
        return Problem(field, _("This number is too large. Check it."))
    return None


def _validate_consultation(entry: Consultation) -> list[Problem]:
    problems = []
    if not entry.setting:
        problems.append(Problem("setting", _("Choose where the consultation took place.")))
    if entry.setting == "accompaniment" and not entry.accompanied_to:
        problems.append(Problem("accompanied_to", _("Choose the office the person was accompanied to.")))
    return problems


def _validate_tandem(entry: TandemSession) -> list[Problem]:
    problems = []
    if not entry.school:
        problems.append(Problem("school", _("Choose the school.")))
    if entry.format not in (TANDEM, TRIDEM):
        problems.append(Problem("format", _("Choose tandem or tridem.")))
    if not entry.teacher.strip():
        problems.append(Problem("teacher", _("Enter the teacher's role or initials.")))
    if entry.format == TRIDEM and not entry.social_worker.strip():
        problems.append(
            Problem("social_worker", _("A tridem includes the school social worker: enter their role or initials."))
        )
    for field_name in ("teacher", "social_worker"):
        if len(getattr(entry, field_name)) > MAX_ROLE_LENGTH:
            problems.append(Problem(field_name, _("Use a role or initials here, not a full name.")))
    for field_name in ("pupils_count", "families_count"):
        problem = _count_problem(field_name, getattr(entry, field_name))
        if problem:
            problems.append(problem)
    return problems


def _validate_outreach(entry: OutreachVisit) -> list[Problem]:
    problems = []
    if not entry.district:
        problems.append(Problem("district", _("Choose the district.")))
    if not entry.place_type:
        problems.append(Problem("place_type", _("Choose the type of place.")))
    if not entry.purpose:
        problems.append(Problem("purpose", _("Choose the purpose of the visit.")))
    for field_name in ("adults_reached", "children_reached"):
        problem = _count_problem(field_name, getattr(entry, field_name))
        if problem:
            problems.append(problem)
    return problems


def validate_client(client: Client, catalogs: Catalogs, *, today: dt.date) -> list[Problem]:
    problems: list[Problem] = []
    if client.kind not in ("person", "household"):
        problems.append(Problem("kind", _("Choose person or household.")))
    if client.birth_year is not None and not (1900 <= client.birth_year <= today.year):
        problems.append(
            Problem("birth_year", _("The birth year must be between 1900 and {year}.").format(year=today.year))
        )
    if client.consent_scopes and client.consent_date is None:
        problems.append(Problem("consent_date", _("What the consent covers is ticked, but no consent is recorded: "
                                                  "tick “Consent was given” and enter its date.")))
    if client.consent_date is not None and client.consent_date > today:
        problems.append(Problem("consent_date", _("The consent date is in the future. Check the date.")))
    for code in client.languages:
        if not catalogs.knows("languages", code):
            problems.append(
                Problem(
                    "languages",
                    _("“{code}” is not in the list “{catalog}”. Choose a value from the list.").format(
                        code=code, catalog=_catalog_title("languages")
                    ),
                )
            )
    for code in client.consent_scopes:
        if not catalogs.knows("consent_scopes", code):
            problems.append(
                Problem(
                    "consent_scopes",
                    _("“{code}” is not in the list “{catalog}”. Choose a value from the list.").format(
                        code=code, catalog=_catalog_title("consent_scopes")
                    ),
                )
            )
    return problems
