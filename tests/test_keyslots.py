"""The key slot file: format, atomic private writes, authenticated KDF parameters, and
clean errors for a damaged file."""

from __future__ import annotations

import base64
import json
import os
import stat

import pytest
from helpers.factories import FAST_KDF, PASSPHRASE, snapshot, store_files

from app.services.stores import StoreError, change_passphrase, create_store, open_store, recover_access, unlock_key
from app.store import keyslots
from app.store.atomic import atomic_write
from app.store.keyslots import (
    DEFAULT_KDF,
    KeySlotError,
    KeySlots,
    WrongPassphrase,
    generate_recovery_keypair,
    keyslot_path,
)


def load_json(path):
    return json.loads(path.read_text())


def save_json(path, document):
    path.write_text(json.dumps(document, indent=2))


@pytest.fixture
def closed_store(journal, store_path):
    journal.close()
    return store_path


# -- format -----------------------------------------------------------------------------


def test_key_file_format_and_no_secrets_in_clear(closed_store):
    document = load_json(keyslot_path(closed_store))
    assert document["format"] == "mediatorlog-keyslots" and document["version"] == 2
    assert document["cipher"]["sqlcipher_compatibility"] == 4
    assert document["cipher"]["cipher_hmac_algorithm"] == "HMAC_SHA256"
    [slot] = document["slots"]
    assert slot["type"] == "passphrase" and slot["kdf"] == "argon2id" and slot["wrap"] == "aes-256-gcm"
    assert {k: slot[k] for k in FAST_KDF} == FAST_KDF
    assert len(bytes.fromhex(slot["salt"])) == 16
    assert len(base64.b64decode(slot["nonce"])) == 12
    assert len(base64.b64decode(slot["wrapped_key"])) == 32 + 16  # key + GCM tag

    key = unlock_key(closed_store, PASSPHRASE)
    text = keyslot_path(closed_store).read_bytes()
    for secret in (key, key.hex().encode(), base64.b64encode(key), PASSPHRASE.encode()):
        assert secret not in text


def test_default_kdf_follows_rfc_9106(data_dir):
    assert DEFAULT_KDF["memory_cost_kib"] >= 65536 and DEFAULT_KDF["time_cost"] >= 3
    journal = create_store(data_dir / "strong.db", PASSPHRASE)
    journal.close()
    [slot] = load_json(keyslot_path(data_dir / "strong.db"))["slots"]
    assert {k: slot[k] for k in DEFAULT_KDF} == DEFAULT_KDF


def test_each_slot_gets_fresh_salt_and_nonce(closed_store):
    first = load_json(keyslot_path(closed_store))["slots"][0]
    change_passphrase(closed_store, PASSPHRASE, PASSPHRASE, kdf=FAST_KDF)  # same passphrase, new slot
    second = load_json(keyslot_path(closed_store))["slots"][0]
    assert first["salt"] != second["salt"] and first["nonce"] != second["nonce"]
    assert first["wrapped_key"] != second["wrapped_key"]
    open_store(closed_store, PASSPHRASE).close()


# -- atomic, private writes -------------------------------------------------------------


def test_key_file_stays_private_through_every_rewrite(closed_store):
    path = keyslot_path(closed_store)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    os.chmod(path, 0o644)  # even if someone loosened it, a rewrite makes it private again
    change_passphrase(closed_store, PASSPHRASE, "second passphrase", kdf=FAST_KDF)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [p.name for p in closed_store.parent.iterdir() if p.name.endswith(".tmp")] == []


def test_crash_while_rewriting_keys_leaves_the_old_file(closed_store, monkeypatch):
    path = keyslot_path(closed_store)
    before = snapshot(store_files(closed_store))

    def no_rename(*_args):
        raise OSError("simulated crash before the rename")

    monkeypatch.setattr(os, "replace", no_rename)
    with pytest.raises(OSError):
        change_passphrase(closed_store, PASSPHRASE, "second passphrase", kdf=FAST_KDF)
    monkeypatch.undo()

    assert snapshot(store_files(closed_store)) == before
    assert [p.name for p in path.parent.iterdir() if p.name.endswith(".tmp")] == [], "temp file cleaned up"
    open_store(closed_store, PASSPHRASE).close()


