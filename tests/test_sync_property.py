"""Property: whatever edits, deletions and erasures 2 to 5 workstations and the lead make, and
whatever order bundles travel in (duplicated, delayed, some never delivered until the end),
after a few ordinary sync rounds every workstation holds exactly the lead's version of its
records, the records the lead shares with it and the team's catalogs, and every value that lost without its writer having seen the
winner is in a conflict record on the lead. Workstations may be restored from a backup: only what
they wrote after it and had not put into a bundle yet may be lost. Real SQLCipher stores, real
bundles."""

from __future__ import annotations

import itertools
import shutil

import pytest
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st
from helpers.factories import NOW, consultation
from helpers.sync_team import make_team, open_team

from app.domain.entries import Client
from app.services.stores import _unlock
from app.services.sync import SyncError
from app.store.keyslots import keyslot_path
from app.sync import bundle as fmt
from app.sync.replica import SPECS

MAX_DEVICES = 5
FIELDS = ("notes", "mediator")


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    return make_team(tmp_path_factory.mktemp("team"), MAX_DEVICES)


replica_index = st.integers(0, MAX_DEVICES)  # 0 = the lead
pick = st.integers(0, 1000)
operation = st.one_of(
    st.tuples(st.just("create"), st.integers(1, MAX_DEVICES), st.booleans()),
    st.tuples(st.just("edit"), replica_index, pick, st.sampled_from(FIELDS)),
    st.tuples(st.just("delete"), replica_index, pick),
    st.tuples(st.just("erase"), replica_index, pick),
    st.tuples(st.just("export"), replica_index),
    st.tuples(st.just("deliver"), pick, st.booleans()),
    st.tuples(st.just("share"), st.integers(1, MAX_DEVICES), pick),  # the lead shares a client with a device
    st.tuples(st.just("backup"), st.integers(1, MAX_DEVICES)),
    st.tuples(st.just("restore"), st.integers(1, MAX_DEVICES)),  # the laptop's journal from its last backup
)


def synced_rows(journal, tbl, origin=None):
    spec = SPECS[tbl]
    key = spec.key or "catalog || '/' || code"
    cols = ", ".join(f'"{f}"' for f in spec.fields)
    with journal.engine.connect() as conn:
        rows = conn.exec_driver_sql(
            f"SELECT {key}, {cols}, k.origin FROM {tbl} t JOIN sync_clock k ON k.tbl = ? AND k.rid = {key}",
            (tbl,)).fetchall()
    return {r[0]: r[1:-1] for r in rows if origin is None or r[-1] == origin}


def shared_ids(journal, tbl, device_id):
    with journal.engine.connect() as conn:
        return {r for (r,) in conn.exec_driver_sql(
            "SELECT rid FROM sync_shares WHERE tbl = ? AND device_id = ? AND unshared_at IS NULL", (tbl, device_id))}


def erased_ids(journal):
    with journal.engine.connect() as conn:
        return {r for (r,) in conn.exec_driver_sql("SELECT rid FROM sync_clock WHERE erased = 1")}


@settings(max_examples=12, deadline=None, phases=[Phase.explicit, Phase.reuse, Phase.generate], suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                     HealthCheck.too_slow])
@given(devices=st.integers(2, MAX_DEVICES), ops=st.lists(operation, max_size=28))
@example(devices=2, ops=[  # laptop-1's client is shared with laptop-2, which edits the entry and erases the person
    ("create", 1, True), ("export", 1), ("deliver", 0, False), ("share", 2, 0), ("export", 0), ("deliver", 2, False),
    ("edit", 2, 0, "notes"), ("export", 2), ("deliver", 3, False), ("erase", 2, 0)])
@example(devices=2, ops=[  # the lead deletes an entry whose person laptop-1 erases: the link is gone there
    ("create", 1, True), ("export", 1), ("create", 5, True), ("deliver", 210, True), ("erase", 4, 510),
    ("deliver", 68, False), ("erase", 4, 100), ("delete", 3, 1000), ("deliver", 697, True)])
