"""Sync screens on top of `app.services.sync.SyncService` (issue 5).

* `SyncUi` – owned by the main window: the "Sync" menu, the permanent sync status in the
  status bar ("3 changes not yet synced · last sync 14:02"), "Sync now", the sync folder,
  and the lead's sync view as a tab. `attach()` on unlock, `detach()` on lock or close
  (cancels a running import, waits for it, and forgets everything shown).
* `SyncView` – the team lead's tab: bundles waiting in the sync folder, refused bundles
  with what to do, per workstation the last bundle, new and applied changes and gaps,
  import with progress and Cancel, replies for the workstations, conflicts side by side
  (app/ui/conflict_view.py), enrolling and revoking workstations.

Bundle reading and importing run on the worker thread (app/ui/tasks.py); progress comes
back through a Qt signal, queued to the UI thread. Nothing here writes to logs or Qt
settings: folder paths and workstation names stay inside the encrypted journal.
"""

from __future__ import annotations

import threading
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QDialog, QFileDialog, QHeaderView, QLabel, QMessageBox, QVBoxLayout, QWidget

from app.i18n import LANGUAGES, NATIVE_NAMES, N_, _, current_language, ngettext
from app.services.conflict_text import when_text
from app.ui.conflict_view import ConflictView
from app.ui.forms.ui_enroll_dialog import Ui_EnrollDialog
from app.ui.forms.ui_sync_view import Ui_SyncView
from app.ui.widgets import (FitOrScrollArea, WrapHeadersToFit, ask_save_file, combo_code, fill_combo, fill_table,
                            forget_file_dialog_history)

if TYPE_CHECKING:
    from app.services.journal import Journal
    from app.services.sync import DeviceInfo, ImportReport, SyncService, WaitingBundle

WAITING_LABELS = {"new": N_("new"), "imported": N_("imported"), "rejected": N_("refused")}
STATUS_REFRESH_MS = 30_000


# -- dialogs (module functions, so tests can answer them) --------------------------------------

def ask_folder(parent: QWidget, title: str, start: str = "") -> str:
    try:
        return QFileDialog.getExistingDirectory(parent, title, start)
    finally:
        forget_file_dialog_history()


def ask_save_path(parent: QWidget, title: str, suggested: str) -> str:
    return ask_save_file(parent, title, suggested, _("Workstation profiles (*.mlprofile);;All files (*)"))


def confirm(parent: QWidget, title: str, text: str) -> bool:
    answer = QMessageBox.question(parent, title, text, QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
                                  QMessageBox.StandardButton.No)
    return answer == QMessageBox.StandardButton.Yes


def _is_user_error(exc: BaseException) -> bool:
    from app.services.stores import StoreError
    from app.services.sync import SyncError

    return isinstance(exc, (SyncError, StoreError))


def _failure_text(exc: BaseException) -> str:
    from app.store.engine import StoreBusy, busy_text, is_busy

    if _is_user_error(exc):
        return str(exc)
    if isinstance(exc, StoreBusy) or is_busy(exc):  # a nightly import in another program, say
        return busy_text()
    if isinstance(exc, OSError):
        return _("The sync folder could not be read or written ({reason}). Check that it is reachable (USB stick "
                 "plugged in, network drive connected) and try again.").format(reason=exc.strerror or type(exc).__name__)
    return _("Sync failed unexpectedly. Nothing was changed; try again.")


class _Progress(QObject):
    """Emitted on the worker thread; connected slots run on the UI thread (queued)."""

    changed = Signal(int, int)


# -- enrolling a workstation ----------------------------------------------------------------

class EnrollDialog(QDialog):
    def __init__(self, sync_dir: str, parent=None):
        super().__init__(parent)
        self.ui = Ui_EnrollDialog()
        self.ui.setupUi(self)
        self.ui.sync_dir.setText(sync_dir)
        self._fill_languages(current_language())
        self.ui.buttons.accepted.connect(self._check)
        self.ui.buttons.rejected.connect(self.reject)
        self.resize(max(self.sizeHint().width(), 560), self.sizeHint().height())

    def _fill_languages(self, chosen: str) -> None:
        fill_combo(self.ui.language, [(c, NATIVE_NAMES[c]) for c in LANGUAGES], chosen)

    def _check(self) -> None:
        if not self.ui.workstation.text().strip():
            self.ui.error.setText(_("Give the workstation a name, for example laptop-3."))
            self.ui.workstation.setFocus()
            return
        self.accept()

    def values(self) -> dict:
        return {"workstation": self.ui.workstation.text().strip(), "user": self.ui.user.text().strip(),
                "language": combo_code(self.ui.language) or "", "sync_dir": self.ui.sync_dir.text().strip()}

    def changeEvent(self, event) -> None:  # noqa: N802 (Qt API)
        if event.type() == QEvent.Type.LanguageChange:
            self.ui.retranslateUi(self)
            self._fill_languages(combo_code(self.ui.language) or current_language())
        super().changeEvent(event)


