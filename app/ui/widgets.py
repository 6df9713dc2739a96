"""Small helpers for filling and reading catalog-backed widgets."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QRect, QSettings, Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (QBoxLayout, QComboBox, QFileDialog, QFrame, QHBoxLayout, QLayout, QListWidget,
                               QListWidgetItem, QScrollArea, QWidget)

from app.domain.catalogs import Catalogs


WINDOW_FRAME_ALLOWANCE = 40  # px: title bar and frame, which a window's own size leaves out


def forget_file_dialog_history() -> None:
    """Qt's own file dialog keeps the folders it visited in QtProject.conf (~/.config on Linux),
    outside the encrypted journal, and a folder's name can name a person. Called after every
    file dialog, once Qt has written them. (Windows' own dialog keeps its own recent list.)"""
    QSettings(QSettings.Scope.UserScope, "QtProject").remove("FileDialog")


def ask_save_file(parent: QWidget, title: str, suggested: str, filters: str) -> str:
    """Qt's save dialog (the native one where there is one); "" if cancelled. Forgets the folders
    it visited."""
    try:
        path, _filter = QFileDialog.getSaveFileName(parent, title, suggested, filters)
    finally:
        forget_file_dialog_history()
    return path


def focus_in_view(widget: QWidget) -> None:
    """Focus a field and scroll every scroll area around it so that it shows. A scroll area
    follows focus moved by Tab, not focus set by code: after a save or a refused save the
    cursor sat in a field scrolled out of sight."""
    widget.setFocus()
    parent = widget.parentWidget()
    while parent is not None:
        if isinstance(parent, QScrollArea):
            parent.ensureWidgetVisible(widget, 0, 40)
        parent = parent.parentWidget()


class FitOrScrollArea(QScrollArea):
    """Shows its widget at the size of the space it has, as a plain layout would, and scrolls only
    where that space is smaller than the widget's minimum (a 1280 x 720 laptop at 150 % leaves Qt
    480 pixels of height). QScrollArea's own `widgetResizable` gives a widget with word-wrapped
    labels its preferred height instead, so it scrolled even where everything fitted."""

    def __init__(self, widget: QWidget, parent: QWidget | None = None):
        super().__init__(parent)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # Tab goes from control to control, not to the frame
        self.setWidget(widget)
        self.viewport().installEventFilter(self)
        widget.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt API)
        kind = event.type()
        if (watched is self.viewport() and kind == QEvent.Type.Resize) or \
                (watched is self.widget() and kind == QEvent.Type.LayoutRequest):
            self._fit()
        return super().eventFilter(watched, event)  # QScrollArea sets its scroll range on these too

    def _fit(self) -> None:
        widget, space = self.widget(), self.viewport().size()
        least = widget.minimumSizeHint().expandedTo(widget.minimumSize())
        size = space.expandedTo(least)
        if widget.size() != size:
            widget.resize(size)


def centred_column(page: QWidget, width: int = 640) -> QWidget:
    """A column at most `width` wide in the middle of `page`, for a page that reads best as one
    column (setup, unlock). The free space goes to stretches either side, so, unlike margins
    computed from the window's width, it never becomes part of the page's minimum width: a window
    once 1280 wide could not be made narrower than 950 again."""
    column = QWidget(page)
    column.setMaximumWidth(width)
    row = QHBoxLayout(page)
    row.setContentsMargins(24, 24, 24, 24)
    row.addStretch(1)
    row.addWidget(column, 1000)  # all the room up to its maximum; the stretches share the rest
    row.addStretch(1)
    return column


def fit_dialog_to_screen(dialog: QWidget, body: QLayout | None = None, size: tuple[int, int] | None = None) -> None:
    """Keep a dialog within its screen: `body`, a layout inside the dialog's own box layout, moves
    into a scroll area, and the dialog opens no larger than the screen. A 1280 x 720 laptop at
    150 % has 480 pixels of height, and dialogs put their Save and Close buttons below its edge."""
    outer = dialog.layout()
    if body is not None and isinstance(outer, QBoxLayout):
        index = next(i for i in range(outer.count()) if outer.itemAt(i).layout() is body)
        outer.takeAt(index)
        body.setParent(None)
        host = QWidget()
        host.setLayout(body)
        scroll = QScrollArea(dialog)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # Tab goes from field to field, not to the frame
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setWidget(host)
        outer.insertWidget(index, scroll, 1)
        wanted = outer.sizeHint()
        wanted.setHeight(wanted.height() - scroll.sizeHint().height() + host.sizeHint().height())
        wanted.setWidth(max(wanted.width(), host.sizeHint().width() + scroll.verticalScrollBar().sizeHint().width()))
    else:
        wanted = dialog.sizeHint()
    if size is not None:
        wanted.setWidth(size[0])
        wanted.setHeight(size[1])
    screen = dialog.screen() or QGuiApplication.primaryScreen()
    if screen is not None:
        area = screen.availableGeometry()
        wanted.setWidth(min(wanted.width(), area.width()))
        wanted.setHeight(min(wanted.height(), area.height() - WINDOW_FRAME_ALLOWANCE))
    dialog.resize(wanted)


