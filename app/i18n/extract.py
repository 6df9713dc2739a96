"""Extract every translatable string (Python code and Designer forms) into a POT file.

One definition of the extraction, used by `scripts/update-catalogs` and by the catalog
check in the tests (which extracts to a temporary file and fails on any msgid the
catalogs lack).

    python -m app.i18n.extract OUT.pot
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import app

ROOT = Path(__file__).resolve().parents[2]
# `_`, `ngettext`, `pgettext` and `npgettext` are Babel defaults; these are ours.
KEYWORDS = ["N_", "NP_:1c,2", "pgettext:1c,2", "npgettext:1c,2,3"]


def extract_pot(out: Path) -> None:
    pybabel = Path(sys.executable).parent / "pybabel"
    command = [str(pybabel) if pybabel.exists() else "pybabel", "extract", "-F", "babel.cfg", "--no-location",
               "--sort-output", "--project", "Mediator Log", "--version", app.__version__,
               "--copyright-holder", "Mediator Log developers", "--msgid-bugs-address", "",
               "-o", str(out)]
    for keyword in KEYWORDS:
        command += ["-k", keyword]
    subprocess.run([*command, "."], cwd=ROOT, check=True, capture_output=True)


if __name__ == "__main__":
    extract_pot(Path(sys.argv[1]))