# -- the team lead's view -------------------------------------------------------------------

class SyncView(QWidget):
    def __init__(self, host: SyncUi, parent=None):
        super().__init__(parent)
        self.host = host
        self.ui = Ui_SyncView()
        # The view scrolls as a whole where it does not fit: a 1280 x 720 laptop at 150 % leaves
        # Qt 480 pixels of height, and the view's own minimum pushed the status bar below the edge.
        self._content = QWidget()
        self.ui.setupUi(self._content)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(FitOrScrollArea(self._content, self))
        self.conflicts = ConflictView(self)
        self.ui.conflicts_layout.addWidget(self.conflicts)
        self.conflicts.resolved.connect(self._conflict_resolved)
        self.progress = _Progress()
        self.progress.changed.connect(self._show_progress)
        self.cancel_event = threading.Event()
        self.importing = False
        self.waiting: list[WaitingBundle] = []
        self.devices: list[DeviceInfo] = []
        self.import_counts: dict[str, dict] = {}  # device id (before 2026-11-22: name) -> what its last import brought
        self.rejected: list[tuple[str, str]] = []  # (file name, reason code) of the last import
        self.notes: list[str] = []  # what the last action reported
        self._message = None  # makes the text of self.ui.message (see say())
        ui = self.ui
        ui.choose_folder.clicked.connect(self.choose_folder)
        ui.refresh.clicked.connect(self.refresh)
        ui.import_button.clicked.connect(lambda: self.start_import())
        ui.cancel.clicked.connect(self.cancel_import)
        ui.export_button.clicked.connect(lambda: self.write_replies())  # clicked(bool) would pass the prefix
        ui.enroll.clicked.connect(self.enroll)
        ui.revoke.clicked.connect(self.revoke)
        ui.devices_view.itemSelectionChanged.connect(self._update_buttons)
        for table in (ui.waiting_view, ui.rejected_view, ui.devices_view):
            table.verticalHeader().hide()
        ui.rejected_view.setMaximumHeight(self.fontMetrics().height() * 9)
        self.devices_headers = WrapHeadersToFit(ui.devices_view)
        self._reset_progress()
        self.clear()

    # -- state ----------------------------------------------------------------------------

    @property
    def service(self) -> SyncService | None:
        return self.host.service

    def clear(self) -> None:
        """Empty every list and field (the journal is locking or closing)."""
        self.waiting, self.devices, self.rejected, self.notes = [], [], [], []
        self._shown_before: tuple[list, list] = ([], [])
        self.import_counts = {}
        self.conflicts.clear()
        self.ui.folder_path.clear()
        self._message = None
        self.ui.message.clear()
        self._reset_progress()
        self._fill()

    def say(self, message) -> None:
        """Show what the last action did; `message` makes the text, again after a language switch."""
        self._message = message
        self.ui.message.setText(message())

    def _reset_progress(self) -> None:
        self.importing = False
        self.ui.progress.setRange(0, 1)
        self.ui.progress.setValue(0)
        self.ui.progress.setFormat("")
        self.ui.progress.setTextVisible(False)
        self._update_buttons()

    def _update_buttons(self) -> None:
        ui, attached = self.ui, self.service is not None
        busy = self.importing or self.host.busy
        ui.cancel.setEnabled(self.importing and not self.cancel_event.is_set())
        for button in (ui.import_button, ui.export_button, ui.choose_folder, ui.refresh, ui.enroll):
            button.setEnabled(attached and not busy)
        device = self.selected_device()
        ui.revoke.setEnabled(attached and not busy and device is not None and device.state != "revoked")

    def folder(self) -> str:
        return self.host.folder_setting()

    # -- reading the folder and the journal ---------------------------------------------------

    def refresh(self) -> None:
        """Read the sync folder (on the worker), workstations and conflicts again."""
        service = self.service
        if service is None:
            return
        folder = self.folder()
        self.ui.folder_path.setText(folder or _("not chosen yet"))

        def work():
            waiting = service.waiting_bundles(Path(folder)) if folder and Path(folder).is_dir() else []
            return waiting, service.devices(), service.list_conflicts(), service.import_counts()

        self.host.run(work, self._refreshed, self._failed)

    def _refreshed(self, result) -> None:
        self.waiting, self.devices, conflicts, self.import_counts = result
        self.conflicts.load(conflicts)
        self._fill()
        self.host.refresh_status()

    def _fill(self) -> None:
        self._fill_waiting()
        self._fill_rejected()
        self._fill_devices()
        self._update_titles()
        self._update_buttons()

    def _fill_waiting(self) -> None:
        refused = {name for name, _message in self.rejected}
        rows = []
        for b in self.waiting:
            state = "rejected" if b.path.name in refused else b.state
            sender = b.sender if b.sender else (_("new workstation") if b.seq else "—")
            rows.append((b.path.name, [b.path.name, sender, str(b.seq or "—"), str(b.changes),
                                       when_text(b.created_at), _(WAITING_LABELS.get(state, state))]))
        fill_table(self.ui.waiting_view, [_("File"), _("From"), _("No."), _("Changes"), _("Made"), _("State")], rows)
        self.ui.waiting_view.horizontalHeader().setSectionResizeMode(5, QHeaderView.ResizeMode.Stretch)

    def _fill_rejected(self) -> None:
        from app.services.sync import rejection_message

        rows = [(name, [name, rejection_message(reason, name)]) for name, reason in self.rejected]
        seen = {name for name, _m in self.rejected}

        for b in self.waiting:  # unreadable files found while looking at the folder
            if b.state == "rejected" and b.path.name not in seen:
                rows.append((b.path.name, [b.path.name, rejection_message(b.reason, b.path.name)]))
        table = self.ui.rejected_view
        fill_table(table, [_("File"), _("Reason and what to do")], rows)
        table.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        table.resizeRowsToContents()
        self.ui.rejected_label.setText(
            ngettext("{count} refused bundle", "{count} refused bundles", len(rows)).format(count=len(rows))
            if rows else _("No refused bundles"))

    def _fill_devices(self) -> None:
        from app.services.sync import STATE_LABELS

        counts = self.import_counts
        names = Counter(d.name for d in self.devices)
        rows = []
        for d in self.devices:
            # the newest carries every change of the older ones that is still not acknowledged
            waiting = max(self._new_bundles_of(d), key=lambda b: b.seq, default=None)
            got = counts.get(d.device_id) or (counts.get(d.name) if names[d.name] == 1 else None) or {}
            last = _("No. {seq}").format(seq=d.last_bundle_seq) if d.last_bundle_seq else "—"
            rows.append((d.name, [
                d.name, d.user or "—", _(STATE_LABELS.get(d.state, d.state)), last, when_text(d.last_bundle_at),
                when_text(d.last_import_at), str(waiting.changes if waiting else 0),
                str(got.get("changes", "—")), str(got.get("applied", "—")), str(got.get("conflicts", "—")),
                self._gaps_text(d),
            ]))
        table = self.ui.devices_view
        chosen = self.selected_device()
        table.blockSignals(True)
        fill_table(table, [_("Workstation"), _("Used by"), _("State"), _("Last bundle"), _("Made"), _("Imported"),
                           _("New, waiting"), _("Received"), _("Changed here"), _("Conflicts"), _("Gaps")], rows)
        table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.devices_headers.fit()
        tips = [_("Changes in the newest bundle waiting in the sync folder: each bundle carries every change "
                  "not yet acknowledged"),
                _("Changes in the bundles imported last"), _("Changes that became current in this journal")]
        for column, tip in zip((6, 7, 8), tips):
            table.horizontalHeaderItem(column).setToolTip(tip)
        if chosen is not None:
            names = [d.name for d in self.devices]
            if chosen.name in names:
                table.selectRow(names.index(chosen.name))
        table.blockSignals(False)

    def _new_bundles_of(self, device: DeviceInfo) -> list[WaitingBundle]:
        """The bundles of this workstation waiting in the folder to be imported. By device id: a
        revoked laptop and its replacement share a name. (A workstation waiting for its first
        bundle has no device id yet: its bundle is known by the name it enrolls.)"""
        refused = {name for name, _message in self.rejected}
        return [b for b in self.waiting if b.state == "new" and b.path.name not in refused and (
            b.sender_id == device.device_id if device.device_id else b.sender == device.name)]

    @staticmethod
    def _gaps_text(d: DeviceInfo) -> str:
        if d.missing_bundles:
            numbers = ", ".join(str(n) for n in d.missing_bundles[:8]) + (" …" if len(d.missing_bundles) > 8 else "")
            return ngettext("bundle {numbers} missing", "bundles {numbers} missing",
                            len(d.missing_bundles)).format(numbers=numbers)
        if d.missing_changes:
            count = sum(hi - lo for lo, hi in d.missing_changes)
            return ngettext("{count} change missing", "{count} changes missing", count).format(count=count)
        return _("none")

    def _update_titles(self) -> None:
        tabs = self.ui.sections
        refused = {name for name, _message in self.rejected}
        new = sum(1 for b in self.waiting if b.state == "new" and b.path.name not in refused)
        # Counted: the bundles waiting to be imported; the list also shows those taken in already.
        tabs.setTabText(0, ngettext("&Bundles ({count} new)", "&Bundles ({count} new)", new).format(count=new))
        tabs.setTabText(1, _("&Workstations ({count})").format(count=len(self.devices)))
        tabs.setTabText(2, _("C&onflicts ({count})").format(count=len(self.conflicts.conflicts)))

    def selected_device(self) -> DeviceInfo | None:
        model = self.ui.devices_view.selectionModel()
        rows = model.selectedRows() if model is not None else []
        if not rows or rows[0].row() >= len(self.devices):
            return None
        return self.devices[rows[0].row()]

    # -- folder --------------------------------------------------------------------------------

    def choose_folder(self) -> None:
        if self.host.choose_folder():
            self.refresh()

    # -- import ---------------------------------------------------------------------------------

    def start_import(self, then_reply: bool = False) -> None:
        service = self.service
        if service is None or self.importing or self.host.busy:
            return
        folder = self.host.ensure_folder()
        if not folder:
            return
        self._shown_before = (self.rejected, self.notes)  # shown again if the import is cancelled or fails
        self.rejected, self.notes = [], []
        self.cancel_event = threading.Event()
        self.importing = True
        self.ui.progress.setRange(0, 0)  # busy until the first bundle is counted
        self.ui.progress.setTextVisible(True)
        self.say(lambda: _("Importing bundles…"))
        self._update_buttons()
        cancel, progress = self.cancel_event, self.progress

        def work():
            return service.import_paths([Path(folder)], progress=lambda done, total: progress.changed.emit(done, total),
                                        cancel=cancel.is_set)

        self.host.run(work, lambda report: self._imported(report, then_reply), self._import_failed, exclusive=True)

    def _show_progress(self, done: int, total: int) -> None:
        if not self.importing:
            return
        self.ui.progress.setRange(0, max(total, 1))
        self.ui.progress.setValue(done)
        self.ui.progress.setFormat(_("{done} of {total} bundles").format(done=done, total=total))

    def cancel_import(self) -> None:
        if self.importing:
            self.cancel_event.set()
            self.say(lambda: _("Cancelling… nothing of this import will be kept."))
            self._update_buttons()

    def _imported(self, report: ImportReport, then_reply: bool) -> None:
        self._reset_progress()
        if report.cancelled:
            self.rejected, self.notes = self._shown_before
            self.say(lambda: _("Import cancelled: the journal is as it was before."))
            self.refresh()
            return
        self.rejected = [(r.path.name, r.reason) for r in report.rejected]
        imported = report.imported
        def summary() -> str:
            lines = []
            if imported:
                changes = sum(r.changes for r in imported)
                lines.append(ngettext("Imported {count} bundle with {changes} changes.",
                                      "Imported {count} bundles with {changes} changes.", len(imported))
                             .format(count=len(imported), changes=changes))
                conflicts = sum(r.conflicts for r in imported)
                if conflicts:
                    lines.append(ngettext("{count} new conflict to review.", "{count} new conflicts to review.",
                                          conflicts).format(count=conflicts))
            elif not report.rejected:
                lines.append(_("No new bundles in the sync folder."))
            if report.rejected:
                lines.append(ngettext("{count} bundle was refused; see the list of refused bundles.",
                                      "{count} bundles were refused; see the list of refused bundles.",
                                      len(report.rejected)).format(count=len(report.rejected)))
            for r in imported:
                lines.extend(r.warnings)
            return "\n".join(lines)

        self.say(summary)
        if imported:
            self.host.after_merge()
        if report.rejected:
            self.ui.sections.setCurrentIndex(0)
        if then_reply:
            self.write_replies(prefix=summary)  # refreshes when written
        else:
            self.refresh()

    def _import_failed(self, exc: BaseException) -> None:
        self._reset_progress()
        self.rejected, self.notes = self._shown_before
        self._fill_rejected()
        self._fill_waiting()
        self._update_titles()
        self._failed(exc)

    def _failed(self, exc: BaseException) -> None:
        self.say(lambda exc=exc: _failure_text(exc))
        self._update_buttons()

    # -- replies ------------------------------------------------------------------------------

    def write_replies(self, prefix=lambda: "") -> None:
        service = self.service
        if service is None or self.host.busy:
            return
        folder = self.host.ensure_folder()
        if not folder:
            return
        self.say(lambda: "\n".join(filter(None, [prefix(), _("Writing bundles for the workstations…")])))

        def done(results) -> None:
            def text() -> str:
                if results:
                    names = ", ".join(r.recipient for r in results)
                    return ngettext("Wrote {count} bundle for: {names}.", "Wrote {count} bundles for: {names}.",
                                    len(results)).format(count=len(results), names=names)
                return _("No workstation has anything new to receive.")

            self.say(lambda: "\n".join(filter(None, [prefix(), text()])))
            self.refresh()

        self.host.run(lambda: service.export_bundles(Path(folder)), done, self._failed, exclusive=True)
        self._update_buttons()

    # -- workstations ---------------------------------------------------------------------------

    def enroll(self) -> None:
        service = self.service
        if service is None:
            return
        dialog = EnrollDialog(self.folder(), self)
        accepted = dialog.exec()
        values = dialog.values()
        dialog.deleteLater()
        if not accepted or self.service is None:  # cancelled, or locked meanwhile
            return
        out = ask_save_path(self, _("Save the workstation profile"), f"{values['workstation']}.mlprofile")
        if not out or self.service is None:
            return
        from app.services.sync import SyncError

        try:
            path = service.provision(values["workstation"], Path(out), user=values["user"],
                                     language=values["language"], sync_dir=values["sync_dir"])
        except FileExistsError:
            self.say(lambda: _("A file with this name exists already. Choose another name."))
            return
        except SyncError as exc:
            self.say(lambda exc=exc: str(exc))
            return
        except OSError as exc:
            self.say(lambda exc=exc: _failure_text(exc))
            return
        carries_recovery = service.profiles_carry_recovery_key()

        def written() -> str:
            text = _("Profile for {name} written to {file}. Set up the laptop with it (Mediator Log: init with "
                     "profile); it works once.").format(name=values["workstation"], file=path)
            if not carries_recovery:
                text += " " + _("It carries no organisation recovery key: ask IT to provision workstations "
                                "on the command line with --recovery-key.")
            return text

        self.say(written)
        self.refresh()

    def revoke(self) -> None:
        device = self.selected_device()
        service = self.service
        if device is None or service is None or device.state == "revoked":
            return
        if device.last_bundle_seq:
            since = _("Changes it made after its last bundle (No. {seq}, {time}) will not reach this journal.").format(
                seq=device.last_bundle_seq, time=when_text(device.last_bundle_at))
        else:
            since = _("It has not sent any bundle yet.")
        # Its bundles still waiting in the folder are refused too: work it did before it was lost.
        waiting = sorted(b.seq for b in self._new_bundles_of(device))
        held = ngettext(
            "Its bundle No. {numbers} waits in the sync folder and has not been imported: it would be refused "
            "too. If it was written before the laptop was lost, answer No and import it first.",
            "Its bundles No. {numbers} wait in the sync folder and have not been imported: they would be refused "
            "too. If they were written before the laptop was lost, answer No and import them first.",
            len(waiting)).format(numbers=", ".join(str(n) for n in waiting)) if waiting else ""
        text = "\n\n".join(filter(None, [
            _("Revoke the workstation {name}? Every bundle it sends from now on will be refused.").format(
                name=device.name),
            since,
            held,
            _("If the laptop is found again, enroll it anew."),
        ]))
        if not confirm(self, _("Revoke workstation"), text) or self.service is None:
            return
        from app.services.sync import SyncError

        try:
            service.revoke(device.name)
        except SyncError as exc:
            self.say(lambda exc=exc: str(exc))
            return
        self.say(lambda: _("{name} is revoked: its bundles will be refused.").format(name=device.name))
        self.refresh()

    # -- conflicts ------------------------------------------------------------------------------

    def _conflict_resolved(self) -> None:
        self._update_titles()
        self.say(lambda: _("Conflict resolved. The choice reaches the workstations with the next replies."))
        self.host.after_merge()
        self.host.refresh_status()

    # -- language -------------------------------------------------------------------------------

    def changeEvent(self, event) -> None:  # noqa: N802 (Qt API)
        if event.type() == QEvent.Type.LanguageChange:
            self.ui.retranslateUi(self._content)
            if self.service is not None:
                self.ui.folder_path.setText(self.folder() or _("not chosen yet"))
            if self._message is not None:
                self.ui.message.setText(self._message())
            self._fill()
        super().changeEvent(event)


