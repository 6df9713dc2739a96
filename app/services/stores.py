"""Creating, unlocking and re-keying stores. A store is `<name>.db` (SQLCipher) plus
`<name>.db.keys` (key slots) in one folder; see docs/storage-format.md."""

from __future__ import annotations

import glob
import os
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlcipher3
from sqlalchemy import exc as sa_exc

from app.domain.catalogs import seed_values
from app.i18n import _, ngettext
from app.paths import store_exists, user_state_dir  # noqa: F401 (store_exists is part of this API)
from app.services.journal import Journal, utc_now
from app.store import repository as repo
from app.store.atomic import fsync_dir
from app.store.engine import NotADatabase, close_engine, connect, discard_engine, make_engine, writing
from app.store.keyslots import (
    VERSION as KEY_FILE_VERSION,
    KeySlotError,
    KeySlots,
    WrongPassphrase,
    keyslot_path,
    load_recovery_private_key,
    load_recovery_public_key,
    make_passphrase_slot,
    make_recovery_slot,
    new_store_key,
)
from app.store.migrate import ensure_current
from app.store.throttle import UnlockThrottle, delay_after

MIN_PASSPHRASE_LENGTH = 8
ROLES = ("mediator", "lead")


class StoreError(Exception):
    """An expected problem with a store, with a message for the user."""


def check_new_passphrase(passphrase: str) -> None:
    if len(passphrase) < MIN_PASSPHRASE_LENGTH:
        raise StoreError(
            ngettext("The passphrase is too short: use at least {count} character.",
                     "The passphrase is too short: use at least {count} characters.",
                     MIN_PASSPHRASE_LENGTH).format(count=MIN_PASSPHRASE_LENGTH)
        )


# The organisation recovery public key (PEM) the journal was made with; not a secret.
RECOVERY_PUBLIC_META = "sync.recovery_public_pem"


def create_store(
    path: Path,
    passphrase: str,
    *,
    name: str = "",
    role: str = "mediator",
    recovery_public_pem: bytes | None = None,
    kdf: dict | None = None,
) -> Journal:
    path = Path(path)
    if store_exists(path):
        raise StoreError(_("A journal already exists at this place. Choose another file."))
    if role not in ROLES:
        raise StoreError(_("The role must be mediator or lead."))
    check_new_passphrase(passphrase)
    key = new_store_key()
    slots = [make_passphrase_slot(key, passphrase, kdf)]
    if recovery_public_pem is not None:
        try:
            slots.append(make_recovery_slot(key, load_recovery_public_key(recovery_public_pem)))
        except KeySlotError as exc:
            raise StoreError(_("The recovery key file is not a Mediator Log recovery public key.")) from exc
    path.parent.mkdir(parents=True, exist_ok=True)
    # Made whole under a temporary name, then moved into place: a process killed while creating
    # left a journal with a schema but no identity or lists, which opened without a word and could
    # not be created again. Now nothing is at the journal's name until it is complete.
    making = _creating_path(path)
    for leftover in (making, Path(f"{making}-wal"), Path(f"{making}-shm"), keyslot_path(making)):
        leftover.unlink(missing_ok=True)  # of a creation killed before; it never held an entry
    KeySlots(slots).save(keyslot_path(making))
    making.touch(mode=0o600)  # the database file is created private, before SQLCipher writes to it
    engine = make_engine(making, key)
    try:
        ensure_current(engine, making)
        now = utc_now()
        with writing(engine) as conn:
            repo.set_meta(conn, "store_id", str(uuid.uuid4()))
            repo.set_meta(conn, "device_id", uuid.uuid4().hex)
            repo.set_meta(conn, "user_name", name.strip())
            repo.set_meta(conn, "role", role)
            repo.set_meta(conn, "created_at", now)
            if recovery_public_pem is not None:  # a lead passes it on in the profiles it writes
                repo.set_meta(conn, RECOVERY_PUBLIC_META, recovery_public_pem.decode("ascii"))
            for value in seed_values():
                repo.put_catalog_value(conn, value, now)
    finally:
        close_engine(engine)  # folds the WAL in: the database file alone is the journal
    # The database first, then its keys; a crash between the two is finished by the next open.
    os.replace(making, path)
    os.replace(keyslot_path(making), keyslot_path(path))
    fsync_dir(path.parent)
    return Journal(path, make_engine(path, key))


