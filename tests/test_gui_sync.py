"""The sync screens (issue 5): the team lead's sync view and a mediator's status bar and
"Sync now", on real SQLCipher stores and real bundles made by the sync core."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from PySide6.QtCore import QRect, Qt
from PySide6.QtWidgets import QStyle, QStyleOptionHeader

from gui_fixtures import *  # noqa: F403 (fixtures: open_window, gui_settings)
from gui_fixtures import GUI_FAST_KDF, GUI_PASSPHRASE, combo_codes, make_store, select_combo, type_text, unlock, widget_texts
from helpers.factories import consultation

IMPORT_TIMEOUT_MS = 20_000


# -- a team on disk ------------------------------------------------------------------------

def _open(path: Path):
    from app.services.stores import open_store

    return open_store(path, GUI_PASSPHRASE)


def make_team(root: Path, lead_path: Path, names=("laptop-ana", "laptop-ivo"), *, entries: int = 1,
              lead_folder: bool = True, export: bool = True) -> dict:
    """A lead store at `lead_path`, enrolled workstations with `entries` consultations each,
    and their first bundles in root/sync. Everything closed again."""
    from app.services.provision import create_store_from_profile
    from app.services.sync import SyncService
    from app.services.sync_client import set_sync_folder

    folder = root / "sync"
    folder.mkdir(parents=True, exist_ok=True)
    make_store(lead_path, role="lead")
    lead = _open(lead_path)
    service = SyncService(lead)
    if lead_folder:
        set_sync_folder(lead, folder)
    devices = {}
    for name in names:
        profile = service.provision(name, root / f"{name}.mlprofile", user=name.title(), sync_dir=str(folder))
        device = create_store_from_profile(root / f"{name}.db", GUI_PASSPHRASE, profile.read_bytes(), kdf=GUI_FAST_KDF)
        ids = [device.save_entry(consultation(notes=f"{name} note {i}")).id for i in range(entries)]
        if export:
            SyncService(device).export_bundles(folder)
        device.close()
        devices[name] = {"path": root / f"{name}.db", "ids": ids}
    lead.close()
    return {"folder": folder, "lead": lead_path, "devices": devices}


def lead_view(window):
    view = window.sync_ui.view
    assert view is not None, "a lead's window has the sync view"
    return view


def wait_idle(qtbot, window) -> None:
    qtbot.waitUntil(lambda: window.sync_ui.jobs == 0, timeout=IMPORT_TIMEOUT_MS)


def click(qtbot, button) -> None:
    assert button.isEnabled(), button.objectName()
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def table_rows(table) -> list[list[str]]:
    return [[table.item(r, c).text() if table.item(r, c) else "" for c in range(table.columnCount())]
            for r in range(table.rowCount())]


def device_row(view, name: str) -> dict[str, str]:
    table = view.ui.devices_view
    headers = [table.horizontalHeaderItem(c).text() for c in range(table.columnCount())]
    for row in table_rows(table):
        if row[0] == name:
            return dict(zip(headers, row))
    raise AssertionError(f"{name} is not listed")


def import_with_gui(qtbot, window) -> None:
    view = lead_view(window)
    wait_idle(qtbot, window)
    click(qtbot, view.ui.import_button)
    qtbot.waitUntil(lambda: not view.importing, timeout=IMPORT_TIMEOUT_MS)
    wait_idle(qtbot, window)


def store_content(path: Path) -> dict:
    """What the lead's journal holds, for before/after comparisons."""
    journal = _open(path)
    try:
        with journal.engine.connect() as conn:
            return {
                table: conn.exec_driver_sql(f"SELECT * FROM {table} ORDER BY 1").fetchall()
                for table in ("entries", "clients", "sync_peers", "sync_bundles", "sync_conflicts", "sync_clock")
            }
    finally:
        journal.close()


# -- team lead -------------------------------------------------------------------------------

def test_lead_imports_two_device_bundles_asks_for_the_folder_once_and_sees_devices_and_counts(
        qtbot, data_dir, open_window, monkeypatch):
    from app.ui import sync_view

    team = make_team(data_dir, data_dir / "journal.db", entries=2, lead_folder=False)
    asked = []
    monkeypatch.setattr(sync_view, "ask_folder", lambda *a: asked.append(a) or str(team["folder"]))
    window = open_window()
    view = lead_view(window)
    window.sync_ui.act_sync_view.trigger()  # Sync > Sync view (Ctrl+Shift+S)
    assert window.ui.tabs.currentWidget() is view
    wait_idle(qtbot, window)
    assert view.ui.folder_path.text() == "not chosen yet"

    import_with_gui(qtbot, window)
    assert len(asked) == 1
    assert "Imported 2 bundles" in view.ui.message.text()
    assert [row[-1] for row in table_rows(view.ui.waiting_view)] == ["imported", "imported"]
    for name in team["devices"]:
        row = device_row(view, name)
        assert row["State"] == "enrolled"
        assert row["Last bundle"] == "No. 1"
        assert int(row["Received"]) > 0 and row["Received"] == row["Changed here"]
        assert row["New, waiting"] == "0" and row["Gaps"] == "none"
    assert window.model.rowCount() == 4  # the journal shows the merged entries at once
    assert "0 open conflicts" in window.sync_ui.status_label.text()
    # The merge only noted its entries for the reporting tables; the view wrote their rows in the
    # background, so the dashboard opened next has nothing to catch up.
    wait_idle(qtbot, window)
    with window.journal.engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM report_stale").scalar() == 0
        assert conn.exec_driver_sql("SELECT count(*) FROM report_facts").scalar() == 4

    import_with_gui(qtbot, window)  # the folder is remembered (in the journal, not in Qt settings)
    assert len(asked) == 1
    assert "No new bundles" in view.ui.message.text()
    assert str(team["folder"]) not in (data_dir / "settings.ini").read_text(errors="replace") \
        if (data_dir / "settings.ini").exists() else True


