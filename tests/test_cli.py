"""The `mediatorlog` command line through real subprocesses (`python -m app ...`).

Exit codes: 0 ok; 1 bad input or usage, with exactly one line on stderr and never a
traceback; 2 wrong passphrase. Stores are made in-process with a cheap KDF where the
command under test is not `init`, to keep the number of slow runs down.
"""

from __future__ import annotations

import csv
import io
import json
import stat
import subprocess

import pytest
from helpers.factories import FAST_KDF, PASSPHRASE, PYTHON, REPO, consultation, snapshot, store_files, subprocess_env

import app
from app.services.stores import create_store, open_store, unlock_key
from app.store.engine import checkpoint, make_engine
from app.store.keyslots import WrongPassphrase, generate_recovery_keypair, keyslot_path

NEW_PASSPHRASE = "the new cli passphrase"


def command(args, data_dir, *, passphrase=PASSPHRASE, new=None):
    env = subprocess_env(data_dir)
    if passphrase is not None:
        env["MEDIATORLOG_PASSPHRASE"] = passphrase
    if new is not None:
        env["MEDIATORLOG_NEW_PASSPHRASE"] = new
    return [PYTHON, "-m", "app", *map(str, args)], env


def run(*args, data_dir, passphrase=PASSPHRASE, new=None) -> subprocess.CompletedProcess:
    argv, env = command(args, data_dir, passphrase=passphrase, new=new)
    return subprocess.run(argv, cwd=REPO, env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                          timeout=60)


def run_all(*arg_lists, data_dir, passphrase=PASSPHRASE, new=None) -> list[subprocess.CompletedProcess]:
    """Independent runs side by side, to save time. An item may be (args, {"passphrase": ..., "new": ...})."""
    started = []
    for item in arg_lists:
        args, own = item if isinstance(item, tuple) else (item, {})
        argv, env = command(args, data_dir, **{"passphrase": passphrase, "new": new, **own})
        started.append((argv, subprocess.Popen(argv, cwd=REPO, env=env, stdin=subprocess.DEVNULL,
                                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)))
    results = []
    for argv, process in started:
        out, err = process.communicate(timeout=60)
        results.append(subprocess.CompletedProcess(argv, process.returncode, out, err))
    return results


def ok(result) -> subprocess.CompletedProcess:
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    return result


def failed(result, code: int, fragment: str) -> str:
    """Exit `code`, exactly one line on stderr, no traceback; returns that line."""
    assert result.returncode == code, (result.returncode, result.stderr)
    assert "Traceback" not in result.stderr, result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("mediatorlog: ")
    assert fragment in lines[0], lines[0]
    return lines[0]


@pytest.fixture
def store(store_path):
    journal = create_store(store_path, PASSPHRASE, name="CLI Tester", kdf=FAST_KDF)
    journal.save_entry(consultation(notes="schon da"))
    journal.close()
    return store_path


def count(path, passphrase=PASSPHRASE) -> int:
    with open_store(path, passphrase) as journal:
        return journal.count_entries()


# -- version, usage ---------------------------------------------------------------------


def test_version_and_help(data_dir):
    version, helptext = run_all(["--version"], ["--help"], data_dir=data_dir)
    assert ok(version).stdout.strip() == f"mediatorlog {app.__version__}"
    assert "Exit codes: 0 ok, 1 bad input or usage, 2 wrong passphrase" in " ".join(ok(helptext).stdout.split())
    assert list(data_dir.iterdir()) == [], "neither creates anything"


def test_usage_errors_exit_1_with_one_line(store, data_dir):
    before = snapshot(store_files(store))
    results = run_all(["bogus"], ["demo", "--entries", "abc"], ["demo", "--entries", "-1"], data_dir=data_dir)
    fragments = ["invalid choice: 'bogus'", "invalid int value: 'abc'", "cannot be negative"]
    for result, fragment in zip(results, fragments):
        failed(result, 1, fragment)
        assert result.stdout == ""
    assert snapshot(store_files(store)) == before


