#!/usr/bin/env python3
"""Sync benchmark (issue 5): import one bundle of 100,000 field changes into a team lead's
encrypted store that already holds 100,000 entries, and, in the same run, a plain
(unencrypted) SQLite bulk upsert of the same rows.

Run from the repository root:

    .venv/bin/python bench/sync_bench.py                       # 100,000 entries, 100,000 changes
    .venv/bin/python bench/sync_bench.py --entries 10000 --changes 10000   # a quick run

Setup (not timed): a lead store made with `create_store(role="lead")` and `fill_demo` (the demo
entries are then re-homed to one enrolled workstation, so its bundle may edit them), and a real
workstation store made from a `provision` profile that has enrolled with a first bundle.
The timed bundle is built from the workstation's keys with the real bundle encoder (synthetic
content, so the setup does not take an hour of single saves):

  * half of the changes edit one field each of existing entries (notes, outcome, follow-up
    done, topics, in turn), each on a different entry, made on top of the lead's version;
  * half are new entries with every field (33 field changes each, as `Journal.save_entry`
    records a new consultation).

A "record" in the goals is one field change, the unit the issue's change tracking defines;
the number of entry rows written is reported beside it.

Timed: `SyncService.import_paths([file])`, everything included (read, signature check,
HPKE decrypt, zlib, JSON, merge, writes of entries, full-text index, client links, versions,
commit). Baseline: the same rows (the edited entries with their new values and the new
entries, as whole rows) upserted into a plain SQLite copy of the same journal with
`INSERT ... ON CONFLICT(id) DO UPDATE` in one `executemany` and one transaction, plus the
same full-text index maintenance.

Results: Markdown on stdout, raw numbers in bench/results/ (ignored by git).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

PASSPHRASE = "benchmark passphrase"
FAST_KDF = {"time_cost": 1, "memory_cost_kib": 8192, "parallelism": 1}
GOALS = {"records_per_s": 50_000, "ratio_to_plain": 2.0, "bytes_per_record": 150}
EDIT_FIELDS = ("notes", "outcome", "follow_up_done", "topics")


def build(folder: Path, entries: int):
    from app.services.demo import fill_demo
    from app.services.provision import create_store_from_profile
    from app.services.stores import create_store
    from app.services.sync import SyncService
    from app.store.engine import writing
    from helpers.factories import consultation

    sync_dir = folder / "sync"
    sync_dir.mkdir()
    lead = create_store(folder / "lead.db", PASSPHRASE, name="Lead", role="lead", kdf=FAST_KDF)
    t0 = time.perf_counter()
    fill_demo(lead, entries=entries, seed=1)
    fill_s = time.perf_counter() - t0
    lead_sync = SyncService(lead)
    lead_sync.provision("laptop-01", folder / "profile.json", sync_dir=str(sync_dir))
    device = create_store_from_profile(folder / "device.db", PASSPHRASE, (folder / "profile.json").read_bytes(),
                                       name="Mediator", kdf=FAST_KDF)
    device.save_entry(consultation(notes="erste Beratung"), now=dt.datetime(2025, 6, 30, 12))
    SyncService(device).export_bundles()
    lead_sync.import_paths([sync_dir])
    for f in sync_dir.iterdir():
        f.unlink()
    with writing(lead.engine) as conn:  # the demo entries become the workstation's own
        conn.exec_driver_sql("UPDATE sync_clock SET origin = ? WHERE tbl IN ('entries', 'clients')",
                             (device.device_id,))
    return lead, device, fill_s


def make_bundle(lead, device, changes: int, out: Path) -> tuple[Path, dict]:
    """The workstation's bundle, built with its keys and the real encoder."""
    import random

    from app.services.sync import SyncService, _Payload
    from app.sync import bundle as fmt
    from app.sync import crypto
    from app.sync.hlc import Clock
    from app.sync.replica import SPECS

    rng = random.Random(5)
    half = changes // 4  # two field changes each (the field and updated_at): half of the bundle
    with lead.engine.connect() as conn:
        rows = conn.exec_driver_sql(
            "SELECT e.id, e.notes, e.outcome, e.follow_up_done, e.topics, c.clocks FROM entries e "
            "JOIN sync_clock c ON c.tbl = 'entries' AND c.rid = e.id WHERE e.deleted_at IS NULL "
            "ORDER BY e.seq LIMIT ?", (half,)).fetchall()
    with device.engine.connect() as conn:
        keys = SyncService(device)._keys(conn)
        meta = dict(conn.exec_driver_sql("SELECT key, value FROM meta WHERE key LIKE 'sync.%'").fetchall())
    clock = Clock(int(meta["sync.hlc"]))
    payload = _Payload()
    me = payload.dev(device.device_id)
    edited_rows = []
    for i, (rid, notes, outcome, done, topics, clocks) in enumerate(rows):
        name = EDIT_FIELDS[i % len(EDIT_FIELDS)]
        base = json.loads(clocks)["*"][0]
        value = {"notes": (notes or "") + " Nachtrag.", "outcome": "referred" if outcome != "referred" else "solved",
                 "follow_up_done": 1 - (done or 0), "topics": '["housing","work"]'}[name]
        stamp = clock.tick()
        payload.add("entries", rid, device.device_id, [[name, value, stamp, me, base],
                                                       ["updated_at", "2026-11-21T10:00:00.000Z", stamp, me, base]])
        edited_rows.append((rid, name, value))
    fields = SPECS["entries"].fields
    new_rows = []
    per_entry = len(fields)
    from app.domain.ids import uuid7

    while payload.count < changes:
        rid = uuid7()
        stamp = clock.tick()
        day = dt.date(2026, 1, 1) + dt.timedelta(days=rng.randrange(300))
        row = {f: None for f in fields}
        row.update(
            type="consultation", start=f"{day}T{rng.randrange(8, 18):02d}:{rng.choice(('00', '15', '30', '45'))}",
            end=None, day=str(day), mediator="Mediator", district=rng.choice(("mitte", "haspe", "altenhagen")),
            setting="office", languages='["ro"]', topics='["housing"]', referrals='["jobcentre"]', partners="[]",
            clients="[]", outcome="advice_given", follow_up="", follow_up_done=0,
            notes=rng.choice(("Mietvertrag gemeinsam gelesen.", "Termin beim Jobcenter vereinbart.",
                              "Antrag auf Kindergeld ausgefuellt.", "Brief der Krankenkasse erklaert.")),
            created_at="2026-11-21T10:00:00.000Z", updated_at="2026-11-21T10:00:00.000Z", author="Mediator",
            device_id=device.device_id,
        )
        payload.add("entries", rid, device.device_id, [[f, row[f], stamp, me, 0] for f in fields])
        new_rows.append((rid, row))
    header = {
        "app_version": "bench", "schema": meta.get("sync.schema") or __import__(
            "app.store.migrate", fromlist=["head_revision"]).head_revision(),
        "team": meta["sync.team_id"], "sender": device.device_id, "sender_key": crypto.key_id(keys.sign_public),
        "recipient": lead.device_id, "recipient_key": crypto.key_id(crypto.unb64(meta["sync.team_enc_public"])),
        "seq": 2, "first": 0, "last": payload.count, "count": payload.count,
        "created_at": "2026-11-21T10:00:00.000Z", "created_hlc": clock.last,
    }
    data = fmt.encode(header, payload.as_dict(ack=0), keys, crypto.unb64(meta["sync.team_enc_public"]))
    path = out / fmt.file_name(device.device_id, 2, lead.device_id)
    path.write_bytes(data)
    return path, {"count": payload.count, "edited": edited_rows, "new": new_rows, "per_entry": per_entry}


