"""Per-field versions of synced records, and the merge, on an open connection.

Every write goes through one transaction of the caller; nothing here commits.

Tables (created by migration 0004, described in docs/sync-format.md):
- `sync_clock(tbl, rid, origin, lseq, clocks, erased)`: one row per synced record. `clocks` is
  JSON {field: [hlc, device, base, lseq]}; the key "*" is the clock of every field not listed
  (a record is created with all its fields at one stamp, so most rows hold just "*").
  `base` is the stamp of the version the writer replaced (what it had seen), `lseq` a local
  counter of when this replica last changed the field (the lead exports by it).
- `sync_log(seq, tbl, rid, field, value, hlc, base)`: a device's own changes, numbered, kept
  until the lead acknowledges them (every intermediate value, so the lead sees every edit).
- `sync_conflicts`: losing values of concurrent writes (only the lead records them).

Values are the stored column values (text, integer or NULL) of the record tables.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from sqlalchemy.engine import Connection

from app.store import jsontext, search_index
from app.store.engine import driver
from app.store.schema import FORMER_CLIENT, META_UPSERT
from app.sync.hlc import Clock, pack, to_iso, wall_ms

DELETED = "deleted_at"  # the tombstone field: a timestamp when deleted, NULL when alive
ERASED = "_erased"  # data-protection erasure: absorbing, wins over everything
STAR = "*"
CHUNK = 500


@dataclass(frozen=True)
class TableSpec:
    name: str
    key: str  # the column holding the record id ("" for catalog_values: catalog/code)
    fields: tuple[str, ...]  # synced columns
    no_conflict: frozenset[str]  # bookkeeping: last writer wins, never a conflict
    cleared: dict[str, Any]  # content of a tombstone
    required: tuple[str, ...]  # a record cannot be created without these


_ENTRY_FIELDS = (
    "type", "start", "end", "day", "mediator", "district", "school", "setting", "accompanied_to", "format",
    "teacher", "social_worker", "pupils_count", "families_count", "place_type", "purpose", "adults_reached",
    "children_reached", "languages", "topics", "referrals", "partners", "clients", "outcome", "follow_up",
    "follow_up_due", "follow_up_done", "notes", "created_at", "updated_at", "author", "device_id", DELETED,
)
_ENTRY_KEEP = {"type", "created_at", "updated_at", "author", "device_id", DELETED}
_ENTRY_DEFAULTS = {
    "mediator": "", "languages": "[]", "topics": "[]", "referrals": "[]", "partners": "[]", "clients": "[]",
    "follow_up": "", "follow_up_done": 0, "notes": "",
}
_CLIENT_FIELDS = (
    "code", "kind", "name", "birth_year", "contact", "languages", "consent_date", "consent_scopes", "notes",
    "created_at", "updated_at", "author", "device_id", DELETED,
)
_CLIENT_CLEARED = {
    "name": "", "birth_year": None, "contact": "", "languages": "[]", "consent_date": None, "consent_scopes": "[]",
    "notes": "",
}
META_FIELDS = frozenset({"created_at", "updated_at", "author", "device_id", "day"})

SPECS: dict[str, TableSpec] = {
    "entries": TableSpec(
        "entries", "id", _ENTRY_FIELDS, META_FIELDS,
        {f: _ENTRY_DEFAULTS.get(f) for f in _ENTRY_FIELDS if f not in _ENTRY_KEEP},
        ("type", "created_at", "updated_at", "author", "device_id"),
    ),
    "clients": TableSpec(
        "clients", "id", _CLIENT_FIELDS, META_FIELDS, _CLIENT_CLEARED,
        ("code", "kind", "created_at", "updated_at", "author", "device_id"),
    ),
    "catalog_values": TableSpec(
        "catalog_values", "", ("label", "labels", "active", "sort", "updated_at"), frozenset({"updated_at"}), {},
        ("label", "updated_at"),
    ),
}
CONTENT_DEFAULTS = {"entries": _ENTRY_DEFAULTS, "clients": {"name": "", "contact": "", "languages": "[]",
                                                             "consent_scopes": "[]", "notes": ""},
                    "catalog_values": {"labels": "{}", "active": 1, "sort": 0}}


def catalog_rid(catalog: str, code: str) -> str:
    return f"{catalog}/{code}"


# -- replica context ---------------------------------------------------------------------

@dataclass
class Replica:
    """This store's identity and counters, read at the start of a write and saved with it."""

    device_id: str
    role: str
    logging: bool  # a team device: own changes are logged until the lead acknowledges them
    clock: Clock
    lseq: int

    @classmethod
    def load(cls, conn: Connection) -> Replica:
        found = dict(driver(conn).execute(
            "SELECT key, value FROM meta WHERE key IN ('role', 'device_id', 'sync.team_id', 'sync.hlc', 'sync.lseq')"))
        role = found.get("role") or "mediator"
        return cls(
            device_id=found.get("device_id") or "",
            role=role,
            logging=role != "lead" and bool(found.get("sync.team_id")),
            clock=Clock(int(found.get("sync.hlc") or 0)),
            lseq=int(found.get("sync.lseq") or 0),
        )

    def save(self, conn: Connection) -> None:
        driver(conn).executemany(META_UPSERT, [("sync.hlc", str(self.clock.last)), ("sync.lseq", str(self.lseq))])

    def next_lseq(self) -> int:
        self.lseq += 1
        return self.lseq


def _load_clocks(conn: Connection, tbl: str, rids: Sequence[str]) -> dict[str, tuple[str, dict, int]]:
    """rid -> (origin, clocks, erased)"""
    found: dict[str, tuple[str, dict, int]] = {}
    loads = jsontext.loads
    rids = sorted(rids)  # chunks of neighbouring keys: each reads a few adjacent pages, not pages all over
    for i in range(0, len(rids), CHUNK):
        chunk = rids[i: i + CHUNK]
        marks = ",".join("?" * len(chunk))
        for rid, origin, clocks, erased in driver(conn).execute(
            f"SELECT rid, origin, clocks, erased FROM sync_clock WHERE tbl = ? AND rid IN ({marks})",
            (tbl, *chunk),
        ):
            found[rid] = (origin, loads(clocks), erased)
    return found