def test_an_import_on_the_command_line_shows_in_the_sync_view(qtbot, data_dir, open_window):
    """IT may import the folder with `sync import` (say, every night); the lead's sync view then
    shows what those bundles brought, as after an import it made itself."""
    import subprocess

    from helpers.factories import PYTHON, subprocess_env

    team = make_team(data_dir, data_dir / "journal.db", entries=3)
    done = subprocess.run([PYTHON, "-m", "app", "sync", "import", "--store", str(team["lead"]), str(team["folder"])],
                          capture_output=True, text=True, timeout=120,
                          env=subprocess_env(data_dir, MEDIATORLOG_PASSPHRASE=GUI_PASSPHRASE))
    assert done.returncode == 0, done.stderr
    window = open_window()
    view = lead_view(window)
    window.sync_ui.act_sync_view.trigger()
    wait_idle(qtbot, window)
    for name in team["devices"]:
        row = device_row(view, name)
        assert row["Last bundle"] == "No. 1"
        # three consultations of 33 fields each, all of them new here
        assert row["Received"] == row["Changed here"] == "99" and row["Conflicts"] == "0"


def test_the_replies_button_writes_a_bundle_for_each_workstation(qtbot, data_dir, open_window):
    """The button on the sync view, clicked as a lead would (not only Sync now)."""
    team = make_team(data_dir, data_dir / "journal.db")
    window = open_window()
    view = lead_view(window)
    import_with_gui(qtbot, window)
    before = set(team["folder"].iterdir())
    click(qtbot, view.ui.export_button)
    wait_idle(qtbot, window)
    written = sorted(p.name for p in set(team["folder"].iterdir()) - before)
    assert len(written) == 2, written  # the acknowledgements of both workstations' first bundles
    assert "Wrote 2 bundles for: laptop-ana, laptop-ivo" in view.ui.message.text()


def test_first_bundles_waiting_are_listed_under_the_workstations_names(qtbot, data_dir, open_window):
    """Before the import, a new workstation's first bundle showed 'From: new workstation' and its
    row 'New, waiting 0' although its bundle was waiting."""
    make_team(data_dir, data_dir / "journal.db", entries=2)
    window = open_window()
    view = lead_view(window)
    wait_idle(qtbot, window)
    assert sorted(row[1] for row in table_rows(view.ui.waiting_view)) == ["laptop-ana", "laptop-ivo"]
    for name in ("laptop-ana", "laptop-ivo"):
        assert int(device_row(view, name)["New, waiting"]) > 0


