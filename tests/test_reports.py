"""Reports: a known dataset gives known numbers in XLSX, CSV and PDF; no name, client code or
note ever reaches a report; labels in each language; the command line; periods."""

from __future__ import annotations

import csv
import datetime as dt
import io
import shutil
import subprocess
import zipfile

import pytest
from helpers.factories import PASSPHRASE, PYTHON, consultation, outreach, subprocess_env, tandem

from app.domain.entries import Client
from app.i18n import LANGUAGES, _, set_language
from app.reports.periods import MONTH, SCHOOL_YEAR, WEEK, Period, period_of, recognised, school_year_of
from app.reports.suppression import audit
from app.reports.writers import write_csv, write_pdf, write_xlsx
from app.services.reports import make_report, report_for

MARCH = Period(dt.date(2025, 3, 1), dt.date(2025, 3, 31), MONTH)
NOW = dt.datetime(2025, 6, 30, 12, 0)
CREATED = dt.datetime(2025, 4, 2, 9, 15)
# Distinctive personal data that must never appear in any report
SECRETS = ["Zamfira Quixbrandt", "ZQ-SECRET-9", "Notiz Quellwasser geheim", "Rueckruf Frau Yppsilanti",
           "Herr Kowalczyk-Vrabie", "+49 170 5550123", "Wexford Mediatorin"]


def at(day: int, hour: int = 9) -> dict:
    start = dt.datetime(2025, 3, day, hour, 0)
    return {"start": start, "end": start + dt.timedelta(minutes=45)}


@pytest.fixture
def known(journal):
    """19 consultations, 18 school sessions and 13 outreach visits in March 2025, one
    consultation in April (outside the period) and one deleted entry."""
    client = journal.save_client(Client(code="ZQ-SECRET-9", name="Zamfira Quixbrandt", contact="+49 170 5550123",
                                        notes="Notiz Quellwasser geheim"), today=NOW.date())
    secret = dict(notes="Notiz Quellwasser geheim", follow_up="Rueckruf Frau Yppsilanti", mediator="Wexford Mediatorin",
                  client_ids=[client.id])
    saved = []
    for i in range(10):
        saved.append(consultation(**at(3 + i % 5), setting="office", district="mitte", languages=["ro"],
                                  topics=["housing"], referrals=["jobcentre"], **secret))
    for i in range(6):
        saved.append(consultation(**at(10 + i), setting="infopoint", district="wehringhausen",
                                  languages=["bg", "de"], topics=["work", "housing"], **secret))
    for i in range(3):
        saved.append(consultation(**at(20 + i), setting="phone", district="mitte", languages=["rom"],
                                  topics=["health"], referrals=["health_office"], **secret))
    for i in range(6):
        saved.append(tandem(**at(4 + i), school="gs1", format="tandem", teacher="Herr Kowalczyk-Vrabie",
                            pupils_count=2, families_count=1, notes="Notiz Quellwasser geheim"))
    for i in range(5):
        saved.append(tandem(**at(11 + i), school="gs1", format="tridem", teacher="KL 3b",
                            social_worker="Herr Kowalczyk-Vrabie", pupils_count=2, families_count=1))
    for i in range(7):
        saved.append(tandem(**at(17 + i), school="gs2", format="tandem", pupils_count=2, families_count=1))
    for i in range(8):
        saved.append(outreach(**at(2 + i, 15), district="wehringhausen", purpose="prevention",
                              partners=["district_police"], adults_reached=7, children_reached=3,
                              notes="Notiz Quellwasser geheim"))
    for i in range(5):
        saved.append(outreach(**at(12 + i, 15), district="altenhagen", purpose="contact", partners=[],
                              adults_reached=4, children_reached=0))
    for entry in saved:
        journal.save_entry(entry, now=NOW)
    april = consultation(start=dt.datetime(2025, 4, 1, 9, 0), end=dt.datetime(2025, 4, 1, 10, 0))
    journal.save_entry(april, now=NOW)
    gone = journal.save_entry(consultation(**at(28)), now=NOW)
    journal.delete_entry(gone.id)
    return journal


def table(report, key):
    return next(t for t in report.tables() if t.key == key)


def cell(t, row_label, column_label) -> str:
    return t.text(t.row_labels().index(row_label), t.column_labels().index(column_label))