def _save_clocks(conn: Connection, rows: list[tuple]) -> None:
    """rows of (tbl, rid, origin, lseq, clocks dict, erased)"""
    if rows:
        driver(conn).executemany(
            "INSERT OR REPLACE INTO sync_clock (tbl, rid, origin, lseq, clocks, erased) VALUES (?, ?, ?, ?, ?, ?)",
            # In key order: the same 26,516 rows in the order a bundle brings them took 0.15 s, sorted 0.08 s.
            sorted((t, r, o, lseq, _clocks_json(c), e) for t, r, o, lseq, c, e in rows),
        )


_JSON_STRINGS: dict[str, str] = {}


def _json_string(value: str) -> str:
    text = json.dumps(value)
    if len(_JSON_STRINGS) < 10_000:  # field names and device ids: a few dozen
        _JSON_STRINGS[value] = text
    return text


def _clocks_json(clocks: dict) -> str:
    """json.dumps(clocks, separators=(",", ":")), the same text, written directly: a merge encodes
    one per record, and the general encoder took half of the time of writing the version rows."""
    parts = []
    for name, version in clocks.items():
        if type(name) is not str or type(version) is not list or len(version) != 4:
            return json.dumps(clocks, separators=(",", ":"))
        hlc, dev, base, lseq = version
        if type(hlc) is not int or type(base) is not int or type(lseq) is not int or type(dev) is not str:
            return json.dumps(clocks, separators=(",", ":"))
        key = _JSON_STRINGS.get(name) or _json_string(name)
        text = _JSON_STRINGS.get(dev) or _json_string(dev)
        parts.append(f"{key}:[{hlc},{text},{base},{lseq}]")
    return "{" + ",".join(parts) + "}"


def _clock_of(clocks: dict, name: str) -> list | None:
    return clocks.get(name) or clocks.get(STAR)


def _select_rows(conn: Connection, tbl: str, rids: Sequence[str], columns: Sequence[str]) -> dict[str, dict]:
    spec = SPECS[tbl]
    cols = ", ".join(f'"{c}"' for c in columns)
    found: dict[str, dict] = {}
    rids = sorted(rids)
    for i in range(0, len(rids), CHUNK):
        chunk = rids[i: i + CHUNK]
        marks = ",".join("?" * len(chunk))
        if spec.key:
            sql = f'SELECT "{spec.key}", {cols} FROM {tbl} WHERE "{spec.key}" IN ({marks})'
            params: tuple = tuple(chunk)
        else:
            sql = f"SELECT catalog || '/' || code, {cols} FROM {tbl} WHERE catalog || '/' || code IN ({marks})"
            params = tuple(chunk)
        for row in driver(conn).execute(sql, params):
            found[row[0]] = dict(zip(columns, row[1:]))
    return found


# What the merge reads of an existing entry besides the fields its changes name: its seq and
# whether it is live; and, when a change names one of `_ENTRY_TEXT`, the key of its full-text row
# and the text (the row is indexed again). Code in `_apply_table` that reads another column of the
# old row for every record must add it here: a column not read is simply absent (None to `.get`,
# the same before and after the merge), not an error. (The reporting rows need nothing: the
# triggers that note an entry for them read the row itself.)
_ENTRY_ALWAYS = frozenset(("seq", DELETED))
_ENTRY_TEXT = frozenset(("type", "start", "notes", "follow_up"))
_ENTRY_ALL = (*_ENTRY_FIELDS, "seq")


def _select_entries(conn: Connection, groups, *, everything: bool) -> dict[str, dict]:
    """The current rows of the entries the groups change, each with the columns its merge reads:
    the fields its changes name, `_ENTRY_ALWAYS`, and `_ENTRY_TEXT` if they name one of it; every
    column for a deletion or an erasure (the tombstone clears the content and records what it
    overrode), or with `everything` (erased clients: the links of every entry are checked). An edit of the notes reads 7 of the 34 columns,
    one of the outcome 4.
    Fetching a column is most of a read: for the 26,516 rows of the 100,000-change sync bench, every
    column took 0.24 s, the keys alone 0.04 s (cached pages), and the merge's read went from
    0.41-0.56 s to 0.29-0.31 s."""
    names: dict[str, set] = {}
    for _tbl, rid, _origin, changes in groups:
        names.setdefault(rid, set()).update(c.field for c in changes)
    by_columns: dict[frozenset | None, list[str]] = defaultdict(list)
    fields = frozenset(_ENTRY_FIELDS)
    for rid, wanted in names.items():
        if everything or DELETED in wanted or ERASED in wanted:
            by_columns[None].append(rid)
            continue
        wanted &= fields
        if not wanted.isdisjoint(_ENTRY_TEXT):
            wanted |= _ENTRY_TEXT
        by_columns[frozenset(wanted | _ENTRY_ALWAYS)].append(rid)
    found: dict[str, dict] = {}
    for columns, rids in by_columns.items():
        found.update(_select_rows(conn, "entries", rids, _ENTRY_ALL if columns is None else
                                  [c for c in _ENTRY_ALL if c in columns]))
    return found


# -- recording local writes --------------------------------------------------------------

def _origin_for(tbl: str, replica: Replica) -> str:
    return STAR if tbl == "catalog_values" else replica.device_id


# A workstation's own field change, kept until the lead acknowledges it: (tbl, rid, field, value, hlc, base)
_LOG_CHANGE = "INSERT INTO sync_log (tbl, rid, field, value, hlc, base) VALUES (?, ?, ?, ?, ?, ?)"


