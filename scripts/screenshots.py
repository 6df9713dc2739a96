"""Render the real main window and each entry form offscreen, on demo data, into
docs/screenshots/ (the README shows main-window.png).

    .venv/bin/python scripts/screenshots.py [--languages en,de,...]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PASSPHRASE = "screenshot passphrase"
FAST_KDF = {"time_cost": 1, "memory_cost_kib": 8192, "parallelism": 1}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--languages", default="en")
    parser.add_argument("--out", default=str(ROOT / "docs" / "screenshots"))
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="mediatorlog-shots-"))
    os.environ["MEDIATORLOG_DATA_DIR"] = str(work)

    from app.services.demo import fill_demo
    from app.services.stores import create_store

    store = work / "journal.db"
    journal = create_store(store, PASSPHRASE, name="Ana Mihai", role="lead", kdf=FAST_KDF)
    fill_demo(journal, entries=600, seed=7)
    journal.close()

    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication

    from app.ui.build_forms import build_forms

    build_forms()
    from app.ui.main_window import MainWindow
    from app.ui.translator import apply_language

    app = QApplication.instance() or QApplication([])
    settings = QSettings(str(work / "settings.ini"), QSettings.Format.IniFormat)
    for language in args.languages.split(","):
        apply_language(language)
        window = MainWindow(store, settings)
        window.show()
        window.unlock_form.passphrase.setText(PASSPHRASE)
        window.try_unlock()
        deadline = time.time() + 20
        while window.journal is None and time.time() < deadline:
            app.processEvents()
        suffix = "" if language == "en" else f"-{language}"
        for entry_type in ("consultation", "tandem_session", "outreach_visit"):
            window.new_entry(entry_type)
            form = window.current_form
            form.ui.notes.setPlainText("Termin beim Jobcenter vorbereitet, Unterlagen übersetzt.")
            app.processEvents()
            name = "main-window" if entry_type == "consultation" else f"form-{entry_type}"
            window.grab().save(str(out / f"{name}{suffix}.png"))
        window.close_form()
        window.close()
        app.processEvents()
    print(out)


if __name__ == "__main__":
    main()
