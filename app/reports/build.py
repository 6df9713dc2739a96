"""From aggregated facts to a protected, translated report.

Labels are resolved in the current interface language (`app.i18n`); catalog values through
`Catalogs.label` (a team lead's own label first, else the catalog's translation).
"""

from __future__ import annotations

import datetime as dt

from app.domain.catalogs import Catalogs
from app.domain.entries import CONSULTATION, ENTRY_TYPE_LABELS, ENTRY_TYPES, FORMAT_LABELS, OUTREACH_VISIT, TANDEM_SESSION
from app.i18n import N_, _, current_language
from app.i18n.formats import format_month
from app.reports.model import Report, Section, Table
from app.reports.periods import Period, months_in
from app.reports.queries import Facts
from app.reports.suppression import DEFAULT_THRESHOLD, protect, with_totals

# cube dims: 0 type, 1 month, 2 week, 3 setting, 4 accompanied_to, 5 district, 6 school, 7 format, 8 purpose
ACCOMPANIMENT = "accompaniment"  # the setting code of an accompaniment to an office (catalog "settings")
# list dims: 0 type, 1 setting, 2 district, 3 school, 4 column, 5 code
MEASURE_ENTRIES, MEASURE_PUPILS, MEASURE_FAMILIES, MEASURE_ADULTS, MEASURE_CHILDREN = range(5)
MULTI_NOTE = N_("An entry with several values counts once for each of them.")
UNKNOWN = N_("Not given")


def codes(catalogs: Catalogs, catalog: str, seen) -> list[str]:
    """Active values of a catalog in their order, then retired or unknown codes that occur."""
    ordered = [v.code for v in catalogs.values(catalog)]
    extra = sorted({c for c in seen if c not in ordered}, key=lambda c: (c is None, c or ""))
    return ordered + extra


def _label(catalogs: Catalogs, catalog: str, code) -> str:
    return catalogs.label(catalog, code) if code else _(UNKNOWN)


def _table(key, title, row_title, row_keys, row_labels, col_keys, col_labels, counts, threshold,
           note="", keep_empty_rows=False) -> Table:
    inner = [[counts.get((r, c), 0) for c in col_keys] for r in row_keys]
    keep = [i for i, row in enumerate(inner) if keep_empty_rows or any(row)]
    inner = [inner[i] for i in keep] or [[0] * len(col_keys)]
    labels = [row_labels[i] for i in keep] or [_(UNKNOWN)]
    return Table(key=key, title=title, row_title=row_title, rows=labels, columns=col_labels,
                 grid=protect(with_totals(inner), threshold), total_label=_("Total"), note=note,
                 threshold=threshold)