def track(conn: Connection, tbl: str, pairs: Iterable[tuple[str, dict | None, dict]]) -> int:
    """Record local writes: `pairs` of (rid, row before or None, row after) with the synced
    columns. A field whose value is unchanged is no change. Returns the number of field changes."""
    pairs = list(pairs)
    if not pairs:
        return 0
    spec = SPECS[tbl]
    replica = Replica.load(conn)
    clocks_found = _load_clocks(conn, tbl, [rid for rid, _, _ in pairs])
    clock_rows, log_rows = [], []
    total = 0
    for rid, old, new in pairs:
        origin, clocks, erased = clocks_found.get(rid, (_origin_for(tbl, replica), {}, 0))
        if erased:
            continue
        if new.get(DELETED) is not None:
            # A tombstone carries only the deletion and bookkeeping; the cleared content is implied.
            names = [f for f in spec.fields if f == DELETED or f in spec.no_conflict]
        else:
            names = list(spec.fields)
        if old is None or not clocks:
            changed = names
        else:
            changed = [f for f in names if old.get(f) != new.get(f)]
        if not changed:
            continue
        stamp = replica.clock.tick()
        lseq = replica.next_lseq()
        dev = replica.device_id
        if not clocks:
            clocks = {STAR: [stamp, dev, 0, lseq]}
            bases = dict.fromkeys(changed, 0)
        else:
            bases = {}
            for name in changed:
                if name == DELETED:
                    # What the deleter had seen of the other writers' versions: a version by another
                    # device newer than this was not seen, so it is concurrent with the deletion.
                    bases[name] = max((c[0] for c in clocks.values() if c[1] != dev), default=0)
                else:
                    bases[name] = (_clock_of(clocks, name) or [0])[0]
                clocks[name] = [stamp, dev, bases[name], lseq]
        clock_rows.append((tbl, rid, origin, lseq, clocks, 0))
        if replica.logging:
            log_rows.extend((tbl, rid, name, new.get(name), stamp, bases[name]) for name in changed)
        total += len(changed)
    _save_clocks(conn, clock_rows)
    if log_rows:
        conn.exec_driver_sql(_LOG_CHANGE, log_rows)
    replica.save(conn)
    return total


def snapshot(conn: Connection, tbl: str, rids: Sequence[str]) -> dict[str, dict]:
    """The synced columns of records as they are now (call before a write, pass to `track`)."""
    return _select_rows(conn, tbl, rids, SPECS[tbl].fields)


# -- erasure -------------------------------------------------------------------------------

def erase_client(conn: Connection, client_id: str) -> int:
    """Erase a person everywhere: the client, every entry linked to them, their conflict
    records and unsent changes. Returns the number of entries erased that were not deleted (what
    the erasure's preview counts; their deleted entries go too). Syncs as one change."""
    replica = Replica.load(conn)
    live = conn.exec_driver_sql("SELECT count(*) FROM entry_clients WHERE client_id = ?", (client_id,)).scalar()
    stamp = replica.clock.tick()
    clock = [stamp, replica.device_id, 0, replica.next_lseq()]
    origin = _load_clocks(conn, "clients", [client_id]).get(client_id, (replica.device_id, {}, 0))[0]
    entries = _erase(conn, "clients", {client_id: (origin, clock)}, replica)
    if replica.logging:
        # The entries too, not only the person: a replica where an entry was deleted meanwhile no
        # longer links it to them, and could not derive its erasure (nor drop its conflict records).
        conn.exec_driver_sql(_LOG_CHANGE, [("clients", client_id, ERASED, 1, stamp, 0),
                                           *(("entries", rid, ERASED, 1, stamp, 0) for rid in entries)])
    replica.save(conn)
    return live


def _erase(conn: Connection, tbl: str, targets: dict[str, tuple[str, list]], replica: Replica) -> list[str]:
    """Erase records (rid -> (origin, erasure clock)); linked entries of erased clients follow,
    with the client's erasure clock, so every replica derives the same. Returns the ids of the
    entries erased.

    Nothing of the person may stay readable to whoever unlocks the journal later: SQLite's
    secure_delete zeroes the space the cleared values and freed pages leave, the full-text index
    is rewritten without the erased rows (FTS5 only marks a deleted row; its words stayed in the
    index, also from entries deleted earlier), and drafts that hold the person go too."""
    raw = driver(conn)
    was_secure = raw.execute("PRAGMA secure_delete").fetchone()[0]
    raw.execute("PRAGMA secure_delete = ON")
    try:
        erased = _erase_records(conn, tbl, targets, replica)
        search_index.compact(conn)
    finally:
        raw.execute(f"PRAGMA secure_delete = {int(was_secure)}")
    return erased


def _erase_drafts(conn: Connection, entry_ids: Iterable[str], client_ids: Iterable[str], codes: set[str]) -> None:
    """Drafts of the erased entries and clients, and new-entry drafts that name the person's code."""
    doomed = {f"edit:{rid}" for rid in entry_ids} | {f"client:{rid}" for rid in client_ids}
    for key, payload in driver(conn).execute("SELECT key, payload FROM drafts").fetchall():
        if key in doomed:
            continue
        try:
            typed = json.loads(payload).get("record", {}).get("clients") or []
        except (ValueError, AttributeError):
            continue
        if codes & {str(code).strip().upper() for code in typed}:
            doomed.add(key)
    driver(conn).executemany("DELETE FROM drafts WHERE key = ?", [(key,) for key in doomed])


