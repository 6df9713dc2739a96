"""Key pairs and the standard constructions bundles are built from (pyca/cryptography):

- Ed25519 signatures (RFC 8032) by the sender over the whole bundle (header and ciphertext);
- HPKE Base mode (RFC 9180): DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, ChaCha20-Poly1305,
  to the recipient's X25519 public key, with a hash of the header as `info`;
- HMAC-SHA256 for the one-time enrollment proof.

Nothing here is home-made: this module only names the parameters.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.hpke import AEAD, KDF, KEM, Suite

HPKE_SUITE_NAME = "DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, ChaCha20-Poly1305"
_HPKE = Suite(KEM.X25519, KDF.HKDF_SHA256, AEAD.CHACHA20_POLY1305)
SIGNATURE_BYTES = 64
ENROLL_CONTEXT = b"mediatorlog-enroll/1"


class CryptoError(Exception):
    """A signature, proof or ciphertext does not check out."""


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def unb64(text: str) -> bytes:
    return base64.b64decode(str(text).encode("ascii"), validate=True)


def _raw_private(key) -> bytes:
    return key.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
                             serialization.NoEncryption())


def _raw_public(key) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


@dataclass(frozen=True)
class KeyPairs:
    """A party's signing (Ed25519) and encryption (X25519) private keys, raw 32 bytes each."""

    sign_private: bytes
    enc_private: bytes

    @classmethod
    def generate(cls) -> KeyPairs:
        return cls(_raw_private(Ed25519PrivateKey.generate()), _raw_private(X25519PrivateKey.generate()))

    @property
    def sign_public(self) -> bytes:
        return _raw_public(Ed25519PrivateKey.from_private_bytes(self.sign_private).public_key())

    @property
    def enc_public(self) -> bytes:
        return _raw_public(X25519PrivateKey.from_private_bytes(self.enc_private).public_key())

    def sign(self, data: bytes) -> bytes:
        return Ed25519PrivateKey.from_private_bytes(self.sign_private).sign(data)

    def open(self, sealed: bytes, info: bytes) -> bytes:
        try:
            return _HPKE.decrypt(sealed, X25519PrivateKey.from_private_bytes(self.enc_private), info=info)
        except Exception as exc:  # InvalidTag or ValueError from the library
            raise CryptoError("cannot decrypt") from exc


def verify(sign_public: bytes, signature: bytes, data: bytes) -> None:
    try:
        Ed25519PublicKey.from_public_bytes(sign_public).verify(signature, data)
    except (InvalidSignature, ValueError) as exc:
        raise CryptoError("bad signature") from exc


def seal(enc_public: bytes, plaintext: bytes, info: bytes) -> bytes:
    """HPKE single-shot: returns enc (32 bytes) || ciphertext (plaintext + 16-byte tag)."""
    return _HPKE.encrypt(plaintext, X25519PublicKey.from_public_bytes(enc_public), info=info)


def key_id(public: bytes) -> str:
    """Short fingerprint of a public key: first 16 hex digits of SHA-256."""
    return hashlib.sha256(public).hexdigest()[:16]


def new_enrollment_secret() -> bytes:
    return secrets.token_bytes(32)


def enrollment_verifier(secret: bytes) -> bytes:
    """What the lead keeps of the secret: SHA-256 of it (the secret itself is never stored)."""
    return hashlib.sha256(secret).digest()


def enrollment_message(team_id: str, workstation: str, device_id: str, sign_public: bytes,
                       enc_public: bytes) -> bytes:
    return b"\x00".join([ENROLL_CONTEXT, team_id.encode(), workstation.encode("utf-8"), device_id.encode(),
                         sign_public, enc_public])


def enrollment_proof(verifier: bytes, message: bytes) -> bytes:
    """HMAC-SHA256 keyed by SHA-256(secret) over the device's identity and public keys."""
    return hmac.new(verifier, message, hashlib.sha256).digest()


def check_enrollment_proof(verifier: bytes, message: bytes, proof: bytes) -> bool:
    return hmac.compare_digest(enrollment_proof(verifier, message), proof)
