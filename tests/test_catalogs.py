"""The catalog check CI runs: every catalog complete and consistent with its source strings,
plural forms right in every language, and up to date with the code (a new string without
translations fails here). See docs/i18n-catalogs.md for the workflow."""

from __future__ import annotations

import gettext
import re
import shutil
import subprocess
from collections import Counter
from pathlib import Path

import polib
import pytest

from app.i18n import DOMAIN, catalog_dir
from app.i18n.build import build_catalogs
from app.i18n.extract import extract_pot

LANGS = ("de", "ro", "bg", "rom")
NPLURALS = {"de": 2, "ro": 3, "bg": 2, "rom": 2}
# Which plural form each language uses for n = 1, 2, 5, 21, 101 (CLDR / gettext rules;
# Romani: docs/i18n-romani.md). Romanian: "1 rând", "2 rânduri", "21 de rânduri", "101 rânduri".
EXPECTED_FORMS = {
    "de": [0, 1, 1, 1, 1],
    "bg": [0, 1, 1, 1, 1],
    "rom": [0, 1, 1, 1, 1],
    "ro": [0, 1, 1, 2, 1],
}
COUNTS = (1, 2, 5, 21, 101)
# {name}, {0}, %s, %d, %(name)s, Qt's %n and %1
PLACEHOLDER = re.compile(r"\{[A-Za-z_][A-Za-z0-9_]*\}|\{\d+\}|%\([A-Za-z_]+\)[sdif]|%[sdifn]|%\d")
CEDILLA = set("şţŞŢ")


def po_path(lang: str) -> Path:
    return catalog_dir() / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


@pytest.fixture(scope="module")
def catalogs() -> dict[str, polib.POFile]:
    return {lang: polib.pofile(str(po_path(lang))) for lang in LANGS}


def live(po: polib.POFile):
    return [e for e in po if not e.obsolete]


def placeholders(text: str) -> Counter:
    return Counter(PLACEHOLDER.findall(text))


def accelerators(text: str) -> int:
    """Qt mnemonics: a single `&` before a character; `&&` is a literal ampersand."""
    return len(re.findall(r"&(?!\s)", text.replace("&&", "")))


def translations(entry: polib.POEntry) -> list[tuple[str, str]]:
    """(source, translation) pairs: the singular form against msgid, the others against msgid_plural."""
    if entry.msgid_plural:
        return [(entry.msgid if i == 0 else entry.msgid_plural, text)
                for i, text in sorted(entry.msgstr_plural.items())]
    return [(entry.msgid, entry.msgstr)]


def label(entry: polib.POEntry) -> str:
    return f"{entry.msgctxt}|{entry.msgid}" if entry.msgctxt else entry.msgid


@pytest.mark.parametrize("lang", LANGS)
def test_catalog_complete_without_fuzzy(catalogs, lang):
    po = catalogs[lang]
    assert not [label(e) for e in live(po) if "fuzzy" in e.flags], f"{lang}: fuzzy entries"
    untranslated = [label(e) for e in live(po) if not all(text.strip() for _src, text in translations(e))]
    assert not untranslated, f"{lang}: untranslated {untranslated[:10]}"
    assert po.percent_translated() == 100


@pytest.mark.parametrize("lang", LANGS)
def test_msgfmt_check_is_clean(lang, tmp_path):
    msgfmt = shutil.which("msgfmt")
    assert msgfmt, "GNU gettext (msgfmt) is needed for the catalog check; CI installs it (.ci/run)"
    result = subprocess.run([msgfmt, "--check", "-o", str(tmp_path / "x.mo"), str(po_path(lang))],
                            capture_output=True, text=True)
    assert result.returncode == 0 and "warning" not in result.stderr, result.stderr


@pytest.mark.parametrize("lang", LANGS)
def test_placeholders_accelerators_and_newlines_match_the_source(catalogs, lang):
    problems = []
    for entry in live(catalogs[lang]):
        for source, text in translations(entry):
            if placeholders(text) != placeholders(source):
                problems.append(f"placeholders differ: {label(entry)!r} -> {text!r}")
            if accelerators(text) != accelerators(source):
                problems.append(f"accelerators (&) differ: {label(entry)!r} -> {text!r}")
            if text.count("&&") != source.count("&&"):
                problems.append(f"literal && differs: {label(entry)!r} -> {text!r}")
            if text.count("\n") != source.count("\n") or text.endswith(" ") != source.endswith(" ") \
                    or text.startswith(" ") != source.startswith(" "):
                problems.append(f"line breaks or edge spaces differ: {label(entry)!r} -> {text!r}")
    assert not problems, f"{lang}:\n" + "\n".join(problems)


