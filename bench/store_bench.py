#!/usr/bin/env python3
"""Store benchmark: the encrypted store (SQLCipher) against a plain SQLite file set up the same way.

Run from the repository root:

    .venv/bin/python bench/store_bench.py            # 10,000 and 100,000 entries, about 2-3 minutes
    .venv/bin/python bench/store_bench.py --sizes 2000 --saves 50   # a quick smoke run

What it does, per store size:
  1. builds an encrypted store the way the app does (`create_store`: key slots, Argon2id,
     Alembic migrations, seeded catalogs) and a plain baseline (`make_engine(..., encrypted=False)`,
     same pragmas: WAL, synchronous=FULL, temp_store=MEMORY, 64 MiB cache), both filled by
     `fill_demo` with the same seed, so they hold identical data;
  2. closes and reopens both (as after an unlock) and times the first queries on a cold page cache;
  3. times, alternating encrypted and plain so both see the same background noise:
     - saving one new entry through `Journal.save_entry` (validation + one write transaction); the
       entry is dated in the last three days, as a mediator logs recent work (`RECENT_DAYS`),
     - the same after marking both stores as workstations of a team (`sync.team_id`), so each
       save also logs its field changes for the lead, as on a field laptop (`save_team`),
     - reading the newest 50 entries (`Journal.list_entries`),
     - a filtered full-text search: `JournalFilter(text=WORD, types=("consultation",))`,
       `list_entries(limit=50)` and `count_entries`;
  4. prints a Markdown table, the EXPLAIN QUERY PLAN of the search, and writes all raw numbers
     to bench/results/ (ignored by git).

The stores live in a temporary folder (`--dir` to choose one; it must be on a real disk, not
tmpfs, or fsync costs nothing and the save numbers are meaningless). This file is not part of
the pytest suite (pytest only collects tests/).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import sqlalchemy  # noqa: E402
import sqlcipher3  # noqa: E402
from sqlalchemy import event  # noqa: E402

from app.domain.catalogs import seed_values  # noqa: E402
from app.domain.filters import JournalFilter  # noqa: E402
from app.services.demo import DemoGenerator, fill_demo  # noqa: E402
from app.services.journal import Journal, utc_now  # noqa: E402
from app.services.stores import create_store, unlock_key  # noqa: E402
from app.store.engine import make_engine, writing  # noqa: E402
from app.store.migrate import ensure_current  # noqa: E402
from app.store.repository import put_catalog_value, set_meta  # noqa: E402
from app.store.throttle import UnlockThrottle  # noqa: E402

PASSPHRASE = "benchmark passphrase"
# A mediator logs the work of the last days, not of a random day of the past year: a new entry's
# journal and place index keys go near the newest end of the index, not to random pages.
RECENT_DAYS = (1, 3)
GOALS = {"save_ratio": 1.2, "save_p99_ms": 10.0, "search_ms": 5.0}


# -- statistics ----------------------------------------------------------------------------

def pct(samples: list[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100)."""
    ordered = sorted(samples)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def summary(samples_ms: list[float]) -> dict:
    return {
        "n": len(samples_ms),
        "median": statistics.median(samples_ms),
        "p99": pct(samples_ms, 99),
        "min": min(samples_ms),
        "max": max(samples_ms),
    }


def timed(fn: Callable[[], object]) -> tuple[float, object]:
    start = time.perf_counter_ns()
    result = fn()
    return (time.perf_counter_ns() - start) / 1e6, result


# -- building the two stores --------------------------------------------------------------

def state_throttle(folder: Path, store: Path) -> UnlockThrottle:
    # keep the benchmark's unlock bookkeeping out of the user's real state folder
    return UnlockThrottle(folder / "state", store)


def build_encrypted(folder: Path) -> Path:
    path = folder / "encrypted" / "journal.db"
    create_store(path, PASSPHRASE, name="Bench").close()
    return path


def open_encrypted(folder: Path, path: Path) -> Journal:
    key = unlock_key(path, PASSPHRASE, throttle=state_throttle(folder, path))
    engine = make_engine(path, key)
    ensure_current(engine, path)
    return Journal(path, engine)


def build_plain(folder: Path) -> Path:
    path = folder / "plain" / "journal.db"
    path.parent.mkdir(parents=True)
    engine = make_engine(path, b"", encrypted=False)
    ensure_current(engine, path)
    with writing(engine) as conn:
        set_meta(conn, "device_id", uuid.uuid4().hex)
        set_meta(conn, "user_name", "Bench")
        now = utc_now()
        for value in seed_values():
            put_catalog_value(conn, value, now)
    Journal(path, engine).close()
    return path