def _erase_records(conn: Connection, tbl: str, targets: dict[str, tuple[str, list]], replica: Replica) -> list[str]:
    entry_targets: dict[str, tuple[str, list]] = {}
    former_entries: set[str] = set()  # deleted entries formerly about an erased client (entry_former_clients)
    codes: set[str] = set()
    if tbl == "clients":
        rids = list(targets)
        for i in range(0, len(rids), CHUNK):
            chunk = rids[i: i + CHUNK]
            marks = ",".join("?" * len(chunk))
            codes |= {row[0] for row in driver(conn).execute(
                f"SELECT code FROM clients WHERE id IN ({marks})", tuple(chunk))}
        for i in range(0, len(rids), CHUNK):
            chunk = rids[i: i + CHUNK]
            marks = ",".join("?" * len(chunk))
            for entry_id, client_id in conn.exec_driver_sql(
                f"SELECT entry_id, client_id FROM entry_clients WHERE client_id IN ({marks})", tuple(chunk)
            ):
                entry_targets.setdefault(entry_id, targets[client_id])
            # Their entries deleted before: content-free, and not erased (what this journal remembers
            # of a deletion may be out of date: the entry restored elsewhere about someone else, and
            # an erasure would win everywhere), but their drafts go (below) ...
            former_entries.update(rid for (rid,) in conn.exec_driver_sql(
                "SELECT f.entry_id FROM entry_former_clients f JOIN entries e ON e.id = f.entry_id "
                f"WHERE e.deleted_at IS NOT NULL AND f.client_id IN ({marks})", tuple(chunk)))
        # ... and, from records found before `about` was kept (migration 0016), their conflict records.
        driver(conn).executemany("DELETE FROM sync_conflicts WHERE tbl = 'entries' AND about IS NULL AND rid = ?",
                                 [(rid,) for rid in sorted(former_entries)])
        # A value that lost may still name the person in a conflict record. An entry deleted here no
        # longer links them: such an entry was theirs, and its conflict records may hold their notes,
        # so it is erased. A live entry about other people only loses the conflict records naming them.
        for client_id in rids:
            for entry_id, deleted_at in conn.exec_driver_sql(
                    "SELECT DISTINCT k.rid, e.deleted_at FROM sync_conflicts k LEFT JOIN entries e ON e.id = k.rid "
                    "WHERE k.tbl = 'entries' AND k.field = 'clients' AND instr(k.loser_value, ?) > 0", (client_id,)):
                if deleted_at is not None:
                    entry_targets.setdefault(entry_id, targets[client_id])
            # A losing edit about the person goes whole, all its fields (its notes were written about
            # them too), whatever happened to its other records (Keep on its list of clients, say):
            # by `about`, or, in records found before it was kept, by the list of clients it wrote.
            conn.exec_driver_sql(
                "DELETE FROM sync_conflicts WHERE tbl = 'entries' AND (rid, loser_dev, loser_hlc) IN ("
                "SELECT rid, loser_dev, loser_hlc FROM sync_conflicts WHERE tbl = 'entries' AND "
                "(instr(about, ?) > 0 OR (about IS NULL AND field = 'clients' AND instr(loser_value, ?) > 0)))",
                (json.dumps(client_id), client_id))  # quoted: an imported id may be part of another
        now = to_iso(replica.clock.last)
        conn.exec_driver_sql(
            "UPDATE clients SET code = id, name = '', birth_year = NULL, contact = '', languages = '[]', "
            "consent_date = NULL, consent_scopes = '[]', notes = '', deleted_at = coalesce(deleted_at, ?) "
            "WHERE id = ?",
            [(now, rid) for rid in rids],
        )
    else:
        entry_targets = dict(targets)
    if entry_targets:
        known = _load_clocks(conn, "entries", list(entry_targets))
        entry_targets = {
            rid: (known.get(rid, (origin, {}, 0))[0], clock) for rid, (origin, clock) in entry_targets.items()
            if not known.get(rid, ("", {}, 0))[2]
        }
        _tombstone_entries(conn, list(entry_targets), to_iso(replica.clock.last))
    all_targets = [("clients" if tbl == "clients" else "entries", rid, o, c) for rid, (o, c) in targets.items()]
    if tbl == "clients":
        all_targets += [("entries", rid, o, c) for rid, (o, c) in entry_targets.items()]
    # The erasure's version carries this replica's change number, so the lead passes on an erasure
    # that reached it from one workstation to the others that hold the record (shared records).
    numbers = [replica.next_lseq() for _ in all_targets]
    _save_clocks(conn, [(t, rid, o, n, {ERASED: [c[0], c[1], c[2], n]}, 1)
                        for (t, rid, o, c), n in zip(all_targets, numbers)])
    by_table: dict[str, list[str]] = defaultdict(list)
    for t, rid, _o, _c in all_targets:
        conn.exec_driver_sql("DELETE FROM sync_conflicts WHERE tbl = ? AND rid = ?", (t, rid))
        by_table[t].append(rid)
    # The log has no index by record (migration 0014): one pass over it per table and chunk.
    for t, rids in by_table.items():
        for i in range(0, len(rids), CHUNK):
            chunk = rids[i: i + CHUNK]
            conn.exec_driver_sql(
                f"DELETE FROM sync_log WHERE tbl = ? AND field != ? AND rid IN ({','.join('?' * len(chunk))})",
                (t, ERASED, *chunk))
    _erase_drafts(conn, [*by_table.get("entries", []), *former_entries], by_table.get("clients", []), codes)
    return list(entry_targets)


def _tombstone_entries(conn: Connection, ids: list[str], now: str) -> None:
    if not ids:
        return
    cleared = SPECS["entries"].cleared
    sets = ", ".join(f'"{c}" = ?' for c in cleared)
    for i in range(0, len(ids), CHUNK):
        chunk = ids[i: i + CHUNK]
        marks = ",".join("?" * len(chunk))
        live = conn.exec_driver_sql(
            f"SELECT seq, type, start FROM entries WHERE deleted_at IS NULL AND id IN ({marks})", tuple(chunk)).fetchall()
        search_index.remove(conn, live)
        conn.exec_driver_sql(f"DELETE FROM entry_clients WHERE entry_id IN ({marks})", tuple(chunk))
        conn.exec_driver_sql(f"DELETE FROM entry_former_clients WHERE entry_id IN ({marks})", tuple(chunk))
    conn.exec_driver_sql(
        f"UPDATE entries SET {sets}, deleted_at = coalesce(deleted_at, ?) WHERE id = ?",
        [(*cleared.values(), now, rid) for rid in ids],
    )


