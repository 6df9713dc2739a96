"""Conflicts in words (team lead): a field's name, what happened and a stored value as a person
reads them, in the interface language. Shared by the desktop's conflict view and the command
line's `conflicts` list, so both show the same text. No Qt here."""

from __future__ import annotations

import datetime as dt
import json
from typing import TYPE_CHECKING, Any

from app.domain.catalogs import CATALOGS
from app.domain.entries import ENTRY_TYPE_LABELS
from app.i18n import N_, _
from app.i18n.formats import format_date, format_datetime, format_time

if TYPE_CHECKING:
    from app.services.journal import Journal
    from app.services.sync import ConflictInfo

FIELD_LABELS = {
    "type": N_("Type"), "start": N_("Start"), "end": N_("End"), "mediator": N_("Mediator"),
    "district": N_("District"), "school": N_("School"), "setting": N_("Setting"),
    "accompanied_to": N_("Accompanied to"), "format": N_("Format"), "teacher": N_("Teacher"),
    "social_worker": N_("School social worker"), "pupils_count": N_("Pupils"), "families_count": N_("Families"),
    "place_type": N_("Place"), "purpose": N_("Purpose"), "adults_reached": N_("Adults reached"),
    "children_reached": N_("Children reached"), "languages": N_("Languages"), "topics": N_("Topics"),
    "referrals": N_("Referrals"), "partners": N_("Partners"), "clients": N_("Clients"), "outcome": N_("Outcome"),
    "follow_up": N_("Follow-up"), "follow_up_due": N_("Follow-up due"), "follow_up_done": N_("Follow-up done"),
    "notes": N_("Notes"), "code": N_("Code"), "kind": N_("Person or household"), "name": N_("Name"),
    "birth_year": N_("Year of birth"), "contact": N_("Contact"), "consent_date": N_("Consent"),
    "consent_scopes": N_("Consent covers"), "label": N_("Label"), "labels": N_("Translations"),
    "active": N_("In use"), "sort": N_("Order"), "deleted_at": N_("Deleted"),
}
# Fields holding codes of a reference list, shown with their labels.
CATALOG_OF = {
    "district": ("districts",), "school": ("schools",), "setting": ("settings",), "languages": ("languages",),
    "topics": ("topics", "school_topics"), "referrals": ("services",), "accompanied_to": ("services",),
    "partners": ("partners",), "outcome": ("outcomes",), "place_type": ("place_types",),
    "purpose": ("purposes",), "consent_scopes": ("consent_scopes",),
}
KIND_LABELS = {"concurrent": N_("Changed on two computers"), "deleted": N_("Changed after it was deleted"),
               "duplicate_code": N_("Same client code used for another person")}
DATE_TIMES = {"start", "end"}  # stored as ISO date and time, shown in the locale's format
DATES = {"follow_up_due", "consent_date"}


LEAD = "lead"  # how a bundle's sender, a conflict's device or an export's recipient names the team lead


def peer_label(name: str) -> str:
    """A workstation's name as the user reads it; the team lead's journal in the user's language.
    (`LEAD` itself stays in JSON output and in the data: it is an identifier.)"""
    return _("team lead") if name == LEAD else name


def field_label(name: str) -> str:
    return _(FIELD_LABELS[name]) if name in FIELD_LABELS else name


def display_value(journal: Journal | None, name: str, value: Any) -> str:
    """A stored value as a person reads it (lists joined, codes as their labels)."""
    if value is None or value == "":
        return _("(empty)")
    if name in ("follow_up_done", "active"):
        return _("yes") if value else _("no")
    items = None
    if isinstance(value, str) and value.startswith("["):
        try:
            items = json.loads(value)
        except ValueError:
            items = None
    lists = CATALOG_OF.get(name, ())
    catalogs = journal.catalogs if (journal is not None and lists) else None

    def label(code) -> str:
        for catalog in lists:
            text = catalogs.label(catalog, str(code))
            if text != str(code):
                return text
        return str(code)

    if name == "clients" and isinstance(items, list):
        return ", ".join(client_code(journal, str(v)) for v in items) if items else _("(empty)")
    if isinstance(items, list):
        return ", ".join(label(v) for v in items) if items else _("(empty)")
    if name == "type" and value in ENTRY_TYPE_LABELS:
        return _(ENTRY_TYPE_LABELS[value])
    if name in DATE_TIMES or name in DATES:
        try:
            when = dt.datetime.fromisoformat(str(value))
        except ValueError:
            return str(value)
        return format_datetime(when) if name in DATE_TIMES and "T" in str(value) else format_date(when)
    return label(value)


def client_code(journal: Journal | None, client_id: str) -> str:
    """A client's code, as the register shows it; for someone no longer in it, a mark instead of
    the internal id."""
    client = journal.get_client(client_id) if journal is not None else None
    return client.code if client is not None else _("(not in the register)")


def record_text(journal: Journal | None, c: ConflictInfo) -> str:
    """Which record a conflict is about, as the lead reads it (type and date of an entry, a client's
    code, a reference list's value)."""
    if c.table == "entries":
        entry = journal.get_entry(c.record_id) if journal is not None else None
        if entry is not None:
            return _("{type}, {date}").format(type=_(ENTRY_TYPE_LABELS[entry.type]), date=format_date(entry.start))
        kind = journal.entry_type(c.record_id) if journal is not None else None
        if kind in ENTRY_TYPE_LABELS:  # two deleted entries in the list can at least be told apart by type
            return _("{type} (deleted)").format(type=_(ENTRY_TYPE_LABELS[kind]))
        return _("Entry (deleted)")
    if c.table == "clients":
        client = journal.get_client(c.record_id) if journal is not None else None
        return _("Client {code}").format(code=client.code) if client is not None else _("Client (deleted)")
    catalog, _sep, code = c.record_id.partition("/")
    name = _(CATALOGS[catalog]) if catalog in CATALOGS else catalog
    return _("Reference list {list}: {code}").format(list=name, code=code)


def local_time(iso: str) -> dt.datetime | None:
    """An ISO time as stored (UTC, 'Z') in the computer's local time."""
    if not iso:
        return None
    try:
        value = dt.datetime.fromisoformat(iso.replace("Z", "+00:00"))
    except ValueError:
        return None
    if value.tzinfo is not None:
        value = value.astimezone().replace(tzinfo=None)
    return value


def when_text(iso: str) -> str:
    """Today: the time; another day: date and time; unknown: a dash."""
    value = local_time(iso)
    if value is None:
        return "—"
    return format_time(value) if value.date() == dt.date.today() else format_datetime(value)
