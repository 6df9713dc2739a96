"""The main window: first-run setup, unlock, and the workspace (journal, clients,
follow-ups, entry forms). Locks itself when idle; drafts survive a lock or a crash."""

from __future__ import annotations

import datetime as dt
import errno
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QByteArray, QDate, QEvent, QObject, QSettings, QTimer, Qt
from PySide6.QtGui import QAction, QActionGroup, QGuiApplication, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QHeaderView,
    QInputDialog,
    QLabel,
    QMainWindow,
    QMessageBox,
    QPushButton,
    QWidget,
)

from app.domain.entries import CONSULTATION, ENTRY_TYPE_LABELS, OUTREACH_VISIT, TANDEM_SESSION, Entry
from app.domain.filters import JournalFilter
from app.domain.records import entry_to_record, is_client_ref, record_to_entry
from app.domain.validation import ValidationError
from app.i18n import LANGUAGES, NATIVE_NAMES, _, current_language, ngettext, pgettext
from app.i18n.formats import format_time
from app.paths import store_exists
from app.ui.dialogs import CatalogEditor, ClientDialog, PreferencesDialog
from app.ui import carried_profile
from app.ui.entry_forms import ERROR_STYLE, FORM_CLASSES, EntryForm
from app.ui.forms.ui_first_run import Ui_FirstRun
from app.ui.forms.ui_main_window import Ui_MainWindow
from app.ui.forms.ui_unlock import Ui_Unlock
from app.ui.journal_model import FOLLOW_UP_COLUMN, MEDIATOR_COLUMN, NOTE_COLUMN, TOPICS_COLUMN, JournalModel
from app.ui.sync_view import SyncUi, confirm
from app.ui.tasks import TaskRunner
from app.ui.translator import apply_language, apply_region
from app.ui.widgets import RESIZE_PRECISION_ROWS, WINDOW_FRAME_ALLOWANCE, centred_column, combo_code, fill_combo, fill_table, focus_in_view, short_date

if TYPE_CHECKING:
    from app.services.journal import Journal

SETUP_PAGE, UNLOCK_PAGE, WORK_PAGE = 0, 1, 2
DEFAULT_IDLE_MINUTES = 5
DRAFT_DELAY_MS = 600
MAX_TOPICS_WIDTH = 300  # px: about three topics; the rest is elided (the entry shows them all)
MIN_TOPICS_WIDTH = 120  # px: one short topic, when the table is narrow
PREFERRED_WINDOW_SIZE = (1280, 800)
UNDO_SECONDS = 15  # how long a deletion can be undone
DAY_CHECK_MS = 60_000  # how often the follow-ups look whether the day has changed
NOTE_MIN_WIDTH = 160  # px: the note preview is kept at least this wide while other columns can give way
# Columns that give way, in this order, when the table is still too narrow with the topics narrowed
# (an entry form beside it): the form shows them for its entry, and the follow-ups have a tab of their own.
YIELDING_COLUMNS = (FOLLOW_UP_COLUMN, MEDIATOR_COLUMN)


def _stores():
    """The store's modules (SQLAlchemy, Alembic: about half a second) are imported on first use,
    so the unlock window shows at once; a worker preloads them while the user types."""
    from app.services import stores

    return stores


def _user_errors(exc: BaseException) -> bool:
    """An expected problem whose message is written for the user."""
    from app.store.migrate import NewerStoreError

    return isinstance(exc, (_stores().StoreError, NewerStoreError))


def _not_written(exc: OSError) -> str:
    """A store file could not be created or upgraded (mostly: the disk is full)."""
    return _("The journal could not be written ({reason}). Check free disk space and try again.").format(
        reason=exc.strerror or type(exc).__name__)


class IdleWatcher(QObject):
    """Restarts the lock timer on any keyboard or mouse activity in the application."""

    ACTIVITY = {QEvent.Type.KeyPress, QEvent.Type.MouseButtonPress, QEvent.Type.MouseMove, QEvent.Type.Wheel}

    def __init__(self, timer: QTimer):
        super().__init__()
        self.timer = timer

    def eventFilter(self, obj, event) -> bool:  # noqa: N802 (Qt API)
        if event.type() in self.ACTIVITY and self.timer.isActive():
            self.timer.start()
        return False


