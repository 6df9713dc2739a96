"""A process killed while saving loses nothing it reported as saved, and the store still
opens and passes SQLite's and SQLCipher's integrity checks."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import time
from pathlib import Path

from helpers.factories import FAST_KDF, PASSPHRASE, PYTHON, REPO, raw, subprocess_env

from app.domain.ids import is_uuid
from app.services.stores import create_store, open_store

HELPER = Path(__file__).parent / "helpers" / "save_loop.py"
ROUNDS = 4


def run_and_kill(store_path: Path, data_dir: Path, rng: random.Random) -> list[str]:
    """Start the saving loop, read a few reported saves, SIGKILL it at a random moment.
    Returns every complete line it printed."""
    child = subprocess.Popen(
        [PYTHON, str(HELPER), str(store_path)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=REPO, text=True,
        env=subprocess_env(data_dir, MEDIATORLOG_PASSPHRASE=PASSPHRASE),
    )
    lines: list[str] = []
    try:
        assert child.stdout.readline() == "ready\n", child.stderr.read()
        for _ in range(rng.randint(3, 25)):
            line = child.stdout.readline()
            assert line.endswith("\n"), child.stderr.read()
            lines.append(line[:-1])
        time.sleep(rng.uniform(0.0, 0.25))
        assert child.poll() is None, "the child must still be saving when it is killed"
        os.kill(child.pid, signal.SIGKILL)
        child.wait(timeout=10)
        assert child.returncode == -signal.SIGKILL
        rest = child.stdout.read()  # printed before it died, possibly cut in the middle of a line
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
        child.stdout.close()
        child.stderr.close()
    lines += rest.split("\n")[:-1]  # a last line without its newline was not completely reported
    return lines


def stored_entries(store_path: Path) -> dict:
    with open_store(store_path, PASSPHRASE) as journal:
        assert raw(journal, "PRAGMA integrity_check") == [("ok",)]
        assert raw(journal, "PRAGMA cipher_integrity_check") == [], "every page's HMAC verifies"
        return {e.id: e for e in journal.all_entries()}


def test_killed_while_saving_loses_nothing_reported_saved(journal, store_path, data_dir):
    journal.close()
    rng = random.Random()
    reported: dict[str, int] = {}
    stored: dict = {}
    for round_number in range(ROUNDS):
        lines = run_and_kill(store_path, data_dir, rng)
        before = set(stored)
        stored = stored_entries(store_path)
        new_ids = set(stored) - before

        this_round = {}
        for line in lines:
            entry_id, number = line.split()
            assert is_uuid(entry_id)
            this_round[entry_id] = int(number)
        assert len(this_round) >= 3, f"round {round_number}: too few saves to mean anything"
        reported.update(this_round)
        for entry_id, number in reported.items():
            assert entry_id in stored, f"entry {number} was reported saved but is gone"
            assert stored[entry_id].notes.startswith(f"crash note {number} ")
            assert stored[entry_id].follow_up == f"follow {number}"
        # At most one more than reported: the one committed just before the kill hit the print.
        assert this_round.keys() <= new_ids and len(new_ids) <= len(this_round) + 1
    assert len(stored) >= len(reported) >= 3 * ROUNDS


def test_a_creation_killed_half_way_leaves_nothing_and_can_be_done_again(tmp_path, data_dir):
    """A process killed while `init` wrote the lists left a journal with a schema but no identity:
    it opened without a word, and `init` refused the place as taken."""
    store = tmp_path / "journal.db"
    child = (
        "import os, sys\n"
        "import app.store.repository as repo\n"
        "real = repo.put_catalog_value\n"
        "repo.put_catalog_value = lambda *a, **k: os._exit(9)  # killed while the lists are written\n"
        "from app.services.stores import create_store\n"
        f"create_store({str(store)!r}, {PASSPHRASE!r})\n"
    )
    done = subprocess.run([PYTHON, "-c", child], cwd=REPO, env=subprocess_env(data_dir), capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 9
    assert not store.exists() and not (tmp_path / "journal.db.keys").exists()
    journal = create_store(store, PASSPHRASE, name="Ana", kdf=FAST_KDF)
    try:
        assert journal.store_id and journal.user_name == "Ana" and journal.catalogs.values("districts")
    finally:
        journal.close()
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("journal")) == ["journal.db",
                                                                                           "journal.db.keys"]


def test_a_creation_killed_between_moving_the_journal_and_its_keys_is_finished_on_open(tmp_path):
    store = tmp_path / "journal.db"
    create_store(store, PASSPHRASE, kdf=FAST_KDF).close()
    (tmp_path / "journal.db.keys").rename(tmp_path / "journal.db.creating.keys")  # the last move never happened
    with open_store(store, PASSPHRASE) as journal:
        assert journal.store_id
    assert (tmp_path / "journal.db.keys").exists() and not (tmp_path / "journal.db.creating.keys").exists()
