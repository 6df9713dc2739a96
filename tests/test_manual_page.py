"""The Debian package's manual page follows the command line (packaging/build_deb.py)."""

from __future__ import annotations

import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def test_the_manual_page_lists_every_command_and_exit_status():
    """The manual page listed seven commands of fifteen, no exit status 3, and not the variable
    that passwd and recover read the new passphrase from."""
    sys.path.insert(0, str(REPO / "packaging"))
    import build_deb

    from app.cli import build_parser

    page = build_deb.man_page("0", "2026-11-22")
    sub = next(a for a in build_parser()._actions if a.__class__.__name__ == "_SubParsersAction")
    assert len(sub.choices) >= 15 and all(f".B {name}\n" in page for name in sub.choices)
    assert "3 a sync bundle was\nrefused" in page and ".B MEDIATORLOG_NEW_PASSPHRASE" in page


def test_the_package_version_names_the_commit():
    """Every build was 0.1.0-1: an older package installed over a newer one looked like an
    upgrade, and nothing said which build a workstation ran."""
    import subprocess

    sys.path.insert(0, str(REPO / "packaging"))
    import build_deb

    from app import __version__

    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True,
                            text=True).stdout.strip()
    count = subprocess.run(["git", "rev-list", "--count", "HEAD"], cwd=REPO, capture_output=True,
                           text=True).stdout.strip()
    assert build_deb.upstream_version() == f"{__version__}+git{count}.{commit}"