# -- the main window's part ------------------------------------------------------------------

class SyncUi(QObject):
    """Menu, status bar, "Sync now" and the lead's view, for one MainWindow."""

    def __init__(self, window):
        super().__init__(window)
        self.window = window
        self.journal: Journal | None = None
        self.service: SyncService | None = None
        self.jobs = 0  # worker jobs under way
        self.exclusive = 0  # of which writing ones (import, export, sync now)
        self.generation = 0  # bumped on detach: late worker results for a locked journal are dropped
        self.view: SyncView | None = None

        self.act_sync_now = QAction(window)
        self.act_sync_now.triggered.connect(self.sync_now)
        self.act_sync_view = QAction(window)
        self.act_sync_view.setShortcut(QKeySequence("Ctrl+Shift+S"))
        self.act_sync_view.triggered.connect(self.show_view)
        self.act_sync_folder = QAction(window)
        self.act_sync_folder.triggered.connect(self.choose_folder)
        for action in (self.act_sync_now, self.act_sync_view, self.act_sync_folder):
            window.addAction(action)
            action.setEnabled(False)
        bar = window.menuBar()
        self.menu = bar.addMenu("")
        language_menu = getattr(window, "menu_language", None)
        if language_menu is not None:  # Sync before Language
            bar.insertMenu(language_menu.menuAction(), self.menu)
        self.menu.addAction(self.act_sync_now)
        self.menu.addAction(self.act_sync_view)
        self.menu.addSeparator()
        self.menu.addAction(self.act_sync_folder)

        self.status_label = QLabel()
        self.status_label.setObjectName("sync_status")
        window.ui.statusbar.addPermanentWidget(self.status_label)
        self.status_timer = QTimer(self, interval=STATUS_REFRESH_MS)
        self.status_timer.timeout.connect(self.refresh_status)
        self.retranslate()

    @property
    def busy(self) -> bool:
        return self.exclusive > 0

    # -- lifecycle -----------------------------------------------------------------------------

    def attach(self, journal: Journal) -> None:
        from app.services.sync import SyncService

        self.journal, self.service = journal, SyncService(journal)
        lead = journal.role == "lead"
        self.act_sync_now.setEnabled(True)
        self.act_sync_folder.setEnabled(True)
        self.act_sync_view.setEnabled(lead)
        self.act_sync_view.setVisible(lead)
        # A mediator's one action gets the shortcut; a lead's opens the view.
        self.act_sync_now.setShortcut(QKeySequence() if lead else QKeySequence("Ctrl+Shift+S"))
        tabs = self.window.ui.tabs
        if lead:
            if self.view is None:
                self.view = SyncView(self)
                tabs.addTab(self.view, "")
                self._tab_title()
            self.view.conflicts.attach(self.service, journal)
            self.view.refresh()
        model = getattr(self.window, "model", None)
        if model is not None and not getattr(self, "_model_hooked", False):
            model.modelReset.connect(self.refresh_status)  # entries saved, deleted or restored
            self._model_hooked = True
        self.status_timer.start()
        self.refresh_status()

    def detach(self) -> None:
        """The journal locks or closes: stop and wait for a running import (a cancelled import
        leaves the journal as before), and forget every value shown."""
        self.generation += 1
        if self.view is not None:
            self.view.cancel_event.set()
        if self.jobs:
            self.window.runner.wait(60_000)
        self.jobs = self.exclusive = 0
        self.status_timer.stop()
        self.journal = self.service = None
        for action in (self.act_sync_now, self.act_sync_view, self.act_sync_folder):
            action.setEnabled(False)
        self.status_label.clear()
        if self.view is not None:
            self.view.clear()

    def run(self, fn, on_success, on_failure, *, exclusive: bool = False) -> None:
        """Work on the worker thread; the callback runs only if the journal is still the same.
        `exclusive` marks work that writes (import, export, sync now): one at a time."""
        generation = self.generation
        self.jobs += 1
        self.exclusive += exclusive

        def finish(callback, value) -> None:
            if generation != self.generation:
                return
            self.jobs -= 1
            self.exclusive -= exclusive
            callback(value)
            if self.view is not None:
                self.view._update_buttons()

        self.window.runner.run(fn, lambda value: finish(on_success, value), lambda exc: finish(on_failure, exc))

    # -- language --------------------------------------------------------------------------------

    def retranslate(self) -> None:
        self.menu.setTitle(_("S&ync"))
        self.act_sync_now.setText(_("Sync &now"))
        self.act_sync_view.setText(_("Sync &view…"))
        self.act_sync_folder.setText(_("Choose sync &folder…"))
        self._tab_title()
        self.refresh_status()

    def _tab_title(self) -> None:
        if self.view is not None:
            tabs = self.window.ui.tabs
            tabs.setTabText(tabs.indexOf(self.view), _("S&ync"))

    # -- status bar ------------------------------------------------------------------------------

    def status_text(self) -> str:
        service = self.service
        if service is None:
            return ""
        status = service.status()
        last = max(status.last_export_at, status.last_import_at)
        last_text = _("last sync {time}").format(time=when_text(last)) if last else _("never synced")
        if status.role == "lead":
            if not status.in_team:
                return _("No workstation enrolled yet")
            first = ngettext("{count} open conflict", "{count} open conflicts", status.open_conflicts).format(
                count=status.open_conflicts)
        elif not status.in_team:
            return _("Not set up for sync")
        elif status.unacknowledged:
            from app.services.sync_client import pending_records

            count, unsent = pending_records(self.journal)  # records, not field versions
            if unsent or not count:
                first = ngettext("{count} change not yet synced", "{count} changes not yet synced",
                                 count).format(count=count)
            else:  # all in a bundle: the lead has not imported it and replied yet
                first = ngettext("{count} change sent, waiting for the team lead",
                                 "{count} changes sent, waiting for the team lead", count).format(count=count)
        else:
            first = _("All changes synced")
        return f"{first} · {last_text}"

    def refresh_status(self) -> None:
        if self.service is None:
            self.status_label.clear()
            return
        try:
            self.status_label.setText(self.status_text())
        except Exception:  # noqa: BLE001 - a status line must never break the window
            self.status_label.setText(_("Sync status unavailable"))

    # -- folder ----------------------------------------------------------------------------------

    def folder_setting(self) -> str:
        from app.services.sync_client import get_sync_folder

        return get_sync_folder(self.journal) if self.journal is not None else ""

    def choose_folder(self) -> bool:
        if self.journal is None:
            return False
        chosen = ask_folder(self.window, _("Choose the sync folder"), self.folder_setting())
        if not chosen or self.journal is None:
            return False
        from app.services.sync_client import set_sync_folder

        set_sync_folder(self.journal, chosen)
        if self.view is not None:
            self.view.ui.folder_path.setText(chosen)
        return True

    def ensure_folder(self) -> str:
        """The sync folder, asked for once if none is set; '' if the user gave up."""
        folder = self.folder_setting()
        if not folder:
            if not self.choose_folder():
                return ""
            folder = self.folder_setting()
        if not Path(folder).is_dir():
            text = _("The sync folder {folder} cannot be reached. Plug in the USB stick or connect the network drive, "
                     "or choose another folder.\n\nChoose another folder now?").format(folder=folder)
            if not confirm(self.window, _("Sync folder not found"), text) or not self.choose_folder():
                return ""
            folder = self.folder_setting()
        return folder

    # -- actions ---------------------------------------------------------------------------------

    def show_view(self) -> None:
        if self.view is not None and self.journal is not None:
            self.window.ui.tabs.setCurrentWidget(self.view)
            self.view.refresh()

    def sync_now(self) -> None:
        if self.service is None or self.busy:
            return
        if self.journal.role == "lead":
            self.window.ui.tabs.setCurrentWidget(self.view)
            self.view.start_import(then_reply=True)
            return
        status = self.service.status()
        if not status.in_team:
            QMessageBox.information(self.window, _("Sync"), _("This journal is not part of a sync team yet. Ask your "
                                                              "team lead for a workstation profile."))
            return
        folder = self.ensure_folder()
        if not folder:
            return
        service = self.service
        self.status_label.setText(_("Syncing…"))
        self.act_sync_now.setEnabled(False)

        journal = self.journal

        def work():
            from app.services.sync_client import unsynced_records

            sent = service.export_bundles(Path(folder))
            records = unsynced_records(journal) if sent else 0  # what the status bar counts
            report = service.import_paths([Path(folder)])
            return sent, records, report

        def done(result) -> None:
            sent, changes, report = result
            self.act_sync_now.setEnabled(True)
            # Records, as "sent" counts them (erased ones too): a reply repeats the reference lists
            # and acknowledges, and its field versions that change nothing here are not news.
            received = sum(r.records + r.erased for r in report.imported)
            parts = [ngettext("Sync done: {count} change sent to the team lead",
                              "Sync done: {count} changes sent to the team lead", changes).format(count=changes),
                     ngettext("{count} change received.", "{count} changes received.", received).format(count=received)]
            message = ", ".join(parts)
            self.window.ui.statusbar.showMessage(message, 10_000)
            if report.imported:
                self.after_merge()
            self.refresh_status()
            # What the import has to say (an erasure, a clock far ahead, a journal restored from a
            # backup) is for the mediator to read, not only for the team lead's sync view.
            warnings = [w for r in report.imported for w in r.warnings]
            if report.rejected:
                QMessageBox.warning(self.window, _("Bundle refused"),
                                    "\n\n".join([message] + [r.message for r in report.rejected] + warnings))
            elif warnings:
                QMessageBox.information(self.window, _("Sync"), "\n\n".join([message] + warnings))

        def failed(exc: BaseException) -> None:
            self.act_sync_now.setEnabled(True)
            self.refresh_status()
            QMessageBox.warning(self.window, _("Sync"), _failure_text(exc))

        self.run(work, done, failed, exclusive=True)

    # -- after a merge ---------------------------------------------------------------------------

    def after_merge(self) -> None:
        """The journal changed underneath the window: show it again (and the dashboard, if any)."""
        window = self.window
        if window.journal is None:
            return
        window.journal._catalogs = None  # reference lists may have come with the bundle
        window.drop_erased_form()  # an erasure that came with the bundle closes the entry it erased
        window._fill_filters()
        if window.current_form is not None:  # new or renamed list values, keeping what is typed
            window.current_form.reload()
        window.model.reload()
        window.refresh_clients()
        window.refresh_follow_ups()
        dashboard = getattr(window, "dashboard", None)
        if dashboard is not None and hasattr(dashboard, "refresh"):
            dashboard.refresh()
        elif window.journal.role == "lead":
            # A merge notes the entries it changed; their reporting rows are written here, in the
            # background, so the dashboard opened next is as quick as after ordinary saves.
            from app.services.reports import catch_up_reports

            journal = window.journal
            self.run(lambda: catch_up_reports(journal), lambda _none: None, self._catch_up_failed, exclusive=True)
        self.refresh_status()

    def _catch_up_failed(self, exc: BaseException) -> None:
        """Nothing is lost: the entries stay noted and the next report catches them up."""
        if self.view is not None:
            self.view._failed(exc)


__all__ = ["SyncUi", "SyncView", "EnrollDialog", "ask_folder", "ask_save_path", "confirm",
           "Qt"]
