"""Compile resources/i18n/<lang>/LC_MESSAGES/mediatorlog.po into .mo files.

polib copies the header verbatim, so the Romani catalog keeps its Plural-Forms
(pybabel compile drops it for locales Babel does not know). Run by scripts/bootstrap
and by packaging; compiled catalogs are never committed.
"""

from __future__ import annotations

import sys

import polib

from app.i18n import DOMAIN, catalog_dir


def build_catalogs(force: bool = False) -> list[str]:
    built = []
    for po_path in sorted(catalog_dir().glob(f"*/LC_MESSAGES/{DOMAIN}.po")):
        mo_path = po_path.with_suffix(".mo")
        if force or not mo_path.exists() or mo_path.stat().st_mtime < po_path.stat().st_mtime:
            polib.pofile(str(po_path)).save_as_mofile(str(mo_path))
            built.append(str(mo_path))
    return built


if __name__ == "__main__":
    for path in build_catalogs(force="--force" in sys.argv):
        print(path)