def open_plain(path: Path) -> Journal:
    engine = make_engine(path, b"", encrypted=False)
    ensure_current(engine, path)
    return Journal(path, engine)


# -- the measured operations ------------------------------------------------------------

def new_entries(journal: Journal, count: int, seed: int) -> list:
    """Fresh entries like a mediator would type them (no id yet: `save_entry` assigns one)."""
    generator = DemoGenerator(journal, seed=seed)
    client_ids = sorted(journal.client_codes())
    return [replace(generator.entry(client_ids, days_ago=RECENT_DAYS), id="") for _ in range(count)]


def search_filter(word: str) -> JournalFilter:
    return JournalFilter(text=word, types=("consultation",))


def capture_search_sql(journal: Journal, flt: JournalFilter) -> list[tuple[str, tuple, list]]:
    """The SQL the app really sends for the search, with SQLite's query plan for it."""
    seen: list[tuple[str, tuple]] = []

    def grab(conn, cursor, statement, parameters, context, executemany):
        if "entries_fts" in statement:
            seen.append((statement, tuple(parameters)))

    event.listen(journal.engine, "before_cursor_execute", grab)
    try:
        journal.list_entries(flt, limit=50)
        journal.count_entries(flt)
    finally:
        event.remove(journal.engine, "before_cursor_execute", grab)
    plans = []
    raw = journal.engine.raw_connection()
    try:
        for statement, parameters in seen:
            rows = raw.cursor().execute("EXPLAIN QUERY PLAN " + statement, parameters).fetchall()
            plans.append((statement, parameters, [r[3] for r in rows]))
    finally:
        raw.close()
    return plans


def fsync_latency_ms(folder: Path, rounds: int = 100) -> dict:
    """What one fsync of a small append costs on this disk: the floor under every save."""
    target = folder / "fsync-probe"
    samples = []
    with open(target, "wb") as handle:
        for _ in range(rounds):
            handle.write(os.urandom(4096))
            handle.flush()
            start = time.perf_counter_ns()
            os.fsync(handle.fileno())
            samples.append((time.perf_counter_ns() - start) / 1e6)
    target.unlink()
    return summary(samples)


def with_synchronous_normal(journal: Journal, opener: Callable[[], Journal]) -> Journal:
    """Diagnostic only: the same store reopened with synchronous=NORMAL (the app uses FULL)."""
    journal.close()
    other = opener()
    other.engine.dispose()

    @event.listens_for(other.engine, "connect")
    def _normal(dbapi_conn, record):
        dbapi_conn.execute("PRAGMA synchronous = NORMAL")

    return other


