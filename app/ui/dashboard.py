"""Team-lead dashboard: figures of the merged entries for a period, as charts (QtCharts)
with their numbers one click away, and the open follow-ups per team member.

Queries run on the TaskRunner's worker threads; the newest request wins (an older answer
arriving late is dropped). `refresh()` is what the sync view calls after a merge. The
dashboard shows counts only (no names of clients, no codes, no notes); the team members'
names appear in the follow-up table, which only a team lead sees.
"""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCharts import (QBarCategoryAxis, QBarSet, QChart, QChartView, QHorizontalStackedBarSeries,
                              QStackedBarSeries, QValueAxis)
from PySide6.QtCore import QDate, QEvent, QMargins, Qt
from PySide6.QtGui import QGuiApplication, QPainter
from PySide6.QtWidgets import (QAbstractItemView, QBoxLayout, QComboBox, QDateEdit, QDialog, QFrame,
                               QGridLayout, QHBoxLayout, QHeaderView, QLabel, QPushButton, QScrollArea, QStackedWidget,
                               QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget)

from app.domain.entries import CONSULTATION, ENTRY_TYPE_LABELS, ENTRY_TYPES, FORMAT_LABELS, OUTREACH_VISIT, TANDEM_SESSION
from app.i18n import N_, _, ngettext
from app.reports.build import codes
from app.reports.periods import CUSTOM, PERIOD_KINDS, PERIOD_LABELS, SCHOOL_YEAR, Period, period_of, weeks_in
from app.reports.queries import Facts, ReportFilter, start_query_threads
from app.services.journal import Journal
from app.services.reports import DashboardData, dashboard_facts, list_team_members, make_report
from app.ui.tasks import TaskRunner
from app.ui.widgets import WINDOW_FRAME_ALLOWANCE, ask_save_file

COLORS = ["#3b6ea5", "#e08a2c", "#4f9a5b", "#b8504a", "#7a5ea8", "#8c6d46", "#c45d9c", "#6f7f8f"]

# (key, title, kind) -- kind "v": vertical stacked bars, "h": horizontal stacked bars
CHARTS = [
    ("weeks", N_("Entries per week by type"), "v"),
    ("topics", N_("Topics"), "h"),
    ("languages", N_("Languages"), "h"),
    ("referrals", N_("Referrals by service"), "h"),
    ("schools", N_("Tandem and tridem sessions per school"), "h"),
    ("outreach", N_("Outreach visits per district and purpose"), "h"),
    ("people", N_("People reached"), "h"),
]

Series = list[tuple[str, list[int]]]


