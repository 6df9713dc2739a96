"""Writing and querying the full-text index `entries_fts` (schema 0007): one contentless FTS5
row per live entry, holding its free text (`body`), under a key that carries the entry type:

    key = TYPE_KEYS[type] << SEQ_BITS | entries.seq

so the entries of one type are one contiguous key range. FTS5 answers a rowid range by seeking
inside its match lists, so a typed search reads only that type's part of them. Schema 0003 kept
the type as an indexed `kind` column instead: a consultation search then had to read the match
list of the word "consultation" (60,000 rowids at 100,000 entries) beside the searched word's,
which made list + count 1.8 ms slower at 100,000 entries (docs/benchmarks.md).

Shared by the repository (saves, bulk inserts) and the sync merge, so that both write rows the
same way: in ascending key order (FTS5 flushed its pending segment on almost every out-of-order
rowid: 13.8 s instead of 0.06 s for 7,766 rows at 100,000 entries), and compacted after a bulk
write.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy.engine import Connection

from app.domain.entries import ENTRY_TYPES

CHUNK = 500
BULK_ROWS = 1000  # from this many entries written at once, the index is compacted afterwards
SEQ_BITS = 40  # 10^12 entries per store before keys of two types could meet
SEQ_MASK = (1 << SEQ_BITS) - 1
# Frozen: the keys are stored. A new entry type gets the next number (and a migration).
TYPE_KEYS = {"consultation": 1, "tandem_session": 2, "outreach_visit": 3}
UNKNOWN_TYPE_KEY = 0
assert set(TYPE_KEYS) == set(ENTRY_TYPES), "every entry type needs its own key range"


# The same key in SQL, over the columns of `entries` (bench/sync_bench.py's plain baseline
# indexes rows whose seq only SQLite knows).
KEY_SQL = (
    "((CASE type " + " ".join(f"WHEN '{k}' THEN {n}" for k, n in TYPE_KEYS.items())
    + f" ELSE {UNKNOWN_TYPE_KEY} END) << {SEQ_BITS}) | seq"
)


def key(seq: int, kind: str) -> int:
    return (TYPE_KEYS.get(kind, UNKNOWN_TYPE_KEY) << SEQ_BITS) | seq


def key_ranges(kinds: Iterable[str]) -> list[tuple[int, int]]:
    """The inclusive key ranges holding the given entry types, adjacent types merged."""
    numbers = sorted({TYPE_KEYS.get(k, UNKNOWN_TYPE_KEY) for k in kinds})
    ranges: list[tuple[int, int]] = []
    for n in numbers:
        low, high = n << SEQ_BITS, ((n + 1) << SEQ_BITS) - 1
        if ranges and ranges[-1][1] + 1 == low:
            ranges[-1] = (ranges[-1][0], high)
        else:
            ranges.append((low, high))
    return ranges


def body(notes: str | None, follow_up: str | None) -> str:
    return "\n".join(part for part in (notes, follow_up) if part)


def insert_one(conn: Connection, seq: int, kind: str, text: str) -> None:
    conn.exec_driver_sql("INSERT INTO entries_fts (rowid, body) VALUES (?, ?)", (key(seq, kind), text))


def add(conn: Connection, rows: list[tuple[str, str]]) -> None:
    """Index rows for (entry id, body) pairs of entries already written (their seq and type are
    looked up), inserted in ascending key order."""
    raw = conn.connection.driver_connection
    bodies = dict(rows)
    keyed = []
    ids = list(bodies)
    for i in range(0, len(ids), CHUNK):
        chunk = ids[i: i + CHUNK]
        marks = ",".join("?" * len(chunk))
        for rid, seq, kind in raw.execute(f"SELECT id, seq, type FROM entries WHERE id IN ({marks})", chunk):
            keyed.append((key(seq, kind), bodies[rid]))
    raw.executemany("INSERT INTO entries_fts (rowid, body) VALUES (?, ?)", sorted(keyed))


def remove(conn: Connection, rows: Sequence[tuple[int, str]]) -> None:
    """Drop the index rows of these entries, given as the (seq, type) they were indexed under:
    the type they had before the write that removes them."""
    if rows:
        conn.connection.driver_connection.executemany(
            "DELETE FROM entries_fts WHERE rowid = ?", [(key(seq, kind),) for seq, kind in rows]
        )


def compact(conn: Connection) -> None:
    """Merge the index's segments into one (FTS5 'optimize'). Every transaction adds a segment;
    after a bulk write a search reads dozens of them: at 100,000 entries a typed search took
    7.0 ms before and 4.3 ms after (0.26 s to compact, docs/benchmarks.md). For the end of bulk
    writes (demo data, imports, large sync merges), never on the save path."""
    conn.exec_driver_sql("INSERT INTO entries_fts (entries_fts) VALUES ('optimize')")
