"""Desktop client: creating each entry type through its form, editing, deleting with
undo, and validation messages next to their fields. Offscreen, real SQLCipher stores."""

from __future__ import annotations

import datetime as dt

from gui_fixtures import *  # noqa: F403 (fixtures and helpers)
from gui_fixtures import (
    check_items,
    close_window,
    journal_notes,
    journal_types,
    select_combo,
    type_text,
    visible_rows,
    widget_texts,
)
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from app.domain.entries import CONSULTATION, OUTREACH_VISIT, TANDEM_SESSION

NOTES = {
    CONSULTATION: "Beratung zum Mietvertrag, Termin Jobcenter vereinbart",
    TANDEM_SESSION: "Elterngespräch zu Fehlzeiten in der 3b",
    OUTREACH_VISIT: "Flyer am Bodelschwinghplatz verteilt",
}


def fill_consultation(qtbot, form) -> None:
    select_combo(form.ui.setting, "home_visit")
    select_combo(form.ui.district, "wehringhausen")
    check_items(form.ui.topics, "housing", "benefits")
    check_items(form.ui.languages, "ro")
    select_combo(form.ui.outcome, "in_progress")


def fill_tandem(qtbot, form) -> None:
    select_combo(form.ui.school, "gs2")
    select_combo(form.ui.format, "tridem")
    type_text(form.ui.teacher, "KL 3b")
    type_text(form.ui.social_worker, "SSA")
    form.ui.pupils_count.setValue(2)
    check_items(form.ui.topics, "attendance")


def fill_outreach(qtbot, form) -> None:
    select_combo(form.ui.district, "altenhagen")
    select_combo(form.ui.place_type, "street")
    select_combo(form.ui.purpose, "prevention")
    check_items(form.ui.partners, "district_police")
    form.ui.adults_reached.setValue(12)


FILLERS = {CONSULTATION: fill_consultation, TANDEM_SESSION: fill_tandem, OUTREACH_VISIT: fill_outreach}
TYPE_LABELS = {CONSULTATION: "Consultation", TANDEM_SESSION: "Tandem session", OUTREACH_VISIT: "Outreach visit"}


def create_through_form(qtbot, window, entry_type: str, note: str) -> None:
    button = {CONSULTATION: window.ui.new_consultation, TANDEM_SESSION: window.ui.new_tandem,
              OUTREACH_VISIT: window.ui.new_outreach}[entry_type]
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    form = window.current_form
    assert form is window.forms[entry_type] and window.ui.form_panel.isVisible()
    FILLERS[entry_type](qtbot, form)
    type_text(form.ui.notes, note)
    qtbot.mouseClick(window.ui.save, Qt.MouseButton.LeftButton)
    assert window.ui.form_message.text() == "", window.ui.form_message.text()


def editing_a_saved_entry(qtbot, window, saved: str, typed: str):
    """A consultation saved with the note `saved`, open in its form with `typed` over the note
    (not saved). Returns (entry id, form)."""
    create_through_form(qtbot, window, CONSULTATION, saved)
    entry_id = window.journal.list_entries()[0].id
    window.open_entry(entry_id)
    form = window.current_form
    form.ui.notes.selectAll()
    type_text(form.ui.notes, typed)
    return entry_id, form


def test_each_entry_type_created_in_its_form_shows_in_journal_and_survives_reopening(qtbot, open_window, data_dir):
    window = open_window()
    assert visible_rows(window) == 0
    for entry_type, note in NOTES.items():
        create_through_form(qtbot, window, entry_type, note)
        assert note in journal_notes(window)
        # the saved entry is selected in the journal and the form is ready for the next one
        assert window.selected_entry_id() is not None
        assert window.current_form.ui.notes.toPlainText() == ""
    assert visible_rows(window) == 3
    assert sorted(journal_types(window)) == sorted(TYPE_LABELS.values())
    close_window(window)

    again = open_window(data_dir / "journal.db")
    assert visible_rows(again) == 3
    assert sorted(journal_notes(again)) == sorted(NOTES.values())
    rows = {again.model.data(again.model.index(r, 1)): again.model.data(again.model.index(r, 2))
            for r in range(again.model.rowCount())}
    assert rows == {"Consultation": "Wehringhausen", "Tandem session": "Primary school 2",
                    "Outreach visit": "Altenhagen"}
    stored = {e.type: e for e in again.journal.all_entries()}
    assert stored[TANDEM_SESSION].teacher == "KL 3b" and stored[TANDEM_SESSION].social_worker == "SSA"
    assert stored[TANDEM_SESSION].format == "tridem" and stored[TANDEM_SESSION].pupils_count == 2
    assert stored[CONSULTATION].topics == ["housing", "benefits"] and stored[CONSULTATION].setting == "home_visit"
    assert stored[OUTREACH_VISIT].partners == ["district_police"] and stored[OUTREACH_VISIT].adults_reached == 12
    # closing the window right after saving leaves no "restored" empty form behind
    assert again.ui.form_message.text() == ""