def plain_baseline(folder: Path, lead_path: Path, key: bytes, info: dict) -> float:
    """The same rows upserted into a plain SQLite copy of the journal (entries and FTS only)."""
    from app.store.engine import connect
    from app.store.search_index import KEY_SQL, key as fts_key
    from app.sync.replica import SPECS

    plain = folder / "plain.db"
    src = connect(lead_path, key)
    src.execute(f"ATTACH DATABASE '{plain}' AS plain KEY ''")
    src.execute("SELECT sqlcipher_export('plain')")
    src.execute("DETACH DATABASE plain")
    src.close()
    conn = connect(plain, b"", encrypted=False)
    # A bare upsert: the copy loses the reporting triggers (schema 0006), which the import pays for.
    for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'").fetchall():
        conn.execute(f'DROP TRIGGER "{name}"')
    fields = list(SPECS["entries"].fields)
    existing = {r[0]: r for r in conn.execute(
        f"SELECT id, {', '.join(chr(34) + f + chr(34) for f in fields)}, seq FROM entries")}
    rows = []
    for rid, name, value in info["edited"]:
        old = existing[rid]
        row = dict(zip(fields, old[1:-1]))
        row[name] = value
        row["updated_at"] = "2026-11-21T10:00:00.000Z"
        rows.append((rid, row))
    rows.extend(info["new"])
    cols = ", ".join(f'"{f}"' for f in fields)
    sets = ", ".join(f'"{f}" = excluded."{f}"' for f in fields)
    # Each timed part starts with the disk idle: otherwise the kernel is still writing back what
    # was written before it (here the 175 MB plain copy), and the timed part pays for that.
    os.sync()
    t0 = time.perf_counter()
    conn.execute("BEGIN IMMEDIATE")
    type_at, start_at = fields.index("type") + 1, fields.index("start") + 1
    edited_keys = [(fts_key(existing[rid][-1], existing[rid][type_at], existing[rid][start_at]),)
                   for rid, _n, _v in info["edited"]]
    conn.executemany("DELETE FROM entries_fts WHERE rowid = ?", edited_keys)
    conn.executemany(
        f'INSERT INTO entries ("id", {cols}) VALUES (?, {", ".join("?" * len(fields))}) '
        f'ON CONFLICT(id) DO UPDATE SET {sets}',
        [(rid, *(row[f] for f in fields)) for rid, row in rows])
    conn.executemany(
        f"INSERT INTO entries_fts (rowid, body) SELECT {KEY_SQL}, ? FROM entries WHERE id = ?",
        [("\n".join(p for p in (row["notes"], row["follow_up"]) if p), rid) for rid, row in rows])
    conn.execute("COMMIT")
    elapsed = time.perf_counter() - t0
    conn.close()
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--changes", type=int, default=100_000)
    parser.add_argument("--keep", type=Path, metavar="DIR",
                        help="keep the built stores and bundle in DIR and reuse them on the next run with "
                             "the same sizes (setup takes about a minute at 100,000 entries; the timed "
                             "import always runs on a fresh copy)")
    args = parser.parse_args()

    from app.services.stores import unlock_key
    from app.services.sync import SyncService
    from app.store.throttle import UnlockThrottle

    folder = Path(tempfile.mkdtemp(prefix="sync-bench-"))
    os.environ["MEDIATORLOG_DATA_DIR"] = str(folder / "data")
    kept = args.keep / f"{args.entries}-{args.changes}" if args.keep else None
    try:
        if kept is not None and (kept / "info.json").exists():
            shutil.rmtree(folder)
            shutil.copytree(kept, folder)
            saved = json.loads((folder / "info.json").read_text())
            info, fill_s = saved["info"], saved["fill_s"]
            path = folder / "bundle" / saved["bundle"]
        else:
            lead, device, fill_s = build(folder, args.entries)
            bundle_dir = folder / "bundle"
            bundle_dir.mkdir()
            path, info = make_bundle(lead, device, args.changes, bundle_dir)
            lead.close()
            device.close()
            if kept is not None:
                (folder / "info.json").write_text(json.dumps({"info": info, "fill_s": fill_s, "bundle": path.name}))
                shutil.rmtree(kept, ignore_errors=True)
                shutil.copytree(folder, kept)
        size = path.stat().st_size
        key = unlock_key(folder / "lead.db", PASSPHRASE, throttle=UnlockThrottle(folder, folder / "lead.db"))
        baseline_s = plain_baseline(folder, folder / "lead.db", key, info)
        os.sync()  # see plain_baseline

        from app.services.stores import _unlock

        lead = _unlock(folder / "lead.db", key)
        t0 = time.perf_counter()
        if os.environ.get("SYNC_BENCH_PROFILE"):
            import cProfile
            import pstats
            prof = cProfile.Profile()
            report = prof.runcall(SyncService(lead).import_paths, [path])
            pstats.Stats(prof).sort_stats("cumulative").print_stats(25)
        else:
            report = SyncService(lead).import_paths([path])
        import_s = time.perf_counter() - t0
        [result] = report.results
        assert result.status == "imported", result.message
        with lead.engine.connect() as conn:
            total = conn.exec_driver_sql("SELECT count(*) FROM entries").scalar()
        lead.close()
        rows_written = len(info["edited"]) + len(info["new"])
        res = {
            "date": dt.date.today().isoformat(), "machine": f"{platform.machine()} {os.cpu_count()} CPU",
            "entries_before": args.entries, "entries_after": total, "changes": info["count"],
            "applied": result.applied, "conflicts": result.conflicts, "rows_written": rows_written,
            "bundle_bytes": size, "bytes_per_record": size / info["count"], "import_s": import_s,
            "records_per_s": info["count"] / import_s, "rows_per_s": rows_written / import_s,
            "plain_upsert_s": baseline_s, "ratio_to_plain": import_s / baseline_s, "fill_s": fill_s,
        }
        RESULTS.mkdir(parents=True, exist_ok=True)
        out = RESULTS / f"sync-{args.entries}-{dt.datetime.now():%Y%m%d-%H%M%S}.json"
        out.write_text(json.dumps(res, indent=2))
        print("| measure | result | goal |\n|---|---:|---:|")
        print(f"| changes in the bundle (field changes) | {info['count']:,} | |")
        print(f"| entry rows written (edited + new) | {rows_written:,} "
              f"({len(info['edited']):,} + {len(info['new']):,}) | |")
        print(f"| import, all included | {import_s:.2f} s | |")
        print(f"| records (field changes) per second | {res['records_per_s']:,.0f} | >= {GOALS['records_per_s']:,} |")
        print(f"| entry rows per second | {res['rows_per_s']:,.0f} | |")
        print(f"| plain SQLite upsert of the same rows | {baseline_s:.2f} s | |")
        print(f"| import / plain upsert | {res['ratio_to_plain']:.2f}x | <= {GOALS['ratio_to_plain']}x |")
        print(f"| bundle size | {size:,} B | |")
        print(f"| bytes per record | {res['bytes_per_record']:.1f} | <= {GOALS['bytes_per_record']} |")
        print(f"\nraw: {out}")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
