"""A team for sync tests: a lead and enrolled workstations, made once and copied per test
(creating SQLCipher stores and migrating them is the slow part), plus a dump of every table."""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from helpers.factories import FAST_KDF, PASSPHRASE

from app.services.journal import Journal
from app.services.provision import create_store_from_profile
from app.services.stores import _unlock, create_store, unlock_key
from app.services.sync import SyncService
from app.store.keyslots import keyslot_path
from app.store.throttle import UnlockThrottle


@dataclass
class TeamTemplate:
    folder: Path
    names: list[str]  # "lead", "laptop-1", ...
    keys: dict[str, bytes] = field(default_factory=dict)


def make_team(folder: Path, devices: int, *, enroll: bool = True) -> TeamTemplate:
    folder.mkdir(parents=True, exist_ok=True)
    sync_dir = folder / "sync"
    sync_dir.mkdir()
    lead = create_store(folder / "lead.db", PASSPHRASE, name="Lead", role="lead", kdf=FAST_KDF)
    SyncService(lead).set_sync_dir(str(sync_dir))
    journals = {"lead": lead}
    for i in range(1, devices + 1):
        name = f"laptop-{i}"
        SyncService(lead).provision(name, folder / f"{name}.profile", user=f"M{i}", sync_dir=str(sync_dir))
        journals[name] = create_store_from_profile(folder / f"{name}.db", PASSPHRASE,
                                                   (folder / f"{name}.profile").read_bytes(), kdf=FAST_KDF)
    if enroll:
        for name, journal in journals.items():
            if name != "lead":
                SyncService(journal).export_bundles()
        SyncService(lead).import_paths([sync_dir])
        SyncService(lead).export_bundles()
        for name, journal in journals.items():
            if name != "lead":
                SyncService(journal).import_paths([sync_dir])
        for f in sync_dir.iterdir():
            f.unlink()
    template = TeamTemplate(folder, list(journals))
    for name, journal in journals.items():
        journal.close()
        path = folder / f"{name}.db"
        template.keys[name] = unlock_key(path, PASSPHRASE, throttle=UnlockThrottle(folder, path))
    return template


@dataclass
class Team:
    folder: Path
    journals: dict[str, Journal]

    @property
    def sync_dir(self) -> Path:
        return self.folder / "sync"

    def sync(self, name: str) -> SyncService:
        return SyncService(self.journals[name])

    def close(self) -> None:
        for journal in self.journals.values():
            journal.close()


def open_team(template: TeamTemplate, folder: Path) -> Team:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "sync").mkdir(exist_ok=True)
    journals = {}
    for name in template.names:
        src = template.folder / f"{name}.db"
        dst = folder / f"{name}.db"
        shutil.copy2(src, dst)
        shutil.copy2(keyslot_path(src), keyslot_path(dst))
        journals[name] = _unlock(dst, template.keys[name])
        with journals[name].engine.begin() as conn:  # the copy's sync folder is the test's own
            conn.exec_driver_sql("UPDATE meta SET value = ? WHERE key = 'sync.sync_dir'", (str(folder / "sync"),))
    return Team(folder, journals)


def dump(journal: Journal) -> dict[str, list]:
    """Every row of every table (FTS shadow tables included), for 'nothing changed' checks."""
    with journal.engine.connect() as conn:
        names = [r[0] for r in conn.exec_driver_sql(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND sql NOT LIKE 'CREATE VIRTUAL%' ORDER BY name")]
        return {n: sorted(map(tuple, conn.exec_driver_sql(f'SELECT * FROM "{n}"').fetchall()), key=repr)
                for n in names}


def team_fixtures(devices: int):
    """The fixtures `template` (a team made once per test module) and `team` (a fresh copy of it
    per test, closed afterwards). In a test module: `template, team = team_fixtures(2)`."""

    @pytest.fixture(scope="module")
    def template(tmp_path_factory):
        return make_team(tmp_path_factory.mktemp("team"), devices)

    @pytest.fixture
    def team(template, tmp_path):
        opened = open_team(template, tmp_path / "team")
        yield opened
        opened.close()

    return template, team
