"""Fixtures and helpers for the desktop-client tests (tests/test_gui_*.py).

Every window runs offscreen against a real SQLCipher store in the test's own data
folder (the autouse `data_dir` fixture of conftest.py sets MEDIATORLOG_DATA_DIR).
Import with `from gui_fixtures import *` (tests/ is on sys.path under pytest).
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # conftest.py names the screen

import pytest  # noqa: E402
from PySide6.QtCore import QEvent, QObject, QSettings, Qt  # noqa: E402
from PySide6.QtTest import QTest  # noqa: E402
from PySide6.QtWidgets import (  # noqa: E402
    QAbstractButton,
    QApplication,
    QComboBox,
    QLabel,
    QLineEdit,
    QListWidget,
    QPlainTextEdit,
    QTableWidget,
    QWidget,
)

GUI_PASSPHRASE = "correct horse battery"
GUI_FAST_KDF = {"time_cost": 1, "memory_cost_kib": 8192, "parallelism": 1}
UNLOCK_TIMEOUT_MS = 10_000


def make_store(path: Path, *, role: str = "lead", entries=()) -> Path:
    """A new store at `path` (closed again), optionally with some entries saved in it."""
    from app.services.stores import create_store

    journal = create_store(path, GUI_PASSPHRASE, name="Test Mediator", role=role, kdf=GUI_FAST_KDF)
    try:
        for entry in entries:
            journal.save_entry(entry)
    finally:
        journal.close()
    return path


def make_settings(folder: Path) -> QSettings:
    return QSettings(str(Path(folder) / "settings.ini"), QSettings.Format.IniFormat)


@pytest.fixture
def gui_store(data_dir) -> Path:
    """A closed store of a team lead in the test's data folder."""
    return make_store(data_dir / "journal.db")


@pytest.fixture
def gui_settings(data_dir) -> QSettings:
    return make_settings(data_dir)


@pytest.fixture
def open_window(qtbot, data_dir, gui_settings):
    """open_window(store=None, unlock_now=True) -> an unlocked MainWindow, shown offscreen,
    on `store` or on the test's default store (data_dir/journal.db, a team lead's).

    The idle watcher is installed on the application as create_window() does, and
    removed again when the test ends; every window is closed at teardown."""
    from app.ui.main_window import MainWindow
    from app.ui.tasks import TaskRunner

    app = QApplication.instance()
    windows = []

    def _open(store: Path | None = None, *, unlock_now: bool = True):
        if store is None:  # the default store of the test, made on first use
            store = data_dir / "journal.db"
            if not store.exists():
                make_store(store)
        window = MainWindow(store, gui_settings, TaskRunner())
        qtbot.addWidget(window)
        app.installEventFilter(window.idle_watcher)
        windows.append(window)
        window.show()
        window.activateWindow()
        qtbot.waitExposed(window)
        if unlock_now:
            unlock(qtbot, window)
        return window

    yield _open
    for window in windows:
        app.removeEventFilter(window.idle_watcher)
        if window.isVisible():
            window.close()
        window.runner.wait(5000)
        window.runner.pool.shutdown(wait=True)


def unlock(qtbot, window, passphrase: str = GUI_PASSPHRASE) -> None:
    """Type the passphrase on the unlock page and press Enter, like a user."""
    assert window.ui.pages.currentWidget() is window.ui.unlock_page
    field = window.unlock_form.passphrase
    qtbot.waitUntil(field.isEnabled)
    qtbot.keyClicks(field, passphrase)
    qtbot.keyClick(field, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.journal is not None, timeout=UNLOCK_TIMEOUT_MS)
    assert window.ui.pages.currentWidget() is window.ui.work_page


def type_text(widget: QWidget, text: str) -> None:
    """Type `text` key by key into `widget`. QTest.keyClicks aborts the process on a
    non-ASCII character (an assertion in Qt's qasciikey.cpp), so those are sent as key
    events carrying their text, as an input method or a keyboard layout would."""
    for ch in text:
        if " " <= ch <= "~":
            QTest.keyClick(widget, ch)
        else:
            QTest.sendKeyEvent(QTest.KeyAction.Click, widget, Qt.Key.Key_unknown, ch, Qt.KeyboardModifier.NoModifier)


