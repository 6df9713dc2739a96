"""Schema versions: create, back up and upgrade with Alembic, refuse stores from the future."""

from __future__ import annotations

from collections.abc import Callable
import datetime as dt
import errno
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Engine

from app.store.atomic import fsync_dir, keep_owner
from app.store.engine import LEGACY_PAGE_HMAC, PAGE_HMAC, StorageFull, is_disk_full, page_hmac, writing

from app.i18n import _

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


class NewerStoreError(Exception):
    """The store was written by a newer version of the application."""

    def __init__(self) -> None:
        super().__init__(
            _("This journal was made by a newer version of Mediator Log. Install the newer version to open it; "
              "nothing was changed.")
        )


@dataclass
class MigrationResult:
    from_revision: str | None
    to_revision: str
    backup: Path | None


def _config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


def known_revisions() -> list[str]:
    """Oldest first."""
    script = ScriptDirectory.from_config(_config())
    return [rev.revision for rev in reversed(list(script.walk_revisions()))]


def head_revision() -> str:
    return ScriptDirectory.from_config(_config()).get_current_head()


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        has_table = conn.exec_driver_sql(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'alembic_version'"
        ).fetchone()
        if not has_table:
            return None
        row = conn.exec_driver_sql("SELECT version_num FROM alembic_version").fetchone()
        return row[0] if row else None


def backup_store(store_path: Path, revision: str) -> Path:
    """Copy the (still encrypted) database and its key slots into `backups/` beside it."""
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    folder = store_path.parent / "backups"
    if not folder.exists():
        folder.mkdir(parents=True)
        keep_owner(folder, store_path.parent)
    target = folder / f"{store_path.stem}-schema{revision}-{stamp}{store_path.suffix}"
    n = 2
    while target.exists() or Path(f"{target}.keys").exists():  # a second try in the same second kept
        target = folder / f"{store_path.stem}-schema{revision}-{stamp}-{n}{store_path.suffix}"  # no first
        n += 1
    keys = Path(str(store_path) + ".keys")
    try:
        shutil.copy2(store_path, target)
        keep_owner(target, store_path)
        if keys.exists():
            shutil.copy2(keys, Path(str(target) + ".keys"))
            keep_owner(Path(str(target) + ".keys"), keys)
    except OSError:  # a full disk: no half copy may stay there looking like a backup
        target.unlink(missing_ok=True)
        Path(f"{target}.keys").unlink(missing_ok=True)
        raise
    return target


def ensure_current(
    engine: Engine, store_path: Path, *, on_upgrade: Callable[[], None] | None = None
) -> MigrationResult:
    """Bring the store to the newest schema. Checks before writing anything. `on_upgrade` is
    called once before an existing store is backed up and upgraded (which can take a while)."""
    found = current_revision(engine)
    head = head_revision()
    if found == head:
        return MigrationResult(found, head, None)
    if found is not None and found not in known_revisions():
        raise NewerStoreError()
    backup = None
    if found is not None:
        if on_upgrade is not None:
            on_upgrade()
        with engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        engine.dispose()
        backup = backup_store(store_path, found)
        reencrypt(engine, store_path)
    with writing(engine) as conn:
        config = _config()
        config.attributes["connection"] = conn
        command.upgrade(config, "head")
    return MigrationResult(found, head, backup)


class ReencryptError(OSError):
    """The store could not be re-encrypted (its WAL was still in use); it was left as it was."""

    def __init__(self) -> None:
        super().__init__(errno.EBUSY, os.strerror(errno.EBUSY))


def reencrypt(engine: Engine, store_path: Path) -> bool:
    """Give a store made before schema 0013 the current page MAC (`engine.PAGE_HMAC`).

    SQLCipher changes a page setting only by copying every page into a new file
    (`sqlcipher_export`). The copy is written beside the store, under the same key, synced and
    then renamed over it, so a crash leaves either the old file or the new one, and never a WAL
    of the old file beside the new one. Runs after the backup, with no other connection open.
    False if there was nothing to do (the current MAC, or a plain benchmark file).
    """
    with engine.connect() as conn:
        if page_hmac(conn) != LEGACY_PAGE_HMAC:
            return False
    target = store_path.with_name(store_path.name + ".reencrypting")
    _remove_leftovers(target)
    os.close(os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))  # private before SQLite writes
    try:
        raw = engine.raw_connection()
        try:
            db = raw.driver_connection
            db.execute("ATTACH DATABASE ? AS converted", (str(target),))  # same key as the store
            db.execute("PRAGMA converted.cipher_compatibility = 4")
            db.execute(f"PRAGMA converted.cipher_hmac_algorithm = {PAGE_HMAC}")
            db.execute("SELECT sqlcipher_export('converted')")
            db.execute("DETACH DATABASE converted")
            db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            raw.close()
        engine.dispose()
        wal = Path(str(store_path) + "-wal")
        if wal.exists() and wal.stat().st_size > 0:
            raise ReencryptError()
        with open(target, "rb+") as handle:
            os.fsync(handle.fileno())
        keep_owner(target, store_path)
        os.replace(target, store_path)
    except BaseException as exc:
        _remove_leftovers(target)
        if is_disk_full(exc):
            raise StorageFull() from None
        raise
    fsync_dir(store_path.parent)
    return True


def _remove_leftovers(target: Path) -> None:
    for path in (target, Path(str(target) + "-journal")):
        try:
            path.unlink()
        except FileNotFoundError:
            pass
