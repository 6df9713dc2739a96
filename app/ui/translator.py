"""Qt's translate() answered by gettext, so Designer forms, our code and Qt's own
dialogs read from one catalog, and a language switch retranslates every window."""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, QLibraryInfo, QLocale, QTranslator

from app import i18n


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


_installed: list[QTranslator] = []  # keep references, or Qt would translate with freed objects


def apply_language(language: str) -> None:
    """Switch gettext and Qt to `language`; Qt sends LanguageChange to every widget."""
    i18n.set_language(language)
    app = QCoreApplication.instance()
    for translator in _installed:
        app.removeTranslator(translator)
    _installed.clear()
    locale_name = {"rom": "de"}.get(language, language)  # Romani uses a region's conventions; see docs/i18n.md
    QLocale.setDefault(QLocale(locale_name))
    qt_base = QTranslator()
    if language != "en" and qt_base.load(QLocale(locale_name), "qtbase", "_",
                                          QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)):
        if language != "rom":
            _installed.append(qt_base)
    ours = GettextTranslator()
    _installed.append(ours)  # installed last = asked first
    for translator in _installed:
        app.installTranslator(translator)
