"""Start the desktop client."""

from __future__ import annotations

import sys
from pathlib import Path

from app.i18n import LANGUAGES, language_from_environment
from app.paths import default_store_path, user_data_dir


def make_settings():
    """Qt settings as an INI file in our data folder, so it is easy to inspect: it holds
    only the language, idle time and window geometry, never content."""
    from PySide6.QtCore import QSettings

    user_data_dir().mkdir(parents=True, exist_ok=True)
    return QSettings(str(user_data_dir() / "settings.ini"), QSettings.Format.IniFormat)


def create_window(store: Path | None = None):
    from app.ui.build_forms import build_forms

    build_forms()
    from PySide6.QtWidgets import QApplication

    from app.ui.main_window import MainWindow
    from app.ui.translator import apply_language

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("Mediator Log")
    app.setOrganizationName("MediatorLog")
    settings = make_settings()
    language = str(settings.value("language", "") or language_from_environment())
    apply_language(language if language in LANGUAGES else "en")
    window = MainWindow(store or default_store_path(), settings)
    app.installEventFilter(window.idle_watcher)
    return app, window


def run_gui(store: Path | None = None) -> int:
    app, window = create_window(store)
    window.show()
    return app.exec()
