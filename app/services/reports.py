"""Reports and dashboard figures for team leads, over the merged entries of the store.

`make_report` is what the command line and the dashboard's export call; `dashboard_facts`
is what the dashboard runs on a worker thread. The report's language is the current
interface language: the command line sets it with `--lang` (German by default).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from app.reports.build import build_report
from app.reports.model import Report
from app.reports.periods import Period
from app.reports.queries import Facts, ReportFilter, catch_up, follow_ups_by_member, load_facts, team_members
from app.reports.suppression import DEFAULT_THRESHOLD
from app.reports.writers import FORMATS, render
from app.services.journal import Journal
from app.store.atomic import atomic_write


def report_for(journal: Journal, period: Period, *, threshold: int = DEFAULT_THRESHOLD,
               created: dt.datetime | None = None) -> Report:
    if threshold < 1:
        raise ValueError("threshold")
    facts = load_facts(journal.engine, ReportFilter(period))
    return build_report(facts, journal.catalogs, threshold=threshold, created=created)


def make_report(journal: Journal, period: Period, fmt: str, out: Path, *, threshold: int = DEFAULT_THRESHOLD,
                created: dt.datetime | None = None) -> Report:
    """Build the report and write it to `out` atomically (a complete file or none)."""
    if fmt not in FORMATS:
        raise ValueError(fmt)
    report = report_for(journal, period, threshold=threshold, created=created)
    atomic_write(Path(out), render(report, fmt))
    return report


@dataclass
class DashboardData:
    facts: Facts
    follow_ups: dict[str, tuple[int, int, int]]  # team member -> (overdue, due today, due soon)


def catch_up_reports(journal: Journal) -> None:
    """Bring the reporting tables up to date now (a merge only notes what it changed), so the
    next dashboard or report does not have to: the sync view calls this after an import."""
    catch_up(journal.engine)


def dashboard_facts(journal: Journal, flt: ReportFilter, today: dt.date | None = None) -> DashboardData:
    return DashboardData(load_facts(journal.engine, flt),
                         follow_ups_by_member(journal.engine, today or dt.date.today(), flt.authors))


def list_team_members(journal: Journal) -> list[str]:
    return team_members(journal.engine)
