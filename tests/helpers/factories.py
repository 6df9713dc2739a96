"""Valid entries of each type, file snapshots and raw database access for tests."""

from __future__ import annotations

import datetime as dt
import os
import sys
from pathlib import Path

from app.domain.entries import Consultation, OutreachVisit, TandemSession

REPO = Path(__file__).resolve().parents[2]
PYTHON = sys.executable
PASSPHRASE = "correct horse battery"
FAST_KDF = {"time_cost": 1, "memory_cost_kib": 8192, "parallelism": 1}
# A fixed "now" well after every entry date used in the tests.
NOW = dt.datetime(2025, 6, 30, 12, 0)


def consultation(**changes) -> Consultation:
    values = dict(
        start=dt.datetime(2025, 3, 10, 9, 30),
        end=dt.datetime(2025, 3, 10, 10, 15),
        mediator="Test Mediator",
        setting="office",
        district="mitte",
        languages=["ro"],
        topics=["housing"],
        notes="Mietvertrag gemeinsam gelesen.",
    )
    values.update(changes)
    return Consultation(**values)


def tandem(**changes) -> TandemSession:
    values = dict(
        start=dt.datetime(2025, 3, 11, 8, 0),
        end=dt.datetime(2025, 3, 11, 8, 45),
        mediator="Test Mediator",
        school="gs1",
        format="tandem",
        teacher="KL 3b",
        pupils_count=2,
        families_count=1,
        topics=["attendance"],
        notes="Fehlzeiten besprochen.",
    )
    values.update(changes)
    return TandemSession(**values)


def outreach(**changes) -> OutreachVisit:
    values = dict(
        start=dt.datetime(2025, 3, 12, 15, 0),
        end=dt.datetime(2025, 3, 12, 16, 30),
        mediator="Test Mediator",
        district="wehringhausen",
        place_type="street",
        purpose="prevention",
        partners=["district_police"],
        adults_reached=7,
        children_reached=3,
        notes="Flyer verteilt.",
    )
    values.update(changes)
    return OutreachVisit(**values)


def store_files(store_path: Path) -> list[Path]:
    """The database, its key slots and SQLite's side files, as far as they exist."""
    store_path = Path(store_path)
    return sorted(p for p in store_path.parent.iterdir() if p.name.startswith(store_path.name))


def snapshot(paths) -> dict[str, tuple[bytes, int, int]]:
    """Bytes, mtime (ns) and mode of each file, to prove that nothing was written."""
    result = {}
    for path in paths:
        stat = os.stat(path)
        result[str(path)] = (Path(path).read_bytes(), stat.st_mtime_ns, stat.st_mode)
    return result


def raw(journal, sql: str, params: tuple = ()) -> list[tuple]:
    """Rows of a raw SQL query on the open (decrypted) store."""
    with journal.engine.connect() as conn:
        return [tuple(r) for r in conn.exec_driver_sql(sql, params).fetchall()]


def subprocess_env(data_dir: Path, **extra: str) -> dict[str, str]:
    """Environment for a child process: this repo importable, data folder in tmp, English."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MEDIATORLOG_")}
    for var in ("LANGUAGE", "LC_ALL", "LC_MESSAGES"):
        env.pop(var, None)
    env.update(
        PYTHONPATH=str(REPO),
        MEDIATORLOG_DATA_DIR=str(data_dir),
        LANG="C.UTF-8",
        PYTHONIOENCODING="utf-8",
        QT_QPA_PLATFORM="offscreen",
    )
    env.update(extra)
    return env
