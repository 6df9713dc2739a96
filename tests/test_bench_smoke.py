"""The benchmarks still run against the current schema: each one, at a tiny size, in its own
process (a schema change once broke bench/sync_bench.py's plain baseline unnoticed)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def run_bench(script: str, *args: str, tmp_path: Path) -> str:
    env = dict(os.environ, MEDIATORLOG_DATA_DIR=str(tmp_path / "data"))
    done = subprocess.run([sys.executable, str(ROOT / "bench" / script), *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


@pytest.mark.timeout(600)
def test_store_bench_runs_at_a_tiny_size(tmp_path):
    out = run_bench("store_bench.py", "--sizes", "300", "--saves", "5", "--reads", "3", "--searches", "3",
                    "--no-sync-diagnostic", "--dir", str(tmp_path / "stores"), tmp_path=tmp_path)
    assert "300: save enc/plain" in out and "search list+count" in out


@pytest.mark.timeout(600)
def test_sync_bench_runs_at_a_tiny_size(tmp_path):
    out = run_bench("sync_bench.py", "--entries", "300", "--changes", "300", tmp_path=tmp_path)
    assert "import / plain upsert" in out and "bytes per record" in out
