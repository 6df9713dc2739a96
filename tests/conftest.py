"""Shared fixtures: every test gets its own data folder (MEDIATORLOG_DATA_DIR) in tmp_path,
English messages, and (on request) a fresh store with a fast KDF."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
# Qt's offscreen screen is 800 x 800 unless told otherwise; the tests see windows as on a
# 1920 x 1080 desktop (the main window opens at 1280 x 800 there). A test that needs a small
# laptop screen starts a process of its own with another screen.
SCREEN = REPO / "tests" / "fixtures" / "offscreen-screen.json"
if os.environ.get("QT_QPA_PLATFORM", "offscreen") == "offscreen":
    os.environ["QT_QPA_PLATFORM"] = f"offscreen:configfile={SCREEN}"
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from helpers.factories import FAST_KDF, PASSPHRASE  # noqa: E402


@pytest.fixture(autouse=True)
def data_dir(tmp_path, monkeypatch):
    """The user data folder of this test; nothing of a test may land anywhere else."""
    folder = tmp_path / "data"
    folder.mkdir()
    monkeypatch.setenv("MEDIATORLOG_DATA_DIR", str(folder))
    for var in ("MEDIATORLOG_PASSPHRASE", "MEDIATORLOG_NEW_PASSPHRASE"):
        monkeypatch.delenv(var, raising=False)
    from app.i18n import current_language, set_language

    previous = current_language()
    set_language("en")
    yield folder
    set_language(previous)


@pytest.fixture
def store_path(data_dir) -> Path:
    return data_dir / "journal.db"


@pytest.fixture
def journal(store_path):
    """A new, open store. Argon2id is made cheap here; tests of the KDF itself make their own."""
    from app.services.stores import create_store

    journal = create_store(store_path, PASSPHRASE, name="Test Mediator", kdf=FAST_KDF)
    yield journal
    try:
        journal.close()
    except Exception:  # a test may have closed it, moved or damaged the files on purpose
        journal.engine.dispose()
