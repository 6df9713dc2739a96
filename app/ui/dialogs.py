"""Client editor, reference-list editor (team lead) and preferences."""

from __future__ import annotations

from typing import TYPE_CHECKING

import datetime as dt
from dataclasses import replace
from pathlib import Path

from PySide6.QtCore import QDate, QEvent, Qt
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QInputDialog, QTableWidgetItem, QWidget

from app.domain.catalogs import CATALOGS, CatalogValue
from app.domain.entries import CLIENT_KIND_LABELS, Client
from app.domain.validation import ValidationError
from app.i18n import _, current_language, formats
from app.ui.forms.ui_catalog_editor import Ui_CatalogEditor
from app.ui.forms.ui_client_dialog import Ui_ClientDialog
from app.ui.forms.ui_preferences import Ui_Preferences
from app.ui.widgets import (ask_save_file, catalog_items, checked_codes, combo_code, fill_checklist, fill_combo,
                             fit_dialog_to_screen)

if TYPE_CHECKING:  # the store's modules load after the first window is up
    from app.services.journal import Journal


class ClientDialog(QDialog):
    def __init__(self, journal: Journal, client: Client | None = None, parent=None):
        super().__init__(parent)
        self.journal = journal
        self.ui = Ui_ClientDialog()
        self.ui.setupUi(self)
        self.client = client or journal.new_client()
        self.saved: Client | None = None
        self._keeping_draft = False
        fit_dialog_to_screen(self, self.ui.form)  # first: moving the fields resets their Tab order
        self.ui.consent_date.setEnabled(False)
        self.ui.has_consent.toggled.connect(self.ui.consent_date.setEnabled)
        # The box that enables the consent date comes before it, as it is read; the code the program
        # made is read-only (the mouse can still select and copy it), so typing starts at the kind.
        QWidget.setTabOrder(self.ui.has_consent, self.ui.consent_date)
        QWidget.setTabOrder(self.ui.consent_date, self.ui.consent_scopes)
        if self.ui.code.isReadOnly():
            self.ui.code.setFocusPolicy(Qt.FocusPolicy.ClickFocus)
        self.ui.kind.setFocus()
        self.ui.buttons.accepted.connect(self.save)
        self.ui.buttons.rejected.connect(self.reject)
        self.export_button = None
        if self.client.id:  # an access request: everything about the person, as a file to hand over
            self.export_button = self.ui.buttons.addButton("", QDialogButtonBox.ButtonRole.ActionRole)
            self.export_button.clicked.connect(lambda: self.export_data())
        self.retranslate()
        self.load(self.client)
        self._loaded = self.read()
        draft = journal.load_draft(self.draft_key)
        if draft and "client" in draft:
            self.load(_client_from_draft(self.client, draft["client"]))
            self.ui.error.setText(_("Restored what you had typed before the journal was locked."))

    def _erased(self, exc: Exception) -> None:
        """The client was erased while this window was open: nothing of them stays in it."""
        self.ui.error.setText(str(exc))
        self.ui.buttons.button(QDialogButtonBox.StandardButton.Save).setEnabled(False)
        if self.export_button is not None:
            self.export_button.setEnabled(False)
        self.load(Client(code=""))

    def retranslate(self) -> None:
        if self.export_button is not None:
            self.export_button.setText(_("E&xport all data…"))
            self.export_button.setToolTip(_("For an access request: everything this journal holds about the "
                                            "client, as a file to hand over"))

    def export_data(self, path: str | None = None) -> None:
        """Write everything about the client (JSON, not encrypted) to a file the user chooses."""
        from PySide6.QtWidgets import QMessageBox

        from app.services.access import AccessError, client_data_json
        from app.services.stores import refusal_to_write_over
        from app.store.atomic import atomic_write

        if not path:
            path = ask_save_file(self, _("Export all data"), f"{self.client.code}.json", "JSON (*.json)")
            if not path:
                return
        refusal = refusal_to_write_over(self.journal.path, Path(path))
        if refusal:
            self.ui.error.setText(refusal)
            return

        try:
            atomic_write(Path(path), client_data_json(self.journal, self.client.id))
        except AccessError:  # erased meanwhile (on the command line, or by a sync)
            from app.services.journal import RecordErased

            self._erased(RecordErased())
            return
        except OSError as exc:
            self.ui.error.setText(_("Could not write the file ({reason}).").format(
                reason=exc.strerror or type(exc).__name__))
            return
        QMessageBox.information(self, _("Export all data"), _(
            "Wrote everything about {code} to {path}. The file is not encrypted: hand it over and delete it.")
            .format(code=self.client.code, path=path))

    @property
    def draft_key(self) -> str:
        return f"client:{self.client.id or 'new'}"

    def keep_draft(self) -> None:
        """Called when the journal locks: what was typed is kept (encrypted) and comes back next time."""
        current = self.read()
        self._keeping_draft = True
        if current != self._loaded:
            try:
                self.journal.save_draft(self.draft_key, {"client": _client_to_draft(current)})
            except OSError:
                pass  # a full disk: the journal locks all the same; nothing else may hold the typed text

    def reject(self) -> None:
        if not self._keeping_draft:  # Cancel or Esc: the user gives up what they typed
            self.journal.discard_draft(self.draft_key)
        super().reject()

    def load(self, client: Client) -> None:
        ui, catalogs = self.ui, self.journal.catalogs
        ui.code.setText(client.code)
        fill_combo(ui.kind, [(k, _(v)) for k, v in CLIENT_KIND_LABELS.items()], client.kind)
        ui.name.setText(client.name)
        ui.birth_year.setValue(client.birth_year or 0)
        ui.contact.setText(client.contact)
        fill_checklist(ui.languages, catalog_items(catalogs, "languages", client.languages, empty=None), client.languages)
        ui.has_consent.setChecked(client.consent_date is not None)
        consent = client.consent_date or dt.date.today()
        ui.consent_date.setDate(QDate(consent.year, consent.month, consent.day))
        fill_checklist(ui.consent_scopes, catalog_items(catalogs, "consent_scopes", client.consent_scopes, empty=None),
                       client.consent_scopes)
        ui.notes.setPlainText(client.notes)

    def read(self) -> Client:
        ui = self.ui
        date = ui.consent_date.date()
        return replace(
            self.client,
            kind=combo_code(ui.kind) or "person",
            name=ui.name.text().strip(),
            birth_year=ui.birth_year.value() or None,
            contact=ui.contact.text().strip(),
            languages=checked_codes(ui.languages),
            consent_date=dt.date(date.year(), date.month(), date.day()) if ui.has_consent.isChecked() else None,
            consent_scopes=checked_codes(ui.consent_scopes),
            notes=ui.notes.toPlainText(),
        )

    def save(self) -> None:
        from app.services.journal import RecordErased

        try:
            self.saved = self.journal.save_client(self.read())
        except RecordErased as exc:
            self._erased(exc)
            return
        except ValidationError as exc:
            self.ui.error.setText(" ".join(p.message for p in exc.problems))
            return
        except OSError as exc:
            self.ui.error.setText(_("Could not save ({reason}). What you typed is kept; free some disk space and "
                                    "save again.").format(reason=exc.strerror or type(exc).__name__))
            return
        self.journal.discard_draft(self.draft_key)
        self.accept()

    def changeEvent(self, event) -> None:  # noqa: N802
        if event.type() == QEvent.Type.LanguageChange:
            snapshot = self.read()
            self.ui.retranslateUi(self)
            self.retranslate()
            self.load(snapshot)
        super().changeEvent(event)


