"""Two programs on one journal at once (found in a walk-through, 2026-11-22): a nightly
`sync import` or `sync export`, or a command of IT's, while the desktop client is open. A second
process holds the journal's write lock until the test lets go (deterministic, unlike a long
import). Nothing typed is lost, nothing is written on a record the user did not see, and every
refusal says in the user's language that the journal is busy and to try again."""

from __future__ import annotations

import json
import threading

from gui_fixtures import *  # noqa: F403 (fixtures: open_window, ...)
from gui_fixtures import GUI_PASSPHRASE, make_store, type_text, unlock
from helpers.factories import consultation
from helpers.other_process import cli, other_process_holds_journal
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox
from test_gui_sync import IMPORT_TIMEOUT_MS, _open, click, import_with_gui, lead_view, make_team, notes_conflict, \
    wait_idle

from app.domain.entries import CONSULTATION, Client


def new_entry_naming_a_client(window):
    """A registered client, CL-ION-7, and a new consultation open in the window (its form)."""
    window.journal.save_client(Client(code="CL-ION-7", name="Ion Popescu"))
    window.refresh_clients()
    window.new_entry(CONSULTATION)
    return window.current_form


def test_text_typed_before_a_lock_survives_a_journal_busy_in_another_process(qtbot, open_window, data_dir, tmp_path):
    window = open_window()
    qtbot.keyClick(window, Qt.Key.Key_1, Qt.KeyboardModifier.ControlModifier)  # new consultation
    form = window.forms[CONSULTATION]
    with other_process_holds_journal(data_dir / "journal.db", GUI_PASSPHRASE, tmp_path / "signals"):
        type_text(form.ui.notes, "Frau K. braucht Hilfe beim Wohngeldantrag")
        window.draft_timer.stop()  # the user presses Ctrl+L at once (or the idle lock comes)
        qtbot.keyClick(window, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)
        assert window.journal is None  # locked
    # the import is done; the user comes back and unlocks
    unlock(qtbot, window)
    form = window.current_form
    assert form is not None, "the half-typed entry is not brought back after unlocking"
    assert form.ui.notes.toPlainText() == "Frau K. braucht Hilfe beim Wohngeldantrag"


def test_resolving_a_conflict_while_the_journal_is_busy_says_so(qtbot, data_dir, open_window, monkeypatch, tmp_path):
    from app.ui import conflict_view

    entry_id = notes_conflict(data_dir, "Lead: appointment moved to Friday", "Ana: brought the rent contract")
    window = open_window()
    view = lead_view(window)
    import_with_gui(qtbot, window)
    panel = view.conflicts
    view.ui.sections.setCurrentWidget(view.ui.conflicts_tab)
    assert panel.ui.conflicts_list.rowCount() == 1
    said = []
    monkeypatch.setattr(conflict_view.QMessageBox, "warning",
                        lambda *args: said.append(args[2]) or QMessageBox.StandardButton.Ok)
    with other_process_holds_journal(data_dir / "journal.db", GUI_PASSPHRASE, tmp_path / "signals"):
        with qtbot.captureExceptions() as raised:
            click(qtbot, panel.ui.take_loser)
    assert not raised, f"unhandled in the conflict view: {raised[0][1]!r}"
    assert said and "busy" in said[0], said
    assert panel.ui.conflicts_list.rowCount() == 1  # still there, to take again in a moment
    assert window.journal.get_entry(entry_id).notes == "Ana: brought the rent contract"


def test_deleting_an_entry_while_the_journal_is_busy_says_so(qtbot, data_dir, open_window, tmp_path):
    store = make_store(data_dir / "journal.db", entries=[consultation(notes="Zu löschen")])
    window = open_window(store)
    window.ui.journal_view.selectRow(0)
    assert window.selected_entry_id()
    with other_process_holds_journal(store, GUI_PASSPHRASE, tmp_path / "signals"):
        with qtbot.captureExceptions() as raised:
            qtbot.keyClick(window.ui.journal_view, Qt.Key.Key_Delete)
    assert not raised, f"unhandled on Delete: {raised[0][1]!r}"
    assert "busy" in window.ui.statusbar.currentMessage(), window.ui.statusbar.currentMessage()


def _edit(journal, entry_id: str, notes: str) -> None:
    entry = journal.get_entry(entry_id)
    entry.notes = notes
    journal.save_entry(entry)


