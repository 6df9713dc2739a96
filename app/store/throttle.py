"""Slows down repeated wrong passphrases, across restarts of the application.

The count lives in the user's state folder, not in the store: a wrong passphrase
writes nothing to the store or its key slots. The file holds only a hash of the
store's path and a counter.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from pathlib import Path

from app.store.atomic import atomic_write

FREE_TRIES = 3
MAX_DELAY_SECONDS = 30.0


def delay_after(failures: int) -> float:
    """Seconds to wait before the next try: none for the first few, then doubling up to 30 s."""
    if failures < FREE_TRIES:
        return 0.0
    return min(2.0 ** (failures - FREE_TRIES), MAX_DELAY_SECONDS)


class UnlockThrottle:
    def __init__(self, state_dir: Path, store_path: Path, sleep: Callable[[float], None] = time.sleep):
        self._file = Path(state_dir) / "unlock-attempts.json"
        self._key = hashlib.sha256(str(Path(store_path).resolve()).encode()).hexdigest()[:24]
        self._sleep = sleep

    def _read(self) -> dict:
        try:
            data = json.loads(self._file.read_text())
            return data if isinstance(data, dict) else {}
        except (OSError, ValueError):
            return {}

    def failures(self) -> int:
        return int(self._read().get(self._key, 0))

    def wait_before_try(self) -> float:
        delay = delay_after(self.failures())
        if delay:
            self._sleep(delay)
        return delay

    def record_failure(self) -> int:
        data = self._read()
        data[self._key] = int(data.get(self._key, 0)) + 1
        atomic_write(self._file, json.dumps(data).encode())
        return data[self._key]

    def record_success(self) -> None:
        data = self._read()
        if self._key in data:
            del data[self._key]
            atomic_write(self._file, json.dumps(data).encode())
