#!/usr/bin/env python3
"""Desktop-client benchmark (issue 3): the journal of a 100,000-entry encrypted store in a
real MainWindow, offscreen.

Run from the repository root:

    .venv/bin/python bench/journal_bench.py                  # 100,000 entries
    .venv/bin/python bench/journal_bench.py --entries 5000   # a quick smoke run

The filled store is built once with `create_store` (real Argon2id key slot) and
`fill_demo(seed=1)` and cached in bench/.cache/ (ignored by git), so reruns skip the
fill; `--rebuild` makes it again. Each run works on a copy of the cached store.

What is measured (goals in GOALS):
  * unlock: passphrase typed + Enter until the workspace is shown (Argon2id included; no goal);
  * first page after unlock: the whole `enter_workspace` (filter lists, model.reload, clients,
    follow-ups, entry count) until the view reports rows after processEvents, and the journal
    page alone: from a filter change (back to "everything") until rowCount > 0 after
    processEvents;
  * applying a filter, the same way: entry type, district, and full-text search (the search
    is timed from the end of the 250 ms typing debounce, which is deliberate waiting);
  * process memory: VmRSS (and the peak, VmHWM) from /proc/self/status after loading and
    after all filters;
  * cold start to the unlock window: a fresh `python -c` that imports app.ui.main, creates the
    window and shows it, printing time.perf_counter() after `window.show(); app.processEvents()`;
    timed from just before the process is started (CLOCK_MONOTONIC is shared by processes on
    Linux). Median of 5.

Results: a Markdown table on stdout and raw numbers in bench/results/ (ignored by git).
Not part of the pytest suite.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
import bench_cache  # noqa: E402
from bench_cache import CACHE  # noqa: E402
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

PASSPHRASE = "benchmark passphrase"
GOALS = {"first_page_ms": 100.0, "filter_ms": 100.0, "cold_start_s": 1.0, "rss_mb": 300.0}
CACHE_FORMAT = 2  # bump when the way the cached store is made changes


# -- the cached store ----------------------------------------------------------------------

def cached_store(entries: int, rebuild: bool) -> Path:
    folder = CACHE / f"journal-{entries}"
    store = folder / "journal.db"
    wanted = {"entries": entries, "seed": 1, "format": CACHE_FORMAT}
    if bench_cache.reusable(folder, wanted, rebuild):
        return store
    from app.services.demo import fill_demo
    from app.services.stores import create_store

    print(f"building a store with {entries:,} entries in {folder} (once) ...", flush=True)
    started = time.perf_counter()
    os.environ["MEDIATORLOG_DATA_DIR"] = str(folder / "data")
    journal = create_store(store, PASSPHRASE, name="Bench Lead", role="lead")
    fill_demo(journal, entries, seed=1)
    journal.close()
    bench_cache.mark_made(folder, wanted)
    print(f"  built in {time.perf_counter() - started:.1f} s", flush=True)
    return store


# -- measuring -----------------------------------------------------------------------------

def memory_mb() -> dict[str, float]:
    values = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        key, _sep, rest = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            values[key] = int(rest.split()[0]) / 1024
    return values


def until_rows(app, model, started: float) -> float:
    """Milliseconds from `started` until the view has rows after processing events."""
    app.processEvents()
    while model.rowCount() == 0:
        app.processEvents()
        if time.perf_counter() - started > 30:
            raise RuntimeError("no rows after 30 s")
    return (time.perf_counter() - started) * 1000


def run_gui(store: Path, data_dir: Path, repeats: int) -> dict:
    os.environ["MEDIATORLOG_DATA_DIR"] = str(data_dir)
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication

    from app.domain.filters import JournalFilter
    from app.ui.main_window import MainWindow
    from app.ui.translator import apply_language

    app = QApplication.instance() or QApplication([sys.argv[0]])
    apply_language("en")
    settings = QSettings(str(data_dir / "settings.ini"), QSettings.Format.IniFormat)
    window = MainWindow(store, settings)
    window.show()
    app.processEvents()
    result: dict = {"memory_before_unlock": memory_mb()}

    # unlock, and time the workspace part of it (what runs after the key is known)
    workspace = {}
    enter = window.enter_workspace

    def timed_enter(journal):
        workspace["start"] = time.perf_counter()
        enter(journal)
        workspace["done"] = time.perf_counter()

    window.enter_workspace = timed_enter  # try_unlock hands self.enter_workspace to the worker
    window.unlock_form.passphrase.setText(PASSPHRASE)
    started = time.perf_counter()
    window.try_unlock()
    while window.journal is None:
        app.processEvents()
        time.sleep(0.001)
        if time.perf_counter() - started > 60:
            raise RuntimeError("unlock took more than 60 s")
    first_page = until_rows(app, window.model, workspace["start"])
    result["unlock_total_ms"] = (time.perf_counter() - started) * 1000
    result["enter_workspace_ms"] = (workspace["done"] - workspace["start"]) * 1000
    result["first_page_after_unlock_ms"] = first_page
    result["entries"] = window.journal.count_entries()
    result["memory_after_loading"] = memory_mb()

    ui, model = window.ui, window.model

    def reset() -> None:
        window.clear_filters()
        app.processEvents()

    def first_page_alone() -> float:
        window.model.set_filter(JournalFilter(types=("nothing",)))  # an empty page first
        app.processEvents()
        started = time.perf_counter()
        window.model.set_filter(JournalFilter())
        return until_rows(app, model, started)

    def combo(widget, code):
        def run() -> float:
            reset()
            index = widget.findData(code)
            started = time.perf_counter()
            widget.setCurrentIndex(index)  # currentIndexChanged -> apply_filter
            return until_rows(app, model, started)
        return run

    def search(text):
        def run() -> float:
            reset()
            ui.search.setText(text)  # starts the 250 ms debounce timer ...
            window.filter_timer.stop()  # ... whose end we stand in for
            started = time.perf_counter()
            window.apply_filter()
            return until_rows(app, model, started)
        return run

    def scroll_to_end_of_first_pages() -> float:
        reset()
        started = time.perf_counter()
        for _ in range(5):  # five pages of 200 rows, as scrolling down fetches them
            ui.journal_view.scrollToBottom()
            app.processEvents()
        return (time.perf_counter() - started) * 1000

    cases = {
        "first page (reload, no filter)": first_page_alone,
        "filter: type = tandem session": combo(ui.type_filter, "tandem_session"),
        "filter: district = Mitte": combo(ui.place_filter, "district:mitte"),
        "filter: school = Primary school 1": combo(ui.place_filter, "school:gs1"),
        "search: common word (Jobcenter)": search("Jobcenter"),
        "search: two words (Stromsperre Impfpass)": search("Stromsperre Impfpass"),
        "scroll: 5 more pages (1,000 rows)": scroll_to_end_of_first_pages,
    }
    timings = {}
    for name, case in cases.items():
        samples = [case() for _ in range(repeats)]
        timings[name] = {"first": samples[0], "median": statistics.median(samples), "max": max(samples),
                         "samples": samples, "rows": model.rowCount(),
                         "found": window.journal.count_entries(model.filter)}
    result["timings"] = timings
    result["memory_after_filters"] = memory_mb()
    window.close()
    return result


COLD_CHILD = r"""
import sys, time
sys.path.insert(0, {root!r})
from app.ui.main import create_window
app, window = create_window({store!r})
window.show(); app.processEvents()
print(time.perf_counter(), window.ui.pages.currentIndex(), flush=True)
"""


def cold_start(store: Path, data_dir: Path, runs: int) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MEDIATORLOG_")}
    env.update(MEDIATORLOG_DATA_DIR=str(data_dir), QT_QPA_PLATFORM="offscreen", LANG="C.UTF-8")
    code = COLD_CHILD.format(root=str(ROOT), store=str(store))
    samples, bare = [], []
    for _ in range(runs):
        started = time.perf_counter()
        out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
        shown_at, page = out.stdout.split()
        assert page == "1", "the child did not show the unlock page"
        samples.append(float(shown_at) - started)
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", "pass"], env=env, check=True)
        bare.append(time.perf_counter() - started)
    return {"samples_s": samples, "median_s": statistics.median(samples),
            "python_alone_median_s": statistics.median(bare)}


def machine() -> dict:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    mem_kb = next(int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines()
                  if line.startswith("MemTotal"))
    import PySide6
    import sqlcipher3

    return {"nproc": os.cpu_count(), "cpu": cpu, "ram_gib": round(mem_kb / 1024 / 1024, 1),
            "python": platform.python_version(), "pyside6": PySide6.__version__,
            "sqlcipher": sqlcipher3.sqlite_version, "platform": platform.platform()}


def verdict(value: float, goal: float) -> str:
    return "yes" if value <= goal else "**no**"


def report(result: dict) -> str:
    t = result["timings"]
    g = GOALS
    lines = [
        f"Store: {result['entries']:,} entries (`fill_demo`, seed 1), encrypted (SQLCipher 4, Argon2id key slot).",
        "",
        "| Measurement | First run | Median | Worst | Goal | Met |",
        "|---|---:|---:|---:|---:|:-:|",
    ]
    fp = result["first_page_after_unlock_ms"]
    lines.append(f"| First page after unlock (whole `enter_workspace`) | {fp:.0f} ms | – | – | "
                 f"{g['first_page_ms']:.0f} ms | {verdict(fp, g['first_page_ms'])} |")
    for name, s in t.items():
        goal = None if name.startswith("scroll") else g["first_page_ms"] if name.startswith("first") else g["filter_ms"]
        met = f"{goal:.0f} ms | {verdict(s['max'], goal)}" if goal else "– | –"
        lines.append(f"| {name} ({s['found']:,} found) | {s['first']:.1f} ms | {s['median']:.1f} ms | "
                     f"{s['max']:.1f} ms | {met} |")
    cold = result["cold_start"]
    lines.append(f"| Cold start to the unlock window (5 runs: "
                 f"{', '.join(f'{x:.2f}' for x in cold['samples_s'])} s) | {cold['samples_s'][0]:.2f} s | "
                 f"{cold['median_s']:.2f} s | {max(cold['samples_s']):.2f} s | {g['cold_start_s']:.0f} s | "
                 f"{verdict(cold['median_s'], g['cold_start_s'])} |")
    for label, key in (("after loading", "memory_after_loading"), ("after all filters", "memory_after_filters")):
        mem = result[key]
        lines.append(f"| Memory (VmRSS) {label}; peak VmHWM {mem['VmHWM']:.0f} MB | – | {mem['VmRSS']:.0f} MB | – | "
                     f"{g['rss_mb']:.0f} MB | {verdict(mem['VmRSS'], g['rss_mb'])} |")
    lines += [
        "",
        f"Unlock (typing Enter to workspace shown, Argon2id t=3, 64 MiB included): "
        f"{result['unlock_total_ms']:.0f} ms; `enter_workspace` itself {result['enter_workspace_ms']:.0f} ms. "
        f"Memory before unlocking: {result['memory_before_unlock']['VmRSS']:.0f} MB. "
        f"`python -c pass` alone: {cold['python_alone_median_s'] * 1000:.0f} ms.",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=7, help="samples per filter measurement")
    parser.add_argument("--cold-runs", type=int, default=5)
    parser.add_argument("--rebuild", action="store_true", help="make the cached store again")
    args = parser.parse_args()

    cached = cached_store(args.entries, args.rebuild)
    bench_cache.migrate(cached, PASSPHRASE)  # so that the measured unlock includes no migration
    with tempfile.TemporaryDirectory(prefix="journal-bench-") as tmp:
        tmp = Path(tmp)
        store = bench_cache.working_copy(cached, tmp / "store")
        (tmp / "data").mkdir()
        result = run_gui(store, tmp / "data", args.repeats)
        result["cold_start"] = cold_start(store, tmp / "data", args.cold_runs)
    result["machine"] = machine()
    result["date"] = dt.datetime.now().isoformat(timespec="seconds")
    text = report(result)
    m = result["machine"]
    print(f"\nMachine: {m['nproc']} CPUs ({m['cpu']}), {m['ram_gib']} GiB RAM, Python {m['python']}, "
          f"PySide6 {m['pyside6']}, SQLite {m['sqlcipher']}\n")
    print(text)
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"journal-{args.entries}-{dt.datetime.now():%Y%m%d-%H%M%S}.json"
    out.write_text(json.dumps(result, indent=2))
    print(f"\nraw numbers: {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
