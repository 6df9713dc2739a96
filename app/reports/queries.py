"""Aggregation over the merged entries: two GROUP BY queries give everything the report
and the dashboard show. Only catalog codes and counts leave the database: no names,
client codes or notes are ever selected.

They read the narrow reporting tables of migration 0006 (`report_facts`: one row per live
entry; `report_mentions`: one row per code in its language, topic, referral and partner lists),
brought up to date with `entries` before each read (saves only note what changed, migration
0008). `author` is the team member who wrote the entry (after a merge, the whole team's entries
are here).
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from sqlalchemy.engine import Engine

from app.reports.periods import Period
from app.store import reporting
from app.store.engine import writing
from app.store.reporting import PLACE_COLUMN

LIST_COLUMNS = ("languages", "topics", "referrals", "partners")  # col 0..3 of report_mentions


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
    # (type, setting, district, school, list column, code) -> entries mentioning the code; only the
    # place the type breaks down by is set (setting of a consultation, district of an outreach
    # visit, school of a tandem session), the other two are None
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


def _where(flt: ReportFilter, ids: dict[str, int]) -> tuple[str, list]:
    """Conditions on the narrow reporting tables (migration 0006), whose coded columns hold
    `report_codes` ids. A team member or type never seen matches nothing."""
    sql = ["day BETWEEN ? AND ?"]
    params: list = [flt.period.first.isoformat(), flt.period.last.isoformat()]
    for column, wanted in (("author", flt.authors), ("type", flt.types)):
        if wanted:
            found = [ids.get(value, -1) for value in wanted]
            sql.append(f"{column} IN ({', '.join('?' * len(found))})")
            params.extend(found)
    return " AND ".join(sql), params


# Up to this many days a period is read by its day range (and the groups sorted); longer ones
# walk the covering index that is already in GROUP BY order (0.2 s instead of 1.5 s for the
# mentions of a school year at 500,000 entries; docs/benchmarks.md).
RANGE_DAYS = 62


def _source(table: str, index: str, flt: ReportFilter) -> str:
    return table if flt.period.days <= RANGE_DAYS else f"{table} INDEXED BY {index}"


def cube_sql(flt: ReportFilter, ids: dict[str, int]) -> tuple[str, list]:
    where, params = _where(flt, ids)
    return (
        "SELECT type, month, week, setting, accompanied_to, district, school, format, purpose, count(*), "
        f"sum(pupils), sum(families), sum(adults), sum(children) "
        f"FROM {_source('report_facts', 'ix_report_facts_cube', flt)} WHERE {where} "
        "GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9",
        params,
    )


def lists_sql(flt: ReportFilter, ids: dict[str, int]) -> tuple[str, list]:
    where, params = _where(flt, ids)
    return (
        f"SELECT type, place, col, code, count(*) FROM {_source('report_mentions', 'ix_report_mentions_group', flt)} "
        f"WHERE {where} GROUP BY 1, 2, 3, 4",
        params,
    )


def _codes(conn) -> dict[int, str]:
    return dict(conn.exec_driver_sql("SELECT id, code FROM report_codes").fetchall())


_POOL: list[ThreadPoolExecutor] = []
_POOL_LOCK = threading.Lock()


def _query_pool() -> ThreadPoolExecutor:
    """Two threads for the whole process, not two new ones per report: a full test run once hung
    while a dashboard's worker was starting a thread as the window was being shown."""
    with _POOL_LOCK:
        if not _POOL:
            _POOL.append(ThreadPoolExecutor(max_workers=2, thread_name_prefix="mediatorlog-report"))
        return _POOL[0]


def start_query_threads() -> None:
    """Start both query threads now, on the calling thread. The UI calls this before it shows a
    window that reports, so that no thread is started while Qt is busy showing it."""
    both = threading.Barrier(2)

    def meet(_n: int) -> None:
        try:
            both.wait(timeout=5)  # each task holds its thread until the other has one too
        except threading.BrokenBarrierError:
            pass

    list(_query_pool().map(meet, range(2)))


def catch_up(engine: Engine) -> None:
    """Count what was saved since the reporting tables were last read: saves only note their
    entries (migration 0008). The write lock is taken only when there is something to do."""
    with engine.connect() as conn:
        if conn.exec_driver_sql("SELECT 1 FROM report_stale LIMIT 1").first() is None:
            return
    with writing(engine) as conn:
        reporting.catch_up(conn)


def load_facts(engine: Engine, flt: ReportFilter) -> Facts:
    """Two GROUP BY queries over the narrow reporting tables, each on its own connection and
    thread (SQLite works outside the GIL, so they overlap on two cores). The tables hold
    small integers clustered by day (`report_codes` numbers the codes): read them back here."""
    catch_up(engine)
    with engine.connect() as conn:
        names = _codes(conn)
    ids = {code: number for number, code in names.items()}

    def run(statement):
        sql, params = statement
        with engine.connect() as conn:
            return conn.exec_driver_sql(sql, tuple(params)).fetchall()

    cube_rows, list_rows = _query_pool().map(run, [cube_sql(flt, ids), lists_sql(flt, ids)])
    name = names.get
    facts = Facts(flt.period)
    months: dict[int, str] = {}
    weeks: dict[int, str] = {}
    for row in cube_rows:
        month = months.get(row[1]) or months.setdefault(row[1], f"{row[1] // 100:04d}-{row[1] % 100:02d}")
        week = weeks.get(row[2]) or weeks.setdefault(row[2], dt.date.fromordinal(row[2]).isoformat())
        key = (name(row[0]), month, week, *(name(v) for v in row[3:9]))
        facts.cube[key] = [int(v or 0) for v in row[9:]]
    for entry_type, place, col, code, n in list_rows:
        kind = name(entry_type)
        # The place fills the slot reports break each type's lists down by: setting, district or school.
        slots = [None, None, None]
        slots[_SLOTS.index(PLACE_COLUMN.get(kind, "district"))] = name(place)
        facts.lists[(kind, *slots, LIST_COLUMNS[col], name(code))] = int(n)
    return facts


_SLOTS = ("setting", "district", "school")  # the place slots of a Facts.lists key


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
    """Authors of live entries (read from the narrow facts, not the wide entries table)."""
    catch_up(engine)
    with engine.connect() as conn:
        return [r[0] for r in conn.exec_driver_sql(
            "SELECT code FROM report_codes WHERE id IN (SELECT DISTINCT author FROM report_facts) "
            "AND code != '' ORDER BY code")]