def test_the_checks_catch_what_they_are_for():
    """The helpers above must see the mistakes they are meant to catch."""
    assert placeholders("{count} lines") != placeholders("{numar} rânduri")
    assert placeholders("%(n)d of %s") != placeholders("%(n)d din %d")
    assert accelerators("&Open") == 1 and accelerators("Deschide") == 0
    assert accelerators("Save && close") == 0 and accelerators("&Save && close") == 1
    assert accelerators("Tom & Jerry") == 0


@pytest.mark.parametrize("lang", LANGS)
def test_plural_header_and_forms(catalogs, lang):
    po = catalogs[lang]
    header = po.metadata.get("Plural-Forms", "")
    match = re.match(r"\s*nplurals=(\d+);\s*plural=(.+?);?\s*$", header)
    assert match, f"{lang}: Plural-Forms header missing or malformed: {header!r}"
    assert int(match.group(1)) == NPLURALS[lang]
    for entry in live(po):
        if entry.msgid_plural:
            assert sorted(entry.msgstr_plural) == list(range(NPLURALS[lang])), label(entry)


@pytest.mark.parametrize("lang", LANGS)
def test_ngettext_picks_the_right_form(catalogs, lang, tmp_path):
    """Compiled the way the app compiles (polib, keeps rom's header), loaded the way the app loads."""
    mo_dir = tmp_path / lang / "LC_MESSAGES"
    mo_dir.mkdir(parents=True)
    catalogs[lang].save_as_mofile(str(mo_dir / f"{DOMAIN}.mo"))
    translations_ = gettext.translation(DOMAIN, localedir=str(tmp_path), languages=[lang])
    assert "nplurals=%d" % NPLURALS[lang] in translations_.info()["plural-forms"].replace(" ", "")
    plural_entries = [e for e in live(catalogs[lang]) if e.msgid_plural]
    assert plural_entries
    for entry in plural_entries:
        for n, form in zip(COUNTS, EXPECTED_FORMS[lang]):
            got = translations_.ngettext(entry.msgid, entry.msgid_plural, n)
            assert got == entry.msgstr_plural[form], f"{lang} n={n}: {entry.msgid!r} gave {got!r}"


@pytest.mark.parametrize("lang", LANGS)
def test_app_ngettext_in_every_language(lang):
    """Through app.i18n with the catalogs the app itself loads (built by scripts/bootstrap)."""
    from app.i18n import ngettext, set_language

    build_catalogs()
    set_language(lang)
    po = polib.pofile(str(po_path(lang)))
    entry = next(e for e in po if e.msgid == "{count} entry found.")
    for n, form in zip(COUNTS, EXPECTED_FORMS[lang]):
        text = ngettext("{count} entry found.", "{count} entries found.", n).format(count=n)
        assert text == entry.msgstr_plural[form].format(count=n)
        assert str(n) in text


def test_romanian_uses_comma_below(catalogs):
    bad = [label(e) for e in live(catalogs["ro"])
           if any(ch in CEDILLA for _src, text in translations(e) for ch in text)]
    assert not bad, f"ş/ţ with cedilla instead of ș/ț: {bad}"


def test_romani_catalog_keeps_its_header_when_compiled():
    """pybabel drops Plural-Forms for locales it does not know (rom): ours keeps it."""
    build_catalogs()
    mo = catalog_dir() / "rom" / "LC_MESSAGES" / f"{DOMAIN}.mo"
    assert "nplurals=2" in polib.mofile(str(mo)).metadata.get("Plural-Forms", "")


def test_catalogs_are_up_to_date_with_the_code(catalogs, tmp_path):
    """Extract the code and the Designer forms as scripts/update-catalogs does: every
    string found must be in every catalog. A new string without translations fails here;
    run scripts/update-catalogs and translate it (docs/i18n-catalogs.md)."""
    pot = tmp_path / "fresh.pot"
    extract_pot(pot)
    wanted = {(e.msgctxt, e.msgid) for e in polib.pofile(str(pot))}
    assert len(wanted) > 300
    for lang in LANGS:
        have = {(e.msgctxt, e.msgid) for e in live(catalogs[lang]) if e.translated()}
        missing = sorted(f"{c}|{m}" if c else m for c, m in wanted - have)
        assert not missing, f"{lang}: {len(missing)} strings not translated yet: {missing[:10]}"
