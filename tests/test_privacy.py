"""A lost laptop reveals nothing: no personal text in plaintext anywhere in the data folder,
while the store is open (WAL present), with drafts, after closing, after wrong passphrases."""

from __future__ import annotations

import datetime as dt
import os
import tempfile
from pathlib import Path

import pytest
from helpers.factories import FAST_KDF, PASSPHRASE, consultation, tandem

from app.domain.entries import Client
from app.services.stores import change_passphrase, create_store, open_store
from app.store.engine import make_engine, writing
from app.store.keyslots import WrongPassphrase
from app.store.migrate import ensure_current

MARKERS = {
    "notes": "Notizmarker Qwzx Vulnerabel",
    "follow_up": "Folgemarker Jkvb Rueckruf",
    "client_name": "Zyxwa Namensmarker",
    "client_contact": "0176 99887766 Kontaktmarker",
    "client_notes": "Klientnotiz Pqxv",
    "teacher": "QXTZ-Initialen",
    "social_worker": "SWMK-Zvq",
    "mediator": "Mediatorin Yqvx",
    "draft": "Entwurfmarker Wqzj halb getippt",
    "setting": "Einstellungsmarker Xjqv",
}


def variants(marker: str) -> list[bytes]:
    # The FTS index keeps single lower-case words. Parts shorter than 6 characters are left
    # out: a short byte string can turn up in ciphertext by chance.
    words = [w for w in marker.split() if len(w) >= 6]
    forms = {marker, marker.lower(), marker.upper(), *words, *(w.lower() for w in words)}
    return [f.encode(enc) for f in forms for enc in ("utf-8", "utf-16-le")]


def leaks(folder: Path, markers=MARKERS) -> list[str]:
    """Every (file, marker) where a marker's bytes occur in a file under `folder`."""
    found = []
    files = [p for p in Path(folder).rglob("*") if p.is_file()]
    assert files, f"nothing to scan in {folder}"
    for path in files:
        data = path.read_bytes()
        for name, marker in markers.items():
            if any(v in data for v in variants(marker)):
                found.append(f"{path.relative_to(folder)}: {name}")
    return found


def write_markers(journal):
    client = journal.save_client(Client(
        code=journal.new_client().code, name=MARKERS["client_name"], contact=MARKERS["client_contact"],
        notes=MARKERS["client_notes"], birth_year=1990,
    ))
    journal.save_entry(consultation(client_ids=[client.id], notes=MARKERS["notes"], follow_up=MARKERS["follow_up"],
                                    follow_up_due=dt.date(2025, 3, 20), mediator=MARKERS["mediator"]))
    journal.save_entry(tandem(format="tridem", teacher=MARKERS["teacher"], social_worker=MARKERS["social_worker"],
                              notes=MARKERS["notes"]))
    journal.set_setting("last_search", MARKERS["setting"])


@pytest.fixture
def isolated_home(tmp_path, monkeypatch):
    """Point every other place an app might write to into tmp, to see that nothing goes there."""
    home = tmp_path / "home"
    for var, sub in [("HOME", ""), ("XDG_DATA_HOME", ".local/share"), ("XDG_STATE_HOME", ".local/state"),
                     ("XDG_CACHE_HOME", ".cache"), ("XDG_CONFIG_HOME", ".config"), ("TMPDIR", "tmp")]:
        (home / sub).mkdir(parents=True, exist_ok=True)
        monkeypatch.setenv(var, str(home / sub))
    monkeypatch.setattr(tempfile, "tempdir", str(home / "tmp"))
    return home


def test_the_scan_finds_plaintext(data_dir):
    """Control: the scan is able to fail, on plain text and on an unencrypted database."""
    (data_dir / "note.txt").write_text(f"x {MARKERS['notes']} y", encoding="utf-16-le")
    assert leaks(data_dir) == ["note.txt: notes"]
    (data_dir / "note.txt").unlink()

    plain = data_dir / "plain.db"
    engine = make_engine(plain, b"", encrypted=False)
    ensure_current(engine, plain)
    with writing(engine) as conn:
        conn.exec_driver_sql("INSERT INTO drafts VALUES ('k', ?, 'now')", (MARKERS["draft"],))
    engine.dispose()
    assert "plain.db: draft" in leaks(data_dir)


def test_nothing_personal_in_plaintext_at_any_stage(journal, store_path, data_dir, isolated_home):
    write_markers(journal)
    wal = Path(str(store_path) + "-wal")
    assert wal.exists() and wal.stat().st_size > 0, "the scan must cover a store with a live WAL"
    assert leaks(data_dir) == [], "while open, with WAL"

    journal.save_draft("consultation:new", {"notes": MARKERS["draft"], "teacher": MARKERS["teacher"]})
    assert wal.stat().st_size > 0
    assert leaks(data_dir) == [], "after a draft was saved"

    journal.close()
    assert leaks(data_dir) == [], "after closing"

    for _ in range(2):
        with pytest.raises(WrongPassphrase):
            open_store(store_path, "not the passphrase")
    assert (data_dir / "state").exists()
    assert leaks(data_dir) == [], "after wrong passphrases (throttle state)"

    change_passphrase(store_path, PASSPHRASE, "another passphrase here", kdf=FAST_KDF)
    with open_store(store_path, "another passphrase here") as reopened:
        assert reopened.load_draft("consultation:new")["notes"] == MARKERS["draft"]
        assert reopened.count_entries() == 2
        journal_entries = reopened.all_entries()
        assert {e.notes for e in journal_entries} == {MARKERS["notes"]}
        reopened.delete_entry(journal_entries[0].id)
        assert leaks(data_dir) == [], "reopened and deleting"
    assert leaks(data_dir) == []

    assert [p for p in isolated_home.rglob("*") if p.is_file()] == [], "nothing is written outside the data folder"


def test_markers_stay_encrypted_in_a_large_store(data_dir):
    """Many entries: pages of the FTS index and of the tables spill over the WAL and the file."""
    journal = create_store(data_dir / "big.db", PASSPHRASE, kdf=FAST_KDF)
    try:
        for i in range(60):
            journal.save_entry(consultation(notes=f"{MARKERS['notes']} {i} " + "Füllwort " * 200))
        assert leaks(data_dir) == []
    finally:
        journal.close()
    assert leaks(data_dir) == []
    assert os.path.getsize(data_dir / "big.db") > 100_000