def test_atomic_write_replaces_whole_file_with_given_mode(tmp_path):
    target = tmp_path / "sub" / "file.bin"
    atomic_write(target, b"first")
    assert target.read_bytes() == b"first"
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    atomic_write(target, b"second, longer content", mode=0o644)
    assert target.read_bytes() == b"second, longer content"
    assert stat.S_IMODE(target.stat().st_mode) == 0o644
    assert sorted(p.name for p in target.parent.iterdir()) == ["file.bin"]


def test_atomic_write_without_overwrite_never_replaces(tmp_path):
    tmp_path = tmp_path / "keys"
    target = tmp_path / "key.pem"
    atomic_write(target, b"original", overwrite=False)
    with pytest.raises(FileExistsError):
        atomic_write(target, b"intruder", overwrite=False)
    assert target.read_bytes() == b"original"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["key.pem"]


def test_atomic_write_failing_mid_write_keeps_old_content(tmp_path, monkeypatch):
    tmp_path = tmp_path / "files"
    target = tmp_path / "file.bin"
    atomic_write(target, b"old")

    def failing_fsync(_fd):
        raise OSError("disk full")

    monkeypatch.setattr(os, "fsync", failing_fsync)
    with pytest.raises(OSError):
        atomic_write(target, b"new")
    monkeypatch.undo()
    assert target.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file.bin"]


# -- tampering --------------------------------------------------------------------------

TAMPERED = {
    "time_cost": 2,
    "memory_cost_kib": 16384,
    "parallelism": 2,
    "salt": "00" * 16,
}


@pytest.mark.parametrize(("field", "value"), sorted(TAMPERED.items()))
def test_tampered_kdf_parameters_make_unlock_fail(closed_store, field, value):
    path = keyslot_path(closed_store)
    document = load_json(path)
    document["slots"][0][field] = value
    save_json(path, document)
    db_before = snapshot([closed_store])
    with pytest.raises(WrongPassphrase):
        open_store(closed_store, PASSPHRASE)
    assert snapshot([closed_store]) == db_before


@pytest.mark.parametrize(("field", "value"), sorted(TAMPERED.items()))
def test_kdf_parameters_are_authenticated_by_aes_gcm(closed_store, monkeypatch, field, value):
    """Even an attacker whose weakened parameters still produced the right wrapping key
    (simulated: derivation ignores the parameters) is caught by the AAD."""
    path = keyslot_path(closed_store)
    document = load_json(path)
    genuine = dict(document["slots"][0])
    real_derive = keyslots._derive
    wrapping_key = real_derive(PASSPHRASE, genuine)
    monkeypatch.setattr(keyslots, "_derive", lambda passphrase, slot: wrapping_key)

    assert KeySlots.load(path).unlock_with_passphrase(PASSPHRASE)  # control: untampered slot opens

    document["slots"][0][field] = value
    save_json(path, document)
    with pytest.raises(WrongPassphrase):
        KeySlots.load(path).unlock_with_passphrase(PASSPHRASE)


@pytest.mark.parametrize("field", ["wrapped_key", "nonce"])
def test_flipped_bit_in_wrapped_key_or_nonce_fails(closed_store, field):
    path = keyslot_path(closed_store)
    document = load_json(path)
    raw = bytearray(base64.b64decode(document["slots"][0][field]))
    raw[0] ^= 0x01
    document["slots"][0][field] = base64.b64encode(bytes(raw)).decode()
    save_json(path, document)
    with pytest.raises(WrongPassphrase):
        open_store(closed_store, PASSPHRASE)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d.update(format="something-else"), "unknown format"),
        (lambda d: d.update(version=3), "newer version"),
        (lambda d: d.update(version=True), "newer version"),
        (lambda d: d.update(slots=[]), "holds no passphrase"),
    ],
    ids=["format", "version", "version-bool", "no-slot"],
)
def test_unusable_key_file_gives_a_clear_error(closed_store, change, message):
    path = keyslot_path(closed_store)
    document = load_json(path)
    change(document)
    save_json(path, document)
    with pytest.raises((StoreError, KeySlotError), match=message):
        open_store(closed_store, PASSPHRASE)


