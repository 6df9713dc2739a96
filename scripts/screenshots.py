"""Render the real main window, every entry form and every dialog offscreen, on demo data,
into docs/screenshots/: one folder of single shots per language and one contact sheet per
language (sheet-<lang>.png). The README shows main-window.png and links the sheets.

    .venv/bin/python scripts/screenshots.py                   # English only
    .venv/bin/python scripts/screenshots.py --languages       # de, ro, bg, rom and en
    .venv/bin/python scripts/screenshots.py --languages de,rom
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if os.environ.get("QT_QPA_PLATFORM", "offscreen") == "offscreen":  # a 1920 x 1080 desktop, as the tests see
    os.environ["QT_QPA_PLATFORM"] = f"offscreen:configfile={ROOT / 'tests' / 'fixtures' / 'offscreen-screen.json'}"
sys.path.insert(0, str(ROOT))

PASSPHRASE = "screenshot passphrase"
FAST_KDF = {"time_cost": 1, "memory_cost_kib": 8192, "parallelism": 1}
ALL_LANGUAGES = ("de", "ro", "bg", "rom", "en")
NOTES = {  # what a mediator might type, in the language of the interface
    "en": "Prepared the appointment at the Jobcenter, translated the letters.",
    "de": "Termin beim Jobcenter vorbereitet, Unterlagen übersetzt.",
    "ro": "Am pregătit programarea la Jobcenter și am tradus scrisorile.",
    "bg": "Подготвих срещата в Jobcenter и преведох писмата.",
    "rom": "Lashardem o termino ko Jobcenter thaj paruvdem e lila.",
}


def wait_until(app, condition, seconds=20.0) -> None:
    deadline = time.time() + seconds
    while not condition() and time.time() < deadline:
        app.processEvents()


def settle(app) -> None:
    for _ in range(5):
        app.processEvents()


def save_png(image, path: Path) -> None:
    """Save a QImage as a small PNG: 256 colours (screenshots of widgets barely change) with
    Pillow, which reportlab brings along; plain Qt PNG if Pillow is missing."""
    try:
        from PIL import Image
    except ImportError:
        image.save(str(path), "PNG", 0)
        return
    from PySide6.QtCore import QBuffer, QIODevice

    buffer = QBuffer()
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG", 100)  # fast, uncompressed: Pillow compresses
    import io

    picture = Image.open(io.BytesIO(bytes(buffer.data()))).convert("RGB")
    picture.quantize(256, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE).save(
        path, "PNG", optimize=True)


def contact_sheet(shots: list[tuple[str, Path]], title: str, target: Path) -> None:
    """A grid of the shots, each scaled to the same width, with its name underneath."""
    from PySide6.QtCore import QRect, Qt
    from PySide6.QtGui import QColor, QFont, QImage, QPainter

    columns, cell_w, caption_h, pad, title_h = 3, 560, 26, 16, 48
    images = [(name, QImage(str(path))) for name, path in shots]
    scaled = [(name, img.scaledToWidth(cell_w, Qt.TransformationMode.SmoothTransformation)
               if img.width() > cell_w else img) for name, img in images]
    rows = [scaled[i:i + columns] for i in range(0, len(scaled), columns)]
    row_heights = [max(img.height() for _n, img in row) + caption_h for row in rows]
    width = columns * (cell_w + pad) + pad
    height = title_h + sum(h + pad for h in row_heights) + pad
    sheet = QImage(width, height, QImage.Format.Format_RGB32)
    sheet.fill(QColor("#eeeeee"))
    painter = QPainter(sheet)
    font = QFont(painter.font())
    font.setPointSize(14)
    font.setBold(True)
    painter.setFont(font)
    painter.drawText(QRect(pad, 0, width - 2 * pad, title_h), Qt.AlignmentFlag.AlignVCenter, title)
    font.setPointSize(10)
    font.setBold(False)
    painter.setFont(font)
    y = title_h
    for row, row_h in zip(rows, row_heights):
        for column, (name, img) in enumerate(row):
            x = pad + column * (cell_w + pad)
            painter.drawImage(x, y, img)
            painter.setPen(QColor("#999999"))
            painter.drawRect(x, y, img.width() - 1, img.height() - 1)
            painter.setPen(QColor("#222222"))
            painter.drawText(QRect(x, y + img.height(), cell_w, caption_h), Qt.AlignmentFlag.AlignLeft
                             | Qt.AlignmentFlag.AlignVCenter, name)
        y += row_h + pad
    painter.end()
    save_png(sheet, target)


def sync_demo(store: Path, work: Path) -> None:
    """Two enrolled workstations whose bundles wait in the lead's sync folder, one edited an
    entry the lead corrected meanwhile (a conflict): for the shots of the Sync tab."""
    from app.services.demo import fill_demo
    from app.services.provision import create_store_from_profile
    from app.services.stores import open_store
    from app.services.sync import SyncService
    from app.services.sync_client import set_sync_folder

    folder = work / "sync"
    folder.mkdir()
    lead = open_store(store, PASSPHRASE)
    set_sync_folder(lead, folder)
    devices = []
    for number, (name, user) in enumerate((("laptop-mitte", "Ana Mihai"), ("laptop-haspe", "Ivan Petrov"))):
        profile = SyncService(lead).provision(name, work / f"{name}.mlprofile", user=user, sync_dir=str(folder))
        device = create_store_from_profile(work / f"{name}.db", PASSPHRASE, profile.read_bytes(), kdf=FAST_KDF)
        fill_demo(device, entries=16, seed=number)
        SyncService(device).export_bundles(folder)
        devices.append(device)
    SyncService(lead).import_paths([folder])
    SyncService(lead).export_bundles(folder)
    device = devices[0]
    SyncService(device).import_paths([folder])
    entry = device.all_entries()[0]
    lead_copy = lead.get_entry(entry.id)
    lead_copy.notes = "Termin verschoben auf Freitag (Korrektur Teamleitung)."
    lead.save_entry(lead_copy)
    entry.notes = "Mietvertrag mitgebracht, Termin bleibt."
    device.save_entry(entry)
    for device in devices:
        for later in device.all_entries()[1:3]:
            later.follow_up = "Rückruf"
            device.save_entry(later)
        SyncService(device).export_bundles(folder)
        device.close()
    SyncService(lead).provision("laptop-wehringhausen", work / "laptop-wehringhausen.mlprofile", user="Mira Stoica")
    lead.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--languages", nargs="?", const=",".join(ALL_LANGUAGES), default="en",
                        help="comma-separated languages; without a value: all of them")
    parser.add_argument("--out", default=str(ROOT / "docs" / "screenshots"))
    args = parser.parse_args()
    languages = [lang.strip() for lang in args.languages.split(",") if lang.strip()]
    unknown = [lang for lang in languages if lang not in ALL_LANGUAGES]
    if unknown:
        parser.error(f"unknown language: {', '.join(unknown)}")
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
    sync_demo(store, work)

    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication, QInputDialog

    from app.ui.build_forms import build_forms

    build_forms()
    from app.i18n import NATIVE_NAMES
    from app.ui.dialogs import CatalogEditor, ClientDialog, PreferencesDialog
    from app.ui.main_window import MainWindow
    from app.ui.sync_view import EnrollDialog
    from app.ui.translator import apply_language

    app = QApplication.instance() or QApplication([])
    settings = QSettings(str(work / "settings.ini"), QSettings.Format.IniFormat)
    for language in languages:
        apply_language(language)
        folder = out / language
        folder.mkdir(exist_ok=True)
        shots: list[tuple[str, Path]] = []

        def shoot(name: str, widget, folder=folder, shots=shots) -> None:
            settle(app)
            path = folder / f"{name}.png"
            save_png(widget.grab().toImage(), path)
            shots.append((name, path))

        setup = MainWindow(work / "new" / "journal.db", settings)
        setup.show()
        shoot("first-run", setup)
        setup.close()

        window = MainWindow(store, settings)
        window.show()
        shoot("unlock", window)
        window.unlock_form.passphrase.setText(PASSPHRASE)
        window.try_unlock()
        wait_until(app, lambda w=window: w.journal is not None)
        shoot("journal", window)
        for entry_type in ("consultation", "tandem_session", "outreach_visit"):
            window.new_entry(entry_type)
            form = window.current_form
            if entry_type == "tandem_session":
                form.ui.format.setCurrentIndex(form.ui.format.findData("tridem"))
            form.ui.notes.setPlainText(NOTES[language])
            shoot(f"form-{entry_type}", window)
            if entry_type == "consultation" and language == "en":
                save_png(window.grab().toImage(), out / "main-window.png")
        window.close_form()
        for key in window.journal.draft_keys():  # the next language starts from a clean journal view
            window.journal.discard_draft(key)
        for tab, name in ((1, "clients"), (2, "follow-ups")):
            window.ui.tabs.setCurrentIndex(tab)
            shoot(name, window)
        sync = window.sync_ui.view  # the team lead's Sync tab
        window.ui.tabs.setCurrentWidget(sync)
        sync.start_import()  # the first language imports; later ones find nothing new
        wait_until(app, lambda s=sync, w=window: not s.importing and w.sync_ui.jobs == 0)
        for index, name in enumerate(("sync-bundles", "sync-workstations", "sync-conflicts")):
            sync.ui.sections.setCurrentIndex(index)  # the conflict view selects its first conflict
            shoot(name, window)
        enroll = EnrollDialog(sync.folder(), window)
        enroll.show()
        shoot("enroll-dialog", enroll)
        enroll.reject()
        window.ui.tabs.setCurrentWidget(window.ui.clients_tab)  # share a client: the list of workstations
        window.ui.clients_view.selectRow(0)
        window.share_client()
        share = window.findChild(QInputDialog, "share_client_dialog")
        if share is not None:
            shoot("share-with-workstation", share)
            share.reject()
        window.erase_client()  # a data-protection erasure: what goes and what stays, then the code
        erase = window.findChild(QInputDialog, "erase_client_dialog")
        if erase is not None:
            shoot("erase-client", erase)
            erase.reject()
        window.open_dashboard()  # the team lead's dashboard on the merged demo entries
        board = window.dashboard
        wait_until(app, lambda b=board: b.data is not None and not b.runner.busy())
        shoot("dashboard", board)
        for key in ("weeks", "topics", "languages"):
            board.cards[key].toggle.setChecked(True)
        shoot("dashboard-numbers", board)
        board.reject()
        window.ui.tabs.setCurrentIndex(0)
        for name, make in (("client-dialog", lambda: ClientDialog(window.journal, parent=window)),
                           ("reference-lists", lambda: CatalogEditor(window.journal, window)),
                           ("preferences", lambda: PreferencesDialog(5, window))):
            dialog = make()
            dialog.show()
            shoot(name, dialog)
            dialog.reject()
        window.lock()
        window.close()
        settle(app)
        sheet = out / f"sheet-{language}.png"
        contact_sheet(shots, f"Mediator Log – {NATIVE_NAMES[language]} ({language})", sheet)
        print(sheet)


if __name__ == "__main__":
    main()