def test_missing_passphrase_without_a_terminal(data_dir, store_path):
    result = run("init", data_dir=data_dir, passphrase=None)
    failed(result, 1, "No passphrase given: set MEDIATORLOG_PASSPHRASE")
    assert not store_path.exists() and not keyslot_path(store_path).exists()


# -- init -------------------------------------------------------------------------------


def test_init_creates_a_store_and_refuses_to_overwrite_it(data_dir, store_path):
    result = ok(run("init", "--name", "Ana Mihai", data_dir=data_dir))
    assert str(store_path) in result.stdout, "the default store lives in MEDIATORLOG_DATA_DIR"
    for path in (store_path, keyslot_path(store_path)):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    with open_store(store_path, PASSPHRASE) as journal:
        assert (journal.user_name, journal.role, journal.count_entries()) == ("Ana Mihai", "mediator", 0)
    before = snapshot(store_files(store_path))

    again = run("--lang", "en", "init", "--name", "Someone Else", data_dir=data_dir)

    failed(again, 1, "mediatorlog: A journal already exists at this place. Choose another file.")
    assert snapshot(store_files(store_path)) == before


# -- demo, export, import ---------------------------------------------------------------


def test_demo_then_export_to_stdout_and_to_a_file(store, data_dir, tmp_path):
    result = ok(run("demo", "--entries", "25", "--seed", "3", data_dir=data_dir))
    assert "26 entries" in result.stdout

    out_file, out_jsonl = tmp_path / "out" / "export.csv", tmp_path / "out" / "export.jsonl"
    jsonl, csv_out, csv_stdout, jsonl_out = run_all(
        ["export"], ["export", "--format", "csv", "--out", out_file], ["export", "--format", "csv"],
        ["export", "--out", out_jsonl], data_dir=data_dir,
    )

    records = [json.loads(line) for line in ok(jsonl).stdout.splitlines()]
    assert len(records) == 26 and len({r["id"] for r in records}) == 26
    assert "schon da" in {r["notes"] for r in records}
    assert ok(jsonl_out).stdout == "" and out_jsonl.read_text(encoding="utf-8") == jsonl.stdout
    assert ok(csv_stdout).stdout == out_file.read_text(encoding="utf-8")
    ok(csv_out)
    assert csv_out.stdout == "" and "Exported 26 entries" in csv_out.stderr
    rows = list(csv.DictReader(io.StringIO(out_file.read_text(encoding="utf-8"))))
    assert sorted(r["id"] for r in rows) == sorted(r["id"] for r in records)
    assert stat.S_IMODE(out_file.stat().st_mode) == 0o600, "an export holds personal data"


def test_import_good_and_bad_files(store, data_dir, tmp_path):
    good = tmp_path / "good.jsonl"
    good.write_text(json.dumps({"type": "outreach_visit", "start": "2025-04-01T10:00", "mediator": "M",
                                "district": "haspe", "place_type": "street", "purpose": "contact"}) + "\n")
    bad = tmp_path / "bad.csv"
    bad.write_text("type,start,mediator,setting\nconsultation,2025-04-01T10:00,M,office\n"
                   "consultation,2025-04-01T10:00,M,sofa\n")
    results = run_all(["import", good], ["import", tmp_path / "missing.jsonl"], data_dir=data_dir)
    ok(results[0])
    assert "good.jsonl: 1 entry read (1 new, 0 changed, 0 unchanged)" in results[0].stdout
    failed(results[1], 1, "File not found")
    assert count(store) == 2

    before = snapshot(store_files(store))
    line = failed(run("import", bad, data_dir=data_dir), 1, "Line 3 (setting):")
    assert "“sofa”" in line and line.endswith("Nothing was imported.")
    assert count(store) == 2
    assert snapshot([store])[str(store)][0] == before[str(store)][0]


# -- passphrases ------------------------------------------------------------------------


