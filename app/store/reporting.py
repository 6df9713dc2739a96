"""Bulk upkeep of the reporting tables (migration 0006) for large merges.

Triggers on `entries` keep `report_facts` and `report_mentions` exact row by row. A sync merge
writes thousands of rows in one go; there a row-by-row trigger costs about as much as the merge
itself, so the merge pauses the triggers (a row in `report_pause`, inside its own transaction,
invisible to every other connection) and refreshes the rows it touched with a few set-based
statements. The SQL mirrors the triggers of migration 0006 (which stays frozen as it was made).
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy.engine import Connection

CODED = ("type", "author", "setting", "accompanied_to", "district", "school", "format", "purpose")
LISTS = ("languages", "topics", "referrals", "partners")
REPORTED_COLUMNS = frozenset((*CODED, "day", "pupils_count", "families_count", "adults_reached",
                              "children_reached", *LISTS, "deleted_at"))
CHUNK = 500

_DIRTY = "SELECT seq FROM temp.report_dirty"
_LIVE = f"e.seq IN ({_DIRTY}) AND e.deleted_at IS NULL AND e.day IS NOT NULL"
_PLACE = ("CASE f.type WHEN (SELECT id FROM report_codes WHERE code = 'consultation') THEN f.setting "
          "WHEN (SELECT id FROM report_codes WHERE code = 'tandem_session') THEN f.school ELSE f.district END")
_LIST_UNION = " UNION ALL ".join(f"SELECT {i} AS col" for i in range(len(LISTS)))
_LIST_CASE = "CASE l.col " + " ".join(f"WHEN {i} THEN e.{c}" for i, c in enumerate(LISTS)) + " END"

REFRESH = (
    "INSERT INTO report_codes (code) SELECT DISTINCT v FROM ("
    + " UNION ALL ".join(f"SELECT e.{c} AS v FROM entries e WHERE {_LIVE}" for c in CODED)
    + f" UNION ALL SELECT j.value AS v FROM entries e, ({_LIST_UNION}) l, json_each({_LIST_CASE}) j WHERE {_LIVE}"
    + ") WHERE v IS NOT NULL AND v NOT IN (SELECT code FROM report_codes)",
    "INSERT INTO report_facts SELECT e.day, e.seq, CAST(substr(e.day, 1, 4) || substr(e.day, 6, 2) AS INTEGER), "
    "CAST(julianday(e.day, 'weekday 0', '-6 days') - 1721424.5 AS INTEGER), "
    + ", ".join(f"(SELECT id FROM report_codes WHERE code = e.{c})" for c in CODED)
    + f", e.pupils_count, e.families_count, e.adults_reached, e.children_reached FROM entries e WHERE {_LIVE} "
    "ORDER BY e.day, e.seq",
    f"INSERT INTO report_mentions SELECT DISTINCT f.day, f.seq, l.col, c.id, f.type, {_PLACE}, f.author "
    f"FROM entries e JOIN report_facts f ON f.day = e.day AND f.seq = e.seq, ({_LIST_UNION}) l, "
    f"json_each({_LIST_CASE}) j JOIN report_codes c ON c.code = j.value WHERE {_LIVE}",
)


def pause(conn: Connection) -> None:
    """Row-by-row triggers off for the rest of this transaction (until `resume`)."""
    conn.exec_driver_sql("INSERT INTO report_pause (one) VALUES (1)")


def resume(conn: Connection) -> None:
    conn.exec_driver_sql("DELETE FROM report_pause")


def refresh(conn: Connection, old_keys: Iterable[tuple[str, int]], seqs: Iterable[int]) -> None:
    """Replace the reporting rows of entries `seqs`; `old_keys` are the (day, seq) they had."""
    raw = conn.connection.driver_connection
    old = [(day, seq) for day, seq in old_keys if day is not None]
    if old:
        raw.executemany("DELETE FROM report_mentions WHERE day = ? AND seq = ?", old)
        raw.executemany("DELETE FROM report_facts WHERE day = ? AND seq = ?", old)
    seqs = sorted(set(seqs))
    if not seqs:
        return
    raw.execute("CREATE TEMP TABLE IF NOT EXISTS report_dirty (seq INTEGER PRIMARY KEY)")
    raw.execute("DELETE FROM temp.report_dirty")
    raw.executemany("INSERT INTO temp.report_dirty (seq) VALUES (?)", [(s,) for s in seqs])
    for statement in REFRESH:
        raw.execute(statement)
    raw.execute("DELETE FROM temp.report_dirty")