# -- merging received changes ----------------------------------------------------------------

class Change(NamedTuple):
    field: str
    value: Any
    hlc: int
    dev: str
    base: int


@dataclass
class ApplyResult:
    changes: int = 0  # field changes received
    known: int = 0  # of those, versions this journal had already (an earlier bundle carried them too)
    applied: int = 0  # field versions that became current here
    conflicts: int = 0  # conflict records written
    rows: int = 0  # records created or changed
    erased: int = 0
    skipped: int = 0  # for records not (yet) known here and incomplete
    max_hlc: int = 0
    notes: list[str] = field(default_factory=list)


def _empty(value: Any) -> bool:
    return value is None or value == "" or value == "[]" or value == 0


def apply(conn: Connection, groups: list[tuple[str, str, str, list[Change]]], *, record_conflicts: bool,
          replica: Replica | None = None) -> ApplyResult:
    """Merge received changes, grouped per record as (tbl, rid, origin, changes).

    Per field the version with the larger (hlc, device) wins, on every replica alike. With
    `record_conflicts` (the lead), a losing value written without knowledge of the winner
    (its base is not the other's stamp) is kept in `sync_conflicts`; so is an edit the
    deleter had not seen (edit vs delete: the deletion stands). An erasure wins over all.
    """
    result = ApplyResult()
    replica = replica or Replica.load(conn)
    by_table: dict[str, list] = defaultdict(list)
    for group in groups:
        if group[0] in SPECS:
            by_table[group[0]].append(group)
    for tbl in ("catalog_values", "clients", "entries"):  # clients first: entries may link to them
        if by_table.get(tbl):
            _apply_table(conn, tbl, by_table[tbl], record_conflicts, replica, result)
    replica.clock.observe(result.max_hlc)
    replica.save(conn)
    return result