def chart_data(key: str, facts: Facts, catalogs) -> tuple[list[str], Series]:
    """Categories and named series of one chart; the same numbers fill its table."""
    label = catalogs.label
    types = list(ENTRY_TYPES)
    if key == "weeks":
        weeks = weeks_in(facts.period)
        counts = facts.count(lambda d: (d[2], d[0]))
        names = [dt.date.fromisoformat(w).strftime("%d.%m.") for w in weeks]
        return names, [(_(ENTRY_TYPE_LABELS[t]), [counts.get((w, t), 0) for w in weeks]) for t in types]
    if key == "topics":
        counts = facts.mentions("topics", lambda d: (d[5], d[0]), where=lambda d: d[0] != TANDEM_SESSION)
        school = facts.mentions("topics", lambda d: (d[5],), where=lambda d: d[0] == TANDEM_SESSION)
        topic_codes = [c for c in codes(catalogs, "topics", {k[0] for k in counts}) if any(
            counts.get((c, t)) for t in types)]
        school_codes = [c for c in codes(catalogs, "school_topics", {k[0] for k in school}) if school.get((c,))]
        cats = [label("topics", c) for c in topic_codes] + [label("school_topics", c) for c in school_codes]
        series = [(_(ENTRY_TYPE_LABELS[t]), [counts.get((c, t), 0) for c in topic_codes] + [0] * len(school_codes))
                  for t in (CONSULTATION, OUTREACH_VISIT)]
        series.insert(1, (_(ENTRY_TYPE_LABELS[TANDEM_SESSION]),
                          [0] * len(topic_codes) + [school[(c,)] for c in school_codes]))
        return cats, series  # in the order of ENTRY_TYPES, so each type keeps its colour
    if key == "languages":
        counts = facts.mentions("languages", lambda d: (d[5], d[0]))
        found = [c for c in codes(catalogs, "languages", {k[0] for k in counts}) if any(counts.get((c, t)) for t in types)]
        return [label("languages", c) for c in found], [
            (_(ENTRY_TYPE_LABELS[t]), [counts.get((c, t), 0) for c in found]) for t in types]
    if key == "referrals":
        referred = facts.mentions("referrals", lambda d: (d[5],))
        accompanied = facts.count(lambda d: (d[4],),  # held as an accompaniment, as the report counts
                                  where=lambda d: d[0] == CONSULTATION and d[3] == "accompaniment" and d[4])
        found = [c for c in codes(catalogs, "services", {k[0] for k in referred} | {k[0] for k in accompanied})
                 if referred.get((c,)) or accompanied.get((c,))]
        return [label("services", c) for c in found], [
            (_("Referrals"), [referred.get((c,), 0) for c in found]),
            (_("Accompaniments"), [accompanied.get((c,), 0) for c in found])]
    if key == "schools":
        counts = facts.count(lambda d: (d[6], d[7]), where=lambda d: d[0] == TANDEM_SESSION)
        found = [c for c in codes(catalogs, "schools", {k[0] for k in counts}) if counts.get((c, "tandem")) or
                 counts.get((c, "tridem"))]
        return [label("schools", c) for c in found], [
            (_(FORMAT_LABELS[f]), [counts.get((c, f), 0) for c in found]) for f in ("tandem", "tridem")]
    if key == "outreach":
        counts = facts.count(lambda d: (d[5], d[8]), where=lambda d: d[0] == OUTREACH_VISIT)
        districts = [c for c in codes(catalogs, "districts", {k[0] for k in counts})
                     if any(n for (d, _p), n in counts.items() if d == c)]
        purposes = codes(catalogs, "purposes", {k[1] for k in counts})
        return [label("districts", c) for c in districts], [
            (label("purposes", p), [counts.get((c, p), 0) for c in districts]) for p in purposes
            if any(counts.get((c, p)) for c in districts)]
    if key == "people":
        outreach = lambda d: d[0] == OUTREACH_VISIT  # noqa: E731
        school = lambda d: d[0] == TANDEM_SESSION  # noqa: E731
        values = [sum(facts.count(lambda d: (), where=where, measure=m).values())
                  for where, m in ((outreach, 3), (outreach, 4), (school, 1), (school, 2))]
        return [_("Adults met on outreach"), _("Children met on outreach"), _("Pupils in school sessions"),
                _("Families in school sessions")], [(_("People"), values)]
    raise KeyError(key)


