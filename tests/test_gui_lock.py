"""Desktop client: the idle lock forgets everything shown and brings the work back after
unlocking; a crash (SIGKILL) with a half-typed form brings the draft back; typed content
never lands in Qt settings or any unencrypted file of the data folder."""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

from gui_fixtures import *  # noqa: F403 (fixtures and helpers)
from gui_fixtures import (
    GUI_PASSPHRASE,
    close_window,
    files_containing,
    journal_notes,
    select_combo,
    type_text,
    unlock,
    widget_texts,
)
from PySide6.QtCore import QEvent, Qt, QTimer
from PySide6.QtWidgets import QApplication, QDialog, QLineEdit, QPlainTextEdit

from app.domain.entries import CONSULTATION

REPO = Path(__file__).resolve().parents[1]
CHILD = Path(__file__).resolve().parent / "helpers" / "gui_crash_child.py"


def no_trace_of(window, *markers: str) -> None:
    texts = widget_texts(window)
    for marker in markers:
        assert not [t for t in texts if marker in t], marker
    for edit in window.findChildren(QLineEdit):
        assert not any(m in edit.text() for m in markers), edit.objectName()
    for edit in window.findChildren(QPlainTextEdit):
        assert not any(m in edit.toPlainText() for m in markers), edit.objectName()


