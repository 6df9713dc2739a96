"""Desktop client in every language: no text cut off at the default window size, a language
switch at runtime retranslates every open window without losing anything typed, and dates
follow the interface language (Romani: the region chosen in Preferences)."""

from __future__ import annotations

import datetime as dt

import pytest
from gui_fixtures import *  # noqa: F403 (fixtures and helpers)
from gui_fixtures import check_items, make_store, select_combo, type_text
from PySide6.QtCore import QPoint, QRect, Qt
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractScrollArea,
    QApplication,
    QCheckBox,
    QDateEdit,
    QGroupBox,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QStyle,
    QStyleOptionHeader,
    QTabBar,
    QTableView,
    QWidget,
)

from app.domain.entries import CONSULTATION, ENTRY_TYPE_LABELS, OUTREACH_VISIT, TANDEM_SESSION
from app.i18n import _, current_language, formats, pgettext
from app.ui.dialogs import CatalogEditor, ClientDialog, PreferencesDialog
from app.ui.translator import apply_language

LANGS = ("de", "ro", "bg", "rom", "en")
CONSULTATION_LABEL = ENTRY_TYPE_LABELS[CONSULTATION]


@pytest.fixture(scope="module", autouse=True)
def compiled_catalogs():
    from app.i18n.build import build_catalogs

    build_catalogs()  # the .po files may be newer than the last bootstrap


@pytest.fixture(autouse=True)
def english_afterwards():
    yield
    apply_language("en")
    formats.set_region(None)


# -- finding cut-off text ---------------------------------------------------------------------

def _plain(text: str) -> str:
    return text.replace("&&", "\0").replace("&", "").replace("\0", "&")


def _clipped_by_ancestor(widget: QWidget, right_edge: int) -> str | None:
    """The text ends at `right_edge` (widget coordinates): is that outside the window, or
    outside a scroll area that cannot scroll sideways?"""
    window = widget.window()
    if widget.mapTo(window, QPoint(right_edge, 0)).x() > window.width():
        return "runs past the window edge"
    parent = widget.parentWidget()
    while parent is not None and parent is not window:
        area = parent.parentWidget()
        if isinstance(area, QAbstractScrollArea) and parent is area.viewport() \
                and area.horizontalScrollBarPolicy() == Qt.ScrollBarPolicy.ScrollBarAlwaysOff:
            if widget.mapTo(parent, QPoint(right_edge, 0)).x() > parent.width():
                return "runs past the side of a scroll area that cannot scroll sideways"
        parent = parent.parentWidget()
    return None


