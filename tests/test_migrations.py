"""Every older store version opens (after a backup) and a store from the future is refused.

Fixtures: tests/fixtures/stores/schema-<revision>/journal.db(.keys), made by
tests/fixtures/make_store_fixture.py (passphrase "fixture passphrase", three known entries).
"""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
from pathlib import Path

import pytest
from helpers.factories import FAST_KDF, PASSPHRASE, consultation, raw, snapshot, store_files

from app.domain.filters import JournalFilter
from app.services.stores import create_store, open_store, unlock_key
from app.store import migrate
from app.store import engine as engine_module
from app.store.engine import LEGACY_PAGE_HMAC, PAGE_HMAC, checkpoint, make_engine, page_hmac
from app.store.keyslots import WrongPassphrase, keyslot_path
from app.store.migrate import NewerStoreError, current_revision, head_revision, known_revisions

FIXTURES = Path(__file__).parent / "fixtures" / "stores"
FIXTURE_PASSPHRASE = "fixture passphrase"
FIXTURE_DIRS = sorted(FIXTURES.glob("schema-*"))


def key_file_version(store: Path) -> int:
    return json.loads(keyslot_path(store).read_bytes())["version"]


def revision_of(folder: Path) -> str:
    return folder.name.removeprefix("schema-")


def copy_fixture(folder: Path, target_dir: Path) -> Path:
    target = target_dir / "journal.db"
    shutil.copy2(folder / "journal.db", target)
    shutil.copy2(folder / "journal.db.keys", keyslot_path(target))
    return target


def test_every_known_revision_has_a_fixture_store():
    """A new migration needs a fixture of the schema it creates: run make_store_fixture.py."""
    revisions = known_revisions()
    assert revisions[-1] == head_revision()
    fixtures = {revision_of(folder) for folder in FIXTURE_DIRS}
    missing = [r for r in revisions if r not in fixtures]
    assert not missing, f"no fixture store for revisions {missing}: run tests/fixtures/make_store_fixture.py"
    assert fixtures <= set(revisions), f"fixtures for unknown revisions: {sorted(fixtures - set(revisions))}"
    for folder in FIXTURE_DIRS:
        assert (folder / "journal.db").is_file() and (folder / "journal.db.keys").is_file(), folder
        assert not list(folder.glob("journal.db-*")), f"{folder} has SQLite side files"


def test_fixture_stores_are_at_their_revision(data_dir):
    for folder in FIXTURE_DIRS:
        path = copy_fixture(folder, data_dir)
        engine = make_engine(path, unlock_key(path, FIXTURE_PASSPHRASE))
        try:
            assert current_revision(engine) == revision_of(folder)
        finally:
            engine.dispose()
        for leftover in store_files(path):
            leftover.unlink()


def assert_fixture_entries(journal):
    entries = {e.type: e for e in journal.all_entries()}
    assert sorted(entries) == ["consultation", "outreach_visit", "tandem_session"]

    c = entries["consultation"]
    assert (c.start, c.end) == (dt.datetime(2025, 6, 2, 9, 30), dt.datetime(2025, 6, 2, 10, 0))
    assert (c.mediator, c.setting, c.topics, c.referrals, c.languages) == (
        "Fixture", "office", ["housing"], ["jobcentre"], ["ro"],
    )
    assert c.notes == "fixture consultation note"
    [client_id] = c.client_ids
    client = journal.get_client(client_id)
    assert client is not None and client.code.startswith("K-")

    t = entries["tandem_session"]
    assert (t.start, t.school, t.format, t.teacher, t.social_worker, t.pupils_count, t.topics, t.notes) == (
        dt.datetime(2025, 6, 2, 8, 0), "gs1", "tridem", "KL", "SSA", 2, ["attendance"], "fixture tandem",
    )

    o = entries["outreach_visit"]
    assert (o.start, o.district, o.place_type, o.purpose, o.adults_reached, o.children_reached, o.notes) == (
        dt.datetime(2025, 6, 1, 15, 0), "wehringhausen", "street", "prevention", 7, 3, "fixture outreach",
    )
    for entry in entries.values():
        assert entry.meta.created_at and entry.meta.author == "Fixture"
    assert journal.count_entries(JournalFilter(text="fixture")) == 3  # the full-text index came along
    # The place filters read the rebuilt place indexes (0011, 0012): each finds its one entry.
    assert [e.id for e in journal.list_entries(JournalFilter(district="wehringhausen"))] == [o.id]
    assert [e.id for e in journal.list_entries(JournalFilter(school="gs1"))] == [t.id]
    assert journal.count_entries(JournalFilter(district="wehringhausen")) == 1
    assert journal.count_entries(JournalFilter(school="gs1", types=("tandem_session",))) == 1

    assert journal.count_entries(JournalFilter(text="fixture")) == 3
    assert journal.count_entries(JournalFilter(text="tandem")) == 1
    assert journal.count_entries(JournalFilter(text="fixture", types=("consultation", "tandem_session"))) == 2
    assert journal.count_entries(JournalFilter(text="fixture", district="wehringhausen")) == 1
    assert [row.type for row in journal.list_entries(JournalFilter(text="fixture outreach"))] == ["outreach_visit"]
    assert [row.type for row in journal.list_entries(JournalFilter(text="fixture"))] == [
        "consultation", "tandem_session", "outreach_visit"], "newest first"
    assert journal.count_entries(JournalFilter(client_id=client_id)) == 1


