"""Validation messages (each one produced by a case here), boundaries, retired catalog
values, and the identifiers (UUIDv7, client codes) of the domain."""

from __future__ import annotations

import ast
import dataclasses
import datetime as dt
import re
import uuid
from pathlib import Path

import pytest
from helpers.factories import NOW, consultation, outreach, tandem

from app.domain import ids, validation
from app.domain.catalogs import CatalogValue, Catalogs, seed_values
from app.domain.entries import Client
from app.domain.validation import (
    MAX_COUNT,
    MAX_NOTE_LENGTH,
    MAX_ROLE_LENGTH,
    Problem,
    ValidationError,
    validate_client,
    validate_entry,
)

TODAY = NOW.date()
SEEDED = Catalogs.seeded()


def with_retired(catalog: str, code: str) -> Catalogs:
    return Catalogs([dataclasses.replace(v, active=False) if (v.catalog, v.code) == (catalog, code) else v
                     for v in seed_values()])


RETIRED = with_retired("districts", "emst")


def client(**changes) -> Client:
    return Client(**{"id": "", "code": "K-0000-001", **changes})


# Each case: (message template from validation.py, field, what to validate).
# `what` returns the problems; templates are the literal strings passed to `_()`.
CASES = [
    ("Enter the date and time.", "start", lambda: validate_entry(consultation(start=None, end=None), SEEDED, now=NOW)),
    ("The date is in the future. Check the date.", "start",
     lambda: validate_entry(consultation(start=NOW + dt.timedelta(days=1), end=None), SEEDED, now=NOW)),
    ("The date is before the year 2000. Check the year.", "start",
     lambda: validate_entry(consultation(start=dt.datetime(202, 3, 10, 9, 30), end=None), SEEDED, now=NOW)),
    ("The end is before the start. Check the times.", "end",
     lambda: validate_entry(consultation(end=dt.datetime(2025, 3, 10, 9, 0)), SEEDED, now=NOW)),
    ("This lasts more than 12 hours. Check the end time.", "end",
     lambda: validate_entry(consultation(end=dt.datetime(2025, 3, 10, 21, 31)), SEEDED, now=NOW)),
    ("The follow-up date is before the date of the entry.", "follow_up_due",
     lambda: validate_entry(consultation(follow_up_due=dt.date(2025, 3, 9)), SEEDED, now=NOW)),
    ("Enter who did this (mediator).", "mediator",
     lambda: validate_entry(consultation(mediator="  "), SEEDED, now=NOW)),
    ("The note is too long (at most {limit} characters).", "notes",
     lambda: validate_entry(consultation(notes="x" * (MAX_NOTE_LENGTH + 1)), SEEDED, now=NOW)),
    ("The follow-up text is too long (at most {limit} characters).", "follow_up",
     lambda: validate_entry(consultation(follow_up="x" * 501), SEEDED, now=NOW)),
    ("“{code}” is not in the list “{catalog}”. Choose a value from the list.", "school",
     lambda: validate_entry(tandem(school="gs99"), SEEDED, now=NOW)),
    ("“{label}” is no longer in use. Choose another value.", "district",
     lambda: validate_entry(consultation(district="emst"), RETIRED, now=NOW)),
    ("A value is chosen twice.", "topics",
     lambda: validate_entry(consultation(topics=["housing", "housing"]), SEEDED, now=NOW)),
    ("A number of people cannot be negative.", "adults_reached",
     lambda: validate_entry(outreach(adults_reached=-1), SEEDED, now=NOW)),
    ("This number is too large. Check it.", "pupils_count",
     lambda: validate_entry(tandem(pupils_count=MAX_COUNT + 1), SEEDED, now=NOW)),
    ("Choose where the consultation took place.", "setting",
     lambda: validate_entry(consultation(setting=None), SEEDED, now=NOW)),
    ("Choose the office the person was accompanied to.", "accompanied_to",
     lambda: validate_entry(consultation(setting="accompaniment"), SEEDED, now=NOW)),
    ("Choose the school.", "school", lambda: validate_entry(tandem(school=None), SEEDED, now=NOW)),
    ("Choose tandem or tridem.", "format", lambda: validate_entry(tandem(format="trio"), SEEDED, now=NOW)),
    ("Enter the teacher's role or initials.", "teacher", lambda: validate_entry(tandem(teacher=" "), SEEDED, now=NOW)),
    ("A tridem includes the school social worker: enter their role or initials.", "social_worker",
     lambda: validate_entry(tandem(format="tridem", social_worker=""), SEEDED, now=NOW)),
    ("Use a role or initials here, not a full name.", "teacher",
     lambda: validate_entry(tandem(teacher="Frau Dr. Annegret Mustermann-Schulz"), SEEDED, now=NOW)),
    ("Choose the district.", "district", lambda: validate_entry(outreach(district=None), SEEDED, now=NOW)),
    ("Choose the type of place.", "place_type", lambda: validate_entry(outreach(place_type=None), SEEDED, now=NOW)),
    ("Choose the purpose of the visit.", "purpose", lambda: validate_entry(outreach(purpose=None), SEEDED, now=NOW)),
    ("Choose person or household.", "kind", lambda: validate_client(client(kind="family"), SEEDED, today=TODAY)),
    ("The birth year must be between 1900 and {year}.", "birth_year",
     lambda: validate_client(client(birth_year=1899), SEEDED, today=TODAY)),
    ("What the consent covers is ticked, but no consent is recorded: tick “Consent was given” and enter its date.",
     "consent_date",
     lambda: validate_client(client(consent_scopes=["documentation"]), SEEDED, today=TODAY)),
    ("The consent date is in the future. Check the date.", "consent_date",
     lambda: validate_client(client(consent_date=TODAY + dt.timedelta(days=1)), SEEDED, today=TODAY)),
]
# Messages that have more than one way to be produced: each way is a case as well.
MORE_CASES = [
    ("“{code}” is not in the list “{catalog}”. Choose a value from the list.", "languages",
     lambda: validate_client(client(languages=["klingon"]), SEEDED, today=TODAY)),
    ("“{code}” is not in the list “{catalog}”. Choose a value from the list.", "consent_scopes",
     lambda: validate_client(client(consent_scopes=["marketing"], consent_date=TODAY), SEEDED, today=TODAY)),
    ("“{code}” is not in the list “{catalog}”. Choose a value from the list.", "place_type",
     lambda: validate_entry(outreach(place_type="moon"), SEEDED, now=NOW)),
    ("A number of people cannot be negative.", "families_count",
     lambda: validate_entry(tandem(families_count=-2), SEEDED, now=NOW)),
    ("This number is too large. Check it.", "children_reached",
     lambda: validate_entry(outreach(children_reached=MAX_COUNT + 1), SEEDED, now=NOW)),
    ("Use a role or initials here, not a full name.", "social_worker",
     lambda: validate_entry(tandem(format="tridem", social_worker="Schulsozialarbeiterin Müller"), SEEDED, now=NOW)),
    ("The birth year must be between 1900 and {year}.", "birth_year",
     lambda: validate_client(client(birth_year=TODAY.year + 1), SEEDED, today=TODAY)),
    ("A value is chosen twice.", "referrals",
     lambda: validate_entry(consultation(referrals=["asd", "asd"]), SEEDED, now=NOW)),
]
ALL_CASES = CASES + MORE_CASES


