"""A second process on the same journal: one that holds its write lock (a long `sync import`, as
far as SQLite can tell) until the test lets go, and the command line."""
from __future__ import annotations

import os
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

HERE = Path(__file__).resolve().parent
MAIN = HERE.parents[1]
PYTHON = sys.executable


@contextmanager
def other_process_holds_journal(store: Path, passphrase: str, signals: Path):
    """A second process (a long `sync import`, as far as SQLite can tell) holds the journal's
    write lock until the block ends; deterministic: it takes the lock before the block starts."""
    signals.mkdir(parents=True, exist_ok=True)
    ready, release = signals / "ready", signals / "release"
    ready.unlink(missing_ok=True)
    release.unlink(missing_ok=True)
    env = dict(os.environ, MEDIATORLOG_PASSPHRASE=passphrase)
    proc = subprocess.Popen([PYTHON, str(HERE / "hold_journal.py"), str(store), str(ready), str(release)],
                            cwd=MAIN, env=env)
    try:
        deadline = time.time() + 30
        while not ready.exists():
            assert proc.poll() is None, "the lock holder died"
            assert time.time() < deadline, "the lock holder never took the lock"
            time.sleep(0.05)
        yield proc
    finally:
        release.write_text("go")
        proc.wait(timeout=30)


def cli(*args: str, passphrase: str, **env_extra) -> subprocess.CompletedProcess:
    env = dict(os.environ, MEDIATORLOG_PASSPHRASE=passphrase, **env_extra)
    return subprocess.run([PYTHON, "-m", "app", *args], cwd=MAIN, env=env, capture_output=True, text=True,
                          timeout=300)
