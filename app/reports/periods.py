"""Reporting periods: week, month, quarter, school year, calendar year and custom ranges.

A period is a closed range of calendar days [first, last]. The school year in North
Rhine-Westphalia runs from 1 August to 31 July (SchulG NRW § 7); it is named by both
years, "2025/26". Weeks are ISO weeks, Monday to Sunday.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from app.i18n import N_, _
from app.i18n.formats import format_date, format_month

WEEK, MONTH, QUARTER, SCHOOL_YEAR, YEAR, CUSTOM = "week", "month", "quarter", "school_year", "year", "custom"
PERIOD_KINDS = (WEEK, MONTH, QUARTER, SCHOOL_YEAR, YEAR, CUSTOM)
PERIOD_LABELS = {
    WEEK: N_("Week"),
    MONTH: N_("Month"),
    QUARTER: N_("Quarter"),
    SCHOOL_YEAR: N_("School year"),
    YEAR: N_("Calendar year"),
    CUSTOM: N_("Custom period"),
}
SCHOOL_YEAR_START_MONTH = 8  # 1 August


@dataclass(frozen=True)
class Period:
    first: dt.date
    last: dt.date  # inclusive
    kind: str = CUSTOM

    def __post_init__(self):
        if self.last < self.first:
            raise ValueError("a period cannot end before it starts")

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    def contains(self, day: dt.date) -> bool:
        return self.first <= day <= self.last

    def label(self) -> str:
        """A short human name: "2025/26", "Q1 2025", "March 2025", "Week 11 of 2025" or a date range, in the current language."""
        if self.kind == SCHOOL_YEAR:
            return _("School year {years}").format(years=f"{self.first.year}/{str(self.last.year)[2:]}")
        if self.kind == YEAR:
            return str(self.first.year)
        if self.kind == QUARTER:
            return _("Q{quarter} {year}").format(quarter=(self.first.month - 1) // 3 + 1, year=self.first.year)
        if self.kind == MONTH:
            return format_month(self.first.year, self.first.month)
        if self.kind == WEEK:
            year, week, _day = self.first.isocalendar()
            return _("Week {week} of {year}").format(week=week, year=year)
        return f"{format_date(self.first)} – {format_date(self.last)}"

    def shifted(self, steps: int) -> Period:
        """The period `steps` periods later (earlier if negative), of the same kind."""
        if self.kind == CUSTOM:
            return Period(self.first + dt.timedelta(days=self.days * steps),
                          self.last + dt.timedelta(days=self.days * steps), CUSTOM)
        if self.kind == WEEK:
            return period_of(WEEK, self.first + dt.timedelta(weeks=steps))
        months = {MONTH: 1, QUARTER: 3, SCHOOL_YEAR: 12, YEAR: 12}[self.kind]
        return period_of(self.kind, _add_months(self.first, months * steps))


def _add_months(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + (day.month - 1) + months
    return dt.date(index // 12, index % 12 + 1, 1)


def _month_end(year: int, month: int) -> dt.date:
    return _add_months(dt.date(year, month, 1), 1) - dt.timedelta(days=1)


def school_year_of(day: dt.date) -> Period:
    """The NRW school year (1 August - 31 July) that `day` falls in."""
    start_year = day.year if day.month >= SCHOOL_YEAR_START_MONTH else day.year - 1
    return Period(dt.date(start_year, SCHOOL_YEAR_START_MONTH, 1),
                  dt.date(start_year + 1, SCHOOL_YEAR_START_MONTH, 1) - dt.timedelta(days=1), SCHOOL_YEAR)


def period_of(kind: str, day: dt.date) -> Period:
    """The period of the given kind that contains `day` (for CUSTOM: just that day)."""
    if kind == WEEK:
        monday = day - dt.timedelta(days=day.weekday())
        return Period(monday, monday + dt.timedelta(days=6), WEEK)
    if kind == MONTH:
        return Period(day.replace(day=1), _month_end(day.year, day.month), MONTH)
    if kind == QUARTER:
        month = (day.month - 1) // 3 * 3 + 1
        return Period(dt.date(day.year, month, 1), _month_end(day.year, month + 2), QUARTER)
    if kind == SCHOOL_YEAR:
        return school_year_of(day)
    if kind == YEAR:
        return Period(dt.date(day.year, 1, 1), dt.date(day.year, 12, 31), YEAR)
    if kind == CUSTOM:
        return Period(day, day, CUSTOM)
    raise ValueError(f"unknown period kind: {kind}")


def months_in(period: Period) -> list[str]:
    """The calendar months (YYYY-MM) the period touches, in order."""
    months, day = [], period.first.replace(day=1)
    while day <= period.last:
        months.append(f"{day.year}-{day.month:02d}")
        day = _add_months(day, 1)
    return months


def weeks_in(period: Period) -> list[str]:
    """The Mondays (YYYY-MM-DD) of the ISO weeks the period touches, in order."""
    monday = period.first - dt.timedelta(days=period.first.weekday())
    weeks = []
    while monday <= period.last:
        weeks.append(monday.isoformat())
        monday += dt.timedelta(days=7)
    return weeks


def recognised(period: Period) -> Period:
    """The same days, named as the school year, calendar year, quarter, month or week they
    exactly are (for a range typed on the command line)."""
    for kind in (SCHOOL_YEAR, YEAR, QUARTER, MONTH, WEEK):
        try:
            candidate = period_of(kind, period.first)
        except (ValueError, OverflowError):  # a school year around 0001-01-01 starts in year 0
            continue
        if candidate.first == period.first and candidate.last == period.last:
            return candidate
    return period


def parse_day(text: str) -> dt.date:
    """A date as YYYY-MM-DD (also DD.MM.YYYY, as Germans write it); ValueError otherwise."""
    text = text.strip()
    for fmt in ("%Y-%m-%d", "%d.%m.%Y"):
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise ValueError(text)
