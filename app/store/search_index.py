"""Writing and querying the full-text index `entries_fts` (schema 0009): one contentless FTS5
row per live entry, holding its free text (`body`), under a key that carries the entry type and
its start time, newest first:

    key = TYPE_KEYS[type] << 61 | (MINUTE_MAX - minutes since 1970 of start) << 35 | entries.seq

Two properties of the key make a search cheap:

* the entries of one type are one contiguous key range; FTS5 answers a rowid range by seeking
  inside its match lists, so a typed search reads only that type's part of them (schema 0007;
  before, a consultation search also read the 60,000-rowid match list of "kind:consultation");
* inside a type, ascending keys are newest first, the journal's order, so the newest 50 matches
  are the first 50 rowids FTS5 returns and a search stops there (schema 0009). Before, SQLite
  collected every match (8,009 for "Jobcenter" at 100,000 entries) into a temporary set and
  walked the journal index against it: 1.8 ms of a 2.5 ms search.

Minutes, not the full start: entries of the same minute are ordered by seq in the index, and
the journal (start DESC, id DESC) re-sorts the few rows at the edge (see repository.list_entries).
A save removes the old row under the key it was indexed with (its type and start before the
write) and adds the new one.

Shared by the repository (saves, bulk inserts) and the sync merge, so that both write rows the
same way: in ascending key order (FTS5 flushed its pending segment on almost every out-of-order
rowid: 13.8 s instead of 0.06 s for 7,766 rows at 100,000 entries), and compacted after a bulk
write.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence

from sqlalchemy.engine import Connection

from app.domain.entries import ENTRY_TYPES

CHUNK = 500
BULK_ROWS = 1000  # from this many entries written at once, the index is compacted afterwards
SEQ_BITS = 35  # 34 billion entries per store
SEQ_MASK = (1 << SEQ_BITS) - 1
MINUTE_BITS = 26  # minutes from 1970 to 2097; earlier or later starts share the first or last
MINUTE_MAX = (1 << MINUTE_BITS) - 1
TYPE_SHIFT = SEQ_BITS + MINUTE_BITS  # 61: the type number takes the top two bits of 63
_EPOCH = dt.datetime(1970, 1, 1)
# Frozen: the keys are stored. A new entry type gets the next number (and a migration).
TYPE_KEYS = {"consultation": 1, "tandem_session": 2, "outreach_visit": 3}
UNKNOWN_TYPE_KEY = 0
assert set(TYPE_KEYS) == set(ENTRY_TYPES), "every entry type needs its own key range"


# The same key in SQL, over the columns of `entries` (bench/sync_bench.py's plain baseline
# indexes rows whose seq only SQLite knows; migration 0009 re-keys the index with it).
KEY_SQL = (
    "((CASE type " + " ".join(f"WHEN '{k}' THEN {n}" for k, n in TYPE_KEYS.items())
    + f" ELSE {UNKNOWN_TYPE_KEY} END) << {TYPE_SHIFT})"
    f" | (({MINUTE_MAX} - min(max(coalesce(CAST(strftime('%s', start) AS INTEGER) / 60, 0), 0), {MINUTE_MAX}))"
    f" << {SEQ_BITS}) | seq"
)


def minute_of(start: str | None) -> int:
    """Minutes since 1970 of a stored start ('YYYY-MM-DDTHH:MM'), clamped to the key's range."""
    if not start:
        return 0
    minutes = int((dt.datetime.fromisoformat(start) - _EPOCH).total_seconds()) // 60
    return min(max(minutes, 0), MINUTE_MAX)


def key(seq: int, kind: str, start: str | None) -> int:
    return (
        (TYPE_KEYS.get(kind, UNKNOWN_TYPE_KEY) << TYPE_SHIFT)
        | ((MINUTE_MAX - minute_of(start)) << SEQ_BITS)
        | seq
    )


def minute_of_key(value: int) -> int:
    return MINUTE_MAX - ((value >> SEQ_BITS) & MINUTE_MAX)


def type_ranges(kinds: Iterable[str]) -> list[tuple[int, int]]:
    """One inclusive key range per entry type (every type, unknown ones too, if none is given):
    the journal's newest-first order holds inside one type's range only."""
    kinds = tuple(kinds)
    numbers = sorted({TYPE_KEYS.get(k, UNKNOWN_TYPE_KEY) for k in kinds} if kinds else
                     {UNKNOWN_TYPE_KEY, *TYPE_KEYS.values()})
    return [(n << TYPE_SHIFT, ((n + 1) << TYPE_SHIFT) - 1) for n in numbers]


