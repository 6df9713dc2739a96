"""One helper for work that must not block the UI thread (unlocking, creating a store,
imports). The function runs on a worker thread; exactly one of the callbacks runs on
the UI thread afterwards. Never touch widgets inside the function."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, wait
from typing import Any

from PySide6.QtCore import QObject, Signal


class _Relay(QObject):
    """Signals emitted from the worker arrive on the UI thread (queued connection)."""

    finished = Signal(object, object, object)  # callback, value, relay


class TaskRunner:
    def __init__(self, workers: int = 2) -> None:
        # Plain Python threads: a QRunnable subclass crashes PySide6 6.12 with argon2's
        # C extension ("none_dealloc"), and we need no Qt event loop on the worker.
        self.pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="mediatorlog-task")
        self.relay = _Relay()
        self.relay.finished.connect(self._deliver)
        self._futures: set = set()

    def _deliver(self, callback, value, _relay) -> None:
        callback(value)

    def run(self, fn: Callable[[], Any], on_success: Callable[[Any], None],
            on_failure: Callable[[BaseException], None]) -> None:
        def job():
            try:
                result = fn()
            except BaseException as exc:  # noqa: BLE001 - handed to the failure callback
                self.relay.finished.emit(on_failure, exc, None)
            else:
                self.relay.finished.emit(on_success, result, None)

        future = self.pool.submit(job)
        self._futures.add(future)
        future.add_done_callback(self._futures.discard)

    def post(self, callback: Callable[[Any], None], value: Any = None) -> None:
        """From inside a running function: have `callback(value)` run on the UI thread (for
        progress news; the function itself goes on)."""
        self.relay.finished.emit(callback, value, None)

    def busy(self) -> bool:
        return bool(self._futures)

    def wait(self, msecs: int = 30000) -> bool:
        done, pending = wait(list(self._futures), timeout=msecs / 1000)
        return not pending
