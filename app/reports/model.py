"""The report as data: sections of tables, each already protected against small counts.

Every label is resolved in the report's language when the report is built; the writers
(XLSX, CSV, PDF) only lay it out. A table holds counts only: there is no place in this
model for a name, a client code or a note.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from app.reports.suppression import PRIMARY, SHOWN, Grid


@dataclass
class Table:
    key: str
    title: str
    row_title: str
    rows: list[str]  # row labels (without the totals row)
    columns: list[str]  # column labels (without the totals column)
    grid: Grid  # values and statuses, (rows + 1) x (columns + 1) with totals
    total_label: str = "Total"
    note: str = ""
    threshold: int = 5

    def text(self, r: int, c: int) -> str:
        """The cell as printed: the number, "<5" (a small count) or "x" (hidden so that no
        small count can be worked out), or "–" for a withheld table."""
        if self.grid.withheld:
            return "–"
        status = self.grid.status[r][c]
        if status == SHOWN:
            return str(self.grid.values[r][c])
        return f"<{self.threshold}" if status == PRIMARY else "x"

    def value(self, r: int, c: int) -> int | None:
        """The number if it is printed, else None."""
        if self.grid.withheld or self.grid.status[r][c] != SHOWN:
            return None
        return self.grid.values[r][c]

    def row_labels(self) -> list[str]:
        return [*self.rows, self.total_label]

    def column_labels(self) -> list[str]:
        return [*self.columns, self.total_label]


@dataclass
class Section:
    key: str
    title: str
    tables: list[Table] = field(default_factory=list)


@dataclass
class Report:
    title: str
    period_label: str
    first: dt.date
    last: dt.date
    created: dt.datetime
    language: str
    threshold: int
    entries: int  # live entries in the period (before suppression; printed only if >= threshold)
    sections: list[Section] = field(default_factory=list)
    labels: dict[str, str] = field(default_factory=dict)  # translated fixed words for the writers

    def tables(self) -> list[Table]:
        return [t for s in self.sections for t in s.tables]
