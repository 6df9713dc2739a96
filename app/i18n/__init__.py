"""One place for gettext: `_`, `N_`, `ngettext`, and the current interface language.

Strings are looked up at call time, so switching language takes effect immediately
for everything that is rendered again. Module-level strings are marked with `N_`
and translated where they are shown.
"""

from __future__ import annotations

import gettext as _gettext
import os
from collections.abc import Callable
from pathlib import Path

from app.paths import resources_dir

DOMAIN = "mediatorlog"
SOURCE_LANGUAGE = "en"
LANGUAGES = ("de", "ro", "bg", "rom", "en")
# Each language in its own name, for the wizard and the language menu.
NATIVE_NAMES = {
    "de": "Deutsch",
    "ro": "Română",
    "bg": "Български",
    "rom": "Romani",
    "en": "English",
}

_current: _gettext.NullTranslations = _gettext.NullTranslations()
_current_language = SOURCE_LANGUAGE
_listeners: list[Callable[[str], None]] = []


def catalog_dir() -> Path:
    return resources_dir() / "i18n"


def load_translations(language: str) -> _gettext.NullTranslations:
    if language == SOURCE_LANGUAGE:
        return _gettext.NullTranslations()
    try:
        return _gettext.translation(DOMAIN, localedir=str(catalog_dir()), languages=[language])
    except OSError:
        return _gettext.NullTranslations()


def set_language(language: str) -> None:
    global _current, _current_language
    if language not in LANGUAGES:
        raise ValueError(f"unsupported language: {language}")
    _current = load_translations(language)
    _current_language = language
    for listener in list(_listeners):
        listener(language)


def current_language() -> str:
    return _current_language


def on_language_changed(listener: Callable[[str], None]) -> None:
    _listeners.append(listener)


def language_from_environment() -> str:
    for var in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(var, "")
        for part in value.split(":"):
            code = part.split(".")[0].split("_")[0].lower()
            if code in LANGUAGES:
                return code
    return SOURCE_LANGUAGE


def _(message: str) -> str:
    if not message:
        return ""
    return _current.gettext(message)


def N_(message: str) -> str:
    """Mark a string for extraction; translate it later with `_` where it is shown."""
    return message


def NP_(context: str, message: str) -> str:  # noqa: N802 (gettext convention)
    """Mark a string with a context (msgctxt) for extraction; translate it later with `pgettext`."""
    return message


def ngettext(singular: str, plural: str, n: int) -> str:
    return _current.ngettext(singular, plural, n)


def pgettext(context: str, message: str) -> str:
    """`_` for a word that means different things in different places (msgctxt `context`)."""
    if not message:
        return ""
    return _current.pgettext(context, message)


def npgettext(context: str, singular: str, plural: str, n: int) -> str:
    return _current.npgettext(context, singular, plural, n)
