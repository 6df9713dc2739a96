"""Schema versions: create, back up and upgrade with Alembic, refuse stores from the future."""

from __future__ import annotations

from collections.abc import Callable
import datetime as dt
import shutil
from dataclasses import dataclass
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Engine

from app.store.engine import writing

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
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{store_path.stem}-schema{revision}-{stamp}{store_path.suffix}"
    shutil.copy2(store_path, target)
    keys = Path(str(store_path) + ".keys")
    if keys.exists():
        shutil.copy2(keys, Path(str(target) + ".keys"))
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
    with writing(engine) as conn:
        config = _config()
        config.attributes["connection"] = conn
        command.upgrade(config, "head")
    return MigrationResult(found, head, backup)
