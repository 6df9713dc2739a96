"""After a person's erasure nothing about them decrypts from the journal's files, the -wal side
file included, even when the process is killed right after it (found in a privacy audit,
2026-11-22: the write-ahead log kept the pages as they were before the erasure until a
checkpoint, and a desktop client stays open after an erasure)."""

from __future__ import annotations

import signal
import subprocess
from pathlib import Path

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from helpers.factories import PASSPHRASE, PYTHON, REPO, subprocess_env

from app.services.stores import unlock_key
from app.store.throttle import UnlockThrottle

PAGE, RESERVE = 4096, 48  # SQLCipher 4 page: AES-256-CBC, 16-byte IV + HMAC-SHA256 at the end


def _page(key: bytes, page: bytes, first: bool) -> bytes:
    iv = page[PAGE - RESERVE: PAGE - RESERVE + 16]
    decryptor = Cipher(algorithms.AES(key), modes.CBC(iv)).decryptor()
    return decryptor.update(page[16 if first else 0: PAGE - RESERVE]) + decryptor.finalize()


def decrypted_pages(db: Path, key: bytes) -> bytes:
    """Every page of the database and every frame of its WAL, decrypted with the journal key."""
    out = []
    data = db.read_bytes()
    out += [_page(key, data[i: i + PAGE], i == 0) for i in range(0, len(data) - PAGE + 1, PAGE)]
    wal = Path(f"{db}-wal")
    if wal.exists():
        w, off = wal.read_bytes(), 32
        while off + 24 + PAGE <= len(w):
            pgno = int.from_bytes(w[off: off + 4], "big")
            out.append(_page(key, w[off + 24: off + 24 + PAGE], pgno == 1))
            off += 24 + PAGE
    return b"".join(out)


CHILD = """
import sys, time
from app.domain.entries import Client, Consultation
from app.services.stores import open_store
from app.services.sync import SyncService
import datetime as dt
j = open_store(sys.argv[1], sys.argv[2])
p = j.save_client(Client(code="HA-EP-1", name="Elena Popescu", contact="Tel. 0171 2345678",
                         notes="Schulden beim Vermieter"), today=dt.date(2025, 6, 30))
SyncService(j).erase_client(p.id)
print("erased", flush=True)
time.sleep(120)
"""


def test_an_erased_person_is_not_readable_in_the_wal_after_a_kill(journal, store_path, data_dir):
    journal.close()
    key = unlock_key(store_path, PASSPHRASE, throttle=UnlockThrottle(store_path.parent, store_path))
    assert b"CREATE TABLE" in decrypted_pages(store_path, key)  # the decryption is right
    child = subprocess.Popen([PYTHON, "-c", CHILD, str(store_path), PASSPHRASE], cwd=REPO,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                             env=subprocess_env(data_dir))
    try:
        assert child.stdout.readline() == "erased\n", child.stderr.read()
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=10)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
        child.stdout.close()
        child.stderr.close()
    pages = decrypted_pages(store_path, key)
    for word in (b"Popescu", b"2345678", b"Vermieter"):
        assert word not in pages, f"{word!r} of the erased person is readable in the journal's files"
