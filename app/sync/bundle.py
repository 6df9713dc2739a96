"""The bundle file: a signed, encrypted, compressed set of changes from one store to another.

Layout (all integers big-endian; docs/sync-format.md has the full description):

    magic        8 bytes   b"MLSYNC\\x00\\x01"
    header_len   4 bytes   length H of the header
    header       H bytes   UTF-8 JSON, keys sorted, no insignificant spaces
    sealed       P bytes   HPKE enc || ciphertext of zlib(payload JSON); P = header["payload_length"]
    signature   64 bytes   Ed25519 by the sender over magic || header_len || header || sealed

The header is readable without keys (who sent it to whom, numbers, versions; never content),
so a store can tell whether a file is addressed to it and verify the signature against the
sender's enrolled key BEFORE anything is decrypted. The HPKE `info` binds the ciphertext to the
header: info = b"mediatorlog-sync/1 " || SHA-256(header).
"""

from __future__ import annotations

import hashlib
import json
import re
import struct
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.sync import crypto

MAGIC = b"MLSYNC\x00\x01"
FORMAT = "mediatorlog-sync"
FORMAT_VERSION = 1
SUFFIX = ".mlsync"
MAX_HEADER = 1 << 20
COMPRESSION = "zlib"
INFO_PREFIX = b"mediatorlog-sync/1 "


class BundleError(Exception):
    """A file that is not a usable bundle. `reason` is one of the codes in REASONS."""

    def __init__(self, reason: str, detail: str = ""):
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason


# Why a bundle can be refused (the service turns each into a message saying what to do).
REASONS = (
    "not_a_bundle", "truncated", "altered", "newer_version", "not_addressed", "unknown_sender",
    "revoked_sender", "unreadable",
)


def canonical_json(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def _info(header_bytes: bytes) -> bytes:
    return INFO_PREFIX + hashlib.sha256(header_bytes).digest()


def encode(header: dict, payload: dict, sender: crypto.KeyPairs, recipient_enc_public: bytes,
           *, level: int = 6) -> bytes:
    """The bytes of a bundle. `header` gets format, compression, suite and payload length."""
    compressed = zlib.compress(canonical_json(payload), level)
    header = dict(header, format=FORMAT, version=FORMAT_VERSION, compression=COMPRESSION,
                  hpke=crypto.HPKE_SUITE_NAME)
    # The sealed length is fixed by the plaintext length (32-byte enc + 16-byte tag),
    # so it can go into the header that the encryption is bound to.
    header["payload_length"] = len(compressed) + 48
    header_bytes = canonical_json(header)
    sealed = crypto.seal(recipient_enc_public, compressed, _info(header_bytes))
    assert len(sealed) == header["payload_length"]
    signed = MAGIC + struct.pack(">I", len(header_bytes)) + header_bytes + sealed
    return signed + sender.sign(signed)


@dataclass(frozen=True)
class Bundle:
    header: dict
    header_bytes: bytes
    sealed: bytes
    signature: bytes
    signed: bytes

    @property
    def digest(self) -> str:
        """SHA-256 of the whole file: the same bundle imported twice has the same digest."""
        return hashlib.sha256(self.signed + self.signature).hexdigest()

    def verify(self, sign_public: bytes) -> None:
        try:
            crypto.verify(sign_public, self.signature, self.signed)
        except crypto.CryptoError:
            raise BundleError("altered", "signature does not match") from None

    def open(self, keys: crypto.KeyPairs, *, max_bytes: int = 1 << 31) -> dict:
        """Decrypt and decompress; call only after `verify`."""
        try:
            compressed = keys.open(self.sealed, _info(self.header_bytes))
        except crypto.CryptoError:
            raise BundleError("not_addressed", "cannot be decrypted with this store's key") from None
        try:
            inflater = zlib.decompressobj()
            data = inflater.decompress(compressed, max_bytes)
            if inflater.unconsumed_tail:
                raise BundleError("altered", "payload too large")
            payload = json.loads(data)
        except (zlib.error, ValueError) as exc:
            raise BundleError("altered", "payload cannot be read") from exc
        if not isinstance(payload, dict):
            raise BundleError("altered", "payload is not an object")
        return payload


def decode(data: bytes) -> Bundle:
    """Split and check the structure (not the signature). Raises BundleError."""
    if len(data) < len(MAGIC) + 4:
        if MAGIC.startswith(data[: len(MAGIC)]) and data:
            raise BundleError("truncated", "file ends inside the preamble")
        raise BundleError("not_a_bundle")
    if data[: len(MAGIC)] != MAGIC:
        if data[:6] == MAGIC[:6]:
            raise BundleError("newer_version", "unknown container version")
        raise BundleError("not_a_bundle")
    (header_len,) = struct.unpack(">I", data[len(MAGIC): len(MAGIC) + 4])
    if header_len > MAX_HEADER:
        raise BundleError("altered", "header length out of range")
    start = len(MAGIC) + 4
    header_bytes = data[start: start + header_len]
    if len(header_bytes) < header_len:
        raise BundleError("truncated", "file ends inside the header")
    try:
        header = json.loads(header_bytes)
    except ValueError:
        raise BundleError("altered", "header is not JSON") from None
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise BundleError("altered", "header of an unknown format")
    version = header.get("version")
    if not isinstance(version, int):
        raise BundleError("altered", "header without version")
    if version > FORMAT_VERSION:
        raise BundleError("newer_version", f"format version {version}")
    length = header.get("payload_length")
    if not isinstance(length, int) or length < 48:
        raise BundleError("altered", "bad payload length")
    end = start + header_len + length
    expected = end + crypto.SIGNATURE_BYTES
    if len(data) < expected:
        raise BundleError("truncated", f"{len(data)} of {expected} bytes")
    if len(data) > expected:
        raise BundleError("altered", "trailing bytes")
    return Bundle(header=header, header_bytes=header_bytes, sealed=data[start + header_len: end],
                  signature=data[end:], signed=data[:end])


def read(path: Path) -> Bundle:
    return decode(Path(path).read_bytes())


def file_pattern(sender_id: str, recipient_id: str) -> str:
    """A glob pattern for the names `file_name` gives the sender's bundles to the recipient."""
    return f"ml-{sender_id[:12]}-*-to-{recipient_id[:12]}{SUFFIX}"


_NAMED = re.compile(r"ml-[^-]+-\d+-to-(?P<recipient>[^.\s]+?)(?: \(\d+\))?" + re.escape(SUFFIX) + "$")


def named_for_another(name: str, recipient_id: str) -> bool:
    """A file whose name (as `file_name` gives it, or a copy of it such as "... (1).mlsync")
    says it is for another recipient: when it cannot be read, it is that recipient's to report."""
    named = _NAMED.match(name)
    return named is not None and named["recipient"] != recipient_id[:12]


def file_name(sender_id: str, seq: int, recipient_id: str) -> str:
    """Named by sender and sequence (and recipient, so a folder listing shows who it is for).
    Ids only: a file name in a shared folder must not carry a person's name."""
    return f"ml-{sender_id[:12]}-{seq:06d}-to-{recipient_id[:12]}{SUFFIX}"