def cut_texts(root: QWidget) -> list[str]:
    """Every visible label, button, check box, group box title, tab and column header under
    `root` (and placeholder texts of empty fields) whose text does not fit into the space it has (measured with QFontMetrics)."""
    problems = []

    def report(widget, text, why):
        problems.append(f"{type(widget).__name__} {widget.objectName() or '?'} {text!r}: {why}")

    for w in [root, *root.findChildren(QWidget)]:
        if not w.isVisible() or w.width() <= 0:
            continue
        fm = w.fontMetrics()
        if isinstance(w, QLabel) and w.text() and w.pixmap().isNull():
            text = _plain(w.text()) if w.buddy() is not None else w.text()
            if w.textFormat() == Qt.TextFormat.RichText or (w.textFormat() == Qt.TextFormat.AutoText and "<" in text):
                continue
            if w.wordWrap():
                if w.heightForWidth(w.width()) > w.height() + 1:
                    report(w, text, f"wrapped text needs {w.heightForWidth(w.width())} px height, has {w.height()}")
                needed = min(w.width(), max(fm.horizontalAdvance(word) for word in text.split() or [""]))
            else:
                needed = max(fm.horizontalAdvance(line) for line in text.splitlines())
                available = w.contentsRect().width() - 2 * w.margin() - max(w.indent(), 0)
                if needed > available:
                    report(w, text, f"needs {needed} px, has {available}")
            why = _clipped_by_ancestor(w, w.contentsRect().left() + min(needed, w.width()))
            if why:
                report(w, text, why)
        elif isinstance(w, QAbstractButton) and w.text() and not isinstance(w.parentWidget(), QTabBar):
            text = _plain(w.text())
            needed = fm.horizontalAdvance(text)
            if isinstance(w, (QCheckBox, QRadioButton)):
                available = w.width() - (w.sizeHint().width() - needed)
            elif isinstance(w, QPushButton):
                available = w.width() - 8  # the frame and padding of a push button
            else:
                available = w.width()
            if needed > available:
                report(w, text, f"needs {needed} px, has {available}")
            why = _clipped_by_ancestor(w, min(w.width(), max(needed, 1)))
            if why:
                report(w, text, why)
        elif isinstance(w, QLineEdit) and w.placeholderText() and not w.text():
            needed = fm.horizontalAdvance(w.placeholderText())
            available = w.width() - 12  # frame and text margins of a line edit
            if needed > available:
                report(w, w.placeholderText(), f"placeholder needs {needed} px, has {available}")
        elif isinstance(w, QGroupBox) and w.title():
            needed = fm.horizontalAdvance(_plain(w.title())) + (24 if w.isCheckable() else 8)
            if needed > w.width():
                report(w, w.title(), f"title needs {needed} px, has {w.width()}")
        elif isinstance(w, QTabBar):
            for i in range(w.count()):
                if w.tabRect(i).width() < w.tabSizeHint(i).width() or not w.rect().contains(w.tabRect(i)):
                    report(w, w.tabText(i), "tab is elided or scrolled out of view")
        elif isinstance(w, QTableView):
            header: QHeaderView = w.horizontalHeader()
            model = w.model()
            if model is None or header.isHidden():
                continue
            for i in range(header.count()):
                if header.isSectionHidden(i):
                    continue
                text = str(model.headerData(i, Qt.Orientation.Horizontal) or "")
                # what QHeaderView::paintSection does: elide the text to the style's label rect
                option = QStyleOptionHeader()
                option.initFrom(header)
                option.rect = QRect(0, 0, header.sectionSize(i), header.height())
                option.section, option.text = i, text
                label_rect = header.style().subElementRect(QStyle.SubElement.SE_HeaderLabel, option, header)
                shown = header.fontMetrics().elidedText(text, Qt.TextElideMode.ElideRight, label_rect.width())
                if text and shown != text:
                    report(w, text, f"column header shown as {shown!r} ({header.sectionSize(i)} px)")
    return problems


def cut_menu_texts(window) -> list[str]:
    problems = []
    bar = window.menuBar()
    for action in bar.actions():
        geometry = bar.actionGeometry(action)
        if geometry.isEmpty() or geometry.right() > bar.width():
            problems.append(f"menu {action.text()!r} does not fit into the menu bar")
        menu = action.menu()
        if menu is not None:
            menu.ensurePolished()
            screen = QApplication.primaryScreen().availableGeometry()
            if menu.sizeHint().width() > screen.width():
                problems.append(f"menu {action.text()!r} is wider than the screen")
    return problems


def _settle(qtbot) -> None:
    QApplication.processEvents()
    qtbot.wait(1)