def measure_size(size: int, folder: Path, args) -> dict:
    print(f"\n== {size:,} entries ==", flush=True)
    result: dict = {"entries": size}
    enc_path = build_encrypted(folder)
    plain_path = build_plain(folder)

    # fill both with the same seeded demo data
    for name, opener in (("encrypted", lambda: open_encrypted(folder, enc_path)), ("plain", lambda: open_plain(plain_path))):
        journal = opener()
        seconds, _ = timed(lambda: fill_demo(journal, entries=size, seed=1))
        journal.close()
        result.setdefault("fill_s", {})[name] = seconds / 1000
        print(f"  filled {name}: {seconds / 1000:.1f} s", flush=True)
    result["file_mb"] = {
        "encrypted": enc_path.stat().st_size / 1e6,
        "plain": plain_path.stat().st_size / 1e6,
    }

    flt = search_filter(args.word)
    openers = {
        "encrypted": lambda: open_encrypted(folder, enc_path),
        "plain": lambda: open_plain(plain_path),
    }

    # first queries after opening: the page cache is empty (the OS file cache is not)
    journals: dict[str, Journal] = {}
    for name, opener in openers.items():
        open_ms, journal = timed(opener)
        first_list, _ = timed(lambda: journal.list_entries(JournalFilter(), limit=50))
        first_search, _ = timed(lambda: journal.list_entries(flt, limit=50))
        first_count, _ = timed(lambda: journal.count_entries(flt))
        result.setdefault("cold", {})[name] = {
            "open_ms": open_ms, "list50_ms": first_list, "search_list_ms": first_search,
            "search_count_ms": first_count,
        }
        journals[name] = journal
    enc, plain = journals["encrypted"], journals["plain"]
    result["search_matches"] = enc.count_entries(flt)
    assert result["search_matches"] == plain.count_entries(flt), "the two stores should hold the same data"

    def alternate(label: str, rounds: int, op: Callable[[Journal, int], object]) -> None:
        samples: dict[str, list[float]] = {"encrypted": [], "plain": []}
        for warm in range(min(5, rounds)):
            op(enc, -1 - warm)
            op(plain, -1 - warm)
        for i in range(rounds):
            for name, journal in (("encrypted", enc), ("plain", plain)) if i % 2 == 0 else (("plain", plain), ("encrypted", enc)):
                ms, _ = timed(lambda: op(journal, i))
                samples[name].append(ms)
        result[label] = {name: summary(s) for name, s in samples.items()}
        result[label]["ratio_median"] = result[label]["encrypted"]["median"] / result[label]["plain"]["median"]
        print(
            f"  {label:14s} enc median {result[label]['encrypted']['median']:8.2f} ms  p99 {result[label]['encrypted']['p99']:8.2f}"
            f" | plain median {result[label]['plain']['median']:8.2f} ms  p99 {result[label]['plain']['p99']:8.2f}"
            f" | ratio {result[label]['ratio_median']:.2f}",
            flush=True,
        )

    alternate("list50", args.reads, lambda j, i: j.list_entries(JournalFilter(), limit=50))
    alternate("search_list", args.searches, lambda j, i: j.list_entries(flt, limit=50))
    alternate("search_count", args.searches, lambda j, i: j.count_entries(flt))
    alternate("search_total", args.searches, lambda j, i: (j.list_entries(flt, limit=50), j.count_entries(flt)))

    # saves: each journal gets its own identical list of fresh entries (+5 for the warm-up)
    pending = {id(enc): new_entries(enc, args.saves + 5, seed=7), id(plain): new_entries(plain, args.saves + 5, seed=7)}
    alternate("save", args.saves, lambda j, i: j.save_entry(pending[id(j)].pop()))

    # the same on a workstation enrolled in a team, as in the field: each save also logs its field
    # changes for the lead (sync_log), 33 rows for a new consultation
    for journal in (enc, plain):
        with writing(journal.engine) as conn:
            set_meta(conn, "sync.team_id", "bench-team")
    pending = {id(enc): new_entries(enc, args.saves + 5, seed=9), id(plain): new_entries(plain, args.saves + 5, seed=9)}
    alternate("save_team", args.saves, lambda j, i: j.save_entry(pending[id(j)].pop()))

    # diagnostic: the same saves with synchronous=NORMAL, to show what the per-commit fsync costs
    if args.sync_diagnostic:
        enc = with_synchronous_normal(enc, openers["encrypted"])
        plain = with_synchronous_normal(plain, openers["plain"])
        pending = {id(enc): new_entries(enc, args.saves + 5, seed=8), id(plain): new_entries(plain, args.saves + 5, seed=8)}
        alternate("save_sync_normal", args.saves, lambda j, i: j.save_entry(pending[id(j)].pop()))

    result["search_plan"] = capture_search_sql(enc, flt)
    enc.close()
    plain.close()
    return result


# -- environment and report --------------------------------------------------------------

def machine() -> dict:
    info: dict = {"nproc": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()}
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                info["cpu"] = line.split(":", 1)[1].strip()
                break
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                info["ram_gib"] = round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    conn = sqlcipher3.connect(":memory:")
    info["sqlcipher"] = conn.execute("PRAGMA cipher_version").fetchone()[0]
    info["sqlite"] = conn.execute("SELECT sqlite_version()").fetchone()[0]
    conn.close()
    info["sqlalchemy"] = sqlalchemy.__version__
    return info


def filesystem_of(folder: Path) -> str:
    best, fstype = "", "?"
    try:
        for line in Path("/proc/mounts").read_text().splitlines():
            parts = line.split()
            if str(folder.resolve()).startswith(parts[1]) and len(parts[1]) > len(best):
                best, fstype = parts[1], parts[2]
    except OSError:
        pass
    return fstype


def markdown(results: list[dict]) -> str:
    lines = [
        "| entries | operation | encrypted median (ms) | encrypted p99 (ms) | plain median (ms) | plain p99 (ms) | enc/plain (median) |",
        "|---:|---|---:|---:|---:|---:|---:|",
    ]
    names = {
        "save": "save one entry (`save_entry`)",
        "save_team": "save on a team workstation (changes logged for the lead)",
        "save_sync_normal": "save, synchronous=NORMAL (diagnostic)",
        "list50": "newest 50 (`list_entries`)",
        "search_list": "search: `list_entries` limit 50",
        "search_count": "search: `count_entries`",
        "search_total": "search: list + count",
    }
    for r in results:
        for key, label in names.items():
            if key not in r:
                continue
            e, p = r[key]["encrypted"], r[key]["plain"]
            lines.append(
                f"| {r['entries']:,} | {label} | {e['median']:.2f} | {e['p99']:.2f} | {p['median']:.2f} | {p['p99']:.2f} "
                f"| {r[key]['ratio_median']:.2f} |"
            )
    lines += ["", "| entries | first after open | encrypted (ms) | plain (ms) |", "|---:|---|---:|---:|"]
    for r in results:
        for key, label in (("open_ms", "open (unlock + schema check)"), ("list50_ms", "newest 50"),
                           ("search_list_ms", "search list"), ("search_count_ms", "search count")):
            lines.append(f"| {r['entries']:,} | {label} | {r['cold']['encrypted'][key]:.1f} | {r['cold']['plain'][key]:.1f} |")
    return "\n".join(lines)


