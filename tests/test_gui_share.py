"""The register's "Share with workstation…" button (team lead only): pick an enrolled workstation
from a list, the share runs on the worker thread, and the workstation receives the client with
the lead's next bundle. Real SQLCipher stores, real bundles, real widgets offscreen."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QInputDialog, QMessageBox

from gui_fixtures import *  # noqa: F403 (fixtures: open_window, gui_settings)
from helpers.factories import NOW, consultation
from helpers.sync_team import make_team, open_team

from app.domain.entries import Client

SHOTS = Path("/tmp/mediatorlog-shots")


@pytest.fixture
def team_dir(data_dir, tmp_path):
    """A lead and two enrolled workstations (closed); laptop-1's client with two entries is on the lead."""
    team = open_team(make_team(tmp_path / "template", 2), data_dir / "team")
    try:
        ana = team.journals["laptop-1"]
        client = ana.save_client(Client(code="HA-FAM-07", name="Familie P."), today=NOW.date())
        for notes in ("Erstgespräch", "Kita-Anmeldung"):
            ana.save_entry(consultation(notes=notes, client_ids=[client.id]), now=NOW)
        team.sync("laptop-1").export_bundles()
        team.sync("lead").import_paths([team.sync_dir])
        for f in team.sync_dir.iterdir():
            f.unlink()
    finally:
        team.close()
    return data_dir / "team"


def select_client(qtbot, window, code: str) -> None:
    window.ui.tabs.setCurrentWidget(window.ui.clients_tab)
    table = window.ui.clients_view
    [row] = [r for r in range(table.rowCount()) if table.item(r, 0).text() == code]
    table.selectRow(row)


def test_lead_shares_the_selected_client_and_the_workstation_receives_it(qtbot, open_window, team_dir):
    window = open_window(team_dir / "lead.db")
    button = window.ui.share_client
    select_client(qtbot, window, "HA-FAM-07")
    assert button.isVisible() and button.text() == "Share with &workstation…"
    SHOTS.mkdir(exist_ok=True)
    buttons = [window.ui.new_client, window.ui.edit_client, window.ui.show_client_entries, button]
    for language in ("de", "bg"):
        before = window.ui.new_client.text()
        window.switch_language(language)
        qtbot.waitUntil(lambda: window.ui.new_client.text() != before)  # LanguageChange is posted
        # Nothing in the row is cut off once the layout has settled.
        qtbot.waitUntil(lambda: all(b.width() >= b.sizeHint().width() for b in buttons))
        window.ui.clients_tab.grab().save(str(SHOTS / f"clients-share-{language}.png"))
    window.switch_language("en")
    qtbot.waitUntil(lambda: window.ui.new_client.text() == "&New client")
    select_client(qtbot, window, "HA-FAM-07")

    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    dialog = window.findChild(QInputDialog, "share_client_dialog")
    assert dialog is not None and dialog.isVisible()
    assert dialog.comboBoxItems() == ["laptop-1", "laptop-2"]
    dialog.grab().save(str(SHOTS / "share-dialog.png"))
    dialog.setTextValue("laptop-2")
    dialog.accept()
    qtbot.waitUntil(lambda: "Shared the client HA-FAM-07 and 2 entries with laptop-2"
                    in window.ui.statusbar.currentMessage(), timeout=10_000)
    window.lock()
    window.close()
    window.runner.wait(5000)

    team = open_team_in_place(team_dir)
    try:
        [info] = team.sync("lead").shares()
        assert (info.workstation, info.client_code, info.entries) == ("laptop-2", "HA-FAM-07", 2)
        team.sync("lead").export_bundles()
        team.sync("laptop-2").import_paths([team.sync_dir])
        boris = team.journals["laptop-2"]
        shared = boris.client_by_code("HA-FAM-07")
        assert shared is not None and shared.name == "Familie P."
        assert sorted(e.notes for e in boris.all_entries()) == ["Erstgespräch", "Kita-Anmeldung"]
    finally:
        team.close()


def test_share_errors_are_shown_and_mediators_have_no_share_button(qtbot, open_window, team_dir, monkeypatch):
    window = open_window(team_dir / "lead.db")
    select_client(qtbot, window, "HA-FAM-07")
    # The workstation is revoked while the list is open: the message says so, in a dialog.
    qtbot.mouseClick(window.ui.share_client, Qt.MouseButton.LeftButton)
    dialog = window.findChild(QInputDialog, "share_client_dialog")
    from app.services.sync import SyncService

    SyncService(window.journal).revoke("laptop-2")
    shown = []
    monkeypatch.setattr(QMessageBox, "warning", lambda _parent, title, text: shown.append((title, text)))
    dialog.setTextValue("laptop-2")
    dialog.accept()
    qtbot.waitUntil(lambda: bool(shown), timeout=10_000)
    assert shown == [("Share with workstation", "The workstation laptop-2 is revoked; nothing can be shared with it.")]
    assert SyncService(window.journal).shares() == []
    window.close()
    window.runner.wait(5000)

    mediator = open_window(team_dir / "laptop-1.db")
    mediator.ui.tabs.setCurrentWidget(mediator.ui.clients_tab)
    assert mediator.ui.new_client.isVisible() and not mediator.ui.share_client.isVisible()


def open_team_in_place(folder: Path):
    """The stores the window used, opened with the passphrase (no copy)."""
    from helpers.factories import PASSPHRASE
    from helpers.sync_team import Team

    from app.services.stores import open_store

    names = ["lead", "laptop-1", "laptop-2"]
    return Team(folder, {n: open_store(folder / f"{n}.db", PASSPHRASE) for n in names})