ALL_KEYS = (0, ((max(TYPE_KEYS.values()) + 1) << TYPE_SHIFT) - 1)  # what key_ranges(()) gives


def key_ranges(kinds: Iterable[str]) -> list[tuple[int, int]]:
    """The type ranges with adjacent ones merged, for reads that need no order (counts): every
    type is then the one range of all keys."""
    ranges: list[tuple[int, int]] = []
    for low, high in type_ranges(kinds):
        if ranges and ranges[-1][1] + 1 == low:
            ranges[-1] = (ranges[-1][0], high)
        else:
            ranges.append((low, high))
    return ranges


def has_unknown_types(conn: Connection) -> bool:
    """Whether the index holds a row of an entry type this version does not know (none can be
    written by it; a row could come from a newer version's data). A rowid seek: microseconds."""
    first_known = min(TYPE_KEYS.values()) << TYPE_SHIFT
    driver = conn.connection.driver_connection  # no SQLAlchemy round trip: it runs on every search
    return driver.execute("SELECT 1 FROM entries_fts WHERE rowid < ? LIMIT 1", (first_known,)).fetchone() is not None


def within_dates(ranges: list[tuple[int, int]], start_from: str | None, start_before: str | None) -> list[tuple[int, int]]:
    """Narrow type key ranges to the entries whose start could lie in [start_from, start_before):
    a superset (the caller still filters on `start`), exact to the minute inside 1970-2097."""
    narrowed = []
    for low, high in ranges:
        kind_bits = low >> TYPE_SHIFT << TYPE_SHIFT
        if start_from and 0 < minute_of(start_from) < MINUTE_MAX:
            high = min(high, kind_bits | ((MINUTE_MAX - minute_of(start_from)) << SEQ_BITS) | SEQ_MASK)
        if start_before and 0 < minute_of(start_before) < MINUTE_MAX:
            low = max(low, kind_bits | ((MINUTE_MAX - minute_of(start_before) + 1) << SEQ_BITS))
        if low <= high:
            narrowed.append((low, high))
    return narrowed


def body(notes: str | None, follow_up: str | None) -> str:
    return "\n".join(part for part in (notes, follow_up) if part)


def insert_one(conn: Connection, seq: int, kind: str, start: str | None, text: str) -> None:
    conn.exec_driver_sql("INSERT INTO entries_fts (rowid, body) VALUES (?, ?)", (key(seq, kind, start), text))


def add(conn: Connection, rows: list[tuple[str, str]]) -> None:
    """Index rows for (entry id, body) pairs of entries already written (their seq, type and
    start are looked up), inserted in ascending key order."""
    raw = conn.connection.driver_connection
    bodies = dict(rows)
    keyed = []
    ids = sorted(bodies)
    for i in range(0, len(ids), CHUNK):
        chunk = ids[i: i + CHUNK]
        marks = ",".join("?" * len(chunk))
        for rid, seq, kind, start in raw.execute(f"SELECT id, seq, type, start FROM entries WHERE id IN ({marks})", chunk):
            keyed.append((key(seq, kind, start), bodies[rid]))
    add_keyed(conn, keyed)


def add_keyed(conn: Connection, rows: list[tuple[int, str]]) -> None:
    """Index rows given as (index key, body), for writers that know the key (`key`) already."""
    if rows:
        conn.connection.driver_connection.executemany(
            "INSERT INTO entries_fts (rowid, body) VALUES (?, ?)", sorted(rows))


def remove(conn: Connection, rows: Sequence[tuple[int, str, str | None]]) -> None:
    """Drop the index rows of these entries, given as the (seq, type, start) they were indexed
    under: what they had before the write that removes them."""
    if rows:
        conn.connection.driver_connection.executemany(
            "DELETE FROM entries_fts WHERE rowid = ?", sorted((key(seq, kind, start),) for seq, kind, start in rows)
        )


def compact(conn: Connection) -> None:
    """Merge the index's segments into one (FTS5 'optimize'). Every transaction adds a segment;
    after a bulk write a search reads dozens of them: at 100,000 entries a typed search took
    7.0 ms before and 4.3 ms after (0.26 s to compact, docs/benchmarks.md). For the end of bulk
    writes that fill much of the index (demo data, imports), never on the save path. A sync merge
    does not compact: it rewrote the whole index (16.6 MB of WAL) for one added segment, which
    costs a typed search 1.4 ms at 100,000 entries (docs/benchmarks.md, sync section)."""
    conn.exec_driver_sql("INSERT INTO entries_fts (entries_fts) VALUES ('optimize')")
