"""Desktop client: the team lead's reference-list editor. A new value can be chosen in
the forms at once; a retired value leaves new forms but old entries keep showing it."""

from __future__ import annotations

import datetime as dt

from gui_fixtures import *  # noqa: F403 (fixtures and helpers)
from gui_fixtures import (
    combo_codes,
    combo_labels,
    days_ago,
    journal_notes,
    make_store,
    select_combo,
    type_text,
)
from helpers.sync_team import team_fixtures
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QInputDialog

from app.domain.entries import CONSULTATION, OUTREACH_VISIT, Consultation
from app.i18n import set_language
from app.ui.dialogs import CatalogEditor
from app.ui.widgets import combo_code


def drive_modal(qtbot, expected_type, actions, errors: list) -> None:
    """Run `actions(dialog)` on the next modal dialog of `expected_type` once it is shown."""
    deadline = [100]

    def attempt():
        dialog = QApplication.activeModalWidget()
        if not isinstance(dialog, expected_type):
            deadline[0] -= 1
            if deadline[0] > 0:
                QTimer.singleShot(20, attempt)
            else:
                errors.append(f"no {expected_type.__name__} appeared")
            return
        try:
            actions(dialog)
        except BaseException as exc:  # noqa: BLE001 - reported by the test after exec() returns
            errors.append(exc)
            dialog.reject()

    QTimer.singleShot(0, attempt)


def row_of(table, code: str) -> int:
    return next(r for r in range(table.rowCount()) if table.item(r, 0).text() == code)