def test_known_numbers_in_the_report_model(known):
    report = report_for(known, MARCH, created=CREATED)
    assert report.entries == 50  # April and the deleted entry are not counted
    months = table(report, "entries_by_month")
    assert [months.text(0, c) for c in range(4)] == ["19", "18", "13", "50"]
    schools = table(report, "sessions_by_school")
    assert cell(schools, "Primary school 1", "Tandem (mediator and teacher)") == "6"
    assert cell(schools, "Primary school 1", "Tridem (with school social worker)") == "5"
    assert cell(schools, "Primary school 2", "Total") == "7"
    assert cell(schools, "Total", "Total") == "18"
    pupils = table(report, "pupils_families_by_school")
    assert cell(pupils, "Primary school 1", "Pupils") == "22" and cell(pupils, "Total", "Families") == "18"
    visits = table(report, "outreach_by_district_purpose")
    assert cell(visits, "Wehringhausen", "Prevention before events or holidays") == "8"
    assert cell(visits, "Altenhagen", "Contact and information") == "5"
    people = table(report, "people_reached_by_district")
    assert cell(people, "Wehringhausen", "Adults") == "56" and cell(people, "Total", "Total") == "100"
    languages = table(report, "languages_by_type")
    assert cell(languages, "Romanian", "Consultation") == "10"
    assert cell(languages, "Romani", "Consultation") == "<5"  # three consultations
    # the three phone consultations are a small count; their cells and enough others are hidden
    places = table(report, "consultations_by_month")
    assert cell(places, "March 2025", "Phone") == "<5"
    for t in report.tables():
        assert t.grid.withheld or audit(t.grid, t.threshold) == [], t.key


def test_xlsx_has_a_sheet_per_section_and_the_same_cells(known):
    from openpyxl import load_workbook

    report = report_for(known, MARCH, created=CREATED)
    book = load_workbook(io.BytesIO(write_xlsx(report)))
    assert len(book.sheetnames) == 1 + len(report.sections)
    assert book.sheetnames[1:] == [s.title for s in report.sections]
    for section in report.sections:
        sheet = book[section.title]
        rows = [[c for c in row] for row in sheet.iter_rows(values_only=True)]
        for t in section.tables:
            start = next(i for i, row in enumerate(rows) if row[0] == t.title)
            assert list(rows[start + 1][: len(t.columns) + 2]) == [t.row_title, *t.column_labels()]
            for r, label in enumerate(t.row_labels()):
                row = rows[start + 2 + r]
                assert row[0] == label
                for c in range(len(t.columns) + 1):
                    value = t.value(r, c)
                    assert row[c + 1] == (value if value is not None else t.text(r, c))
    months = book[report.sections[0].title]
    numbers = [c for c in months.iter_rows(min_row=5, max_row=5, values_only=True)][0]
    assert numbers[:5] == ("March 2025", 19, 18, 13, 50)
    number_cell = months.cell(row=5, column=2)
    assert number_cell.data_type == "n" and number_cell.number_format == "#,##0"


def test_csv_reads_back_with_the_same_cells(known):
    report = report_for(known, MARCH, created=CREATED)
    text = write_csv(report).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    for t in report.tables():
        start = next(i for i, row in enumerate(rows) if len(row) == 2 and row[1] == t.title)
        assert rows[start + 1] == [t.row_title, *t.column_labels()]
        for r, label in enumerate(t.row_labels()):
            assert rows[start + 2 + r] == [label, *(t.text(r, c) for c in range(len(t.columns) + 1))]
    assert ["March 2025", "19", "18", "13", "50"] in rows
    assert text.count("\r\n") >= len(rows)


def pdf_text(data: bytes) -> str:
    from pypdf import PdfReader

    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def test_pdf_has_numbers_period_creation_date_and_page_numbers(known, tmp_path):
    report = report_for(known, MARCH, created=CREATED)
    data = write_pdf(report)
    text = pdf_text(data)
    assert "01/03/2025 – 31/03/2025" in text and "02/04/2025, 09:15" in text
    from pypdf import PdfReader

    pages = len(PdfReader(io.BytesIO(data)).pages)
    assert pages >= 4 and f"Page {pages} of {pages}" in text
    assert "Primary school 1 6 5 11" in text.replace("\n", " ")
    assert "March 2025 19 18 13 50" in text.replace("\n", " ")
    if shutil.which("pdftoppm"):  # CI installs poppler-utils: the PDF really renders
        (tmp_path / "r.pdf").write_bytes(data)
        subprocess.run(["pdftoppm", "-r", "40", "-png", "-f", "1", "-l", "1", str(tmp_path / "r.pdf"),
                        str(tmp_path / "page")], check=True, timeout=60)
        png = next(tmp_path.glob("page*.png"))
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 5000


