"""Atomic writes keep what IT relies on: a device or pipe given as --out stays what it is, and a
file rewritten by root (a passphrase reset, an upgrade of a user's journal) keeps its owner."""

from __future__ import annotations

import os
import stat
import threading

import pytest
from helpers.factories import FAST_KDF, PASSPHRASE

from app.store.atomic import atomic_write


def test_a_pipe_given_as_the_target_is_written_into_not_replaced(tmp_path):
    """As root, `export --out /dev/null` renamed a file over the device: /dev/null became an
    ordinary file holding the decrypted entries."""
    folder = tmp_path / "out"
    folder.mkdir()
    fifo = folder / "pipe"
    os.mkfifo(fifo)
    received = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()))
    reader.start()
    atomic_write(fifo, b"entries")
    reader.join(10)
    assert received == [b"entries"] and stat.S_ISFIFO(os.stat(fifo).st_mode)
    assert [p.name for p in folder.iterdir()] == ["pipe"]  # no temporary file left either


needs_root = pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0,
                                reason="only root writes files for another user")


@needs_root
def test_a_passphrase_reset_by_root_leaves_the_key_file_to_its_user(tmp_path):
    """`recover` run as root left journal.db.keys owned by root (mode 0600): the user could no
    longer open their own journal."""
    from app.services.stores import change_passphrase, create_store

    store = tmp_path / "journal.db"
    create_store(store, PASSPHRASE, kdf=FAST_KDF).close()
    for path in (tmp_path, store, tmp_path / "journal.db.keys"):
        os.chown(path, 65534, 65534)
    change_passphrase(store, PASSPHRASE, "another passphrase 123", kdf=FAST_KDF)
    keys = os.stat(tmp_path / "journal.db.keys")
    assert (keys.st_uid, keys.st_gid) == (65534, 65534)


@needs_root
def test_an_upgrade_run_by_root_leaves_the_journal_and_its_backup_to_their_user(tmp_path):
    """Opening a user's journal of an older schema as root (an export by IT, say) left the
    upgraded database, its key file and the backups folder owned by root."""
    import shutil
    from pathlib import Path

    from app.services.stores import open_store

    fixture = Path(__file__).parent / "fixtures" / "stores" / "schema-0001"
    folder = tmp_path / "user"
    folder.mkdir()
    for name in ("journal.db", "journal.db.keys"):
        shutil.copy2(fixture / name, folder / name)
    for path in (folder, folder / "journal.db", folder / "journal.db.keys"):
        os.chown(path, 65534, 65534)
    with open_store(folder / "journal.db", "fixture passphrase") as journal:
        journal.all_entries()
    owned = {p.relative_to(folder).as_posix(): (os.stat(p).st_uid, os.stat(p).st_gid) for p in folder.rglob("*")}
    assert len(owned) >= 5 and "backups" in owned  # the journal, its keys, the folder and a backup of each
    assert set(owned.values()) == {(65534, 65534)}, owned