def test_key_file_that_is_not_json(closed_store):
    keyslot_path(closed_store).write_bytes(b"\x00\xffnot json")
    with pytest.raises(StoreError, match="cannot be read"):
        open_store(closed_store, PASSPHRASE)


DAMAGED = {
    "memory-too-small": ("memory_cost_kib", 1),
    "time-cost-text": ("time_cost", "3"),
    "salt-missing": ("salt", None),
    "nonce-not-base64": ("nonce", "!!not base64!!"),
    "wrapped-key-not-base64": ("wrapped_key", "%%%"),
}


@pytest.mark.parametrize(("field", "value"), DAMAGED.values(), ids=DAMAGED.keys())
def test_damaged_slot_is_reported_as_damaged_not_a_crash(closed_store, field, value):
    """A damaged key file must give the user a message (StoreError/KeySlotError), not an
    internal exception: the CLI turns only those into its one-line exit code 1."""
    path = keyslot_path(closed_store)
    document = load_json(path)
    if value is None:
        del document["slots"][0][field]
    else:
        document["slots"][0][field] = value
    save_json(path, document)
    with pytest.raises((StoreError, KeySlotError)):
        open_store(closed_store, PASSPHRASE)


@pytest.mark.parametrize(
    "slots",
    [
        pytest.param(None, id="slots-null"),
        pytest.param(["garbage"], id="slot-not-an-object"),
        pytest.param([{"type": "passphrase"}], id="slot-without-fields"),
    ],
)
def test_damaged_slot_list_is_reported_as_damaged_not_a_crash(closed_store, slots):
    path = keyslot_path(closed_store)
    document = load_json(path)
    document["slots"] = slots
    save_json(path, document)
    with pytest.raises((StoreError, KeySlotError)):
        open_store(closed_store, PASSPHRASE)


# -- recovery slot ----------------------------------------------------------------------


def test_recovery_slot_format(store_path):
    private_pem, public_pem = generate_recovery_keypair()
    assert private_pem.startswith(b"-----BEGIN PRIVATE KEY-----")
    assert public_pem.startswith(b"-----BEGIN PUBLIC KEY-----")
    create_store(store_path, PASSPHRASE, kdf=FAST_KDF, recovery_public_pem=public_pem).close()
    slots = load_json(keyslot_path(store_path))["slots"]
    assert [s["type"] for s in slots] == ["passphrase", "recovery"]
    recovery = slots[1]
    assert recovery["hpke"].startswith("DHKEM(X25519")
    assert recovery["key_id"] == keyslots.recovery_key_id(keyslots.load_recovery_public_key(public_pem))
    key = unlock_key(store_path, PASSPHRASE)
    assert base64.b64encode(key).decode() not in recovery["sealed_key"]


def test_tampered_recovery_slot_is_refused(store_path):
    private_pem, public_pem = generate_recovery_keypair()
    create_store(store_path, PASSPHRASE, kdf=FAST_KDF, recovery_public_pem=public_pem).close()
    path = keyslot_path(store_path)
    document = load_json(path)
    sealed = bytearray(base64.b64decode(document["slots"][1]["sealed_key"]))
    sealed[-1] ^= 0x01
    document["slots"][1]["sealed_key"] = base64.b64encode(bytes(sealed)).decode()
    save_json(path, document)
    before = snapshot(store_files(store_path))
    with pytest.raises(StoreError, match="cannot open this journal"):
        recover_access(store_path, private_pem, "a new passphrase", kdf=FAST_KDF)
    assert snapshot(store_files(store_path)) == before
