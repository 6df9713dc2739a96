"""Where the application finds its resources and keeps user data (no Qt here)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import platformdirs

APP_NAME = "MediatorLog"
APP_AUTHOR = "MediatorLog"


def resources_dir() -> Path:
    """The `resources/` folder: beside the package in a checkout, inside the bundle when frozen."""
    frozen_root = getattr(sys, "_MEIPASS", None)
    if frozen_root:
        return Path(frozen_root) / "resources"
    return Path(__file__).resolve().parent.parent / "resources"


def user_data_dir() -> Path:
    override = os.environ.get("MEDIATORLOG_DATA_DIR")
    if override:
        return Path(override)
    return Path(platformdirs.user_data_dir(APP_NAME, APP_AUTHOR))


def user_state_dir() -> Path:
    """Small non-personal state (unlock throttling) that must not live inside a store."""
    override = os.environ.get("MEDIATORLOG_DATA_DIR")
    if override:
        return Path(override) / "state"
    return Path(platformdirs.user_state_dir(APP_NAME, APP_AUTHOR))


def default_store_path() -> Path:
    return user_data_dir() / "journal.db"


def keys_path(store_path: Path) -> Path:
    """The key slot file beside a store: `<name>.db.keys` (see docs/storage-format.md)."""
    return Path(str(store_path) + ".keys")


def store_exists(path: Path) -> bool:
    """A store, or what is left of one, is at this place (then we never create a new one there)."""
    return Path(path).exists() or keys_path(Path(path)).exists()


PROFILE_FILE_NAME = "workstation-profile.json"


def installed_profile() -> Path | None:
    """The workstation profile the installer carried, if any (see docs/packaging.md).

    `packaging/build-deb --profile` and the Windows installer put it in `profile/` beside the
    frozen executable (/opt/mediatorlog/profile/ on Linux). MEDIATORLOG_PROFILE overrides the
    place (tests, IT); set it empty to ignore an installed profile. A file that exists but
    cannot be read is still returned, so the first-run screen can say why it cannot use it.
    """
    override = os.environ.get("MEDIATORLOG_PROFILE")
    if override is not None:
        return Path(override) if override and Path(override).exists() else None
    if getattr(sys, "frozen", False):
        beside = Path(sys.executable).resolve().parent / "profile" / PROFILE_FILE_NAME
        if beside.exists():
            return beside
    return None