@pytest.mark.parametrize("folder", FIXTURE_DIRS, ids=[f.name for f in FIXTURE_DIRS])
def test_fixture_store_opens_at_head_with_entries_intact(folder, data_dir):
    revision = revision_of(folder)
    path = copy_fixture(folder, data_dir)

    with open_store(path, FIXTURE_PASSPHRASE) as journal:
        assert current_revision(journal.engine) == head_revision()
        assert_fixture_entries(journal)
        with journal.engine.connect() as conn:
            assert page_hmac(conn) == PAGE_HMAC
        # The upgraded schema is usable: new entries and drafts can be written.
        journal.save_entry(consultation(notes="nach der Migration"))
        journal.save_draft("consultation:new", {"notes": "Entwurf"})
        assert journal.count_entries() == 4
    # Re-encrypted (0013): the pages no longer open with the MAC of older stores.
    assert engine_module._open(path, unlock_key(path, FIXTURE_PASSPHRASE), LEGACY_PAGE_HMAC) is None
    assert not list(data_dir.glob("*.reencrypting*"))
    # ... and the key file says so, so an application made before 0013 reports "a newer version".
    assert key_file_version(path) == 2

    backups = sorted((data_dir / "backups").glob("*")) if (data_dir / "backups").exists() else []
    if revision == head_revision():
        assert backups == [], "a store at the newest schema is not backed up on every open"
        return

    [backup_db] = [b for b in backups if b.suffix == ".db"]
    assert re.fullmatch(rf"journal-schema{revision}-\d{{8}}-\d{{6}}\.db", backup_db.name)
    assert keyslot_path(backup_db) in backups
    assert backup_db.read_bytes() == (folder / "journal.db").read_bytes(), "the backup is the untouched original"
    assert keyslot_path(backup_db).read_bytes() == (folder / "journal.db.keys").read_bytes(), \
        "the backup's key file stays readable by the version the backup is for"

    # The backup still opens, at its old revision, with the same passphrase.
    engine = make_engine(backup_db, unlock_key(backup_db, FIXTURE_PASSPHRASE))
    try:
        assert current_revision(engine) == revision
        with engine.connect() as conn:
            assert conn.exec_driver_sql("SELECT count(*) FROM entries").scalar() == 3
    finally:
        engine.dispose()

    # Opening again does not migrate or back up a second time.
    with open_store(path, FIXTURE_PASSPHRASE) as journal:
        assert journal.count_entries() == 4
    assert len(list((data_dir / "backups").glob("*.db"))) == 1


def test_store_from_a_newer_version_is_refused_and_left_alone(data_dir):
    path = copy_fixture(FIXTURE_DIRS[-1], data_dir)
    engine = make_engine(path, unlock_key(path, FIXTURE_PASSPHRASE))
    with engine.begin() as conn:
        conn.exec_driver_sql("UPDATE alembic_version SET version_num = '9999_from_the_future'")
    checkpoint(engine)
    engine.dispose()
    before = snapshot([path, keyslot_path(path)])

    with pytest.raises(NewerStoreError) as info:
        open_store(path, FIXTURE_PASSPHRASE)

    message = str(info.value)
    assert "newer version" in message and "nothing was changed" in message
    assert snapshot([path, keyslot_path(path)]) == before
    assert not (data_dir / "backups").exists(), "a store that is not migrated is not backed up"


BROKEN_MIGRATION = '''
import sqlalchemy as sa
from alembic import op

revision = "{revision}"
down_revision = "{down}"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table("half_done", sa.Column("x", sa.Integer))
    op.execute("UPDATE entries SET notes = 'clobbered'")
    raise RuntimeError("migration failed half-way")
'''