@pytest.mark.parametrize("lang", LANGS)
def test_no_text_is_cut_off(qtbot, open_window, data_dir, gui_settings, lang):
    """Every window, page, tab, entry form and dialog at its default size in `lang`."""
    from app.ui.main_window import MainWindow
    from app.ui.tasks import TaskRunner

    apply_language(lang)
    problems: list[str] = []

    # first-run setup (no journal yet) and unlock pages
    setup = MainWindow(data_dir / "none" / "journal.db", gui_settings, TaskRunner())
    qtbot.addWidget(setup)
    setup.show()
    qtbot.waitExposed(setup)
    _settle(qtbot)
    problems += [f"setup: {p}" for p in cut_texts(setup) + cut_menu_texts(setup)]
    setup.close()

    window = open_window(unlock_now=False)
    _settle(qtbot)
    problems += [f"unlock: {p}" for p in cut_texts(window)]
    from gui_fixtures import unlock

    unlock(qtbot, window)
    assert window.size().width() == 1280 and window.size().height() == 800
    for tab in range(window.ui.tabs.count()):
        window.ui.tabs.setCurrentIndex(tab)
        _settle(qtbot)
        problems += [f"tab {tab}: {p}" for p in cut_texts(window)]
    window.ui.tabs.setCurrentIndex(0)
    for entry_type in (CONSULTATION, TANDEM_SESSION, OUTREACH_VISIT):
        window.new_entry(entry_type)
        form = window.current_form
        if entry_type == TANDEM_SESSION:
            select_combo(form.ui.format, "tridem")  # the social worker field shows its label in full
        _settle(qtbot)
        problems += [f"{entry_type} form: {p}" for p in cut_texts(window)]
    problems += [f"menus: {p}" for p in cut_menu_texts(window)]

    for make in (lambda: ClientDialog(window.journal, parent=window), lambda: CatalogEditor(window.journal, window),
                 lambda: PreferencesDialog(5, window)):
        dialog = make()
        dialog.show()
        qtbot.waitExposed(dialog)
        _settle(qtbot)
        problems += [f"{type(dialog).__name__}: {p}" for p in cut_texts(dialog)]
        dialog.reject()
    assert not problems, f"{lang}: text cut off:\n" + "\n".join(problems)


# -- the team lead's screens: Sync tab, conflicts, enrolling, sharing, dashboard ----------------

@pytest.fixture(scope="module")
def lead_team(tmp_path_factory):
    """A team lead's journal (closed) with demo entries, one enrolled workstation, a conflict
    waiting for review and a shareable client; made once, copied per test."""
    from helpers.sync_team import TeamTemplate, make_team, open_team

    from app.domain.entries import Client
    from app.services.demo import fill_demo

    root = tmp_path_factory.mktemp("lead-team")
    template = make_team(root / "template", 1)
    team = open_team(template, root / "base")
    try:
        lead, device = team.journals["lead"], team.journals["laptop-1"]
        client = device.save_client(Client(code="HA-FAM-07", name="Familie P."))
        entry = device.all_entries()[0] if device.all_entries() else None
        if entry is None:
            from helpers.factories import consultation

            entry = device.save_entry(consultation(notes="Erstgespräch", client_ids=[client.id]))
        team.sync("laptop-1").export_bundles()
        team.sync("lead").import_paths([team.sync_dir])
        mine = lead.get_entry(entry.id)
        mine.notes = "Termin verschoben (Teamleitung)"
        lead.save_entry(mine)
        theirs = device.get_entry(entry.id)
        theirs.notes = "Mietvertrag mitgebracht"
        device.save_entry(theirs)
        team.sync("laptop-1").export_bundles()
        team.sync("lead").import_paths([team.sync_dir])
        assert team.sync("lead").list_conflicts(), "the fixture needs a conflict to show"
        fill_demo(lead, entries=120, seed=3)
        for f in team.sync_dir.iterdir():
            f.unlink()
    finally:
        team.close()
    return TeamTemplate(root / "base", ["lead", "laptop-1"], dict(template.keys))