def build_report(facts: Facts, catalogs: Catalogs, *, threshold: int = DEFAULT_THRESHOLD,
                 created: dt.datetime | None = None, title: str | None = None) -> Report:
    period: Period = facts.period
    created = created or dt.datetime.now().replace(microsecond=0)
    t = threshold
    report = Report(
        title=title or _("Mediation in figures"),
        period_label=period.label(),
        first=period.first, last=period.last, created=created, language=current_language(),
        threshold=t, entries=facts.total_entries(),
        labels={
            "period": _("Period"), "created": _("Created"), "page": _("Page {page} of {pages}"),
            "legend": _("<{threshold} = a count from 1 to {below} (hidden). x = hidden so that no small "
                        "count can be worked out from the totals. – = table withheld: its small counts could "
                        "not be hidden safely.").format(threshold=t, below=t - 1),
            "privacy": _("Counts only: no names, client codes or notes."),
            "entries": _("Entries in the period"), "section": _("Section"), "table": _("Table"),
        },
    )
    types = list(ENTRY_TYPES)
    type_labels = [_(ENTRY_TYPE_LABELS[x]) for x in types]
    months = months_in(period)
    month_labels = [format_month(int(m[:4]), int(m[5:])) for m in months]
    is_c = lambda d: d[0] == CONSULTATION  # noqa: E731
    is_t = lambda d: d[0] == TANDEM_SESSION  # noqa: E731
    is_o = lambda d: d[0] == OUTREACH_VISIT  # noqa: E731

    # -- overview
    overview = Section("overview", _("Overview"))
    overview.tables.append(_table(
        "entries_by_month", _("Entries per month by type"), _("Month"), months, month_labels, types, type_labels,
        facts.count(lambda d: (d[1], d[0])), t, keep_empty_rows=True))
    lang_counts = facts.mentions("languages", lambda d: (d[5], d[0]))
    lang_codes = codes(catalogs, "languages", {k[0] for k in lang_counts})
    overview.tables.append(_table(
        "languages_by_type", _("Languages used, by type of entry"), _("Language"), lang_codes,
        [_label(catalogs, "languages", c) for c in lang_codes], types, type_labels, lang_counts, t, _(MULTI_NOTE)))
    report.sections.append(overview)

    # -- language and culture mediation (consultations)
    mediation = Section("mediation", _("Language and culture mediation"))
    settings = codes(catalogs, "settings", {d[3] for d in facts.cube if is_c(d)})
    setting_labels = [_label(catalogs, "settings", c) for c in settings]
    mediation.tables.append(_table(
        "consultations_by_month", _("Consultations per month by place"), _("Month"), months, month_labels,
        settings, setting_labels, facts.count(lambda d: (d[1], d[3]), where=is_c), t, keep_empty_rows=True))
    topic_counts = facts.mentions("topics", lambda d: (d[5], d[1]), where=is_c)
    topic_codes = codes(catalogs, "topics", {k[0] for k in topic_counts})
    mediation.tables.append(_table(
        "consultation_topics", _("Consultation topics by place"), _("Topic"), topic_codes,
        [_label(catalogs, "topics", c) for c in topic_codes], settings, setting_labels, topic_counts, t,
        _(MULTI_NOTE)))
    district_counts = facts.count(lambda d: (d[5], d[3]), where=is_c)
    districts_c = codes(catalogs, "districts", {k[0] for k in district_counts})
    mediation.tables.append(_table(
        "consultations_by_district", _("Consultations per district by place"), _("District"), districts_c,
        [_label(catalogs, "districts", c) for c in districts_c], settings, setting_labels, district_counts, t))
    services = {(k[0], "referral"): n for k, n in
                facts.mentions("referrals", lambda d: (d[5],), where=is_c).items()}
    # An accompaniment is a consultation whose setting says so (docs/reports.md); an office
    # consultation that also names an office (an import allows it) is not one.
    accompanied = facts.count(lambda d: (d[4],), where=lambda d: is_c(d) and d[3] == ACCOMPANIMENT and d[4])
    for (service,), n in accompanied.items():
        services[(service, "accompaniment")] = n
    service_codes = codes(catalogs, "services", {k[0] for k in services})
    mediation.tables.append(_table(
        "referrals_by_service", _("Referrals and accompaniments by service"), _("Service"), service_codes,
        [_label(catalogs, "services", c) for c in service_codes], ["referral", "accompaniment"],
        [_("Referrals"), _("Accompaniments")], services, t, _(MULTI_NOTE)))
    report.sections.append(mediation)

    # -- education mediation per school
    education = Section("education", _("Education mediation per school"))
    format_codes = ["tandem", "tridem"]
    format_labels = [_(FORMAT_LABELS[f]) for f in format_codes]
    school_counts = facts.count(lambda d: (d[6], d[7]), where=is_t)
    schools = codes(catalogs, "schools", {k[0] for k in school_counts})
    school_labels = [_label(catalogs, "schools", c) for c in schools]
    education.tables.append(_table(
        "sessions_by_school", _("Tandem and tridem sessions per school"), _("School"), schools, school_labels,
        format_codes, format_labels, school_counts, t))
    school_topic_counts = facts.mentions("topics", lambda d: (d[3], d[5]), where=is_t)
    school_topics = codes(catalogs, "school_topics", {k[1] for k in school_topic_counts})
    education.tables.append(_table(
        "school_topics_by_school", _("School topics per school"), _("School"), schools, school_labels,
        school_topics, [_label(catalogs, "school_topics", c) for c in school_topics], school_topic_counts, t,
        _(MULTI_NOTE)))
    reached = {}
    for measure, column in ((MEASURE_PUPILS, "pupils"), (MEASURE_FAMILIES, "families")):
        for (school,), n in facts.count(lambda d: (d[6],), where=is_t, measure=measure).items():
            reached[(school, column)] = n
    education.tables.append(_table(
        "pupils_families_by_school", _("Pupils and families involved per school"), _("School"), schools,
        school_labels, ["pupils", "families"], [_("Pupils"), _("Families")], reached, t,
        _("Summed over sessions: a pupil in three sessions counts three times.")))
    report.sections.append(education)

    # -- outreach per district
    outreach = Section("outreach", _("Outreach per district"))
    purpose_counts = facts.count(lambda d: (d[5], d[8]), where=is_o)
    districts_o = codes(catalogs, "districts", {k[0] for k in purpose_counts})
    district_labels = [_label(catalogs, "districts", c) for c in districts_o]
    purposes = codes(catalogs, "purposes", {k[1] for k in purpose_counts})
    outreach.tables.append(_table(
        "outreach_by_district_purpose", _("Outreach visits per district and purpose"), _("District"),
        districts_o, district_labels, purposes, [_label(catalogs, "purposes", c) for c in purposes],
        purpose_counts, t))
    partner_counts = facts.mentions("partners", lambda d: (d[2], d[5]), where=is_o)
    partners = codes(catalogs, "partners", {k[1] for k in partner_counts})
    outreach.tables.append(_table(
        "partners_by_district", _("Outreach visits with partners present, per district"), _("District"),
        districts_o, district_labels, partners, [_label(catalogs, "partners", c) for c in partners],
        partner_counts, t, _(MULTI_NOTE)))
    people = {}
    for measure, column in ((MEASURE_ADULTS, "adults"), (MEASURE_CHILDREN, "children")):
        for (district,), n in facts.count(lambda d: (d[5],), where=is_o, measure=measure).items():
            people[(district, column)] = n
    outreach.tables.append(_table(
        "people_reached_by_district", _("People reached by outreach per district"), _("District"), districts_o,
        district_labels, ["adults", "children"], [_("Adults"), _("Children")], people, t,
        _("Summed over visits: a person met twice counts twice.")))
    report.sections.append(outreach)
    return report
