"""First start with the workstation profile an installer carried: the app finds it (beside the
frozen executable, or MEDIATORLOG_PROFILE), asks only for a passphrase, and creates the journal
with the profile's name, language, sync folder and team trust."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from gui_fixtures import *  # noqa: F403
from gui_fixtures import GUI_PASSPHRASE, make_store

from app.i18n import current_language
from app.paths import PROFILE_FILE_NAME, installed_profile

SHOTS = Path("/tmp/mediatorlog-shots")


def provision(root: Path, *, user: str = "Ana Petrova", language: str = "ro") -> Path:
    from app.services.stores import open_store
    from app.services.sync import SyncService

    lead_path = make_store(root / "lead" / "lead.db", role="lead")
    lead = open_store(lead_path, GUI_PASSPHRASE)
    try:
        return SyncService(lead).provision("laptop-07", root / "laptop-07.json", user=user, language=language,
                                           sync_dir=str(root / "sync"))
    finally:
        lead.close()


def test_installed_profile_is_found_beside_the_frozen_executable(tmp_path, monkeypatch):
    monkeypatch.delenv("MEDIATORLOG_PROFILE", raising=False)
    install = tmp_path / "opt" / "mediatorlog"
    (install / "profile").mkdir(parents=True)
    monkeypatch.setattr(sys, "executable", str(install / "mediatorlog"))
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    assert installed_profile() is None  # nothing installed
    (install / "profile" / PROFILE_FILE_NAME).write_text("{}")
    assert installed_profile() == install / "profile" / PROFILE_FILE_NAME
    monkeypatch.setenv("MEDIATORLOG_PROFILE", "")  # an empty override ignores the installed one
    assert installed_profile() is None
    monkeypatch.setenv("MEDIATORLOG_PROFILE", str(tmp_path / "elsewhere.json"))
    assert installed_profile() is None  # a missing override is no profile
    (tmp_path / "elsewhere.json").write_text("{}")
    assert installed_profile() == tmp_path / "elsewhere.json"


def test_not_frozen_without_override_finds_none(monkeypatch):
    monkeypatch.delenv("MEDIATORLOG_PROFILE", raising=False)
    assert not getattr(sys, "frozen", False)
    assert installed_profile() is None


def test_first_start_asks_only_for_a_passphrase_and_joins_the_team(qtbot, open_window, data_dir, tmp_path,
                                                                   monkeypatch):
    from app.store import repository as repo

    monkeypatch.setenv("MEDIATORLOG_PROFILE", str(provision(tmp_path)))
    window = open_window(data_dir / "journal.db", unlock_now=False)
    setup = window.setup
    assert window.ui.pages.currentWidget() is window.ui.setup_page
    assert current_language() == "ro", "the profile's language is applied on first start"
    for hidden in (setup.name, setup.role, setup.language):
        assert not hidden.isVisible()
    assert setup.passphrase.isVisible() and setup.repeat.isVisible()
    assert "laptop-07" in setup.intro.text()
    SHOTS.mkdir(exist_ok=True)
    window.grab().save(str(SHOTS / "first-run-with-profile.png"))

    qtbot.keyClicks(setup.passphrase, GUI_PASSPHRASE)
    qtbot.keyClicks(setup.repeat, GUI_PASSPHRASE)
    qtbot.mouseClick(setup.create, Qt.MouseButton.LeftButton)  # noqa: F405
    qtbot.waitUntil(lambda: window.journal is not None, timeout=20_000)
    journal = window.journal
    assert journal.user_name == "Ana Petrova" and journal.role == "mediator"
    with journal.engine.connect() as conn:
        assert repo.get_meta(conn, "sync.workstation") == "laptop-07"
        assert repo.get_meta(conn, "sync.sync_dir") == str(tmp_path / "sync")
        assert repo.get_meta(conn, "sync.team_sign_public")  # trusts the team key from the first minute


def test_profile_without_a_user_name_asks_for_the_name_too(qtbot, open_window, data_dir, tmp_path, monkeypatch):
    monkeypatch.setenv("MEDIATORLOG_PROFILE", str(provision(tmp_path, user="", language="")))
    window = open_window(data_dir / "journal.db", unlock_now=False)
    setup = window.setup
    assert setup.name.isVisible() and setup.language.isVisible() and not setup.role.isVisible()
    qtbot.keyClicks(setup.passphrase, GUI_PASSPHRASE)
    qtbot.keyClicks(setup.repeat, GUI_PASSPHRASE)
    qtbot.mouseClick(setup.create, Qt.MouseButton.LeftButton)  # noqa: F405
    assert "name" in setup.error.text() and window.journal is None


@pytest.mark.parametrize("damage", ["altered", "directory", "permission"])
def test_unusable_profile_is_explained_and_normal_setup_remains(qtbot, open_window, data_dir, tmp_path,
                                                                monkeypatch, damage):
    profile = provision(tmp_path)
    if damage == "altered":
        profile.write_bytes(profile.read_bytes().replace(b"laptop-07", b"laptop-08"))
        expected = "damaged or was changed"
    elif damage == "directory":
        profile.unlink()
        profile.mkdir()
        expected = "cannot be read"
    else:  # root reads any file, so the permission case is simulated at the read
        from app.ui import carried_profile

        def refuse(self):
            raise PermissionError(13, "Permission denied")

        monkeypatch.setattr(carried_profile.Path, "read_bytes", refuse)
        expected = "mediatorlog"
    monkeypatch.setenv("MEDIATORLOG_PROFILE", str(profile))
    window = open_window(data_dir / "journal.db", unlock_now=False)
    setup = window.setup
    assert expected in setup.error.text()
    assert setup.name.isVisible() and setup.role.isVisible() and setup.language.isVisible()
    assert "laptop-07" not in setup.intro.text()