def test_edit_from_journal_then_delete_with_keyboard_and_undo(qtbot, open_window):
    window = open_window()
    create_through_form(qtbot, window, CONSULTATION, "Erste Fassung der Notiz")
    create_through_form(qtbot, window, OUTREACH_VISIT, "Andere Notiz")
    qtbot.keyClick(window.ui.journal_view, Qt.Key.Key_Escape)  # closes the form
    assert not window.ui.form_panel.isVisible()

    # open from the journal: select the row and press Enter (the view's activated signal)
    view = window.ui.journal_view
    row = journal_notes(window).index("Erste Fassung der Notiz")
    view.setFocus()
    view.setCurrentIndex(window.model.index(row, 0))
    qtbot.keyClick(view, Qt.Key.Key_Return)
    form = window.current_form
    assert form is window.forms[CONSULTATION] and window.ui.form_panel.isVisible()
    assert window.ui.form_title.text() == "Edit: Consultation"
    assert form.ui.notes.toPlainText() == "Erste Fassung der Notiz"
    entry_id = form.entry.id

    form.ui.notes.selectAll()
    type_text(form.ui.notes, "Zweite Fassung nach Rückruf")
    qtbot.keyClick(form.ui.notes, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    assert window.ui.form_message.text() == ""
    assert visible_rows(window) == 2  # edited in place, not duplicated
    assert "Zweite Fassung nach Rückruf" in journal_notes(window)
    assert "Erste Fassung der Notiz" not in journal_notes(window)
    assert window.journal.get_entry(entry_id).notes == "Zweite Fassung nach Rückruf"
    assert window.selected_entry_id() == entry_id

    # open again through window.open_entry: the edit is what the form shows
    window.open_entry(entry_id)
    assert window.current_form.ui.notes.toPlainText() == "Zweite Fassung nach Rückruf"

    # delete: select the row, press Delete on the journal view
    view.selectRow(journal_notes(window).index("Zweite Fassung nach Rückruf"))
    assert window.selected_entry_id() == entry_id
    qtbot.keyClick(view, Qt.Key.Key_Delete)
    assert visible_rows(window) == 1
    assert "Zweite Fassung nach Rückruf" not in journal_notes(window)
    assert window.journal.get_entry(entry_id) is None
    assert not window.ui.form_panel.isVisible()  # the deleted entry's form closed
    assert window.undo_button.isVisible()
    assert window.ui.statusbar.currentMessage() == "Entry deleted."

    qtbot.mouseClick(window.undo_button, Qt.MouseButton.LeftButton)
    assert visible_rows(window) == 2
    assert "Zweite Fassung nach Rückruf" in journal_notes(window)
    assert window.journal.get_entry(entry_id).notes == "Zweite Fassung nach Rückruf"
    assert window.selected_entry_id() == entry_id
    assert not window.undo_button.isVisible()


def test_a_half_typed_entry_can_be_discarded_after_asking(qtbot, open_window, monkeypatch):
    from app.ui import main_window

    answers = []
    monkeypatch.setattr(main_window, "confirm", lambda _parent, _title, _text: answers.pop(0))
    window = open_window()
    window.new_entry(CONSULTATION)
    form = window.current_form
    type_text(form.ui.notes, "Halb getippt, dann unterbrochen")
    form.ui.start.setDateTime(form.ui.start.dateTime().addDays(-3))
    window.close_form()  # Close keeps the draft, as after a lock or a crash
    window.new_entry(CONSULTATION)
    assert form.ui.notes.toPlainText() == "Halb getippt, dann unterbrochen"
    assert "Check its date and time, or discard it" in window.ui.form_message.text()

    answers.append(False)  # "No": nothing is thrown away
    qtbot.mouseClick(window.ui.discard, Qt.MouseButton.LeftButton)
    assert form.ui.notes.toPlainText() == "Halb getippt, dann unterbrochen"
    assert "new:consultation" in window.journal.draft_keys()

    answers.append(True)
    qtbot.mouseClick(window.ui.discard, Qt.MouseButton.LeftButton)
    assert form.ui.notes.toPlainText() == ""
    assert abs(form.read().start - dt.datetime.now()).total_seconds() < 3600  # starts afresh: now, not 3 days ago
    assert window.ui.form_message.text() == "What you typed was discarded."
    assert "new:consultation" not in window.journal.draft_keys()
    window.close_form()
    window.new_entry(CONSULTATION)  # nothing comes back
    assert window.current_form.ui.notes.toPlainText() == ""
    assert "restored" not in window.ui.form_message.text()
    assert answers == []


def test_discarding_changes_to_a_saved_entry_shows_it_as_saved(qtbot, open_window, monkeypatch):
    from app.ui import main_window

    monkeypatch.setattr(main_window, "confirm", lambda *_args: True)
    window = open_window()
    entry_id, form = editing_a_saved_entry(qtbot, window, "Wie gespeichert", "Versehentlich überschrieben")
    qtbot.mouseClick(window.ui.discard, Qt.MouseButton.LeftButton)
    assert form.ui.notes.toPlainText() == "Wie gespeichert"
    assert form.entry.id == entry_id and window.ui.form_title.text() == "Edit: Consultation"
    assert f"edit:{entry_id}" not in window.journal.draft_keys()
    assert window.journal.get_entry(entry_id).notes == "Wie gespeichert"


def test_a_client_code_not_in_the_register_can_be_added_while_saving(qtbot, open_window, monkeypatch):
    """A code from an old spreadsheet, typed into the form: the mediator is offered to add it,
    instead of an error that names no code and no way out."""
    from app.ui import main_window

    answers = []
    monkeypatch.setattr(main_window, "confirm", lambda _parent, _title, text: answers.append(text) or answers[-2])
    window = open_window()
    window.new_entry(CONSULTATION)
    form = window.current_form
    fill_consultation(qtbot, form)
    form.ui.clients.setText("zz-999")

    answers.append(False)  # no: nothing is saved, and the field says which code and what to do
    window.save_entry()
    assert "ZZ-999" in answers[-1]
    assert "Not in the client register: ZZ-999" in " ".join(widget_texts(window))
    assert window.journal.client_by_code("ZZ-999") is None and window.journal.list_entries() == []

    answers.append(True)
    window.save_entry()
    client = window.journal.client_by_code("ZZ-999")
    assert client is not None
    [row] = window.journal.list_entries()
    assert window.journal.get_entry(row.id).client_ids == [client.id]


def test_two_deletions_in_a_row_can_both_be_undone(qtbot, open_window):
    window = open_window()
    create_through_form(qtbot, window, CONSULTATION, "Erste")
    create_through_form(qtbot, window, OUTREACH_VISIT, "Zweite")
    window.close_form()
    view = window.ui.journal_view
    window.undo_timer.setInterval(1_000)  # 15 s in the application; the test's seconds are short
    for note in ("Erste", "Zweite"):
        view.selectRow(journal_notes(window).index(note))
        qtbot.keyClick(view, Qt.Key.Key_Delete)
        qtbot.wait(700)
    # 1.4 s after the first deletion, 0.7 s after the second: Undo is still there for the second
    assert visible_rows(window) == 0 and window.undo_button.isVisible()
    qtbot.mouseClick(window.undo_button, Qt.MouseButton.LeftButton)
    assert journal_notes(window) == ["Zweite"] and window.undo_button.isVisible()
    qtbot.mouseClick(window.undo_button, Qt.MouseButton.LeftButton)
    assert sorted(journal_notes(window)) == ["Erste", "Zweite"] and not window.undo_button.isVisible()


def test_undoing_the_deletion_of_an_entry_being_edited_brings_back_what_was_typed(qtbot, open_window):
    window = open_window()
    entry_id, _form = editing_a_saved_entry(qtbot, window, "Gespeichert", "Gespeichert und dann ergänzt")
    view = window.ui.journal_view
    view.selectRow(0)
    qtbot.keyClick(view, Qt.Key.Key_Delete)
    assert not window.ui.form_panel.isVisible() and window.journal.get_entry(entry_id) is None

    qtbot.mouseClick(window.undo_button, Qt.MouseButton.LeftButton)
    assert window.journal.get_entry(entry_id).notes == "Gespeichert"
    assert window.ui.form_panel.isVisible() and window.current_form.entry.id == entry_id
    assert window.current_form.ui.notes.toPlainText() == "Gespeichert und dann ergänzt"


def test_when_undo_runs_out_the_deleted_entrys_typed_changes_go_too(qtbot, open_window):
    window = open_window()
    create_through_form(qtbot, window, CONSULTATION, "Gespeichert")
    entry_id = window.journal.list_entries()[0].id
    window.open_entry(entry_id)
    type_text(window.current_form.ui.notes, " und mehr")
    window.ui.journal_view.selectRow(0)
    qtbot.keyClick(window.ui.journal_view, Qt.Key.Key_Delete)
    assert f"edit:{entry_id}" in window.journal.draft_keys()
    window.undo_timer.timeout.emit()
    assert not window.undo_button.isVisible()
    assert f"edit:{entry_id}" not in window.journal.draft_keys()


def test_validation_errors_show_next_to_fields_without_losing_input_or_modal_dialogs(qtbot, open_window):
    window = open_window()
    qtbot.keyClick(window, Qt.Key.Key_2, Qt.KeyboardModifier.ControlModifier)  # new tandem session
    form = window.current_form
    assert form is window.forms[TANDEM_SESSION]
    form.ui.mediator.clear()
    type_text(form.ui.follow_up, "Rückruf bei der Klassenlehrerin")
    type_text(form.ui.notes, "Notiz die nicht verloren gehen darf")
    form.ui.duration.setValue(45)

    qtbot.keyClick(form.ui.notes, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    assert QApplication.activeModalWidget() is None
    assert visible_rows(window) == 0
    expected = {
        "mediator": "Enter who did this (mediator).",
        "school": "Choose the school.",
        "teacher": "Enter the teacher's role or initials.",
    }
    for field, message in expected.items():
        label = form.findChild(type(form.ui.start_label), f"{field}_error")
        assert label is not None and label.isVisible(), field
        assert label.text() == message
    # the error sits in the row right below its own field
    layout = form.ui.form
    for field in expected:
        row, _role = layout.getWidgetPosition(getattr(form.ui, field))
        below = layout.itemAt(row + 1, layout.ItemRole.FieldRole).widget()
        assert below.objectName() == f"{field}_error"
    for field in ("notes", "follow_up", "social_worker", "start"):
        assert not form.findChild(type(form.ui.start_label), f"{field}_error").isVisible()
    assert window.ui.form_message.text() == "Not saved yet: please check the marked fields."
    assert QApplication.focusWidget() is form.ui.mediator  # the first problem gets the focus
    # nothing typed is lost
    assert form.ui.notes.toPlainText() == "Notiz die nicht verloren gehen darf"
    assert form.ui.follow_up.text() == "Rückruf bei der Klassenlehrerin"
    assert form.ui.duration.value() == 45

    # a tridem also needs the social worker: a second round of messages, still no dialog
    type_text(form.ui.mediator, "T. Mediator")
    select_combo(form.ui.school, "gs1")
    type_text(form.ui.teacher, "KL 2a")
    select_combo(form.ui.format, "tridem")
    form.ui.start.setDateTime(form.ui.start.dateTime().addDays(3))  # in the future
    qtbot.mouseClick(window.ui.save, Qt.MouseButton.LeftButton)
    assert QApplication.activeModalWidget() is None
    assert not form.findChild(type(form.ui.start_label), "mediator_error").isVisible()
    assert not form.findChild(type(form.ui.start_label), "school_error").isVisible()
    assert form.findChild(type(form.ui.start_label), "social_worker_error").text().startswith("A tridem includes")
    assert form.findChild(type(form.ui.start_label), "start_error").text() == "The date is in the future. Check the date."
    assert form.ui.notes.toPlainText() == "Notiz die nicht verloren gehen darf"

    form.ui.start.setDateTime(form.ui.start.dateTime().addDays(-3))
    type_text(form.ui.social_worker, "SSA")
    qtbot.mouseClick(window.ui.save, Qt.MouseButton.LeftButton)
    assert QApplication.activeModalWidget() is None
    assert window.ui.form_message.text() == ""
    assert journal_notes(window) == ["Notiz die nicht verloren gehen darf"]
    assert not any(label.isVisible() for label in form._errors.values())
    assert dt.date.today() - window.journal.all_entries()[0].start.date() <= dt.timedelta(days=1)


def test_a_full_disk_is_said_in_plain_words_next_to_the_form_and_nothing_typed_is_lost(qtbot, open_window):
    from sqlalchemy import event

    window = open_window()
    engine = window.journal.engine
    with engine.connect() as conn:
        pages = conn.exec_driver_sql("PRAGMA page_count").scalar()
    engine.dispose()  # new connections get the limit: the database file may not grow any more
    limit = lambda dbapi, _record: dbapi.execute(f"PRAGMA max_page_count = {pages + 1}")  # noqa: E731
    event.listen(engine.pool, "connect", limit)

    qtbot.keyClick(window, Qt.Key.Key_1, Qt.KeyboardModifier.ControlModifier)
    form = window.current_form
    select_combo(form.ui.setting, "office")
    note = "Langer Vermerk, der bleiben muss. " * 400
    form.ui.notes.setPlainText(note)
    qtbot.keyClick(form.ui.notes, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)

    assert QApplication.activeModalWidget() is None
    assert "free some disk space" in window.ui.form_message.text()
    assert form.ui.notes.toPlainText() == note and window.ui.form_panel.isVisible()
    assert visible_rows(window) == 0
    window.ui.form_message.clear()
    form.dirty = True
    window.save_draft()  # the draft autosave meets the same full disk: it says so and keeps the text
    assert "Could not keep a draft" in window.ui.form_message.text()
    assert form.ui.notes.toPlainText() == note

    event.remove(engine.pool, "connect", limit)
    engine.dispose()  # space is free again: the same form saves
    qtbot.keyClick(form.ui.notes, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: visible_rows(window) == 1)
    assert window.journal.all_entries()[0].notes == note


def test_saving_while_another_program_holds_the_journal_says_so_and_keeps_the_text(qtbot, open_window):
    window = open_window()
    window.new_entry(CONSULTATION)
    form = window.current_form
    fill_consultation(qtbot, form)
    type_text(form.ui.notes, "bleibt im Formular")
    raw = window.journal.engine.raw_connection()  # another program's long write (a big import)
    try:
        raw.driver_connection.execute("BEGIN IMMEDIATE")
        window.save_entry()
        raw.driver_connection.execute("ROLLBACK")
    finally:
        raw.close()
    assert window.ui.form_message.text() == ("Not saved: the journal is busy in another program. What you typed is "
                                             "kept; save again in a moment.")
    assert form.ui.notes.toPlainText() == "bleibt im Formular" and window.journal.list_entries() == []
    window.save_entry()
    assert [row.notes_preview for row in window.journal.list_entries()] == ["bleibt im Formular"]


def test_an_entry_erased_while_open_in_the_form_is_closed_and_not_saved_back(qtbot, open_window, monkeypatch):
    """Saving a form whose entry had been erased (on the command line, or by a sync) wrote the
    person's entry back with the same id, after offering to add their code to the register again."""
    from app.domain.entries import Client
    from app.services.sync import SyncService
    from app.ui import main_window

    asked = []
    monkeypatch.setattr(main_window, "confirm", lambda *_args: asked.append(_args) or True)
    window = open_window()
    journal = window.journal
    person = journal.save_client(Client(code="ER-ASE-1", name="Wanda W"))
    window.new_entry(CONSULTATION)
    form = window.current_form
    fill_consultation(qtbot, form)
    form.ui.clients.setText("ER-ASE-1")
    type_text(form.ui.notes, "Wanda Notiz")
    window.save_entry()
    [row] = journal.list_entries()
    window.open_entry(row.id)
    type_text(window.current_form.ui.notes, ", ergänzt")
    window.save_draft()

    SyncService(journal).erase_client(person.id)
    window.current_form.ui.notes.insertPlainText(" noch mehr")
    window.save_draft()  # the draft timer fires after the erasure: nothing of the person is kept
    assert journal.draft_keys() == []
    window.save_entry()
    assert asked == []  # not offered to register the erased code again
    assert window.current_form is None and not window.ui.form_panel.isVisible()
    assert "erased on a data-protection request" in window.ui.statusbar.currentMessage()
    assert journal.get_entry(row.id) is None and journal.client_by_code("ER-ASE-1") is None
    assert journal.list_entries() == [] and journal.draft_keys() == []

    # an erasure that a sync brings closes the open form at once
    other = journal.save_client(Client(code="ER-ASE-2"))
    window.new_entry(CONSULTATION)
    fill_consultation(qtbot, window.current_form)
    window.current_form.ui.clients.setText("ER-ASE-2")
    window.save_entry()
    [row] = journal.list_entries()
    window.open_entry(row.id)
    SyncService(journal).erase_client(other.id)
    window.sync_ui.after_merge()
    assert window.current_form is None and journal.list_entries() == []


def test_undo_of_a_deletion_does_not_bring_back_an_entry_whose_person_was_erased_meanwhile(qtbot, open_window):
    """Found in the walk-through: Undo after the person's erasure brought their entry back, with
    their notes, for good (the lead had it erased and never sent it again)."""
    from app.domain.entries import Client
    from app.services.sync import SyncService

    window = open_window()
    journal = window.journal
    person = journal.save_client(Client(code="ER-UNDO-1", name="Popa"))
    window.new_entry(CONSULTATION)
    fill_consultation(qtbot, window.current_form)
    window.current_form.ui.clients.setText("ER-UNDO-1")
    type_text(window.current_form.ui.notes, "Popa Schulden")
    window.save_entry()
    [row] = journal.list_entries()
    window.ui.journal_view.selectRow(0)
    qtbot.keyClick(window.ui.journal_view, Qt.Key.Key_Delete)
    assert window.undo_button.isVisible()
    SyncService(journal).erase_client(person.id)  # Erase... while Undo is still offered
    qtbot.mouseClick(window.undo_button, Qt.MouseButton.LeftButton)
    assert journal.get_entry(row.id) is None and journal.list_entries() == []
    assert not window.undo_button.isVisible()
    assert "erased on a data-protection request" in window.ui.statusbar.currentMessage()


def test_undo_refused_after_an_erasure_leaves_no_draft_of_the_person(qtbot, open_window):
    """Found by the second review: the entry's draft (its clients cleared in the form, so no
    longer naming the person) kept their words after the erasure."""
    from app.domain.entries import Client
    from app.services.sync import SyncService

    window = open_window()
    journal = window.journal
    person = journal.save_client(Client(code="ER-UNDO-9", name="Popa"))
    window.new_entry(CONSULTATION)
    fill_consultation(qtbot, window.current_form)
    window.current_form.ui.clients.setText("ER-UNDO-9")
    type_text(window.current_form.ui.notes, "Popa Schulden")
    window.save_entry()
    [row] = journal.list_entries()
    window.open_entry(row.id)
    window.current_form.ui.clients.setText("")
    type_text(window.current_form.ui.notes, " zqxjkvmarker")
    window.ui.journal_view.selectRow(0)
    qtbot.keyClick(window.ui.journal_view, Qt.Key.Key_Delete)
    SyncService(journal).erase_client(person.id)
    qtbot.mouseClick(window.undo_button, Qt.MouseButton.LeftButton)
    assert "erased on a data-protection request" in window.ui.statusbar.currentMessage()
    assert journal.draft_keys() == []


def test_a_client_erased_while_its_window_is_open_is_not_saved_back(qtbot, open_window):
    from PySide6.QtWidgets import QDialogButtonBox

    from app.domain.entries import Client
    from app.services.sync import SyncService
    from app.ui.dialogs import ClientDialog

    window = open_window()
    journal = window.journal
    person = journal.save_client(Client(code="ER-ASE-3", name="Quentin Q", contact="5550199"))
    dialog = ClientDialog(journal, journal.get_client(person.id), parent=window)
    dialog.show()
    SyncService(journal).erase_client(person.id)
    dialog.ui.contact.setText("5550100")
    dialog.save()
    assert "erased on a data-protection request" in dialog.ui.error.text()
    assert not dialog.ui.buttons.button(QDialogButtonBox.StandardButton.Save).isEnabled()
    assert dialog.ui.name.text() == "" and dialog.ui.contact.text() == ""
    assert journal.get_client(person.id) is None and journal.client_by_code("ER-ASE-3") is None
    dialog.reject()
    assert journal.draft_keys() == []


def test_a_mistyped_client_code_is_not_added_as_a_new_person(qtbot, open_window, monkeypatch):
    """A code of ours with a wrong check character was offered as a new client: the person's
    entries were split between two codes, which an access request or an erasure then misses."""
    from app.ui import main_window

    asked = []
    monkeypatch.setattr(main_window, "confirm", lambda *_args: asked.append(_args) or True)
    window = open_window()
    real = window.journal.save_client(window.journal.new_client())
    wrong = real.code[:-1] + ("A" if real.code[-1] != "A" else "B")
    window.new_entry(CONSULTATION)
    fill_consultation(qtbot, window.current_form)
    window.current_form.ui.clients.setText(wrong.lower())
    window.save_entry()
    assert asked == [] and window.journal.client_by_code(wrong) is None
    assert f"The client code {wrong} has a typo" in " ".join(widget_texts(window))
    assert window.journal.list_entries() == []


def test_a_teachers_full_name_is_refused_with_the_reason_not_cut_off(qtbot, open_window):
    """The field took 24 characters and silently cut the rest, so a full name was stored cut
    short and the rule "a role or initials, not a full name" never showed."""
    window = open_window()
    window.new_entry(TANDEM_SESSION)
    form = window.current_form
    fill_tandem(qtbot, form)
    form.ui.teacher.clear()
    type_text(form.ui.teacher, "Frau Annegret Müller-Lüdenscheid")
    assert form.ui.teacher.text() == "Frau Annegret Müller-Lüdenscheid"
    window.save_entry()
    assert "Use a role or initials here, not a full name." in " ".join(widget_texts(window))
    assert window.journal.list_entries() == []


def test_a_person_is_erased_from_the_client_register_after_typing_their_code(qtbot, open_window, monkeypatch):
    """There was no way to erase a person in the desktop client: a mediator with a data-protection
    request had to ask IT for the command line."""
    from PySide6.QtWidgets import QInputDialog, QMessageBox

    from app.domain.entries import Client

    shown = []
    monkeypatch.setattr(QMessageBox, "information", lambda _parent, title, text: shown.append(text))
    window = open_window()
    journal = window.journal
    anna = journal.save_client(Client(code="HA-ANNA-2", name="Anna Ionescu"))
    family = journal.save_client(Client(code="HA-FAM-10"))
    journal.save_entry(consultation_for([anna.id], "nur Anna"))
    journal.save_entry(consultation_for([anna.id, family.id], "Anna und Familie"))
    journal.save_entry(consultation_for([family.id], "Frau Ionescu kam mit"))
    window.refresh_clients()
    window.ui.tabs.setCurrentWidget(window.ui.clients_tab)
    table = window.ui.clients_view
    table.selectRow(next(r for r in range(table.rowCount()) if table.item(r, 0).text() == "HA-ANNA-2"))

    window.ui.erase_client.click()
    dialog = window.findChild(QInputDialog, "erase_client_dialog")
    label = dialog.labelText()
    assert "HA-ANNA-2 and 2 entries" in label and "1 of these entries also names other people" in label
    assert "1 other entry mentions the code or the name" in label and "cannot be undone" in label
    dialog.setTextValue("HA-ANNA-X")  # a wrong code erases nothing
    dialog.accept()
    assert "nothing was erased" in window.ui.statusbar.currentMessage()
    assert journal.client_by_code("HA-ANNA-2") is not None and len(journal.all_entries()) == 3

    from PySide6.QtCore import QTimer

    from app.store.migrate import backup_store

    backup = backup_store(journal.path, "0014")  # an upgrade's backup still holds the person
    window.ui.erase_client.click()
    dialog = next(d for d in window.findChildren(QInputDialog, "erase_client_dialog") if d.isVisible())
    assert "1 backup from an earlier upgrade (folder backups) still holds this person's data" in dialog.labelText()
    dialog.setTextValue("ha-anna-2")
    asked = []

    def delete_backups():
        box = window.findChild(QMessageBox, "erase_backups_question")
        asked.append(box.text())
        next(b for b in box.buttons() if b.text() == "Delete backups").click()

    QTimer.singleShot(0, delete_backups)
    dialog.accept()
    assert asked and "also in 1 backup from an earlier upgrade" in asked[0]
    assert not backup.exists()
    assert shown and "Erased the client and 2 entries" in shown[0] and "Search the journal" in shown[0]
    assert "still holds" not in shown[0]
    assert journal.client_by_code("HA-ANNA-2") is None
    assert [e.notes for e in journal.all_entries()] == ["Frau Ionescu kam mit"]
    assert "HA-ANNA-2" not in [table.item(r, 0).text() for r in range(table.rowCount())]


def consultation_for(client_ids, notes):
    from helpers.factories import consultation

    return consultation(notes=notes, client_ids=client_ids)


def test_everything_about_a_client_is_exported_from_their_window(qtbot, open_window, monkeypatch, tmp_path):
    import json

    from PySide6.QtWidgets import QMessageBox

    from app.domain.entries import Client
    from app.ui.dialogs import ClientDialog

    shown = []
    monkeypatch.setattr(QMessageBox, "information", lambda _parent, _title, text: shown.append(text))
    window = open_window()
    journal = window.journal
    anna = journal.save_client(Client(code="HA-ANNA-4", name="Anna I.", contact="0176 555"))
    journal.save_entry(consultation_for([anna.id], "Mietvertrag"))
    assert ClientDialog(journal, parent=window).export_button is None  # a new client has nothing yet
    dialog = ClientDialog(journal, journal.get_client(anna.id), parent=window)
    assert dialog.export_button.text() == "E&xport all data…"
    dialog.export_data(str(tmp_path / "anna.json"))
    data = json.loads((tmp_path / "anna.json").read_text(encoding="utf-8"))
    assert data["client"]["contact"] == "0176 555" and [e["notes"] for e in data["entries"]] == ["Mietvertrag"]
    assert "not encrypted" in shown[0]
    dialog.export_data(str(journal.path))  # never over the journal itself
    assert "file of the journal itself" in dialog.ui.error.text() and journal.get_client(anna.id) is not None
    dialog.reject()


def test_a_new_entry_naming_a_person_erased_meanwhile_is_closed_and_the_code_not_registered_again(
        qtbot, open_window, monkeypatch):
    """A new entry left open with the person's code survived the erasure, and saving it offered to
    add the erased code to the register again: the person came back on every laptop."""
    from PySide6.QtWidgets import QInputDialog, QMessageBox

    from app.domain.entries import Client
    from app.services.sync import SyncService
    from app.ui import main_window

    asked = []
    monkeypatch.setattr(main_window, "confirm", lambda *_args: asked.append(_args) or True)
    monkeypatch.setattr(QMessageBox, "information", lambda *_args: None)
    window = open_window()
    journal = window.journal
    for code in ("HA-ION-1", "HA-ION-2"):
        journal.save_client(Client(code=code, name="Ion Popescu"))
    window.refresh_clients()

    # erased here, from the client register
    window.new_entry(CONSULTATION)
    window.current_form.ui.clients.setText("HA-ION-1")
    type_text(window.current_form.ui.notes, "Herr Popescu rief an")
    window.save_draft()
    window.ui.tabs.setCurrentWidget(window.ui.clients_tab)
    table = window.ui.clients_view
    table.selectRow(next(r for r in range(table.rowCount()) if table.item(r, 0).text() == "HA-ION-1"))
    window.erase_client()
    dialog = window.findChild(QInputDialog, "erase_client_dialog")
    dialog.setTextValue("HA-ION-1")
    dialog.accept()
    assert window.current_form is None and journal.draft_keys() == []

    # erased on another computer: the sync brings it (the draft naming the code goes with it)
    window.new_entry(CONSULTATION)
    window.current_form.ui.clients.setText("HA-ION-2")
    type_text(window.current_form.ui.notes, "Herr Popescu rief wieder an")
    window.save_draft()
    SyncService(journal).erase_client(journal.client_by_code("HA-ION-2").id)
    window.sync_ui.after_merge()
    assert window.current_form is None and "names a person erased" in window.ui.statusbar.currentMessage()
    window.save_entry()  # nothing open: nothing to save, nothing to register
    assert asked == [] and journal.client_by_code("HA-ION-1") is None and journal.client_by_code("HA-ION-2") is None

    # a code typed for a new person, not an erased one, is left alone by a sync
    window.new_entry(CONSULTATION)
    window.current_form.ui.clients.setText("HA-NEU-9")
    type_text(window.current_form.ui.notes, "neue Familie")
    window.save_draft()
    window.sync_ui.after_merge()
    assert window.current_form is not None and window.current_form.ui.clients.text() == "HA-NEU-9"


def test_marking_a_follow_up_done_while_its_entry_is_open_is_not_undone_by_saving_the_form(qtbot, open_window):
    window = open_window()
    journal = window.journal
    from helpers.factories import consultation

    entry = journal.save_entry(consultation(notes="Popescu zurückrufen", follow_up="anrufen",
                                            follow_up_due=dt.date.today()))
    window.open_entry(entry.id)
    type_text(window.current_form.ui.notes, " Nachtrag.")
    window.refresh_follow_ups()
    window.ui.follow_ups_view.selectRow(0)
    window.mark_follow_up_done()
    assert window.current_form.ui.follow_up_done.isChecked()
    window.save_entry()
    saved = journal.get_entry(entry.id)
    assert saved.follow_up_done and "Nachtrag." in saved.notes  # what was typed is saved too
    assert window.ui.follow_ups_view.rowCount() == 0


def test_exporting_a_client_erased_while_the_window_was_open_says_so(qtbot, open_window, tmp_path):
    from app.domain.entries import Client
    from app.services.sync import SyncService
    from app.ui.dialogs import ClientDialog

    window = open_window()
    journal = window.journal
    person = journal.save_client(Client(code="HA-ERASE-9", name="Ştefan M.", contact="0176"))
    dialog = ClientDialog(journal, journal.get_client(person.id), parent=window)
    SyncService(journal).erase_client(person.id)
    dialog.export_data(str(tmp_path / "x.json"))
    assert "erased on a data-protection request" in dialog.ui.error.text()
    assert not (tmp_path / "x.json").exists() and dialog.ui.name.text() == "" and dialog.ui.contact.text() == ""
    assert not dialog.export_button.isEnabled()
    dialog.reject()


def test_a_new_client_code_saved_quickly_after_another_entry_is_not_taken_for_an_erased_one(
        qtbot, open_window, monkeypatch):
    """The draft of the previous new entry, gone by its own save, looked like a draft an erasure
    had removed: the next entry, saved before its own draft was kept, was thrown away."""
    from app.ui import main_window

    monkeypatch.setattr(main_window, "confirm", lambda *_args: True)
    window = open_window()
    journal = window.journal
    window.new_entry(CONSULTATION)
    fill_consultation(qtbot, window.current_form)
    window.current_form.ui.clients.setText("HA-NEU-1")
    type_text(window.current_form.ui.notes, "erste Familie")
    window.save_draft()
    window.save_entry()
    fill_consultation(qtbot, window.current_form)  # the next one, saved within the draft delay
    window.current_form.ui.clients.setText("HA-NEU-2")
    type_text(window.current_form.ui.notes, "zweite Familie")
    window.save_entry()
    assert journal.count_entries() == 2 and journal.client_by_code("HA-NEU-2") is not None