def _apply_table(conn, tbl, groups, record_conflicts, replica, result) -> None:
    spec = SPECS[tbl]
    rids = list(dict.fromkeys(g[1] for g in groups))
    clocks_found = _load_clocks(conn, tbl, rids)
    erased_clients: dict[str, list] = {}
    if tbl == "entries":
        erased_clients = _erased_client_ids(conn, groups)
        rows_found = _select_entries(conn, groups, everything=bool(erased_clients))
    else:
        rows_found = _select_rows(conn, tbl, rids, spec.fields)
    open_conflicts: dict[tuple[str, str], set[int]] = defaultdict(set)
    if record_conflicts:
        for i in range(0, len(rids), CHUNK):
            chunk = rids[i: i + CHUNK]
            marks = ",".join("?" * len(chunk))
            for rid, name, hlc in driver(conn).execute(
                f"SELECT rid, field, loser_hlc FROM sync_conflicts WHERE tbl = ? AND rid IN ({marks})",
                (tbl, *chunk),
            ):
                open_conflicts[(rid, name)].add(hlc)

    codes_in_use = _codes_in_use(conn, groups) if tbl == "clients" else {}
    renamed_here: list[tuple] = []  # sync_log rows of codes this workstation changed while merging
    clock_rows, inserts, updates, conflicts, dismiss = [], [], [], [], []
    erase_targets: dict[str, tuple[str, list]] = {}
    fts_delete, fts_insert, fts_keyed, links_reset = [], [], [], []
    formerly, revived = [], []  # entry_former_clients rows to keep, entries whose rows go
    merged_groups: dict[str, tuple[str, list[Change]]] = {}
    for _tbl, rid, origin, changes in groups:
        if rid in merged_groups:
            merged_groups[rid][1].extend(changes)
        else:
            merged_groups[rid] = (origin, list(changes))
    # Loop-invariant lookups, bound once: this loop runs once per record of a bundle (100,000s).
    fields = frozenset(spec.fields)
    last_writer_wins = spec.no_conflict | {"type"}
    defaults = {name: CONTENT_DEFAULTS[tbl].get(name) for name in spec.fields}
    entries = tbl == "entries"
    for rid, (origin, changes) in merged_groups.items():
        result.changes += len(changes)
        # One pass: the newest clock, whether all changes share one stamp (a new record's fields
        # do, and an edit's field and updated_at), and whether an erasure or a deletion is among them.
        first = changes[0] if changes else None
        top = max(c.hlc for c in changes)
        one_stamp, special = True, False
        for c in changes:
            if c.hlc != first.hlc or c.dev != first.dev:
                one_stamp = False
            if c.field == ERASED or c.field == DELETED:
                special = True
        if top > result.max_hlc:
            result.max_hlc = top
        known_origin, clocks, erased = clocks_found.get(rid, (origin, {}, 0))
        if erased:
            continue
        if special:
            erasure = [c for c in changes if c.field == ERASED]
            if erasure:
                first = min(erasure, key=lambda c: (c.hlc, c.dev))
                erase_targets[rid] = (known_origin, [first.hlc, first.dev, 0, 0])
                continue
        old = rows_found.get(rid)
        # `clocks` was decoded for this record alone: changed in place, no copy needed.
        if old is None:
            present = {c.field for c in changes}
            if any(name not in present for name in spec.required):
                result.skipped += len(changes)
                continue
            row = dict(defaults)
        else:
            row = dict(old)
        changed: dict[str, None] = {}  # ordered, so the change numbers below are given in a fixed order
        field_conflicts = []
        # A new record's fields share one stamp: no need to sort them unless a deletion must come first.
        if not one_stamp or (special and any(c.field == DELETED for c in changes[1:])):
            changes = sorted(changes, key=lambda c: (c.hlc, c.dev, c.field != DELETED))
        deleted = row.get(DELETED) is not None
        star = clocks.get(STAR)
        for c in changes:
            name = c.field
            if name not in fields:
                continue
            cur = clocks.get(name) or star
            if cur is None:
                wins = True
            else:
                if cur[0] == c.hlc and cur[1] == c.dev:
                    result.known += 1
                    continue  # already have this version
                wins = c.hlc > cur[0] or (c.hlc == cur[0] and c.dev > cur[1])
            if name == DELETED:
                if wins:
                    if c.value is not None and not deleted:
                        if record_conflicts:
                            for other in spec.fields:
                                if other in spec.no_conflict or other == DELETED or other == "type":
                                    continue
                                fc = clocks.get(other) or star
                                if fc and fc[1] != c.dev and fc[0] > c.base and not _empty(row.get(other)):
                                    field_conflicts.append((other, row.get(other), fc[0], fc[1], "deleted"))
                        row.update(spec.cleared)
                    row[DELETED] = c.value
                    deleted = c.value is not None
                    clocks[DELETED] = [c.hlc, c.dev, c.base, 0]
                    changed[DELETED] = None
                continue
            if name in last_writer_wins:
                if wins:
                    row[name] = c.value
                    clocks[name] = [c.hlc, c.dev, c.base, 0]
                    changed[name] = None
                continue
            if deleted:
                dclock = clocks.get(DELETED) or [0, "", 0]
                if record_conflicts and c.dev != dclock[1] and c.hlc > dclock[2] and not _empty(c.value):
                    field_conflicts.append((name, c.value, c.hlc, c.dev, "deleted"))
                if wins:
                    clocks[name] = [c.hlc, c.dev, c.base, 0]
                    changed[name] = None
                continue
            if wins:
                # One device's writes are ordered: a newer value that it wrote on top of a version later
                # than the one here replaced it knowingly (the bundles between have not arrived: a gap).
                # Written on top of an older one, the device was restored from a backup: a conflict.
                if record_conflicts and cur is not None and old is not None and c.base != cur[0] \
                        and not (cur[1] == c.dev and c.base > cur[0]) and row.get(name) != c.value:
                    field_conflicts.append((name, row.get(name), cur[0], cur[1], "concurrent"))
                row[name] = c.value
                clocks[name] = [c.hlc, c.dev, c.base, 0]
                changed[name] = None
            elif record_conflicts and cur[2] != c.hlc and not (cur[1] == c.dev and c.hlc < cur[2]) \
                    and row.get(name) != c.value:
                # (A late, older value of the device that wrote the current one on top of a later
                # version is one it replaced itself: no conflict.)
                field_conflicts.append((name, c.value, c.hlc, c.dev, "concurrent"))
            if record_conflicts and open_conflicts and c.base in open_conflicts.get((rid, name), ()):
                dismiss.append((tbl, rid, name, c.base))
            if field_conflicts and c.base:
                # Its writer had seen that version (its own typo, corrected in the same bundle): a
                # losing value it replaced knowingly is no conflict, as for one recorded before.
                field_conflicts = [fc for fc in field_conflicts if not (fc[0] == name and fc[2] == c.base)]
        if tbl == "clients" and "code" in changed and row.get(DELETED) is None:
            taken_by = codes_in_use.get(row.get("code"))
            if taken_by is not None and taken_by != rid:
                # Two workstations gave the same code to different people (likely with codes from an
                # old spreadsheet). Both records are kept: this one gets a free variant of the code as a
                # change made here (so it syncs back), and the original code is kept for review.
                incoming = clocks["code"]
                original = row["code"]
                row["code"] = _free_code(conn, original, codes_in_use)
                # Stamped after every version this record brought (a sender's clock may run ahead of
                # ours), or the renamed code lost against the sender's own and never reached it.
                replica.clock.observe(top)
                stamp = replica.clock.tick()
                clocks["code"] = [stamp, replica.device_id, incoming[0], 0]
                if replica.logging:  # a workstation's rename is its own change: the lead must hear of it
                    renamed_here.append((tbl, rid, "code", row["code"], stamp, incoming[0]))
                if record_conflicts:
                    field_conflicts.append(("code", original, incoming[0], incoming[1], "duplicate_code"))
            if old is not None and old.get("code") != row["code"] and codes_in_use.get(old.get("code")) == rid:
                del codes_in_use[old["code"]]
            codes_in_use[row["code"]] = rid
        if not changed and not field_conflicts:
            continue
        # The field versions that became current here get one new change number, as a local write's
        # do: so a new record's fields keep sharing one clock and are stored once, as "*".
        if changed:
            replica.lseq += 1
            for name in changed:
                clocks[name][3] = replica.lseq
        if old is None:
            clocks = _compact(clocks, spec.fields)
        result.applied += len(changed)
        # The fields just changed got the newest lseq; only a conflicts-only record needs the scan.
        lseq = replica.lseq if changed else max(v[3] for v in clocks.values())
        clock_rows.append((tbl, rid, known_origin, lseq, clocks, 0))
        for name, value, hlc, dev, kind in field_conflicts:
            conflicts.append((tbl, rid, name, hlc, dev, value, kind))
        if not changed:
            continue
        result.rows += 1
        if entries and row.get(DELETED) is None and erased_clients:
            hit = sorted(set(json.loads(row.get("clients") or "[]")) & erased_clients.keys())
            if hit:
                erase_targets[rid] = (known_origin, erased_clients[hit[0]])
        if old is None:
            inserts.append(dict(row, _rid=rid))
        else:
            # Only fields that won can differ, unless a deletion cleared the content.
            candidates = spec.fields if DELETED in changed else changed
            updates.append((rid, row, tuple(sorted(n for n in candidates if old.get(n) != row.get(n)))))
        if entries:
            was_live = old is not None and old.get(DELETED) is None
            live = row.get(DELETED) is None
            # the index key holds the type and start, so changing either re-keys the row
            text_changed = old is None or old.get("notes") != row.get("notes") \
                or old.get("follow_up") != row.get("follow_up") or old.get("type") != row.get("type") \
                or old.get("start") != row.get("start") or old.get(DELETED) != row.get(DELETED)
            if was_live and (text_changed or not live):
                fts_delete.append((old["seq"], old["type"], old["start"]))
            if live and (text_changed or not was_live):
                text = search_index.body(row.get("notes"), row.get("follow_up"))
                if old is None:  # its seq is given by the insert below
                    fts_insert.append((rid, text))
                else:
                    fts_keyed.append((search_index.key(old["seq"], row.get("type"), row.get("start")), text))
            if old is None or old.get("clients") != row.get("clients"):
                links_reset.append((rid, json.loads(row.get("clients") or "[]")))
                if was_live and not live:  # as a local deletion does (repository.tombstone_entry)
                    formerly.extend((rid, c, 1) for c in json.loads(old.get("clients") or "[]"))
                elif was_live:  # clients an edit took off it (as repository.write_entry records them)
                    kept = set(json.loads(row.get("clients") or "[]"))
                    formerly.extend((rid, c, 0) for c in json.loads(old.get("clients") or "[]") if c not in kept)
            if old is not None and live and not was_live:
                revived.append((rid,))

    # Whom each losing edit was about, from the entries as they are before this merge writes them.
    about = _losing_edits_about(conn, conflicts, merged_groups) if conflicts and entries else {}
    _save_clocks(conn, clock_rows)
    if renamed_here:
        conn.exec_driver_sql(_LOG_CHANGE, renamed_here)
    # The reporting rows are not written here: as for a save, the triggers of migration 0008 note
    # each new entry and each entry whose reported columns change in `report_stale`, and the first
    # read of the reporting tables brings them up to date (reporting.catch_up).
    _write_rows(conn, tbl, inserts, updates)
    if tbl == "entries":
        search_index.remove(conn, fts_delete)
        search_index.add_keyed(conn, fts_keyed)
        if fts_insert:
            search_index.add(conn, fts_insert)
        # Not compacted ('optimize' rewrote the whole index: 0.2-0.35 s and 16.6 MB of WAL after the
        # 100,000-change sync bench). The merge adds one segment, which FTS5's automerge folds in
        # with later writes; until then a typed search at 100,000 entries takes 3.3 ms, not 1.9 ms
        # (goal 5 ms; docs/benchmarks.md, sync section).
        if links_reset:
            driver(conn).executemany("DELETE FROM entry_clients WHERE entry_id = ?", [(r,) for r, _ in links_reset])
            links = [(r, c) for r, ids in links_reset for c in dict.fromkeys(ids)]
            if links:
                driver(conn).executemany("INSERT INTO entry_clients (entry_id, client_id) VALUES (?, ?)", links)
        if formerly:
            driver(conn).executemany(FORMER_CLIENT, formerly)
        if revived:
            driver(conn).executemany("DELETE FROM entry_former_clients WHERE entry_id = ? AND at_deletion = 1", revived)
    if about:
        conflicts = _without_erased_people(conn, conflicts, about)
    if conflicts:
        conn.exec_driver_sql(
            "INSERT OR IGNORE INTO sync_conflicts (tbl, rid, field, loser_hlc, loser_dev, loser_value, kind, "
            "detected_at, about) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            # When this import found it (the replica's clock has not seen the bundle's stamps yet,
            # so its own last stamp is an older local edit's).
            [(*c, to_iso(pack(wall_ms())), json.dumps(about[c[1]]) if about else None)
             for c in conflicts],
        )
        result.conflicts += len(conflicts)
    if dismiss:
        conn.exec_driver_sql(
            "DELETE FROM sync_conflicts WHERE tbl = ? AND rid = ? AND field = ? AND loser_hlc = ?", dismiss)
    if erase_targets:
        # a person counts with the entries their erasure takes along ("3 records", not "1 record")
        linked = _erase(conn, tbl, erase_targets, replica)
        result.erased += len(linked) + (len(erase_targets) if tbl == "clients" else 0)