class MainWindow(QMainWindow):
    def __init__(self, store_path: Path, settings: QSettings, runner: TaskRunner | None = None):
        super().__init__()
        self.store_path = Path(store_path)
        self.settings = settings
        self.runner = runner or TaskRunner()
        self.journal: Journal | None = None
        self.forms: dict[str, EntryForm] = {}
        self.current_form: EntryForm | None = None
        self.saved_view: dict | None = None
        self._column_widths: list[int] = []  # the journal's columns as sized to their contents
        self._topics_narrowed = False
        self._form_text: Callable[[], str] | None = None  # what the line under the entry form says
        self.deleted: list[Entry] = []  # deleted in the last UNDO_SECONDS, newest last: Undo restores them in turn
        # a draft another program kept us from writing: (key, fields, registered codes it names)
        self._unwritten_draft: tuple[str, dict, list[str]] | None = None
        self.carried = carried_profile.Found()  # the installer's workstation profile, looked up on first run

        self.ui = Ui_MainWindow()
        self.ui.setupUi(self)
        self.setup = Ui_FirstRun()
        self.setup_column = centred_column(self.ui.setup_page)
        self.setup.setupUi(self.setup_column)
        self.unlock_form = Ui_Unlock()
        self.unlock_column = centred_column(self.ui.unlock_page)
        self.unlock_form.setupUi(self.unlock_column)
        self._place_on_screen()

        self.draft_timer = QTimer(self, singleShot=True, interval=DRAFT_DELAY_MS)
        self.draft_timer.timeout.connect(self.save_draft)
        self.idle_timer = QTimer(self, singleShot=True)
        self.idle_timer.timeout.connect(self.lock)
        self.idle_watcher = IdleWatcher(self.idle_timer)
        self.undo_button = QPushButton(self)
        self.undo_button.hide()
        self.undo_button.clicked.connect(self.undo_delete)
        self.undo_timer = QTimer(self, singleShot=True, interval=UNDO_SECONDS * 1000)
        self.undo_timer.timeout.connect(self._undo_expired)
        self.ui.statusbar.addPermanentWidget(self.undo_button)
        # "today" and "overdue" move at midnight, also in a window nobody touches (the idle lock may be off)
        self._follow_ups_day: dt.date | None = None
        self._kept_draft = ""  # the last draft this window kept (see drop_erased_form)
        self.day_timer = QTimer(self, interval=DAY_CHECK_MS)
        self.day_timer.timeout.connect(self._day_changed)
        self.day_timer.start()

        self._build_actions()
        self.sync_ui = SyncUi(self)  # Sync menu, status bar, the lead's sync view
        self._connect()
        self.retranslate()
        if store_exists(self.store_path):
            self.show_unlock()
        else:
            self.show_setup()
        self.runner.run(_stores, lambda _module: None, lambda _exc: None)  # preload while the user types

    # -- building -----------------------------------------------------------------------

    def _action(self, shortcut, slot, menu=None) -> QAction:
        action = QAction(self)
        if shortcut:
            action.setShortcut(QKeySequence(shortcut))
        action.triggered.connect(slot)
        self.addAction(action)
        return action

    def _build_actions(self) -> None:
        self.act_new_consultation = self._action("Ctrl+1", lambda: self.new_entry(CONSULTATION))
        self.act_new_tandem = self._action("Ctrl+2", lambda: self.new_entry(TANDEM_SESSION))
        self.act_new_outreach = self._action("Ctrl+3", lambda: self.new_entry(OUTREACH_VISIT))
        self.act_save = self._action(QKeySequence.StandardKey.Save, self.save_entry)
        self.act_search = self._action(QKeySequence.StandardKey.Find, self.focus_search)
        self.act_lock = self._action("Ctrl+L", self.lock)
        self.act_close_form = self._action("Escape", self.close_form)
        self.act_quit = self._action(QKeySequence.StandardKey.Quit, self.close)
        self.act_catalogs = self._action(None, self.edit_catalogs)
        self.act_preferences = self._action(None, self.edit_preferences)
        self.act_dashboard = self._action("Ctrl+D", self.open_dashboard)  # team leads only
        self.dashboard = None
        self.act_new_client = self._action(None, self.new_client)
        self.language_group = QActionGroup(self)
        self.language_actions: dict[str, QAction] = {}
        for code in LANGUAGES:
            action = QAction(NATIVE_NAMES[code], self, checkable=True)
            action.triggered.connect(lambda _checked=False, c=code: self.switch_language(c))
            self.language_group.addAction(action)
            self.language_actions[code] = action

        bar = self.menuBar()
        self.menu_file = bar.addMenu("")
        for action in (self.act_new_consultation, self.act_new_tandem, self.act_new_outreach, self.act_new_client):
            self.menu_file.addAction(action)
        self.menu_file.addSeparator()
        self.menu_file.addAction(self.act_save)
        self.menu_file.addAction(self.act_lock)
        self.menu_file.addSeparator()
        self.menu_file.addAction(self.act_quit)
        self.menu_edit = bar.addMenu("")
        self.menu_edit.addAction(self.act_search)
        self.menu_edit.addAction(self.act_catalogs)
        self.menu_edit.addAction(self.act_dashboard)
        self.menu_edit.addAction(self.act_preferences)
        self.menu_language = bar.addMenu("")
        for action in self.language_actions.values():
            self.menu_language.addAction(action)

    def _connect(self) -> None:
        ui = self.ui
        self.setup.create.clicked.connect(self.create_journal)
        self.setup.repeat.returnPressed.connect(self.create_journal)
        self.unlock_form.unlock.clicked.connect(self.try_unlock)
        self.unlock_form.passphrase.returnPressed.connect(self.try_unlock)
        ui.new_consultation.clicked.connect(lambda: self.new_entry(CONSULTATION))
        ui.new_tandem.clicked.connect(lambda: self.new_entry(TANDEM_SESSION))
        ui.new_outreach.clicked.connect(lambda: self.new_entry(OUTREACH_VISIT))
        ui.delete_entry.clicked.connect(self.delete_selected)
        ui.save.clicked.connect(self.save_entry)
        ui.cancel.clicked.connect(self.close_form)
        ui.discard.clicked.connect(lambda: self.discard_form())
        ui.journal_view.activated.connect(lambda index: self.open_entry(self.model.data(index, Qt.ItemDataRole.UserRole)))
        ui.search.textChanged.connect(lambda _t: self.filter_timer.start())
        for widget in (ui.type_filter, ui.place_filter):
            widget.currentIndexChanged.connect(self.apply_filter)
        ui.client_filter.currentIndexChanged.connect(self.apply_filter)
        ui.date_from.dateChanged.connect(self.apply_filter)
        ui.date_to.dateChanged.connect(self.apply_filter)
        ui.clear_filters.clicked.connect(self.clear_filters)
        ui.client_search.textChanged.connect(self.refresh_clients)
        ui.new_client.clicked.connect(self.new_client)
        ui.edit_client.clicked.connect(lambda: self.edit_client())
        ui.clients_view.activated.connect(lambda index: self.edit_client(index.data(Qt.ItemDataRole.UserRole)))
        ui.show_client_entries.clicked.connect(self.show_client_entries)
        ui.share_client.clicked.connect(self.share_client)
        ui.erase_client.clicked.connect(self.erase_client)
        ui.follow_up_done.clicked.connect(self.mark_follow_up_done)
        ui.open_follow_up.clicked.connect(self.open_follow_up)
        ui.follow_ups_view.activated.connect(lambda index: self.open_entry(index.data(Qt.ItemDataRole.UserRole)))
        for table in (ui.journal_view, ui.clients_view, ui.follow_ups_view):
            table.setTabKeyNavigation(False)  # Tab leaves the table for its buttons; arrows move inside
        for table in (ui.clients_view, ui.follow_ups_view):
            table.horizontalHeader().setStretchLastSection(True)  # no empty half beside the last column
        ui.tabs.currentChanged.connect(self._tab_changed)
        self.filter_timer = QTimer(self, singleShot=True, interval=250)
        self.filter_timer.timeout.connect(self.apply_filter)
        ui.journal_view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        ui.journal_view.verticalHeader().hide()
        ui.date_from.setSpecialValueText(" ")
        ui.date_to.setSpecialValueText(" ")
        ui.journal_view.installEventFilter(self)
        ui.date_from.installEventFilter(self)
        ui.date_to.installEventFilter(self)
        ui.journal_view.setWordWrap(False)
        ui.journal_view.viewport().installEventFilter(self)  # resized: the columns are fitted again
        ui.journal_view.verticalHeader().setDefaultSectionSize(ui.journal_view.fontMetrics().height() + 10)
        for combo in (ui.type_filter, ui.place_filter, ui.client_filter):
            combo.setSizeAdjustPolicy(combo.SizeAdjustPolicy.AdjustToContents)
        ui.form_panel.setMinimumWidth(460)
        ui.form_panel.hide()  # until a form opens: a splitter counts a child not hidden in its minimum width
        ui.form_panel.installEventFilter(self)  # shown or hidden: side by side with the journal, or in its place
        ui.form_scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        ui.form_scroll.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # a Tab stop that showed no focus anywhere
        ui.splitter.setStretchFactor(0, 3)
        ui.splitter.setStretchFactor(1, 2)
        ui.splitter.setChildrenCollapsible(False)

    def eventFilter(self, obj, event) -> bool:  # noqa: N802
        if event.type() == QEvent.Type.Resize and obj is self.ui.journal_view.viewport():
            self._fit_journal_columns()
        if obj is self.ui.form_panel and event.type() in (QEvent.Type.Show, QEvent.Type.Hide):
            self._arrange_form()
        if obj is self.ui.journal_view and event.type() == QEvent.Type.KeyPress:
            if event.key() == Qt.Key.Key_Delete:
                self.delete_selected()
                return True
        if obj in (self.ui.date_from, self.ui.date_to) and event.type() == QEvent.Type.KeyPress:
            # A QDateEdit showing its special (blank) value swallows Tab: keyboard users were trapped.
            if event.key() in (Qt.Key.Key_Tab, Qt.Key.Key_Backtab) and obj.date() == obj.minimumDate():
                forward = event.key() == Qt.Key.Key_Tab and not event.modifiers() & Qt.KeyboardModifier.ShiftModifier
                self.focusNextPrevChild(forward)
                return True
            # Typed into the blank value, digits landed in the sections of the invisible date
            # (" 1112026") and the date was thrown away. Show today's date first, its first
            # section selected, so the typed date replaces it section by section.
            if event.text().isdigit() and obj.date() == obj.minimumDate():
                obj.blockSignals(True)
                obj.setDate(QDate.currentDate())
                obj.blockSignals(False)
                obj.setCurrentSectionIndex(0)
                obj.setSelectedSection(obj.sectionAt(0))
        return super().eventFilter(obj, event)

    # -- language -------------------------------------------------------------------------

    def switch_language(self, language: str) -> None:
        self.settings.setValue("language", language)
        apply_language(language)  # Qt posts LanguageChange to every widget

    def changeEvent(self, event) -> None:  # noqa: N802
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    def retranslate(self) -> None:
        setup_values = self._setup_values()
        self.ui.retranslateUi(self)
        self._form_say(self._form_text)  # retranslateUi emptied it
        self.ui.statusbar.clearMessage()  # a passing message in the old language
        self.setup.retranslateUi(self.setup_column)
        self.unlock_form.retranslateUi(self.unlock_column)
        self._restore_setup_values(setup_values)
        carried_profile.apply(self, self.carried)
        self.menu_file.setTitle(_("&File"))
        self.menu_edit.setTitle(pgettext("menu", "&Edit"))
        self.menu_language.setTitle(_("&Language"))
        self.act_new_consultation.setText(_("New &consultation"))
        self.act_new_tandem.setText(_("New &tandem session"))
        self.act_new_outreach.setText(_("New &outreach visit"))
        self.act_new_client.setText(_("New c&lient"))
        self.act_save.setText(_("&Save entry"))
        self.act_search.setText(_("&Search notes"))
        self.act_lock.setText(_("&Lock now"))
        self.act_quit.setText(_("&Quit"))
        self.act_catalogs.setText(_("&Reference lists…"))
        self.act_dashboard.setText(_("Team &dashboard and reports…"))
        self.act_preferences.setText(_("&Preferences…"))
        self.undo_button.setText(_("&Undo delete"))
        self.language_actions[current_language()].setChecked(True)
        self.sync_ui.retranslate()
        if self.journal is not None:
            self._fill_filters()
            self.model.retranslate()
            self.refresh_clients()
            self.refresh_follow_ups()
            self._update_form_title()
            self._size_journal_columns()
        self._update_unlock_who()

    def _setup_values(self) -> dict:
        return {"name": self.setup.name.text(), "role": combo_code(self.setup.role) or "mediator",
                "language": combo_code(self.setup.language) or current_language()}

    def _restore_setup_values(self, values: dict) -> None:
        fill_combo(self.setup.language, [(c, NATIVE_NAMES[c]) for c in LANGUAGES], current_language())
        fill_combo(self.setup.role, [("mediator", _("Mediator")), ("lead", _("Team lead"))], values["role"])
        self.setup.name.setText(values["name"])

    # -- setup and unlock -------------------------------------------------------------------

    def show_setup(self) -> None:
        self.ui.pages.setCurrentIndex(SETUP_PAGE)
        self.setup.language.currentIndexChanged.connect(self._setup_language_chosen)
        self.setup.language.setFocus()
        self.carried = carried_profile.find()
        language = self.carried.profile.language if self.carried.profile else ""
        if language and language != current_language():
            self.switch_language(language)  # the LanguageChange that follows applies the profile again
        carried_profile.apply(self, self.carried)

    def _setup_language_chosen(self) -> None:
        language = combo_code(self.setup.language)
        if language and language != current_language():
            self.switch_language(language)

    def create_journal(self) -> None:
        passphrase, repeat = self.setup.passphrase.text(), self.setup.repeat.text()
        stores = _stores()
        try:
            stores.check_new_passphrase(passphrase)
        except stores.StoreError as exc:
            self._setup_error(str(exc), self.setup.passphrase)
            return
        if passphrase != repeat:
            self.setup.passphrase.clear()  # "type them again": both, not the one that was right
            self.setup.repeat.clear()
            self._setup_error(_("The two passphrases differ. Type them again."), self.setup.passphrase)
            return
        name, role = self.setup.name.text().strip(), combo_code(self.setup.role) or "mediator"
        carried = self.carried.profile
        if carried is not None:
            name, role = name or carried.user, "mediator"
        if not name:
            self._setup_error(_("Enter your name as it should appear on your entries."), self.setup.name)
            return
        self.setup.create.setEnabled(False)
        self.setup.error.setText(_("Creating your encrypted journal…"))
        self.runner.run(
            (lambda: carried_profile.create(self.store_path, passphrase, carried, name)) if carried is not None
            else (lambda: stores.create_store(self.store_path, passphrase, name=name, role=role)),
            self.enter_workspace,
            lambda exc: self._setup_failed(exc),
        )

    def _setup_error(self, message: str, widget: QWidget) -> None:
        self.setup.error.setText(message)
        widget.setFocus()

    def _setup_failed(self, exc: BaseException) -> None:
        self.setup.create.setEnabled(True)
        if _user_errors(exc):
            self.setup.error.setText(str(exc))
        elif isinstance(exc, OSError):
            self.setup.error.setText(_not_written(exc))
        else:
            raise exc

    def _update_unlock_who(self) -> None:
        self.unlock_form.who.setText(_("Journal: {file}").format(file=self.store_path.name))

    def show_unlock(self) -> None:
        self.ui.pages.setCurrentIndex(UNLOCK_PAGE)
        self.unlock_form.passphrase.clear()
        self.unlock_form.unlock.setEnabled(True)
        self.unlock_form.passphrase.setEnabled(True)
        self.unlock_form.passphrase.setFocus()
        self.menuBar().setEnabled(True)
        for action in self._work_actions():
            action.setEnabled(False)

    def _work_actions(self) -> list[QAction]:
        return [self.act_new_consultation, self.act_new_tandem, self.act_new_outreach, self.act_save,
                self.act_search, self.act_lock, self.act_close_form, self.act_catalogs, self.act_new_client,
                self.act_dashboard]

    def try_unlock(self) -> None:
        passphrase = self.unlock_form.passphrase.text()
        if not passphrase:
            self._unlock_message(_("Type your passphrase."), problem=True)
            return
        self.unlock_form.unlock.setEnabled(False)
        self.unlock_form.passphrase.setEnabled(False)
        stores = _stores()
        wait = round(stores.unlock_wait(self.store_path))
        if wait:  # up to 30 s after many wrong tries: say why, or it looks like the program hangs
            self._unlock_message(ngettext(
                "Unlocking… This takes {seconds} second longer because of earlier wrong passphrases.",
                "Unlocking… This takes {seconds} seconds longer because of earlier wrong passphrases.",
                wait).format(seconds=wait), problem=False)
        else:
            self._unlock_message(_("Unlocking…"), problem=False)

        def upgrading() -> None:  # on the worker, before a store of an older version is upgraded
            self.runner.post(lambda _v: self._unlock_message(stores.upgrade_notice(), problem=False))

        self.runner.run(lambda: stores.open_store(self.store_path, passphrase, on_upgrade=upgrading),
                        self.enter_workspace, self._unlock_failed)

    def _unlock_message(self, text: str, *, problem: bool) -> None:
        """The line under the passphrase: red for a problem, plain for progress (an upgrade of
        an older journal can take half a minute and must not look like an error)."""
        self.unlock_form.error.setStyleSheet(ERROR_STYLE if problem else "")
        self.unlock_form.error.setText(text)

    def _unlock_failed(self, exc: BaseException) -> None:
        self.unlock_form.unlock.setEnabled(True)
        self.unlock_form.passphrase.setEnabled(True)
        self.unlock_form.passphrase.selectAll()
        self.unlock_form.passphrase.setFocus()
        from app.store.keyslots import WrongPassphrase

        if isinstance(exc, WrongPassphrase):
            self._unlock_message(_("Wrong passphrase. Try again; after several tries you must wait a little."),
                                problem=True)
        elif _user_errors(exc):
            self._unlock_message(str(exc), problem=True)
        elif isinstance(exc, OSError):  # a full disk while an older journal was backed up and updated
            self._unlock_message(_not_written(exc), problem=True)
        else:
            raise exc

    # -- workspace ----------------------------------------------------------------------------

    def enter_workspace(self, journal: Journal) -> None:
        self.journal = journal
        apply_region(journal.get_setting("region", "") or None)  # Romani dates follow the user's region
        self.ui.pages.setCurrentIndex(WORK_PAGE)
        for action in self._work_actions():
            action.setEnabled(True)
        self.act_catalogs.setEnabled(journal.role == "lead")
        self.act_dashboard.setEnabled(journal.role == "lead")
        self.act_dashboard.setVisible(journal.role == "lead")
        self.ui.share_client.setVisible(journal.role == "lead")
        if not self.forms:
            for entry_type, cls in FORM_CLASSES.items():
                form = cls(journal)
                form.changed.connect(self.draft_timer.start)
                self.forms[entry_type] = form
                self.ui.forms.addWidget(form)
                # From the note straight to the form's buttons, not through the journal's filters
                QWidget.setTabOrder(form.ui.notes, self.ui.save)
            QWidget.setTabOrder(self.ui.save, self.ui.cancel)
            QWidget.setTabOrder(self.ui.cancel, self.ui.discard)
            self.model = JournalModel(journal, self)
            self.ui.journal_view.setModel(self.model)
            header = self.ui.journal_view.horizontalHeader()
            header.setResizeContentsPrecision(RESIZE_PRECISION_ROWS)
            header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
            # The note preview takes the width the other columns leave: it is elided anyway, and the
            # follow-up column at the right edge keeps its header readable in every language.
            header.setSectionResizeMode(NOTE_COLUMN, QHeaderView.ResizeMode.Stretch)
        else:
            for form in self.forms.values():
                form.journal = journal
            self.model.journal = journal
        self._fill_filters()
        self.model.reload()
        self._size_journal_columns()
        self.refresh_clients()
        self.refresh_follow_ups()
        self.ui.form_panel.hide()
        self.current_form = None
        self._write_held_draft()
        self._restore_view()
        if self.current_form is None:  # the disabled passphrase field took the focus with it
            self.ui.journal_view.setFocus()
        self._start_idle_timer()
        self.sync_ui.attach(journal)
        # Counting 100,000 entries takes 70 ms: the workspace shows first, the count follows.
        self.runner.run(journal.count_entries, self._show_entry_count, lambda _exc: None)

    def _size_journal_columns(self) -> None:
        """Columns fit their header and first rows; a long list of topics is elided rather than
        pushing the note and the follow-up off the screen."""
        view = self.ui.journal_view
        for column in YIELDING_COLUMNS:
            view.setColumnHidden(column, False)
        view.resizeColumnsToContents()
        view.setColumnWidth(TOPICS_COLUMN, min(view.columnWidth(TOPICS_COLUMN), MAX_TOPICS_WIDTH))
        self._column_widths = [view.columnWidth(c) for c in range(self.model.columnCount())]
        self._fit_journal_columns()

    def _fit_journal_columns(self) -> None:
        """When the table is too narrow for every column (an entry form open beside it takes two
        fifths of the window, or a small screen), the topics narrow first, down to about one topic
        (they are elided anyway), then the follow-up and the mediator column give way, so the note
        stays readable instead of the table scrolling sideways. All come back when there is room;
        a topics width the user dragged is kept while nothing needs narrowing."""
        widths = self._column_widths
        if not widths:
            return
        view = self.ui.journal_view
        room = view.viewport().width()
        needed = NOTE_MIN_WIDTH + sum(w for c, w in enumerate(widths) if c != NOTE_COLUMN)
        natural = widths[TOPICS_COLUMN]
        topics = max(min(natural, MIN_TOPICS_WIDTH), natural - max(0, needed - room))
        needed -= natural - topics
        if topics < natural or self._topics_narrowed:
            view.setColumnWidth(TOPICS_COLUMN, topics)
            self._topics_narrowed = topics < natural
        for column in YIELDING_COLUMNS:
            give_way = needed > room
            if view.isColumnHidden(column) != give_way:
                view.setColumnHidden(column, give_way)
            if give_way:
                needed -= widths[column]

    def _show_entry_count(self, count: int) -> None:
        # A filter applied while this count ran has put its own "found" count in the status bar.
        if self.journal is None or not self.model.filter.is_empty():
            return
        self.ui.statusbar.showMessage(ngettext("{count} entry in the journal.", "{count} entries in the journal.",
                                               count).format(count=count), 5000)

    def _start_idle_timer(self) -> None:
        minutes = int(self.settings.value("idle_minutes", DEFAULT_IDLE_MINUTES))
        self.idle_timer.setInterval(max(1, minutes) * 60_000)
        self.idle_timer.start()

    def _fill_filters(self) -> None:
        ui, catalogs = self.ui, self.journal.catalogs
        fill_combo(ui.type_filter, [(None, _("All types"))] + [(t, _(label)) for t, label in ENTRY_TYPE_LABELS.items()],
                   combo_code(ui.type_filter))
        places = [(None, _("All districts and schools"))]
        for kind, catalog in (("district", "districts"), ("school", "schools")):
            # Retired places too (marked): their old entries must stay findable.
            places += [(f"{kind}:{v.code}", v.display() if v.active else _("{label} (retired)").format(label=v.display()))
                       for v in catalogs.values(catalog, include_retired=True)]
        fill_combo(ui.place_filter, places, combo_code(ui.place_filter))
        clients = [(None, _("All clients"))] + [(c.id, c.code) for c in self.journal.list_clients()]
        chosen = combo_code(ui.client_filter)
        if chosen and chosen not in {cid for cid, _code in clients}:  # beyond the listed 500: keep it
            client = self.journal.get_client(chosen)
            if client is not None:
                clients.append((client.id, client.code))
        fill_combo(ui.client_filter, clients, chosen)
        for edit in (ui.date_from, ui.date_to):
            edit.setMinimumDate(QDate(2000, 1, 1))
            if not edit.property("touched"):  # blank on the first fill; later keep the date the user chose
                edit.blockSignals(True)
                edit.setDate(edit.minimumDate())
                edit.blockSignals(False)
                edit.setProperty("touched", True)

    def current_filter(self) -> JournalFilter:
        ui = self.ui
        place = combo_code(ui.place_filter) or ""
        types = (combo_code(ui.type_filter),) if combo_code(ui.type_filter) else ()

        def date_of(edit):
            if edit.date() == edit.minimumDate():
                return None
            d = edit.date()
            return dt.date(d.year(), d.month(), d.day())

        return JournalFilter(
            types=types,
            date_from=date_of(ui.date_from),
            date_to=date_of(ui.date_to),
            district=place.split(":", 1)[1] if place.startswith("district:") else None,
            school=place.split(":", 1)[1] if place.startswith("school:") else None,
            client_id=combo_code(ui.client_filter),
            text=ui.search.text(),
        )

    def apply_filter(self) -> None:
        if self.journal is None:
            return
        self.model.set_filter(self.current_filter())
        count = self.journal.count_entries(self.model.filter)
        flt = self.model.filter
        if flt.date_from and flt.date_to and flt.date_from > flt.date_to:
            self.ui.statusbar.showMessage(_("No entry can match: the From date is after the To date."), 8000)
            return
        self.ui.statusbar.showMessage(
            ngettext("{count} entry found.", "{count} entries found.", count).format(count=count), 4000)

    def clear_filters(self) -> None:
        ui = self.ui
        for widget in (ui.type_filter, ui.place_filter, ui.client_filter, ui.date_from, ui.date_to, ui.search):
            widget.blockSignals(True)
        ui.type_filter.setCurrentIndex(0)
        ui.place_filter.setCurrentIndex(0)
        ui.client_filter.setCurrentIndex(0)
        ui.date_from.setDate(ui.date_from.minimumDate())
        ui.date_to.setDate(ui.date_to.minimumDate())
        ui.search.clear()
        for widget in (ui.type_filter, ui.place_filter, ui.client_filter, ui.date_from, ui.date_to, ui.search):
            widget.blockSignals(False)
        self.apply_filter()

    def focus_search(self) -> None:
        self.ui.tabs.setCurrentIndex(0)
        self.ui.search.setFocus()
        self.ui.search.selectAll()

    def _tab_changed(self, index: int) -> None:
        if self.journal is None:
            return
        if index == 1:
            self.refresh_clients()
        elif index == 2:
            self.refresh_follow_ups()

    # -- entries ----------------------------------------------------------------------------

    def _show_form(self, entry_type: str) -> EntryForm:
        form = self.forms[entry_type]
        self.ui.forms.setCurrentWidget(form)
        self.ui.form_panel.show()
        self.current_form = form
        self._form_say(None)
        return form

    def _update_form_title(self) -> None:
        form = self.current_form
        if form is None:
            return
        editing = bool(form.entry.id)
        title = form.title()
        self.ui.form_title.setText(_("Edit: {type}").format(type=title) if editing else _("New: {type}").format(type=title))

    def new_entry(self, entry_type: str) -> None:
        if self.journal is None:
            return
        self.save_draft()
        form = self._show_form(entry_type)
        draft = self.journal.load_draft(self._draft_key_for(entry_type, None))
        if draft:
            self._load_draft(form, draft)
            # Perhaps typed days ago: its start is that day's, not now.
            self._form_say(lambda: _("Your unsaved entry was restored. Check its date and time, or discard it."))
        else:
            form.load(self.journal.new_entry(entry_type))
        self._update_form_title()
        focus_in_view(form.ui.start)

    def open_entry(self, entry_id: str | None) -> None:
        if self.journal is None or not entry_id:
            return
        entry = self.journal.get_entry(entry_id)
        if entry is None:
            return
        self.save_draft()
        form = self._show_form(entry.type)
        draft = self.journal.load_draft(self._draft_key_for(entry.type, entry.id))
        if draft:
            self._load_draft(form, draft)
            self._form_say(lambda: _("Your unsaved changes were restored."))
        else:
            form.load(entry)
        self._update_form_title()
        focus_in_view(form.ui.start)

    def _draft_key_for(self, entry_type: str, entry_id: str | None) -> str:
        return f"edit:{entry_id}" if entry_id else f"new:{entry_type}"

    def save_draft(self) -> None:
        """Keep what is typed in the open form, encrypted in the store."""
        self.draft_timer.stop()
        form = self.current_form
        if form is None or self.journal is None or not self.ui.form_panel.isVisible() or not form.dirty:
            return  # an untouched form (blank, saved, or already restored from its draft) needs no draft
        if self.drop_erased_form():  # erased meanwhile by another program (erase-client): not written back
            return
        entry = form.read()
        record = entry_to_record(entry, self.journal.client_codes())
        if "clients" in record and hasattr(form.ui, "clients"):
            record["clients"] = [c.strip() for c in form.ui.clients.text().split(",") if c.strip()]
            record["clients"] += [c for c in form.hidden_client_ids if c in entry.client_ids]
        key = self._draft_key_for(entry.type, entry.id)
        try:
            self.journal.save_draft(key, {"record": record})
            self._kept_draft = key
            self._unwritten_draft = None
        except OSError as exc:  # a full disk: the form keeps the text; say so where the user looks
            # (or another program holds the journal: a lock now keeps the draft until the unlock,
            # with the codes it names that are in the register, to notice an erasure meanwhile)
            registered = [c for c in record.get("clients") or [] if isinstance(c, str) and
                          self.journal.client_by_code(c) is not None]
            self._unwritten_draft = (key, {"record": record}, registered)
            self._form_say(lambda exc=exc: (  # bound: the except clause unbinds exc
                _("Could not keep a draft ({reason}). What you typed is still here; free some disk space.")
                .format(reason=exc.strerror or type(exc).__name__)))

    def _load_draft(self, form: EntryForm, draft: dict) -> None:
        record = dict(draft["record"])
        for meta in ("created_at", "updated_at", "author", "device_id", "duration_minutes"):
            record.pop(meta, None)
        codes = record.pop("clients", []) or []
        try:
            entry, _codes = record_to_entry(record)
        except ValueError:
            form.load(self.journal.new_entry(form.entry_type))
            return
        stored = self.journal.get_entry(entry.id) if entry.id else None
        if stored is not None:
            entry.meta = stored.meta
        entry.client_ids = []
        form.load(entry)
        if hasattr(form.ui, "clients"):
            form.ui.clients.setText(", ".join(c for c in codes if not is_client_ref(c)))
            form.hidden_client_ids = [c for c in codes if is_client_ref(c)]  # not shared here: kept, not shown
            form._say_hidden_clients()

    def save_entry(self) -> None:
        form = self.current_form
        if form is None or self.journal is None or not self.ui.form_panel.isVisible():
            return
        from app.services.journal import RecordErased

        if self.drop_erased_form():  # before offering to add its client codes to the register again
            return
        if not self._add_typed_clients(form):
            return
        entry = form.read()
        try:
            saved = self.journal.save_entry(entry)
        except RecordErased:
            self.drop_erased_form()
            return
        except ValidationError as exc:
            form.show_problems(exc.problems)
            self._form_say(lambda: _("Not saved yet: please check the marked fields."))
            return
        except OSError as exc:
            if exc.errno == errno.EBUSY:  # store.engine.StoreBusy: another program held the journal too long
                self._form_say(lambda: _("Not saved: the journal is busy in another program. What you typed is "
                                         "kept; save again in a moment."))
                return
            self._form_say(lambda exc=exc: (  # bound: the except clause unbinds exc
                _("Could not save ({reason}). What you typed is kept; free some disk space and save again.")
                .format(reason=exc.strerror or type(exc).__name__)))
            return
        self._discard_draft(self._draft_key_for(entry.type, entry.id or None))
        self._discard_draft(self._draft_key_for(entry.type, saved.id))
        self.model.reload()
        self._select(saved.id)
        self.refresh_follow_ups()
        when = format_time(saved.start)
        self.ui.statusbar.showMessage(_("Saved: {type}, {time}.").format(type=form.title(), time=when), 6000)
        form.load(self.journal.new_entry(form.entry_type))  # ready for the next one
        self._form_say(None)
        self._update_form_title()
        focus_in_view(form.ui.start)

    def _add_typed_clients(self, form: EntryForm) -> bool:
        """A client code typed that is not in the register (one from an old spreadsheet, say):
        offer to add it, instead of a dead end. False when the entry must not be saved yet."""
        unknown = form.unknown_client_codes()
        if not unknown:
            return True
        from app.domain.entries import Client
        from app.domain.records import CLIENT_CODE_PATTERN, code_typo
        from app.domain.validation import Problem

        codes = ", ".join(unknown)
        if any(not CLIENT_CODE_PATTERN.match(code) for code in unknown):
            return True  # validation names what is wrong with the code
        typos = [typo for typo in map(code_typo, unknown) if typo]
        if typos:  # not a new person: a second code would split their entries between two
            form.show_problems([Problem("clients", typos[0])])
            self._form_say(lambda: _("Not saved yet: please check the marked fields."))
            return False
        if not confirm(self, _("Add to the client register?"), ngettext(
                "The client code {codes} is not in the client register. Add it as a new client and save the entry?",
                "The client codes {codes} are not in the client register. Add them as new clients and save the entry?",
                len(unknown)).format(codes=codes)):
            form.show_problems([Problem("clients", _("Not in the client register: {codes}. Correct the code, or "
                                                     "save again and add it.").format(codes=codes))])
            self._form_say(lambda: _("Not saved yet: please check the marked fields."))
            return False
        try:
            for code in unknown:
                self.journal.save_client(Client(code=code))
        except ValidationError as exc:
            form.show_problems([Problem("clients", exc.problems[0].message)])
            return False
        self.refresh_clients()
        return True

    def _form_say(self, text: Callable[[], str] | None) -> None:
        """The line under the entry form; kept as a function, so a language switch says it again
        in the new language instead of wiping it."""
        self._form_text = text
        self.ui.form_message.setText(text() if text is not None else "")

    def discard_form(self) -> None:
        """Throw away what is typed in the open form, and its draft: a new entry starts afresh,
        an entry being edited shows what is saved. Asked first; the draft is the only copy."""
        form = self.current_form
        if form is None or self.journal is None or not self.ui.form_panel.isVisible():
            return
        self.draft_timer.stop()
        entry_id = form.entry.id or None
        key = self._draft_key_for(form.entry_type, entry_id)
        if (form.dirty or self.journal.load_draft(key)) and not confirm(
                self, _("Discard what you typed?"),
                _("What you typed in this form and did not save is thrown away. This cannot be undone.")):
            return
        self._discard_draft(key)
        stored = self.journal.get_entry(entry_id) if entry_id else None
        form.load(stored if stored is not None else self.journal.new_entry(form.entry_type))
        self._form_say(lambda: _("What you typed was discarded."))
        self._update_form_title()
        focus_in_view(form.ui.start)

    def _discard_draft(self, key: str) -> None:
        if self._unwritten_draft is not None and self._unwritten_draft[0] == key:
            self._unwritten_draft = None  # saved or thrown away: not to come back
        self.journal.discard_draft(key)
        if self._kept_draft == key:  # gone by our own hand, not by an erasure (see drop_erased_form)
            self._kept_draft = ""

    def drop_erased_form(self, erased_code: str = "") -> bool:
        """Close the open form if it holds a person erased on a data-protection request meanwhile
        (by a sync, on the command line, or here with `erased_code`), throwing away what was typed
        into it: an entry that was erased, or a new entry that names the person's code. True if
        it did. (Kept open, a new entry offered to add the erased code to the register again.)"""
        form = self.current_form
        if form is None or self.journal is None:
            return False
        entry_id = form.entry.id
        key = self._draft_key_for(form.entry_type, entry_id or None)
        if entry_id:
            erased = self.journal.is_erased("entries", entry_id)
        else:
            unknown = form.unknown_client_codes()
            # An erasure deletes the drafts of new entries that name the person's code; a draft this
            # window kept that is gone, with a code typed that is no longer in the register, is one.
            erased = bool(erased_code and erased_code.upper() in unknown) or bool(
                unknown and self._kept_draft == key and self.journal.load_draft(key) is None)
        if not erased:
            return False
        self.draft_timer.stop()
        self._discard_draft(key)
        form.load(self.journal.new_entry(form.entry_type))  # nothing of the person stays in the widgets
        self.ui.form_panel.hide()
        self.current_form = None
        self.ui.statusbar.showMessage(_("The entry you had open was erased on a data-protection request. It was "
                                        "closed, and what was typed into it is not kept.") if entry_id else
                                      _("The entry you were writing names a person erased on a data-protection "
                                        "request. It was closed, and what was typed into it is not kept."), 30000)
        return True

    def close_form(self) -> None:
        if self.current_form is None:
            return
        self.save_draft()
        self.ui.form_panel.hide()
        self.current_form = None
        self.ui.journal_view.setFocus()

    def _select(self, entry_id: str) -> None:
        row = self.model.row_of(entry_id)
        if row >= 0:
            self.ui.journal_view.selectRow(row)
            self.ui.journal_view.scrollTo(self.model.index(row, 0))

    def selected_entry_id(self) -> str | None:
        indexes = self.ui.journal_view.selectionModel().selectedRows() if self.ui.journal_view.selectionModel() else []
        return self.model.data(indexes[0], Qt.ItemDataRole.UserRole) if indexes else None

    def delete_selected(self) -> None:
        entry_id = self.selected_entry_id()
        if self.journal is None or not entry_id:
            return
        if self.current_form is not None and self.current_form.entry.id == entry_id:
            self.save_draft()  # what was typed into it comes back with Undo
        from app.store.engine import StoreBusy

        try:
            deleted = self.journal.delete_entry(entry_id)
        except StoreBusy:
            self.ui.statusbar.showMessage(_("Not deleted: the journal is busy in another program (an import or "
                                            "a command). Try again in a moment."), 10000)
            return
        if deleted is None:
            return
        self.deleted.append(deleted)
        if self.current_form is not None and self.current_form.entry.id == entry_id:
            self.ui.form_panel.hide()
            self.current_form = None
        self.model.reload()
        self.refresh_follow_ups()
        self.undo_button.show()
        self.ui.statusbar.showMessage(_("Entry deleted."), 10000)
        self.undo_timer.start()  # from the newest deletion: an earlier one's timer no longer hides Undo

    def undo_delete(self) -> None:
        if self.journal is None or not self.deleted:
            return
        from app.services.journal import RecordErased

        try:
            restored = self.journal.restore_entry(self.deleted.pop())
        except RecordErased:
            restored = None
        if self.deleted:
            self.undo_timer.start()
        else:
            self.undo_timer.stop()
            self.undo_button.hide()
        if restored is None:
            self.ui.statusbar.showMessage(_("Not restored: the entry's client was erased on a data-protection "
                                            "request, and the entry with them."), 10000)
            return
        self.model.reload()
        self._select(restored.id)
        self.refresh_follow_ups()
        self.ui.statusbar.showMessage(_("Entry restored."), 5000)
        if self.journal.load_draft(self._draft_key_for(restored.type, restored.id)):
            self.open_entry(restored.id)  # with the changes typed before it was deleted

    def _undo_expired(self) -> None:
        """The deletions stand: their Undo is gone, and so is what was typed into them."""
        self.undo_timer.stop()
        self.undo_button.hide()
        deleted, self.deleted = self.deleted, []
        if self.journal is not None:
            for entry in deleted:
                self._discard_draft(self._draft_key_for(entry.type, entry.id))

    # -- clients ------------------------------------------------------------------------------

    def refresh_clients(self) -> None:
        if self.journal is None:
            return
        table = self.ui.clients_view
        clients = self.journal.list_clients(self.ui.client_search.text())
        catalogs = self.journal.catalogs
        kinds = {"person": _("Person"), "household": _("Household")}
        rows = [
            (client.id, [client.code, kinds.get(client.kind, client.kind), client.name,
                         ", ".join(catalogs.label("languages", c) for c in client.languages),
                         short_date(client.consent_date) if client.consent_date else _("none")])
            for client in clients
        ]
        fill_table(table, [_("Code"), _("Person or household"), _("Name"), _("Languages"), _("Consent")], rows)

    def _selected_client_id(self) -> str | None:
        return _row_id(self.ui.clients_view)

    def new_client(self) -> None:
        if self.journal is None:
            return
        dialog = ClientDialog(self.journal, parent=self)
        if dialog.exec() and dialog.saved:
            self.refresh_clients()
            self._fill_filters()
            if self.current_form is not None and hasattr(self.current_form.ui, "clients"):
                field = self.current_form.ui.clients
                field.setText(", ".join(filter(None, [field.text().strip(", "), dialog.saved.code])))
                self.current_form.dirty = True
                self.draft_timer.start()
            self.ui.statusbar.showMessage(_("Client {code} saved.").format(code=dialog.saved.code), 5000)

    def _reopen_client_dialog(self, which: str) -> None:
        if self.journal is None:
            return
        self.ui.tabs.setCurrentIndex(self.ui.tabs.indexOf(self.ui.clients_tab))
        if which == "new":
            self.new_client()
        else:
            self.edit_client(which)

    def edit_client(self, client_id: str | None = None) -> None:
        client_id = client_id or self._selected_client_id()
        client = self.journal.get_client(client_id) if (self.journal and client_id) else None
        if client is None:
            return
        dialog = ClientDialog(self.journal, client, parent=self)
        if dialog.exec():
            self.refresh_clients()

    def show_client_entries(self) -> None:
        client_id = self._selected_client_id()
        if not client_id:
            return
        index = self.ui.client_filter.findData(client_id)
        client = self.journal.get_client(client_id) if (index < 0 and self.journal) else None
        if client is not None:  # the filter lists only the first 500 clients
            self.ui.client_filter.addItem(client.code, client.id)
            index = self.ui.client_filter.count() - 1
        self.ui.tabs.setCurrentIndex(0)
        self.ui.client_filter.setCurrentIndex(max(index, 0))

    def _client_to_act_on(self) -> str | None:
        """The client selected in the register, or None after saying that one must be selected."""
        client_id = self._selected_client_id()
        if not client_id:
            self.ui.statusbar.showMessage(_("Select a client first."), 5000)
        return client_id

    def share_client(self) -> None:
        """Team lead: share the selected client (and the entries linking to it) with an enrolled
        workstation, chosen from a list; the service runs on the worker thread."""
        if self.journal is None or self.journal.role != "lead":
            return
        client_id = self._client_to_act_on()
        if not client_id:
            return
        from app.services.sync import SyncService

        sync = SyncService(self.journal)
        names = [d.name for d in sync.devices() if d.state == "enrolled"]
        if not names:
            QMessageBox.information(self, _("Share with workstation"), _(
                "No workstation has enrolled yet. Provision one in the sync view and import its first bundle, "
                "then share."))
            return
        dialog = self._question("share_client_dialog", _("Share with workstation"), _(
            "The client and their entries, now and later, also go to this workstation with the next sync:"),
            _("Share"), lambda name: self._share_client_with(sync, client_id, name))
        dialog.setComboBoxItems(names)
        dialog.setComboBoxEditable(False)
        dialog.open()  # window-modal; a lock rejects it like every other dialog

    def _question(self, name: str, title: str, text: str, ok: str, answered: Callable[[str], None]) -> QInputDialog:
        """A window-modal question about the selected client, deleted when closed; `answered` gets
        the text or choice when OK is pressed. The caller adds what is particular and opens it."""
        dialog = QInputDialog(self)
        dialog.setObjectName(name)
        dialog.setWindowTitle(title)
        dialog.setLabelText(text)
        dialog.setOkButtonText(ok)
        dialog.setCancelButtonText(_("Cancel"))
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.textValueSelected.connect(answered)
        return dialog

    def erase_client(self) -> None:
        """Data-protection erasure of the selected person: says first what goes (their entries, also
        those naming others) and what stays (mentions in other notes, bundles, backups), then asks
        for the code to be typed, since it cannot be undone."""
        if self.journal is None:
            return
        client_id = self._client_to_act_on()
        if not client_id:
            return
        from app.services.sync import SyncService, erasure_notes

        sync = SyncService(self.journal)
        preview = sync.erasure_preview(client_id)
        text = "\n\n".join([*erasure_notes(preview), _("To erase, type the client code {code}:").format(
            code=preview.code)])
        dialog = self._question("erase_client_dialog", _("Erase on a data-protection request"), text, _("Erase"),
                                lambda typed: self._erase_client_confirmed(sync, client_id, preview, typed))
        for label in dialog.findChildren(QLabel):  # several sentences: wrapped, not one screen-wide line
            label.setWordWrap(True)
        dialog.setMinimumWidth(min(560, self.width()))
        dialog.open()  # window-modal; a lock rejects it like every other dialog

    def _erase_client_confirmed(self, sync, client_id: str, preview, typed: str) -> None:
        journal = self.journal
        if journal is None or sync.journal is not journal:
            return
        if typed.strip().upper() != preview.code.upper():
            self.ui.statusbar.showMessage(_("The code did not match; nothing was erased."), 10000)
            return
        from app.services.sync import erasure_done, erasure_notes

        entries = sync.erase_client(client_id)
        self.drop_erased_form(preview.code)
        self.refresh_clients()
        self.model.reload()
        self.refresh_follow_ups()
        if preview.backups and self._ask_delete_backups(preview.backups):
            from app.services.stores import delete_migration_backups

            _removed, busy = delete_migration_backups(journal.path)
            preview.backups = len(busy)  # another program holds them open: the notes say they remain
        notes = erasure_notes(preview, done=True)
        if preview.mentions:
            notes.insert(1, _("Search the journal for the code or the name to find them."))
        text = " ".join([erasure_done(preview, entries), *notes])
        QMessageBox.information(self, _("Erase on a data-protection request"), text)

    def _ask_delete_backups(self, count: int) -> bool:
        box = QMessageBox(QMessageBox.Icon.Question, _("Erase on a data-protection request"), ngettext(
            "The person's data is also in {count} backup from an earlier upgrade of this journal. Delete it too? "
            "It is only needed to go back to an older version of Mediator Log.",
            "The person's data is also in {count} backups from earlier upgrades of this journal. Delete them too? "
            "They are only needed to go back to an older version of Mediator Log.", count).format(count=count),
            parent=self)
        box.setObjectName("erase_backups_question")
        delete = box.addButton(_("Delete backups"), QMessageBox.ButtonRole.DestructiveRole)
        box.addButton(_("Keep backups"), QMessageBox.ButtonRole.RejectRole)
        box.setDefaultButton(delete)
        box.exec()
        return box.clickedButton() is delete

    def _share_client_with(self, sync, client_id: str, workstation: str) -> None:
        journal = self.journal
        if journal is None or sync.journal is not journal:
            return

        def done(result) -> None:
            if self.journal is not journal:
                return  # locked meanwhile
            self.ui.statusbar.showMessage(ngettext(
                "Shared the client {code} and {count} entry with {name}; it gets them with the next sync.",
                "Shared the client {code} and {count} entries with {name}; it gets them with the next sync.",
                result.entries).format(code=result.client_code, count=result.entries, name=result.workstation),
                10000)

        def failed(exc: BaseException) -> None:
            from app.services.sync import SyncError

            if not isinstance(exc, SyncError):
                raise exc
            if self.journal is journal:
                QMessageBox.warning(self, _("Share with workstation"), str(exc))

        self.runner.run(lambda: sync.share_client(client_id, workstation), done, failed)

    # -- follow-ups -------------------------------------------------------------------------

    def refresh_follow_ups(self) -> None:
        if self.journal is None:
            return
        today = self.today()
        due = self.journal.follow_ups(today)
        overdue = sum(1 for e in due if e.follow_up_due < today)
        table = self.ui.follow_ups_view
        codes = self.journal.client_codes() if due else {}
        rows = []
        for entry in due:
            d = entry.follow_up_due
            due_text = _("today") if d == today else _("{date} (overdue)").format(date=short_date(d))
            clients = ", ".join(codes[c] for c in entry.client_ids if c in codes)  # whom to call back
            rows.append((entry.id, [due_text, entry.follow_up or _("(no text)"), clients,
                                    f"{_(ENTRY_TYPE_LABELS[entry.type])}, {short_date(entry.start)}", entry.mediator]))
        fill_table(table, [_("Due"), _("Follow-up"), _("Clients"), _("Entry"), _("Mediator")], rows)
        self._follow_ups_day = today
        self.ui.follow_ups_summary.setText(
            ngettext("{count} follow-up due today or overdue", "{count} follow-ups due today or overdue", len(due))
            .format(count=len(due))
            + " · " + ngettext("{count} overdue", "{count} overdue", overdue).format(count=overdue))
        self.ui.tabs.setTabText(2, _("&Follow-ups ({count})").format(count=len(due)))

    @staticmethod
    def today() -> dt.date:
        return dt.date.today()

    def _day_changed(self) -> None:
        if self.journal is not None and self._follow_ups_day not in (None, self.today()):
            self.refresh_follow_ups()

    def _selected_follow_up(self) -> str | None:
        return _row_id(self.ui.follow_ups_view)

    def mark_follow_up_done(self) -> None:
        entry_id = self._selected_follow_up()
        if self.journal is None or not entry_id:
            return
        try:
            self.journal.set_follow_up_done(entry_id)
        except ValidationError as exc:  # e.g. a list value retired since: the entry must be corrected first
            self.ui.statusbar.showMessage(_("Not marked as done: {problem} Open the entry to correct it.").format(
                problem=exc.problems[0].message), 15000)
            return
        form = self.current_form
        if form is not None and form.entry.id == entry_id and self.ui.form_panel.isVisible():
            # The same entry is open: its box shows done too, or saving the form undid the mark.
            form.entry.follow_up_done = True
            form.ui.follow_up_done.setChecked(True)
        self.ui.statusbar.showMessage(_("Follow-up marked as done."), 5000)
        self.refresh_follow_ups()
        self.model.reload()

    def open_follow_up(self) -> None:
        self.open_entry(self._selected_follow_up())

    # -- dialogs ------------------------------------------------------------------------------

    def edit_catalogs(self) -> None:
        if self.journal is None or self.journal.role != "lead":
            return
        CatalogEditor(self.journal, self).exec()
        if self.journal is None:  # locked while the editor was open
            return
        self._fill_filters()
        if self.current_form is not None:
            self.current_form.reload()
        self.model.retranslate()

    def open_dashboard(self) -> None:
        """The team lead's dashboard (a window of its own; closed by the lock like any dialog)."""
        if self.journal is None or self.journal.role != "lead":
            return
        if self.dashboard is None:
            from app.ui.dashboard import Dashboard  # QtCharts loads only when a lead opens it

            self.dashboard = Dashboard(self.journal, self.runner, self)
            self.dashboard.finished.connect(self._dashboard_closed)
        self.dashboard.show()
        self.dashboard.raise_()
        self.dashboard.activateWindow()

    def _dashboard_closed(self, _result: int = 0) -> None:
        dashboard, self.dashboard = self.dashboard, None
        if dashboard is not None:
            dashboard.deleteLater()  # its figures do not stay in memory behind the lock

    def edit_preferences(self) -> None:
        dialog = PreferencesDialog(int(self.settings.value("idle_minutes", DEFAULT_IDLE_MINUTES)), self)
        if dialog.exec():
            self.settings.setValue("idle_minutes", dialog.idle_minutes())
            if self.journal is not None:
                self._start_idle_timer()
                self.journal.set_setting("region", dialog.region())  # kept encrypted, not in Qt settings
                apply_region(dialog.region())
                self.retranslate()  # dates in the lists follow the region

    # -- lock -----------------------------------------------------------------------------------

    def lock(self) -> None:
        """Save the draft, forget the key and every shown value, and ask for the passphrase."""
        if self.journal is None:
            return
        client_dialog = None
        for dialog in self.findChildren(QDialog):  # an open client or list editor must not stay on screen
            if isinstance(dialog, ClientDialog) and dialog.isVisible():
                dialog.keep_draft()  # a half-typed client comes back after unlocking
                client_dialog = dialog.client.id or "new"
            dialog.reject()
            dialog.deleteLater()  # nor keep what it showed in hidden widgets
        self.save_draft()
        self._undo_expired()  # no Undo across a lock: the deletions stand
        form = self.current_form
        self.saved_view = {
            "client_dialog": client_dialog,
            "tab": self.ui.tabs.currentIndex(),
            "form": (form.entry_type, form.entry.id or None) if form is not None else None,
            "selected": self.selected_entry_id(),
            "search": self.ui.search.text(),
        }
        self.idle_timer.stop()
        for f in self.forms.values():
            f.load(f.entry.__class__())  # no typed text stays in widgets while locked
        self.model.beginResetModel()
        self.model.rows = []
        self.model.endResetModel()
        self.ui.clients_view.setRowCount(0)
        self.ui.follow_ups_view.setRowCount(0)
        self.ui.search.blockSignals(True)
        self.ui.search.clear()
        self.ui.search.blockSignals(False)
        self.ui.form_panel.hide()
        self.current_form = None
        self.sync_ui.detach()  # a running import is cancelled; conflict values leave the screen
        journal, self.journal = self.journal, None
        journal.close()
        self.show_unlock()

    def _write_held_draft(self) -> None:
        """A draft the lock could not write (another program held the journal, a nightly import
        say) was kept in memory over the lock, not lost: written now, so the view brings it back."""
        held, self._unwritten_draft = self._unwritten_draft, None
        if held is None or self.journal is None:
            return
        key, fields, registered = held
        kind, _sep, entry_id = key.partition(":")
        if (kind == "edit" and self.journal.is_erased("entries", entry_id)) or any(
                self.journal.client_by_code(code) is None for code in registered):
            # Someone it names was erased meanwhile (erase-client, a sync): not written back.
            self.ui.statusbar.showMessage(_("The entry you had open was erased on a data-protection request. It was "
                                            "closed, and what was typed into it is not kept.") if kind == "edit" else
                                          _("The entry you were writing names a person erased on a data-protection "
                                            "request. It was closed, and what was typed into it is not kept."), 30000)
            return
        try:
            self.journal.save_draft(key, fields)
        except OSError:
            self._unwritten_draft = held  # still busy: kept for the next try (the next lock or save)
            self.ui.statusbar.showMessage(_("The journal is busy in another program: the entry you were "
                                            "typing is kept and comes back when it is free."), 10_000)

    def _restore_view(self) -> None:
        view, self.saved_view = self.saved_view, None
        if view is None:
            for key in self.journal.draft_keys():  # a crash left a draft: bring it back
                kind, _sep, rest = key.partition(":")
                if kind == "new" and rest in FORM_CLASSES:
                    self.new_entry(rest)
                    return
                if kind == "edit":
                    if self.journal.get_entry(rest) is None:  # deleted since: its draft is of no use
                        self._discard_draft(key)
                        continue
                    self.open_entry(rest)
                    return
                if kind == "client":
                    QTimer.singleShot(0, lambda which=rest: self._reopen_client_dialog(which))
                    return
            return
        if view.get("client_dialog"):
            QTimer.singleShot(0, lambda which=view["client_dialog"]: self._reopen_client_dialog(which))
        if view["search"]:
            self.ui.search.setText(view["search"])
            self.apply_filter()
        self.ui.tabs.setCurrentIndex(view["tab"])
        if view["selected"]:
            self._select(view["selected"])
        if view["form"] is not None:
            entry_type, entry_id = view["form"]
            if entry_id:
                self.open_entry(entry_id)
            else:
                self.new_entry(entry_type)

    def _arrange_form(self) -> None:
        """The open form beside the journal where the screen is wide enough for both, in the
        journal's place where it is not: a 1366 x 768 laptop at 150 % is 911 pixels wide, and the
        window grew past the screen's edge, with the form's fields and buttons beyond it."""
        ui = self.ui
        if ui.form_panel.isHidden():
            ui.tabs.show()
            return
        screen = self.screen() or QGuiApplication.primaryScreen()
        if screen is None:
            return
        frame = max(0, self.width() - ui.splitter.width())  # the window's margins around the splitter
        needed = (ui.tabs.minimumSizeHint().width() + max(ui.form_panel.minimumWidth(),
                  ui.form_panel.minimumSizeHint().width()) + ui.splitter.handleWidth() + frame)
        ui.tabs.setVisible(needed <= screen.availableGeometry().width())

    def _place_on_screen(self) -> None:
        """Where the window was last closed, if that is still on a screen; otherwise 1280 x 800,
        or the whole screen of a smaller laptop (1280 x 720, 1366 x 768), so that the form's
        buttons and the status bar are never below the screen's edge."""
        saved = self.settings.value("geometry")
        if isinstance(saved, QByteArray) and not saved.isEmpty() and self.restoreGeometry(saved):
            return
        screen = self.screen() or QGuiApplication.primaryScreen()
        area = screen.availableGeometry() if screen is not None else None
        width, height = PREFERRED_WINDOW_SIZE
        if area is not None and (area.width() < width or area.height() < height + WINDOW_FRAME_ALLOWANCE):
            self.resize(min(width, area.width()), max(1, area.height() - WINDOW_FRAME_ALLOWANCE))
            self.setWindowState(Qt.WindowState.WindowMaximized)
        else:
            self.resize(width, height)

    def closeEvent(self, event) -> None:  # noqa: N802
        if self.journal is not None:
            self.save_draft()
            if self._unwritten_draft is not None and not confirm(
                    self, _("Quit"), _("The journal is busy in another program, so the entry you are typing could "
                                       "not be kept. Quit anyway and lose it?")):
                event.ignore()  # the user waits, and saves or quits again when the journal is free
                return
        self.sync_ui.detach()
        if self.journal is not None:
            self._undo_expired()
            self.journal.close()
            self.journal = None
        self.settings.setValue("geometry", self.saveGeometry())
        self.runner.wait(5000)
        super().closeEvent(event)


def _row_id(table) -> str | None:
    """The record id of the selected row, or of the row the keyboard is on (arrow keys move the
    current row of a table without always selecting it)."""
    items = table.selectedItems()
    item = items[0] if items else table.currentItem()
    return item.data(Qt.ItemDataRole.UserRole) if item is not None else None


__all__ = ["MainWindow", "QMessageBox"]
