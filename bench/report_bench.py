#!/usr/bin/env python3
"""The team-lead report and the dashboard queries over 500,000 merged entries.

Run from the repository root:

    .venv/bin/python bench/report_bench.py [--entries 500000] [--rounds 5] [--rebuild]

The store is made once with bulk inserts (the demo generator, five team members on five
devices, as after a merge) and cached in bench/.cache/ (ignored by git); each run works on
a copy. In the same run it times, alternating, on the same unlocked store:

  - baseline: one plain `SELECT type, count(*) ... GROUP BY type` over the same rows;
  - the report model for a school year (`app.reports.build_report`, all sections,
    suppression included) and its XLSX, CSV and PDF files;
  - the dashboard's queries for a school year and for a month (what `refresh()` runs
    after a merge).

Goals (issue 6): the report at most 3 s; the dashboard refresh at most 1 s.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / "bench" / ".cache"
sys.path.insert(0, str(ROOT))

PASSPHRASE = "benchmark passphrase"
CACHE_FORMAT = 1
TEAM = ["A. Mihai", "B. Ivanova", "C. Stoica", "D. Petrov", "E. Lakatos"]
GOAL_REPORT_S = 3.0
GOAL_DASHBOARD_S = 1.0


def cached_store(entries: int, rebuild: bool) -> Path:
    from app.store.keyslots import keyslot_path

    folder = CACHE / f"merged-{entries}"
    store = folder / "journal.db"
    stamp = folder / "made.json"
    wanted = {"entries": entries, "seed": 6, "format": CACHE_FORMAT}
    if not rebuild and stamp.exists() and store.exists() and keyslot_path(store).exists():
        if json.loads(stamp.read_text()) == wanted:
            return store
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    os.environ["MEDIATORLOG_DATA_DIR"] = str(folder / "data")
    from app.domain.entries import RecordMeta
    from app.services.demo import DemoGenerator
    from app.services.stores import create_store
    from app.store import repository as repo
    from app.store.engine import writing

    print(f"building a merged store with {entries:,} entries in {folder} (once) ...", flush=True)
    started = time.perf_counter()
    journal = create_store(store, PASSPHRASE, name="Bench Lead", role="lead")
    generator = DemoGenerator(journal, seed=6)
    pool = generator.clients(2000)
    stamp_now = "2026-11-21T12:00:00.000Z"
    for client in pool:
        client.meta = RecordMeta(created_at=stamp_now, updated_at=stamp_now, author="Bench Lead", device_id="lead")
    with writing(journal.engine) as conn:
        repo.insert_clients_bulk(conn, pool)
    ids = [c.id for c in pool]
    made = 0
    while made < entries:
        chunk = []
        for _ in range(min(20_000, entries - made)):
            entry = generator.entry(ids)
            member = TEAM.index(entry.mediator)
            entry.meta = RecordMeta(created_at=stamp_now, updated_at=stamp_now, author=entry.mediator,
                                    device_id=f"device-{member}")
            chunk.append(entry)
        with writing(journal.engine) as conn:
            repo.insert_entries_bulk(conn, chunk)
        made += len(chunk)
        print(f"  {made:,}", flush=True)
    journal.close()
    stamp.write_text(json.dumps(wanted))
    print(f"  built in {time.perf_counter() - started:.1f} s", flush=True)
    return store


def working_copy(store: Path, into: Path) -> Path:
    from app.store.keyslots import keyslot_path

    into.mkdir(parents=True, exist_ok=True)
    for source in (store, keyslot_path(store)):
        shutil.copy2(source, into / source.name)
    return into / store.name
