"""Record identifiers: time-ordered UUIDv7 (RFC 9562) and pseudonymous client codes."""

from __future__ import annotations

import secrets
import threading
import time
import uuid

_lock = threading.Lock()
_last_ms = 0
_last_rand = 0

# Crockford base32 without I, L, O, U: readable aloud and hard to mistype.
CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def uuid7_from(ms: int, rand: int) -> str:
    """A UUIDv7 with the given millisecond timestamp and 74 random bits (for reproducible demo data)."""
    rand_a = (rand >> 62) & 0xFFF
    rand_b = rand & ((1 << 62) - 1)
    value = (ms & ((1 << 48) - 1)) << 80 | 0x7 << 76 | rand_a << 64 | 0b10 << 62 | rand_b
    return str(uuid.UUID(int=value))


def uuid7() -> str:
    """A UUIDv7 string; monotonic within this process even for calls in the same millisecond."""
    global _last_ms, _last_rand
    with _lock:
        ms = time.time_ns() // 1_000_000
        if ms <= _last_ms:
            ms = _last_ms
            rand = _last_rand + 1
        else:
            rand = secrets.randbits(74) >> 1  # leave headroom so increments stay within 74 bits
        _last_ms, _last_rand = ms, rand
    return uuid7_from(ms, rand)


def is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except (ValueError, AttributeError, TypeError):
        return False
    return True


def _check_char(body: str) -> str:
    total = sum((i + 1) * CODE_ALPHABET.index(c) for i, c in enumerate(body))
    return CODE_ALPHABET[total % len(CODE_ALPHABET)]


def new_client_code(choice=secrets.choice) -> str:
    """A pseudonymous client code like `K-7QF3-9X9`, with a check character that catches most typos."""
    body = "".join(choice(CODE_ALPHABET) for _ in range(6))
    return f"K-{body[:4]}-{body[4:]}{_check_char(body)}"


def is_client_code(code: str) -> bool:
    code = code.strip().upper()
    if len(code) != 10 or not code.startswith("K-") or code[6] != "-":
        return False
    body = code[2:6] + code[7:9]
    if any(c not in CODE_ALPHABET for c in body + code[9]):
        return False
    return _check_char(body) == code[9]


def looks_like_our_code(code: str) -> bool:
    """Shaped like a code this application makes (older systems' codes are accepted as they are)."""
    code = code.strip().upper()
    return len(code) == 10 and code.startswith("K-") and code[6] == "-"
