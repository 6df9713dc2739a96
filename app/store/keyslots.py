"""Key slots: the store's random 256-bit SQLCipher key, wrapped once per way of unlocking.

The file `<store>.keys` (JSON, format in docs/storage-format.md) holds:
- a passphrase slot: Argon2id(passphrase) -> AES-256-GCM wrap of the store key;
- optionally a recovery slot: HPKE (RFC 9180, X25519 / HKDF-SHA256 / ChaCha20-Poly1305)
  to the organisation's recovery public key, so IT can reset a forgotten passphrase
  without ever learning one.
Changing the passphrase rewraps the key; the database itself is not re-encrypted.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
from dataclasses import dataclass
from pathlib import Path

from argon2.exceptions import Argon2Error
from argon2.low_level import Type, hash_secret_raw
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.hpke import AEAD, KDF, KEM, Suite

from app.i18n import _
from app.paths import keys_path
from app.store.atomic import atomic_write
from app.store.engine import PAGE_HMAC

FORMAT = "mediatorlog-keyslots"
# The file's version tells an application whether it can open the journal at all. Version 2 marks
# a journal whose pages carry HMAC-SHA256 (schema 0013): an application made before that cannot
# read them, and since every version refuses a key file of a version it does not know, it says
# "made by a newer version" instead of calling the journal damaged. Version 1 files (and the
# backups made before an upgrade) stay readable.
VERSION = 2
READABLE_VERSIONS = (1, 2)
# The slot format inside the file, part of every slot's AAD and HPKE info: unchanged since 1.
SLOT_FORMAT = 1
KEY_BYTES = 32
# RFC 9106 second recommended option (64 MiB, t=3, p=1): about 0.2 s here.
DEFAULT_KDF = {"time_cost": 3, "memory_cost_kib": 65536, "parallelism": 1}
HPKE_SUITE_NAME = "DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, ChaCha20-Poly1305"
_HPKE = Suite(KEM.X25519, KDF.HKDF_SHA256, AEAD.CHACHA20_POLY1305)


class WrongPassphrase(Exception):
    """The passphrase does not open this store."""


class KeySlotError(Exception):
    """The key slot file is missing, damaged or of an unknown format."""


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.b64decode(text.encode("ascii"), validate=True)


def keyslot_path(store_path: Path) -> Path:
    return keys_path(store_path)


def _passphrase_aad(slot: dict) -> bytes:
    # The KDF parameters are authenticated, so nobody can weaken them unnoticed.
    return (
        f"{FORMAT}/{SLOT_FORMAT}/passphrase/argon2id/{slot['salt']}/"
        f"{slot['time_cost']}/{slot['memory_cost_kib']}/{slot['parallelism']}"
    ).encode("ascii")


# Upper bounds for KDF parameters read from a key file. A tampered file would be caught by the
# AAD check, but only after the KDF ran: without bounds it could make us allocate gigabytes first.
KDF_LIMITS = {"time_cost": 64, "memory_cost_kib": 4 * 1024 * 1024, "parallelism": 16}


def _derive(passphrase: str, slot: dict) -> bytes:
    for name, limit in KDF_LIMITS.items():
        value = slot[name]
        if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= limit:
            raise ValueError(f"KDF parameter {name} out of range")
    return hash_secret_raw(
        secret=passphrase.encode("utf-8"),
        salt=slot["salt"].encode("ascii"),
        time_cost=slot["time_cost"],
        memory_cost=slot["memory_cost_kib"],
        parallelism=slot["parallelism"],
        hash_len=KEY_BYTES,
        type=Type.ID,
    )


def make_passphrase_slot(store_key: bytes, passphrase: str, kdf: dict | None = None) -> dict:
    params = dict(DEFAULT_KDF if kdf is None else kdf)
    # The salt is used as its ASCII hex text, so the `argon2` command-line tool can reproduce it.
    slot = {"type": "passphrase", "kdf": "argon2id", "salt": secrets.token_hex(16), **params}
    wrapping_key = _derive(passphrase, slot)
    nonce = secrets.token_bytes(12)
    slot["wrap"] = "aes-256-gcm"
    slot["nonce"] = _b64(nonce)
    slot["wrapped_key"] = _b64(AESGCM(wrapping_key).encrypt(nonce, store_key, _passphrase_aad(slot)))
    return slot


def unwrap_passphrase_slot(slot: dict, passphrase: str) -> bytes:
    try:
        wrapping_key = _derive(passphrase, slot)
        nonce, wrapped = _unb64(slot["nonce"]), _unb64(slot["wrapped_key"])
        aad = _passphrase_aad(slot)
    except (KeyError, TypeError, ValueError, Argon2Error) as exc:  # binascii.Error is a ValueError
        raise KeySlotError(_("The key file of this journal is damaged. Restore it from a backup or ask IT.")) from exc
    try:
        return AESGCM(wrapping_key).decrypt(nonce, wrapped, aad)
    except (InvalidTag, ValueError):
        raise WrongPassphrase() from None


def recovery_key_id(public_key: X25519PublicKey) -> str:
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def _recovery_info(key_id: str) -> bytes:
    return f"{FORMAT}/{SLOT_FORMAT}/recovery/{key_id}".encode("ascii")


def make_recovery_slot(store_key: bytes, public_key: X25519PublicKey) -> dict:
    key_id = recovery_key_id(public_key)
    sealed = _HPKE.encrypt(store_key, public_key, info=_recovery_info(key_id))
    return {"type": "recovery", "hpke": HPKE_SUITE_NAME, "key_id": key_id, "sealed_key": _b64(sealed)}


def unwrap_recovery_slot(slot: dict, private_key: X25519PrivateKey) -> bytes:
    if slot["key_id"] != recovery_key_id(private_key.public_key()):
        raise KeySlotError(_("This recovery key does not belong to this journal."))
    try:
        return _HPKE.decrypt(_unb64(slot["sealed_key"]), private_key, info=_recovery_info(slot["key_id"]))
    except Exception as exc:  # cryptography raises InvalidTag or ValueError here
        raise KeySlotError(_("This recovery key cannot open this journal.")) from exc


@dataclass
class KeySlots:
    slots: list[dict]
    version: int = VERSION  # a loaded file keeps its own: a backup's stays readable by the version it is for

    @classmethod
    def load(cls, path: Path) -> KeySlots:
        try:
            data = json.loads(path.read_bytes())
        except FileNotFoundError:
            raise KeySlotError(_("The key file of this journal is missing.")) from None
        except (OSError, ValueError) as exc:
            raise KeySlotError(_("The key file of this journal cannot be read.")) from exc
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise KeySlotError(_("The key file of this journal has an unknown format."))
        version = data.get("version")
        if version not in READABLE_VERSIONS or isinstance(version, bool):
            raise KeySlotError(_("The key file of this journal was made by a newer version of Mediator Log."))
        slots = data.get("slots")
        if not isinstance(slots, list) or not all(isinstance(s, dict) for s in slots):
            raise KeySlotError(_("The key file of this journal is damaged. Restore it from a backup or ask IT."))
        return cls(slots=slots, version=version)

    def save(self, path: Path) -> None:
        cipher = {"sqlcipher_compatibility": 4, "key": "raw 32 bytes, PRAGMA key = \"x'<64 hex>'\""}
        if self.version >= 2:
            cipher["cipher_hmac_algorithm"] = PAGE_HMAC
        document = {"format": FORMAT, "version": self.version, "cipher": cipher, "slots": self.slots}
        atomic_write(path, (json.dumps(document, indent=2) + "\n").encode("ascii"))

    def of_type(self, slot_type: str) -> list[dict]:
        return [s for s in self.slots if s.get("type") == slot_type]

    def unlock_with_passphrase(self, passphrase: str) -> bytes:
        slots = self.of_type("passphrase")
        if not slots:
            raise KeySlotError(_("The key file of this journal holds no passphrase."))
        for slot in slots:
            try:
                return unwrap_passphrase_slot(slot, passphrase)
            except WrongPassphrase:
                continue
        raise WrongPassphrase()

    def unlock_with_recovery_key(self, private_key: X25519PrivateKey) -> bytes:
        slots = self.of_type("recovery")
        if not slots:
            raise KeySlotError(_("This journal has no recovery key."))
        wanted = recovery_key_id(private_key.public_key())
        for slot in slots:
            if slot.get("key_id") == wanted:
                return unwrap_recovery_slot(slot, private_key)
        raise KeySlotError(_("This recovery key does not belong to this journal."))

    def with_passphrase(self, store_key: bytes, passphrase: str, kdf: dict | None = None) -> KeySlots:
        """A copy whose passphrase slot is replaced; other slots are kept as they are."""
        others = [s for s in self.slots if s.get("type") != "passphrase"]
        return KeySlots([make_passphrase_slot(store_key, passphrase, kdf), *others], self.version)


def new_store_key() -> bytes:
    return secrets.token_bytes(KEY_BYTES)


def generate_recovery_keypair() -> tuple[bytes, bytes]:
    """PEM bytes of (private key, public key) for an organisation recovery key."""
    private_key = X25519PrivateKey.generate()
    private_pem = private_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    public_pem = private_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return private_pem, public_pem


def load_recovery_public_key(data: bytes) -> X25519PublicKey:
    try:
        key = serialization.load_pem_public_key(data)
    except ValueError as exc:
        raise KeySlotError(_("Not a PEM public key.")) from exc
    if not isinstance(key, X25519PublicKey):
        raise KeySlotError(_("Not an X25519 recovery public key."))
    return key


def load_recovery_private_key(data: bytes) -> X25519PrivateKey:
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError) as exc:
        raise KeySlotError(_("Not a PEM private key.")) from exc
    if not isinstance(key, X25519PrivateKey):
        raise KeySlotError(_("Not an X25519 recovery private key."))
    return key
