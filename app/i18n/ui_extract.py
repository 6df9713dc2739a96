"""Babel extractor for Qt Designer files: every translatable <string> of a .ui form."""

from __future__ import annotations

import xml.etree.ElementTree as ET

# Properties that are identifiers or styling, never shown as text.
_SKIP_PROPERTIES = {"styleSheet", "objectName", "inputMask", "accessibleName"}


def extract_ui(fileobj, keywords, comment_tags, options):
    tree = ET.parse(fileobj)
    seen = set()
    for prop in tree.iter():
        if prop.tag not in ("property", "attribute") or prop.get("name") in _SKIP_PROPERTIES:
            continue
        string = prop.find("string")
        if string is None or string.get("notr") == "true" or not (string.text or "").strip():
            continue
        if string.text in seen:
            continue
        seen.add(string.text)
        comment = [string.get("comment")] if string.get("comment") else []
        yield 0, "_", string.text, comment