def test_failing_migration_rolls_back_and_keeps_a_backup(data_dir, tmp_path, monkeypatch):
    migrations = tmp_path / "migrations"
    shutil.copytree(migrate.MIGRATIONS_DIR, migrations, ignore=shutil.ignore_patterns("__pycache__"))
    (migrations / "versions" / "9000_broken.py").write_text(
        BROKEN_MIGRATION.format(revision="9000", down=head_revision())
    )
    head = head_revision()
    path = copy_fixture(FIXTURE_DIRS[-1], data_dir)
    monkeypatch.setattr(migrate, "MIGRATIONS_DIR", migrations)

    with pytest.raises(RuntimeError, match="half-way"):
        open_store(path, FIXTURE_PASSPHRASE)

    engine = make_engine(path, unlock_key(path, FIXTURE_PASSPHRASE))
    try:
        assert current_revision(engine) == head
        with engine.connect() as conn:
            assert conn.exec_driver_sql("SELECT name FROM sqlite_master WHERE name = 'half_done'").fetchall() == []
            notes = sorted(r[0] for r in conn.exec_driver_sql("SELECT notes FROM entries"))
        assert "clobbered" not in notes and len(notes) == 3
    finally:
        engine.dispose()
    assert len(list((data_dir / "backups").glob(f"journal-schema{head}-*.db"))) == 1

    monkeypatch.undo()
    with open_store(path, FIXTURE_PASSPHRASE) as journal:
        assert_fixture_entries(journal)