def client_ids_in(value: Any) -> list[str]:
    """The client ids of an entry's `clients` value (JSON text as stored, or a list); [] if unreadable."""
    try:
        found = json.loads(value) if isinstance(value, str) else value
    except ValueError:
        return []
    return [str(i) for i in found] if isinstance(found, list) else []


def _losing_edits_about(conn: Connection, conflicts: list[tuple], merged_groups: dict) -> dict[str, list[str]]:
    """Entry id -> the client ids its losing edits may be about (see below). Read before the merge
    writes."""
    rids = sorted({c[1] for c in conflicts})
    before: dict[str, tuple] = {}
    former: dict[str, list[str]] = defaultdict(list)
    for i in range(0, len(rids), CHUNK):
        chunk = rids[i: i + CHUNK]
        marks = ",".join("?" * len(chunk))
        for rid, clients, deleted_at in conn.exec_driver_sql(
                f"SELECT id, clients, deleted_at FROM entries WHERE id IN ({marks})", tuple(chunk)):
            before[rid] = (clients, deleted_at)
        for rid, client_id in conn.exec_driver_sql(
                f"SELECT entry_id, client_id FROM entry_former_clients WHERE entry_id IN ({marks})", tuple(chunk)):
            former[rid].append(client_id)
    # Whom a losing edit was written about is not recorded anywhere; what is known is who the entry
    # is about now, was about before its deletion or before an edit took them off, and whom this
    # merge's changes put on it. The edit counts as about all of them: an erasure of any of them
    # then takes it, rather than leave someone's words behind.
    about: dict[str, list[str]] = {}
    for rid in rids:
        found = set(client_ids_in(before.get(rid, ("[]", None))[0])) | set(former[rid])
        for c in merged_groups[rid][1] if rid in merged_groups else ():
            if c.field == "clients":
                found.update(client_ids_in(c.value))
        about[rid] = sorted(found)
    return about