def test_a_choice_on_a_conflict_resolved_elsewhere_never_lands_on_another_record(qtbot, data_dir, open_window,
                                                                                 monkeypatch):
    from app.services.sync import SyncService

    team = make_team(data_dir, data_dir / "journal.db", names=("laptop-ana",), entries=2)
    folder = team["folder"]
    first, second = team["devices"]["laptop-ana"]["ids"]
    ana_path = team["devices"]["laptop-ana"]["path"]
    lead = _open(team["lead"])
    SyncService(lead).import_paths([folder])
    _edit(lead, first, "Lead: appointment moved to Friday")
    lead.close()
    ana = _open(ana_path)
    _edit(ana, first, "Ana: brought the rent contract")
    SyncService(ana).export_bundles(folder)
    ana.close()

    window = open_window()
    view = lead_view(window)
    import_with_gui(qtbot, window)
    panel = view.conflicts
    view.ui.sections.setCurrentWidget(view.ui.conflicts_tab)
    [shown] = panel.conflicts
    assert shown.record_id == first

    # While the window shows it: the lead's script resolves it, and the nightly job imports a
    # bundle in which the second entry was edited on both sides.
    _edit(window.journal, second, "Lead: school meeting on Monday")
    ana = _open(ana_path)
    _edit(ana, second, "Ana: family prefers Tuesday")
    SyncService(ana).export_bundles(folder)
    ana.close()
    done = cli("conflicts", "--store", str(team["lead"]), "--resolve", str(shown.id), "--choice", "keep",
               passphrase=GUI_PASSPHRASE)
    assert done.returncode == 0, done.stderr
    imported = cli("sync", "import", "--store", str(team["lead"]), str(folder), passphrase=GUI_PASSPHRASE)
    assert imported.returncode == 0, imported.stderr
    assert [c.record_id for c in SyncService(window.journal).list_conflicts()] == [second]

    # The lead, still looking at the first entry's conflict, writes a merged value for it.
    monkeypatch.setattr(QMessageBox, "warning", lambda *args: QMessageBox.StandardButton.Ok)
    assert panel.selected().record_id == first
    panel.ui.edit_value.setPlainText("Friday, with the rent contract")
    click(qtbot, panel.ui.save_edit)

    assert window.journal.get_entry(second).notes != "Friday, with the rent contract", \
        "the value typed for the first entry's conflict was written into the second entry"
    assert [c.record_id for c in SyncService(window.journal).list_conflicts()] == [second], \
        "the unseen conflict of the second entry was resolved without the lead seeing it"


def test_a_person_erased_on_the_command_line_is_not_written_back_by_the_open_form(qtbot, open_window, data_dir,
                                                                                  monkeypatch):
    from app.ui import main_window

    asked = []
    monkeypatch.setattr(main_window, "confirm", lambda *args: asked.append(args[1]) or True)
    window = open_window()
    journal = window.journal
    form = new_entry_naming_a_client(window)
    form.ui.clients.setText("CL-ION-7")
    type_text(form.ui.notes, "Herr Popescu rief an")
    qtbot.waitUntil(lambda: journal.draft_keys() == ["new:consultation"], timeout=5000)  # the draft timer

    erased = cli("erase-client", "--store", str(data_dir / "journal.db"), "--code", "CL-ION-7", "--yes",
                 passphrase=GUI_PASSPHRASE)
    assert erased.returncode == 0, erased.stderr
    assert journal.draft_keys() == []  # the erasure took the draft naming the code

    type_text(form.ui.notes, ", Schulden bei der Stadtkasse")  # the user keeps typing
    qtbot.wait(1500)  # the draft timer (600 ms) fires
    drafts = [json.dumps(journal.load_draft(k), ensure_ascii=False) for k in journal.draft_keys()]
    assert not [d for d in drafts if "CL-ION-7" in d or "Popescu" in d], \
        f"the desktop wrote a draft about the erased person back: {drafts}"

    window.save_entry()
    assert asked == [], f"asked {asked!r}: offered to register the erased person again"
    assert journal.client_by_code("CL-ION-7") is None
    assert window.current_form is None and "names a person erased" in window.ui.statusbar.currentMessage()


def test_a_failed_sync_export_leaves_no_bundle_behind(qtbot, open_window, tmp_path):
    team = make_team(tmp_path / "team", tmp_path / "team" / "lead.db")
    ana = team["devices"]["laptop-ana"]["path"]
    window = open_window(ana)
    window.journal.save_entry(consultation(notes="nach dem letzten Sync"))
    before = {p.name for p in team["folder"].iterdir()}
    with other_process_holds_journal(ana, GUI_PASSPHRASE, tmp_path / "signals"):
        run = cli("sync", "export", "--store", str(ana), passphrase=GUI_PASSPHRASE)
    written = sorted({p.name for p in team["folder"].iterdir()} - before)
    assert run.returncode == 1 and len(run.stderr.splitlines()) == 1, (run.returncode, run.stderr)
    assert written == [], f"the command said it failed, yet wrote {written} to the sync folder"