@pytest.mark.parametrize("lang", LANGS)
def test_team_lead_screens_show_every_text_whole(qtbot, open_window, data_dir, lead_team, lang):
    """The Sync tab (every section, a conflict side by side), the enroll dialog, the register with
    its share button and the share list, and the dashboard (filters, chart titles, the tables
    behind every chart, follow-ups) at their default sizes in `lang`."""
    from helpers.sync_team import open_team
    from PySide6.QtWidgets import QInputDialog

    from app.ui.sync_view import EnrollDialog

    open_team(lead_team, data_dir / "team").close()
    window = open_window(data_dir / "team" / "lead.db")
    apply_language(lang)
    qtbot.waitUntil(lambda: window.sync_ui.jobs == 0, timeout=10_000)
    problems: list[str] = []

    view = window.sync_ui.view
    window.ui.tabs.setCurrentWidget(view)
    for section in range(view.ui.sections.count()):
        view.ui.sections.setCurrentIndex(section)
        _settle(qtbot)
        problems += [f"sync section {section}: {p}" for p in cut_texts(window)]
    assert view.conflicts.ui.conflicts_list.rowCount() == 1 and view.conflicts.selected() is not None
    assert view.conflicts.ui.current_value.toPlainText()  # both sides are on screen

    enroll = EnrollDialog(str(data_dir / "team" / "sync"), window)
    enroll.show()
    qtbot.waitExposed(enroll)
    _settle(qtbot)
    problems += [f"enroll dialog: {p}" for p in cut_texts(enroll)]
    enroll.reject()

    window.ui.tabs.setCurrentWidget(window.ui.clients_tab)
    window.ui.clients_view.selectRow(0)
    _settle(qtbot)
    assert window.ui.share_client.isVisible()
    problems += [f"clients tab: {p}" for p in cut_texts(window)]
    window.share_client()
    share = window.findChild(QInputDialog, "share_client_dialog")
    qtbot.waitExposed(share)
    _settle(qtbot)
    problems += [f"share list: {p}" for p in cut_texts(share)]
    share.reject()

    window.open_dashboard()
    board = window.dashboard
    qtbot.waitUntil(lambda: board.data is not None and not board.runner.busy(), timeout=15_000)
    _settle(qtbot)
    assert board.cards["weeks"].categories, "the dashboard has figures to show"
    assert board.cards["weeks"].legend.isVisible() and _(CONSULTATION_LABEL) in board.cards["weeks"].legend.text()
    problems += [f"dashboard: {p}" for p in cut_texts(board)]
    for key, card in board.cards.items():  # the legends are rich text: the names wrap, never cut
        legend = card.legend
        if legend.isVisible() and legend.heightForWidth(legend.width()) > legend.height() + 1:
            problems.append(f"dashboard: legend of {key} needs {legend.heightForWidth(legend.width())} px height, "
                            f"has {legend.height()}")
    for card in board.cards.values():
        card.toggle.setChecked(True)  # the numbers behind each chart
    _settle(qtbot)
    problems += [f"dashboard tables: {p}" for p in cut_texts(board)]
    board.reject()

    # a mediator's workstation: sync status in the status bar, "Sync now" in the menu
    laptop = open_window(data_dir / "team" / "laptop-1.db")
    qtbot.waitUntil(lambda: laptop.sync_ui.jobs == 0, timeout=10_000)
    _settle(qtbot)
    assert laptop.journal.role == "mediator" and laptop.menu_file.title() == _("&File")
    problems += [f"workstation: {p}" for p in cut_texts(laptop) + cut_menu_texts(laptop)]
    assert not problems, f"{lang}: text cut off:\n" + "\n".join(problems)


@pytest.mark.parametrize("lang", LANGS)
def test_qt_file_dialog_speaks_the_interface_language(qtbot, tmp_path, lang):
    """Qt's own file dialog (report export, sync folder, import and export paths) has no Romanian
    or Romani translation from Qt: its words come from our catalogs, and none is cut off."""
    from PySide6.QtWidgets import QFileDialog

    apply_language(lang)
    dialog = QFileDialog(None, "", str(tmp_path))
    qtbot.addWidget(dialog)
    dialog.setOption(QFileDialog.Option.DontUseNativeDialog, True)
    dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
    dialog.setNameFilters(["PDF (*.pdf)", "CSV (*.csv)"])
    dialog.show()
    qtbot.waitExposed(dialog)
    _settle(qtbot)
    labels = {label.objectName(): label.text() for label in dialog.findChildren(QLabel)}
    assert labels["fileNameLabel"] == pgettext("QFileDialog", "File &name:")
    if lang != "en":
        assert labels["fileNameLabel"] != "File &name:" and labels["lookInLabel"] != "&Look in:"
    problems = cut_texts(dialog)
    dialog.reject()
    assert not problems, f"{lang}: text cut off:\n" + "\n".join(problems)