def test_idle_lock_forgets_everything_shown_and_unlock_restores_tab_form_and_draft(qtbot, open_window, gui_settings):
    gui_settings.setValue("idle_minutes", 2)
    window = open_window()
    assert window.idle_timer.isActive() and window.idle_timer.interval() == 2 * 60_000

    # an existing entry, found by a search, shown in the journal
    qtbot.keyClick(window, Qt.Key.Key_1, Qt.KeyboardModifier.ControlModifier)
    select_combo(window.current_form.ui.setting, "office")
    type_text(window.current_form.ui.notes, "Gespeichert-Alpha Notiz")
    qtbot.keyClick(window.current_form.ui.notes, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    type_text(window.ui.search, "Gespeichert")
    qtbot.waitUntil(lambda: window.filter_timer.isActive() is False)
    assert journal_notes(window) == ["Gespeichert-Alpha Notiz"]

    # half-typed new consultation, on the Clients tab
    form = window.forms[CONSULTATION]
    assert window.current_form is form
    select_combo(form.ui.district, "boele")
    type_text(form.ui.follow_up, "Halb-Folge Rückruf")
    type_text(form.ui.notes, "Halb-getippt Ștefan braucht Hilfe beim Antrag")
    window.ui.tabs.setCurrentIndex(1)

    assert any("Halb-getippt" in t for t in widget_texts(window))  # what the check below must not find
    assert any("Gespeichert" in t for t in widget_texts(window))
    window.idle_timer.setInterval(600)
    window.idle_timer.start()
    # activity keeps it unlocked: every key press restarts the timer
    for ch in " und":
        qtbot.wait(100)
        type_text(form.ui.notes, ch)
    assert window.journal is not None
    qtbot.waitUntil(lambda: window.journal is None, timeout=3000)

    assert window.ui.pages.currentWidget() is window.ui.unlock_page
    assert window.unlock_form.passphrase.text() == ""
    assert QApplication.focusWidget() is window.unlock_form.passphrase
    assert not window.ui.form_panel.isVisible() and window.current_form is None
    assert window.model.rowCount() == 0
    assert window.ui.clients_view.rowCount() == 0 and window.ui.follow_ups_view.rowCount() == 0
    no_trace_of(window, "Halb-getippt", "Halb-Folge", "Gespeichert", "Ștefan")
    assert not window.act_new_consultation.isEnabled() and not window.act_save.isEnabled()
    qtbot.keyClick(window, Qt.Key.Key_1, Qt.KeyboardModifier.ControlModifier)  # shortcuts are dead while locked
    assert window.current_form is None and window.journal is None

    unlock(qtbot, window)
    assert window.ui.tabs.currentIndex() == 1
    assert window.current_form is form and window.ui.form_panel.isVisible()
    assert window.ui.forms.currentWidget() is form
    assert form.ui.notes.toPlainText() == "Halb-getippt Ștefan braucht Hilfe beim Antrag und"
    assert form.ui.follow_up.text() == "Halb-Folge Rückruf"
    assert form.ui.district.currentData() == "boele"
    assert window.ui.form_message.text() == "Your unsaved entry was restored. Check its date and time, or discard it."
    assert window.ui.search.text() == "Gespeichert"
    assert journal_notes(window) == ["Gespeichert-Alpha Notiz"]
    assert window.idle_timer.isActive() and window.idle_timer.interval() == 2 * 60_000  # back to the setting


def test_lock_while_editing_an_entry_reopens_that_entry_with_the_changes(qtbot, open_window):
    window = open_window()
    qtbot.keyClick(window, Qt.Key.Key_1, Qt.KeyboardModifier.ControlModifier)
    select_combo(window.current_form.ui.setting, "phone")
    type_text(window.current_form.ui.notes, "Original")
    qtbot.keyClick(window.current_form.ui.notes, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    entry_id = window.selected_entry_id()
    window.open_entry(entry_id)
    qtbot.keyClick(window.current_form.ui.notes, Qt.Key.Key_End, Qt.KeyboardModifier.ControlModifier)
    type_text(window.current_form.ui.notes, " plus Nachtrag")
    qtbot.keyClick(window, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)  # lock now
    assert window.journal is None
    no_trace_of(window, "Original", "Nachtrag")

    unlock(qtbot, window)
    assert window.current_form.entry.id == entry_id
    assert window.ui.form_title.text() == "Edit: Consultation"
    assert window.current_form.ui.notes.toPlainText() == "Original plus Nachtrag"
    assert window.ui.form_message.text() == "Your unsaved changes were restored."
    assert window.journal.get_entry(entry_id).notes == "Original"  # a draft, not saved behind the user's back


def read_line(proc: subprocess.Popen, timeout: float) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _w, _x = select.select([proc.stdout], [], [], 0.2)
        if ready:
            return proc.stdout.readline().decode("utf-8", "replace").strip()
        if proc.poll() is not None:
            break
    return ""


def test_killed_process_with_half_typed_form_gets_the_draft_back(qtbot, open_window, data_dir):
    from gui_fixtures import make_store

    store = make_store(data_dir / "journal.db")
    note = "Crash-Notiz 4711: Antrag auf Kindergeld halb ausgefuellt"
    env = {k: v for k, v in os.environ.items() if not k.startswith("MEDIATORLOG_")}
    for var in ("LANGUAGE", "LC_ALL", "LC_MESSAGES"):
        env.pop(var, None)
    env.update(PYTHONPATH=str(REPO), MEDIATORLOG_DATA_DIR=str(data_dir), LANG="C.UTF-8", QT_QPA_PLATFORM="offscreen")
    proc = subprocess.Popen([sys.executable, str(CHILD), str(store), GUI_PASSPHRASE, note], cwd=str(REPO), env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        line = read_line(proc, timeout=30)
        assert line == "READY", (line, proc.stderr.read().decode() if proc.poll() is not None else "")
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
        proc.stdout.close()
        proc.stderr.close()
    assert proc.returncode == -signal.SIGKILL

    window = open_window(store)
    form = window.forms[CONSULTATION]
    assert window.current_form is form and window.ui.form_panel.isVisible()
    assert window.ui.form_title.text() == "New: Consultation"
    assert form.ui.notes.toPlainText() == note
    assert window.ui.form_message.text() == "Your unsaved entry was restored. Check its date and time, or discard it."
    assert window.model.rowCount() == 0  # nothing was saved as an entry
    # saving it now makes it an entry and the draft goes away
    select_combo(form.ui.setting, "office")
    qtbot.keyClick(form.ui.notes, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    assert journal_notes(window) == [note]
    assert window.journal.load_draft("new:consultation") is None


def test_typed_content_never_reaches_settings_or_unencrypted_files(qtbot, open_window, data_dir, gui_settings,
                                                                    tmp_path):
    marker_saved, marker_draft, marker_search = "Qx7Saved-Zeilenmarke", "Qx7Draft-Entwurfmarke", "Qx7Search"
    control = tmp_path / "control"
    control.mkdir()
    (control / "plain.txt").write_text(f"x {marker_draft} Straßenfest", encoding="utf-16")
    assert files_containing(control, marker_draft) and files_containing(control, "Straßenfest")  # the scan works
    window = open_window()
    qtbot.keyClick(window, Qt.Key.Key_3, Qt.KeyboardModifier.ControlModifier)  # outreach
    form = window.current_form
    select_combo(form.ui.district, "emst")
    select_combo(form.ui.place_type, "event")
    select_combo(form.ui.purpose, "contact")
    type_text(form.ui.notes, marker_saved + " Straßenfest")
    type_text(form.ui.follow_up, marker_saved + "-Folge")
    qtbot.waitUntil(lambda: window.journal.load_draft("new:outreach_visit") is not None, timeout=3000)
    qtbot.keyClick(form.ui.notes, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    assert any(marker_saved in n for n in journal_notes(window))

    qtbot.keyClick(window, Qt.Key.Key_1, Qt.KeyboardModifier.ControlModifier)  # a draft stays
    type_text(window.current_form.ui.notes, marker_draft)
    qtbot.waitUntil(lambda: window.journal.load_draft("new:consultation") is not None, timeout=3000)
    type_text(window.ui.search, marker_search)
    qtbot.waitUntil(lambda: not window.filter_timer.isActive())
    window.switch_language("de")
    window.switch_language("en")

    def check(stage: str) -> None:
        gui_settings.sync()
        QApplication.processEvents()
        for marker in (marker_saved, marker_draft, marker_search, "Straßenfest"):
            assert files_containing(data_dir, marker) == [], (stage, marker)

    check("after typing, drafting and saving")
    assert (data_dir / "settings.ini").exists()
    window.lock()
    check("after locking")
    unlock(qtbot, window)
    assert window.current_form.ui.notes.toPlainText() == marker_draft  # it was there, encrypted
    close_window(window)
    check("after closing")
    assert "geometry" in (data_dir / "settings.ini").read_text(errors="replace")
    names = {p.name for p in data_dir.rglob("*") if p.is_file()}
    assert "journal.db" in names and "settings.ini" in names


def test_idle_lock_closes_open_dialogs_so_nothing_stays_on_screen(qtbot, open_window):
    from test_gui_catalogs import drive_modal

    from app.ui.dialogs import CatalogEditor, ClientDialog

    window = open_window()
    errors: list = []

    def type_then_go_idle(dialog) -> None:
        type_text(dialog.ui.name, "Vertraulicher Name")
        type_text(dialog.ui.contact, "0176 555 12 34")
        window.idle_timer.setInterval(200)
        window.idle_timer.start()  # and the user walks away with the dialog open

    for dialog_type, action in ((ClientDialog, window.act_new_client), (CatalogEditor, window.act_catalogs)):
        QTimer.singleShot(5000, window, lambda: [d.reject() for d in window.findChildren(QDialog)])  # never hang; dies with the window
        drive_modal(qtbot, dialog_type, type_then_go_idle if dialog_type is ClientDialog else
                    lambda d: (window.idle_timer.setInterval(200), window.idle_timer.start()), errors)
        action.trigger()  # returns when the dialog is gone
        assert errors == []
        assert window.journal is None, dialog_type.__name__
        assert [w for w in QApplication.topLevelWidgets() if w.isVisible() and w is not window] == []
        QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
        qtbot.waitUntil(lambda: window.findChildren(QDialog) == [])  # destroyed, not just hidden
        for top in QApplication.topLevelWidgets():
            texts = widget_texts(top)
            assert not [t for t in texts if "Vertraulicher" in t or "555 12 34" in t]
        restored: list = []
        if dialog_type is ClientDialog:  # the half-typed client comes back after unlocking; then Cancel
            drive_modal(qtbot, ClientDialog, lambda d: (restored.append((d.ui.name.text(), d.ui.contact.text())),
                                                        d.ui.buttons.rejected.emit()), errors)
        unlock(qtbot, window)
        if dialog_type is ClientDialog:
            qtbot.waitUntil(lambda: restored != [], timeout=5000)
            assert restored == [("Vertraulicher Name", "0176 555 12 34")]
            assert errors == []
            assert not [k for k in window.journal.draft_keys() if k.startswith("client:")], "Cancel discards it"
        window.activateWindow()
    assert window.journal.list_clients() == []  # the half-typed client was not saved behind the lock


def test_unlocking_a_journal_of_an_older_version_says_it_is_being_updated(qtbot, open_window, data_dir):
    """The unlock page tells why this unlock takes longer (half a minute for a large journal);
    a journal of the current version just says it is unlocking."""
    import shutil

    fixture = REPO / "tests" / "fixtures" / "stores" / "schema-0008"
    path = data_dir / "older" / "journal.db"
    path.parent.mkdir()
    shutil.copy2(fixture / "journal.db", path)
    shutil.copy2(fixture / "journal.db.keys", str(path) + ".keys")
    older = open_window(path, unlock_now=False)
    unlock(qtbot, older, passphrase="fixture passphrase")
    assert older.unlock_form.error.text().startswith("Updating this journal for the new version of Mediator Log.")
    assert older.unlock_form.error.styleSheet() == "", "progress, not a problem: not in red"
    assert list((path.parent / "backups").glob("journal-schema0008-*.db"))
    assert "fixture consultation note" in journal_notes(older)

    current = open_window()
    assert current.unlock_form.error.text() == "Unlocking…"


def test_after_wrong_passphrases_the_unlock_page_says_why_it_waits(qtbot, open_window, data_dir):
    """After several wrong tries each unlock waits (up to 30 s, across restarts): the page says
    so, or a mediator in a hurry takes the program for hung."""
    from app.paths import user_state_dir
    from app.store.throttle import FREE_TRIES, UnlockThrottle

    window = open_window(unlock_now=False)
    throttle = UnlockThrottle(user_state_dir(), window.store_path)
    for _ in range(FREE_TRIES + 1):
        throttle.record_failure()
    window.unlock_form.passphrase.setText(GUI_PASSPHRASE)
    window.try_unlock()
    assert window.unlock_form.error.text() == (
        "Unlocking… This takes 2 seconds longer because of earlier wrong passphrases.")
    qtbot.waitUntil(lambda: window.journal is not None, timeout=15_000)
    assert throttle.failures() == 0  # the right passphrase clears the count


def test_a_full_disk_while_an_older_journal_is_updated_is_said_in_plain_words(qtbot, open_window, data_dir,
                                                                              monkeypatch):
    """Updating an older journal needs room for a backup and a re-encrypted copy (0013). When the
    disk is full the unlock page says so in red, the journal stays as it was, and the next try works."""
    import errno
    import shutil

    from app.store import migrate

    fixture = REPO / "tests" / "fixtures" / "stores" / "schema-0012"
    path = data_dir / "older" / "journal.db"
    path.parent.mkdir()
    shutil.copy2(fixture / "journal.db", path)
    shutil.copy2(fixture / "journal.db.keys", str(path) + ".keys")

    def no_space(*_args):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(migrate.os, "replace", no_space)
    older = open_window(path, unlock_now=False)
    field = older.unlock_form.passphrase
    qtbot.waitUntil(field.isEnabled)
    qtbot.keyClicks(field, "fixture passphrase")
    qtbot.keyClick(field, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: "disk space" in older.unlock_form.error.text(), timeout=20_000)
    assert older.unlock_form.error.text() == (
        "The journal could not be written (No space left on device). Check free disk space and try again.")
    assert older.unlock_form.error.styleSheet() != "", "a problem: in red"
    assert older.journal is None and field.isEnabled()
    assert path.read_bytes() == (fixture / "journal.db").read_bytes()

    monkeypatch.undo()
    field.clear()
    unlock(qtbot, older, passphrase="fixture passphrase")
    assert "fixture consultation note" in journal_notes(older)