def close_window(window) -> None:
    window.close()
    window.runner.wait(5000)
    QApplication.processEvents()


# -- reading what the user sees -----------------------------------------------------------

def model_column(window, column: int) -> list[str]:
    model = window.model
    return [model.data(model.index(row, column)) for row in range(model.rowCount())]


def journal_notes(window) -> list[str]:
    return model_column(window, 4)


def journal_types(window) -> list[str]:
    return model_column(window, 1)


def visible_rows(window) -> int:
    """Rows the journal view itself reports (not just the model)."""
    view = window.ui.journal_view
    return view.model().rowCount() if view.model() is not None else 0


def select_combo(combo: QComboBox, code) -> None:
    index = combo.findData(code)
    assert index >= 0, f"{code!r} is not offered in {combo.objectName()}"
    combo.setCurrentIndex(index)


def check_items(widget: QListWidget, *codes: str) -> None:
    for i in range(widget.count()):
        item = widget.item(i)
        if item.data(Qt.ItemDataRole.UserRole) in codes:
            item.setCheckState(Qt.CheckState.Checked)


def combo_codes(combo: QComboBox) -> list:
    return [combo.itemData(i) for i in range(combo.count())]


def combo_labels(combo: QComboBox) -> list[str]:
    return [combo.itemText(i) for i in range(combo.count())]


def widget_texts(root: QWidget) -> list[str]:
    """Every text a widget tree holds: fields, labels, buttons, combo items, list and table cells."""
    texts = [root.windowTitle()]
    for w in [root, *root.findChildren(QWidget)]:
        if isinstance(w, QLineEdit):
            texts += [w.text(), w.placeholderText()]
        elif isinstance(w, QPlainTextEdit):
            texts.append(w.toPlainText())
        elif isinstance(w, QLabel):
            texts.append(w.text())
        elif isinstance(w, QAbstractButton):
            texts.append(w.text())
        elif isinstance(w, QComboBox):
            texts += combo_labels(w) + [w.currentText()]
        elif isinstance(w, QListWidget):
            texts += [w.item(i).text() for i in range(w.count())]
        elif isinstance(w, QTableWidget):
            texts += [w.item(r, c).text() for r in range(w.rowCount()) for c in range(w.columnCount())
                      if w.item(r, c) is not None]
        texts.append(w.toolTip())
    model = getattr(root, "model", None)
    if model is not None and hasattr(model, "rowCount"):
        for row in range(model.rowCount()):
            for column in range(model.columnCount()):
                value = model.data(model.index(row, column))
                texts.append(str(value or ""))
    return texts


def files_containing(folder: Path, marker: str) -> list[Path]:
    """Files under `folder` whose bytes contain `marker` in UTF-8 or UTF-16."""
    needles = [marker.encode(enc) for enc in ("utf-8", "utf-16-le", "utf-16-be")]
    found = []
    for path in Path(folder).rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            if any(n in data for n in needles):
                found.append(path)
    return found


class MouseSpy(QObject):
    """Counts every mouse event the application delivers (for keyboard-only tests)."""

    MOUSE = {QEvent.Type.MouseButtonPress, QEvent.Type.MouseButtonRelease, QEvent.Type.MouseButtonDblClick,
             QEvent.Type.MouseMove, QEvent.Type.Wheel}

    def __init__(self):
        super().__init__()
        self.events: list[tuple[str, str]] = []

    def eventFilter(self, obj, event) -> bool:  # noqa: N802 (Qt API)
        if event.type() in self.MOUSE:
            self.events.append((type(obj).__name__, str(event.type())))
        return False


def days_ago(days: int, hour: int = 10) -> dt.datetime:
    return dt.datetime.combine(dt.date.today() - dt.timedelta(days=days), dt.time(hour, 0))


__all__ = [name for name in dir() if not name.startswith("_")]