def template_pattern(template: str) -> re.Pattern:
    parts = re.split(r"\{[a-z_]+\}", template)
    return re.compile(".+".join(re.escape(p) for p in parts) + r"\Z", re.S)


def messages_in_source() -> set[str]:
    """Every literal string passed to `_()` in app/domain/validation.py."""
    tree = ast.parse(Path(validation.__file__).read_text())
    found = set()
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "_"
            and node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)
        ):
            found.add(node.args[0].value)
    return found


def test_every_validation_message_has_a_case():
    source = messages_in_source()
    assert len(source) >= 27
    covered = {template for template, _field, _what in ALL_CASES}
    assert source - covered == set(), "add a case to CASES for each new validation message"
    assert covered - source == set(), "a case names a message that validation.py no longer has"


@pytest.mark.parametrize(("template", "field", "what"), ALL_CASES, ids=[f"{c[1]}:{c[0][:30]}" for c in ALL_CASES])
def test_case_produces_its_message_on_its_field(template, field, what):
    problems = what()
    pattern = template_pattern(template)
    matching = [p for p in problems if pattern.match(p.message)]
    assert matching, f"{template!r} not in {problems}"
    assert field in {p.field for p in matching}
    for problem in problems:
        assert "{" not in problem.message, "placeholders must be filled in"