def test_no_names_codes_or_notes_in_any_report(known):
    for language in ("de", "ro"):
        set_language(language)
        report = report_for(known, MARCH, created=CREATED)
        outputs = {"csv": write_csv(report).decode("utf-8-sig")}
        with zipfile.ZipFile(io.BytesIO(write_xlsx(report))) as archive:
            outputs["xlsx"] = "".join(archive.read(n).decode("utf-8", "replace") for n in archive.namelist())
        pdf = write_pdf(report)
        outputs["pdf"] = pdf_text(pdf) + pdf.decode("latin-1")
        for name, text in outputs.items():
            for secret in SECRETS:
                assert secret not in text, (name, secret)
                assert secret.split()[-1] not in text, (name, secret)
    set_language("en")


@pytest.mark.parametrize("language", [x for x in LANGUAGES if x != "en"])
def test_report_in_each_language(known, language):
    set_language(language)
    expected = [_("Consultation"), _("Total"), known.catalogs.label("districts", "wehringhausen"),
                known.catalogs.label("schools", "gs1"), known.catalogs.label("languages", "ro")]
    report = report_for(known, MARCH, created=CREATED)
    text = write_csv(report).decode("utf-8-sig")
    for label in expected:
        assert label in text
    assert _("Consultation") != "Consultation"  # the catalog really translated it
    assert known.catalogs.label("schools", "gs1") in pdf_text(write_pdf(report)).replace("\n", " ")
    set_language("en")


@pytest.mark.parametrize("language", LANGUAGES)
def test_pdf_column_headers_keep_their_words_whole_in_every_language(known, language):
    """reportlab cuts a word that is wider than its column ("Hausbesu-ch"): every header word of
    every table must fit its column at the header size the layout chose."""
    from reportlab.pdfbase.pdfmetrics import stringWidth

    from app.reports.writers import CELL_PADDING, FONT_BOLD, PAGE_WIDTH, table_layout

    set_language(language)
    try:
        report = report_for(known, Period(dt.date(2025, 8, 1), dt.date(2026, 7, 31)), created=CREATED)
        tables = [table for section in report.sections for table in section.tables]
        assert len(tables) > 5
        for table in tables:
            first, widths, size = table_layout(table, PAGE_WIDTH)
            assert abs(first + sum(widths) - PAGE_WIDTH) < 0.01
            assert 5.5 <= size <= 7.5
            for label, width in zip(table.column_labels(), widths):
                for word in label.split():
                    assert stringWidth(word, FONT_BOLD, size) <= width - 2 * CELL_PADDING + 0.01, (table.title, word)
    finally:
        set_language("en")


def test_school_year_and_other_periods():
    assert school_year_of(dt.date(2025, 7, 31)) == Period(dt.date(2024, 8, 1), dt.date(2025, 7, 31), SCHOOL_YEAR)
    assert school_year_of(dt.date(2025, 8, 1)).first == dt.date(2025, 8, 1)
    assert period_of(WEEK, dt.date(2025, 3, 12)) == Period(dt.date(2025, 3, 10), dt.date(2025, 3, 16), WEEK)
    assert period_of("quarter", dt.date(2025, 11, 30)).first == dt.date(2025, 10, 1)
    assert period_of(MONTH, dt.date(2024, 2, 10)).last == dt.date(2024, 2, 29)
    assert recognised(Period(dt.date(2025, 8, 1), dt.date(2026, 7, 31))).kind == SCHOOL_YEAR
    assert school_year_of(dt.date(2026, 1, 5)).label() == "School year 2025/26"
    assert period_of(MONTH, dt.date(2025, 12, 5)).shifted(1).first == dt.date(2026, 1, 1)


def test_make_report_writes_a_complete_file(known, tmp_path):
    out = tmp_path / "r.xlsx"
    make_report(known, MARCH, "xlsx", out, created=CREATED)
    assert zipfile.is_zipfile(out)