def test_the_truncation_check_sees_cut_text(qtbot):
    """A label squeezed below its text width and a tab bar too narrow are reported."""
    box = QWidget()
    qtbot.addWidget(box)
    label = QLabel("Schulsozialarbeiterin oder Schulsozialarbeiter", box)
    label.setGeometry(0, 0, 60, 20)
    tabs = QTabBar(box)
    tabs.addTab("Wiedervorlagen (12)")
    tabs.addTab("Klient*innen")
    tabs.setGeometry(0, 30, 60, 30)
    box.resize(300, 80)
    box.show()
    qtbot.waitExposed(box)
    found = "\n".join(cut_texts(box))
    assert "Schulsozialarbeiterin" in found and "tab is elided" in found


# -- switching language while working ----------------------------------------------------------

def test_a_form_not_saved_yet_stays_marked_across_a_language_switch(qtbot, open_window):
    """The red marks and the line under the form were wiped by a switch, so an entry that was not
    saved looked valid. They come back in the new language."""
    window = open_window()
    window.new_entry("tandem_session")
    form = window.current_form
    select_combo(form.ui.format, "tridem")  # a tridem without a school social worker
    form.ui.social_worker.clear()
    window.save_entry()
    marked = [label.text() for label in form._errors.values() if label.isVisible()]
    assert marked and window.ui.form_message.text() == "Not saved yet: please check the marked fields."
    for lang in ("ro", "de"):
        window.language_actions[lang].trigger()
        QApplication.processEvents()
        now = [label.text() for label in form._errors.values() if label.isVisible()]
        assert now and now != marked, f"{lang}: the marks are gone or not translated"
        assert window.ui.form_message.text() == _("Not saved yet: please check the marked fields.")
        assert window.ui.form_message.text() != "Not saved yet: please check the marked fields."
    window.language_actions["en"].trigger()
    QApplication.processEvents()
    assert [label.text() for label in form._errors.values() if label.isVisible()] == marked


def test_language_switch_keeps_everything_typed(qtbot, open_window):
    window = open_window()
    qtbot.keyClick(window, Qt.Key.Key_1, Qt.KeyboardModifier.ControlModifier)
    form = window.forms[CONSULTATION]
    select_combo(form.ui.setting, "home_visit")
    select_combo(form.ui.district, "haspe")
    check_items(form.ui.topics, "housing", "school")
    note = "Întâlnire la școală – ще дойде утре, Straße ß"
    type_text(form.ui.notes, note)
    type_text(form.ui.follow_up, "Termin für Ämter über­prüfen")
    follow_up = form.ui.follow_up.text()
    start = form.ui.start.dateTime()

    # dialogs that are open at the same time (not modal here, so the test can reach the menu)
    client = ClientDialog(window.journal, parent=window)
    client.show()
    type_text(client.ui.name, "Ana Ștefănescu")
    select_combo(client.ui.kind, "household")
    prefs = PreferencesDialog(17, window)
    prefs.show()

    for lang in ("de", "ro", "bg", "rom", "en"):
        window.language_actions[lang].trigger()
        QApplication.processEvents()
        assert current_language() == lang
        expected_file = _("&File")
        assert window.menu_file.title() == expected_file
        assert window.menu_edit.title() == pgettext("menu", "&Edit")
        assert window.act_new_consultation.text() == _("New &consultation")
        assert window.ui.tabs.tabText(0) == _("&Journal")
        assert window.ui.form_title.text() == _("New: {type}").format(type=_("Consultation"))
        assert form.ui.notes_label.text() == _("&Note")
        if lang != "en":
            assert expected_file != "&File", f"{lang}: the menu was not translated"
        # nothing typed or chosen is lost
        assert form.ui.notes.toPlainText() == note
        assert form.ui.follow_up.text() == follow_up
        assert form.ui.start.dateTime() == start
        assert form.ui.setting.currentData() == "home_visit"
        assert form.ui.district.currentData() == "haspe"
        assert form.ui.setting.currentText() == window.journal.catalogs.label("settings", "home_visit")
        checked = [form.ui.topics.item(i).data(Qt.ItemDataRole.UserRole) for i in range(form.ui.topics.count())
                   if form.ui.topics.item(i).checkState() == Qt.CheckState.Checked]
        assert checked == ["housing", "school"]
        assert window.language_actions[lang].isChecked()
        # the open dialogs too
        assert client.windowTitle() == _("Client")
        assert client.ui.name.text() == "Ana Ștefănescu"
        assert client.ui.kind.currentData() == "household"
        assert client.ui.kind.currentText() == _("Household")
        assert prefs.windowTitle() == _("Preferences")
        assert prefs.idle_minutes() == 17
        assert prefs.ui.region.isVisible() == (lang == "rom")
    assert window.settings.value("language") == "en"
    client.reject()
    prefs.reject()