def fill_combo(combo: QComboBox, items: list[tuple[str | None, str]], current: str | None) -> None:
    combo.blockSignals(True)
    combo.clear()
    for code, label in items:
        combo.addItem(label, code)
    index = combo.findData(current)
    combo.setCurrentIndex(max(index, 0))
    combo.blockSignals(False)


def catalog_items(catalogs: Catalogs, catalog: str, keep: list[str] | str | None = None,
                  empty: str | None = "—") -> list[tuple[str | None, str]]:
    """Active values plus any retired value the entry already has (so old entries stay readable)."""
    keep_codes = [keep] if isinstance(keep, str) else list(keep or [])
    values = catalogs.values(catalog)
    codes = {v.code for v in values}
    items: list[tuple[str | None, str]] = [(None, empty)] if empty is not None else []
    items += [(v.code, v.display()) for v in values]
    for code in keep_codes:
        if code and code not in codes:
            items.append((code, catalogs.label(catalog, code)))
    return items


def combo_code(combo: QComboBox) -> str | None:
    return combo.currentData()


def fill_checklist(widget: QListWidget, items: list[tuple[str | None, str]], checked: list[str]) -> None:
    widget.blockSignals(True)
    widget.clear()
    for code, label in items:
        if code is None:
            continue
        item = QListWidgetItem(label)
        item.setData(Qt.ItemDataRole.UserRole, code)
        item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
        item.setCheckState(Qt.CheckState.Checked if code in checked else Qt.CheckState.Unchecked)
        widget.addItem(item)
    widget.blockSignals(False)


def checked_codes(widget: QListWidget) -> list[str]:
    return [
        widget.item(i).data(Qt.ItemDataRole.UserRole)
        for i in range(widget.count())
        if widget.item(i).checkState() == Qt.CheckState.Checked
    ]


RESIZE_PRECISION_ROWS = 60


def fill_table(table, headers: list[str], rows: list[tuple[str, list[str]]]) -> None:
    """Fill a read-only QTableWidget; each row carries its record id in UserRole."""
    from PySide6.QtWidgets import QTableWidgetItem

    table.setColumnCount(len(headers))
    table.setHorizontalHeaderLabels(headers)
    table.setRowCount(len(rows))
    # Size columns from the first rows only: measuring a thousand overdue follow-ups took 0.25 s.
    table.horizontalHeader().setResizeContentsPrecision(RESIZE_PRECISION_ROWS)
    for row, (key, cells) in enumerate(rows):
        for column, text in enumerate(cells):
            item = QTableWidgetItem(text)
            item.setData(Qt.ItemDataRole.UserRole, key)
            table.setItem(row, column, item)
    table.resizeColumnsToContents()
    table.horizontalHeader().setStretchLastSection(True)


class WrapHeadersToFit(QObject):
    """Where a table's columns, sized to their contents, are wider than the table, a header of
    several words takes two lines, so that its column is no wider than its values or its longest
    word: at 1280 x 720 scaled to 150 %, the workstations' eleven columns then show nine, not
    seven, before the horizontal scroll bar. Done again when the table is filled (`fit`) or resized."""

    def __init__(self, table) -> None:
        super().__init__(table)
        self.table = table
        self.header = table.horizontalHeader()
        table.viewport().installEventFilter(self)

    def eventFilter(self, watched, event) -> bool:  # noqa: N802
        # Only a new width: a header taking two lines changes the viewport's height.
        if event.type() == QEvent.Type.Resize and event.size().width() != event.oldSize().width():
            self.fit()
        return False

    def fit(self) -> None:
        table, header = self.table, self.header
        if header.count() == 0:
            return
        header.setDefaultAlignment(Qt.AlignmentFlag.AlignCenter)
        header.setMinimumHeight(0)
        table.resizeColumnsToContents()
        widths = [header.sectionSize(c) for c in range(header.count())]
        if sum(widths) <= table.viewport().width():
            return
        metrics = header.fontMetrics()
        padding = header.style().pixelMetric(header.style().PixelMetric.PM_HeaderMargin, None, header) * 2 + 8
        lines = 0
        for column, width in enumerate(widths):
            item = table.horizontalHeaderItem(column)
            words = item.text().split() if item is not None else []
            if len(words) < 2:
                continue
            narrow = max(table.sizeHintForColumn(column), max(metrics.horizontalAdvance(w) for w in words) + padding)
            if narrow < width:
                header.resizeSection(column, narrow)
                # As many lines as the words take at that width (three for short values and a
                # header of three short words).
                wrapped = metrics.boundingRect(QRect(0, 0, narrow - padding, 10_000), Qt.TextFlag.TextWordWrap,
                                               item.text())
                lines = max(lines, round(wrapped.height() / metrics.lineSpacing()))
        if lines:
            header.setDefaultAlignment(Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap)
            header.setMinimumHeight(metrics.lineSpacing() * max(lines, 2) + padding)


def short_date(value) -> str:
    """A date in the interface language's conventions (Babel/CLDR; for Romani the region's)."""
    from app.i18n.formats import format_date

    return format_date(value)