@pytest.mark.parametrize("make", [consultation, tandem, outreach])
def test_valid_entries_have_no_problems(make):
    assert validate_entry(make(), SEEDED, now=NOW) == []


def test_valid_clients_have_no_problems():
    assert validate_client(client(), SEEDED, today=TODAY) == []
    full = client(kind="household", birth_year=1985, languages=["ro", "rom"], consent_date=TODAY,
                  consent_scopes=["documentation", "referral"])
    assert validate_client(full, SEEDED, today=TODAY) == []


def test_filled_in_messages_say_what_is_wrong():
    [problem] = validate_entry(tandem(school="gs99"), SEEDED, now=NOW)
    assert problem == Problem("school", "“gs99” is not in the list “Schools”. Choose a value from the list.")
    [problem] = validate_entry(consultation(district="emst"), RETIRED, now=NOW)
    assert problem.message == "“Emst” is no longer in use. Choose another value."
    [problem] = validate_entry(consultation(notes="x" * (MAX_NOTE_LENGTH + 1)), SEEDED, now=NOW)
    assert str(MAX_NOTE_LENGTH) in problem.message
    [problem] = validate_client(client(birth_year=1800), SEEDED, today=TODAY)
    assert problem.message.endswith(f"between 1900 and {TODAY.year}.")


# -- boundaries -------------------------------------------------------------------------


def test_boundaries_are_inclusive():
    start = dt.datetime(2025, 3, 10, 8, 0)
    ok = [
        consultation(start=start, end=start + dt.timedelta(hours=12)),
        consultation(start=start, end=start),
        consultation(start=NOW + dt.timedelta(minutes=10), end=None),
        consultation(follow_up_due=dt.date(2025, 3, 10)),
        consultation(notes="x" * MAX_NOTE_LENGTH, follow_up="y" * 500),
        tandem(teacher="x" * MAX_ROLE_LENGTH, pupils_count=MAX_COUNT, families_count=0),
        outreach(adults_reached=0, children_reached=MAX_COUNT),
    ]
    for entry in ok:
        assert validate_entry(entry, SEEDED, now=NOW) == [], entry
    too_far = [
        consultation(start=start, end=start + dt.timedelta(hours=12, minutes=1)),
        consultation(start=NOW + dt.timedelta(minutes=11), end=None),
        tandem(teacher="x" * (MAX_ROLE_LENGTH + 1)),
    ]
    for entry in too_far:
        assert len(validate_entry(entry, SEEDED, now=NOW)) == 1, entry
    assert validate_client(client(birth_year=1900), SEEDED, today=TODAY) == []
    assert validate_client(client(birth_year=TODAY.year, consent_date=TODAY), SEEDED, today=TODAY) == []


def test_several_problems_are_reported_together():
    problems = validate_entry(outreach(district=None, place_type=None, purpose=None, mediator=""), SEEDED, now=NOW)
    assert [p.field for p in problems] == ["mediator", "district", "place_type", "purpose"]


def test_codes_of_the_wrong_catalog_are_refused():
    # "attendance" is a school topic, not a consultation topic.
    [problem] = validate_entry(consultation(topics=["attendance"]), SEEDED, now=NOW)
    assert problem.field == "topics" and "Consultation topics" in problem.message


# -- retired catalog values -------------------------------------------------------------


def test_retired_value_is_refused_on_new_entry_but_kept_on_an_existing_one():
    old = consultation(id="0190f0e0-0000-7000-8000-000000000001", district="emst", referrals=["asd"])
    assert validate_entry(old, RETIRED, now=NOW, previous=old) == []
    edited = dataclasses.replace(old, notes="Nachtrag")
    assert validate_entry(edited, RETIRED, now=NOW, previous=old) == []
    # The allowance is for the value the entry already had, not for adding it anywhere else.
    without = dataclasses.replace(old, district="mitte")
    assert validate_entry(dataclasses.replace(without, district="emst"), RETIRED, now=NOW, previous=without) != []