def _without_erased_people(conn: Connection, conflicts: list[tuple], about: dict[str, list[str]]) -> list[tuple]:
    """Not kept: values of a losing edit about a person erased since (a bundle written before the
    erasure reached its writer). Their erasure took such records (see `_erase_records`)."""
    ids = sorted({i for people in about.values() for i in people})
    erased: set[str] = set()
    for i in range(0, len(ids), CHUNK):
        chunk = ids[i: i + CHUNK]
        erased.update(rid for (rid,) in conn.exec_driver_sql(
            f"SELECT rid FROM sync_clock WHERE tbl = 'clients' AND erased = 1 AND rid IN ({','.join('?' * len(chunk))})",
            tuple(chunk)))
    if not erased:
        return conflicts
    return [c for c in conflicts if erased.isdisjoint(about[c[1]])]


def _compact(clocks: dict, fields: Sequence[str]) -> dict:
    """A new record's versions with the one most of its fields share stored once, as "*" (a record
    created and then edited before it was synced keeps only the edited fields apart)."""
    shared = Counter(tuple(v) for v in clocks.values())
    star = list(max(shared, key=lambda v: (shared[v], v[0], v[1])))
    out = {STAR: star}
    for name in fields:
        value = clocks.get(name)
        if value is not None and value != star:
            out[name] = value
    return out


def _erased_client_ids(conn: Connection, groups) -> dict[str, list]:
    """Erased clients linked from the incoming entries: client id -> erasure clock."""
    wanted: set[str] = set()
    for _t, _r, _o, changes in groups:
        for c in changes:
            if c.field == "clients" and c.value:
                try:
                    wanted.update(json.loads(c.value))
                except ValueError:
                    continue
    if not wanted:
        return {}
    found = _load_clocks(conn, "clients", sorted(wanted))
    return {rid: clocks[ERASED] for rid, (_o, clocks, erased) in found.items() if erased}


def _codes_in_use(conn: Connection, groups) -> dict[str, str]:
    """code -> client id, for the codes the incoming client changes name."""
    wanted = sorted({c.value for _t, _r, _o, changes in groups for c in changes
                     if c.field == "code" and isinstance(c.value, str)})
    found: dict[str, str] = {}
    for i in range(0, len(wanted), CHUNK):
        chunk = wanted[i: i + CHUNK]
        marks = ",".join("?" * len(chunk))
        for code, rid in driver(conn).execute(f"SELECT code, id FROM clients WHERE code IN ({marks})", chunk):
            found[code] = rid
    return found


def _free_code(conn: Connection, code: str, in_use: dict[str, str]) -> str:
    """`code-2`, `code-3`, ... (at most 24 characters, as every client code), used by nobody."""
    n = 2
    while True:
        suffix = f"-{n}"
        candidate = code[: 24 - len(suffix)] + suffix
        taken = driver(conn).execute("SELECT 1 FROM clients WHERE code = ?", (candidate,)).fetchone()
        if candidate not in in_use and not taken:
            return candidate
        n += 1


def _write_rows(conn: Connection, tbl: str, inserts: list[dict], updates: list[tuple[str, dict, tuple]]) -> None:
    spec = SPECS[tbl]
    names = list(spec.fields)
    cols = ", ".join(f'"{n}"' for n in names)
    if tbl == "catalog_values":
        return _write_catalog(conn, inserts, [(rid, row) for rid, row, _cols in updates])
    raw = driver(conn)
    if tbl == "clients":
        # Codes are unique, and one merge may hand a code from one person to another (a rename to
        # settle a collision, then the new person): written one by one, the first write could find
        # its code still held. The records whose code changes give theirs up first (their id is
        # unique and never a code), then inserts and updates put the new codes in place.
        moving = [(rid,) for rid, _row, changed in updates if "code" in changed]
        if moving:
            raw.executemany("UPDATE clients SET code = id WHERE id = ?", moving)
    if inserts:
        raw.executemany(
            f'INSERT INTO {tbl} ("{spec.key}", {cols}) VALUES (?, {", ".join("?" * len(names))})',
            [(r["_rid"], *(r[n] for n in names)) for r in inserts],
        )
    # Only the columns that changed, one statement per set of columns: an edit of the notes
    # does not rewrite (or re-check the indexes of) the other 30 columns. Entries are found by
    # their seq (the rowid the merge read with the row), in seq order: no descent through the
    # index on id for each one, and the table's pages are visited once, in order.
    key = "seq" if tbl == "entries" else spec.key
    by_columns: dict[tuple, list] = defaultdict(list)
    for rid, row, changed in updates:
        if changed:
            by_columns[changed].append((*(row[n] for n in changed), row["seq"] if tbl == "entries" else rid))
    for changed, params in by_columns.items():
        if tbl == "entries":
            params.sort(key=_last)
        sets = ", ".join(f'"{n}" = ?' for n in changed)
        raw.executemany(f'UPDATE {tbl} SET {sets} WHERE "{key}" = ?', params)


def _last(params: tuple):
    return params[-1]


def _write_catalog(conn: Connection, inserts: list[dict], updates: list[tuple[str, dict]]) -> None:
    rows = [(r["_rid"], r) for r in inserts] + updates
    if rows:
        conn.exec_driver_sql(
            "INSERT INTO catalog_values (catalog, code, label, labels, active, sort, updated_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(catalog, code) DO UPDATE SET label = excluded.label, "
            "labels = excluded.labels, active = excluded.active, sort = excluded.sort, "
            "updated_at = excluded.updated_at",
            [(*rid.split("/", 1), r["label"], r["labels"], r["active"], r["sort"], r["updated_at"])
             for rid, r in rows],
        )
