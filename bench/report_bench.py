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
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
import bench_cache  # noqa: E402
from bench_cache import CACHE  # noqa: E402

PASSPHRASE = "benchmark passphrase"
CACHE_FORMAT = 1
TEAM = ["A. Mihai", "B. Ivanova", "C. Stoica", "D. Petrov", "E. Lakatos"]
GOAL_REPORT_S = 3.0
GOAL_DASHBOARD_S = 1.0


def cached_store(entries: int, rebuild: bool) -> Path:
    folder = CACHE / f"merged-{entries}"
    store = folder / "journal.db"
    wanted = {"entries": entries, "seed": 6, "format": CACHE_FORMAT}
    if bench_cache.reusable(folder, wanted, rebuild):
        return store
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
    bench_cache.mark_made(folder, wanted)
    print(f"  built in {time.perf_counter() - started:.1f} s", flush=True)
    return store


def timed(fn) -> tuple[float, object]:
    started = time.perf_counter()
    value = fn()
    return time.perf_counter() - started, value


def median(samples: list[float]) -> float:
    return statistics.median(samples)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--entries", type=int, default=500_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--rebuild", action="store_true")
    args = parser.parse_args(argv)
    store = cached_store(args.entries, args.rebuild)
    migration_s = bench_cache.migrate(store, PASSPHRASE)
    folder = Path(tempfile.mkdtemp(prefix="mediatorlog-report-bench-"))
    os.environ["MEDIATORLOG_DATA_DIR"] = str(folder / "data")
    try:
        copy = bench_cache.working_copy(store, folder / "store")
        from app.reports.build import build_report
        from app.reports.periods import MONTH, SCHOOL_YEAR, period_of
        from app.reports.queries import ReportFilter, load_facts
        from app.reports.writers import render
        from app.services.reports import dashboard_facts
        from app.services.stores import open_store

        journal = open_store(copy, PASSPHRASE)
        with journal.engine.connect() as conn:
            last_day = conn.exec_driver_sql("SELECT max(day) FROM entries").scalar()
        # the last complete school year of the data (the demo spans the 365 days before it was made)
        school_year = period_of(SCHOOL_YEAR, dt.date.fromisoformat(last_day) - dt.timedelta(days=365))
        month = period_of(MONTH, dt.date.fromisoformat(last_day))
        baseline_sql = ("SELECT type, count(*) FROM entries NOT INDEXED WHERE deleted_at IS NULL "
                        "AND day BETWEEN ? AND ? GROUP BY type")

        def baseline(period):
            with journal.engine.connect() as conn:
                return conn.exec_driver_sql(baseline_sql, (period.first.isoformat(), period.last.isoformat())).fetchall()

        rows_in_year = sum(n for _t, n in baseline(school_year))
        results: dict[str, list[float]] = {}

        def sample(name, fn):
            seconds, value = timed(fn)
            results.setdefault(name, []).append(seconds)
            return value

        baseline(school_year)  # warm the OS file cache once
        for _round in range(args.rounds):
            sample("baseline GROUP BY, school year", lambda: baseline(school_year))
            report = sample("report model, school year", lambda: build_report(
                load_facts(journal.engine, ReportFilter(school_year)), journal.catalogs))
            for fmt in ("xlsx", "csv", "pdf"):
                sample(f"  {fmt} file from the model", lambda: render(report, fmt))
            sample("dashboard refresh, school year", lambda: dashboard_facts(journal, ReportFilter(school_year)))
            sample("baseline GROUP BY, month", lambda: baseline(month))
            sample("dashboard refresh, month", lambda: dashboard_facts(journal, ReportFilter(month)))
        journal.close()
    finally:
        shutil.rmtree(folder, ignore_errors=True)

    print(f"\n{args.entries:,} entries in the store, {rows_in_year:,} live ones in school year "
          f"{school_year.label()}; {args.rounds} rounds; {platform.python_version()}, {os.cpu_count()} CPUs\n")
    if migration_s is not None:
        print(f"migration of the cached store to the current schema (one-time, backup included): {migration_s:.1f} s\n")
    print("| measurement | median s | min s | max s |")
    print("|---|---:|---:|---:|")
    for name, samples in results.items():
        print(f"| {name} | {median(samples):.2f} | {min(samples):.2f} | {max(samples):.2f} |")
    base = median(results["baseline GROUP BY, school year"])
    rep = median(results["report model, school year"])
    dash = median(results["dashboard refresh, school year"])
    print(f"\nreport / baseline: {rep / base:.1f}x; report goal {GOAL_REPORT_S} s: "
          f"{'met' if rep <= GOAL_REPORT_S else 'MISSED'}; dashboard goal {GOAL_DASHBOARD_S} s (school year): "
          f"{'met' if dash <= GOAL_DASHBOARD_S else 'MISSED'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