# -- dates and numbers -------------------------------------------------------------------------

@pytest.mark.parametrize(("lang", "region", "date", "number"), [
    ("en", None, "31/03/2026", "1,234.5"),
    ("de", None, "31.03.2026", "1.234,5"),
    ("ro", None, "31.03.2026", "1.234,5"),
    ("bg", None, "31.03.2026\u202fг.", "1\xa0234,5"),
    ("rom", "RO", "31.03.2026", "1.234,5"),
    ("rom", "BG", "31.03.2026", "1\xa0234,5"),  # Bulgarian conventions without the word "г."
    ("rom", "DE", "31.03.2026", "1.234,5"),
])
def test_dates_and_numbers_follow_the_language_and_region(lang, region, date, number):
    from app.i18n import set_language

    set_language(lang)
    formats.set_region(region)
    assert formats.format_date(dt.date(2026, 3, 31)) == date
    assert formats.format_number(1234.5) == number
    assert formats.format_time(dt.datetime(2026, 3, 31, 14, 30)) == "14:30"


def test_romani_region_preference_is_kept_in_the_journal_and_reformats_dates(qtbot, open_window, monkeypatch):
    from app.ui import main_window as main_window_module

    window = open_window()
    window.language_actions["rom"].trigger()
    window.new_entry(CONSULTATION)
    QApplication.processEvents()
    due = window.current_form.ui.follow_up_due
    assert isinstance(due, QDateEdit)
    assert due.displayFormat() == "dd.MM.yyyy"  # Romania by default

    class ChooseBulgaria(PreferencesDialog):
        def exec(self):
            assert self.ui.region.isVisible() or not self.isVisible()
            select_combo(self.ui.region, "BG")
            return 1

    monkeypatch.setattr(main_window_module, "PreferencesDialog", ChooseBulgaria)
    window.edit_preferences()
    QApplication.processEvents()
    assert window.journal.get_setting("region") == "BG"
    assert due.displayFormat() == "d.MM.yyyy"
    assert formats.format_date(dt.date(2026, 3, 7)) == "7.03.2026"
    # the calendar of a date picker names months in Romani, not in the region's language
    calendar = due.calendarWidget()
    from PySide6.QtWidgets import QToolButton

    month_button = calendar.findChild(QToolButton, "qt_calendar_monthbutton")
    assert month_button.text() in formats.ROMANI_MONTHS
    assert "region" not in open(window.settings.fileName(), encoding="utf-8").read()


