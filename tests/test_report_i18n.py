"""Report words that have a hard limit in some language: an XLSX sheet is named after the report
title and each section title, and Excel allows 31 characters (the writer cuts longer names)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from app.i18n import LANGUAGES, _, set_language

BUILD = Path(__file__).resolve().parents[1] / "app" / "reports" / "build.py"


def sheet_titles() -> list[str]:
    source = BUILD.read_text(encoding="utf-8")
    titles = re.findall(r'Section\(\s*"\w+",\s*_\("([^"]+)"\)', source)
    titles += re.findall(r'title or _\("([^"]+)"\)', source)
    return titles


@pytest.mark.parametrize("lang", LANGUAGES)
def test_sheet_names_fit_excel_in_every_language(lang):
    from app.i18n.build import build_catalogs

    build_catalogs()
    titles = sheet_titles()
    assert len(titles) >= 4, "the pattern no longer finds the section titles in app/reports/build.py"
    set_language(lang)
    try:
        too_long = [(t, _(t)) for t in titles if len(_(t)) > 31]
    finally:
        set_language("en")
    assert not too_long, too_long
