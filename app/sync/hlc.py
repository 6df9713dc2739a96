"""Hybrid logical clock (Kulkarni et al. 2014), packed into one 64-bit integer:
the upper 48 bits are Unix milliseconds, the lower 16 bits a counter.

`tick()` for a local event: max(physical now, last + 1) -- so the clock never goes
backwards, even when the laptop's clock is set back, and ties are broken by the counter
(which carries into the millisecond part when it overflows, keeping it monotonic).
`observe()` for a received stamp: the clock moves to at least that stamp, so a later local
event is always ordered after everything this replica has seen (causality holds even when a
sender's clock is wrong). A stamp far ahead of our own clock is accepted (never refused:
that would lose work) but reported as clock drift.

Ties between equal stamps from different devices are broken by the device id (see
`app/sync/merge.py`), so every replica orders all versions identically.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable

COUNTER_BITS = 16
MAX_DRIFT_MS = 24 * 3600 * 1000  # a stamp more than a day ahead of our clock is flagged


def pack(ms: int, counter: int = 0) -> int:
    return (ms << COUNTER_BITS) | counter


def millis(stamp: int) -> int:
    return stamp >> COUNTER_BITS


def counter(stamp: int) -> int:
    return stamp & ((1 << COUNTER_BITS) - 1)


def to_datetime(stamp: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(millis(stamp) / 1000, dt.timezone.utc)


def to_iso(stamp: int) -> str:
    return to_datetime(stamp).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def wall_ms() -> int:
    return time.time_ns() // 1_000_000


class Clock:
    """One replica's clock. Persist `last` with every write (the store does, in `meta`)."""

    def __init__(self, last: int = 0, now_ms: Callable[[], int] = wall_ms):
        self.last = last
        self._now_ms = now_ms

    def tick(self) -> int:
        self.last = max(pack(self._now_ms()), self.last + 1)
        return self.last

    def observe(self, stamp: int) -> bool:
        """Move past a received stamp; True if it lies suspiciously far in the future."""
        drift = millis(stamp) - self._now_ms() > MAX_DRIFT_MS
        if stamp > self.last:
            self.last = stamp
        return drift