def _creating_path(path: Path) -> Path:
    return path.with_name(path.name + ".creating")


def _finish_creation(path: Path) -> None:
    """A creation killed between moving the database and its keys into place: move the keys too."""
    keys, made = keyslot_path(path), keyslot_path(_creating_path(path))
    if Path(path).exists() and not keys.exists() and made.exists():
        os.replace(made, keys)


def _unlock(path: Path, key: bytes, on_upgrade: Callable[[], None] | None = None) -> Journal:
    engine = make_engine(path, key)
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql("SELECT 1").fetchone()
    except NotADatabase:
        discard_engine(engine)
        raise StoreError(_("The journal file is damaged or does not belong to these keys.")) from None
    except (sqlcipher3.OperationalError, sa_exc.OperationalError) as exc:
        # SQLite could not open it at all (a full disk, a folder that cannot be written): not "damaged"
        discard_engine(engine)
        raise StoreError(_("The journal cannot be opened ({reason}). Check that the disk is not full and that "
                           "its folder can be written.").format(reason=getattr(exc, "orig", exc))) from None
    try:
        ensure_current(engine, path, on_upgrade=on_upgrade)
    except BaseException:
        discard_engine(engine)  # no connection may stay open on a store we refuse (Windows could not move it)
        raise
    _mark_key_file_current(path)
    return Journal(path, engine)


def _mark_key_file_current(path: Path) -> None:
    """Give the key file of a journal now at the current schema the current file version, so an
    application too old for its page format says "made by a newer version" instead of calling it
    damaged. Also repairs a crash between the re-encryption and this step. A folder that cannot be
    written only loses that message: the journal itself is open and fine, and the next unlock tries again."""
    keys_file = keyslot_path(path)
    try:
        slots = KeySlots.load(keys_file)
        if slots.version != KEY_FILE_VERSION:
            KeySlots(slots.slots, KEY_FILE_VERSION).save(keys_file)
    except (KeySlotError, OSError):
        pass


def _load_slots(path: Path) -> KeySlots:
    _finish_creation(Path(path))
    if not Path(path).exists():
        raise StoreError(_("There is no journal at this place."))
    try:
        return KeySlots.load(keyslot_path(path))
    except KeySlotError as exc:
        raise StoreError(str(exc)) from exc


def unlock_key(path: Path, passphrase: str, *, throttle: UnlockThrottle | None = None) -> bytes:
    """The store key for `passphrase`; raises WrongPassphrase. Writes nothing to the store."""
    path = Path(path)
    slots = _load_slots(path)
    throttle = throttle or UnlockThrottle(user_state_dir(), path)
    throttle.wait_before_try()
    try:
        key = slots.unlock_with_passphrase(passphrase)
    except WrongPassphrase:
        throttle.record_failure()
        raise
    throttle.record_success()
    return key


def belongs_to_store(store_path: Path, other: Path) -> bool:
    """Whether `other` is one of the journal's own files (database, WAL, shared memory, key slots,
    migration backups): an export or a report written there would destroy the journal."""
    store = Path(store_path).resolve()
    target = Path(other).resolve()
    own = {store, Path(f"{store}-wal"), Path(f"{store}-shm"), Path(f"{store}-journal"), keyslot_path(store)}
    return target in own or target.parent == store.parent / "backups"


def refusal_to_write_over(store_path: Path, other: Path) -> str:
    """What to say when an export, report or access file would go to one of the journal's own
    files; "" when it may be written there."""
    if not belongs_to_store(store_path, other):
        return ""
    return _("{path} is a file of the journal itself; writing there would destroy the journal. Choose another "
             "file.").format(path=other)


def unlock_wait(path: Path) -> float:
    """Seconds the next unlock of this store will wait because of earlier wrong passphrases."""
    return delay_after(UnlockThrottle(user_state_dir(), Path(path)).failures())


def upgrade_notice() -> str:
    """What to tell the user while an older store is backed up and upgraded (a 500,000-entry
    journal takes about half a minute)."""
    return _("Updating this journal for the new version of Mediator Log. This happens once and can take "
             "a minute for a large journal; please keep the program open.")


