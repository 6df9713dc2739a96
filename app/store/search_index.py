"""Writing the full-text index `entries_fts` (schema 0003): one contentless FTS5 row per live
entry, keyed by `entries.seq`, with `kind` = the entry type and `body` = its free text.

Shared by the repository (saves, bulk inserts) and the sync merge, so that both write rows the
same way: in ascending rowid order (FTS5 flushed its pending segment on almost every
out-of-order rowid: 13.8 s instead of 0.06 s for 7,766 rows at 100,000 entries), and compacted
after a bulk write.
"""

from __future__ import annotations

from sqlalchemy.engine import Connection

CHUNK = 500
BULK_ROWS = 1000  # from this many entries written at once, the index is compacted afterwards


def body(notes: str | None, follow_up: str | None) -> str:
    return "\n".join(part for part in (notes, follow_up) if part)


def add(conn: Connection, rows: list[tuple[str, str]]) -> None:
    """Index rows for (entry id, body) pairs of entries already written (their seq and type are
    looked up), inserted in ascending rowid order."""
    raw = conn.connection.driver_connection
    bodies = dict(rows)
    keyed = []
    ids = list(bodies)
    for i in range(0, len(ids), CHUNK):
        chunk = ids[i: i + CHUNK]
        marks = ",".join("?" * len(chunk))
        for rid, seq, kind in raw.execute(f"SELECT id, seq, type FROM entries WHERE id IN ({marks})", chunk):
            keyed.append((seq, kind, bodies[rid]))
    raw.executemany("INSERT INTO entries_fts (rowid, kind, body) VALUES (?, ?, ?)", sorted(keyed))


def remove(conn: Connection, seqs: list[int]) -> None:
    if seqs:
        conn.connection.driver_connection.executemany("DELETE FROM entries_fts WHERE rowid = ?", [(s,) for s in seqs])


def compact(conn: Connection) -> None:
    """Merge the index's segments into one (FTS5 'optimize'). Every transaction adds a segment;
    after a bulk write a search reads dozens of them: at 100,000 entries a typed search took
    7.0 ms before and 4.3 ms after (0.26 s to compact, docs/benchmarks.md). For the end of bulk
    writes (demo data, imports, large sync merges), never on the save path."""
    conn.exec_driver_sql("INSERT INTO entries_fts (entries_fts) VALUES ('optimize')")