_DRAFT_FIELDS = ("kind", "name", "birth_year", "contact", "languages", "consent_scopes", "notes")


def _client_to_draft(client: Client) -> dict:
    fields = {name: getattr(client, name) for name in _DRAFT_FIELDS}
    fields["consent_date"] = client.consent_date.isoformat() if client.consent_date else None
    return fields


def _client_from_draft(client: Client, fields: dict) -> Client:
    known = {name: fields[name] for name in _DRAFT_FIELDS if name in fields}
    consent = fields.get("consent_date")
    return replace(client, **known, consent_date=dt.date.fromisoformat(consent) if consent else None)


class CatalogEditor(QDialog):
    """A team lead adds, renames and retires values of the reference lists."""

    def __init__(self, journal: Journal, parent=None):
        super().__init__(parent)
        self.journal = journal
        self.ui = Ui_CatalogEditor()
        self.ui.setupUi(self)
        fit_dialog_to_screen(self, size=(720, 520))
        self.ui.catalog.currentIndexChanged.connect(self.show_values)
        self.ui.add.clicked.connect(self.add_value)
        self.ui.retire.clicked.connect(self.toggle_retired)
        self.ui.close.clicked.connect(self.accept)
        self.ui.values.itemChanged.connect(self._label_edited)
        self.retranslate()

    def retranslate(self) -> None:
        current = combo_code(self.ui.catalog) or "districts"
        fill_combo(self.ui.catalog, [(name, _(title)) for name, title in CATALOGS.items()], current)
        self.show_values()

    def catalog(self) -> str:
        return combo_code(self.ui.catalog) or "districts"

    def show_values(self) -> None:
        table = self.ui.values
        table.blockSignals(True)
        values = self.journal.catalogs.values(self.catalog(), include_retired=True)
        table.clear()
        table.setColumnCount(3)
        table.setHorizontalHeaderLabels([_("Code"), _("Label (your language)"), _("Status")])
        table.setRowCount(len(values))
        for row, value in enumerate(values):
            code = QTableWidgetItem(value.code)
            code.setFlags(code.flags() & ~Qt.ItemFlag.ItemIsEditable)
            label = QTableWidgetItem(value.display())
            label.setData(Qt.ItemDataRole.UserRole, value.code)
            status = QTableWidgetItem(_("in use") if value.active else _("retired"))
            status.setFlags(status.flags() & ~Qt.ItemFlag.ItemIsEditable)
            for column, item in enumerate((code, label, status)):
                table.setItem(row, column, item)
        table.resizeColumnsToContents()
        table.horizontalHeader().setStretchLastSection(True)
        table.blockSignals(False)

    def _label_edited(self, item: QTableWidgetItem) -> None:
        code = item.data(Qt.ItemDataRole.UserRole)
        value = self.journal.catalogs.get(self.catalog(), code) if code else None
        if value is None or not item.text().strip():
            return
        language, text = current_language(), item.text().strip()
        labels = dict(value.labels)
        labels[language] = text
        # A value added here: languages with no label of their own show its source label, which is
        # what was typed when it was added. If that is the name being changed, they get the new one.
        label = text if value.label == value.display(language) else value.label
        self.journal.put_catalog_value(replace(value, label=label, labels=labels))

    def add_value(self) -> None:
        label, ok = QInputDialog.getText(self, _("Add value"), _("Label of the new value:"))
        if not ok or not label.strip():
            return
        existing = {v.code for v in self.journal.catalogs.values(self.catalog(), include_retired=True)}
        base = "".join(c if c.isalnum() else "_" for c in label.strip().lower())[:24] or "value"
        code, n = base, 2
        while code in existing:
            code, n = f"{base}_{n}", n + 1
        language = current_language()
        labels = {language: label.strip()}
        self.journal.put_catalog_value(
            CatalogValue(catalog=self.catalog(), code=code, label=label.strip(), labels=labels, sort=len(existing))
        )
        self.show_values()

    def toggle_retired(self) -> None:
        row = self.ui.values.currentRow()
        if row < 0:
            return
        code = self.ui.values.item(row, 0).text()
        value = self.journal.catalogs.get(self.catalog(), code)
        if value is not None:
            self.journal.put_catalog_value(replace(value, active=not value.active))
            self.show_values()
            self.ui.values.selectRow(row)

    def changeEvent(self, event) -> None:  # noqa: N802
        if event.type() == QEvent.Type.LanguageChange:
            self.ui.retranslateUi(self)
            self.retranslate()
        super().changeEvent(event)