def test_bundled_font_covers_every_language(qtbot):
    """The fonts shipped in resources/fonts (and in the installed bundle) are registered with Qt
    and have every letter the five languages use, so no screen depends on the system's fonts."""
    from PySide6.QtGui import QFont, QFontMetrics

    from app.ui.main import register_bundled_fonts

    assert "DejaVu Sans" in register_bundled_fonts()
    metrics = QFontMetrics(QFont("DejaVu Sans"))
    for text in ("ȘșȚțĂăÂâÎî", "БългарскиЖжЩщЪъЮюЯя", "ÄäÖöÜüß", "Romani čhib: šukar, žuvli"):
        assert all(metrics.inFontUcs4(ord(ch)) for ch in text if not ch.isspace() and ch not in ":,"), text


def test_journal_columns_fit_the_window_with_long_topic_lists(qtbot, open_window, data_dir):
    """Demo-like entries name up to three long topics. The topics column stops at a cap, the note
    takes the width that is left, and the follow-up column at the right edge stays whole and on
    screen at the default 1,280 px, in every language, also after switching language while open."""
    from helpers.factories import consultation

    topics = ["residence", "language_course", "health_insurance", "documents", "neighbourhood"]
    make_store(data_dir / "journal.db", entries=[
        consultation(topics=topics, follow_up="Termin beim Jobcenter", follow_up_due=dt.date(2025, 3, 20),
                     follow_up_done=True),
    ])
    window = open_window()
    view = window.ui.journal_view
    header = view.horizontalHeader()
    last = window.model.columnCount() - 1
    for lang in LANGS:
        window.switch_language(lang)
        _settle(qtbot)
        problems = [p for p in cut_texts(window) if "column header" in p]
        assert not problems, f"{lang}: {problems}"
        assert header.sectionViewportPosition(last) + header.sectionSize(last) <= view.viewport().width(), lang
        assert header.sectionSize(last) >= view.sizeHintForColumn(last), f"{lang}: the follow-up date is cut"
        assert header.sectionSize(3) <= 300, f"{lang}: the topics column is capped"


def test_with_an_entry_form_open_the_note_stays_readable(qtbot, open_window, data_dir):
    """An entry form beside the journal takes two fifths of the 1,280 px window. The topics narrow
    and, if that is not enough, the follow-up and mediator columns give way (the form shows them for
    its entry) rather than squeezing the note to a sliver and making the table scroll sideways; all
    come back when the form closes."""
    from helpers.factories import consultation

    from app.ui.journal_model import FOLLOW_UP_COLUMN, MEDIATOR_COLUMN, NOTE_COLUMN, TOPICS_COLUMN

    topics = ["residence", "language_course", "health_insurance", "documents", "neighbourhood"]
    make_store(data_dir / "journal.db", entries=[
        consultation(topics=topics, follow_up="Termin beim Jobcenter", follow_up_due=dt.date(2025, 3, 20)),
    ])
    window = open_window()
    view = window.ui.journal_view
    header = view.horizontalHeader()
    for lang in LANGS:
        window.switch_language(lang)
        window.new_entry(CONSULTATION)
        _settle(qtbot)
        visible = [c for c in range(window.model.columnCount()) if not view.isColumnHidden(c)]
        assert header.sectionSize(NOTE_COLUMN) >= 160, lang
        assert sum(header.sectionSize(c) for c in visible) <= view.viewport().width(), f"{lang}: scrolls sideways"
        assert header.sectionSize(TOPICS_COLUMN) >= 120, f"{lang}: about one topic stays readable"
        window.close_form()
        _settle(qtbot)
        assert not view.isColumnHidden(FOLLOW_UP_COLUMN) and not view.isColumnHidden(MEDIATOR_COLUMN), lang
        assert header.sectionSize(TOPICS_COLUMN) == 300, f"{lang}: the topics are back at their cap"
        last = window.model.columnCount() - 1
        assert header.sectionViewportPosition(last) + header.sectionSize(last) <= view.viewport().width(), lang
