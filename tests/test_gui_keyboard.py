"""Desktop client: every entry type can be written with the keyboard alone.

Only key events are sent, always to the widget that has the focus, like a keyboard
would: shortcuts (Ctrl+1/2/3, Ctrl+S), Tab and Shift+Tab between fields, arrow keys in
combo boxes, Space for list items and checkboxes. A spy on the application proves that
no mouse event was delivered. A field Tab cannot reach fails the test by name.
"""

from __future__ import annotations

import datetime as dt

import pytest
from gui_fixtures import *  # noqa: F403 (fixtures and helpers)
from gui_fixtures import MouseSpy, journal_notes, make_store, type_text
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QWidget

from app.domain.entries import CONSULTATION, OUTREACH_VISIT, TANDEM_SESSION

MAX_TABS = 80


class Keyboard:
    """Keys go to whatever has the focus, like a real keyboard."""

    def __init__(self, qtbot, window):
        self.qtbot = qtbot
        self.window = window

    @property
    def focus(self) -> QWidget:
        widget = QApplication.focusWidget()
        assert widget is not None, "nothing has the keyboard focus"
        return widget

    def key(self, key, modifier=Qt.KeyboardModifier.NoModifier) -> None:
        QTest.keyClick(self.focus, key, modifier)

    def type(self, text: str) -> None:
        type_text(self.focus, text)

    def has_focus(self, target: QWidget) -> bool:
        focus = QApplication.focusWidget()
        return focus is target or (focus is not None and target.isAncestorOf(focus))

    def tab_to(self, target: QWidget, backwards: bool = False) -> None:
        """Press Tab (or Shift+Tab) until `target` has the focus; fail if it never does."""
        seen = []
        for _ in range(MAX_TABS):
            if self.has_focus(target):
                return
            seen.append(self.focus.objectName() or type(self.focus).__name__)
            if backwards:
                self.key(Qt.Key.Key_Backtab, Qt.KeyboardModifier.ShiftModifier)
            else:
                self.key(Qt.Key.Key_Tab)
        pytest.fail(f"{target.objectName()!r} cannot be reached with Tab; focus went through {seen[:40]}")

    def choose(self, combo, code) -> None:
        """Arrow keys in a focused combo box until `code` is current."""
        self.tab_to(combo)
        combo_index = combo.findData(code)
        assert combo_index >= 0, (combo.objectName(), code)
        key = Qt.Key.Key_Down if combo_index > combo.currentIndex() else Qt.Key.Key_Up
        for _ in range(combo.count()):
            if combo.currentIndex() == combo_index:
                break
            self.key(key)
        assert combo.currentData() == code

    def check(self, widget, *codes) -> None:
        """In a focused check list: arrow keys to each item, Space to check it."""
        self.tab_to(widget)
        for code in codes:
            row = next(i for i in range(widget.count()) if widget.item(i).data(Qt.ItemDataRole.UserRole) == code)
            for _ in range(widget.count()):
                if widget.currentRow() == row:
                    break
                self.key(Qt.Key.Key_Down if row > widget.currentRow() else Qt.Key.Key_Up)
            assert widget.currentRow() == row
            self.key(Qt.Key.Key_Space)
            assert widget.item(row).checkState() == Qt.CheckState.Checked, (widget.objectName(), code)

    def number(self, spin, value: int) -> None:
        self.tab_to(spin)
        self.key(Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
        self.type(str(value))
        assert spin.value() == value, spin.objectName()

    def text(self, field, text: str) -> None:
        self.tab_to(field)
        self.type(text)

    def tick(self, checkbox) -> None:
        self.tab_to(checkbox)
        self.key(Qt.Key.Key_Space)
        assert checkbox.isChecked(), checkbox.objectName()


@pytest.fixture
def keyboard_window(qtbot, open_window, data_dir):
    from app.services.stores import open_store

    store = make_store(data_dir / "journal.db")
    from gui_fixtures import GUI_PASSPHRASE

    with open_store(store, GUI_PASSPHRASE) as journal:
        client = journal.save_client(journal.new_client())
    window = open_window(store)
    spy = MouseSpy()
    QApplication.instance().installEventFilter(spy)
    yield window, Keyboard(qtbot, window), client
    QApplication.instance().removeEventFilter(spy)
    assert spy.events == [], f"mouse events were delivered: {spy.events[:10]}"


def follow_up_by_keyboard(kb: Keyboard, ui, text: str) -> None:
    kb.text(ui.follow_up, text)
    kb.tick(ui.has_follow_up_due)
    kb.tab_to(ui.follow_up_due)
    assert ui.follow_up_due.isEnabled()
    kb.key(Qt.Key.Key_Up)  # one more day on the focused section
    kb.tick(ui.follow_up_done)
    kb.key(Qt.Key.Key_Space)  # and untick it again
    assert not ui.follow_up_done.isChecked()


def save_by_keyboard(kb: Keyboard, window) -> None:
    kb.key(Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    assert window.ui.form_message.text() == "", window.ui.form_message.text()


def test_consultation_by_keyboard_only(keyboard_window):
    window, kb, client = keyboard_window
    kb.key(Qt.Key.Key_1, Qt.KeyboardModifier.ControlModifier)
    form = window.current_form
    assert form is window.forms[CONSULTATION] and kb.has_focus(form.ui.start)
    ui = form.ui
    kb.tab_to(ui.duration)
    kb.key(Qt.Key.Key_Up)  # +5 minutes
    assert ui.duration.value() == 35
    kb.tab_to(ui.mediator)
    kb.key(Qt.Key.Key_End)
    kb.type(" (Vertretung)")
    kb.text(ui.clients, client.code.lower())
    kb.choose(ui.setting, "accompaniment")
    kb.choose(ui.accompanied_to, "health_office")  # enabled by the setting, next in line
    kb.choose(ui.district, "eckesey")
    kb.check(ui.topics, "health", "documents")
    kb.check(ui.referrals, "doctor")
    kb.check(ui.languages, "bg", "de")
    kb.choose(ui.outcome, "referred")
    follow_up_by_keyboard(kb, ui, "Befund abholen")
    kb.text(ui.notes, "Begleitung zum Gesundheitsamt, Übersetzung")
    save_by_keyboard(kb, window)

    assert journal_notes(window) == ["Begleitung zum Gesundheitsamt, Übersetzung"]
    saved = window.journal.all_entries()[0]
    assert saved.mediator == "Test Mediator (Vertretung)" and saved.duration_minutes == 35
    assert saved.client_ids == [client.id]
    assert (saved.setting, saved.accompanied_to, saved.district) == ("accompaniment", "health_office", "eckesey")
    assert saved.topics == ["health", "documents"] and saved.referrals == ["doctor"]
    assert saved.languages == ["de", "bg"] and saved.outcome == "referred"
    assert saved.follow_up == "Befund abholen" and saved.follow_up_done is False
    assert saved.follow_up_due == saved.start.date() + dt.timedelta(days=8)


def test_tandem_session_by_keyboard_only(keyboard_window):
    window, kb, _client = keyboard_window
    kb.key(Qt.Key.Key_2, Qt.KeyboardModifier.ControlModifier)
    form = window.current_form
    assert form is window.forms[TANDEM_SESSION] and kb.has_focus(form.ui.start)
    ui = form.ui
    kb.choose(ui.school, "ss1")
    kb.choose(ui.format, "tridem")
    kb.text(ui.teacher, "KL 7c")
    kb.text(ui.social_worker, "SSA")  # enabled by the format, next in line
    kb.number(ui.pupils_count, 3)
    kb.number(ui.families_count, 2)
    kb.check(ui.topics, "transition")
    kb.check(ui.languages, "ro")
    kb.choose(ui.outcome, "in_progress")
    follow_up_by_keyboard(kb, ui, "Anmeldung prüfen")
    kb.text(ui.notes, "Übergang zur Gesamtschule besprochen")
    save_by_keyboard(kb, window)

    assert journal_notes(window) == ["Übergang zur Gesamtschule besprochen"]
    saved = window.journal.all_entries()[0]
    assert (saved.school, saved.format, saved.teacher, saved.social_worker) == ("ss1", "tridem", "KL 7c", "SSA")
    assert (saved.pupils_count, saved.families_count) == (3, 2)
    assert saved.topics == ["transition"] and saved.languages == ["ro"] and saved.follow_up_due is not None


def test_outreach_visit_by_keyboard_only(keyboard_window):
    window, kb, _client = keyboard_window
    kb.key(Qt.Key.Key_3, Qt.KeyboardModifier.ControlModifier)
    form = window.current_form
    assert form is window.forms[OUTREACH_VISIT] and kb.has_focus(form.ui.start)
    ui = form.ui
    kb.key(Qt.Key.Key_Down)  # one step back on the focused date section
    kb.choose(ui.district, "vorhalle")
    kb.choose(ui.place_type, "facility")
    kb.choose(ui.purpose, "conflict_mediation")
    kb.check(ui.partners, "housing_company", "asd")
    kb.number(ui.adults_reached, 14)
    kb.number(ui.children_reached, 6)
    kb.check(ui.topics, "neighbourhood")
    kb.check(ui.languages, "rom")
    kb.choose(ui.outcome, "resolved")
    follow_up_by_keyboard(kb, ui, "Hausverwaltung anrufen")
    kb.text(ui.notes, "Streit im Hof geschlichtet")
    save_by_keyboard(kb, window)

    assert journal_notes(window) == ["Streit im Hof geschlichtet"]
    saved = window.journal.all_entries()[0]
    assert (saved.district, saved.place_type, saved.purpose) == ("vorhalle", "facility", "conflict_mediation")
    assert saved.partners == ["asd", "housing_company"] and (saved.adults_reached, saved.children_reached) == (14, 6)
    assert saved.topics == ["neighbourhood"] and saved.languages == ["rom"] and saved.outcome == "resolved"


def test_filter_bar_is_traversable_with_tab_both_ways(keyboard_window):
    """Blank date filters (a QDateEdit showing its special value) used to swallow Tab."""
    window, kb, _client = keyboard_window
    ui = window.ui
    assert kb.has_focus(ui.journal_view)  # after unlocking, the journal has the focus
    kb.key(Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    assert kb.has_focus(ui.search)
    kb.tab_to(ui.date_to, backwards=True)
    kb.tab_to(ui.type_filter, backwards=True)
    kb.tab_to(ui.date_from)
    kb.tab_to(ui.place_filter)
    kb.tab_to(ui.journal_view)


def test_follow_ups_and_clients_are_left_with_tab_and_opened_with_enter(keyboard_window):
    """Tab inside these tables only walked their cells, and Enter on a row did nothing."""
    import datetime as dt

    from helpers.factories import consultation

    window, kb, client = keyboard_window
    ui = window.ui
    start = dt.datetime.now().replace(second=0, microsecond=0) - dt.timedelta(hours=1)  # at any hour of the day
    saved = window.journal.save_entry(consultation(start=start, end=start + dt.timedelta(minutes=30),
                                                   follow_up="Rückruf", follow_up_due=dt.date.today()))
    window.refresh_follow_ups()
    kb.key(Qt.Key.Key_Tab, Qt.KeyboardModifier.ControlModifier)  # Ctrl+Tab: from Journal to the next tabs
    kb.key(Qt.Key.Key_Tab, Qt.KeyboardModifier.ControlModifier)
    assert ui.tabs.currentWidget() is ui.follow_ups_tab
    kb.tab_to(ui.follow_ups_view)
    kb.key(Qt.Key.Key_Down)
    kb.key(Qt.Key.Key_Tab)
    assert not kb.has_focus(ui.follow_ups_view)  # on to the buttons below
    kb.tab_to(ui.follow_ups_view, backwards=True)
    kb.key(Qt.Key.Key_Return)
    assert window.current_form is not None and window.current_form.entry.id == saved.id

    window.close_form()
    ui.tabs.setCurrentWidget(ui.clients_tab)
    kb.tab_to(ui.clients_view)
    kb.key(Qt.Key.Key_Down)
    kb.key(Qt.Key.Key_Tab)
    assert not kb.has_focus(ui.clients_view)
    kb.tab_to(ui.clients_view, backwards=True)
    opened = []
    window.edit_client = lambda *args: opened.append(args)  # the dialog itself is tested elsewhere
    kb.key(Qt.Key.Key_Return)
    assert opened == [(client.id,)]


def test_one_tab_leaves_a_date_field(keyboard_window):
    """Tab walked the sections of the start (day, month, year, hour, minute): five presses to
    leave it in every form. Typed digits move on by themselves; Tab goes to the next field."""
    window, kb, _client = keyboard_window
    kb.key(Qt.Key.Key_2, Qt.KeyboardModifier.ControlModifier)
    ui = window.current_form.ui
    assert kb.has_focus(ui.start)
    kb.key(Qt.Key.Key_Tab)
    assert not kb.has_focus(ui.start)
    kb.key(Qt.Key.Key_Backtab, Qt.KeyboardModifier.ShiftModifier)
    assert kb.has_focus(ui.start)


def test_the_client_dialog_starts_at_the_kind_and_the_consent_date_follows_its_box(keyboard_window, qtbot):
    from app.ui.dialogs import ClientDialog

    window, kb, _client = keyboard_window
    dialog = ClientDialog(window.journal, parent=window)
    dialog.show()
    qtbot.waitExposed(dialog)
    dialog.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is dialog)
    assert kb.has_focus(dialog.ui.kind), kb.focus.objectName()  # not the read-only code the program made
    kb.tab_to(dialog.ui.has_consent)
    kb.key(Qt.Key.Key_Space)
    kb.key(Qt.Key.Key_Tab)
    assert kb.has_focus(dialog.ui.consent_date)
    dialog.reject()


def in_sight(widget: QWidget, window) -> bool:
    """The field lies inside the part of the form the scroll area shows."""
    from PySide6.QtCore import QPoint, QRect

    viewport = window.ui.form_scroll.viewport()
    return widget.isVisible() and viewport.rect().contains(QRect(widget.mapTo(viewport, QPoint(0, 0)), widget.size()))


def test_tab_goes_from_the_note_to_save_and_the_cursor_stays_in_sight(keyboard_window, qtbot):
    """Tab from the note went through the journal's filters and table (15 stops) and an empty
    stop on the form's scroll area before Save. After Ctrl+S the cursor went back to the date at
    the top while the form stayed scrolled to the bottom; a refused save put it into a field out
    of sight too."""
    window, kb, _client = keyboard_window
    window.resize(window.width(), 520)  # a short window: the form scrolls
    qtbot.waitUntil(lambda: window.ui.form_scroll.verticalScrollBar().maximum() > 0 or window.current_form is None)
    kb.key(Qt.Key.Key_3, Qt.KeyboardModifier.ControlModifier)
    ui = window.current_form.ui
    qtbot.waitUntil(lambda: window.ui.form_scroll.verticalScrollBar().maximum() > 0)
    kb.choose(ui.district, "eckesey")
    kb.choose(ui.place_type, "street")
    kb.choose(ui.purpose, "contact")
    kb.text(ui.notes, "Infostand am Markt")
    assert not in_sight(ui.start, window)  # scrolled down to the note
    kb.key(Qt.Key.Key_Tab)
    assert kb.has_focus(window.ui.save)
    kb.key(Qt.Key.Key_Tab)
    assert kb.has_focus(window.ui.cancel)
    kb.key(Qt.Key.Key_Backtab, Qt.KeyboardModifier.ShiftModifier)
    kb.key(Qt.Key.Key_Backtab, Qt.KeyboardModifier.ShiftModifier)
    assert kb.has_focus(ui.notes)

    save_by_keyboard(kb, window)
    assert journal_notes(window) == ["Infostand am Markt"]
    sb = window.ui.form_scroll.verticalScrollBar()
    assert kb.has_focus(ui.start) and in_sight(ui.start, window)

    kb.tab_to(ui.notes)  # scrolled down again; then the mediator's name is emptied and saved
    ui.mediator.clear()
    kb.key(Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    assert window.ui.form_message.text() != ""
    assert kb.has_focus(ui.mediator) and in_sight(ui.mediator, window)