def test_added_value_is_selectable_and_retired_value_stays_on_old_entries(qtbot, open_window, data_dir):
    old = Consultation(start=days_ago(30), end=days_ago(30) + dt.timedelta(minutes=30), mediator="Test Mediator",
                       setting="office", district="haspe", notes="Alter Eintrag in Haspe")
    window = open_window(make_store(data_dir / "journal.db", entries=[old]))
    assert window.act_catalogs.isEnabled()

    # a half-typed new consultation in Haspe is open while the lead edits the lists
    qtbot.keyClick(window, Qt.Key.Key_1, Qt.KeyboardModifier.ControlModifier)
    form = window.forms[CONSULTATION]
    select_combo(form.ui.setting, "home_visit")
    select_combo(form.ui.district, "haspe")
    type_text(form.ui.notes, "Neuer Besuch, noch offen")
    form.ui.clients.setText("HA-NEU-1")  # a new person, registered when the entry is saved

    errors: list = []

    def input_label(dialog: QInputDialog) -> None:
        line = dialog.findChild(type(window.ui.search))
        type_text(line, "Kuhlerkamp")
        qtbot.keyClick(line, Qt.Key.Key_Return)

    def edit_lists(editor: CatalogEditor) -> None:
        select_combo(editor.ui.catalog, "districts")
        drive_modal(qtbot, QInputDialog, input_label, errors)
        qtbot.mouseClick(editor.ui.add, Qt.MouseButton.LeftButton)
        table = editor.ui.values
        added = row_of(table, "kuhlerkamp")
        assert table.item(added, 1).text() == "Kuhlerkamp" and table.item(added, 2).text() == "in use"
        table.setCurrentCell(row_of(table, "haspe"), 0)
        qtbot.mouseClick(editor.ui.retire, Qt.MouseButton.LeftButton)
        assert table.item(row_of(table, "haspe"), 2).text() == "retired"
        qtbot.mouseClick(editor.ui.close, Qt.MouseButton.LeftButton)

    drive_modal(qtbot, CatalogEditor, edit_lists, errors)
    window.act_catalogs.trigger()  # Edit > Reference lists… (modal)
    assert errors == []
    assert QApplication.activeModalWidget() is None
    # offscreen has no window manager to give the main window back its activation
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window)

    # the open form kept what was typed, including the now retired value...
    assert form.ui.notes.toPlainText() == "Neuer Besuch, noch offen"
    assert form.ui.district.currentData() == "haspe" and form.ui.district.currentText() == "Haspe"
    assert form.ui.clients.text() == "HA-NEU-1"
    form.ui.clients.clear()  # (registering the person is another test's matter)
    # ...and saving it asks for another district, next to the field
    qtbot.keyClick(form.ui.notes, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    error = form.findChild(type(form.ui.start_label), "district_error")
    assert window.ui.form_message.text() == "Not saved yet: please check the marked fields."
    assert error.isVisible() and error.text() == "“Haspe” is no longer in use. Choose another value."
    assert "Kuhlerkamp" in combo_labels(form.ui.district)
    select_combo(form.ui.district, "kuhlerkamp")
    qtbot.keyClick(form.ui.notes, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    assert window.ui.form_message.text() == ""
    row = journal_notes(window).index("Neuer Besuch, noch offen")
    assert window.model.data(window.model.index(row, 2)) == "Kuhlerkamp"

    # new forms offer the added value and no longer the retired one
    for entry_type, key in ((CONSULTATION, Qt.Key.Key_1), (OUTREACH_VISIT, Qt.Key.Key_3)):
        qtbot.keyClick(window, key, Qt.KeyboardModifier.ControlModifier)
        district = window.forms[entry_type].ui.district
        assert "kuhlerkamp" in combo_codes(district), entry_type
        assert "haspe" not in combo_codes(district) and "Haspe" not in combo_labels(district), entry_type
    assert "district:kuhlerkamp" in combo_codes(window.ui.place_filter)

    # the old entry still shows Haspe, in the journal and in its form, and can still be edited
    row = journal_notes(window).index("Alter Eintrag in Haspe")
    assert window.model.data(window.model.index(row, 2)) == "Haspe"
    window.open_entry(window.model.data(window.model.index(row, 0), Qt.ItemDataRole.UserRole))
    old_form = window.current_form
    assert old_form.ui.district.currentData() == "haspe" and old_form.ui.district.currentText() == "Haspe"
    qtbot.keyClick(old_form.ui.notes, Qt.Key.Key_End, Qt.KeyboardModifier.ControlModifier)
    type_text(old_form.ui.notes, ", ergänzt")
    qtbot.keyClick(old_form.ui.notes, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    assert window.ui.form_message.text() == ""
    assert "Alter Eintrag in Haspe, ergänzt" in journal_notes(window)
    assert window.journal.all_entries()[0].district == "haspe"


def test_only_a_team_lead_can_edit_reference_lists(qtbot, open_window, data_dir):
    window = open_window(make_store(data_dir / "journal.db", role="mediator"))
    assert not window.act_catalogs.isEnabled()
    window.edit_catalogs()  # even if called, nothing opens
    assert QApplication.activeModalWidget() is None


template, team = team_fixtures(1)  # a lead and one workstation, for a list value that travels


def _roundtrip(team):
    team.sync("laptop-1").export_bundles()
    team.sync("lead").import_paths([team.sync_dir])
    team.sync("lead").export_bundles()
    assert not team.sync("laptop-1").import_paths([team.sync_dir]).rejected


def test_a_district_renamed_by_the_lead_shows_the_new_name_in_every_language(team, qtbot, monkeypatch):
    lead, ana = team.journals["lead"], team.journals["laptop-1"]
    set_language("ro")
    editor = CatalogEditor(lead)
    qtbot.addWidget(editor)
    editor.ui.catalog.setCurrentIndex(editor.ui.catalog.findData("districts"))
    assert combo_code(editor.ui.catalog) == "districts"
    monkeypatch.setattr(QInputDialog, "getText", lambda *a, **k: ("Cartierul Vechi", True))
    editor.add_value()
    [row] = [r for r in range(editor.ui.values.rowCount()) if editor.ui.values.item(r, 1).text() == "Cartierul Vechi"]
    code = editor.ui.values.item(row, 0).text()
    _roundtrip(team)
    ana._catalogs = None
    assert ana.catalogs.label("districts", code, "de") == "Cartierul Vechi"  # everyone sees the new value

    editor.ui.values.item(row, 1).setText("Altstadt-Nord")  # the lead renames it (typing in the table)
    assert lead.catalogs.label("districts", code, "ro") == "Altstadt-Nord"
    _roundtrip(team)
    ana._catalogs = None
    assert ana.catalogs.label("districts", code, "ro") == "Altstadt-Nord"
    for language in ("de", "bg", "rom"):
        assert ana.catalogs.label("districts", code, language) == "Altstadt-Nord", language
