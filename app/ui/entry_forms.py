"""The three entry forms. Each wraps a compiled Designer form and converts between
its widgets and a domain entry; validation problems appear next to their field."""

from __future__ import annotations

from typing import TYPE_CHECKING

import datetime as dt

from PySide6.QtCore import QDate, QDateTime, QEvent, Qt, QTime, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDateTimeEdit,
    QLabel,
    QLineEdit,
    QListWidget,
    QPlainTextEdit,
    QSpinBox,
    QWidget,
)

from app.domain.entries import (
    CONSULTATION,
    FORMAT_LABELS,
    OUTREACH_VISIT,
    TANDEM_SESSION,
    TRIDEM,
    Consultation,
    Entry,
    OutreachVisit,
    TandemSession,
)
from app.domain.validation import Problem
from app.i18n import _, ngettext
from app.ui.forms.ui_consultation_form import Ui_ConsultationForm
from app.ui.forms.ui_outreach_form import Ui_OutreachForm
from app.ui.forms.ui_tandem_form import Ui_TandemForm
from app.ui.widgets import catalog_items, checked_codes, combo_code, fill_checklist, fill_combo, focus_in_view

if TYPE_CHECKING:  # the store's modules load after the first window is up
    from app.services.journal import Journal

ERROR_STYLE = "color: #b00020;"


def to_qdatetime(value: dt.datetime) -> QDateTime:
    return QDateTime(QDate(value.year, value.month, value.day), QTime(value.hour, value.minute))


def from_qdatetime(value: QDateTime) -> dt.datetime:
    d, t = value.date(), value.time()
    return dt.datetime(d.year(), d.month(), d.day(), t.hour(), t.minute())


def to_qdate(value: dt.date) -> QDate:
    return QDate(value.year, value.month, value.day)


def from_qdate(value: QDate) -> dt.date:
    return dt.date(value.year(), value.month(), value.day())


