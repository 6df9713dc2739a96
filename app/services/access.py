"""Everything this journal holds about one person, for a data subject's access request
(GDPR Art. 15): the register record with its consent, every entry linked to them (as the
export writes it), a list of other entries whose notes name their code or a part of their name
(listed only: those are about someone else), and, on a team lead's journal, the workstations
they are shared with and the values of theirs that lost in sync conflicts.

The result is JSON in the person's favour: codes and labels in the interface language side by
side, dates as ISO text. The file it is written to is NOT encrypted; whoever makes it hands it
over and deletes it (the command line and the desktop say so).
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from app import __version__
from app.domain.entries import CLIENT_KIND_LABELS
from app.domain.mentions import name_parts, people_pattern, person_pattern, redacted
from app.domain.records import entry_to_record
from app.i18n import _, current_language
from app.services.journal import Journal
from app.services.sync import SyncService
from app.sync.replica import client_ids_in


class AccessError(Exception):
    pass


def client_data(journal: Journal, client_id: str, *, now: dt.datetime | None = None) -> dict[str, Any]:
    client = journal.get_client(client_id)
    if client is None:
        raise AccessError(_("There is no such client."))
    catalogs = journal.catalogs
    codes = journal.client_codes()
    sync = SyncService(journal)
    preview = sync.erasure_preview(client_id)  # the linked entries and the mentions, as an erasure finds them

    def labelled(catalog: str, values: list[str]) -> list[dict[str, str]]:
        return [{"code": v, "label": catalogs.label(catalog, v)} for v in values]

    with journal.engine.connect() as conn:
        shared_with = [name for (name,) in conn.exec_driver_sql(
            "SELECT p.name FROM sync_shares s JOIN sync_peers p ON p.device_id = s.device_id "
            "WHERE s.tbl = 'clients' AND s.rid = ? AND s.unshared_at IS NULL ORDER BY p.name", (client_id,))]
        # Everyone else in the register: their codes and names in this person's entries are theirs,
        # named or not on the entry ("Nachbarin Maria Lungu begleitet sie").
        anyone_else = people_pattern(conn.exec_driver_sql(
            "SELECT code, name FROM clients WHERE deleted_at IS NULL AND id != ?", (client_id,)).fetchall(),
            keep=name_parts(client.code, client.name))

    def without_others(text: str, other_ids: list[str]) -> str:
        for other_id in other_ids:
            if other_id != client_id:
                other = journal.get_client(other_id)
                pattern = person_pattern(other.code, other.name) if other is not None else None
                text = redacted(text, pattern)
        return redacted(text, anyone_else)

    about = {rid: journal.get_entry(rid) for rid in preview.linked}
    entries = []
    for entry in about.values():
        if entry is None:
            continue
        record = entry_to_record(entry, codes)
        others = [c for c in entry.client_ids if c != client_id]
        # Other people on a joint entry are not named here (their codes are their data): their
        # codes and name parts become "[…]" in the free text, and the entry is marked to be read
        # first (what else the notes say about them cannot be told apart by a program).
        record["clients"] = [client.code]
        if others:
            record["other_clients"] = len(others)
        for name in ("notes", "follow_up", "teacher", "social_worker"):
            if isinstance(record.get(name), str):
                record[name] = without_others(record[name], others)
        entries.append(record)
    # Other people's entries that name the person: listed, not copied. Their notes are about
    # someone else (Art. 15(4)); whoever answers the request reads them and decides.
    mentions = [{"id": e.id, "type": e.type, "date": e.start.date().isoformat() if e.start else None}
                for e in (journal.get_entry(rid) for rid in preview.mentions) if e is not None]
    held = _conflict_records(journal, client_id, client.code, without_others)
    return {
        "about": _("Everything this journal holds about the client {code}, for their access request. The "
                   "file is not encrypted: hand it over and delete it.").format(code=client.code),
        "made_at": (now or dt.datetime.now()).isoformat(timespec="seconds"),
        "made_by": journal.user_name,
        "application": f"Mediator Log {__version__}",
        "language": current_language(),
        "client": {
            "code": client.code,
            "kind": {"code": client.kind, "label": _(CLIENT_KIND_LABELS.get(client.kind, client.kind))},
            "name": client.name,
            "birth_year": client.birth_year,
            "contact": client.contact,
            "languages": labelled("languages", client.languages),
            "consent_date": client.consent_date.isoformat() if client.consent_date else None,
            "consent_scopes": labelled("consent_scopes", client.consent_scopes),
            "notes": client.notes,
            "created_at": client.meta.created_at,
            "updated_at": client.meta.updated_at,
        },
        "entries": entries,
        "entries_note": _("Entries with \"other_clients\" also concern other people: their codes are left out; "
                          "read the notes and hand over only what concerns this client."),
        "entries_mentioning": mentions,
        "entries_mentioning_note": _("Entries about other people whose notes or follow-up name this client's "
                                     "code or name. They are listed, not copied: read them in the journal and "
                                     "hand over only what concerns this client."),
        "shared_with_workstations": shared_with,
        "conflict_records": held,
        "conflict_records_note": _("Values that lost in a sync conflict and are kept until the team lead "
                                   "resolves it: of this client's record and entries, also entries deleted "
                                   "since. Other people's codes and names are left out."),
    }


def _conflict_records(journal: Journal, client_id: str, code: str, without_others) -> list[dict[str, Any]]:
    """Values that lost in a sync conflict, kept on a team lead's journal until it is resolved:
    of the person's record, and of the losing edits that may be about them (`sync_conflicts.about`:
    everyone the entry was about when the conflict was found, before its deletion or before an edit
    took them off, and whom the merge put on it). The records an erasure of the person takes from
    entries it does not erase whole (app/sync/replica.py `_erase_records`)."""
    with journal.engine.connect() as conn:
        rows = conn.exec_driver_sql(
            "SELECT k.tbl, k.rid, k.field, k.loser_value, k.loser_dev, k.loser_hlc, k.detected_at, e.clients, "
            "e.deleted_at, k.about FROM sync_conflicts k LEFT JOIN entries e ON k.tbl = 'entries' AND e.id = k.rid "
            "ORDER BY k.id").fetchall()
        former: dict[str, list[str]] = {}
        for entry_id, other_id in conn.exec_driver_sql("SELECT entry_id, client_id FROM entry_former_clients"):
            former.setdefault(entry_id, []).append(other_id)

    named = {(rid, dev, hlc): client_ids_in(value) for tbl, rid, field, value, dev, hlc, *_rest in rows
             if tbl == "entries" and field == "clients"}
    held = []
    for tbl, rid, field, value, dev, hlc, found_at, clients, deleted_at, about in rows:
        if tbl == "clients":
            if rid != client_id:
                continue
            others: set[str] = set()
        elif tbl == "entries":
            now_about = client_ids_in(clients) if deleted_at is None else former.get(rid, [])
            # whom the losing edit was about, as kept when it was found (records before 0016: worked out)
            edit_about = client_ids_in(about) if about is not None else named.get((rid, dev, hlc))
            if client_id not in (edit_about if edit_about is not None else now_about):
                continue
            others = (set(edit_about or []) | set(now_about)) - {client_id}
        else:
            continue
        if field == "clients":
            value = [code if i == client_id else "[…]" for i in client_ids_in(value)]
        elif isinstance(value, str):
            value = without_others(value, sorted(others))
        held.append({"record": "client" if tbl == "clients" else "entry",
                     "entry_id": rid if tbl == "entries" else None,
                     "entry_deleted": (deleted_at is not None) if tbl == "entries" else None,
                     "field": field, "value": value, "found_at": found_at})
    return held


def client_data_json(journal: Journal, client_id: str, *, now: dt.datetime | None = None) -> bytes:
    return (json.dumps(client_data(journal, client_id, now=now), ensure_ascii=False, indent=2) + "\n").encode()
