"""The journal as a lazy Qt model: rows are fetched a page at a time with keyset paging,
so showing or filtering 100,000 entries costs one small query, not 100,000 rows."""

from __future__ import annotations

from typing import TYPE_CHECKING

import datetime as dt

from PySide6.QtCore import QAbstractTableModel, QDate, QDateTime, QLocale, QModelIndex, QTime, Qt

from app.domain.entries import ENTRY_TYPE_LABELS
from app.domain.filters import JournalFilter
from app.i18n import N_, _
from app.i18n import formats

if TYPE_CHECKING:  # the store's modules load after the first window is up
    from app.services.journal import Journal
    from app.store.repository import JournalRow

PAGE_SIZE = 200
COLUMNS = [N_("When"), N_("Type"), N_("Place or school"), N_("Topics"), N_("Note"), N_("Mediator"), N_("Follow-up")]
TOPICS_COLUMN = 3
NOTE_COLUMN = 4
MEDIATOR_COLUMN = 5
FOLLOW_UP_COLUMN = 6


class JournalModel(QAbstractTableModel):
    def __init__(self, journal: Journal, parent=None):
        super().__init__(parent)
        self.journal = journal
        self.filter = JournalFilter()
        self.rows: list[JournalRow] = []
        self._exhausted = False

    def set_journal(self, journal: Journal) -> None:
        self.journal = journal
        self.reload()

    def set_filter(self, flt: JournalFilter) -> None:
        self.filter = flt
        self.reload()

    def reload(self) -> None:
        self.beginResetModel()
        self.rows = self.journal.list_entries(self.filter, limit=PAGE_SIZE)
        self._exhausted = len(self.rows) < PAGE_SIZE
        self.endResetModel()

    def rowCount(self, parent=QModelIndex()) -> int:  # noqa: N802 (Qt API)
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent=QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(COLUMNS)

    def canFetchMore(self, parent=QModelIndex()) -> bool:  # noqa: N802
        return not parent.isValid() and not self._exhausted

    def fetchMore(self, parent=QModelIndex()) -> None:  # noqa: N802
        if parent.isValid() or self._exhausted or not self.rows:
            self._exhausted = True
            return
        last = self.rows[-1]
        more = self.journal.list_entries(self.filter, limit=PAGE_SIZE, after=(last.start, last.id))
        self._exhausted = len(more) < PAGE_SIZE
        if more:
            self.beginInsertRows(QModelIndex(), len(self.rows), len(self.rows) + len(more) - 1)
            self.rows.extend(more)
            self.endInsertRows()

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):  # noqa: N802
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return _(COLUMNS[section])
        return None

    def data(self, index: QModelIndex, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        row = self.rows[index.row()]
        if role == Qt.ItemDataRole.UserRole:
            return row.id
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        catalogs = self.journal.catalogs
        column = index.column()
        if column == 0:
            if not row.start:  # an entry restored from a conflict with only the values that lost
                return "—"
            when = dt.datetime.fromisoformat(row.start)
            qwhen = QDateTime(QDate(when.year, when.month, when.day), QTime(when.hour, when.minute))
            return QLocale().toString(qwhen, formats.qt_datetime_format())  # Babel/CLDR conventions
        if column == 1:
            return _(ENTRY_TYPE_LABELS[row.type])
        if column == 2:
            if row.school:
                return catalogs.label("schools", row.school)
            return catalogs.label("districts", row.district)
        if column == 3:
            catalog = "school_topics" if row.type == "tandem_session" else "topics"
            return ", ".join(catalogs.label(catalog, code) for code in row.topics)
        if column == 4:
            return row.notes_preview.replace("\n", " ")
        if column == 5:
            return row.mediator
        if column == 6:
            if not row.follow_up_due:
                return ""
            due = dt.date.fromisoformat(row.follow_up_due)
            text = QLocale().toString(QDate(due.year, due.month, due.day), formats.qt_date_format())
            return _("{date} (done)").format(date=text) if row.follow_up_done else text
        return None

    def row_of(self, entry_id: str) -> int:
        for i, row in enumerate(self.rows):
            if row.id == entry_id:
                return i
        return -1

    def retranslate(self) -> None:
        self.headerDataChanged.emit(Qt.Orientation.Horizontal, 0, len(COLUMNS) - 1)
        if self.rows:
            self.dataChanged.emit(self.index(0, 0), self.index(len(self.rows) - 1, len(COLUMNS) - 1))