def open_store(path: Path, passphrase: str, *, throttle: UnlockThrottle | None = None,
               on_upgrade: Callable[[], None] | None = None) -> Journal:
    """Unlock and open a store. A store of an older schema is backed up and upgraded first;
    `on_upgrade` is called before that starts, so the caller can say why this takes longer."""
    return _unlock(Path(path), unlock_key(path, passphrase, throttle=throttle), on_upgrade)


def change_passphrase(path: Path, old: str, new: str, *, kdf: dict | None = None) -> list[Path]:
    """Rewrap the store key under a new passphrase; the database is not touched. Returns the
    upgrade backups still opening with the old passphrase (their key file was held open)."""
    path = Path(path)
    check_new_passphrase(new)
    seen = _key_file_bytes(path)
    key = unlock_key(path, old)
    with _key_change_lock(path, key):
        slots = _load_slots(path)  # again, under the lock: another change may have come first
        if _key_file_bytes(path) != seen:
            slots.unlock_with_passphrase(old)  # WrongPassphrase if so: two changes never both "succeed"
        slots.with_passphrase(key, new, kdf).save(keyslot_path(path))
        return _rewrap_backups(path, key, new, kdf)


def _key_file_bytes(path: Path) -> bytes | None:
    try:
        return keyslot_path(path).read_bytes()
    except OSError:
        return None


@contextmanager
def _key_change_lock(path: Path, key: bytes) -> Iterator[None]:
    """One change of the key slots at a time, under the journal's own write lock (SQLite's): two
    passphrase changes at once (a second window, IT's `recover`) each read the key file, rewrapped
    it and wrote it, so the last one won while both said the passphrase was changed."""
    engine = make_engine(path, key, background_checkpoint=False)
    try:
        with writing(engine):
            yield
    finally:
        discard_engine(engine)


def migration_backups(path: Path) -> list[Path]:
    """The backups an upgrade took of this journal (database files; each has its `.keys` beside it)."""
    path = Path(path)
    folder = path.parent / "backups"
    return sorted(p for p in folder.glob(f"{glob.escape(path.stem)}-schema*{glob.escape(path.suffix)}")
                  if p.is_file())


def delete_migration_backups(path: Path) -> tuple[int, list[Path]]:
    """Delete the upgrade backups of this journal, with their key files. Asked for with an
    erasure, since each still holds the erased person's data (encrypted). Returns how many went,
    and those another program holds open (a backup or antivirus program, on Windows): the others
    go all the same."""
    removed, busy = 0, []
    for backup in migration_backups(path):
        try:
            for f in (backup, keyslot_path(backup)):
                f.unlink(missing_ok=True)
        except OSError:
            busy.append(backup)
            continue
        removed += 1
    return removed, busy


def _rewrap_backups(path: Path, key: bytes, new: str, kdf: dict | None) -> list[Path]:
    """Migration backups carry a copy of the key slots: the old passphrase must not keep
    opening them once it was changed (or leaked). Returns the backups whose key file could not
    be written (another program holds it open): the old passphrase still opens those."""
    missed = []
    for backup_db in migration_backups(path):
        keys_file = keyslot_path(backup_db)
        try:
            connect(backup_db, key).close()  # a backup of another journal at this path is left alone
            slots = KeySlots.load(keys_file)
        except (NotADatabase, KeySlotError, OSError):
            continue
        try:
            slots.with_passphrase(key, new, kdf).save(keys_file)
        except OSError:
            missed.append(backup_db)
    return missed


def recover_access(path: Path, recovery_private_pem: bytes, new: str, *, kdf: dict | None = None) -> list[Path]:
    """Set a new passphrase with the organisation's recovery key, without the old one. Returns
    the upgrade backups still opening with the old passphrase, as `change_passphrase`."""
    path = Path(path)
    check_new_passphrase(new)
    slots = _load_slots(path)
    try:
        key = slots.unlock_with_recovery_key(load_recovery_private_key(recovery_private_pem))
    except KeySlotError as exc:
        raise StoreError(str(exc)) from exc
    with _key_change_lock(path, key):
        _load_slots(path).with_passphrase(key, new, kdf).save(keyslot_path(path))
        return _rewrap_backups(path, key, new, kdf)
