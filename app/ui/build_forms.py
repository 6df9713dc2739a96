"""Compile the Designer files in resources/ui/ into app/ui/forms/ui_<name>.py.

Run by scripts/bootstrap and packaging; at start-up the client compiles anything stale,
so a checkout always runs what its .ui files say. Generated code calls
QCoreApplication.translate, which our gettext bridge (app.ui.translator) answers.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from app.paths import resources_dir

FORMS_DIR = Path(__file__).resolve().parent / "forms"


def _uic() -> str:
    beside = Path(sys.executable).parent / "pyside6-uic"
    if beside.exists():
        return str(beside)
    found = shutil.which("pyside6-uic")
    if not found:
        raise RuntimeError("pyside6-uic not found; install PySide6")
    return found


def build_forms(force: bool = False) -> list[Path]:
    built = []
    ui_dir = resources_dir() / "ui"
    if getattr(sys, "frozen", False) or not ui_dir.is_dir():
        return built  # a frozen bundle ships the compiled forms
    for source in sorted(ui_dir.glob("*.ui")):
        target = FORMS_DIR / f"ui_{source.stem}.py"
        if force or not target.exists() or target.stat().st_mtime < source.stat().st_mtime:
            subprocess.run([_uic(), "--from-imports", str(source), "-o", str(target)], check=True)
            built.append(target)
    return built


if __name__ == "__main__":
    for path in build_forms(force="--force" in sys.argv):
        print(path)
