"""Dates, times and numbers in the interface language's conventions, through Babel (CLDR).

The UI formats every date, time and number it shows through this module instead of
ad-hoc strftime; `qt_date_format()` and `qt_locale_name()` give the same conventions to
Qt's date pickers (app/ui/translator.py).

Romani has no CLDR, Babel or Qt locale data. When the interface is Romani, dates and
numbers follow the user's region, chosen in Preferences and kept in the encrypted journal
(`REGIONS`: Romania, Bulgaria, Germany): ro_RO, bg_BG or de_DE patterns, numeric only, with
any literal word of the region's language (Bulgarian "г.") left out. Where a month or weekday
name does appear (the date pickers' calendar), it is the Romani one from `ROMANI_MONTHS` /
`ROMANI_WEEKDAYS`. See docs/i18n-romani.md.
"""

from __future__ import annotations

import datetime as dt
import re
from functools import lru_cache

from babel import Locale
from babel.numbers import format_decimal

from app import i18n

# Region code -> name shown in Preferences (translated where shown) and formatting locale
REGIONS = {"RO": i18n.N_("Romania"), "BG": i18n.N_("Bulgaria"), "DE": i18n.N_("Germany")}
DEFAULT_REGION = "RO"
_REGION_LOCALES = {"RO": "ro_RO", "BG": "bg_BG", "DE": "de_DE"}
# English is the source language; its users work in Germany: day-month-year, 24 h.
_LANGUAGE_LOCALES = {"de": "de_DE", "ro": "ro_RO", "bg": "bg_BG", "en": "en_GB"}

# Vlax Romani month and weekday names (draft, to be checked with the teams; docs/i18n-romani.md)
ROMANI_MONTHS = ("Yanuari", "Februari", "Marto", "Aprilo", "Mayo", "Yunyo", "Yulyo", "Avgusto",
                 "Septembro", "Oktombro", "Noyembro", "Detsembro")
ROMANI_WEEKDAYS = ("Luya", "Martsi", "Tetradyi", "Zhoy", "Parashtuy", "Savato", "Kurko")  # Monday first

_region = DEFAULT_REGION


def set_region(region: str | None) -> None:
    """The user's region (RO, BG, DE): only used for Romani, which has no locale data."""
    global _region
    _region = region if region in REGIONS else DEFAULT_REGION


def current_region() -> str:
    return _region


def locale_name(language: str | None = None, region: str | None = None) -> str:
    """The CLDR locale whose conventions the interface uses, e.g. "de_DE"; for Romani the region's."""
    language = language or i18n.current_language()
    if language == "rom":
        return _REGION_LOCALES[region if region in REGIONS else _region]
    return _LANGUAGE_LOCALES.get(language, "en_GB")


def _locale(language: str | None = None, region: str | None = None) -> Locale:
    return Locale.parse(locale_name(language, region))


def date_pattern(language: str | None = None, region: str | None = None) -> str:
    """A numeric date pattern with a four-digit year, in CLDR syntax (which Qt shares for d, M, y)."""
    language = language or i18n.current_language()
    return _date_pattern(language, locale_name(language, region))


def time_pattern(language: str | None = None, region: str | None = None) -> str:
    return _time_pattern(locale_name(language, region))


@lru_cache(maxsize=32)
def _date_pattern(language: str, name: str) -> str:
    pattern = Locale.parse(name).date_formats["short"].pattern
    pattern = re.sub(r"y+", "yyyy", pattern)
    if language == "rom":  # no words of another language in a Romani interface ("г.")
        pattern = re.sub(r"\s*'[^']*'\.?", "", pattern).strip()
    return pattern


@lru_cache(maxsize=32)
def _time_pattern(name: str) -> str:
    return Locale.parse(name).time_formats["short"].pattern


def format_date(value: dt.date | dt.datetime | None, language: str | None = None) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        value = value.date()
    return _format(value, date_pattern(language), language)


def format_time(value: dt.datetime | dt.time | None, language: str | None = None) -> str:
    if value is None:
        return ""
    return _format(value, time_pattern(language), language)


def format_datetime(value: dt.datetime | None, language: str | None = None) -> str:
    if value is None:
        return ""
    glue = _locale(language).datetime_formats["short"]
    return str(glue).replace("{1}", format_date(value, language)).replace("{0}", format_time(value, language))


def format_number(value: int | float, language: str | None = None) -> str:
    return format_decimal(value, locale=_locale(language))


def month_name(month: int, language: str | None = None) -> str:
    """The stand-alone month name (1-12) in the interface language."""
    language = language or i18n.current_language()
    if language == "rom":
        return ROMANI_MONTHS[month - 1]
    return _locale(language).months["stand-alone"]["wide"][month]


def format_month(year: int, month: int, language: str | None = None) -> str:
    """A calendar month with its year, as a heading or table row names it: "November 2026",
    "ноември 2026 г."; in Romani the Romani month name and the year."""
    from babel.dates import format_skeleton

    language = language or i18n.current_language()
    if language == "rom":
        return f"{ROMANI_MONTHS[month - 1]} {year}"
    return format_skeleton("yMMMM", dt.date(year, month, 1), locale=_locale(language))


def weekday_name(weekday: int, language: str | None = None) -> str:
    """The weekday name, Monday = 0 (as datetime.weekday())."""
    language = language or i18n.current_language()
    if language == "rom":
        return ROMANI_WEEKDAYS[weekday]
    return _locale(language).days["stand-alone"]["wide"][weekday]


def _format(value, pattern: str, language: str | None) -> str:
    from babel.dates import format_date as babel_date
    from babel.dates import format_time as babel_time

    loc = _locale(language)
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return babel_date(value, pattern, locale=loc)
    return babel_time(value, pattern, locale=loc)


def qt_date_format(language: str | None = None) -> str:
    """The same date pattern for QDateEdit.setDisplayFormat (Qt shares d, M, yyyy and quoting)."""
    return date_pattern(language)


def qt_datetime_format(language: str | None = None) -> str:
    return f"{date_pattern(language)} {time_pattern(language)}"
