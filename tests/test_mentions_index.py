"""The erase preview and the access file find a person named in other entries through the full-text
index; whatever the spelling, they must find what reading every note finds (ß, ё, diacritics,
hyphens, apostrophes, punctuation-only names)."""

from __future__ import annotations

import unicodedata

import pytest
from helpers.factories import NOW, consultation
from helpers.sync_team import team_fixtures
from app.domain.entries import Client
from app.domain.mentions import mentions, person_pattern

template, team = team_fixtures(1)

CASES = [
    ("Strauß", "Herr Strauss kam"),
    ("Strauss", "Herr Strauß kam"),
    ("Семёнов", "Г-н Семенов дойде"),
    ("Николай", "Николаи дойде"),
    ("Ştefan", unicodedata.normalize("NFD", "Ștefan kam")),
    ("Ștefan", "ŞTEFAN kam"),
    ("O'Brien", "Herr O'Brien"),
    ("Jean-Luc", "Jean-Luc kam"),
    ("Иванова", "ИВАНОВА дойде"),
    ("Ionescu", "Ionescu²"),
    ("Zoë", "Zoe kam"),
    ("Łukasz", "Lukasz kam"),
    ("Øyvind", "Oyvind kam"),
    ("Đorđe", "Dorde kam"),
    ("Ærø", "Aero"),
    ("Muñoz", "MUNOZ"),
    ("(*)", "Kunde (*) kam"),
    ("Ana\u00a0Maria", "Ana kam"),
]


@pytest.mark.parametrize("name,notes", CASES)
def test_preview_finds_what_full_scan_found(team, name, notes):
    lead = team.journals["lead"]
    person = lead.save_client(Client(code="HA-X-1", name=name), today=NOW.date())
    e = lead.save_entry(consultation(notes=notes), now=NOW)
    full = mentions(person_pattern(person.code, person.name), (notes,))
    found = team.sync("lead").erasure_preview(person.id).mentions
    assert (e.id in found) == full, (name, notes, full)
