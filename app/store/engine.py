"""SQLCipher 4 through SQLAlchemy, opened with the raw 256-bit store key.

The raw key skips SQLCipher's own PBKDF2 on every connection (the passphrase KDF
runs once, in the key slot); cipher settings are pinned to SQLCipher 4 defaults so a
future library default cannot silently change the file format.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlcipher3
from sqlalchemy import create_engine, event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.pool import QueuePool

CACHE_KIB = 65536  # 64 MiB page cache: the main lever for SQLCipher speed (see docs/benchmarks.md)


class NotADatabase(Exception):
    """The key does not open the file, or it is not a store at all."""


def _key_pragma(key: bytes) -> str:
    return f"PRAGMA key = \"x'{key.hex()}'\""


def connect(path: Path, key: bytes, *, encrypted: bool = True) -> sqlcipher3.Connection:
    conn = sqlcipher3.connect(str(path), check_same_thread=False, isolation_level=None)
    try:
        if encrypted:
            conn.execute(_key_pragma(key))
            conn.execute("PRAGMA cipher_compatibility = 4")
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()  # fails here on a wrong key
    except sqlcipher3.DatabaseError:
        conn.close()
        raise NotADatabase() from None
    conn.execute(f"PRAGMA cache_size = -{CACHE_KIB}")
    conn.execute("PRAGMA temp_store = MEMORY")  # no temporary files on disk at all
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("PRAGMA busy_timeout = 5000")
    if conn.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
        conn.execute("PRAGMA journal_mode = WAL")
    # FULL: an entry reported saved survives even a power cut, not only a killed process.
    conn.execute("PRAGMA synchronous = FULL")
    return conn


def make_engine(path: Path, key: bytes, *, encrypted: bool = True) -> Engine:
    """An engine whose connections are already unlocked. `encrypted=False` gives the
    same setup on a plain SQLite file, used only as the baseline in benchmarks."""
    engine = create_engine(
        "sqlite+pysqlite://",
        creator=lambda: connect(path, key, encrypted=encrypted),
        poolclass=QueuePool,
        pool_size=4,
        max_overflow=4,
    )

    # pysqlite's own transaction handling is off (isolation_level=None), so SQLAlchemy's
    # begin emits the BEGIN itself: IMMEDIATE for writes, so a write transaction never
    # fails half-way on a lock upgrade; deferred for reads, so reads never block a writer.
    @event.listens_for(engine, "begin")
    def _begin(conn):
        immediate = conn.get_execution_options().get("immediate", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


@contextmanager
def writing(engine: Engine) -> Iterator[Connection]:
    """One write transaction: committed when the block ends, rolled back on any error."""
    with engine.connect().execution_options(immediate=True) as conn:
        with conn.begin():
            yield conn


def checkpoint(engine: Engine) -> None:
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
