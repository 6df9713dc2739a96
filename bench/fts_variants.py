#!/usr/bin/env python3
"""Why saving and searching get slow in a large store, and what a rowid-keyed full-text index gains.

Run from the repository root (about one minute at 100,000 entries):

    .venv/bin/python bench/fts_variants.py [--entries 100000] [--word Jobcenter]

It builds one encrypted demo store (as bench/store_bench.py does), then
  - times `Journal.save_entry` as it is, and with the full-text delete skipped (what-if);
and, on raw connections:
  - shows EXPLAIN QUERY PLAN and timings of the statements the app sends today for a save
    (`DELETE FROM entries_fts WHERE entry_id = ?`) and for the filtered search;
  - adds, on this throw-away copy only, a prototype index keyed by the entries' integer rowid,
    `entries_fts2(kind, body)` (contentless, with `kind` = entry type as an indexed column), and
    times the same work through it.
Nothing in app/ is changed; the prototype lives only in the temporary store. The entries' implicit
rowid is used here for brevity; a real migration should give `entries` an explicit
`INTEGER PRIMARY KEY` so the key survives VACUUM.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from store_bench import PASSPHRASE, build_encrypted, open_encrypted, state_throttle  # noqa: E402

from app.services.demo import fill_demo  # noqa: E402
from app.services.stores import unlock_key  # noqa: E402
from app.store.engine import connect  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--word", default="Jobcenter")
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--saves", type=int, default=150)
    args = parser.parse_args(argv)

    folder = Path(tempfile.mkdtemp(prefix="mediatorlog-fts-"))
    try:
        path = build_encrypted(folder)
        journal = open_encrypted(folder, path)
        fill_demo(journal, entries=args.entries, seed=1)
        journal.close()
        key = unlock_key(path, PASSPHRASE, throttle=state_throttle(folder, path))
        save_what_if(folder, path, args)
        conn = connect(path, key)
        run(conn, args)
        conn.close()
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return 0


class _SkipFtsDelete:
    """Wraps a connection so that `DELETE FROM entries_fts WHERE entry_id = ?` is not sent.
    For a new entry that statement deletes nothing (there is no index row yet), so skipping it
    shows what a save costs once that delete is an O(log n) lookup by rowid instead of a scan."""

    def __init__(self, conn):
        self._conn = conn

    def exec_driver_sql(self, statement, parameters=None):
        if statement.startswith("DELETE FROM entries_fts WHERE entry_id"):
            return None
        return self._conn.exec_driver_sql(statement, parameters)

    def __getattr__(self, name):
        return getattr(self._conn, name)


def save_what_if(folder: Path, path: Path, args) -> None:
    """Journal.save_entry of new entries as the app does it, then with the full-text delete skipped."""
    from store_bench import new_entries, summary, timed

    from app.store import repository

    journal = open_encrypted(folder, path)
    pending = new_entries(journal, 2 * args.saves + 10, seed=21)
    for _ in range(5):
        journal.save_entry(pending.pop())
    print(f"\nstore: {args.entries:,} entries (encrypted); {args.saves} saves of a new entry through Journal.save_entry")
    original = repository.write_entry
    for label in ("as the app does it", "with the full-text delete skipped (what-if)"):
        if label.startswith("with"):
            repository.write_entry = lambda conn, entry: original(_SkipFtsDelete(conn), entry)
        try:
            stats = summary([timed(lambda: journal.save_entry(pending.pop()))[0] for _ in range(args.saves)])
        finally:
            repository.write_entry = original
        print(f"  save {label}: median {stats['median']:.2f} ms, p99 {stats['p99']:.2f} ms")
    journal.close()


def run(conn, args) -> None:
    match = f'"{args.word}"*'

    def plan(sql: str, params=()) -> None:
        for row in conn.execute("EXPLAIN QUERY PLAN " + sql, params):
            print(f"      plan: {row[3]}")

    def time_query(label: str, sql: str, params=(), *, write: bool = False) -> float:
        samples = []
        for _ in range(args.rounds + 1):
            if write:
                conn.execute("BEGIN IMMEDIATE")
            start = time.perf_counter_ns()
            rows = conn.execute(sql, params).fetchall()
            samples.append((time.perf_counter_ns() - start) / 1e6)
            if write:
                conn.execute("ROLLBACK")
        median = statistics.median(samples[1:])  # the first run warms the cache
        shown = f"{rows[0][0]:,}" if rows and len(rows) == 1 else f"{len(rows)} rows"
        print(f"  {median:9.2f} ms  {label}  [{shown}]")
        return median

    live = "deleted_at IS NULL AND type IN ('consultation')"
    print(f"\nstore: {args.entries:,} entries (encrypted); search word {match}")

    print("\n-- today's schema --------------------------------------------------------------")
    sql = "DELETE FROM entries_fts WHERE entry_id = ?"
    time_query("save step: " + sql, sql, ("01a00000-0000-7000-8000-000000000000",), write=True)
    plan(sql, ("x",))
    sub = "id IN (SELECT entry_id FROM entries_fts WHERE entries_fts MATCH ?)"
    list_sql = f"SELECT id, start FROM entries WHERE {live} AND {sub} ORDER BY start DESC, id DESC LIMIT 50"
    count_sql = f"SELECT count(*) FROM entries WHERE {live} AND {sub}"
    a = time_query("search list (as the app)", list_sql, (match,))
    plan(list_sql, (match,))
    b = time_query("search count (as the app)", count_sql, (match,))
    plan(count_sql, (match,))
    print(f"  {a + b:9.2f} ms  = list + count")
    time_query("  part: entry ids of all matches (reads entries_fts_content)",
               "SELECT entry_id FROM entries_fts WHERE entries_fts MATCH ?", (match,))
    time_query("  part: rowids of all matches (index only)",
               "SELECT rowid FROM entries_fts WHERE entries_fts MATCH ?", (match,))
    time_query("  part: count live consultations (walks ix_entries_type_start + table rows)",
               f"SELECT count(*) FROM entries WHERE {live}")

    print("\n-- prototype: full-text index keyed by the entries' integer rowid ---------------")
    start = time.perf_counter()
    conn.execute(
        "CREATE VIRTUAL TABLE entries_fts2 USING fts5(kind, body, content='', contentless_delete=1, "
        "tokenize = 'unicode61 remove_diacritics 2')"
    )
    conn.execute("BEGIN")
    conn.execute(
        "INSERT INTO entries_fts2 (rowid, kind, body) "
        "SELECT e.rowid, e.type, f.body FROM entries_fts f JOIN entries e ON e.id = f.entry_id"
    )
    conn.execute("COMMIT")
    print(f"  built in {time.perf_counter() - start:.1f} s (what a migration would cost at this size)")
    rowid = conn.execute("SELECT max(rowid) FROM entries_fts2").fetchone()[0]
    sql = "DELETE FROM entries_fts2 WHERE rowid = ?"
    time_query("save step: " + sql, sql, (rowid,), write=True)
    plan(sql, (rowid,))
    body = f"body: {match}"
    sub2 = "rowid IN (SELECT rowid FROM entries_fts2 WHERE entries_fts2 MATCH ?)"
    list2 = f"SELECT id, start FROM entries WHERE {live} AND {sub2} ORDER BY start DESC, id DESC LIMIT 50"
    a = time_query("search list, rowid-keyed", list2, (body,))
    plan(list2, (body,))
    typed = f"kind: consultation AND {body}"
    count2 = "SELECT count(*) FROM entries_fts2 WHERE entries_fts2 MATCH ?"
    b = time_query("search count, type inside the full-text index", count2, (typed,))
    print(f"  {a + b:9.2f} ms  = list + count")
    join = (
        "SELECT count(*) FROM entries_fts2 f CROSS JOIN entries e ON e.rowid = f.rowid "
        "WHERE entries_fts2 MATCH ? AND e.deleted_at IS NULL AND e.type = 'consultation' AND e.district = 'mitte'"
    )
    time_query("count with another filter (district), driven by the matches", join, (body,))
    plan(join, (body,))


if __name__ == "__main__":
    sys.exit(main())