class ChartCard(QFrame):
    """One chart with a button that swaps it for a table of the same numbers."""

    def __init__(self, key: str, kind: str, parent=None):
        super().__init__(parent)
        self.key, self.kind = key, kind
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.title = QLabel(self)
        self.title.setStyleSheet("font-weight: bold")
        self.toggle = QPushButton(self)
        self.toggle.setCheckable(True)
        self.toggle.toggled.connect(self._toggled)
        self.stack = QStackedWidget(self)
        self.view = QChartView(self)
        self.view.setRenderHint(QPainter.RenderHint.Antialiasing)
        self.view.setMinimumHeight(260)
        self.table = QTableWidget(self)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        # each column as wide as its header (German and Bulgarian names run long); a wide table
        # scrolls sideways instead of cutting headers short
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setMinimumSectionSize(60)
        self.stack.addWidget(self.view)
        self.stack.addWidget(self.table)
        # The series names under the chart, wrapped onto more lines when they are long: QtCharts'
        # own legend keeps one row and cuts the names short ("Kontakt und Infor…").
        self.legend = QLabel(self)
        self.legend.setObjectName("legend")
        self.legend.setWordWrap(True)
        self.legend.setTextFormat(Qt.TextFormat.RichText)
        head = QHBoxLayout()
        head.addWidget(self.title, 1)
        head.addWidget(self.toggle)
        layout = QVBoxLayout(self)
        layout.addLayout(head)
        layout.addWidget(self.stack)
        layout.addWidget(self.legend)
        self.categories: list[str] = []
        self.series: Series = []
        self.retranslate("")

    def retranslate(self, title: str) -> None:
        self.title.setText(title)
        self.toggle.setText(_("Show chart") if self.toggle.isChecked() else _("Show numbers"))

    def _toggled(self, on: bool) -> None:
        self.stack.setCurrentIndex(1 if on else 0)
        self.legend.setVisible(not on and len(self.series) > 1)  # the table's headers name the series
        self.toggle.setText(_("Show chart") if on else _("Show numbers"))

    def show_data(self, categories: list[str], series: Series) -> None:
        self.categories, self.series = categories, series
        chart = QChart()
        chart.setMargins(QMargins(4, 4, 4, 4))
        chart.legend().setVisible(False)
        self.legend.setText("&nbsp;&nbsp;&nbsp; ".join(
            f'<span style="color:{COLORS[i % len(COLORS)]}">&#9632;</span>&nbsp;{html.escape(name)}'
            for i, (name, _values) in enumerate(series)))
        self.legend.setVisible(len(series) > 1 and not self.toggle.isChecked())
        bars = QHorizontalStackedBarSeries() if self.kind == "h" else QStackedBarSeries()
        for i, (name, values) in enumerate(series):
            bar_set = QBarSet(name)
            bar_set.setColor(COLORS[i % len(COLORS)])
            bar_set.append([float(v) for v in values])
            bars.append(bar_set)
        chart.addSeries(bars)
        axis_cat = QBarCategoryAxis()
        axis_cat.append(categories)  # category names must be unique: never blank some out
        axis_cat.setTruncateLabels(False)
        font = axis_cat.labelsFont()
        font.setPointSizeF(font.pointSizeF() * 0.85)
        axis_cat.setLabelsFont(font)
        if self.kind == "v" and len(categories) > 16:
            axis_cat.setLabelsAngle(-90)
        axis_val = QValueAxis()
        axis_val.setLabelFormat("%d")
        top = max([sum(col) for col in zip(*[v for _n, v in series])] or [0])
        axis_val.setRange(0, max(1, top))
        axis_val.applyNiceNumbers()
        if self.kind == "h":
            chart.addAxis(axis_cat, Qt.AlignmentFlag.AlignLeft)
            chart.addAxis(axis_val, Qt.AlignmentFlag.AlignBottom)
            self.view.setMinimumHeight(max(240, 24 * len(categories) + 110))
            self.stack.setMinimumHeight(self.view.minimumHeight())
            self.setMinimumHeight(self.view.minimumHeight() + 60 + (
                self.legend.heightForWidth(max(self.width() - 24, 300)) if self.legend.isVisibleTo(self) else 0))
        else:
            chart.addAxis(axis_cat, Qt.AlignmentFlag.AlignBottom)
            chart.addAxis(axis_val, Qt.AlignmentFlag.AlignLeft)
        bars.attachAxis(axis_cat)
        bars.attachAxis(axis_val)
        old = self.view.chart()
        self.view.setChart(chart)
        if old is not None:
            old.deleteLater()
        # the numbers, one click away
        self.table.clear()
        self.table.setRowCount(len(categories) + 1)
        self.table.setColumnCount(len(series) + 1)
        self.table.setHorizontalHeaderLabels([name for name, _v in series] + [_("Total")])
        self.table.setVerticalHeaderLabels(categories + [_("Total")])
        for r in range(len(categories) + 1):
            row_values = [values[r] for _n, values in series] if r < len(categories) else [
                sum(values) for _n, values in series]
            for c, value in enumerate([*row_values, sum(row_values)]):
                item = QTableWidgetItem(f"{value:,}".replace(",", "\u202f"))
                item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                self.table.setItem(r, c, item)


