"""Aggregation over the merged entries: two GROUP BY queries give everything the report
and the dashboard show. Only catalog codes and counts leave the database: no names,
client codes or notes are ever selected.

Live entries are rows of `entries` with `deleted_at IS NULL`; `author` is the team member
who wrote the entry (after a merge, the whole team's entries are here). List columns
(languages, topics, referrals, partners) are JSON arrays of catalog codes, unfolded with
SQLite's `json_each`.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from sqlalchemy.engine import Engine

from app.reports.periods import Period

LIST_COLUMNS = ("languages", "topics", "referrals", "partners")
# Up to this many days the day index narrows the rows; longer periods read the table
# straight through. Measured at 500,000 entries (docs/benchmarks.md), walking the day index
# costs far more than a straight read even for one month (every row found through the index
# is a random page read and decryption), so by default the index is never used.
INDEX_DAYS = 0


@dataclass(frozen=True)
class ReportFilter:
    period: Period
    authors: tuple[str, ...] = ()  # team members; empty: everyone
    types: tuple[str, ...] = ()  # entry types; empty: all


@dataclass
class Facts:
    """The aggregated rows behind every table and chart."""

    period: Period
    # (type, month, week, setting, accompanied_to, district, school, format, purpose)
    #   -> [entries, pupils, families, adults, children]
    cube: dict[tuple, list[int]] = field(default_factory=dict)
    # (type, setting, district, school, list column, code) -> entries mentioning the code
    lists: dict[tuple, int] = field(default_factory=dict)

    # -- views used by tables and charts ---------------------------------------------

    def count(self, key_of, *, where=None, measure: int = 0) -> dict[tuple, int]:
        """Sum a measure (0 entries, 1 pupils, 2 families, 3 adults, 4 children) over the
        cube, grouped by `key_of(dims)`, keeping only dims for which `where(dims)` holds."""
        out: dict[tuple, int] = defaultdict(int)
        for dims, values in self.cube.items():
            if where is None or where(dims):
                out[key_of(dims)] += values[measure] or 0
        return dict(out)

    def mentions(self, column: str, key_of, *, where=None) -> dict[tuple, int]:
        out: dict[tuple, int] = defaultdict(int)
        for dims, n in self.lists.items():
            if dims[4] == column and (where is None or where(dims)):
                out[key_of(dims)] += n
        return dict(out)

    def total_entries(self) -> int:
        return sum(v[0] for v in self.cube.values())


def _where(flt: ReportFilter) -> tuple[str, list]:
    sql = ["e.deleted_at IS NULL", "e.day BETWEEN ? AND ?"]
    params: list = [flt.period.first.isoformat(), flt.period.last.isoformat()]
    if flt.authors:
        sql.append(f"e.author IN ({', '.join('?' * len(flt.authors))})")
        params.extend(flt.authors)
    if flt.types:
        sql.append(f"e.type IN ({', '.join('?' * len(flt.types))})")
        params.extend(flt.types)
    return " AND ".join(sql), params


def _source(flt: ReportFilter) -> str:
    return "entries e" if flt.period.days <= INDEX_DAYS else "entries e NOT INDEXED"


def cube_sql(flt: ReportFilter) -> tuple[str, list]:
    where, params = _where(flt)
    return (
        "SELECT e.type, substr(e.day, 1, 7), date(e.day, 'weekday 0', '-6 days'), e.setting, e.accompanied_to, "
        "e.district, e.school, e.format, e.purpose, count(*), sum(e.pupils_count), sum(e.families_count), "
        f"sum(e.adults_reached), sum(e.children_reached) FROM {_source(flt)} WHERE {where} "
        "GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9",
        params,
    )


def lists_sql(flt: ReportFilter) -> tuple[str, list]:
    """All four list columns unfolded in one pass: the row's lists are put into one JSON
    array of arrays, whose index (`a.key`) says which column a code came from."""
    where, params = _where(flt)
    combined = " || ',' || ".join(f"e.{c}" for c in LIST_COLUMNS)
    return (
        "SELECT e.type, e.setting, e.district, e.school, a.key, v.value, count(*) "
        f"FROM {_source(flt)}, json_each('[' || {combined} || ']') a, json_each(a.value) v "
        f"WHERE {where} GROUP BY 1, 2, 3, 4, 5, 6",
        params,
    )


def load_facts(engine: Engine, flt: ReportFilter) -> Facts:
    """Run both queries, each on its own connection and thread (SQLite works outside the
    GIL, so the two scans overlap on two cores)."""

    def run(statement):
        sql, params = statement
        with engine.connect() as conn:
            return conn.exec_driver_sql(sql, tuple(params)).fetchall()

    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="mediatorlog-report") as pool:
        cube_rows, list_rows = pool.map(run, [cube_sql(flt), lists_sql(flt)])
    facts = Facts(flt.period)
    for row in cube_rows:
        facts.cube[tuple(row[:9])] = [int(v or 0) for v in row[9:]]
    for row in list_rows:
        facts.lists[(row[0], row[1], row[2], row[3], LIST_COLUMNS[row[4]], row[5])] = int(row[6])
    return facts


def follow_ups_by_member(engine: Engine, today: dt.date, authors: tuple[str, ...] = (),
                         soon_days: int = 7) -> dict[str, tuple[int, int, int]]:
    """Open follow-ups per team member: (overdue, due today, due in the next `soon_days` days)."""
    sql = (
        "SELECT author, sum(follow_up_due < ?), sum(follow_up_due = ?), sum(follow_up_due > ?) "
        # the partial index holds only open follow-ups; left to itself SQLite walks every live
        # entry through ix_entries_journal instead (5.7 s instead of milliseconds at 500,000)
        "FROM entries INDEXED BY ix_entries_follow_up_open "
        "WHERE follow_up_done = 0 AND follow_up_due IS NOT NULL AND deleted_at IS NULL "
        "AND follow_up_due <= ?"
    )
    day = today.isoformat()
    params: list = [day, day, day, (today + dt.timedelta(days=soon_days)).isoformat()]
    if authors:
        sql += f" AND author IN ({', '.join('?' * len(authors))})"
        params.extend(authors)
    sql += " GROUP BY author ORDER BY author"
    with engine.connect() as conn:
        return {r[0]: (int(r[1] or 0), int(r[2] or 0), int(r[3] or 0))
                for r in conn.exec_driver_sql(sql, tuple(params))}


def team_members(engine: Engine) -> list[str]:
    with engine.connect() as conn:
        return [r[0] for r in conn.exec_driver_sql(
            "SELECT DISTINCT author FROM entries WHERE deleted_at IS NULL AND author != '' ORDER BY author")]