def test_wrong_passphrase_exits_2_and_changes_nothing(store, data_dir):
    before = snapshot(store_files(store))
    result = run("export", data_dir=data_dir, passphrase="not the passphrase")
    failed(result, 2, "Wrong passphrase. Nothing was changed.")
    assert result.stdout == ""
    assert snapshot(store_files(store)) == before


def test_passwd(store, data_dir):
    before = snapshot(store_files(store))
    db_before = snapshot([store])
    wrong_old, short_new = run_all(
        (["passwd"], {"passphrase": "not the passphrase", "new": NEW_PASSPHRASE}),
        (["passwd"], {"new": "short"}),
        data_dir=data_dir,
    )
    failed(wrong_old, 2, "Wrong passphrase")
    failed(short_new, 1, "too short")
    assert snapshot(store_files(store)) == before

    ok(run("passwd", data_dir=data_dir, new=NEW_PASSPHRASE))

    assert snapshot([store]) == db_before, "only the key slot file is rewritten"
    with pytest.raises(WrongPassphrase):
        unlock_key(store, PASSPHRASE)
    assert count(store, NEW_PASSPHRASE) == 1


def test_recovery_keygen_init_and_recover(data_dir, tmp_path):
    keys = tmp_path / "it-keys"
    ok(run("recovery-keygen", "--out", keys, data_dir=data_dir))
    private, public = keys / "recovery-private.pem", keys / "recovery-public.pem"
    assert stat.S_IMODE(private.stat().st_mode) == 0o600
    assert public.read_bytes().startswith(b"-----BEGIN PUBLIC KEY-----")
    keys_before = snapshot([private, public])

    other = tmp_path / "other-private.pem"
    other.write_bytes(generate_recovery_keypair()[0])
    target = data_dir / "team.db"
    again, created = run_all(
        ["recovery-keygen", "--out", keys], ["init", "--store", target, "--recovery-key", public],
        data_dir=data_dir,
    )
    failed(again, 1, "already exists")
    assert snapshot([private, public]) == keys_before, "a recovery key is never overwritten"
    ok(created)

    results = run_all(
        ["recover", "--store", target, "--recovery-key", other],
        ["recover", "--store", target, "--recovery-key", tmp_path / "nope.pem"],
        data_dir=data_dir, passphrase=None, new=NEW_PASSPHRASE,
    )
    failed(results[0], 1, "does not belong to this journal")
    failed(results[1], 1, "Cannot read the file")

    ok(run("recover", "--store", target, "--recovery-key", private, data_dir=data_dir, passphrase=None,
           new=NEW_PASSPHRASE))
    assert count(target, NEW_PASSPHRASE) == 0
    with pytest.raises(WrongPassphrase):
        unlock_key(target, PASSPHRASE)


# -- damaged and foreign stores ---------------------------------------------------------


def test_missing_and_newer_stores_exit_1(store, data_dir):
    newer = data_dir / "newer.db"
    create_store(newer, PASSPHRASE, kdf=FAST_KDF).close()
    engine = make_engine(newer, unlock_key(newer, PASSPHRASE))
    with engine.begin() as conn:
        conn.exec_driver_sql("UPDATE alembic_version SET version_num = '9999'")
    checkpoint(engine)
    engine.dispose()
    before = snapshot([newer])

    missing, from_future = run_all(
        ["export", "--store", data_dir / "nowhere.db"], ["export", "--store", newer], data_dir=data_dir,
    )
    failed(missing, 1, "There is no journal at this place.")
    failed(from_future, 1, "made by a newer version")
    assert snapshot([newer]) == before


def test_damaged_key_file_exits_1_without_traceback(store, data_dir):
    document = json.loads(keyslot_path(store).read_text())
    document["slots"][0]["memory_cost_kib"] = 1  # e.g. a bit flip or a bad hand edit
    keyslot_path(store).write_text(json.dumps(document))
    failed(run("export", data_dir=data_dir), 1, "key file")


