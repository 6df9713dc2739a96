"""The benchmarks' cached stores in bench/.cache (ignored by git): reuse, working copies, and
bringing a cached store to the current schema once, so that no measured unlock includes a
migration."""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path

CACHE = Path(__file__).resolve().parent / ".cache"


def reusable(folder: Path, wanted: dict, rebuild: bool) -> bool:
    """True if `folder` holds a store made as `wanted` says; else it is emptied for a new one."""
    from app.store.keyslots import keyslot_path

    store, stamp = folder / "journal.db", folder / "made.json"
    if not rebuild and stamp.exists() and store.exists() and keyslot_path(store).exists():
        if json.loads(stamp.read_text()) == wanted:
            return True
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    return False


def mark_made(folder: Path, wanted: dict) -> None:
    (folder / "made.json").write_text(json.dumps(wanted))


def migrate(store: Path, passphrase: str) -> float | None:
    """Bring the cached store to the current schema (newer schemas may add tables a migration
    fills, such as the reporting tables of 0006); returns the seconds it took, or None."""
    from app.services.stores import open_store, unlock_key
    from app.store.engine import make_engine
    from app.store.migrate import current_revision, head_revision

    os.environ.setdefault("MEDIATORLOG_DATA_DIR", str(store.parent / "data"))
    engine = make_engine(store, unlock_key(store, passphrase))
    revision = current_revision(engine)
    engine.dispose()
    if revision == head_revision():
        return None
    print(f"migrating the cached store from schema {revision} to {head_revision()} (once) ...", flush=True)
    started = time.perf_counter()
    open_store(store, passphrase).close()
    seconds = time.perf_counter() - started
    shutil.rmtree(store.parent / "backups", ignore_errors=True)  # the pre-migration copy is not needed here
    return seconds


def working_copy(store: Path, into: Path) -> Path:
    from app.store.keyslots import keyslot_path

    into.mkdir(parents=True, exist_ok=True)
    for source in (store, keyslot_path(store)):
        shutil.copy2(source, into / source.name)
    return into / store.name