class EntryForm(QWidget):
    """Common behaviour; subclasses name their Designer form and coded widgets."""

    changed = Signal()
    entry_type = ""
    ui_class: type = object
    # widget name -> catalog, for single-choice combos and multi-choice lists
    combos: dict[str, str] = {}
    lists: dict[str, str] = {}
    counts: tuple[str, ...] = ()

    def __init__(self, journal: Journal, parent=None):
        super().__init__(parent)
        self.journal = journal
        self.ui = self.ui_class()
        self.ui.setupUi(self)
        self.entry: Entry = journal.new_entry(self.entry_type)
        self.hidden_client_ids: list[str] = []
        self.dirty = False  # changed by the user since the last load(): only then is a draft worth keeping
        self.showing_problems = False
        self.changed.connect(self._mark_dirty)
        self._errors: dict[str, QLabel] = {}
        self._add_error_labels()
        for spin in [self.ui.duration, *(getattr(self.ui, n) for n in self.counts)]:
            spin.setMinimum(0)
        self.ui.follow_up_due.setEnabled(False)
        self.ui.has_follow_up_due.toggled.connect(self.ui.follow_up_due.setEnabled)
        # Tab reaches the due date right after the checkbox that enables it (it sits above it)
        QWidget.setTabOrder(self.ui.has_follow_up_due, self.ui.follow_up_due)
        QWidget.setTabOrder(self.ui.follow_up_due, self.ui.follow_up_done)
        self._connect_changes()

    # -- building ---------------------------------------------------------------------

    def _add_error_labels(self) -> None:
        form = self.ui.form
        for row in reversed(range(form.rowCount())):
            item = form.itemAt(row, form.ItemRole.FieldRole)
            if item is None or item.widget() is None:
                continue
            name = item.widget().objectName()
            label = QLabel(self)
            label.setObjectName(f"{name}_error")
            label.setStyleSheet(ERROR_STYLE)
            label.setWordWrap(True)
            label.hide()
            form.insertRow(row + 1, "", label)
            self._errors[name] = label
        self._errors["end"] = self._errors["duration"]
        self._errors["clients"] = self._errors.get("clients", self._errors["notes"])

    def _connect_changes(self) -> None:
        for child in self.findChildren(QWidget):
            if isinstance(child, (QLineEdit,)):
                child.textEdited.connect(self.changed)
            elif isinstance(child, QPlainTextEdit):
                child.textChanged.connect(self.changed)
            elif isinstance(child, QComboBox):
                child.currentIndexChanged.connect(self.changed)
            elif isinstance(child, QSpinBox):
                child.valueChanged.connect(self.changed)
            elif isinstance(child, QListWidget):
                child.itemChanged.connect(self.changed)
        for edit in self.findChildren(QDateTimeEdit):  # QDateEdit too
            edit.installEventFilter(self)
        self.ui.start.dateTimeChanged.connect(self.changed)
        self.ui.follow_up_due.dateChanged.connect(self.changed)
        self.ui.has_follow_up_due.toggled.connect(self.changed)
        self.ui.follow_up_done.toggled.connect(self.changed)

    def eventFilter(self, obj, event) -> bool:  # noqa: N802 (Qt API)
        # Tab in a date field walked its day, month, year, hour and minute (five presses to leave
        # the start); digits move on by themselves and arrows move between them, so Tab leaves.
        if event.type() == QEvent.Type.KeyPress and isinstance(obj, QDateTimeEdit) \
                and event.key() in (Qt.Key.Key_Tab, Qt.Key.Key_Backtab):
            backwards = event.key() == Qt.Key.Key_Backtab or event.modifiers() & Qt.KeyboardModifier.ShiftModifier
            self.focusNextPrevChild(not backwards)
            return True
        return super().eventFilter(obj, event)

    def changeEvent(self, event) -> None:  # noqa: N802 (Qt API)
        if event.type() == QEvent.Type.LanguageChange:
            marked = self.showing_problems
            self.ui.retranslateUi(self)
            self.reload()  # catalog labels in the new language, nothing typed lost
            if marked:  # still not saved: the marks again, in the new language
                self.show_problems(self.journal.validate(self.read()), focus=False)
        super().changeEvent(event)

    def _mark_dirty(self) -> None:
        self.dirty = True

    def reload(self) -> None:
        """Fill the widgets again (new labels or catalog values) with what they show now."""
        dirty = self.dirty
        # The clients field as typed: a code not in the register yet (a new person, registered on
        # saving) does not survive reading it into client ids; load() took it for a link to someone
        # not shared with this computer and hid it.
        clients = self.ui.clients.text() if hasattr(self.ui, "clients") else None
        hidden = list(self.hidden_client_ids)
        self.load(self.read())
        if clients is not None:
            self.hidden_client_ids = hidden
            self.ui.clients.blockSignals(True)
            self.ui.clients.setText(clients)
            self.ui.clients.blockSignals(False)
            self._say_hidden_clients()
        self.dirty = dirty

    # -- entry <-> widgets ------------------------------------------------------------

    def title(self) -> str:
        return ""

    def load(self, entry: Entry) -> None:
        self.entry = entry
        ui, catalogs = self.ui, self.journal.catalogs
        self.blockSignals(True)
        ui.start.setDateTime(to_qdatetime(entry.start or dt.datetime.now().replace(second=0, microsecond=0)))
        ui.duration.setValue(entry.duration_minutes if entry.duration_minutes is not None else 30)
        ui.mediator.setText(entry.mediator)
        for name, catalog in self.combos.items():
            current = getattr(entry, name)
            fill_combo(getattr(ui, name), catalog_items(catalogs, catalog, current), current)
        for name, catalog in self.lists.items():
            current = getattr(entry, name)
            fill_checklist(getattr(ui, name), catalog_items(catalogs, catalog, current, empty=None), current)
        fill_combo(ui.outcome, catalog_items(catalogs, "outcomes", entry.outcome), entry.outcome)
        fill_checklist(ui.languages, catalog_items(catalogs, "languages", entry.languages, empty=None), entry.languages)
        for name in self.counts:
            value = getattr(entry, name)
            getattr(ui, name).setValue(value or 0)
        if hasattr(ui, "clients"):
            codes = self.journal.client_codes()
            ui.clients.setText(", ".join(codes[c] for c in entry.client_ids if c in codes))
            # People on an entry shared with this workstation who are not shared with it themselves:
            # not shown (this journal does not hold them), but their link is kept when saving.
            self.hidden_client_ids = [c for c in entry.client_ids if c not in codes]
            self._say_hidden_clients()
        ui.follow_up.setText(entry.follow_up)
        ui.has_follow_up_due.setChecked(entry.follow_up_due is not None)
        ui.follow_up_due.setDate(to_qdate(entry.follow_up_due or (entry.start or dt.datetime.now()).date()
                                          + (dt.timedelta(days=0) if entry.follow_up_due else dt.timedelta(days=7))))
        ui.follow_up_done.setChecked(entry.follow_up_done)
        ui.notes.setPlainText(entry.notes)
        self.load_specific(entry)
        self.blockSignals(False)
        self.dirty = False
        self.show_problems([])

    def load_specific(self, entry: Entry) -> None:
        pass

    def read(self) -> Entry:
        """The entry as the widgets show it now (not validated)."""
        ui = self.ui
        entry = self.entry.copy()
        entry.start = from_qdatetime(ui.start.dateTime())
        entry.end = entry.start + dt.timedelta(minutes=ui.duration.value())
        entry.mediator = ui.mediator.text().strip()
        for name in self.combos:
            setattr(entry, name, combo_code(getattr(ui, name)))
        for name in self.lists:
            setattr(entry, name, checked_codes(getattr(ui, name)))
        entry.outcome = combo_code(ui.outcome)
        entry.languages = checked_codes(ui.languages)
        for name in self.counts:
            setattr(entry, name, getattr(ui, name).value())
        if hasattr(ui, "clients"):
            typed = self._client_ids(ui.clients.text())
            entry.client_ids = typed + [c for c in self.hidden_client_ids if c not in typed]
        entry.follow_up = ui.follow_up.text().strip()
        entry.follow_up_due = from_qdate(ui.follow_up_due.date()) if ui.has_follow_up_due.isChecked() else None
        entry.follow_up_done = ui.follow_up_done.isChecked()
        entry.notes = ui.notes.toPlainText()
        self.read_specific(entry)
        return entry

    def read_specific(self, entry: Entry) -> None:
        pass

    def unknown_client_codes(self) -> list[str]:
        """Codes typed in the clients field that are not in the register (in capitals, once each)."""
        if not hasattr(self.ui, "clients"):
            return []
        codes = dict.fromkeys(c.strip().upper() for c in self.ui.clients.text().replace(";", ",").split(","))
        return [code for code in codes if code and self.journal.client_by_code(code) is None]

    def _say_hidden_clients(self) -> None:
        count = len(self.hidden_client_ids)
        self.ui.clients.setToolTip(ngettext(
            "This entry also names {count} person who is not shared with this computer; that link is kept.",
            "This entry also names {count} people who are not shared with this computer; their links are kept.",
            count).format(count=count) if count else "")

    def _client_ids(self, text: str) -> list[str]:
        ids = []
        for code in (c.strip().upper() for c in text.replace(";", ",").split(",")):
            if not code:
                continue
            client = self.journal.client_by_code(code)
            ids.append(client.id if client else code)  # an unknown code is reported by validation
        return ids

    def show_problems(self, problems: list[Problem], *, focus: bool = True) -> None:
        self.showing_problems = bool(problems)
        by_field: dict[str, list[str]] = {}
        for problem in problems:
            by_field.setdefault(problem.field, []).append(problem.message)
        shown = set()
        for name, label in self._errors.items():
            if id(label) in shown and name not in by_field:
                continue
            messages = by_field.get(name, [])
            label.setText(" ".join(messages))
            label.setVisible(bool(messages))
            if messages:
                shown.add(id(label))
        if problems and focus:
            first = problems[0].field
            widget = getattr(self.ui, {"end": "duration"}.get(first, first), None)
            if isinstance(widget, QWidget):
                focus_in_view(widget)


