"""Conflicts to review side by side (team lead): the value now in the journal beside the
value that lost, with the workstation and time of each; keep one, take the other, or write
a new value. Every choice goes through `SyncService.resolve_conflict` and syncs like any
change. Record content is shown only while the journal is unlocked: `clear()` empties it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, Qt, QTimer, Signal
from PySide6.QtWidgets import QFrame, QHeaderView, QMessageBox, QScrollArea, QWidget

from app.i18n import _, ngettext
from app.services.conflict_text import KIND_LABELS, display_value, field_label, peer_label, record_text, when_text
from app.ui.forms.ui_conflict_view import Ui_ConflictView
from app.ui.widgets import fill_table

if TYPE_CHECKING:
    from app.services.journal import Journal
    from app.services.sync import ConflictInfo, SyncService

# Free text only: a new value typed here cannot break a date, a number or a list of codes.
EDITABLE = {
    "entries": {"notes", "follow_up", "teacher", "social_worker", "mediator", "accompanied_to"},
    "clients": {"name", "contact", "notes"},
    "catalog_values": {"label"},
}


def confirm_restore(parent: QWidget) -> bool:
    """Before an entry deleted elsewhere comes back with only the values that lost to the deletion
    (the deletion cleared the rest, the date too): say so. A module function, so tests can answer."""
    answer = QMessageBox.question(
        parent, _("Restore the entry?"),
        _("The entry comes back with the values edited after it was deleted; every other field stays empty. "
          "Open it in the journal afterwards and complete it. Restore it?"),
        QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, QMessageBox.StandardButton.No)
    return answer == QMessageBox.StandardButton.Yes


class ConflictView(QWidget):
    resolved = Signal()  # a conflict was resolved: the journal changed

    def __init__(self, parent=None):
        super().__init__(parent)
        self.ui = Ui_ConflictView()
        self.ui.setupUi(self)
        self.service: SyncService | None = None
        self.journal: Journal | None = None
        self.conflicts: list[ConflictInfo] = []
        self.ui.conflicts_list.itemSelectionChanged.connect(self._show_selected)
        self.ui.conflicts_list.verticalHeader().hide()
        self.ui.keep_current.clicked.connect(lambda: self.resolve("keep"))
        self.ui.take_loser.clicked.connect(lambda: self.resolve("take"))
        self.ui.save_edit.clicked.connect(lambda: self.resolve("edit"))
        self.ui.splitter.setStretchFactor(0, 2)
        self.ui.splitter.setStretchFactor(1, 3)
        self.ui.edit_value.setMaximumHeight(self.fontMetrics().height() * 4 + 12)
        # The two values and the editor scroll as one: their own minimum height made the sync
        # view, and with it the main window, taller than a 1280 x 720 laptop screen.
        for box in (self.ui.current_value, self.ui.loser_value):
            box.setMinimumHeight(self.fontMetrics().height() * 3 + 12)  # three lines; they grow with room
        # One line each (they are short): a wrapping label made the scroll area below size the details
        # by their preferred height, about ten lines per value, so they scrolled even at 800 px.
        for label in (self.ui.record, self.ui.current_who, self.ui.loser_who):
            label.setWordWrap(False)
        splitter, detail = self.ui.splitter, self.ui.detail
        scroll = QScrollArea(splitter)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        splitter.insertWidget(splitter.indexOf(detail), scroll)
        scroll.setWidget(detail)
        self._prefilled = ""  # what _show_selected put in the edit box: anything else was typed
        self._split_by_user = False
        splitter.splitterMoved.connect(lambda *_args: setattr(self, "_split_by_user", True))
        splitter.installEventFilter(self)
        self._fill([])

    def eventFilter(self, obj, event) -> bool:  # noqa: N802 (Qt API)
        if obj is self.ui.splitter and event.type() in (QEvent.Type.Resize, QEvent.Type.Show):
            QTimer.singleShot(0, self._share_height)  # after the splitter has shared it out itself
        return super().eventFilter(obj, event)

    def _share_height(self) -> None:
        """The list gets two fifths of the height until the lead moves the divider: left to their
        size hints, the values took all but one row of it on a 1280 x 720 or 1366 x 768 screen."""
        sizes = self.ui.splitter.sizes()
        if not self._split_by_user and len(sizes) == 2 and sum(sizes) > 0:
            first = sum(sizes) * 2 // 5
            if sizes[0] != first:
                self.ui.splitter.setSizes([first, sum(sizes) - first])

    # -- data -------------------------------------------------------------------------

    def attach(self, service: SyncService, journal: Journal) -> None:
        self.service, self.journal = service, journal

    def load(self, conflicts: list[ConflictInfo] | None = None) -> None:
        """Show these conflicts (or read them again from the journal)."""
        if conflicts is None:
            conflicts = self.service.list_conflicts() if self.service is not None else []
        self._fill(conflicts)

    def clear(self) -> None:
        """Forget every value shown (the journal is locking)."""
        self.service = self.journal = None
        self._fill([])

    def _fill(self, conflicts: list[ConflictInfo]) -> None:
        selected = self.selected()
        selected_row = self.conflicts.index(selected) if selected is not None else 0
        # A refresh (another import, Check again, a failed resolve) keeps a new value being typed
        # for the conflict that stays selected; it used to be reset to the current value.
        typed = self.ui.edit_value.toPlainText()
        kept = typed if selected is not None and typed != self._prefilled else None
        self.conflicts = list(conflicts)
        rows = [(str(c.id), [self._record_text(c), field_label(c.field), _(KIND_LABELS.get(c.kind, c.kind)),
                             peer_label(c.loser_device), when_text(c.detected_at)]) for c in self.conflicts]
        table = self.ui.conflicts_list
        table.blockSignals(True)
        fill_table(table, [_("Record"), _("Field"), _("What happened"), _("Lost value from"), _("Found")], rows)
        table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        table.blockSignals(False)
        count = len(self.conflicts)
        self.ui.summary.setText(
            ngettext("{count} conflict to review. Choose which value stays; the choice syncs to the workstations.",
                     "{count} conflicts to review. Choose which value stays; the choice syncs to the workstations.",
                     count).format(count=count) if count else _("No conflicts to review."))
        ids = [c.id for c in self.conflicts]
        if ids:
            # The conflict just resolved is gone: the next one moves up into its row and is selected,
            # so that the next key press acts on a conflict the lead has in front of them, not the first.
            row = ids.index(selected.id) if selected is not None and selected.id in ids else min(selected_row,
                                                                                                  len(ids) - 1)
            table.selectRow(row)
            table.scrollTo(table.model().index(row, 0))
        self._show_selected()
        now = self.selected()
        if kept is not None and now is not None and now.id == selected.id and self.ui.edit_value.isEnabled():
            self.ui.edit_value.setPlainText(kept)

    def _record_text(self, c: ConflictInfo) -> str:
        return record_text(self.journal, c)

    def selected(self) -> ConflictInfo | None:
        rows = self.ui.conflicts_list.selectionModel().selectedRows() if self.ui.conflicts_list.selectionModel() else []
        if not rows or rows[0].row() >= len(self.conflicts):
            return None
        return self.conflicts[rows[0].row()]

    def _show_selected(self) -> None:
        ui, c = self.ui, self.selected()
        for widget in (ui.keep_current, ui.take_loser, ui.save_edit, ui.edit_value):
            widget.setEnabled(c is not None)
        if c is None:
            ui.record.setText(_("Choose a conflict above to see both values side by side."))
            for widget in (ui.current_who, ui.loser_who):
                widget.clear()
            for widget in (ui.current_value, ui.loser_value, ui.edit_value):
                widget.clear()
            self._set_button_texts(None)
            return
        ui.record.setText(_("{record} — field: {field}").format(record=self._record_text(c), field=field_label(c.field)))
        ui.loser_who.setText(_("From {device}, {time}").format(device=peer_label(c.loser_device), time=when_text(c.loser_time)))
        ui.loser_value.setPlainText(display_value(self.journal, c.field, c.loser_value))
        if c.record_deleted:
            ui.current_who.setText(_("Deleted by {device}, {time}").format(device=peer_label(c.current_device),
                                                                          time=when_text(c.current_time)))
            ui.current_value.setPlainText(_("The record was deleted."))
        else:
            ui.current_who.setText(_("From {device}, {time}").format(device=peer_label(c.current_device),
                                                                     time=when_text(c.current_time)))
            ui.current_value.setPlainText(display_value(self.journal, c.field, c.current_value))
        editable = c.field in EDITABLE.get(c.table, set()) and not c.record_deleted
        ui.edit_value.setEnabled(editable)
        ui.save_edit.setEnabled(editable)
        current = c.current_value if isinstance(c.current_value, str) else ""
        ui.edit_value.setPlainText(current if editable else "")
        self._prefilled = ui.edit_value.toPlainText()
        ui.edit_value.setPlaceholderText("" if editable else _("Only text fields can be rewritten here; keep one of "
                                                               "the two values."))
        self._set_button_texts(c)

    def _set_button_texts(self, c: ConflictInfo | None) -> None:
        deleted = c is not None and c.record_deleted
        self.ui.keep_current.setText(_("&Keep it deleted") if deleted else _("&Keep this value"))
        self.ui.take_loser.setText(_("&Restore with this value") if deleted else _("&Take this value"))

    # -- resolving --------------------------------------------------------------------

    def resolve(self, choice: str) -> None:
        c = self.selected()
        if c is None or self.service is None:
            return
        value = None
        if choice == "edit":
            value = self.ui.edit_value.toPlainText()
        if choice == "take" and c.record_deleted and c.table == "entries" and not confirm_restore(self):
            return
        from app.services.sync import SyncError
        from app.store.engine import StoreBusy, busy_text

        try:
            self.service.resolve_conflict(c.id, choice, value, seen=c)
        except (SyncError, StoreBusy) as exc:
            QMessageBox.warning(self, _("Conflict not resolved"), busy_text() if isinstance(exc, StoreBusy) else str(exc))
            self.load()
            return
        self.load()
        self.resolved.emit()

    # -- language ---------------------------------------------------------------------

    def changeEvent(self, event) -> None:  # noqa: N802 (Qt API)
        if event.type() == QEvent.Type.LanguageChange:
            self.ui.retranslateUi(self)
            self._fill(self.conflicts)
        super().changeEvent(event)


__all__ = ["ConflictView", "Qt"]
