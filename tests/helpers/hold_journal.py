"""Subprocess helper: hold the journal's write lock (BEGIN IMMEDIATE) until a signal file appears.

usage: holdlock.py STORE READY_FILE RELEASE_FILE   (passphrase from MEDIATORLOG_PASSPHRASE)"""
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from app.services.stores import unlock_key  # noqa: E402
from app.store.engine import connect  # noqa: E402

store, ready, release = map(Path, sys.argv[1:4])
key = unlock_key(store, os.environ["MEDIATORLOG_PASSPHRASE"])
conn = connect(store, key)
conn.execute("BEGIN IMMEDIATE")
conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('holdlock', 'x')")
ready.write_text("held")
deadline = time.time() + 120
while not release.exists() and time.time() < deadline:
    time.sleep(0.05)
conn.execute("COMMIT")
conn.close()
