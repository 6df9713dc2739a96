"""Size of the Linux package and cold start of the INSTALLED application, against the
development tree (.venv) in the same run.

    packaging/build-deb --out /tmp/debs
    sudo .venv/bin/python bench/install_bench.py --deb /tmp/debs/mediatorlog_*.deb [--runs 5]

Installs the .deb with dpkg -i (root), measures, and purges it again if it was not installed
before. "Cold" is the first start after installing with the page cache dropped (when the
kernel lets us: /proc/sys/vm/drop_caches); "warm" is the median of the following starts.
The GUI start is `gui --smoke-test`, which waits SMOKE_TEST_DELAY_MS (300 ms) after showing
the window before it quits: that constant is subtracted.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
INSTALLED = "/usr/bin/mediatorlog"
DEV = str(REPO / ".venv" / "bin" / "mediatorlog")
SMOKE_DELAY_S = 0.3


def drop_caches() -> bool:
    try:
        subprocess.run(["sync"], check=True)
        Path("/proc/sys/vm/drop_caches").write_text("3\n")
        return True
    except OSError:
        return False


def timed(cmd: list[str], env: dict) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def du_mib(path: Path) -> float:
    return sum(p.lstat().st_size for p in path.rglob("*") if not p.is_dir()) / 2**20


def measure(program: str, env: dict, runs: int) -> dict:
    cold_dropped = drop_caches()
    cold_version = timed([program, "--version"], env)
    cold_dropped = drop_caches() and cold_dropped
    cold_gui = timed([program, "gui", "--smoke-test"], env) - SMOKE_DELAY_S
    warm_version = statistics.median(timed([program, "--version"], env) for _ in range(runs))
    warm_gui = statistics.median(timed([program, "gui", "--smoke-test"], env) - SMOKE_DELAY_S for _ in range(runs))
    return {"cold_version": cold_version, "cold_gui": cold_gui, "warm_version": warm_version,
            "warm_gui": warm_gui, "caches_dropped": cold_dropped}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--deb", required=True, type=Path)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    if os.geteuid() != 0:
        print("install_bench: run as root (it installs the .deb)", file=sys.stderr)
        return 1
    was_installed = subprocess.run(["dpkg", "-s", "mediatorlog"], capture_output=True).returncode == 0
    subprocess.run(["dpkg", "-i", str(args.deb)], check=True, stdout=subprocess.DEVNULL)
    try:
        with tempfile.TemporaryDirectory() as home:
            env = {"HOME": home, "PATH": "/usr/bin:/bin", "QT_QPA_PLATFORM": "offscreen", "LANG": "C.UTF-8"}
            installed = measure(INSTALLED, env, args.runs)
        with tempfile.TemporaryDirectory() as home:
            env = {"HOME": home, "PATH": "/usr/bin:/bin", "QT_QPA_PLATFORM": "offscreen", "LANG": "C.UTF-8"}
            dev = measure(DEV, env, args.runs)
        bundle = du_mib(Path("/opt/mediatorlog"))
    finally:
        if not was_installed:
            subprocess.run(["dpkg", "--purge", "mediatorlog"], check=True, stdout=subprocess.DEVNULL)
    load = os.getloadavg()[0]
    print(f"machine load average at the end: {load:.1f}")
    print(f".deb file: {args.deb.stat().st_size / 2**20:.1f} MiB ({args.deb.name})")
    print(f"installed bundle /opt/mediatorlog: {bundle:.1f} MiB")
    print("| start | installed (PyInstaller) | development tree (.venv) |")
    print("|---|---|---|")
    for key, label in (("cold_version", "`--version`, cold"), ("warm_version", f"`--version`, warm (median of {args.runs})"),
                       ("cold_gui", "window shown, cold"), ("warm_gui", f"window shown, warm (median of {args.runs})")):
        print(f"| {label} | {installed[key]:.2f} s | {dev[key]:.2f} s |")
    print(f"page cache dropped before the cold starts: {installed['caches_dropped'] and dev['caches_dropped']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
