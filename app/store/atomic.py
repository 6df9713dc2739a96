"""Atomic file writes: temp file in the same folder, fsync, rename, fsync the folder."""

from __future__ import annotations

import errno
import glob
import os
import stat
import tempfile
import time
from pathlib import Path


STALE_TEMP_SECONDS = 600  # a temp file untouched this long was left by a write that was killed


def atomic_write(path: Path, data: bytes, *, mode: int = 0o600, overwrite: bool = True,
                 make_folder: bool = True) -> None:
    """Write `data` to `path` so that readers see either the old or the new file, never a mix.

    With `overwrite=False` an existing file is never replaced (FileExistsError instead). A target
    that exists but is not a regular file (/dev/null, a pipe) is written into, not replaced: as
    root, a rename over /dev/null put a readable export where the device had been. With
    `make_folder=False` a missing folder is an error (FileNotFoundError), not made anew: a USB
    stick pulled out during a sync left its mount point, and the bundle went to the local disk.
    """
    path = Path(path)
    folder = path.parent
    if make_folder:
        folder.mkdir(parents=True, exist_ok=True)
    elif not folder.is_dir():
        raise FileNotFoundError(errno.ENOENT, os.strerror(errno.ENOENT), str(folder))
    # Temp files of this file that a killed write left behind (SIGKILL, a power cut): each is a copy
    # of what was being written, perhaps a person's data in an unencrypted export. Those of a write
    # still running elsewhere are younger.
    remove_stale_temps(folder, f".{glob.escape(path.name)}.*.tmp")
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
            _move_without_replacing(tmp_name, path)
    except BaseException:
        try:
            os.unlink(tmp_name)
        except FileNotFoundError:
            pass
        raise
    fsync_dir(folder)


def _move_without_replacing(tmp_name: str, path: Path) -> None:
    """Put the temp file in place unless `path` exists (FileExistsError then)."""
    try:
        # link() fails if the target exists, so two writers can never overwrite each other.
        os.link(tmp_name, path)
    except FileExistsError:
        raise
    except OSError:
        # No hard links: FAT32 and exFAT (most USB sticks) refuse them (EPERM on Linux; on
        # Windows only NTFS has them), and so do some network shares. Windows' rename never
        # replaces; on POSIX the check before the rename leaves a moment in which another writer
        # of the same name could slip in: bundle names carry the writer's own id.
        if os.name != "nt" and os.path.lexists(path):
            raise FileExistsError(errno.EEXIST, os.strerror(errno.EEXIST), str(path)) from None
        os.rename(tmp_name, path)
        return
    try:
        os.unlink(tmp_name)
    except OSError:
        # The file is in place. Its temp name may be held a moment by another program (Windows'
        # antivirus scanning a new file): left, and removed once stale (`remove_stale_temps`).
        pass


def remove_stale_temps(folder: Path, pattern: str) -> None:
    """Remove the temp files matching `pattern` in `folder` that no write has touched for
    `STALE_TEMP_SECONDS`."""
    now = time.time()
    for leftover in Path(folder).glob(pattern):
        try:
            if now - leftover.stat().st_mtime > STALE_TEMP_SECONDS:
                leftover.unlink()
        except OSError:
            pass


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