class PreferencesDialog(QDialog):
    """Idle lock, and (for a Romani interface, which has no locale data of its own) the
    region whose date and number conventions apply; the region is kept in the journal."""

    def __init__(self, idle_minutes: int, parent=None, region: str | None = None):
        super().__init__(parent)
        self.ui = Ui_Preferences()
        self.ui.setupUi(self)
        self.ui.idle_minutes.setValue(idle_minutes)
        self._region = region or formats.current_region()
        self._fill_regions()
        self.ui.buttons.accepted.connect(self.accept)
        self.ui.buttons.rejected.connect(self.reject)

    def _fill_regions(self) -> None:
        fill_combo(self.ui.region, [(code, _(name)) for code, name in formats.REGIONS.items()], self._region)
        romani = current_language() == "rom"
        self.ui.region.setVisible(romani)
        self.ui.region_label.setVisible(romani)

    def idle_minutes(self) -> int:
        return self.ui.idle_minutes.value()

    def region(self) -> str:
        return combo_code(self.ui.region) or self._region

    def changeEvent(self, event) -> None:  # noqa: N802
        if event.type() == QEvent.Type.LanguageChange:
            self._region = self.region()
            minutes = self.ui.idle_minutes.value()
            self.ui.retranslateUi(self)
            self.ui.idle_minutes.setValue(minutes)
            self._fill_regions()
        super().changeEvent(event)


__all__ = ["ClientDialog", "CatalogEditor", "PreferencesDialog", "QDialogButtonBox"]