def test_an_altered_bundle_is_listed_with_its_reason_and_the_others_import(qtbot, data_dir, open_window):
    team = make_team(data_dir, data_dir / "journal.db")
    bundle = sorted(team["folder"].glob("*.mlsync"))[0]
    data = bytearray(bundle.read_bytes())
    data[len(data) // 2] ^= 0x01
    bundle.write_bytes(bytes(data))
    window = open_window()
    view = lead_view(window)
    import_with_gui(qtbot, window)
    rows = table_rows(view.ui.rejected_view)
    assert len(rows) == 1 and rows[0][0] == bundle.name
    assert "was changed after it was signed" in rows[0][1] and "export again" in rows[0][1]
    assert view.ui.rejected_label.text() == "1 refused bundle"
    assert "Imported 1 bundle" in view.ui.message.text()
    states = {row[0]: row[-1] for row in table_rows(view.ui.waiting_view)}
    assert states[bundle.name] == "refused"


def test_cancel_mid_import_leaves_the_store_unchanged(qtbot, data_dir, open_window):
    team = make_team(data_dir, data_dir / "journal.db")
    before = store_content(team["lead"])
    window = open_window()
    view = lead_view(window)
    wait_idle(qtbot, window)
    gate = threading.Event()
    # Hold the worker after the first bundle until the user has pressed Cancel.
    view.progress.changed.connect(lambda done, total: gate.wait(10), Qt.ConnectionType.DirectConnection)
    click(qtbot, view.ui.import_button)
    qtbot.waitUntil(lambda: view.ui.progress.value() >= 1, timeout=IMPORT_TIMEOUT_MS)
    assert view.ui.progress.maximum() == 2
    click(qtbot, view.ui.cancel)
    gate.set()
    qtbot.waitUntil(lambda: not view.importing, timeout=IMPORT_TIMEOUT_MS)
    wait_idle(qtbot, window)
    assert view.ui.message.text() == "Import cancelled: the journal is as it was before."
    assert window.model.rowCount() == 0
    assert {device_row(view, n)["State"] for n in team["devices"]} == {"waiting for its first bundle"}
    window.lock()
    assert store_content(team["lead"]) == before


def notes_conflict(data_dir: Path, lead_notes: str, device_notes: str) -> str:
    """A team whose lead and laptop-ana both edited the notes of one entry (the laptop's edit
    later); the laptop's bundle waits in the sync folder. Returns the entry's id."""
    from app.services.sync import SyncService

    team = make_team(data_dir, data_dir / "journal.db", names=("laptop-ana",))
    folder, entry_id = team["folder"], team["devices"]["laptop-ana"]["ids"][0]

    def edit(journal, notes: str) -> None:
        entry = journal.get_entry(entry_id)
        entry.notes = notes
        journal.save_entry(entry)

    lead = _open(team["lead"])
    SyncService(lead).import_paths([folder])
    edit(lead, lead_notes)
    lead.close()
    device = _open(team["devices"]["laptop-ana"]["path"])
    edit(device, device_notes)
    SyncService(device).export_bundles(folder)
    device.close()
    return entry_id


def test_resolving_a_conflict_side_by_side(qtbot, data_dir, open_window):
    from app.services.sync import SyncService

    entry_id = notes_conflict(data_dir, "Lead: appointment moved to Friday", "Ana: brought the rent contract")
    window = open_window()
    view = lead_view(window)
    import_with_gui(qtbot, window)
    assert "1 new conflict to review" in view.ui.message.text()
    panel = view.conflicts
    view.ui.sections.setCurrentWidget(view.ui.conflicts_tab)
    assert panel.ui.conflicts_list.rowCount() == 1
    # The later edit (Ana's) is current; the lead's earlier one lost and waits beside it.
    assert panel.ui.current_value.toPlainText() == "Ana: brought the rent contract"
    assert panel.ui.loser_value.toPlainText() == "Lead: appointment moved to Friday"
    assert panel.ui.current_who.text().startswith("From laptop-ana, ")
    assert panel.ui.loser_who.text().startswith("From team lead, ")
    assert panel.ui.conflicts_list.item(0, 1).text() == "Notes"

    window.lock()  # nothing of the record stays on screen while locked
    assert not any("rent contract" in text for text in widget_texts(view))
    unlock(qtbot, window)
    wait_idle(qtbot, window)
    assert panel.ui.current_value.toPlainText() == "Ana: brought the rent contract"

    click(qtbot, panel.ui.take_loser)
    assert panel.ui.conflicts_list.rowCount() == 0
    assert window.journal.get_entry(entry_id).notes == "Lead: appointment moved to Friday"
    assert SyncService(window.journal).list_conflicts() == []
    assert view.ui.sections.tabText(2) == "C&onflicts (0)"


def conflict_on_screen(qtbot, data_dir, open_window, lead_notes: str, device_notes: str):
    """The lead's window after importing a notes conflict: (entry id, window, sync view, conflict panel)."""
    entry_id = notes_conflict(data_dir, lead_notes, device_notes)
    window = open_window()
    view = lead_view(window)
    import_with_gui(qtbot, window)
    return entry_id, window, view, view.conflicts


def test_writing_a_new_value_resolves_a_conflict(qtbot, data_dir, open_window):
    entry_id, window, _view, panel = conflict_on_screen(qtbot, data_dir, open_window, "one", "two")
    panel.ui.edit_value.setPlainText("one and two")
    click(qtbot, panel.ui.save_edit)
    assert window.journal.get_entry(entry_id).notes == "one and two"
    assert panel.ui.conflicts_list.rowCount() == 0


def test_a_new_value_being_typed_survives_a_refresh_and_a_refused_resolve(qtbot, data_dir, open_window, monkeypatch):
    from app.ui import conflict_view

    entry_id, window, view, panel = conflict_on_screen(qtbot, data_dir, open_window, "one", "two")
    panel.ui.edit_value.setPlainText("one and two, merged by hand")
    view.refresh()  # Check again; an import does the same
    wait_idle(qtbot, window)
    panel.load()
    assert panel.ui.edit_value.toPlainText() == "one and two, merged by hand"

    warnings = []
    monkeypatch.setattr(conflict_view.QMessageBox, "warning", lambda *args: warnings.append(args[2]))
    panel.ui.edit_value.setPlainText("x" * 20_001)  # longer than a note may be
    click(qtbot, panel.ui.save_edit)
    assert warnings and "too long" in warnings[0]
    assert panel.ui.edit_value.toPlainText() == "x" * 20_001
    assert window.journal.get_entry(entry_id).notes == "two"
    assert panel.ui.conflicts_list.rowCount() == 1


def test_restoring_an_entry_deleted_elsewhere_says_first_what_comes_back(qtbot, data_dir, open_window, monkeypatch):
    from app.services.sync import SyncService
    from app.ui import conflict_view

    team = make_team(data_dir, data_dir / "journal.db", names=("laptop-ana",))
    folder, entry_id = team["folder"], team["devices"]["laptop-ana"]["ids"][0]
    lead = _open(team["lead"])
    SyncService(lead).import_paths([folder])
    entry = lead.get_entry(entry_id)
    entry.notes = "Ergänzung der Leitung"
    lead.save_entry(entry)
    lead.close()
    device = _open(team["devices"]["laptop-ana"]["path"])
    device.delete_entry(entry_id)
    SyncService(device).export_bundles(folder)
    device.close()

    window = open_window()
    view = lead_view(window)
    import_with_gui(qtbot, window)
    panel = view.conflicts
    assert panel.ui.take_loser.text() == "&Restore with this value"
    assert panel.ui.conflicts_list.item(0, 0).text() == "Consultation (deleted)"  # not just "Entry (deleted)"
    asked, warned = [], []
    monkeypatch.setattr(conflict_view, "confirm_restore", lambda _parent: asked.append(1) or len(asked) > 1)
    monkeypatch.setattr(conflict_view.QMessageBox, "warning", lambda *args: warned.append(args[2]))
    click(qtbot, panel.ui.take_loser)  # No: the deletion stands, the conflict stays open
    assert window.journal.get_entry(entry_id) is None and panel.ui.conflicts_list.rowCount() == 1
    click(qtbot, panel.ui.take_loser)  # Yes, but only the note lost: the date is gone with the deletion
    assert warned and "without its date" in warned[0]
    assert window.journal.get_entry(entry_id) is None and panel.ui.conflicts_list.rowCount() == 1
    assert len(asked) == 2


def test_revoke_asks_and_then_refuses_that_devices_next_bundle(qtbot, data_dir, open_window, monkeypatch):
    from app.services.sync import SyncService
    from app.ui import sync_view

    team = make_team(data_dir, data_dir / "journal.db")
    window = open_window()
    view = lead_view(window)
    import_with_gui(qtbot, window)
    questions = []
    answers = iter([False, True])
    monkeypatch.setattr(sync_view, "confirm", lambda parent, title, text: questions.append(text) or next(answers))
    names = [row[0] for row in table_rows(view.ui.devices_view)]
    view.ui.devices_view.selectRow(names.index("laptop-ivo"))
    click(qtbot, view.ui.revoke)  # answered No: nothing happens
    assert device_row(view, "laptop-ivo")["State"] == "enrolled"
    click(qtbot, view.ui.revoke)
    wait_idle(qtbot, window)
    assert len(questions) == 2 and "laptop-ivo" in questions[1] and "No. 1" in questions[1]
    assert device_row(view, "laptop-ivo")["State"] == "revoked"
    assert device_row(view, "laptop-ana")["State"] == "enrolled"
    assert not view.ui.revoke.isEnabled() or view.selected_device().name != "laptop-ivo"

    device = _open(team["devices"]["laptop-ivo"]["path"])
    device.save_entry(consultation(notes="after the laptop was lost"))
    SyncService(device).export_bundles(team["folder"])
    device.close()
    import_with_gui(qtbot, window)
    refused = dict(table_rows(view.ui.rejected_view))
    newest = max(team["folder"].glob("ml-*-000002-*.mlsync")).name
    assert "revoked workstation" in refused[newest]
    assert list(refused) == [newest], "bundle No. 1, imported before the revocation, is not news"
    assert not any(e.notes == "after the laptop was lost" for e in window.journal.all_entries())


def test_enrolling_a_workstation_writes_a_profile_where_the_lead_chose(qtbot, data_dir, open_window, monkeypatch):
    from app.services.provision import read_profile
    from app.ui import sync_view

    make_store(data_dir / "journal.db", role="lead")
    window = open_window()
    view = lead_view(window)
    wait_idle(qtbot, window)
    out = data_dir / "out" / "laptop-5.mlprofile"
    out.parent.mkdir()
    monkeypatch.setattr(sync_view, "ask_save_path", lambda parent, title, suggested: str(out))

    def fill_and_accept():
        dialog = next(w for w in window.findChildren(sync_view.EnrollDialog) if w.isVisible())
        dialog.ui.workstation.setText("laptop-5")
        dialog.ui.user.setText("Mira")
        dialog.ui.language.setCurrentIndex(dialog.ui.language.findData("bg"))
        dialog.ui.buttons.accepted.emit()

    from PySide6.QtCore import QTimer

    QTimer.singleShot(0, fill_and_accept)
    click(qtbot, view.ui.enroll)
    wait_idle(qtbot, window)
    profile = read_profile(out.read_bytes())
    assert (profile.workstation, profile.user, profile.language) == ("laptop-5", "Mira", "bg")
    assert device_row(view, "laptop-5")["State"] == "waiting for its first bundle"


# -- mediator ----------------------------------------------------------------------------------

def test_mediator_status_bar_shows_unsynced_changes_and_sync_now_writes_a_bundle(qtbot, data_dir, open_window):
    from app.services.sync import SyncService

    team = make_team(data_dir, data_dir / "lead.db", names=("laptop-ana",), entries=0, export=False)
    folder = team["folder"]
    device_path = team["devices"]["laptop-ana"]["path"]
    device = _open(device_path)
    for i in range(3):
        device.save_entry(consultation(notes=f"visit {i}"))
    device.close()

    window = open_window(device_path)
    sync = window.sync_ui
    assert sync.view is None  # the lead's view is not a mediator's
    assert sync.status_label.text() == "3 changes not yet synced · never synced"
    window.new_entry("consultation")
    window.current_form.load(consultation(notes="one more"))
    window.save_entry()
    qtbot.waitUntil(lambda: sync.status_label.text().startswith("4 changes not yet synced"))

    qtbot.keyClick(window, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    qtbot.waitUntil(lambda: any(folder.glob("ml-*.mlsync")), timeout=IMPORT_TIMEOUT_MS)
    wait_idle(qtbot, window)
    mine = list(folder.glob("ml-*.mlsync"))
    assert len(mine) == 1
    # The same unit in both places (records, not field versions), and sent is not "not synced".
    assert window.ui.statusbar.currentMessage().startswith("Sync done: 4 changes sent to the team lead")
    assert sync.status_label.text().startswith("4 changes sent, waiting for the team lead · last sync ")
    window.new_entry("consultation")
    window.current_form.load(consultation(notes="after the sync"))
    window.save_entry()
    qtbot.waitUntil(lambda: sync.status_label.text().startswith("5 changes not yet synced"))

    lead = _open(team["lead"])  # the lead imports and replies
    SyncService(lead).import_paths([folder])
    SyncService(lead).export_bundles(folder)
    lead.close()
    sync.act_sync_now.trigger()  # sends the fifth, takes in the lead's reply to the first four
    wait_idle(qtbot, window)
    assert sync.status_label.text().startswith("1 change sent, waiting for the team lead · last sync ")
    lead = _open(team["lead"])
    SyncService(lead).import_paths([folder])
    SyncService(lead).export_bundles(folder)
    lead.close()
    sync.act_sync_now.trigger()
    wait_idle(qtbot, window)
    assert sync.status_label.text().startswith("All changes synced · last sync ")
    window.lock()
    assert sync.status_label.text() == ""
    assert not sync.act_sync_now.isEnabled()


def test_sync_now_tells_the_mediator_what_the_import_has_to_say(qtbot, data_dir, open_window, monkeypatch):
    """An erasure the team lead made reaches the laptop: Sync now says so, not only the lead's view."""
    from app.domain.entries import Client
    from app.services.sync import SyncService
    from app.ui import sync_view

    team = make_team(data_dir, data_dir / "lead.db", names=("laptop-ana",), entries=0, export=False)
    folder, device_path = team["folder"], team["devices"]["laptop-ana"]["path"]
    device = _open(device_path)
    person = device.save_client(Client(code="HA-SYNC-1"))
    device.save_entry(consultation(notes="mit Familie", client_ids=[person.id]))
    SyncService(device).export_bundles(folder)
    device.close()
    lead = _open(team["lead"])
    SyncService(lead).import_paths([folder])
    SyncService(lead).erase_client(person.id)  # a data-protection request reached the team lead
    SyncService(lead).export_bundles(folder)
    lead.close()

    shown = []
    monkeypatch.setattr(sync_view.QMessageBox, "information", lambda _parent, _title, text: shown.append(text))
    window = open_window(device_path)
    window.sync_ui.act_sync_now.trigger()
    qtbot.waitUntil(lambda: bool(shown), timeout=IMPORT_TIMEOUT_MS)
    assert "2 records were erased (a person's data-protection request)." in shown[0]
    assert window.journal.get_client(person.id) is None
    # The erased records count as received (they were counted as 0 for a while).
    assert "Sync done: 2 changes sent to the team lead, 2 changes received." in shown[0], shown[0]


def test_revoking_a_laptop_whose_bundles_wait_unimported_says_they_would_be_refused(
        qtbot, data_dir, open_window, monkeypatch):
    """Revoking is the one action that drops work already written: a lost laptop's bundles from
    before the loss, still in the folder. The question names them and says to import first."""
    from app.services.sync import SyncService
    from app.ui import sync_view

    team = make_team(data_dir, data_dir / "journal.db")
    window = open_window()
    view = lead_view(window)
    import_with_gui(qtbot, window)
    device = _open(team["devices"]["laptop-ivo"]["path"])
    for day in ("Monday", "Tuesday"):
        device.save_entry(consultation(notes=day))
        SyncService(device).export_bundles(team["folder"])
    device.close()
    click(qtbot, view.ui.refresh)
    wait_idle(qtbot, window)
    questions = []
    monkeypatch.setattr(sync_view, "confirm", lambda parent, title, text: questions.append(text) or False)
    names = [row[0] for row in table_rows(view.ui.devices_view)]
    for name in ("laptop-ana", "laptop-ivo"):
        view.ui.devices_view.selectRow(names.index(name))
        click(qtbot, view.ui.revoke)
    assert "wait in the sync folder" not in questions[0]  # nothing of laptop-ana waits
    assert "Its bundles No. 2, 3 wait in the sync folder and have not been imported" in questions[1]
    assert "import them first" in questions[1]
    assert device_row(view, "laptop-ivo")["State"] == "enrolled"  # answered No


@pytest.mark.parametrize("language", ["de", "ro", "bg", "rom"])
def test_sync_view_and_enroll_dialog_show_every_text_whole(qtbot, data_dir, open_window, language):
    """Nothing cut off at the default window size, in every section, after a real import."""
    from test_gui_i18n import cut_texts

    from app.ui.sync_view import EnrollDialog
    from app.ui.translator import apply_language

    team = make_team(data_dir, data_dir / "journal.db", names=("laptop-ana",))
    bundle = next(team["folder"].glob("*.mlsync"))
    (team["folder"] / "copy-damaged.mlsync").write_bytes(bundle.read_bytes()[:200])
    window = open_window()
    view = lead_view(window)
    import_with_gui(qtbot, window)
    window.ui.tabs.setCurrentWidget(view)
    english = (view.ui.message.text(), view.ui.rejected_view.item(0, 1).text())
    assert english[0].startswith("Imported 1 bundle") and "incomplete" in english[1]
    try:
        apply_language(language)
        qtbot.wait(1)
        assert view.ui.import_button.text() != "&Import waiting bundles"
        # What the last import said, and why a bundle was refused, follow the language too.
        assert view.ui.message.text() != english[0]
        assert view.ui.rejected_view.item(0, 1).text() != english[1]
        assert window.ui.tabs.tabText(window.ui.tabs.indexOf(view)) != "S&ync" or language == "rom"
        problems = []
        for section in range(view.ui.sections.count()):
            view.ui.sections.setCurrentIndex(section)
            qtbot.wait(1)
            problems += [f"section {section}: {p}" for p in cut_texts(window)]
        dialog = EnrollDialog(str(team["folder"]), window)
        dialog.show()
        qtbot.waitExposed(dialog)
        qtbot.wait(1)
        problems += [f"enroll: {p}" for p in cut_texts(dialog)]
        dialog.reject()
        assert not problems, "\n".join(problems)
    finally:
        apply_language("en")


def test_locking_during_an_import_stops_it_cleanly_and_clears_the_view(qtbot, data_dir, open_window):
    make_team(data_dir, data_dir / "journal.db")
    window = open_window()
    view = lead_view(window)
    wait_idle(qtbot, window)
    click(qtbot, view.ui.import_button)
    window.lock()  # cancels, waits for the worker, then closes the journal
    assert window.journal is None and not view.importing
    assert view.ui.waiting_view.rowCount() == 0 and view.ui.devices_view.rowCount() == 0
    assert view.ui.message.text() == "" and window.sync_ui.status_label.text() == ""
    qtbot.wait(50)  # a late result of the cancelled run must not fill the view again
    assert view.ui.devices_view.rowCount() == 0
    unlock(qtbot, window)
    wait_idle(qtbot, window)
    states = {row[2] for row in table_rows(view.ui.devices_view)}
    assert states in ({"enrolled"}, {"waiting for its first bundle"})  # all of the run, or none of it


def test_after_resolving_a_conflict_the_next_one_is_selected_and_the_list_keeps_its_room(
        qtbot, data_dir, open_window):
    """With dozens of conflicts, resolving one selected the first row again, so the next key
    press resolved a conflict the lead had not looked at; and at laptop sizes the list showed one
    row, the values below took the rest."""
    from app.services.sync import SyncService

    team = make_team(data_dir, data_dir / "journal.db", names=("laptop-ana",), entries=4)
    folder, ids = team["folder"], team["devices"]["laptop-ana"]["ids"]
    lead = _open(team["lead"])
    SyncService(lead).import_paths([folder])
    for entry_id in ids:
        entry = lead.get_entry(entry_id)
        entry.notes = f"lead {entry_id[-4:]}"
        lead.save_entry(entry)
    lead.close()
    device = _open(team["devices"]["laptop-ana"]["path"])
    for entry_id in ids:
        entry = device.get_entry(entry_id)
        entry.notes = f"ana {entry_id[-4:]}"
        device.save_entry(entry)
    SyncService(device).export_bundles(folder)
    device.close()

    window = open_window()
    window.resize(1280, 720)
    view = lead_view(window)
    import_with_gui(qtbot, window)
    window.ui.tabs.setCurrentWidget(view)
    view.ui.sections.setCurrentWidget(view.ui.conflicts_tab)
    panel = view.conflicts
    table = panel.ui.conflicts_list
    assert table.rowCount() == 4
    qtbot.waitUntil(lambda: sum(panel.ui.splitter.sizes()) > 0
                    and panel.ui.splitter.sizes()[0] >= sum(panel.ui.splitter.sizes()) // 3)

    table.selectRow(1)
    second, third = panel.conflicts[1].id, panel.conflicts[2].id
    click(qtbot, panel.ui.keep_current)
    assert table.rowCount() == 3 and panel.selected().id == third
    assert second not in [c.id for c in SyncService(window.journal).list_conflicts()]
    table.selectRow(2)  # the last row: the one before it moves up into view
    last = panel.conflicts[2].id
    click(qtbot, panel.ui.keep_current)
    assert panel.selected().id == panel.conflicts[1].id and last not in [c.id for c in panel.conflicts]


def test_counts_the_desktop_kept_before_the_upgrade_show_until_the_next_import(qtbot, data_dir, open_window):
    team = make_team(data_dir, data_dir / "journal.db", entries=1)
    lead = _open(team["lead"])
    lead.set_setting("sync.last_import_counts", '{"laptop-ana": {"changes": 7, "applied": 5, "conflicts": 1}}')
    lead.close()
    window = open_window()
    view = lead_view(window)
    window.sync_ui.act_sync_view.trigger()
    wait_idle(qtbot, window)
    row = device_row(view, "laptop-ana")
    assert (row["Received"], row["Changed here"], row["Conflicts"]) == ("7", "5", "1")
    import_with_gui(qtbot, window)
    row = device_row(view, "laptop-ana")
    assert (row["Received"], row["Changed here"], row["Conflicts"]) == ("33", "33", "0")


def workstations_table(qtbot, data_dir, open_window, names):
    """A lead's window showing the workstations table after importing the first bundles of `names`:
    (window, table, header)."""
    make_team(data_dir, data_dir / "journal.db", names=names)
    window = open_window()
    view = lead_view(window)
    window.ui.tabs.setCurrentWidget(view)
    import_with_gui(qtbot, window)
    view.ui.sections.setCurrentWidget(view.ui.devices_tab)
    return window, view.ui.devices_view, view.ui.devices_view.horizontalHeader()


def test_on_a_narrow_window_the_workstations_headers_take_two_lines_to_show_more_columns(
        qtbot, data_dir, open_window):
    """At 1280 x 720 scaled to 150 % (853 x 480) the eleven columns do not fit: headers of two
    words wrap, so that a column is only as wide as its values or its longest header word."""
    window, table, header = workstations_table(qtbot, data_dir, open_window, ("laptop-wehringhausen", "laptop-ivo"))

    def visible_columns() -> int:
        room = table.viewport().width()
        return sum(1 for c in range(header.count()) if header.sectionViewportPosition(c) + header.sectionSize(c) <= room)

    window.resize(1280, 800)
    qtbot.waitUntil(lambda: window.width() == 1280)
    assert visible_columns() == header.count()  # wide enough: one line, nothing wraps
    assert not header.defaultAlignment() & Qt.TextFlag.TextWordWrap
    unwrapped = {c: header.sectionSize(c) for c in range(header.count())}

    window.resize(853, 480)
    qtbot.waitUntil(lambda: window.width() == 853)
    qtbot.waitUntil(lambda: bool(header.defaultAlignment() & Qt.TextFlag.TextWordWrap))
    column = [table.horizontalHeaderItem(c).text() for c in range(header.count())].index("Last bundle")
    assert header.sectionSize(column) < unwrapped[column]
    assert header.height() >= 2 * header.fontMetrics().lineSpacing()  # room for the second line
    for c in range(header.count()):  # no value is cut: each column still holds its widest value
        assert header.sectionSize(c) >= table.sizeHintForColumn(c) or c == header.count() - 1
    assert visible_columns() >= 7

    window.resize(1280, 800)  # back on the docked monitor: one line again
    qtbot.waitUntil(lambda: not header.defaultAlignment() & Qt.TextFlag.TextWordWrap)
    assert visible_columns() == header.count()


# -- what the lead's view counts (found in a walk-through, 2026-11-22) -------------------------

def test_the_conflict_view_names_the_lead_in_the_users_language(qtbot, data_dir, open_window):
    from app.ui.translator import apply_language

    _entry, window, view, panel = conflict_on_screen(qtbot, data_dir, open_window, "Termin verschoben", "Mietvertrag")
    try:
        apply_language("de")
        qtbot.waitUntil(lambda: panel.ui.loser_who.text().startswith("Von Teamleitung, "))
        assert panel.ui.conflicts_list.item(0, 3).text() == "Teamleitung"  # "Lost value from"
    finally:
        apply_language("en")


def test_new_waiting_counts_the_changes_of_cumulative_bundles_once(qtbot, data_dir, open_window):
    """Each bundle carries every change the lead has not acknowledged: a laptop that synced twice
    before the lead's import has two bundles with its first entry in both."""
    from app.services.sync import SyncService

    team = make_team(data_dir, data_dir / "journal.db", names=("laptop-ana",))
    device = _open(team["devices"]["laptop-ana"]["path"])
    device.save_entry(consultation(notes="Tuesday"))
    SyncService(device).export_bundles(team["folder"])
    device.close()
    window = open_window()
    view = lead_view(window)
    wait_idle(qtbot, window)
    waiting = device_row(view, "laptop-ana")["New, waiting"]
    import_with_gui(qtbot, window)
    assert device_row(view, "laptop-ana")["Changed here"] == "66"  # two consultations of 33 fields
    assert waiting == "66"
    # Received: the second bundle's copy of Monday's changes is not counted again (it was 99).
    assert device_row(view, "laptop-ana")["Received"] == "66"
    assert "Imported 2 bundles with 66 changes." in view.ui.message.text()


def test_the_progress_counts_only_the_bundles_this_import_takes_in(qtbot, data_dir, open_window):
    from app.services.sync import SyncService

    team = make_team(data_dir, data_dir / "journal.db")
    lead = _open(team["lead"])
    SyncService(lead).import_paths([team["folder"]])
    SyncService(lead).export_bundles(team["folder"])  # the replies wait in the folder for the laptops
    lead.close()
    for device in team["devices"].values():  # the laptops work on and write their next bundles
        journal = _open(device["path"])
        journal.save_entry(consultation(notes="next day"))
        SyncService(journal).export_bundles(team["folder"])
        journal.close()
    assert len(list(team["folder"].glob("*.mlsync"))) == 6
    window = open_window()
    view = lead_view(window)
    wait_idle(qtbot, window)
    assert view.ui.sections.tabText(0) == "&Bundles (2 new)"
    totals = []
    view.progress.changed.connect(lambda done, total: totals.append((done, total)))
    import_with_gui(qtbot, window)
    assert "Imported 2 bundles" in view.ui.message.text()
    assert totals == [(1, 2), (2, 2)]


def test_a_cancelled_import_leaves_the_refused_bundles_listed(qtbot, data_dir, open_window):
    from app.services.sync import SyncService

    team = make_team(data_dir, data_dir / "journal.db")
    altered = sorted(team["folder"].glob("*.mlsync"))[0]  # one bundle damaged on the way
    data = bytearray(altered.read_bytes())
    data[len(data) // 2] ^= 0x01
    altered.write_bytes(bytes(data))
    window = open_window()
    view = lead_view(window)
    import_with_gui(qtbot, window)
    assert view.ui.rejected_label.text() == "1 refused bundle"
    for device in team["devices"].values():  # the laptop whose bundle came through syncs again
        journal = _open(device["path"])
        if journal.device_id[:12] not in altered.name:
            journal.save_entry(consultation(notes="again"))
            SyncService(journal).export_bundles(team["folder"])
        journal.close()
    click(qtbot, view.ui.refresh)
    wait_idle(qtbot, window)
    shown = (table_rows(view.ui.rejected_view), view.ui.rejected_label.text(), view.ui.sections.tabText(0))
    assert shown[1:] == ("1 refused bundle", "&Bundles (1 new)")

    gate = threading.Event()
    view.progress.changed.connect(lambda done, total: gate.wait(10), Qt.ConnectionType.DirectConnection)
    click(qtbot, view.ui.import_button)
    qtbot.waitUntil(lambda: view.ui.progress.value() >= 1, timeout=IMPORT_TIMEOUT_MS)
    click(qtbot, view.ui.cancel)
    gate.set()
    qtbot.waitUntil(lambda: not view.importing, timeout=IMPORT_TIMEOUT_MS)
    wait_idle(qtbot, window)
    assert view.ui.message.text() == "Import cancelled: the journal is as it was before."
    assert (table_rows(view.ui.rejected_view), view.ui.rejected_label.text(), view.ui.sections.tabText(0)) == shown


def test_a_revoked_laptop_and_its_replacement_of_the_same_name_keep_their_own_counts(
        qtbot, data_dir, open_window, monkeypatch):
    from app.services.provision import create_store_from_profile
    from app.services.sync import SyncService
    from app.ui import sync_view

    team = make_team(data_dir, data_dir / "journal.db", names=("laptop-2",), entries=2)
    window = open_window()
    view = lead_view(window)
    import_with_gui(qtbot, window)
    assert device_row(view, "laptop-2")["Received"] == "66"
    monkeypatch.setattr(sync_view, "confirm", lambda *a: True)
    view.ui.devices_view.selectRow(0)
    click(qtbot, view.ui.revoke)  # lost: revoked, and a replacement enrolled under the same name
    wait_idle(qtbot, window)
    profile = data_dir / "replacement.mlprofile"
    monkeypatch.setattr(sync_view, "ask_save_path", lambda *a: str(profile))
    monkeypatch.setattr(sync_view.EnrollDialog, "exec", lambda self: 1)
    monkeypatch.setattr(sync_view.EnrollDialog, "values", lambda self: {
        "workstation": "laptop-2", "user": "Ivo", "language": "de", "sync_dir": str(team["folder"])})
    click(qtbot, view.ui.enroll)
    wait_idle(qtbot, window)
    window.lock()
    replacement = create_store_from_profile(data_dir / "replacement.db", GUI_PASSPHRASE, profile.read_bytes(),
                                            kdf=GUI_FAST_KDF)
    replacement.save_entry(consultation(notes="replacement"))
    SyncService(replacement).export_bundles(team["folder"])
    replacement.close()
    unlock(qtbot, window)
    wait_idle(qtbot, window)

    def rows() -> tuple[dict, dict]:
        table = view.ui.devices_view
        headers = [table.horizontalHeaderItem(c).text() for c in range(table.columnCount())]
        both = [dict(zip(headers, row)) for row in table_rows(table)]
        return tuple(sorted(both, key=lambda r: r["State"] != "revoked"))

    revoked, new = rows()
    assert (revoked["State"], revoked["New, waiting"], revoked["Received"]) == ("revoked", "0", "66")
    assert (new["New, waiting"], new["Received"]) == ("33", "—")
    import_with_gui(qtbot, window)
    revoked, new = rows()
    assert (revoked["Received"], new["Received"]) == ("66", "33")


def test_sync_now_counts_received_records_that_changed_here(qtbot, data_dir, open_window):
    """The lead's reply repeats the reference lists and acknowledges: nothing changes here."""
    from app.services.sync import SyncService

    team = make_team(data_dir, data_dir / "lead.db", names=("laptop-ana",), entries=2)
    lead = _open(team["lead"])
    SyncService(lead).import_paths([team["folder"]])
    SyncService(lead).export_bundles(team["folder"])
    lead.close()
    window = open_window(team["devices"]["laptop-ana"]["path"])
    window.sync_ui.act_sync_now.trigger()
    qtbot.waitUntil(lambda: window.sync_ui.jobs == 0 and "Sync done" in window.ui.statusbar.currentMessage(),
                    timeout=IMPORT_TIMEOUT_MS)
    assert window.ui.statusbar.currentMessage() == "Sync done: 2 changes sent to the team lead, 0 changes received."


def test_a_wrapped_workstations_header_fits_the_header_height_in_romani(qtbot, data_dir, open_window):
    from app.ui.translator import apply_language

    window, table, header = workstations_table(qtbot, data_dir, open_window, ("ana", "ivo"))  # used by "Ana", "Ivo"
    try:
        apply_language("rom")
        window.resize(853, 480)  # 1280 x 720 at 150 %
        qtbot.waitUntil(lambda: window.width() == 853)
        qtbot.waitUntil(lambda: bool(header.defaultAlignment() & Qt.TextFlag.TextWordWrap))
        qtbot.wait(50)
        cut = []
        for c in range(header.count()):
            text = table.horizontalHeaderItem(c).text()
            option = QStyleOptionHeader()
            option.initFrom(header)
            option.rect = QRect(0, 0, header.sectionSize(c), header.height())
            option.section, option.text = c, text
            label = header.style().subElementRect(QStyle.SubElement.SE_HeaderLabel, option, header)
            needed = header.fontMetrics().boundingRect(QRect(0, 0, label.width(), 10_000),
                                                       int(Qt.TextFlag.TextWordWrap), text)
            if needed.height() > label.height() or needed.width() > label.width():
                cut.append(f"{text!r}: needs {needed.width()} x {needed.height()}, has {label.width()} x {label.height()}")
        assert not cut, "\n".join(cut)
    finally:
        apply_language("en")


def test_an_open_form_offers_the_district_the_lead_added_after_sync_now(qtbot, data_dir, open_window):
    from dataclasses import replace

    from app.domain.catalogs import CatalogValue
    from app.domain.entries import CONSULTATION
    from app.services.sync import SyncService

    team = make_team(data_dir, data_dir / "lead.db", names=("laptop-ana",), entries=0)
    folder, device_path = team["folder"], team["devices"]["laptop-ana"]["path"]

    window = open_window(device_path)
    qtbot.keyClick(window, Qt.Key.Key_1, Qt.KeyboardModifier.ControlModifier)
    form = window.forms[CONSULTATION]
    select_combo(form.ui.district, "haspe")
    type_text(form.ui.notes, "Hausbesuch, noch offen")

    lead = _open(team["lead"])
    SyncService(lead).import_paths([folder])
    lead.put_catalog_value(CatalogValue(catalog="districts", code="kuhlerkamp", label="Kuhlerkamp",
                                        labels={"en": "Kuhlerkamp"}, sort=50))
    lead.put_catalog_value(replace(lead.catalogs.get("districts", "haspe"), active=False))
    SyncService(lead).export_bundles(folder)
    lead.close()

    window.sync_ui.act_sync_now.trigger()
    wait_idle(qtbot, window)
    assert window.journal.catalogs.get("districts", "kuhlerkamp") is not None  # the update arrived

    # what was typed is still there, and saving asks for another district ...
    assert form.ui.notes.toPlainText() == "Hausbesuch, noch offen"
    qtbot.keyClick(form.ui.notes, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    assert window.ui.form_message.text() == "Not saved yet: please check the marked fields."
    # ... which the form must offer: the district the lead just added
    assert "kuhlerkamp" in combo_codes(form.ui.district)


def test_a_damaged_bundle_for_the_lead_is_not_reported_to_the_other_mediators(qtbot, data_dir, open_window,
                                                                               monkeypatch):
    """Its name says it is for the team lead: on another laptop it is passed over, as every
    bundle for someone else is; the lead's view lists it with its reason."""
    from app.ui import sync_view

    team = make_team(data_dir, data_dir / "journal.db")
    ana = next(team["folder"].glob("ml-*.mlsync"))
    cut = ana.read_bytes()
    ana.write_bytes(cut[: len(cut) // 2])  # a copy cut off halfway
    shown = []
    for kind in ("warning", "information"):
        monkeypatch.setattr(sync_view.QMessageBox, kind, staticmethod(lambda *a, **k: shown.append(a[2])))
    def sender_of_the_cut_bundle(path) -> bool:
        journal = _open(path)
        try:
            return ana.name.startswith(f"ml-{journal.device_id[:12]}-")
        finally:
            journal.close()

    other = next(d["path"] for d in team["devices"].values() if not sender_of_the_cut_bundle(d["path"]))
    device = open_window(other)
    for _click in range(2):
        device.sync_ui.act_sync_now.trigger()
        qtbot.waitUntil(lambda: device.sync_ui.jobs == 0 and "Sync done" in device.ui.statusbar.currentMessage(),
                        timeout=IMPORT_TIMEOUT_MS)
    assert not [text for text in shown if ana.name in text]
    device.close()
    window = open_window()
    view = lead_view(window)
    wait_idle(qtbot, window)
    assert ana.name in dict(table_rows(view.ui.rejected_view))