def test_sync_import_says_the_journal_is_busy_in_the_users_language(qtbot, data_dir, open_window):
    team = make_team(data_dir, data_dir / "journal.db")
    window = open_window()
    view = lead_view(window)
    wait_idle(qtbot, window)
    gate, held = threading.Event(), threading.Event()
    # The desktop's import holds the journal after its first bundle until the command has run.
    view.progress.changed.connect(lambda done, total: (held.set(), gate.wait(60)), Qt.ConnectionType.DirectConnection)
    click(qtbot, view.ui.import_button)
    try:
        assert held.wait(20)
        run = cli("--lang", "de", "sync", "import", "--store", str(team["lead"]), str(team["folder"]),
                  passphrase=GUI_PASSPHRASE)
    finally:
        gate.set()
        qtbot.waitUntil(lambda: not view.importing, timeout=IMPORT_TIMEOUT_MS)
        wait_idle(qtbot, window)
    lines = run.stderr.splitlines()
    assert run.returncode == 1 and len(lines) == 1, (run.returncode, run.stderr)
    assert "database is locked" not in lines[0], lines[0]
    # what `conflicts --resolve`, `demo`, `passwd` ... say in the same situation:
    assert "von einem anderen Programm benutzt" in lines[0] and "noch einmal" in lines[0], lines[0]


def test_import_in_the_sync_view_says_the_journal_is_busy(qtbot, data_dir, open_window, tmp_path):
    team = make_team(data_dir, data_dir / "journal.db")
    window = open_window()
    view = lead_view(window)
    wait_idle(qtbot, window)
    with other_process_holds_journal(team["lead"], GUI_PASSPHRASE, tmp_path / "signals"):
        import_with_gui(qtbot, window)
    message = view.ui.message.text()
    assert "unexpectedly" not in message and "busy" in message, message


def test_replies_in_the_sync_view_do_not_blame_the_sync_folder_when_the_journal_is_busy(qtbot, data_dir, open_window,
                                                                                       tmp_path):
    team = make_team(data_dir, data_dir / "journal.db")
    window = open_window()
    view = lead_view(window)
    import_with_gui(qtbot, window)  # replies are due for both workstations
    with other_process_holds_journal(team["lead"], GUI_PASSPHRASE, tmp_path / "signals"):
        view.write_replies()
        wait_idle(qtbot, window)
    message = view.ui.message.text()
    assert "busy" in message, message
    assert "USB stick" not in message and "sync folder could not be read" not in message, message


def test_quitting_while_the_journal_is_busy_asks_before_the_typed_entry_is_lost(qtbot, open_window, data_dir,
                                                                               tmp_path, monkeypatch):
    from app.ui import main_window

    window = open_window()
    qtbot.keyClick(window, Qt.Key.Key_1, Qt.KeyboardModifier.ControlModifier)
    form = window.forms[CONSULTATION]
    asked = []
    monkeypatch.setattr(main_window, "confirm", lambda parent, title, text: asked.append(text) or False)
    with other_process_holds_journal(data_dir / "journal.db", GUI_PASSPHRASE, tmp_path / "signals"):
        type_text(form.ui.notes, "Termin beim Sozialamt am Dienstag")
        window.draft_timer.stop()
        window.close()  # answered No: the window stays, with what was typed
        assert asked and "could not be kept" in asked[0]
        assert window.journal is not None and form.ui.notes.toPlainText() == "Termin beim Sozialamt am Dienstag"
    window.close()  # the journal is free again: the draft is kept, nothing asked
    assert len(asked) == 1 and window.journal is None
    again = open_window()
    assert again.current_form is not None
    assert again.current_form.ui.notes.toPlainText() == "Termin beim Sozialamt am Dienstag"


def test_held_draft_of_an_erased_person_is_not_written_back_at_unlock(qtbot, open_window, data_dir, tmp_path):
    window = open_window()
    form = new_entry_naming_a_client(window)
    with other_process_holds_journal(data_dir / "journal.db", GUI_PASSPHRASE, tmp_path / "signals"):
        form.ui.clients.setText("CL-ION-7")
        type_text(form.ui.notes, "Herr Popescu: Schulden bei der Stadtkasse")
        window.draft_timer.stop()
        qtbot.keyClick(window, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)
        assert window.journal is None
        assert window._unwritten_draft is not None  # held in memory over the lock
    erased = cli("erase-client", "--store", str(data_dir / "journal.db"), "--code", "CL-ION-7", "--yes",
                 passphrase=GUI_PASSPHRASE)
    assert erased.returncode == 0, erased.stderr
    unlock(qtbot, window)
    journal = window.journal
    drafts = [json.dumps(journal.load_draft(k), ensure_ascii=False) for k in journal.draft_keys()]
    shown = window.current_form.ui.notes.toPlainText() if window.current_form is not None else ""
    assert not [d for d in drafts if "CL-ION-7" in d or "Popescu" in d], \
        f"a draft about the person erased meanwhile was written back at unlock: {drafts}"
    assert "Popescu" not in shown
