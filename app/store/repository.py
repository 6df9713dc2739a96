"""Reading and writing domain records on an open connection. Every write function
expects to run inside the caller's transaction (see `engine.writing`)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Collection
from typing import Any, NamedTuple

from sqlalchemy import and_, delete, insert, select, update
from sqlalchemy.engine import Connection

from app.domain.catalogs import CatalogValue, Catalogs
from app.domain.entries import ENTRY_CLASSES, Client, Entry, RecordMeta
from app.domain.filters import JournalFilter, fts_query
from app.store import reporting, search_index
from app.store.engine import driver
from app.store.schema import FORMER_CLIENT, META_UPSERT, catalog_values, clients, entries, entry_clients
from app.sync import replica as sync_replica  # every write below records its field versions

LIST_COLUMNS = ("languages", "topics", "referrals", "partners")
TYPE_SPECIFIC = (
    "school", "setting", "accompanied_to", "format", "teacher", "social_worker", "pupils_count",
    "families_count", "place_type", "purpose", "adults_reached", "children_reached", "referrals", "partners",
)


# -- meta -------------------------------------------------------------------------------

def get_meta(conn: Connection, key: str) -> str | None:
    row = driver(conn).execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
    return row[0] if row else None


def set_meta(conn: Connection, key: str, value: str) -> None:
    driver(conn).execute(META_UPSERT, (key, value))


# -- catalogs ---------------------------------------------------------------------------

def load_catalogs(conn: Connection) -> Catalogs:
    rows = conn.execute(select(catalog_values)).mappings()
    return Catalogs(
        [
            CatalogValue(
                catalog=r["catalog"], code=r["code"], label=r["label"], labels=json.loads(r["labels"]),
                active=bool(r["active"]), sort=r["sort"],
            )
            for r in rows
        ]
    )


def put_catalog_value(conn: Connection, value: CatalogValue, now: str) -> None:
    row = dict(
        label=value.label, labels=json.dumps(value.labels, ensure_ascii=False, sort_keys=True),
        active=int(value.active), sort=value.sort, updated_at=now,
    )
    found = conn.execute(
        select(catalog_values.c.code).where(
            and_(catalog_values.c.catalog == value.catalog, catalog_values.c.code == value.code)
        )
    ).first()
    rid = sync_replica.catalog_rid(value.catalog, value.code)
    before = sync_replica.snapshot(conn, "catalog_values", [rid]) if found else {}
    if found:
        conn.execute(
            update(catalog_values)
            .where(and_(catalog_values.c.catalog == value.catalog, catalog_values.c.code == value.code))
            .values(**row)
        )
    else:
        conn.execute(insert(catalog_values).values(catalog=value.catalog, code=value.code, **row))
    sync_replica.track(conn, "catalog_values", [(rid, before.get(rid), row)])


# -- entries ----------------------------------------------------------------------------

def _iso_minutes(value: dt.datetime | None) -> str | None:
    return value.isoformat(timespec="minutes") if value else None


def entry_to_row(entry: Entry) -> dict[str, Any]:
    row: dict[str, Any] = {c: None for c in TYPE_SPECIFIC}
    row.update(referrals="[]", partners="[]")
    row.update(
        id=entry.id,
        type=entry.type,
        start=_iso_minutes(entry.start),
        end=_iso_minutes(entry.end),
        day=entry.start.date().isoformat() if entry.start else None,
        mediator=entry.mediator,
        district=entry.district,
        languages=json.dumps(entry.languages),
        topics=json.dumps(entry.topics),
        clients=json.dumps(entry.client_ids),
        outcome=entry.outcome,
        follow_up=entry.follow_up,
        follow_up_due=entry.follow_up_due.isoformat() if entry.follow_up_due else None,
        follow_up_done=int(entry.follow_up_done),
        notes=entry.notes,
        created_at=entry.meta.created_at,
        updated_at=entry.meta.updated_at,
        author=entry.meta.author,
        device_id=entry.meta.device_id,
        deleted_at=None,
    )
    for name in TYPE_SPECIFIC:
        if hasattr(entry, name):
            value = getattr(entry, name)
            row[name] = json.dumps(value) if name in ("referrals", "partners") else value
    return row


def row_to_entry(row: Any) -> Entry:
    cls = ENTRY_CLASSES[row["type"]]
    entry = cls()
    entry.id = row["id"]
    entry.start = dt.datetime.fromisoformat(row["start"]) if row["start"] else None
    entry.end = dt.datetime.fromisoformat(row["end"]) if row["end"] else None
    entry.mediator = row["mediator"]
    entry.district = row["district"]
    entry.languages = json.loads(row["languages"])
    entry.topics = json.loads(row["topics"])
    entry.client_ids = json.loads(row["clients"])
    entry.outcome = row["outcome"]
    entry.follow_up = row["follow_up"]
    entry.follow_up_due = dt.date.fromisoformat(row["follow_up_due"]) if row["follow_up_due"] else None
    entry.follow_up_done = bool(row["follow_up_done"])
    entry.notes = row["notes"]
    for name in TYPE_SPECIFIC:
        if hasattr(entry, name):
            value = row[name]
            if name in ("referrals", "partners"):
                value = json.loads(value or "[]")
            elif name == "format" and value is None:
                continue
            elif name in ("teacher", "social_worker") and value is None:
                value = ""
            setattr(entry, name, value)
    entry.meta = RecordMeta(
        created_at=row["created_at"], updated_at=row["updated_at"], author=row["author"], device_id=row["device_id"]
    )
    return entry


def get_entry(conn: Connection, entry_id: str) -> Entry | None:
    row = conn.execute(select(entries).where(entries.c.id == entry_id)).mappings().first()
    if row is None or row["deleted_at"] is not None:
        return None
    return row_to_entry(row)


def entry_exists(conn: Connection, entry_id: str) -> bool:
    return conn.execute(select(entries.c.id).where(entries.c.id == entry_id)).first() is not None


def entry_is_tombstone(conn: Connection, entry_id: str) -> bool:
    deleted = conn.execute(select(entries.c.deleted_at).where(entries.c.id == entry_id)).scalar()
    return deleted is not None


def record_erased(conn: Connection, tbl: str, rid: str) -> bool:
    """Erased on a data-protection request, here or on a journal this one synced with."""
    row = driver(conn).execute("SELECT erased FROM sync_clock WHERE tbl = ? AND rid = ?", (tbl, rid)).fetchone()
    return bool(row and row[0])


def entry_type_of(conn: Connection, entry_id: str) -> str | None:
    """The type of an entry, deleted or not (a tombstone keeps its type)."""
    row = driver(conn).execute("SELECT type FROM entries WHERE id = ?", (entry_id,)).fetchone()
    return row[0] if row else None


def _fts_body(entry: Entry) -> str:
    return search_index.body(entry.notes, entry.follow_up)


def _entry_seq(conn: Connection, entry_id: str) -> int | None:
    row = driver(conn).execute("SELECT seq FROM entries WHERE id = ?", (entry_id,)).fetchone()
    return row[0] if row else None


# A save's statements as SQL text on the driver connection, like the journal's queries below:
# building them through SQLAlchemy's expression layer (35 values each) took longer than SQLite's
# own work on them. entry_to_row gives every column as stored, so no type processing is skipped.
_ENTRY_COLUMNS = tuple(c.name for c in entries.columns if c.name != "seq")
_QUOTED_COLUMNS = ['"' + c + '"' for c in _ENTRY_COLUMNS]
_INSERT_ENTRY = (f"INSERT INTO entries ({', '.join(_QUOTED_COLUMNS)}) "
                 f"VALUES ({', '.join('?' * len(_QUOTED_COLUMNS))})")
_UPDATE_ENTRY = f"UPDATE entries SET {', '.join(c + ' = ?' for c in _QUOTED_COLUMNS)} WHERE seq = ?"


def write_entry(conn: Connection, entry: Entry) -> None:
    """Insert or replace one entry, with its full-text row and client links."""
    row = entry_to_row(entry)
    values = tuple(row[c] for c in _ENTRY_COLUMNS)
    db = driver(conn)
    seq = _entry_seq(conn, entry.id)
    before = sync_replica.snapshot(conn, "entries", [entry.id]) if seq is not None else {}
    if seq is not None:
        old = before[entry.id]
        db.execute(_UPDATE_ENTRY, (*values, seq))
        if old["deleted_at"] is None:
            search_index.remove(conn, [(seq, old["type"], old["start"])])
            taken_off = set(json.loads(old["clients"] or "[]")) - set(entry.client_ids)
            if taken_off:  # (see tombstone_entry)
                db.executemany(FORMER_CLIENT, [(entry.id, c, 0) for c in sorted(taken_off)])
        else:  # restored: its links at the deletion are its own again (see tombstone_entry)
            db.execute("DELETE FROM entry_former_clients WHERE entry_id = ? AND at_deletion = 1", (entry.id,))
    else:
        seq = db.execute(_INSERT_ENTRY, values).lastrowid
    search_index.insert_one(conn, seq, entry.type, row["start"], _fts_body(entry))
    db.execute("DELETE FROM entry_clients WHERE entry_id = ?", (entry.id,))
    if entry.client_ids:
        db.executemany("INSERT INTO entry_clients (entry_id, client_id) VALUES (?, ?)",
                       [(entry.id, c) for c in entry.client_ids])
    sync_replica.track(conn, "entries", [(entry.id, before.get(entry.id), row)])


def tombstone_entry(conn: Connection, entry_id: str, *, now: str, author: str, device_id: str) -> None:
    """Replace the entry by a content-free tombstone (id, type and bookkeeping only)."""
    seq = _entry_seq(conn, entry_id)
    if seq is None:
        return
    before = sync_replica.snapshot(conn, "entries", [entry_id])
    old = before[entry_id]
    cleared = {c: None for c in TYPE_SPECIFIC}
    cleared.update(
        referrals="[]", partners="[]", start=None, end=None, day=None, mediator="", district=None,
        languages="[]", topics="[]", clients="[]", outcome=None, follow_up="", follow_up_due=None,
        follow_up_done=0, notes="", updated_at=now, author=author, device_id=device_id, deleted_at=now,
    )
    conn.execute(update(entries).where(entries.c.seq == seq).values(**cleared))
    if old["deleted_at"] is None:
        search_index.remove(conn, [(seq, old["type"], old["start"])])
    # Who it was about stays known to this journal, so an erasure of one of them still finds the
    # entry and its conflict records (schema.entry_former_clients).
    driver(conn).executemany(FORMER_CLIENT, [(entry_id, c, 1) for (c,) in driver(conn).execute(
        "SELECT client_id FROM entry_clients WHERE entry_id = ?", (entry_id,)).fetchall()])
    conn.execute(delete(entry_clients).where(entry_clients.c.entry_id == entry_id))
    sync_replica.track(conn, "entries", [(entry_id, before.get(entry_id), {**before.get(entry_id, {}), **cleared})])


# -- the journal's queries ----------------------------------------------------------------
#
# Built as SQL text and run on the driver connection: they run on every keystroke of a search,
# and building, caching and unpacking them through SQLAlchemy's expression layer took longer
# (about 1 ms of a 3.5 ms search at 100,000 entries) than SQLite's own work on most filters.

JOURNAL_COLUMNS = (
    "id, type, start, mediator, district, school, topics, substr(notes, 1, 120), follow_up_due, follow_up_done"
)
# A client has a few dozen entries: a client's list starts from them (0.06 ms at 100,000 entries)
# instead of walking the journal index and checking every entry against them (17 ms).
_CLIENT_ENTRIES = "entry_clients CROSS JOIN entries ON entries.id = entry_clients.entry_id"
_FTS_SEQS = (
    f"SELECT entries_fts.rowid & {search_index.SEQ_MASK} FROM entries_fts"
    " WHERE entries_fts MATCH ? AND entries_fts.rowid BETWEEN ? AND ?"
)


class JournalRow(NamedTuple):
    """What a journal line needs; the full entry is loaded only when opened. A named tuple:
    built 50 at a time on every keystroke of a search, it costs half of a frozen dataclass."""

    id: str
    type: str
    start: str
    mediator: str
    district: str | None
    school: str | None
    topics: list[str]
    notes_preview: str
    follow_up_due: str | None
    follow_up_done: bool


def _marks(values) -> str:
    return ",".join("?" * len(values))


def _conditions(flt: JournalFilter, *, prefix: str = "") -> tuple[list[str], list]:
    """SQL conditions on `entries` (columns qualified by `prefix`) and their parameters, except
    the text, which a search answers from the full-text index, and the client, whose entries are
    where `_filtered` starts."""
    p = prefix
    sql, params = [f"{p}deleted_at IS NULL"], []
    if flt.types:
        sql.append(f"{p}type IN ({_marks(flt.types)})")
        params += flt.types
    if flt.date_from:
        sql.append(f"{p}start >= ?")
        params.append(flt.date_from.isoformat())
    if flt.date_to:
        sql.append(f"{p}start < ?")
        params.append((flt.date_to + dt.timedelta(days=1)).isoformat())
    for name in ("district", "school", "mediator"):
        value = getattr(flt, name)
        if value:
            sql.append(f"{p}{name} = ?")
            params.append(value)
    return sql, params


def _body_match(text: str) -> str:
    words = fts_query(text)
    return f"body : ({words})" if words else ""


def list_entries(
    conn: Connection, flt: JournalFilter, *, offset: int = 0, limit: int = 50, after: tuple[str, str] | None = None
) -> list[JournalRow]:
    """Newest first: by start, then id, descending. `after` = (start, id) of the last row
    already shown: keyset paging, which stays as fast on page 2,000 as on page 1 (unlike OFFSET)."""
    match = _body_match(flt.text)
    in_index_order = bool(match) and not flt.client_id  # a client's few entries are faster read directly
    if in_index_order:
        where, params = _conditions(flt)
    else:
        source, where, params = _filtered(conn, flt, match)
    if after is not None:
        start, last_id = after
        where.append("(start < ? OR (start = ? AND id < ?))")
        params += [start, start, last_id]
    if in_index_order:
        return _newest_matches(conn, match, _search_ranges(conn, flt), where, params, offset + limit)[offset:]
    sql = f"SELECT {JOURNAL_COLUMNS} FROM {source} WHERE {' AND '.join(where)} ORDER BY start DESC, id DESC LIMIT ? OFFSET ?"
    return [_journal_row(r) for r in driver(conn).execute(sql, (*params, limit, offset))]


def _filtered(conn: Connection, flt: JournalFilter, match: str) -> tuple[str, list[str], list]:
    """FROM clause, conditions and parameters of a filter, for SQLite to answer from the index
    of whichever filter narrows most. A client's entries are where a client filter starts; a
    text becomes a check of each entry against the set of keys that match (`+` keeps SQLite from
    looping over that set for each entry instead)."""
    where, params = _conditions(flt)
    source = "entries"
    if flt.client_id:
        source = _CLIENT_ENTRIES
        where.insert(0, "entry_clients.client_id = ?")
        params.insert(0, flt.client_id)
    if match:
        ranges = _search_ranges(conn, flt) or [(0, -1)]
        where.append("+seq IN (" + " UNION ALL ".join([_FTS_SEQS] * len(ranges)) + ")")
        params += [value for low, high in ranges for value in (match, low, high)]
    return source, where, params


def _journal_row(r) -> JournalRow:
    return JournalRow(r[0], r[1], r[2], r[3], r[4], r[5], json.loads(r[6]), r[7] or "", r[8], bool(r[9]))


def _search_ranges(conn: Connection, flt: JournalFilter) -> list[tuple[int, int]]:
    """The index key ranges a search of this filter reads: one per type, cut to its dates. The
    range of unknown types is read only if it holds a row (each range read costs FTS5 one
    assembly of a prefix's match list, 0.5-0.7 ms at 100,000 entries)."""
    ranges = search_index.type_ranges(flt.types)
    if not flt.types and not search_index.has_unknown_types(conn):
        ranges = [(low, high) for low, high in ranges if low >> search_index.TYPE_SHIFT != search_index.UNKNOWN_TYPE_KEY]
    return search_index.within_dates(
        ranges,
        flt.date_from.isoformat() + "T00:00" if flt.date_from else None,
        (flt.date_to + dt.timedelta(days=1)).isoformat() + "T00:00" if flt.date_to else None,
    )


def _newest_matches(conn: Connection, match: str, ranges: list[tuple[int, int]], where: list[str], params: list,
                    wanted: int) -> list[JournalRow]:
    """The newest `wanted` matching entries, read in index order (newest first inside each
    type's key range) so FTS5 stops early instead of handing over every match.

    The index orders entries of the same start minute by seq, the journal by id, and several
    types come from several ranges: so each range is read a little past `wanted`, the rows are
    merged and sorted by (start, id), and the result is kept only if no range stopped inside a
    minute that could still hold a row of the result. Otherwise the ranges are read further."""
    if wanted <= 0:
        return []
    conditions = " AND ".join(where)
    sql = (
        f"SELECT entries_fts.rowid, {JOURNAL_COLUMNS} FROM entries"
        f" JOIN entries_fts ON entries.seq = entries_fts.rowid & {search_index.SEQ_MASK}"
        f" WHERE entries_fts MATCH ? AND entries_fts.rowid BETWEEN ? AND ? AND {conditions}"
        " ORDER BY entries_fts.rowid LIMIT ?"
    )
    db = driver(conn)
    read = wanted + 10
    while True:
        rows: list = []
        unsure_from = -1  # rows of this minute or older may be missing from what was read
        for low, high in ranges:
            part = db.execute(sql, (match, low, high, *params, read)).fetchall()
            rows += part
            if len(part) == read:
                unsure_from = max(unsure_from, search_index.minute_of_key(part[-1][0]))
        rows.sort(key=lambda r: (r[3] or "", r[1]), reverse=True)  # start, id
        kept = rows[:wanted]
        if unsure_from < 0 or search_index.minute_of(kept[-1][3]) > unsure_from:
            return [_journal_row(r[1:]) for r in kept]
        read *= 4


def count_entries(conn: Connection, flt: JournalFilter) -> int:
    match = _body_match(flt.text)
    if not match or flt.district or flt.school or flt.mediator or flt.client_id:
        # No text, or a place, client or mediator: their own index, each entry checked against
        # the matching keys if there is a text.
        source, where, params = _filtered(conn, flt, match)
        sql = f"SELECT count(*) FROM {source} WHERE {' AND '.join(where)}"
    elif flt == JournalFilter(types=flt.types, text=flt.text):
        # Live entries are exactly the indexed ones, and a type is a key range: count in the index.
        sql, params = _count_in_ranges(match, search_index.key_ranges(flt.types))
    else:
        # Dates beside the text: walk the matches of the dates' key ranges, looking each entry up
        # (a year: 24 ms, against 36 ms for the set of matching keys checked along the journal index).
        sql, params = _count_in_ranges(match, _search_ranges(conn, flt), _conditions(flt, prefix="entries."))
    return driver(conn).execute(sql, params).fetchone()[0]


def _count_in_ranges(match: str, ranges: list[tuple[int, int]],
                     conditions: tuple[list[str], list] | None = None) -> tuple[str, list]:
    """One statement summing, per key range, the matches (joined to their entries and filtered
    by `conditions` if given). The range of all keys is left out of the SQL: FTS5 counts 18,000
    matches 15 % faster without a rowid constraint."""
    where, params = conditions or ([], [])
    join = f" JOIN entries ON entries.seq = entries_fts.rowid & {search_index.SEQ_MASK}" if where else ""
    filters = "".join(f" AND {w}" for w in where)
    sql, values = "SELECT 0", []
    for low, high in ranges:
        whole = (low, high) == search_index.ALL_KEYS
        between = "" if whole else " AND entries_fts.rowid BETWEEN ? AND ?"
        sql += f" + (SELECT count(*) FROM entries_fts{join} WHERE entries_fts MATCH ?{between}{filters})"
        values += [match, *(() if whole else (low, high)), *params]
    return sql, values


def all_entries(conn: Connection) -> list[Entry]:
    rows = conn.execute(
        select(entries).where(entries.c.deleted_at.is_(None)).order_by(entries.c.start, entries.c.id)
    ).mappings()
    return [row_to_entry(r) for r in rows]


def open_follow_ups(conn: Connection, until: dt.date) -> list[Entry]:
    # INDEXED BY: without statistics SQLite prefers ix_entries_journal (deleted_at = NULL matches
    # nearly every row), which walked all 100,000 entries (450 ms) instead of the few open ones.
    rows = conn.exec_driver_sql(
        "SELECT * FROM entries INDEXED BY ix_entries_follow_up_open "
        "WHERE follow_up_done = 0 AND follow_up_due IS NOT NULL AND deleted_at IS NULL AND follow_up_due <= ? "
        "ORDER BY follow_up_due, start",
        (until.isoformat(),),
    ).mappings()
    return [row_to_entry(r) for r in rows]


# -- clients ----------------------------------------------------------------------------

def client_to_row(client: Client) -> dict[str, Any]:
    return dict(
        id=client.id, code=client.code, kind=client.kind, name=client.name, birth_year=client.birth_year,
        contact=client.contact, languages=json.dumps(client.languages),
        consent_date=client.consent_date.isoformat() if client.consent_date else None,
        consent_scopes=json.dumps(client.consent_scopes), notes=client.notes,
        created_at=client.meta.created_at, updated_at=client.meta.updated_at, author=client.meta.author,
        device_id=client.meta.device_id, deleted_at=None,
    )


def row_to_client(row: Any) -> Client:
    return Client(
        id=row["id"], code=row["code"], kind=row["kind"], name=row["name"], birth_year=row["birth_year"],
        contact=row["contact"], languages=json.loads(row["languages"]),
        consent_date=dt.date.fromisoformat(row["consent_date"]) if row["consent_date"] else None,
        consent_scopes=json.loads(row["consent_scopes"]), notes=row["notes"],
        meta=RecordMeta(
            created_at=row["created_at"], updated_at=row["updated_at"], author=row["author"],
            device_id=row["device_id"],
        ),
    )


def live_client_ids(conn: Connection, ids: Collection[str]) -> set[str]:
    """Those of `ids` (an entry's few links) that name a client in the register (not deleted or erased)."""
    if not ids:
        return set()
    sql = f"SELECT id FROM clients WHERE id IN ({_marks(ids)}) AND deleted_at IS NULL"
    return {r[0] for r in driver(conn).execute(sql, tuple(ids))}


def get_client(conn: Connection, client_id: str) -> Client | None:
    row = conn.execute(select(clients).where(clients.c.id == client_id)).mappings().first()
    return row_to_client(row) if row and row["deleted_at"] is None else None


def client_by_code(conn: Connection, code: str) -> Client | None:
    """Codes are stored in capitals and typed in any case (k-gp1x-f3g is K-GP1X-F3G)."""
    row = conn.execute(select(clients).where(clients.c.code == code.strip().upper())).mappings().first()
    return row_to_client(row) if row and row["deleted_at"] is None else None


def code_taken(conn: Connection, code: str) -> bool:
    return conn.execute(select(clients.c.id).where(clients.c.code == code)).first() is not None


def write_client(conn: Connection, client: Client) -> None:
    row = client_to_row(client)
    before = sync_replica.snapshot(conn, "clients", [client.id])
    if before:
        conn.execute(update(clients).where(clients.c.id == client.id).values(**row))
    else:
        conn.execute(insert(clients).values(**row))
    sync_replica.track(conn, "clients", [(client.id, before.get(client.id), row)])


def list_clients(conn: Connection, search: str = "", limit: int = 500) -> list[Client]:
    query = select(clients).where(clients.c.deleted_at.is_(None))
    if search.strip():
        pattern = f"%{search.strip()}%"
        query = query.where(clients.c.code.like(pattern) | clients.c.name.like(pattern))
    rows = conn.execute(query.order_by(clients.c.code).limit(limit)).mappings()
    return [row_to_client(r) for r in rows]


def client_codes(conn: Connection) -> dict[str, str]:
    return {r.id: r.code for r in conn.execute(select(clients.c.id, clients.c.code))}


def insert_entries_bulk(conn: Connection, new_entries: list[Entry]) -> None:
    """Insert entries that do not exist yet, in one go (demo data, first imports)."""
    if not new_entries:
        return
    rows = [entry_to_row(e) for e in new_entries]
    conn.execute(insert(entries), rows)
    search_index.add(conn, [(e.id, _fts_body(e)) for e in new_entries])
    links = [{"entry_id": e.id, "client_id": c} for e in new_entries for c in e.client_ids]
    if links:
        conn.execute(insert(entry_clients), links)
    sync_replica.track(conn, "entries", [(row["id"], None, row) for row in rows])
    reporting.catch_up(conn)  # a bulk write brings its reporting rows up to date itself


def insert_clients_bulk(conn: Connection, new_clients: list[Client]) -> None:
    if new_clients:
        rows = [client_to_row(c) for c in new_clients]
        conn.execute(insert(clients), rows)
        sync_replica.track(conn, "clients", [(row["id"], None, row) for row in rows])


# -- drafts -----------------------------------------------------------------------------

def put_draft(conn: Connection, key: str, payload: str, now: str) -> None:
    conn.exec_driver_sql(
        "INSERT INTO drafts (key, payload, updated_at) VALUES (?, ?, ?) "
        "ON CONFLICT(key) DO UPDATE SET payload = excluded.payload, updated_at = excluded.updated_at",
        (key, payload, now),
    )


def get_draft(conn: Connection, key: str) -> str | None:
    row = conn.exec_driver_sql("SELECT payload FROM drafts WHERE key = ?", (key,)).fetchone()
    return row[0] if row else None


def delete_draft(conn: Connection, key: str) -> None:
    conn.exec_driver_sql("DELETE FROM drafts WHERE key = ?", (key,))


def draft_keys(conn: Connection) -> list[str]:
    return [r[0] for r in conn.exec_driver_sql("SELECT key FROM drafts ORDER BY updated_at DESC")]