@example(devices=2, ops=[  # restored after its bundle reached the lead, which then acknowledges
    ("create", 1, False), ("export", 1), ("deliver", 0, False), ("backup", 1), ("create", 1, False),
    ("export", 1), ("deliver", 1, False), ("export", 0), ("restore", 1), ("create", 1, False),
    ("deliver", 2, False)])
@example(devices=2, ops=[  # deleted on both sides before the erasure: the losing notes stay in a conflict record
    ("create", 1, True), ("export", 1), ("deliver", 0, False), ("edit", 1, 0, "notes"), ("delete", 0, 0),
    ("export", 1), ("deliver", 1, False), ("export", 0), ("deliver", 2, False), ("deliver", 3, False),
    ("deliver", 4, False), ("erase", 1, 0)])
def test_replicas_converge_and_no_value_is_lost(template, tmp_path_factory, devices, ops):
    run = tmp_path_factory.mktemp("run")
    team = open_team(template, run)
    names = ["lead"] + [f"laptop-{i}" for i in range(1, devices + 1)]
    counter = itertools.count()
    written = []  # (entry id, field, value)
    writer = {}  # index into written -> (journal name, when)
    clock = itertools.count()
    exported_at: dict[str, int] = {}  # journal name -> when it last wrote a bundle
    backups: dict[str, int] = {}  # journal name -> when its backup was taken

    def wrote(name, *items):
        for item in items:
            writer[len(written)] = (name, next(clock))
            written.append(item)

    def reopen(name, source=None):
        path = team.folder / f"{name}.db"
        team.journals[name].close()
        if source is not None:
            shutil.copy2(source, path)
            shutil.copy2(keyslot_path(source), keyslot_path(path))
        team.journals[name] = _unlock(path, template.keys[name])
    seen = set()  # (entry id, field, value) some writer had in front of it when it wrote
    about: dict[str, str] = {}  # entry id -> the client it was made about (edits never change it)
    produced = []  # bundle files made so far
    try:
        for op in ops:
            kind = op[0]
            if kind == "create":
                name = names[op[1] % len(names)] if op[1] < len(names) else names[1]
                journal = team.journals[name]
                client_ids = []
                if op[2]:
                    client = journal.save_client(Client(code=journal.new_client().code), today=NOW.date())
                    client_ids = [client.id]
                value = f"v{next(counter)}"
                entry = journal.save_entry(consultation(notes=value, client_ids=client_ids), now=NOW)
                about.update({entry.id: c for c in client_ids})
                wrote(name, (entry.id, "notes", value), (entry.id, "mediator", entry.mediator))
            elif kind in ("edit", "delete"):
                name = names[op[1] % len(names)]
                journal = team.journals[name]
                rows = journal.list_entries(limit=1000)
                if not rows:
                    continue
                entry = journal.get_entry(rows[op[2] % len(rows)].id)
                for f in FIELDS:
                    seen.add((entry.id, f, getattr(entry, f)))
                if kind == "delete":
                    journal.delete_entry(entry.id)
                else:
                    value = f"v{next(counter)}"
                    setattr(entry, op[3], value)
                    journal.save_entry(entry, now=NOW)
                    wrote(name, (entry.id, op[3], value))
            elif kind == "erase":
                name = names[op[1] % len(names)]
                clients = team.journals[name].list_clients()
                if clients:
                    team.sync(name).erase_client(clients[op[2] % len(clients)].id)
            elif kind == "share":
                clients = team.journals["lead"].list_clients()
                if clients:
                    try:
                        team.sync("lead").share_client(clients[op[2] % len(clients)].id,
                                                       names[1 + (op[1] - 1) % (len(names) - 1)])
                    except SyncError:
                        pass  # deleted or erased meanwhile
            elif kind == "export":
                name = names[op[1] % len(names)]
                produced.extend(r.path for r in team.sync(name).export_bundles())
                exported_at[name] = next(clock)
            elif kind == "backup":
                name = names[1 + (op[1] - 1) % (len(names) - 1)]
                reopen(name)  # closed, so the copy is whole
                shutil.copy2(team.folder / f"{name}.db", run / f"{name}-backup.db")
                shutil.copy2(keyslot_path(team.folder / f"{name}.db"), keyslot_path(run / f"{name}-backup.db"))
                backups[name] = next(clock)
            elif kind == "restore":
                name = names[1 + (op[1] - 1) % (len(names) - 1)]
                if name not in backups:
                    continue
                reopen(name, run / f"{name}-backup.db")
                # Written after the backup and never put into a bundle: gone with the restore.
                for i, (who, when) in writer.items():
                    if who == name and when > backups[name] and when > exported_at.get(name, -1):
                        written[i] = None
                exported_at[name] = backups[name]
            elif kind == "deliver" and produced:
                path = produced[op[1] % len(produced)]
                if not path.exists():
                    continue  # its writer removed it: the other side had taken it in
                recipient = fmt.read(path).header["recipient"]
                for name in names:
                    if team.journals[name].device_id == recipient:
                        report = team.sync(name).import_paths([path] * (2 if op[2] else 1))
                        assert not report.rejected, report.rejected[0].message
        for _round in range(3):
            for name in names[1:]:
                team.sync(name).export_bundles()
            assert not team.sync("lead").import_paths([team.sync_dir]).rejected
            team.sync("lead").export_bundles()
            for name in names[1:]:
                assert not team.sync(name).import_paths([team.sync_dir]).rejected

        lead = team.journals["lead"]
        lead_erased = erased_ids(lead)
        for name in names[1:]:
            device = team.journals[name]
            device_erased = erased_ids(device)
            for tbl in ("entries", "clients"):
                mine = synced_rows(device, tbl)
                theirs = synced_rows(lead, tbl, origin=device.device_id)
                all_rows = synced_rows(lead, tbl)
                theirs.update({rid: all_rows[rid] for rid in shared_ids(lead, tbl, device.device_id)
                               if rid in all_rows})
                # An erased record is a content-free tombstone wherever it is known at all
                # (a record erased before it ever synced never reaches the lead).
                for rid in set(mine) | set(theirs):
                    if rid in device_erased or rid in lead_erased:
                        assert rid not in mine or rid in device_erased
                        assert rid not in theirs or rid in lead_erased
                        mine.pop(rid, None)
                        theirs.pop(rid, None)
                assert mine == theirs, (name, tbl)
            assert synced_rows(device, "catalog_values") == synced_rows(lead, "catalog_values")
            assert team.sync(name).status().unacknowledged == 0

        with lead.engine.connect() as conn:
            conflicts = {(r, f, v) for r, f, v in conn.exec_driver_sql(
                "SELECT rid, field, loser_value FROM sync_conflicts")}
            erased = {r for (r,) in conn.exec_driver_sql("SELECT rid FROM sync_clock WHERE erased = 1")}
        # Nothing written about an erased person survives in a conflict record, also of an entry that
        # was deleted everywhere (no longer linking them) before the erasure.
        for rid, client_id in about.items():
            if client_id in erased:
                assert not any(c[0] == rid for c in conflicts), "a conflict record outlived its person's erasure"
        entries = synced_rows(lead, "entries")
        fields = SPECS["entries"].fields
        erased_anywhere = set().union(*(erased_ids(team.journals[n]) for n in names))
        for rid, name, value in filter(None, written):
            if rid not in entries:
                assert rid in erased_anywhere, "an entry never reached the lead without being erased"
                continue
            if about.get(rid) in erased and rid not in erased:
                # deleted before its person's erasure: their values went with it (checked above)
                assert dict(zip(fields, entries[rid]))["deleted_at"], "an entry outlived its person's erasure"
                continue
            if rid in erased:
                assert not any(c[0] == rid for c in conflicts), "an erased record left a conflict record"
                row = dict(zip(fields, entries[rid]))
                assert row["notes"] == "" and row["deleted_at"], "an erased entry kept content"
                continue
            row = dict(zip(fields, entries[rid]))
            if row["deleted_at"] is None and row[name] == value:
                continue
            if (rid, name, value) in seen:
                continue
            assert (rid, name, value) in conflicts, f"lost without a conflict record: {name}={value}"
    finally:
        team.close()
