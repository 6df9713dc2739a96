"""SQLCipher 4 through SQLAlchemy, opened with the raw 256-bit store key.

The raw key skips SQLCipher's own PBKDF2 on every connection (the passphrase KDF
runs once, in the key slot); cipher settings are pinned to SQLCipher 4 defaults so a
future library default cannot silently change the file format, except for the page MAC:
HMAC-SHA256 since schema 0013 (see `PAGE_HMAC`).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
import errno
import os
import threading
import weakref
from pathlib import Path

import sqlcipher3
from sqlalchemy import create_engine, event
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.pool import QueuePool

CACHE_KIB = 65536  # 64 MiB page cache: the main lever for SQLCipher speed (see docs/benchmarks.md)


class NotADatabase(Exception):
    """The key does not open the file, or it is not a store at all."""


def _key_pragma(key: bytes) -> str:
    return f"PRAGMA key = \"x'{key.hex()}'\""


# Every page is authenticated with this HMAC. SQLCipher 4's default is HMAC-SHA512; CPUs with
# SHA extensions (Intel since 2019, every AMD Zen) compute SHA-256 two to three times faster, and a
# save at 100,000 entries writes about 19 pages and reads about 5 (docs/benchmarks.md). Stores made
# before schema 0013 still carry HMAC-SHA512: they open with it and are re-encrypted once, on the
# upgrade (app/store/migrate.py).
PAGE_HMAC = "HMAC_SHA256"
LEGACY_PAGE_HMAC = "HMAC_SHA512"

_library_log_quiet = False


def _quiet_library_log() -> None:
    """SQLCipher writes failed page checks to stderr by default. A store of the older page MAC
    fails the first check on every connection, and the command line promises one line on stderr,
    so the library's own log is switched off; every failure still raises to the caller."""
    global _library_log_quiet
    if not _library_log_quiet:
        probe = sqlcipher3.connect(":memory:")
        try:
            probe.execute("PRAGMA cipher_log_level = NONE")
        finally:
            probe.close()
        _library_log_quiet = True


def _open(path: Path, key: bytes | None, mac: str | None) -> sqlcipher3.Connection | None:
    conn = sqlcipher3.connect(str(path), check_same_thread=False, isolation_level=None)
    try:
        if key is not None:
            conn.execute(_key_pragma(key))
            conn.execute("PRAGMA cipher_compatibility = 4")
            conn.execute(f"PRAGMA cipher_hmac_algorithm = {mac}")
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()  # fails here on a wrong key
    except sqlcipher3.OperationalError:
        conn.close()  # not the key: a full disk, a folder that cannot be written, a file that is a folder
        raise
    except sqlcipher3.DatabaseError:
        conn.close()
        return None
    return conn


def connect(path: Path, key: bytes, *, encrypted: bool = True, autocheckpoint: bool = True) -> sqlcipher3.Connection:
    if encrypted:
        _quiet_library_log()
        conn = _open(path, key, PAGE_HMAC) or _open(path, key, LEGACY_PAGE_HMAC)
    else:
        conn = _open(path, None, None)
    if conn is None:
        raise NotADatabase()
    conn.execute(f"PRAGMA cache_size = -{CACHE_KIB}")
    conn.execute("PRAGMA temp_store = MEMORY")  # no temporary files on disk at all
    conn.execute("PRAGMA foreign_keys = ON")
    # Rows that INSERT OR REPLACE deletes fire DELETE triggers only with this on; triggers note
    # changed entries for the reporting tables (migration 0008). They never write to their own table.
    conn.execute("PRAGMA recursive_triggers = ON")
    conn.execute("PRAGMA busy_timeout = 5000")
    if conn.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
        conn.execute("PRAGMA journal_mode = WAL")
    # FULL: an entry reported saved survives even a power cut, not only a killed process.
    conn.execute("PRAGMA synchronous = FULL")
    if not autocheckpoint:
        conn.execute("PRAGMA wal_autocheckpoint = 0")  # a BackgroundCheckpointer does it instead
    return conn


def driver(conn: Connection):
    """The driver connection under a SQLAlchemy connection, inside the caller's transaction if it
    began one: for statements run per save or per row, where SQLAlchemy's layers cost more than
    SQLite's own work."""
    return conn.connection.driver_connection


def page_hmac(conn) -> str | None:
    """The page MAC a connection reads and writes its store with (see `PAGE_HMAC`); None for
    the plain files that benchmarks compare against."""
    row = driver(conn).execute("PRAGMA cipher_hmac_algorithm").fetchone()
    return row[0] if row else None


