"""Reference catalogs: values are stored as stable codes so that statistics aggregate
across interface languages. Seeded with Hagen's districts and services; a team lead
can add, rename and retire values. A retired value stays readable on old entries.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from app.i18n import N_, NP_, _, current_language, pgettext

# catalog name -> human title (for the catalog editor)
CATALOGS: dict[str, str] = {
    "districts": N_("Districts"),
    "schools": N_("Schools"),
    "services": N_("Services and offices"),
    "topics": N_("Consultation topics"),
    "school_topics": N_("School topics"),
    "languages": N_("Languages"),
    "settings": N_("Consultation places"),
    "place_types": N_("Place types"),
    "purposes": N_("Purposes of outreach"),
    "partners": N_("Partners present"),
    "outcomes": N_("Outcomes"),
    "consent_scopes": N_("Consent scopes"),
}


@dataclass(frozen=True)
class CatalogValue:
    catalog: str
    code: str
    label: str  # English source label; seeded values are translated through gettext
    labels: dict[str, str] = field(default_factory=dict)  # per-language labels set by a team lead
    active: bool = True
    sort: int = 0

    def display(self, language: str | None = None) -> str:
        """Label in the interface language: a team lead's own label first, then the
        gettext translation of a seeded label, then German, then English."""
        language = language or current_language()
        if language in self.labels and self.labels[language]:
            return self.labels[language]
        # A seeded value reads its source label from the code, so a reworded label
        # (e.g. "Referred on" -> "Referred to another service") reaches older stores too.
        source = _SEED_LABELS.get((self.catalog, self.code), self.label)
        if language != "en" and (self.catalog, self.code) in _SEED_LABELS:
            context = _CONTEXTS.get((self.catalog, self.code))
            translated = pgettext(context, source) if context else _(source)
            if translated != source:
                return translated
        if language != "en" and self.labels.get("de"):
            return self.labels["de"]
        return self.labels.get("en") or source

SEED: dict[str, list[tuple[str, str]]] = {
    "districts": [
        ("mitte", N_("Mitte / city centre")),
        ("wehringhausen", N_("Wehringhausen")),
        ("altenhagen", N_("Altenhagen")),
        ("haspe", N_("Haspe")),
        ("eckesey", N_("Eckesey")),
        ("boele", N_("Boele")),
        ("vorhalle", N_("Vorhalle")),
        ("eilpe_dahl", N_("Eilpe / Dahl")),
        ("hohenlimburg", N_("Hohenlimburg")),
        ("emst", N_("Emst")),
        ("other_district", N_("Other district")),
    ],
    "schools": [
        ("gs1", N_("Primary school 1")),
        ("gs2", N_("Primary school 2")),
        ("gs3", N_("Primary school 3")),
        ("gs4", N_("Primary school 4")),
        ("gs5", N_("Primary school 5")),
        ("gs6", N_("Primary school 6")),
        ("ss1", N_("Secondary school 1")),
        ("ss2", N_("Secondary school 2")),
        ("ss3", N_("Secondary school 3")),
    ],
    "services": [
        ("jobcentre", N_("Jobcentre (SGB II)")),
        ("employment_agency", N_("Employment agency (SGB III)")),
        ("asd", N_("General social services (ASD)")),
        ("social_welfare", N_("Social welfare office (SGB XII)")),
        ("health_office", N_("Health office")),
        ("public_order_office", N_("Public order office")),
        ("school_administration", N_("School administration")),
        ("housing_security", N_("Housing security")),
        ("debt_counselling", N_("Debt counselling")),
        ("immigration_office", N_("Immigration office")),
        ("family_benefits", N_("Family benefits office")),
        ("health_insurance", N_("Health insurance fund")),
        ("welfare_organisation", N_("Welfare organisation")),
        ("infopoint", N_("Infopoint")),
        ("laundry_project", N_("Luthers Waschsalon")),
        ("doctor", N_("Doctor or hospital")),
        ("other_service", N_("Other service")),
    ],
    "topics": [
        ("housing", N_("Housing")),
        ("work", N_("Work")),
        ("school", N_("School")),
        ("health_insurance", N_("Health insurance")),
        ("health", N_("Health")),
        ("benefits", N_("Benefits")),
        ("residence", N_("Residence status")),
        ("debts", N_("Debts")),
        ("family", N_("Family and children")),
        ("language_course", N_("Language course")),
        ("documents", N_("Documents and letters")),
        ("neighbourhood", N_("Neighbourhood conflict")),
        ("other_topic", N_("Other topic")),
    ],
    "school_topics": [
        ("attendance", N_("Attendance")),
        ("enrolment", N_("Enrolment")),
        ("parent_talk", N_("Talk with parents")),
        ("learning_support", N_("Learning support")),
        ("conflict", N_("Conflict")),
        ("transition", N_("Transition between schools")),
        ("other_school_topic", N_("Other school topic")),
    ],
    "languages": [
        ("de", N_("German")),
        ("ro", N_("Romanian")),
        ("bg", N_("Bulgarian")),
        ("rom", N_("Romani")),
        ("tr", N_("Turkish")),
        ("uk", N_("Ukrainian")),
        ("ru", N_("Russian")),
        ("ar", N_("Arabic")),
        ("en", N_("English")),
        ("other_language", N_("Other language")),
    ],
    "settings": [
        ("office", N_("Office")),
        ("infopoint", N_("Infopoint")),
        ("home_visit", N_("Home visit")),
        ("phone", N_("Phone")),
        ("accompaniment", N_("Accompaniment to an office")),
    ],
    "place_types": [
        ("street", N_("Street or square")),
        ("housing", NP_("place type", "Housing")),
        ("event", N_("Event")),
        ("facility", N_("Facility")),
    ],
    "purposes": [
        ("contact", N_("Contact and information")),
        ("conflict_mediation", N_("Conflict mediation")),
        ("prevention", N_("Prevention before events or holidays")),
        ("accompaniment", N_("Accompaniment")),
    ],
    "partners": [
        ("public_order_office", N_("Public order office")),
        ("district_police", N_("District police")),
        ("asd", N_("General social services (ASD)")),
        ("health_office", N_("Health office")),
        ("housing_company", N_("Housing company")),
        ("school", N_("School")),
        ("other_partner", N_("Other service")),
    ],
    "outcomes": [
        ("resolved", N_("Resolved")),
        ("in_progress", N_("In progress")),
        ("referred", N_("Referred to another service")),
        ("not_resolved", N_("Not resolved")),
        ("no_show", N_("Did not come")),
    ],
    "consent_scopes": [
        ("documentation", N_("Documentation")),
        ("referral", N_("Sharing with services")),
        ("contact", N_("Being contacted")),
    ],
}

_SEEDED_CODES: dict[str, frozenset[str]] = {
    name: frozenset(code for code, _label in values) for name, values in SEED.items()
}


_SEED_LABELS: dict[tuple[str, str], str] = {
    (name, code): label for name, values in SEED.items() for code, label in values
}
# Seeded labels whose English word means something else in another list (msgctxt)
_CONTEXTS: dict[tuple[str, str], str] = {("place_types", "housing"): "place type"}


def seed_values() -> list[CatalogValue]:
    return [
        CatalogValue(catalog=name, code=code, label=label, sort=i)
        for name, values in SEED.items()
        for i, (code, label) in enumerate(values)
    ]


class Catalogs:
    """An in-memory view of all reference catalogs, as loaded from a store."""

    def __init__(self, values: list[CatalogValue]):
        self._by_key = {(v.catalog, v.code): v for v in values}

    def get(self, catalog: str, code: str) -> CatalogValue | None:
        return self._by_key.get((catalog, code))

    def knows(self, catalog: str, code: str) -> bool:
        return (catalog, code) in self._by_key

    def is_active(self, catalog: str, code: str) -> bool:
        value = self._by_key.get((catalog, code))
        return bool(value and value.active)

    def values(self, catalog: str, *, include_retired: bool = False) -> list[CatalogValue]:
        found = [
            v for (c, _code), v in self._by_key.items() if c == catalog and (include_retired or v.active)
        ]
        return sorted(found, key=lambda v: (v.sort, v.code))

    def label(self, catalog: str, code: str | None, language: str | None = None) -> str:
        if not code:
            return ""
        value = self._by_key.get((catalog, code))
        return value.display(language) if value else code

    @classmethod
    def seeded(cls) -> Catalogs:
        return cls(seed_values())
