"""Qt's translate() answered by gettext, so Designer forms, our code and Qt's own
dialogs read from one catalog, and a language switch retranslates every window.
Date pickers get the interface language's date conventions (app/i18n/formats.py)."""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, QEvent, QLibraryInfo, QLocale, QObject, QTranslator
from PySide6.QtWidgets import QApplication, QCalendarWidget, QDateEdit, QDateTimeEdit, QMenu, QToolButton

from app import i18n
from app.i18n import formats


class GettextTranslator(QTranslator):
    def translate(self, context, source_text, disambiguation=None, n=-1):  # noqa: N802 (Qt API)
        if not source_text:
            return None
        if n is not None and n >= 0 and "%n" in source_text:
            return i18n.ngettext(source_text, source_text, n)
        translated = i18n.pgettext(context, source_text) if context else source_text
        if translated == source_text:  # Designer forms and tr() strings are extracted without a context
            translated = i18n._(source_text)
        return translated if translated != source_text else None

    def isEmpty(self):  # noqa: N802 (Qt API)
        return False


class DateEditLocalizer(QObject):
    """Gives every date/time picker the interface's date format when it is first shown."""

    def eventFilter(self, obj, event) -> bool:  # noqa: N802 (Qt API)
        if event.type() == QEvent.Type.Polish and isinstance(obj, QDateTimeEdit):
            localize_date_edit(obj)
        return False


def localize_date_edit(edit: QDateTimeEdit) -> None:
    edit.setLocale(QLocale())
    edit.setDisplayFormat(formats.qt_date_format() if isinstance(edit, QDateEdit) else formats.qt_datetime_format())
    if edit.calendarPopup():
        localize_calendar(edit.calendarWidget())


def localize_calendar(calendar: QCalendarWidget) -> None:
    """Qt has no Romani: in a Romani interface the calendar shows Romani month names and
    no weekday header (which Qt could only write in another language)."""
    calendar.setLocale(QLocale())
    romani = i18n.current_language() == "rom"
    calendar.setHorizontalHeaderFormat(QCalendarWidget.HorizontalHeaderFormat.NoHorizontalHeader if romani
                                       else QCalendarWidget.HorizontalHeaderFormat.ShortDayNames)
    button = calendar.findChild(QToolButton, "qt_calendar_monthbutton")
    if button is None:
        return

    def name_months(*_args) -> None:
        menu = button.menu() or calendar.findChild(QMenu)
        for month, action in enumerate(menu.actions() if menu else [], start=1):
            action.setText(formats.month_name(month) if romani else QLocale().standaloneMonthName(month))
        button.setText(formats.month_name(calendar.monthShown()) if romani
                       else QLocale().standaloneMonthName(calendar.monthShown()))

    name_months()
    if not calendar.property("months_named"):
        calendar.setProperty("months_named", True)
        calendar.currentPageChanged.connect(lambda *_a: localize_calendar(calendar))


_installed: list[QTranslator] = []  # keep references, or Qt would translate with freed objects
_localizer: list[DateEditLocalizer] = []


def apply_language(language: str) -> None:
    """Switch gettext and Qt to `language`; Qt sends LanguageChange to every widget."""
    i18n.set_language(language)
    app = QCoreApplication.instance()
    for translator in _installed:
        app.removeTranslator(translator)
    _installed.clear()
    apply_formats()
    qt_base = QTranslator()
    if language not in ("en", "rom") and qt_base.load(QLocale(language), "qtbase", "_",
                                                       QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)):
        _installed.append(qt_base)
    ours = GettextTranslator()
    _installed.append(ours)  # installed last = asked first
    for translator in _installed:
        app.installTranslator(translator)


def apply_formats() -> None:
    """Qt's default locale follows the interface language (for Romani: the chosen region),
    and every open date picker is reformatted."""
    QLocale.setDefault(QLocale(formats.locale_name()))
    app = QCoreApplication.instance()
    if not isinstance(app, QApplication):
        return
    if not _localizer:
        _localizer.append(DateEditLocalizer())
        app.installEventFilter(_localizer[0])
    for widget in app.allWidgets():
        if isinstance(widget, QDateTimeEdit):
            localize_date_edit(widget)


def apply_region(region: str | None) -> None:
    """The region preference (Romani only) from the unlocked journal."""
    before = formats.locale_name()
    formats.set_region(region)
    if formats.locale_name() != before or QLocale().name() != QLocale(before).name():
        apply_formats()  # reformatting every date picker costs 80 ms: only when the conventions change