def run_cli(data_dir, *args):
    return subprocess.run([PYTHON, "-m", "app", *args], capture_output=True, text=True, timeout=120,
                          env=subprocess_env(data_dir, MEDIATORLOG_PASSPHRASE=PASSPHRASE))


def test_cli_report_in_german_by_default_and_bad_dates(known, store_path, data_dir, tmp_path):
    known.close()
    out = tmp_path / "r.csv"
    done = run_cli(data_dir, "report", "--store", str(store_path), "--from", "2025-03-01", "--to", "2025-03-31",
                   "--format", "csv", "--out", str(out))
    assert done.returncode == 0, done.stderr
    text = out.read_text(encoding="utf-8-sig")
    assert "Beratung" in text and "März 2025,19,18,13,50" in text
    # a German report names months and dates the German way
    assert "Zeitraum,März 2025 (01.03.2025 – 31.03.2025)" in text
    for bad in (["--from", "2025-02-30", "--to", "2025-03-31"], ["--from", "2025-03-31", "--to", "2025-03-01"],
                ["--from", "yesterday", "--to", "2025-03-01"],
                ["--from", "0001-01-01", "--to", "2025-03-31"], ["--from", "2025-03-01", "--to", "9999-12-31"]):
        done = run_cli(data_dir, "report", "--store", str(store_path), *bad, "--format", "pdf",
                       "--out", str(tmp_path / "bad.pdf"))
        assert done.returncode == 1 and done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
        assert not (tmp_path / "bad.pdf").exists()
    done = run_cli(data_dir, "report", "--store", str(store_path), "--from", "2025-03-01", "--to", "2025-03-31",
                   "--format", "pdf", "--out", str(tmp_path / "r.pdf"), "--lang", "bg")
    assert done.returncode == 0 and (tmp_path / "r.pdf").read_bytes()[:5] == b"%PDF-"
    # The report's --lang is the report's; messages stay in the command line's language.
    assert done.stderr.startswith("Wrote the report to "), done.stderr
    done = run_cli(data_dir, "report", "--store", str(store_path), "--from", "2025-03-01", "--to", "2025-03-31",
                   "--format", "csv", "--out", str(tmp_path / "t1.csv"), "--threshold", "1")
    assert done.returncode == 1 and "at least 2" in done.stderr  # 1 would hide nothing at all
    done = run_cli(data_dir, "report", "--store", str(store_path), "--from", "2025-02-30", "--to", "2025-03-31",
                   "--format", "csv", "--out", str(tmp_path / "r2.csv"), "--lang", "bg")
    assert done.returncode == 1 and "not a date" in done.stderr


def test_a_period_recognised_near_the_calendars_ends_is_just_a_period():
    import datetime as dt

    from app.reports.periods import CUSTOM, Period, recognised

    for first, last in ((dt.date(1, 1, 1), dt.date(2026, 11, 21)), (dt.date(2026, 1, 1), dt.date(9999, 12, 31))):
        assert recognised(Period(first, last, CUSTOM)).kind == CUSTOM


def test_a_pdf_over_several_years_is_written(journal):
    """Five years of months made a bar chart taller than a page: reportlab raised LayoutError."""
    from app.reports.periods import CUSTOM, Period

    for year in range(2020, 2026):
        for month in range(1, 13):
            for day in range(1, 6):  # five a month: the monthly totals are printed, so they get a chart
                journal.save_entry(consultation(start=dt.datetime(year, month, day, 9),
                                                end=dt.datetime(year, month, day, 10)))
    report = report_for(journal, Period(dt.date(2020, 1, 1), dt.date(2025, 12, 31), CUSTOM), created=CREATED)
    data = write_pdf(report)
    assert data[:5] == b"%PDF-" and "January 2020" in pdf_text(data) and "December 2025" in pdf_text(data)


def test_only_consultations_held_as_accompaniments_count_as_accompaniments(journal):
    """An office consultation that also names an office (an import allows it) was counted as an
    accompaniment, in the report and on the dashboard."""
    for setting in ("accompaniment",) * 6 + ("office",) * 6:
        journal.save_entry(consultation(setting=setting, accompanied_to="jobcentre",
                                        start=dt.datetime(2025, 3, 10, 9), end=dt.datetime(2025, 3, 10, 10)))
    report = report_for(journal, MARCH, created=CREATED, threshold=1)
    services = table(report, "referrals_by_service")
    assert cell(services, "Jobcentre (SGB II)", "Accompaniments") == "6"