def test_new_store_is_created_at_head(journal):
    assert current_revision(journal.engine) == head_revision()
    tables = {r[0] for r in raw(journal, "SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"entries", "clients", "catalog_values", "meta", "drafts", "entries_fts", "alembic_version"} <= tables


def open_backup_count(backup_db: Path, passphrase: str) -> int:
    """Entries in a backup, opened as it is (no migration), with `passphrase`."""
    engine = make_engine(backup_db, unlock_key(backup_db, passphrase))
    try:
        with engine.connect() as conn:
            return conn.exec_driver_sql("SELECT count(*) FROM entries").scalar()
    finally:
        engine.dispose()


@pytest.mark.parametrize("how", ["change", "recover"])
def test_new_passphrase_also_retires_the_old_one_in_migration_backups(data_dir, how):
    """After a passphrase change (say, because the old one leaked) or a recovery, the old
    passphrase must not open the journal any more. The store key is never changed, so a key
    slot file kept in backups/ by a migration would still unwrap it with the old passphrase and
    open the *current* journal.db. The backup itself must stay usable with the new one."""
    from app.services.stores import change_passphrase, recover_access
    from app.store.keyslots import KeySlots, generate_recovery_keypair, load_recovery_public_key, make_recovery_slot

    path = copy_fixture(FIXTURE_DIRS[0], data_dir)
    open_store(path, FIXTURE_PASSPHRASE).close()
    [backup_db] = sorted((data_dir / "backups").glob("*.db"))

    if how == "change":
        change_passphrase(path, FIXTURE_PASSPHRASE, "the new passphrase", kdf=FAST_KDF)
    else:
        private_pem, public_pem = generate_recovery_keypair()
        slots = KeySlots.load(keyslot_path(path))
        key = unlock_key(path, FIXTURE_PASSPHRASE)
        KeySlots([*slots.slots, make_recovery_slot(key, load_recovery_public_key(public_pem))]).save(keyslot_path(path))
        recover_access(path, private_pem, "the new passphrase", kdf=FAST_KDF)

    for keys_file in [keyslot_path(path), *data_dir.rglob("*.keys")]:
        with pytest.raises(WrongPassphrase):
            KeySlots.load(keys_file).unlock_with_passphrase(FIXTURE_PASSPHRASE)
    assert open_backup_count(backup_db, "the new passphrase") == 3
    assert key_file_version(backup_db) == 1, "rewrapped, the backup's key file keeps its version"


def test_passphrase_change_leaves_backups_of_another_store_usable(data_dir):
    """IT replaced the journal at the same path by a new one (same file name, new store key).
    The old journal's migration backup must not be rewrapped with the new store's key: that
    would make it unopenable for everyone."""
    from app.services.stores import change_passphrase

    path = copy_fixture(FIXTURE_DIRS[0], data_dir)
    open_store(path, FIXTURE_PASSPHRASE).close()
    [backup_db] = sorted((data_dir / "backups").glob("*.db"))
    for old in store_files(path):
        old.unlink()
    create_store(path, PASSPHRASE, name="New Owner", kdf=FAST_KDF).close()

    change_passphrase(path, PASSPHRASE, "the new passphrase", kdf=FAST_KDF)

    assert open_backup_count(backup_db, FIXTURE_PASSPHRASE) == 3


def test_the_command_line_says_once_that_an_older_journal_is_being_updated(data_dir, tmp_path):
    """A large journal takes half a minute to upgrade: the user is told why, once, on stderr."""
    import subprocess
    import sys

    from helpers.factories import subprocess_env

    path = copy_fixture(FIXTURES / "schema-0008", tmp_path)
    env = subprocess_env(data_dir, MEDIATORLOG_PASSPHRASE=FIXTURE_PASSPHRASE)
    runs = [subprocess.run([sys.executable, "-m", "app", "export", "--store", str(path), "--format", "jsonl"],
                           env=env, capture_output=True, text=True, timeout=120) for _ in range(2)]
    assert [r.returncode for r in runs] == [0, 0], runs[0].stderr
    assert runs[0].stderr.strip() == (
        "Updating this journal for the new version of Mediator Log. This happens once and can take a minute "
        "for a large journal; please keep the program open.")
    assert runs[1].stderr == ""
    assert runs[0].stdout == runs[1].stdout and "fixture consultation note" in runs[0].stdout


def test_open_store_announces_an_upgrade_before_the_backup_and_not_for_a_current_store(data_dir, tmp_path):
    path = copy_fixture(FIXTURES / "schema-0008", tmp_path)
    seen = []
    open_store(path, FIXTURE_PASSPHRASE, on_upgrade=lambda: seen.append(list((tmp_path / "backups").glob("*")))).close()
    assert seen == [[]], "called once, before the backup is written"
    open_store(path, FIXTURE_PASSPHRASE, on_upgrade=lambda: seen.append("again")).close()
    assert seen == [[]]


def test_a_failed_re_encryption_leaves_the_journal_as_it_was(data_dir, monkeypatch):
    """The copy with the new page MAC replaces the journal only once it is complete and synced."""
    path = copy_fixture(FIXTURES / "schema-0012", data_dir)
    original = (FIXTURES / "schema-0012" / "journal.db").read_bytes()

    def disk_full(*_args):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(migrate.os, "replace", disk_full)
    with pytest.raises(OSError, match="No space"):
        open_store(path, FIXTURE_PASSPHRASE)
    assert path.read_bytes() == original
    assert sorted(p.name for p in data_dir.iterdir() if p.is_file()) == ["journal.db", "journal.db.keys"]

    monkeypatch.undo()
    with open_store(path, FIXTURE_PASSPHRASE) as journal:
        assert_fixture_entries(journal)
        with journal.engine.connect() as conn:
            assert page_hmac(conn) == PAGE_HMAC


def old_application_reads(keys_file: Path) -> str:
    """What an application made before 0013 decides from a key file, as KeySlots.load did then:
    any version but 1 is "made by a newer version" (it never gets as far as the pages)."""
    document = json.loads(keys_file.read_bytes())
    return "opens" if document.get("version") == 1 else "newer version"


def test_an_application_older_than_the_page_format_says_newer_version(data_dir):
    path = copy_fixture(FIXTURES / "schema-0012", data_dir)
    assert old_application_reads(keyslot_path(path)) == "opens"
    open_store(path, FIXTURE_PASSPHRASE).close()
    assert old_application_reads(keyslot_path(path)) == "newer version"
    [backup_keys] = (data_dir / "backups").glob("*.keys")
    assert old_application_reads(backup_keys) == "opens", "the backup is what an older version restores"

    created = create_store(data_dir / "new.db", PASSPHRASE, kdf=FAST_KDF)
    created.close()
    assert key_file_version(data_dir / "new.db") == 2


def test_a_key_file_left_at_version_1_is_brought_up_to_date(data_dir, monkeypatch):
    """A crash after the re-encryption, before the key file was rewritten (or a journal made at 0013
    before key file version 2): the next unlock repairs it. A key file that cannot be rewritten
    does not stop the unlock."""
    from app.store import keyslots

    path = copy_fixture(FIXTURES / "schema-0013", data_dir)
    assert key_file_version(path) == 1

    def disk_full(*_args):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(keyslots, "atomic_write", disk_full)
    with open_store(path, FIXTURE_PASSPHRASE) as journal:
        assert journal.count_entries() == 3
    assert key_file_version(path) == 1
    monkeypatch.undo()

    with open_store(path, FIXTURE_PASSPHRASE) as journal:
        assert journal.count_entries() == 3
    assert key_file_version(path) == 2
    with open_store(path, FIXTURE_PASSPHRASE) as journal:  # and it opens as before afterwards
        assert_fixture_entries(journal)


def test_two_backups_in_one_second_are_both_kept_and_a_failed_copy_leaves_none(tmp_path, monkeypatch):
    store = tmp_path / "journal.db"
    create_store(store, PASSPHRASE, kdf=FAST_KDF).close()
    first = migrate.backup_store(store, "0012")
    second = migrate.backup_store(store, "0012")  # a retried upgrade within the same second
    assert first != second and first.exists() and second.exists()
    assert first.read_bytes() == second.read_bytes() == store.read_bytes()

    def full_disk(src, dst, **_kw):
        Path(dst).write_bytes(Path(src).read_bytes()[:100])  # part of it, then the disk is full
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(migrate.shutil, "copy2", full_disk)
    with pytest.raises(OSError):
        migrate.backup_store(store, "0013")
    assert [p.name for p in (tmp_path / "backups").iterdir() if "schema0013" in p.name] == []
