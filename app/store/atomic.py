"""Atomic file writes: temp file in the same folder, fsync, rename, fsync the folder."""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path


def atomic_write(path: Path, data: bytes, *, mode: int = 0o600, overwrite: bool = True) -> None:
    """Write `data` to `path` so that readers see either the old or the new file, never a mix.

    With `overwrite=False` an existing file is never replaced (FileExistsError instead). A target
    that exists but is not a regular file (/dev/null, a pipe) is written into, not replaced: as
    root, a rename over /dev/null put a readable export where the device had been.
    """
    path = Path(path)
    folder = path.parent
    folder.mkdir(parents=True, exist_ok=True)
    try:
        before = os.stat(path)
    except FileNotFoundError:
        before = None
    if before is not None and overwrite and not stat.S_ISREG(before.st_mode):
        with open(path, "wb") as handle:
            handle.write(data)
        return
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    try:
        os.fchmod(fd, mode) if hasattr(os, "fchmod") else None
        if before is not None:
            keep_owner(tmp_name, before)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        if overwrite:
            os.replace(tmp_name, path)
        else:
            # link() fails if the target exists, so two writers can never overwrite each other.
            os.link(tmp_name, path)
            os.unlink(tmp_name)
    except BaseException:
        try:
            os.unlink(tmp_name)
        except FileNotFoundError:
            pass
        raise
    fsync_dir(folder)


def keep_owner(path: Path | str, like: Path | os.stat_result) -> None:
    """Give `path` the owner and group of `like` (a file it replaces or sits beside). Only root
    makes files for someone else: IT resetting a passphrase or upgrading a user's journal as root
    left the new key file and database owned by root, and the user locked out of their journal."""
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        return
    owner = like if isinstance(like, os.stat_result) else os.stat(like)
    os.chown(path, owner.st_uid, owner.st_gid)


def fsync_dir(folder: Path) -> None:
    if os.name != "posix":
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
