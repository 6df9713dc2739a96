"""A process killed while saving loses nothing it reported as saved, and the store still
opens and passes SQLite's and SQLCipher's integrity checks."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import time
from pathlib import Path

from helpers.factories import PASSPHRASE, PYTHON, REPO, raw, subprocess_env

from app.domain.ids import is_uuid
from app.services.stores import open_store

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
