"""Start the desktop client."""

from __future__ import annotations

import sys
from pathlib import Path

from app.i18n import LANGUAGES, language_from_environment
from app.paths import default_store_path, resources_dir, user_data_dir

SMOKE_TEST_DELAY_MS = 300  # long enough for the first paint, short enough for CI


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
    app.setDesktopFileName("org.mediatorlog.MediatorLog")  # matches the installed .desktop file
    app.setWindowIcon(app_icon())
    register_bundled_fonts()
    settings = make_settings()
    language = str(settings.value("language", "") or language_from_environment())
    apply_language(language if language in LANGUAGES else "en")
    window = MainWindow(store or default_store_path(), settings)
    app.installEventFilter(window.idle_watcher)
    return app, window


def register_bundled_fonts() -> list[str]:
    """DejaVu Sans ships with the application (resources/fonts): every screen has Latin with ș ț,
    Cyrillic and Romani letters even on a machine with no suitable system font. Returns the
    families Qt now knows from those files."""
    from PySide6.QtGui import QFontDatabase

    families: list[str] = []
    for font in sorted((resources_dir() / "fonts").glob("*.ttf")):
        font_id = QFontDatabase.addApplicationFont(str(font))
        if font_id >= 0:
            families.extend(QFontDatabase.applicationFontFamilies(font_id))
    return families


def app_icon():
    from PySide6.QtGui import QIcon

    icon = QIcon()
    for png in sorted((resources_dir() / "icons").glob("mediatorlog-*.png")):
        icon.addFile(str(png))
    return icon


def run_gui(store: Path | None = None, *, smoke_test: bool = False, screenshot: Path | None = None) -> int:
    app, window = create_window(store)
    window.show()
    if smoke_test:
        return _smoke_test(app, window, screenshot)
    return app.exec()


def _smoke_test(app, window, screenshot: Path | None) -> int:
    """Show the window, let it paint, then quit on our own: exit 0 if it was shown.

    For installers and CI (`mediatorlog gui --smoke-test`). Prints which page is shown
    (setup or unlock) and whether an installed workstation profile was found, never anything
    about the journal's or the profile's content.
    """
    from PySide6.QtCore import QTimer

    outcome = {"code": 1}

    def finish() -> None:
        shown = window.isVisible() and not window.size().isEmpty()
        saved = window.grab().save(str(screenshot)) if screenshot else True
        page = window.ui.pages.currentWidget().objectName()
        outcome["code"] = 0 if shown and saved else 1
        carried = getattr(window, "carried", None)
        if carried is None:  # only the first-run page looks for it; IT checks an installation here
            from app.ui import carried_profile

            carried = carried_profile.find()
        profile = "found" if carried and carried.profile else ("unusable" if carried and carried.problem else "none")
        print(f"mediatorlog: smoke test {'passed' if outcome['code'] == 0 else 'failed'} "
              f"(page {page}, platform {app.platformName()}, installed profile {profile})")
        window.close()
        app.quit()

    QTimer.singleShot(SMOKE_TEST_DELAY_MS, finish)
    app.exec()
    return outcome["code"]
