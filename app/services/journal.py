"""An unlocked store: save, find and delete entries, manage clients and catalogs.

Every public method is one short transaction, safe to call from a worker thread.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
from dataclasses import replace
from pathlib import Path

from sqlalchemy.engine import Engine

from app.domain.catalogs import CatalogValue, Catalogs
from app.domain.entries import ENTRY_CLASSES, Client, Entry, RecordMeta
from app.domain.filters import JournalFilter
from app.domain.ids import new_client_code, uuid7
from app.domain.validation import Problem, ValidationError, validate_client, validate_entry
from app.i18n import _
from app.store import repository as repo
from app.store.engine import close_engine, writing
from app.store.repository import JournalRow


def utc_now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class RecordErased(Exception):
    """The entry or client was erased on a data-protection request while a form or window still
    held it (here, or on another journal and brought by a sync). It is never written again, and
    what was typed into it is not kept."""

    def __init__(self):
        super().__init__(_("This record was erased on a data-protection request and cannot be saved again. "
                           "What was typed into it is not kept."))


class Journal:
    def __init__(self, path: Path, engine: Engine):
        self.path = Path(path)
        self.engine = engine
        self._catalogs: Catalogs | None = None
        self._catalog_lock = threading.Lock()
        with engine.connect() as conn:
            self.device_id = repo.get_meta(conn, "device_id") or ""
            self.user_name = repo.get_meta(conn, "user_name") or ""
            self.role = repo.get_meta(conn, "role") or "mediator"
            self.store_id = repo.get_meta(conn, "store_id") or ""

    # -- lifecycle --------------------------------------------------------------------

    def close(self) -> None:
        close_engine(self.engine)

    def __enter__(self) -> Journal:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def set_profile(self, *, name: str | None = None, role: str | None = None) -> None:
        with writing(self.engine) as conn:
            if name is not None:
                repo.set_meta(conn, "user_name", name.strip())
                self.user_name = name.strip()
            if role is not None:
                repo.set_meta(conn, "role", role)
                self.role = role

    def get_setting(self, key: str, default: str = "") -> str:
        with self.engine.connect() as conn:
            value = repo.get_meta(conn, f"setting.{key}")
        return default if value is None else value

    def set_setting(self, key: str, value: str) -> None:
        """Preferences that may reveal something (last district, window state) live
        inside the encrypted store, not in Qt settings."""
        with writing(self.engine) as conn:
            repo.set_meta(conn, f"setting.{key}", value)

    # -- drafts -----------------------------------------------------------------------

    def save_draft(self, key: str, fields: dict) -> None:
        """Keep a half-typed form (JSON-serialisable fields) until it is saved or discarded. Not
        for a record erased meanwhile: a form left open would keep the person's words."""
        with writing(self.engine) as conn:
            kind, _sep, rid = key.partition(":")
            tbl = {"edit": "entries", "client": "clients"}.get(kind)
            if tbl and rid and repo.record_erased(conn, tbl, rid):
                return
            repo.put_draft(conn, key, json.dumps(fields, ensure_ascii=False, sort_keys=True), utc_now())

    def load_draft(self, key: str) -> dict | None:
        with self.engine.connect() as conn:
            payload = repo.get_draft(conn, key)
        return json.loads(payload) if payload is not None else None

    def discard_draft(self, key: str) -> None:
        with writing(self.engine) as conn:
            repo.delete_draft(conn, key)

    def draft_keys(self) -> list[str]:
        with self.engine.connect() as conn:
            return repo.draft_keys(conn)

    # -- catalogs ---------------------------------------------------------------------

    @property
    def catalogs(self) -> Catalogs:
        with self._catalog_lock:
            if self._catalogs is None:
                with self.engine.connect() as conn:
                    self._catalogs = repo.load_catalogs(conn)
            return self._catalogs

    def put_catalog_value(self, value: CatalogValue) -> None:
        """Add a value, rename it (labels) or retire/reactivate it (`active`)."""
        if not value.code.strip() or not value.label.strip():
            raise ValidationError([Problem("code", _("Enter a code and a label."))])
        with writing(self.engine) as conn:
            repo.put_catalog_value(conn, value, utc_now())
        with self._catalog_lock:
            self._catalogs = None

    # -- entries ----------------------------------------------------------------------

    def new_entry(self, entry_type: str, *, now: dt.datetime | None = None) -> Entry:
        """A blank entry with the defaults a mediator expects: now, me, my last district."""
        now = (now or dt.datetime.now()).replace(second=0, microsecond=0)
        entry = ENTRY_CLASSES[entry_type]()
        entry.start = now
        entry.mediator = self.user_name
        last = self.get_setting("last_district")
        if last and self.catalogs.is_active("districts", last):
            entry.district = last
        return entry

    def validate(self, entry: Entry, *, now: dt.datetime | None = None) -> list[Problem]:
        previous = self.get_entry(entry.id) if entry.id else None
        problems = validate_entry(entry, self.catalogs, now=now or dt.datetime.now(), previous=previous)
        if entry.client_ids:
            with self.engine.connect() as conn:
                wanted = set(entry.client_ids)
                # A person linked already whom this journal does not hold: on an entry the lead
                # shared that also names someone not shared with this workstation. The link stays.
                linked_before = set(previous.client_ids) if previous is not None else set()
                if not wanted <= repo.live_client_ids(conn, wanted) | linked_before:
                    problems.append(Problem("clients", _("A client on this entry is not in the register.")))
        return problems

    def save_entry(self, entry: Entry, *, now: dt.datetime | None = None) -> Entry:
        """Validate and save in one transaction; returns the saved copy with its id.
        Saving an unchanged entry writes nothing."""
        problems = self.validate(entry, now=now)
        if problems:
            raise ValidationError(problems)
        with writing(self.engine) as conn:
            saved = self.write_entry_in(conn, entry, utc_now())
            if saved.district:
                repo.set_meta(conn, "setting.last_district", saved.district)
        return saved

    def write_entry_in(self, conn, entry: Entry, stamp: str) -> Entry:
        """Write an already validated entry inside the caller's transaction; an entry
        equal to the stored one is not written. Returns what is stored."""
        entry = normalized(replace(entry, meta=replace(entry.meta)))
        stored = repo.get_entry(conn, entry.id) if entry.id else None
        if stored is None and entry.id and repo.record_erased(conn, "entries", entry.id):
            raise RecordErased()
        if stored is not None:
            if _same_content(stored, entry):
                return stored
            entry.meta = replace(stored.meta, updated_at=stamp, author=self.user_name, device_id=self.device_id)
        else:
            entry.id = entry.id or uuid7()
            entry.meta = RecordMeta(created_at=stamp, updated_at=stamp, author=self.user_name, device_id=self.device_id)
        repo.write_entry(conn, entry)
        return entry

    def get_entry(self, entry_id: str) -> Entry | None:
        with self.engine.connect() as conn:
            return repo.get_entry(conn, entry_id)

    def entry_type(self, entry_id: str) -> str | None:
        """The type of an entry, also of a deleted one (its tombstone keeps the type)."""
        with self.engine.connect() as conn:
            return repo.entry_type_of(conn, entry_id)

    def is_erased(self, tbl: str, rid: str) -> bool:
        """tbl "entries" or "clients": erased on a data-protection request (see RecordErased)."""
        with self.engine.connect() as conn:
            return repo.record_erased(conn, tbl, rid)

    def entry_is_deleted(self, entry_id: str) -> bool:
        """Deleted (a tombstone remains): such an id must never come back to life by an import."""
        with self.engine.connect() as conn:
            return repo.entry_is_tombstone(conn, entry_id)

    def delete_entry(self, entry_id: str) -> Entry | None:
        """Delete (leaving a content-free tombstone); returns what was deleted, for undo."""
        with writing(self.engine) as conn:
            entry = repo.get_entry(conn, entry_id)
            if entry is None:
                return None
            repo.tombstone_entry(conn, entry_id, now=utc_now(), author=self.user_name, device_id=self.device_id)
        return entry

    def restore_entry(self, entry: Entry) -> Entry:
        """Undo a deletion: the entry comes back with the same id. Not an entry erased meanwhile,
        nor one about a person erased meanwhile (their erasure found it deleted, and left it so)."""
        with writing(self.engine) as conn:
            if repo.record_erased(conn, "entries", entry.id) or \
                    any(repo.record_erased(conn, "clients", c) for c in entry.client_ids):
                raise RecordErased()
            restored = replace(entry, meta=replace(entry.meta, updated_at=utc_now(), device_id=self.device_id))
            repo.write_entry(conn, restored)
        return restored

    def list_entries(
        self, flt: JournalFilter = JournalFilter(), *, offset: int = 0, limit: int = 50,
        after: tuple[str, str] | None = None,
    ) -> list[JournalRow]:
        with self.engine.connect() as conn:
            return repo.list_entries(conn, flt, offset=offset, limit=limit, after=after)

    def count_entries(self, flt: JournalFilter = JournalFilter()) -> int:
        with self.engine.connect() as conn:
            return repo.count_entries(conn, flt)

    def all_entries(self) -> list[Entry]:
        with self.engine.connect() as conn:
            return repo.all_entries(conn)

    def follow_ups(self, today: dt.date | None = None) -> list[Entry]:
        """Open follow-ups due today or overdue, oldest first."""
        with self.engine.connect() as conn:
            return repo.open_follow_ups(conn, today or dt.date.today())

    def set_follow_up_done(self, entry_id: str, done: bool = True) -> None:
        entry = self.get_entry(entry_id)
        if entry is not None:
            self.save_entry(replace(entry, follow_up_done=done))

    # -- clients ----------------------------------------------------------------------

    def new_client(self) -> Client:
        with self.engine.connect() as conn:
            code = new_client_code()
            while repo.code_taken(conn, code):
                code = new_client_code()
        return Client(code=code)

    def save_client(self, client: Client, *, today: dt.date | None = None) -> Client:
        client = replace(client, code=(client.code or "").strip().upper(), meta=replace(client.meta))
        if not client.code:
            raise ValidationError([Problem("code", _("Every client needs a code. Keep the suggested one."))])
        problems = validate_client(client, self.catalogs, today=today or dt.date.today())
        if problems:
            raise ValidationError(problems)
        stamp = utc_now()
        with writing(self.engine) as conn:
            stored = repo.get_client(conn, client.id) if client.id else None
            if stored is None and client.id and repo.record_erased(conn, "clients", client.id):
                raise RecordErased()
            if stored is None:
                holder = repo.client_by_code(conn, client.code)
                if holder is not None:
                    raise ValidationError([Problem("code", _("This client code is already in use."))])
                client.id = client.id or uuid7()
                client.meta = RecordMeta(created_at=stamp, updated_at=stamp, author=self.user_name, device_id=self.device_id)
            else:
                if stored == replace(client, meta=stored.meta):
                    return stored
                client.meta = replace(stored.meta, updated_at=stamp, author=self.user_name, device_id=self.device_id)
            repo.write_client(conn, client)
        return client

    def get_client(self, client_id: str) -> Client | None:
        with self.engine.connect() as conn:
            return repo.get_client(conn, client_id)

    def client_by_code(self, code: str) -> Client | None:
        with self.engine.connect() as conn:
            return repo.client_by_code(conn, code)

    def list_clients(self, search: str = "", limit: int = 500) -> list[Client]:
        with self.engine.connect() as conn:
            return repo.list_clients(conn, search, limit)

    def client_codes(self) -> dict[str, str]:
        with self.engine.connect() as conn:
            return repo.client_codes(conn)


def normalized(entry: Entry) -> Entry:
    """The form an entry is stored in: times to the minute, no stray blanks around
    short texts, one kind of line break. Saving returns exactly what a reload gives."""
    if entry.start is not None:
        entry.start = entry.start.replace(second=0, microsecond=0, tzinfo=None)
    if entry.end is not None:
        entry.end = entry.end.replace(second=0, microsecond=0, tzinfo=None)
    entry.mediator = entry.mediator.strip()
    entry.follow_up = entry.follow_up.strip()
    entry.notes = entry.notes.replace("\r\n", "\n").replace("\r", "\n")
    for name in ("teacher", "social_worker"):
        if hasattr(entry, name):
            setattr(entry, name, getattr(entry, name).strip())
    return entry


def _same_content(a: Entry, b: Entry) -> bool:
    return replace(a, meta=RecordMeta()) == replace(b, meta=RecordMeta())
