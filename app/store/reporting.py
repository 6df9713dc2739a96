"""Bulk upkeep of the reporting tables (migration 0006) for large merges.

Triggers on `entries` keep `report_facts` and `report_mentions` exact row by row. A sync merge
writes thousands of rows in one go; there a row-by-row trigger costs about as much as the merge
itself, so the merge pauses the triggers (a row in `report_pause`, inside its own transaction,
invisible to every other connection) and writes the rows it touched in bulk, computed from the rows it
already holds in memory, exactly as the triggers of migration 0006 compute them.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable

from sqlalchemy.engine import Connection

CODED = ("type", "author", "setting", "accompanied_to", "district", "school", "format", "purpose")
LISTS = ("languages", "topics", "referrals", "partners")
# The place a type's lists break down by (any other type: its district).
PLACE_COLUMN = {"consultation": "setting", "tandem_session": "school"}
REPORTED_COLUMNS = frozenset((*CODED, "day", "pupils_count", "families_count", "adults_reached",
                              "children_reached", *LISTS, "deleted_at"))

def pause(conn: Connection) -> None:
    """Row-by-row triggers off for the rest of this transaction (until `resume`)."""
    conn.exec_driver_sql("INSERT INTO report_pause (one) VALUES (1)")


def resume(conn: Connection) -> None:
    conn.exec_driver_sql("DELETE FROM report_pause")


def refresh(conn: Connection, old_keys: Iterable[tuple[str | None, int]], rows: Iterable[dict]) -> None:
    """Replace the reporting rows of the given entries. `old_keys` are the (day, seq) they had;
    `rows` are the entries as now written (every column of `entries`, with `seq`). The figures
    are computed here exactly as the triggers of migration 0006 compute them."""
    raw = conn.connection.driver_connection
    old = [(day, seq) for day, seq in old_keys if day is not None]
    if old:
        raw.executemany("DELETE FROM report_mentions WHERE day = ? AND seq = ?", old)
        raw.executemany("DELETE FROM report_facts WHERE day = ? AND seq = ?", old)
    live = [row for row in rows if row.get("deleted_at") is None and row.get("day") is not None]
    if not live:
        return
    lists = [[_codes_of(row.get(name)) for name in LISTS] for row in live]
    wanted = {row[name] for row in live for name in CODED if row.get(name) is not None}
    wanted.update(code for per_row in lists for codes in per_row for code in codes)
    ids = _code_ids(raw, wanted)
    facts, mentions = [], []
    for row, per_row in zip(live, lists):
        day = dt.date.fromisoformat(row["day"])
        coded = [ids.get(row.get(name)) for name in CODED]
        facts.append((row["day"], row["seq"], day.year * 100 + day.month,
                      (day - dt.timedelta(days=day.weekday())).toordinal(), *coded,
                      row.get("pupils_count"), row.get("families_count"), row.get("adults_reached"),
                      row.get("children_reached")))
        kind, author = coded[0], coded[1]
        place = coded[CODED.index(PLACE_COLUMN.get(row.get("type"), "district"))]
        for col, codes in enumerate(per_row):
            mentions.extend((row["day"], row["seq"], col, ids[code], kind, place, author) for code in codes)
    raw.executemany(f"INSERT INTO report_facts VALUES ({', '.join('?' * 16)})", facts)
    raw.executemany("INSERT INTO report_mentions VALUES (?, ?, ?, ?, ?, ?, ?)", mentions)


def _codes_of(value) -> list[str]:
    """The distinct codes of a JSON list column, in order (as json_each + DISTINCT gives them)."""
    try:
        items = json.loads(value) if value else []
    except ValueError:
        return []
    return list(dict.fromkeys(item for item in items if isinstance(item, str))) if isinstance(items, list) else []


def _code_ids(raw, wanted: set[str]) -> dict[str, int]:
    ids: dict[str, int] = dict(raw.execute("SELECT code, id FROM report_codes").fetchall())
    missing = sorted(wanted - ids.keys())
    if missing:
        raw.executemany("INSERT INTO report_codes (code) VALUES (?)", [(code,) for code in missing])
        ids.update(raw.execute("SELECT code, id FROM report_codes").fetchall())
    return ids
