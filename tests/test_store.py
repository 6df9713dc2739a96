"""Creating, unlocking, re-keying and recovering a store; unlock throttling; saving,
deleting and restoring entries; drafts. All against real SQLCipher files in tmp_path."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
import shutil
import stat

import pytest
from helpers.factories import (
    FAST_KDF,
    PASSPHRASE,
    consultation,
    outreach,
    raw,
    snapshot,
    store_files,
    tandem,
)

from app.domain.entries import RecordMeta
from app.domain.filters import JournalFilter
from app.domain.validation import ValidationError
from app.services.stores import (
    StoreError,
    change_passphrase,
    create_store,
    open_store,
    recover_access,
)
from app.store import repository as repo
from app.store.engine import checkpoint
from app.store.search_index import SEQ_MASK
from app.store.keyslots import KeySlots, WrongPassphrase, generate_recovery_keypair, keyslot_path
from app.store.throttle import FREE_TRIES, MAX_DELAY_SECONDS, UnlockThrottle, delay_after

NEW_PASSPHRASE = "a completely new passphrase"


def content(entry):
    """An entry without its bookkeeping, for comparing what a user typed."""
    return dataclasses.replace(entry, meta=RecordMeta())


def closed_store(journal):
    journal.close()
    return journal.path


# -- create and reopen ------------------------------------------------------------------


def test_create_store_makes_two_private_files_and_seeds_catalogs(journal, store_path):
    assert store_path.is_file() and keyslot_path(store_path).is_file()
    for path in (store_path, keyslot_path(store_path)):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    assert journal.user_name == "Test Mediator"
    assert journal.role == "mediator"
    assert len(journal.store_id) == 36 and len(journal.device_id) == 32
    assert journal.catalogs.is_active("districts", "wehringhausen")
    assert journal.catalogs.is_active("schools", "gs1")
    assert journal.count_entries() == 0
    assert not store_path.read_bytes().startswith(b"SQLite format 3"), "the database must be encrypted"


def test_reopen_returns_every_entry_exactly(journal, store_path):
    client = journal.save_client(journal.new_client())
    saved = [
        journal.save_entry(consultation(client_ids=[client.id], referrals=["jobcentre", "asd"])),
        journal.save_entry(tandem(format="tridem", social_worker="SSA")),
        journal.save_entry(outreach(follow_up="Nachfragen", follow_up_due=dt.date(2025, 3, 20))),
    ]
    store_id = journal.store_id
    journal.close()

    with open_store(store_path, PASSPHRASE) as reopened:
        assert reopened.store_id == store_id
        for entry in saved:
            assert reopened.get_entry(entry.id) == entry
        assert reopened.get_client(client.id) == client
        assert reopened.count_entries() == 3


def test_create_refuses_an_existing_store_and_changes_nothing(journal, store_path):
    closed_store(journal)
    before = snapshot(store_files(store_path))
    with pytest.raises(StoreError, match="already exists"):
        create_store(store_path, PASSPHRASE, kdf=FAST_KDF)
    assert snapshot(store_files(store_path)) == before


@pytest.mark.parametrize(
    ("passphrase", "role", "message"),
    [("short", "mediator", "too short"), (PASSPHRASE, "boss", "mediator or lead")],
)
def test_create_refuses_bad_settings_without_leaving_files(data_dir, passphrase, role, message):
    path = data_dir / "new.db"
    with pytest.raises(StoreError, match=message):
        create_store(path, passphrase, role=role, kdf=FAST_KDF)
    assert not path.exists() and not keyslot_path(path).exists()


def test_open_store_that_does_not_exist(data_dir):
    with pytest.raises(StoreError, match="no journal"):
        open_store(data_dir / "missing.db", PASSPHRASE)


def test_open_store_without_key_file(journal, store_path):
    closed_store(journal)
    keyslot_path(store_path).unlink()
    with pytest.raises(StoreError, match="key file of this journal is missing"):
        open_store(store_path, PASSPHRASE)


def test_key_file_of_another_store_is_refused_and_nothing_written(journal, store_path, data_dir):
    closed_store(journal)
    other = create_store(data_dir / "other.db", PASSPHRASE, kdf=FAST_KDF)
    other.close()
    shutil.copy(keyslot_path(data_dir / "other.db"), keyslot_path(store_path))
    before = snapshot(store_files(store_path))
    with pytest.raises(StoreError, match="damaged or does not belong"):
        open_store(store_path, PASSPHRASE)
    assert snapshot(store_files(store_path)) == before


# -- wrong passphrase -------------------------------------------------------------------


def test_wrong_passphrase_is_refused_and_writes_nothing(journal, store_path):
    journal.save_entry(consultation())
    closed_store(journal)
    files_before = store_files(store_path)
    before = snapshot(files_before)

    for attempt in ("correct horse battery ", "Correct horse battery", ""):  # the free tries
        with pytest.raises(WrongPassphrase):
            open_store(store_path, attempt)

    assert store_files(store_path) == files_before, "no -wal/-shm or other file may appear"
    assert snapshot(files_before) == before, "bytes, mtime and mode must be unchanged"
    with open_store(store_path, PASSPHRASE) as reopened:
        assert reopened.count_entries() == 1


# -- passphrase change ------------------------------------------------------------------


def test_change_passphrase_rewraps_the_key_and_leaves_the_database_alone(journal, store_path):
    entry = journal.save_entry(consultation())
    closed_store(journal)
    db_before = snapshot([store_path])
    keys_before = keyslot_path(store_path).read_bytes()

    change_passphrase(store_path, PASSPHRASE, NEW_PASSPHRASE, kdf=FAST_KDF)

    assert snapshot([store_path]) == db_before, "the database must not be re-encrypted or touched"
    assert keyslot_path(store_path).read_bytes() != keys_before
    assert stat.S_IMODE(keyslot_path(store_path).stat().st_mode) == 0o600
    with pytest.raises(WrongPassphrase):
        open_store(store_path, PASSPHRASE)
    with open_store(store_path, NEW_PASSPHRASE) as reopened:
        assert reopened.get_entry(entry.id) == entry


@pytest.mark.parametrize(
    ("old", "new", "error"),
    [("wrong old passphrase", NEW_PASSPHRASE, WrongPassphrase), (PASSPHRASE, "short", StoreError)],
)
def test_failed_passphrase_change_changes_nothing(journal, store_path, old, new, error):
    closed_store(journal)
    before = snapshot(store_files(store_path))
    with pytest.raises(error):
        change_passphrase(store_path, old, new, kdf=FAST_KDF)
    assert snapshot(store_files(store_path)) == before
    open_store(store_path, PASSPHRASE).close()


# -- recovery key -----------------------------------------------------------------------


@pytest.fixture
def recoverable_store(store_path):
    private_pem, public_pem = generate_recovery_keypair()
    journal = create_store(store_path, PASSPHRASE, name="Test Mediator", kdf=FAST_KDF, recovery_public_pem=public_pem)
    entry = journal.save_entry(consultation())
    journal.close()
    return store_path, private_pem, entry


def test_recovery_key_sets_a_new_passphrase_without_the_old_one(recoverable_store):
    store_path, private_pem, entry = recoverable_store
    db_before = snapshot([store_path])

    recover_access(store_path, private_pem, NEW_PASSPHRASE, kdf=FAST_KDF)

    assert snapshot([store_path]) == db_before
    with pytest.raises(WrongPassphrase):
        open_store(store_path, PASSPHRASE)
    with open_store(store_path, NEW_PASSPHRASE) as reopened:
        assert reopened.get_entry(entry.id) == entry
    # The recovery slot survives: it can be used again.
    recover_access(store_path, private_pem, "yet another passphrase", kdf=FAST_KDF)
    open_store(store_path, "yet another passphrase").close()


def test_recovery_slot_survives_a_passphrase_change(recoverable_store):
    store_path, private_pem, _entry = recoverable_store
    change_passphrase(store_path, PASSPHRASE, NEW_PASSPHRASE, kdf=FAST_KDF)
    assert len(KeySlots.load(keyslot_path(store_path)).of_type("recovery")) == 1
    recover_access(store_path, private_pem, "third passphrase here", kdf=FAST_KDF)
    open_store(store_path, "third passphrase here").close()


def test_wrong_recovery_key_is_refused_and_nothing_written(recoverable_store):
    store_path, private_pem, _entry = recoverable_store
    other_private, other_public = generate_recovery_keypair()
    before = snapshot(store_files(store_path))
    with pytest.raises(StoreError, match="does not belong to this journal"):
        recover_access(store_path, other_private, NEW_PASSPHRASE, kdf=FAST_KDF)
    with pytest.raises(StoreError, match="Not a PEM private key"):
        recover_access(store_path, other_public, NEW_PASSPHRASE, kdf=FAST_KDF)
    with pytest.raises(StoreError, match="too short"):
        recover_access(store_path, private_pem, "short", kdf=FAST_KDF)
    assert snapshot(store_files(store_path)) == before
    open_store(store_path, PASSPHRASE).close()


def test_store_without_recovery_slot_cannot_be_recovered(journal, store_path):
    closed_store(journal)
    private_pem, _public = generate_recovery_keypair()
    with pytest.raises(StoreError, match="has no recovery key"):
        recover_access(store_path, private_pem, NEW_PASSPHRASE, kdf=FAST_KDF)


def test_private_key_given_as_recovery_public_key_creates_nothing(data_dir):
    private_pem, _public = generate_recovery_keypair()
    path = data_dir / "new.db"
    with pytest.raises(StoreError, match="recovery public key"):
        create_store(path, PASSPHRASE, kdf=FAST_KDF, recovery_public_pem=private_pem)
    assert not path.exists() and not keyslot_path(path).exists()


# -- unlock throttling ------------------------------------------------------------------


def test_delay_schedule():
    assert FREE_TRIES == 3
    assert [delay_after(n) for n in range(FREE_TRIES)] == [0.0] * FREE_TRIES
    delays = [delay_after(n) for n in range(FREE_TRIES, FREE_TRIES + 10)]
    assert delays[:5] == [1.0, 2.0, 4.0, 8.0, 16.0]
    assert all(b >= a for a, b in zip(delays, delays[1:])), "delays never shrink"
    assert max(delays) == MAX_DELAY_SECONDS == 30.0
    assert delay_after(1000) == MAX_DELAY_SECONDS


def test_repeated_wrong_passphrases_are_slowed_down_and_success_resets(journal, store_path, tmp_path):
    closed_store(journal)
    slept: list[float] = []
    state = tmp_path / "state"

    def throttle():  # a new object each time: the count must survive a restart of the app
        return UnlockThrottle(state, store_path, sleep=slept.append)

    for _ in range(6):
        with pytest.raises(WrongPassphrase):
            open_store(store_path, "wrong passphrase", throttle=throttle())
    assert slept == [1.0, 2.0, 4.0], "free tries first, then growing delays"
    assert throttle().failures() == 6

    open_store(store_path, PASSPHRASE, throttle=throttle()).close()
    assert slept == [1.0, 2.0, 4.0, 8.0]
    assert throttle().failures() == 0, "a success resets the count"

    slept.clear()
    for _ in range(FREE_TRIES):
        with pytest.raises(WrongPassphrase):
            open_store(store_path, "wrong passphrase", throttle=throttle())
    assert slept == [], "after a success the free tries are available again"


def test_throttle_counts_per_store_and_keeps_no_path_or_content(journal, store_path, data_dir):
    closed_store(journal)
    slept: list[float] = []
    other = data_dir / "other.db"

    def throttle():
        return UnlockThrottle(data_dir / "state", store_path, slept.append)

    for _ in range(4):
        with pytest.raises(WrongPassphrase):
            open_store(store_path, "wrong passphrase", throttle=throttle())
    assert UnlockThrottle(data_dir / "state", other).failures() == 0
    assert UnlockThrottle(data_dir / "state", store_path).failures() == 4

    with pytest.raises(WrongPassphrase):
        open_store(store_path, "wrong passphrase", throttle=throttle())
    state_file = data_dir / "state" / "unlock-attempts.json"
    text = state_file.read_text()
    assert str(store_path) not in text and "journal" not in text
    assert list(json.loads(text).values()) == [5]
    assert stat.S_IMODE(state_file.stat().st_mode) == 0o600


def test_default_throttle_state_is_outside_the_store(journal, store_path, data_dir):
    closed_store(journal)
    before = snapshot(store_files(store_path))
    with pytest.raises(WrongPassphrase):
        open_store(store_path, "wrong passphrase")
    assert UnlockThrottle(data_dir / "state", store_path).failures() == 1
    assert snapshot(store_files(store_path)) == before
    open_store(store_path, PASSPHRASE).close()
    assert UnlockThrottle(data_dir / "state", store_path).failures() == 0


# -- saving, unchanged saves, atomicity -------------------------------------------------


def test_save_assigns_id_and_bookkeeping(journal):
    saved = journal.save_entry(consultation())
    assert len(saved.id) == 36
    assert saved.meta.created_at == saved.meta.updated_at
    assert saved.meta.created_at.endswith("Z")
    assert saved.meta.author == "Test Mediator"
    assert saved.meta.device_id == journal.device_id
    assert journal.get_entry(saved.id) == saved


def test_saving_an_unchanged_entry_writes_nothing(journal, store_path):
    saved = journal.save_entry(consultation())
    checkpoint(journal.engine)
    before = snapshot(store_files(store_path))

    again = journal.save_entry(journal.get_entry(saved.id))

    assert again.meta.updated_at == saved.meta.updated_at
    assert journal.get_entry(saved.id).meta == saved.meta
    after = snapshot(store_files(store_path))
    assert {k: v[0] for k, v in after.items()} == {k: v[0] for k, v in before.items()}, "no byte may change"


def test_saving_a_change_keeps_created_at_and_bumps_updated_at(journal):
    saved = journal.save_entry(consultation())
    edited = journal.save_entry(dataclasses.replace(saved, notes="Neuer Text"))
    assert edited.id == saved.id
    assert edited.meta.created_at == saved.meta.created_at
    assert edited.meta.updated_at > saved.meta.updated_at
    assert journal.get_entry(saved.id).notes == "Neuer Text"
    assert journal.count_entries() == 1


def test_invalid_entry_is_not_saved_at_all(journal):
    with pytest.raises(ValidationError) as info:
        journal.save_entry(consultation(setting=None, mediator=""))
    assert {p.field for p in info.value.problems} == {"setting", "mediator"}
    assert journal.count_entries() == 0
    assert raw(journal, "SELECT count(*) FROM entries") == [(0,)]

    saved = journal.save_entry(consultation())
    with pytest.raises(ValidationError):
        journal.save_entry(dataclasses.replace(saved, notes="changed", end=saved.start - dt.timedelta(hours=1)))
    assert journal.get_entry(saved.id) == saved, "a refused edit leaves the stored entry as it was"


def test_failure_inside_the_save_transaction_leaves_no_half_record(journal, monkeypatch):
    client = journal.save_client(journal.new_client())

    def explode(*_args, **_kwargs):
        raise RuntimeError("disk on fire")

    # save_entry writes the entry, its full-text row and client links, then the last district:
    # failing at the last step must roll back all of it.
    monkeypatch.setattr(repo, "set_meta", explode)
    with pytest.raises(RuntimeError):
        journal.save_entry(consultation(client_ids=[client.id], notes="halbfertig"))
    monkeypatch.undo()

    assert raw(journal, "SELECT count(*) FROM entries") == [(0,)]
    assert raw(journal, "SELECT count(*) FROM entries_fts") == [(0,)]
    assert raw(journal, "SELECT count(*) FROM entry_clients") == [(0,)]


def test_client_on_entry_must_exist(journal):
    with pytest.raises(ValidationError, match="not in the register"):
        journal.save_entry(consultation(client_ids=["0190f0e0-0000-7000-8000-000000000000"]))
    assert journal.count_entries() == 0


def test_new_entry_defaults_to_me_and_my_last_district(journal):
    journal.save_entry(consultation(district="haspe"))
    blank = journal.new_entry("outreach_visit", now=dt.datetime(2025, 4, 1, 9, 17, 33))
    assert blank.start == dt.datetime(2025, 4, 1, 9, 17)
    assert blank.mediator == "Test Mediator"
    assert blank.district == "haspe"
    assert blank.id == ""


# -- delete, tombstone, restore ---------------------------------------------------------

BOOKKEEPING = {"seq", "id", "type", "created_at", "updated_at", "author", "device_id", "deleted_at"}
EMPTY = (None, "", "[]", 0)


def test_delete_leaves_a_content_free_tombstone_and_restore_brings_it_back(journal):
    client = journal.save_client(journal.new_client())
    saved = journal.save_entry(
        tandem(
            format="tridem", social_worker="SSA", notes="Geheimer Inhalt", follow_up="Anrufen",
            follow_up_due=dt.date(2025, 3, 20), client_ids=[client.id], district="altenhagen",
            languages=["bg", "de"], outcome="resolved",
        )
    )

    deleted = journal.delete_entry(saved.id)

    assert deleted == saved
    assert journal.get_entry(saved.id) is None
    assert journal.count_entries() == 0
    assert journal.count_entries(JournalFilter(text="Geheimer")) == 0
    with journal.engine.connect() as conn:
        row = conn.exec_driver_sql("SELECT * FROM entries WHERE id = ?", (saved.id,)).mappings().one()
    assert row["type"] == "tandem_session"
    assert row["created_at"] == saved.meta.created_at
    assert row["deleted_at"] and row["updated_at"] == row["deleted_at"]
    assert row["device_id"] == journal.device_id
    leftovers = {k: v for k, v in row.items() if k not in BOOKKEEPING and v not in EMPTY}
    assert leftovers == {}, f"a tombstone keeps no content: {leftovers}"
    assert raw(journal, "SELECT count(*) FROM entries_fts WHERE (rowid & ?) = ?", (SEQ_MASK, row["seq"])) == [(0,)]
    assert raw(journal, "SELECT count(*) FROM entry_clients WHERE entry_id = ?", (saved.id,)) == [(0,)]

    restored = journal.restore_entry(deleted)

    assert restored.id == saved.id
    assert content(journal.get_entry(saved.id)) == content(saved)
    assert journal.get_entry(saved.id).meta.created_at == saved.meta.created_at
    assert journal.count_entries(JournalFilter(text="Geheimer")) == 1
    assert journal.count_entries(JournalFilter(client_id=client.id)) == 1


def test_deleting_twice_or_an_unknown_id_does_nothing(journal):
    saved = journal.save_entry(consultation())
    assert journal.delete_entry(saved.id) is not None
    assert journal.delete_entry(saved.id) is None
    assert journal.delete_entry("0190f0e0-0000-7000-8000-000000000000") is None


def test_follow_ups_due_and_done(journal):
    due = journal.save_entry(consultation(follow_up="Rückruf", follow_up_due=dt.date(2025, 3, 12)))
    journal.save_entry(consultation(follow_up="Später", follow_up_due=dt.date(2025, 5, 1)))
    journal.save_entry(consultation(follow_up="", follow_up_due=None))
    assert [e.id for e in journal.follow_ups(dt.date(2025, 3, 15))] == [due.id]
    journal.set_follow_up_done(due.id)
    assert journal.follow_ups(dt.date(2025, 3, 15)) == []
    assert journal.get_entry(due.id).follow_up_done is True


# -- drafts and settings ----------------------------------------------------------------


def test_drafts_survive_closing_and_can_be_discarded(journal, store_path):
    journal.save_draft("consultation:new", {"notes": "halb getippt ș", "topics": ["housing"]})
    journal.save_draft("outreach:new", {"notes": "zweiter"})
    journal.save_draft("consultation:new", {"notes": "weiter getippt"})
    journal.set_setting("window", "maximised")
    journal.close()

    with open_store(store_path, PASSPHRASE) as reopened:
        assert sorted(reopened.draft_keys()) == ["consultation:new", "outreach:new"]
        assert reopened.load_draft("consultation:new") == {"notes": "weiter getippt"}
        assert reopened.get_setting("window") == "maximised"
        reopened.discard_draft("consultation:new")
        assert reopened.load_draft("consultation:new") is None
        assert reopened.draft_keys() == ["outreach:new"]


def test_profile_is_kept_inside_the_store(journal, store_path):
    journal.set_profile(name="  Ana Lead ", role="lead")
    journal.close()
    with open_store(store_path, PASSPHRASE) as reopened:
        assert (reopened.user_name, reopened.role) == ("Ana Lead", "lead")
        assert reopened.save_entry(consultation(mediator="Ana Lead")).meta.author == "Ana Lead"


def test_database_side_files_are_private_too(journal, store_path):
    journal.save_entry(consultation())
    for path in store_files(store_path):
        assert stat.S_IMODE(os.stat(path).st_mode) & 0o077 == 0, path


def test_save_returns_exactly_what_is_stored(journal):
    """The returned copy is what the form keeps; if it differs from the stored one, saving
    it again unchanged would count as an edit (new updated_at, a spurious sync)."""
    saved = journal.save_entry(consultation(start=dt.datetime(2025, 3, 10, 9, 30, 45, 123),
                                            end=dt.datetime(2025, 3, 10, 10, 0, 5)))
    assert journal.get_entry(saved.id) == saved
    again = journal.save_entry(saved)
    assert again.meta.updated_at == saved.meta.updated_at


def test_wal_checkpoints_run_off_the_save_path_and_stop_with_the_journal(journal, store_path):
    from app.store.engine import _checkpointers

    with journal.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar() == 0, "no checkpoint inside a save"
    for n in range(80):  # more commits than one background round needs
        journal.save_entry(consultation(notes=f"Eintrag {n}"))
    thread = _checkpointers[journal.engine]._thread
    assert thread.is_alive()
    journal.close()
    assert not thread.is_alive()
    wal = store_path.with_name(store_path.name + "-wal")
    assert not wal.exists() or wal.stat().st_size == 0, "closing folds the WAL into the database"
    reopened = open_store(store_path, PASSPHRASE)
    assert reopened.count_entries() == 80
    reopened.close()


def test_full_disk_rolls_the_save_back_and_says_so(journal, store_path):
    from sqlalchemy import event

    from app.store.engine import StorageFull

    kept = journal.save_entry(consultation(notes="vorher"))
    with journal.engine.connect() as conn:
        pages = conn.exec_driver_sql("PRAGMA page_count").scalar()
    journal.engine.dispose()
    limit = lambda dbapi, _record: dbapi.execute(f"PRAGMA max_page_count = {pages + 1}")  # noqa: E731
    event.listen(journal.engine.pool, "connect", limit)
    with pytest.raises(StorageFull) as info:
        journal.save_entry(consultation(notes="x" * 20_000))
    assert isinstance(info.value, OSError) and "x" * 20 not in str(info.value)
    event.remove(journal.engine.pool, "connect", limit)
    journal.engine.dispose()
    assert [e.id for e in journal.all_entries()] == [kept.id]
    assert raw(journal, "PRAGMA integrity_check") == [("ok",)]


def test_a_journal_sqlite_cannot_open_is_not_called_damaged(store_path):
    """A folder that cannot be written or a full disk was reported as 'damaged or does not belong to
    these keys', which invites a destructive restore. (A directory in place of the write-ahead log
    stands in for them here: root writes into read-only folders.)"""
    from app.services.stores import StoreError

    create_store(store_path, PASSPHRASE, kdf=FAST_KDF).close()
    (store_path.parent / (store_path.name + "-wal")).mkdir()
    with pytest.raises(StoreError) as info:
        open_store(store_path, PASSPHRASE)
    assert "cannot be opened" in str(info.value) and "damaged" not in str(info.value)