class BackgroundCheckpointer:
    """Copies the WAL back into the database on a thread of its own, every `every` commits.

    SQLite's automatic checkpoint runs inside whichever commit crosses 1,000 WAL pages, which
    made one save in a hundred take 15-30 ms instead of 3-7. A PASSIVE checkpoint never blocks
    a writer, so the save path no longer waits for it. The thread holds the engine weakly and
    ends when the engine is gone or `stop()` is called.
    """

    def __init__(self, engine: Engine, every: int = 64):
        self._engine = weakref.ref(engine)
        self._every = every
        self._commits = 0
        self._wake = threading.Event()
        self._stopped = False
        self._thread = threading.Thread(target=self._run, name="wal-checkpoint", daemon=True)
        self._thread.start()

    def committed(self) -> None:
        self._commits += 1
        if self._commits >= self._every:
            self._commits = 0
            self._wake.set()

    def _run(self) -> None:
        while not self._stopped:
            if not self._wake.wait(timeout=5.0):
                if self._engine() is None:
                    return
                continue
            self._wake.clear()
            engine = self._engine()
            if engine is None or self._stopped:
                return
            try:
                with engine.connect() as conn:
                    conn.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)")
            except Exception:  # a closed or busy store: the next round or close() does it
                pass
            del engine

    def stop(self) -> None:
        self._stopped = True
        self._wake.set()
        self._thread.join(timeout=10)


_checkpointers: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def make_engine(path: Path, key: bytes, *, encrypted: bool = True, background_checkpoint: bool = True) -> Engine:
    """An engine whose connections are already unlocked. `encrypted=False` gives the
    same setup on a plain SQLite file, used only as the baseline in benchmarks."""
    engine = create_engine(
        "sqlite+pysqlite://",
        creator=lambda: connect(path, key, encrypted=encrypted, autocheckpoint=not background_checkpoint),
        poolclass=QueuePool,
        pool_size=4,
        max_overflow=4,
        pool_use_lifo=True,
    )

    # pysqlite's own transaction handling is off (isolation_level=None), so SQLAlchemy's
    # begin emits the BEGIN itself: IMMEDIATE for writes, so a write transaction never
    # fails half-way on a lock upgrade; deferred for reads, so reads never block a writer.
    @event.listens_for(engine, "begin")
    def _begin(conn):
        immediate = conn.get_execution_options().get("immediate", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    if background_checkpoint:
        checkpointer = BackgroundCheckpointer(engine)
        _checkpointers[engine] = checkpointer
        event.listen(engine, "commit", lambda _conn: checkpointer.committed())
    return engine


class StorageFull(OSError):
    """The disk (or the file system's quota) is full: the transaction was rolled back."""

    def __init__(self) -> None:
        super().__init__(errno.ENOSPC, os.strerror(errno.ENOSPC))


class StoreBusy(OSError):
    """Another program held the journal's write lock longer than the wait (a big import or sync in
    another window or command): nothing was written."""

    def __init__(self) -> None:
        from app.i18n import _

        super().__init__(errno.EBUSY, _("the journal is busy in another program; try again in a moment"))


def is_busy(exc: BaseException) -> bool:
    return "database is locked" in str(exc)  # SQLITE_BUSY after busy_timeout


def is_disk_full(exc: BaseException) -> bool:
    return "database or disk is full" in str(exc)  # SQLITE_FULL's message (no error code is exposed)


@contextmanager
def plain_errors() -> Iterator[None]:
    """A full disk surfaces as `StorageFull` and a lock held elsewhere beyond the wait as
    `StoreBusy` (both OSErrors), which callers report in plain words, not SQLite's English."""
    try:
        yield
    # SQLAlchemy passes sqlcipher3's own exceptions through unwrapped (the dialect expects sqlite3's).
    except (sa_exc.OperationalError, sqlcipher3.OperationalError) as exc:
        if is_disk_full(exc):
            raise StorageFull() from None
        if is_busy(exc):
            raise StoreBusy() from None
        raise


@contextmanager
def writing(engine: Engine) -> Iterator[Connection]:
    """One write transaction: committed when the block ends, rolled back on any error; with
    `plain_errors`."""
    with plain_errors(), engine.connect().execution_options(immediate=True) as conn:
        with conn.begin():
            yield conn


def busy_text() -> str:
    """What the user reads when another program held the journal too long (`StoreBusy`)."""
    from app.i18n import _

    return _("The journal is busy in another program (an import or a command). Nothing was changed; try again "
             "in a moment.")


def checkpoint(engine: Engine) -> None:
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")


def _stop_background_checkpoints(engine: Engine) -> None:
    checkpointer = _checkpointers.pop(engine, None)
    if checkpointer is not None:
        checkpointer.stop()


def discard_engine(engine: Engine) -> None:
    """Close an engine on a store we refuse to open: no checkpoint, no thread left behind."""
    _stop_background_checkpoints(engine)
    engine.dispose()


def close_engine(engine: Engine) -> None:
    """Stop background checkpoints, fold the WAL into the database, close every connection."""
    _stop_background_checkpoints(engine)
    try:
        checkpoint(engine)
    finally:
        engine.dispose()