class Dashboard(QDialog):
    """The window: filters on top, charts in a scrollable grid, follow-ups at the end."""

    def __init__(self, journal: Journal, runner: TaskRunner, parent=None, today: dt.date | None = None):
        super().__init__(parent)
        self.setWindowFlags(Qt.WindowType.Window)
        self.journal, self.runner = journal, runner
        start_query_threads()
        self.today = today or dt.date.today()
        self.period = period_of(SCHOOL_YEAR, self.today)
        self.data: DashboardData | None = None
        self._generation = 0
        screen = (parent.screen() if parent is not None else None) or QGuiApplication.primaryScreen()
        area = screen.availableGeometry() if screen is not None else None
        # 1200 x 860, or the whole of a small laptop's screen (its charts scroll): never past its edge
        self.resize(min(1200, area.width()) if area else 1200, min(860, area.height() - 40) if area else 860)
        if area is not None and (area.width() < 1200 + WINDOW_FRAME_ALLOWANCE or area.height() < 860 + 40):
            self.setWindowState(Qt.WindowState.WindowMaximized)

        self.period_kind = QComboBox(self)
        self.previous = QPushButton("◀", self)
        self.next = QPushButton("▶", self)
        self.first_day = QDateEdit(self, calendarPopup=True)
        self.last_day = QDateEdit(self, calendarPopup=True)
        self.member = QComboBox(self)
        self.entry_type = QComboBox(self)
        self.export = QPushButton(self)
        self.status = QLabel(self)
        self.status.setWordWrap(True)  # a long message wraps instead of widening the window
        self.labels = {name: QLabel(self) for name in ("period", "from", "to", "member", "type")}
        # Which days, and whose entries: side by side, or one above the other on a narrow screen
        self.when_row, self.who_row = QHBoxLayout(), QHBoxLayout()
        for widget in (self.labels["period"], self.period_kind, self.previous, self.next, self.labels["from"],
                       self.first_day, self.labels["to"], self.last_day):
            self.when_row.addWidget(widget)
        self.when_row.addStretch(1)
        for widget in (self.labels["member"], self.member, self.labels["type"], self.entry_type):
            self.who_row.addWidget(widget)
        self.who_row.addStretch(1)
        self.who_row.addWidget(self.export)
        bar = self.bar = QBoxLayout(QBoxLayout.Direction.LeftToRight)
        bar.addLayout(self.when_row)
        bar.addLayout(self.who_row, 1)

        self.cards = {key: ChartCard(key, kind, self) for key, _title, kind in CHARTS}
        grid_host = QWidget(self)
        grid = QGridLayout(grid_host)
        grid.addWidget(self.cards["weeks"], 0, 0, 1, 2)
        for i, (key, _title, _kind) in enumerate(CHARTS[1:]):
            grid.addWidget(self.cards[key], 1 + i // 2, i % 2)
        self.follow_up_title = QLabel(grid_host)
        self.follow_up_title.setStyleSheet("font-weight: bold")
        self.follow_ups = QTableWidget(grid_host)
        self.follow_ups.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.follow_ups.setMinimumHeight(160)
        self.follow_ups.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        row = 1 + (len(CHARTS) - 1 + 1) // 2
        grid.addWidget(self.follow_up_title, row, 0, 1, 2)
        grid.addWidget(self.follow_ups, row + 1, 0, 1, 2)
        scroll = QScrollArea(self)
        scroll.setWidgetResizable(True)
        scroll.setWidget(grid_host)
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(self.status)
        layout.addWidget(scroll, 1)

        self.period_kind.currentIndexChanged.connect(self._kind_changed)
        self.previous.clicked.connect(lambda: self._step(-1))
        self.next.clicked.connect(lambda: self._step(1))
        self.first_day.dateChanged.connect(self._custom_changed)
        self.last_day.dateChanged.connect(self._custom_changed)
        self.member.currentIndexChanged.connect(self._query)
        self.entry_type.currentIndexChanged.connect(self._query)
        self.export.clicked.connect(lambda: self.export_report())  # clicked(bool) would pass the path
        self.retranslate()
        self._show_period()
        self.refresh()  # the team members too: the member filter offered only the whole team

    # -- filters -----------------------------------------------------------------------

    def _fill(self, combo: QComboBox, items: list[tuple[object, str]]) -> None:
        current = combo.currentData()
        combo.blockSignals(True)
        combo.clear()
        for code, text in items:
            combo.addItem(text, code)
        index = combo.findData(current)
        combo.setCurrentIndex(index if index >= 0 else 0)
        combo.blockSignals(False)

    def _members_loaded(self, members: list[str]) -> None:
        self.members = members
        self._fill(self.member, [(None, _("Whole team"))] + [(m, m) for m in members])

    def _show_period(self) -> None:
        for edit, day in ((self.first_day, self.period.first), (self.last_day, self.period.last)):
            edit.blockSignals(True)
            edit.setDate(QDate(day.year, day.month, day.day))
            edit.blockSignals(False)
        custom = self.period.kind == CUSTOM
        self.first_day.setEnabled(custom)
        self.last_day.setEnabled(custom)

    def _kind_changed(self) -> None:
        kind = self.period_kind.currentData()
        self.period = Period(self.period.first, self.period.last, CUSTOM) if kind == CUSTOM else period_of(
            kind, min(self.period.last, self.today))
        self._show_period()
        self._query()

    def _step(self, steps: int) -> None:
        self.period = self.period.shifted(steps)
        self._show_period()
        self._query()

    def _custom_changed(self) -> None:
        first, last = self.first_day.date().toPython(), self.last_day.date().toPython()
        if last < first:
            self.status.setText(_("The period ends before it starts: change the first or the last day."))
            return
        self.period = Period(first, last, CUSTOM)
        self._query()

    def set_period(self, period: Period) -> None:
        self.period = period
        index = self.period_kind.findData(period.kind)
        self.period_kind.blockSignals(True)
        self.period_kind.setCurrentIndex(index)
        self.period_kind.blockSignals(False)
        self._show_period()
        self._query()

    def current_filter(self) -> ReportFilter:
        member = self.member.currentData()
        entry_type = self.entry_type.currentData()
        return ReportFilter(self.period, (member,) if member else (), (entry_type,) if entry_type else ())

    # -- data ----------------------------------------------------------------------------

    def refresh(self) -> None:
        """Count again in the background, and look up the team members again: what the sync
        view calls after a merge (new entries, perhaps of a new team member)."""
        self.runner.run(lambda: list_team_members(self.journal), self._members_loaded, self._failed)
        self._query()

    def _query(self) -> None:
        """Count again in the background for the current filters; the newest request wins."""
        self._generation += 1
        generation, flt, journal, today = self._generation, self.current_filter(), self.journal, self.today
        self.status.setText(_("Counting…"))
        self.runner.run(lambda: dashboard_facts(journal, flt, today),
                        lambda data: self._show(generation, data), self._failed)

    def _show(self, generation: int, data: DashboardData) -> None:
        if generation != self._generation:  # a newer request is on its way
            return
        self.data = data
        self._render()

    def _render(self) -> None:
        if self.data is None:
            return
        catalogs = self.journal.catalogs
        for key, _title, _kind in CHARTS:
            self.cards[key].show_data(*chart_data(key, self.data.facts, catalogs))
        rows = sorted(self.data.follow_ups.items())
        self.follow_ups.clear()
        self.follow_ups.setRowCount(len(rows))
        self.follow_ups.setColumnCount(4)
        self.follow_ups.setHorizontalHeaderLabels([_("Team member"), _("Overdue"), _("Due today"),
                                                   _("Due in the next 7 days")])
        for r, (member, counts) in enumerate(rows):
            self.follow_ups.setItem(r, 0, QTableWidgetItem(member))
            for c, n in enumerate(counts, start=1):
                item = QTableWidgetItem(str(n))
                item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                self.follow_ups.setItem(r, c, item)
        total = self.data.facts.total_entries()
        self.status.setText(ngettext("{period}: {count} entry.", "{period}: {count} entries.", total).format(
            period=self.period.label(), count=total))

    def _failed(self, exc: BaseException) -> None:
        self.status.setText(_("The figures could not be counted. Close the dashboard and open it again."))

    # -- export --------------------------------------------------------------------------

    def export_report(self, path: str | None = None, done: Callable[[object], None] | None = None) -> None:
        """Write the report for the shown period (whole team, all types) as XLSX, CSV or PDF,
        in the interface language."""
        if not path:
            path = ask_save_file(self, _("Export report"), "", "PDF (*.pdf);;Excel (*.xlsx);;CSV (*.csv)")
            if not path:
                return
        from app.services.stores import refusal_to_write_over

        refusal = refusal_to_write_over(self.journal.path, Path(path))
        if refusal:
            self.status.setText(refusal)
            return
        fmt = path.rsplit(".", 1)[-1].lower()
        if fmt not in ("pdf", "xlsx", "csv"):
            self.status.setText(_("Choose a file name ending in .pdf, .xlsx or .csv."))
            return
        journal, period = self.journal, self.period
        self.status.setText(_("Writing the report…"))

        filtered = self.member.currentData() is not None or self.entry_type.currentData() is not None

        def written(report):
            if filtered:  # a report for funders is always the whole team: say so when the view is narrower
                self.status.setText(_("The report was saved. It covers the whole team and every entry type of the "
                                      "period; the team member and type filters apply to the dashboard only."))
            else:
                self.status.setText(_("The report was saved."))
            if done:
                done(report)

        def failed(exc):
            self.status.setText(_("The report could not be saved: {reason}").format(
                reason=getattr(exc, "strerror", None) or type(exc).__name__))

        self.runner.run(lambda: make_report(journal, period, fmt, Path(path)), written, failed)

    # -- language ------------------------------------------------------------------------

    def changeEvent(self, event) -> None:  # noqa: N802 (Qt API)
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    def retranslate(self) -> None:
        self.setWindowTitle(_("Team dashboard"))
        self._fill(self.period_kind, [(k, _(PERIOD_LABELS[k])) for k in PERIOD_KINDS])
        index = self.period_kind.findData(self.period.kind)
        self.period_kind.blockSignals(True)
        self.period_kind.setCurrentIndex(index)
        self.period_kind.blockSignals(False)
        self._fill(self.entry_type, [(None, _("All types"))] + [(t, _(ENTRY_TYPE_LABELS[t])) for t in ENTRY_TYPES])
        self._fill(self.member, [(None, _("Whole team"))] + [(m, m) for m in getattr(self, "members", [])])
        for name, text in (("period", _("Period:")), ("from", _("From")), ("to", _("To")),
                           ("member", _("Team member:")), ("type", _("Type:"))):
            self.labels[name].setText(text)
        self.previous.setToolTip(_("Previous period"))
        self.next.setToolTip(_("Next period"))
        self.export.setText(_("Export report…"))
        self.follow_up_title.setText(_("Open follow-ups per team member"))
        for key, title, _kind in CHARTS:
            self.cards[key].retranslate(_(title))
        self._arrange_bar()
        self._render()

    def _arrange_bar(self) -> None:
        """The controls in one row where the screen is wide enough, in two where it is not: in
        one row they need 1,140-1,180 pixels, and on a laptop at 125 % or 150 % the window grew past
        the screen's edge, with Export and the charts' right half beyond it."""
        screen = self.screen() or QGuiApplication.primaryScreen()
        if screen is None:
            return
        margins = self.layout().contentsMargins() if self.layout() is not None else None
        frame = margins.left() + margins.right() if margins is not None else 0
        one_row = (self.when_row.sizeHint().width() + self.bar.spacing() + self.who_row.minimumSize().width()
                   + frame + WINDOW_FRAME_ALLOWANCE)
        wide = one_row <= screen.availableGeometry().width()
        self.bar.setDirection(QBoxLayout.Direction.LeftToRight if wide else QBoxLayout.Direction.TopToBottom)