def test_retiring_through_the_journal(journal):
    from helpers.factories import consultation as make

    existing = journal.save_entry(make(district="emst"))
    journal.put_catalog_value(CatalogValue("districts", "emst", "Emst", active=False))
    assert not journal.catalogs.is_active("districts", "emst")
    assert journal.catalogs.label("districts", "emst") == "Emst", "a retired value stays readable"

    with pytest.raises(ValidationError, match="no longer in use"):
        journal.save_entry(make(district="emst"))
    edited = journal.save_entry(dataclasses.replace(existing, notes="Nachtrag"))
    assert edited.notes == "Nachtrag" and edited.district == "emst"
    assert journal.count_entries() == 1
    assert "emst" not in [v.code for v in journal.catalogs.values("districts")]
    assert "emst" in [v.code for v in journal.catalogs.values("districts", include_retired=True)]


def test_catalog_value_needs_code_and_label(journal):
    with pytest.raises(ValidationError, match="Enter a code and a label"):
        journal.put_catalog_value(CatalogValue("districts", " ", "Nowhere"))


def test_clients_through_the_journal(journal):
    saved = journal.save_client(journal.new_client())
    assert ids.is_client_code(saved.code)
    with pytest.raises(ValidationError, match="already in use"):
        journal.save_client(Client(code=saved.code))
    with pytest.raises(ValidationError, match="between 1900"):
        journal.save_client(dataclasses.replace(saved, birth_year=1066))
    assert journal.get_client(saved.id) == saved
    same = journal.save_client(dataclasses.replace(saved))
    assert same.meta.updated_at == saved.meta.updated_at, "an unchanged client is not rewritten"


# -- identifiers ------------------------------------------------------------------------


def test_uuid7_is_unique_and_time_ordered():
    made = [ids.uuid7() for _ in range(20_000)]
    assert len(set(made)) == len(made)
    assert made == sorted(made), "string order is creation order, even within one millisecond"
    for value in made[:: 997]:
        parsed = uuid.UUID(value)
        assert parsed.version == 7 and parsed.variant == uuid.RFC_4122
    ms = uuid.UUID(made[0]).int >> 80
    now_ms = dt.datetime.now(dt.timezone.utc).timestamp() * 1000
    assert abs(now_ms - ms) < 60_000, "the first 48 bits are the Unix time in milliseconds"


def test_uuid7_from_is_reproducible_and_ordered_by_time():
    a = ids.uuid7_from(1_700_000_000_000, 12345)
    assert a == ids.uuid7_from(1_700_000_000_000, 12345)
    assert uuid.UUID(a).int >> 80 == 1_700_000_000_000
    assert ids.uuid7_from(1_700_000_000_001, 0) > ids.uuid7_from(1_700_000_000_000, (1 << 74) - 1)
    assert ids.is_uuid(a) and not ids.is_uuid("not-a-uuid") and not ids.is_uuid(None)


def test_new_client_codes_validate():
    for _ in range(2000):
        code = ids.new_client_code()
        assert re.fullmatch(r"K-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{3}", code), code
        assert ids.is_client_code(code)
    code = ids.new_client_code()
    assert ids.is_client_code(f"  {code.lower()} "), "case and surrounding blanks do not matter"


def substitutions(code: str):
    for position in (2, 3, 4, 5, 7, 8, 9):
        for char in ids.CODE_ALPHABET:
            if char != code[position]:
                yield code[:position] + char + code[position + 1:]


def test_client_code_check_character_catches_typos():
    code = "K-7QF3-9X" + ids._check_char("7QF39X")
    assert ids.is_client_code(code)
    assert not ids.is_client_code("K-7QF3-9Y" + code[-1]), "a one-letter typo is caught"
    caught = missed = 0
    for _ in range(30):
        code = ids.new_client_code()
        for typo in substitutions(code):
            if ids.is_client_code(typo):
                missed += 1
            else:
                caught += 1
        body = code[2:6] + code[7:9]
        for i in range(5):  # every swap of two neighbouring characters is caught
            if body[i] != body[i + 1]:
                swapped = body[:i] + body[i + 1] + body[i] + body[i + 2:]
                assert not ids.is_client_code(f"K-{swapped[:4]}-{swapped[4:]}{code[-1]}")
    assert caught / (caught + missed) > 0.95


@pytest.mark.parametrize(
    "bad",
    ["", "K-7QF3-9X", "K-7QF3-9XMM", "X-7QF3-9XM", "K-7QF3 9XM", "K-7OF3-9XM", "K-7QF3-9XU", "K-IQF3-9XM",
     "K-LQF3-9XM"],
)
def test_malformed_client_codes_are_refused(bad):
    assert not ids.is_client_code(bad)