@pytest.mark.parametrize("target", ["journal.db", "journal.db.keys", "journal.db-wal"])
@pytest.mark.parametrize("command", ["export", "report"])
def test_export_and_report_never_write_over_the_journals_own_files(journal, store_path, capsys, monkeypatch,
                                                                  target, command):
    """`--out journal.db.keys` replaced the only copy of the key slots with a CSV: the journal was lost."""
    from app.cli import main

    journal.save_entry(consultation())
    journal.close()
    monkeypatch.setenv("MEDIATORLOG_PASSPHRASE", PASSPHRASE)
    before = {p.name: p.read_bytes() for p in store_path.parent.iterdir() if p.is_file()}
    out = str(store_path.parent / target)
    argv = (["export", "--store", str(store_path), "--format", "csv", "--out", out] if command == "export" else
            ["report", "--store", str(store_path), "--from", "2025-01-01", "--to", "2025-12-31", "--format", "csv",
             "--out", out])
    assert main(argv) == 1
    assert "file of the journal itself" in capsys.readouterr().err
    assert {p.name: p.read_bytes() for p in store_path.parent.iterdir() if p.is_file() and p.name in before} == before


def test_a_journal_busy_in_another_program_is_one_line_not_a_traceback(journal, store_path, data_dir, tmp_path):
    """Another program holds the write lock longer than the 5 s wait (a big import or sync)."""
    journal.save_entry(consultation())
    path = tmp_path / "one.jsonl"
    path.write_text(json.dumps({"type": "consultation", "start": "2025-03-01T10:00", "mediator": "M",
                                "setting": "office"}) + "\n", encoding="utf-8")
    env = {**subprocess_env(data_dir), "MEDIATORLOG_PASSPHRASE": PASSPHRASE}
    raw = journal.engine.raw_connection()
    try:
        raw.driver_connection.execute("BEGIN IMMEDIATE")  # this test is the other program
        done = subprocess.run([PYTHON, "-m", "app", "import", "--store", str(store_path), str(path)], cwd=REPO,
                              env=env, capture_output=True, text=True, timeout=60)
        raw.driver_connection.execute("ROLLBACK")
    finally:
        raw.close()
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert done.stderr.count("\n") == 1 and "busy in another program" in done.stderr, done.stderr
    assert len(journal.all_entries()) == 1


def test_a_damaged_journal_file_is_one_line_not_a_traceback(journal, store_path, data_dir):
    journal.save_entry(consultation())
    journal.close()
    with open(store_path, "r+b") as handle:  # one page in the middle overwritten
        handle.seek(4096 * 3)
        handle.write(b"\xa5" * 4096)
    env = {**subprocess_env(data_dir), "MEDIATORLOG_PASSPHRASE": PASSPHRASE}
    done = subprocess.run([PYTHON, "-m", "app", "export", "--store", str(store_path), "--format", "jsonl"], cwd=REPO,
                          env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 1 and "Traceback" not in done.stderr and done.stderr.count("\n") == 1, done.stderr


def test_two_passphrase_changes_at_once_never_both_say_changed(journal, store_path, data_dir):
    """Both used to print 'The passphrase was changed.' while only the last written one worked."""
    import time

    raw = journal.engine.raw_connection()
    procs = []
    try:
        raw.driver_connection.execute("BEGIN IMMEDIATE")  # both changes reach the lock while it is held
        for new in ("passphrase AAAA 1", "passphrase BBBB 2"):
            env = {**subprocess_env(data_dir), "MEDIATORLOG_PASSPHRASE": PASSPHRASE, "MEDIATORLOG_NEW_PASSPHRASE": new}
            procs.append((new, subprocess.Popen([PYTHON, "-m", "app", "passwd", "--store", str(store_path)], cwd=REPO,
                                                env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)))
        time.sleep(2.5)  # each has derived the key from the old passphrase and waits for the lock
        raw.driver_connection.execute("ROLLBACK")
    finally:
        raw.close()
    codes = {new: proc.wait(timeout=60) for new, proc in procs}
    journal.close()
    assert sorted(codes.values()) == [0, 2], codes
    [winner] = [new for new, code in codes.items() if code == 0]
    with open_store(store_path, winner) as again:
        assert again.store_id