def verdicts(results: list[dict]) -> list[str]:
    out = []
    for r in results:
        n = f"{r['entries']:,}"
        ratio = r["save"]["ratio_median"]
        out.append(f"{n}: save enc/plain {ratio:.2f} (goal <= {GOALS['save_ratio']}): {'met' if ratio <= GOALS['save_ratio'] else 'MISSED'}")
        p99 = r["save"]["encrypted"]["p99"]
        out.append(f"{n}: save p99 {p99:.2f} ms (goal <= {GOALS['save_p99_ms']} ms): {'met' if p99 <= GOALS['save_p99_ms'] else 'MISSED'}")
        search = r["search_total"]["encrypted"]["median"]
        out.append(f"{n}: search list+count {search:.2f} ms (goal <= {GOALS['search_ms']} ms): {'met' if search <= GOALS['search_ms'] else 'MISSED'}")
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--saves", type=int, default=300, help="saves per store (default 300)")
    parser.add_argument("--reads", type=int, default=100, help="repetitions of the newest-50 read")
    parser.add_argument("--searches", type=int, default=30, help="repetitions of each search measurement")
    parser.add_argument("--word", default="Jobcenter", help="search word (occurs in the demo notes)")
    parser.add_argument("--dir", help="folder for the stores (default: a new temporary folder, removed afterwards)")
    parser.add_argument("--keep", action="store_true", help="keep the stores afterwards")
    parser.add_argument("--no-sync-diagnostic", dest="sync_diagnostic", action="store_false",
                        help="skip the extra save run with synchronous=NORMAL")
    args = parser.parse_args(argv)

    base = Path(args.dir) if args.dir else Path(tempfile.mkdtemp(prefix="mediatorlog-bench-"))
    base.mkdir(parents=True, exist_ok=True)
    started = time.time()
    env = machine()
    env["filesystem"] = filesystem_of(base)
    env["date"] = dt.date.today().isoformat()
    env["load_at_start"] = os.getloadavg()
    print("machine:", json.dumps(env), flush=True)
    if env["load_at_start"][0] > 0.5:
        print(f"WARNING: load average {env['load_at_start'][0]:.2f} before starting: something else is running; "
              "the numbers will be noisy (the ratios less so, since encrypted and plain alternate).")
    if env["filesystem"] == "tmpfs":
        print("WARNING: the stores are on tmpfs; fsync is free there, so save timings are too good.")
    env["fsync_4k"] = fsync_latency_ms(base)
    print(f"fsync of a 4 KiB append: median {env['fsync_4k']['median']:.2f} ms, p99 {env['fsync_4k']['p99']:.2f} ms")

    results = []
    try:
        for size in args.sizes:
            folder = base / f"n{size}"
            if folder.exists():
                shutil.rmtree(folder)
            folder.mkdir()
            results.append(measure_size(size, folder, args))
    finally:
        if not args.keep:
            shutil.rmtree(base, ignore_errors=True)

    print("\n" + markdown(results))
    print()
    for line in verdicts(results):
        print(line)
    last = results[-1]
    print(f"\nsearch matches at {last['entries']:,} entries: {last['search_matches']:,} consultation entries contain '{args.word}'")
    print("query plan of the search (encrypted store):")
    for statement, parameters, plan in last["search_plan"]:
        print("  " + " ".join(statement.split()))
        print(f"    parameters {parameters}")
        for step in plan:
            print(f"    - {step}")
    runtime = time.time() - started
    env["load_at_end"] = os.getloadavg()
    print(f"\nruntime: {runtime:.0f} s; load average at the end {env['load_at_end'][0]:.2f} (this run itself adds about 1)")

    out_dir = ROOT / "bench" / "results"
    out_dir.mkdir(exist_ok=True)
    out_file = out_dir / f"store-bench-{dt.datetime.now().strftime('%Y%m%d-%H%M%S')}.json"
    out_file.write_text(json.dumps({"machine": env, "args": vars(args), "runtime_s": runtime, "results": results}, indent=2))
    print(f"raw numbers: {out_file.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