class ConsultationForm(EntryForm):
    entry_type = CONSULTATION
    ui_class = Ui_ConsultationForm
    combos = {"setting": "settings", "accompanied_to": "services", "district": "districts"}
    lists = {"topics": "topics", "referrals": "services"}

    def __init__(self, journal: Journal, parent=None):
        super().__init__(journal, parent)
        self.ui.setting.currentIndexChanged.connect(self._accompaniment_visibility)
        self._accompaniment_visibility()

    def load_specific(self, entry: Entry) -> None:
        self._accompaniment_visibility()

    def _accompaniment_visibility(self) -> None:
        accompanying = combo_code(self.ui.setting) == "accompaniment"
        self.ui.accompanied_to.setEnabled(accompanying)

    def read_specific(self, entry: Consultation) -> None:  # type: ignore[override]
        if entry.setting != "accompaniment":
            entry.accompanied_to = None

    def title(self) -> str:
        return _("Consultation")


class TandemForm(EntryForm):
    entry_type = TANDEM_SESSION
    ui_class = Ui_TandemForm
    combos = {"school": "schools"}
    lists = {"topics": "school_topics"}
    counts = ("pupils_count", "families_count")

    def __init__(self, journal: Journal, parent=None):
        super().__init__(journal, parent)
        self.ui.format.currentIndexChanged.connect(self._social_worker_visibility)

    def load_specific(self, entry: TandemSession) -> None:  # type: ignore[override]
        fill_combo(self.ui.format, [(code, _(label)) for code, label in FORMAT_LABELS.items()], entry.format)
        self.ui.teacher.setText(entry.teacher)
        self.ui.social_worker.setText(entry.social_worker)
        self._social_worker_visibility()

    def _social_worker_visibility(self) -> None:
        self.ui.social_worker.setEnabled(combo_code(self.ui.format) == TRIDEM)

    def read_specific(self, entry: TandemSession) -> None:  # type: ignore[override]
        entry.format = combo_code(self.ui.format) or "tandem"
        entry.teacher = self.ui.teacher.text().strip()
        entry.social_worker = self.ui.social_worker.text().strip() if entry.format == TRIDEM else ""

    def title(self) -> str:
        return _("Tandem session")


class OutreachForm(EntryForm):
    entry_type = OUTREACH_VISIT
    ui_class = Ui_OutreachForm
    combos = {"district": "districts", "place_type": "place_types", "purpose": "purposes"}
    lists = {"partners": "partners", "topics": "topics"}
    counts = ("adults_reached", "children_reached")

    def title(self) -> str:
        return _("Outreach visit")


FORM_CLASSES: dict[str, type[EntryForm]] = {
    CONSULTATION: ConsultationForm,
    TANDEM_SESSION: TandemForm,
    OUTREACH_VISIT: OutreachForm,
}
__all__ = ["FORM_CLASSES", "EntryForm", "ConsultationForm", "TandemForm", "OutreachForm", "OutreachVisit"]
