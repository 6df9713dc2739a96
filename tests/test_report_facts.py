"""The narrow reporting tables (migration 0006) are kept exact by triggers on `entries`, whatever
writes: saves, edits, deletions, restores, imports, sync merges and the migration's backfill. Each
test compares what the reports read with the same figures computed from the wide table."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import random
import shutil
from pathlib import Path

from helpers.factories import consultation, outreach, tandem
from helpers.sync_team import make_team, open_team

from app.reports.periods import Period
from app.reports.queries import LIST_COLUMNS, ReportFilter, load_facts, team_members
from app.services.demo import fill_demo

ALL_TIME = Period(dt.date(1990, 1, 1), dt.date(2100, 12, 31))


def reference(journal, flt: ReportFilter) -> tuple[dict, dict]:
    """The same figures straight from `entries` (the slow way the reports used to go)."""
    where = ["deleted_at IS NULL", "day BETWEEN ? AND ?"]
    params: list = [flt.period.first.isoformat(), flt.period.last.isoformat()]
    for column, wanted in (("author", flt.authors), ("type", flt.types)):
        if wanted:
            where.append(f"{column} IN ({', '.join('?' * len(wanted))})")
            params.extend(wanted)
    condition = " AND ".join(where)
    with journal.engine.connect() as conn:
        cube = {tuple(r[:9]): [int(v or 0) for v in r[9:]] for r in conn.exec_driver_sql(
            "SELECT type, substr(day, 1, 7), date(day, 'weekday 0', '-6 days'), setting, accompanied_to, district, "
            "school, format, purpose, count(*), sum(pupils_count), sum(families_count), sum(adults_reached), "
            f"sum(children_reached) FROM entries WHERE {condition} GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9",
            tuple(params))}
        lists: dict = {}
        for row in conn.exec_driver_sql(f"SELECT seq, type, setting, district, school, {', '.join(LIST_COLUMNS)} "
                                        f"FROM entries WHERE {condition}", tuple(params)):
            for i, column in enumerate(LIST_COLUMNS):
                for code in set(json.loads(row[5 + i])):
                    # lists break down by one place per type: setting, district or school
                    kind, setting, district, school = row[1:5]
                    key = (kind, setting if kind == "consultation" else None,
                           district if kind == "outreach_visit" else None,
                           school if kind == "tandem_session" else None, column, code)
                    lists[key] = lists.get(key, 0) + 1
    return cube, lists


def assert_facts_match(journal, **criteria) -> None:
    flt = ReportFilter(criteria.pop("period", ALL_TIME), **criteria)
    facts = load_facts(journal.engine, flt)
    cube, lists = reference(journal, flt)
    assert facts.cube == cube
    assert facts.lists == lists


def test_every_kind_of_write_keeps_the_report_tables_exact(journal):
    fill_demo(journal, entries=300, seed=3)
    assert_facts_match(journal)
    rng = random.Random(7)
    rows = journal.list_entries(limit=300)
    for row in rng.sample(rows, 40):  # edits of reported and unreported fields
        entry = journal.get_entry(row.id)
        if entry.type == "consultation":
            entry = dataclasses.replace(entry, topics=["housing", "debts"], languages=["ro"], district="haspe",
                                        notes="geändert")
        elif entry.type == "tandem_session":
            entry = dataclasses.replace(entry, pupils_count=3, format="tridem", social_worker="SSA")
        else:
            entry = dataclasses.replace(entry, adults_reached=11, partners=["district_police"])
        journal.save_entry(entry)
    for row in rng.sample(rows, 20):
        journal.delete_entry(row.id)
    deleted = journal.list_entries(limit=1)[0]
    gone = journal.delete_entry(deleted.id)
    journal.restore_entry(gone)
    for factory in (consultation, tandem, outreach):
        journal.save_entry(factory())
    assert_facts_match(journal)
    assert_facts_match(journal, types=("consultation",))
    assert_facts_match(journal, authors=(journal.user_name,))
    assert_facts_match(journal, authors=("nobody",))
    assert_facts_match(journal, period=Period(dt.date(2025, 1, 1), dt.date(2025, 6, 30)))
    today = dt.date.today()  # a short period is read by its day range, a long one through the covering index
    month = Period(today - dt.timedelta(days=30), today)
    assert_facts_match(journal, period=month)
    assert load_facts(journal.engine, ReportFilter(month)).total_entries() > 0
    assert team_members(journal.engine) == [journal.user_name]


def test_writes_with_conflict_clauses_keep_them_exact_too(journal):
    """SQLite lets an outer statement's conflict clause override those inside triggers: an upsert
    or INSERT OR REPLACE into entries must neither fail nor renumber codes."""
    fill_demo(journal, entries=40, seed=4)
    columns = [c for c in raw_columns(journal) if c != "seq"]
    names = ", ".join(f'"{c}"' for c in columns)
    with journal.engine.begin() as conn:
        rows = conn.exec_driver_sql(f"SELECT {names} FROM entries LIMIT 10").fetchall()
        changed = [tuple('["ro","ro","bg"]' if c == "languages" else v for c, v in zip(columns, r)) for r in rows]
        conn.exec_driver_sql(
            f"INSERT INTO entries ({names}) VALUES ({', '.join('?' * len(columns))}) ON CONFLICT(id) DO UPDATE SET "
            "languages = excluded.languages, district = 'haspe'", changed)
        conn.exec_driver_sql(f"INSERT OR REPLACE INTO entries ({names}) VALUES ({', '.join('?' * len(columns))})",
                             [tuple(r) for r in rows[:3]])
    assert_facts_match(journal)


def raw_columns(journal) -> list[str]:
    with journal.engine.connect() as conn:
        return [r[1] for r in conn.exec_driver_sql("PRAGMA table_info(entries)")]


def test_sync_merges_and_erasures_keep_them_exact(tmp_path):
    team = open_team(make_team(tmp_path / "template", 2), tmp_path / "team")
    try:
        laptop = team.journals["laptop-1"]
        client = laptop.save_client(laptop.new_client())
        for n in range(5):
            laptop.save_entry(consultation(notes=f"Beratung {n}", client_ids=[client.id], topics=["work"]))
        team.sync("laptop-1").export_bundles()
        team.sync("lead").import_paths([team.sync_dir])
        lead = team.journals["lead"]
        assert lead.count_entries() == 5
        assert_facts_match(lead)
        # edits of reported and unreported fields and a deletion, merged in bulk on the lead, onto
        # an entry the lead changed too and has not reported on since (noted as stale)
        first, second, third = laptop.all_entries()[:3]
        lead.save_entry(dataclasses.replace(lead.get_entry(first.id), start=first.start - dt.timedelta(days=40),
                                            end=None, topics=["school"]))
        assert stale(lead) == 1
        laptop.save_entry(dataclasses.replace(first, topics=["housing", "debts"], district="haspe"))
        laptop.save_entry(dataclasses.replace(second, notes="nur die Notiz"))
        laptop.delete_entry(third.id)
        team.sync("laptop-1").export_bundles()
        report = team.sync("lead").import_paths([team.sync_dir])
        assert [r.status for r in report.results if r.status == "imported"] == ["imported"]
        # the merge writes no reporting rows: it notes the entries whose reported values changed, as a
        # save does (the one noted before keeps the day its rows are filed under), and the next read counts them
        assert stale(lead) == 2, "the lead's edited entry (noted before, edited again) and the deleted one"
        assert lead.count_entries() == 4
        assert_facts_match(lead)
        assert stale(lead) == 0
        with lead.engine.connect() as conn:
            assert conn.exec_driver_sql("SELECT count(*) FROM report_pause").scalar() == 0
        team.sync("lead").erase_client(client.id)
        assert_facts_match(lead)
        assert load_facts(lead.engine, ReportFilter(ALL_TIME)).cube == {}
    finally:
        team.close()


def stale(journal) -> int:
    with journal.engine.connect() as conn:
        return conn.exec_driver_sql("SELECT count(*) FROM report_stale").scalar()


def reported_rows(journal) -> int:
    with journal.engine.connect() as conn:
        return conn.exec_driver_sql("SELECT count(*) FROM report_facts").scalar()


def test_a_save_only_notes_its_entry_and_the_next_report_counts_it(journal):
    """A save writes the entry's own pages only (migration 0008); reading a report catches up."""
    fill_demo(journal, entries=60, seed=5)
    assert stale(journal) == 0, "a bulk write brings its reporting rows up to date itself"
    assert_facts_match(journal)
    before = reported_rows(journal)
    saved = journal.save_entry(consultation(topics=["housing"]))
    assert (reported_rows(journal), stale(journal)) == (before, 1)
    # moved to other days twice, and another entry moved and then deleted, before anyone reads
    for days in (3, 9):
        journal.save_entry(dataclasses.replace(journal.get_entry(saved.id), start=saved.start - dt.timedelta(days=days),
                                               end=None, topics=["debts"]))
    other = journal.get_entry(journal.list_entries(limit=10)[5].id)
    journal.save_entry(dataclasses.replace(other, start=other.start - dt.timedelta(days=20), end=None))
    journal.delete_entry(other.id)
    journal.save_entry(dataclasses.replace(journal.get_entry(journal.list_entries(limit=10)[7].id), notes="nur Text"))
    assert stale(journal) == 2, "a note-only edit is nothing to report"
    assert_facts_match(journal)
    assert stale(journal) == 0 and reported_rows(journal) == before
    assert team_members(journal.engine) == [journal.user_name]


def test_an_import_brings_its_reporting_rows_up_to_date_itself(journal, tmp_path):
    from app.services.transfer import export_text, import_file

    fill_demo(journal, entries=30, seed=6)
    journal.save_entry(consultation(topics=["housing"]))
    exported = tmp_path / "all.jsonl"
    exported.write_text(export_text(journal, "jsonl"), encoding="utf-8")
    fresh_rows = [json.loads(line) for line in exported.read_text(encoding="utf-8").splitlines()]
    for row in [r for r in fresh_rows if r["type"] == "consultation"][:5]:
        row["topics"] = ["debts"]
    exported.write_text("\n".join(json.dumps(r) for r in fresh_rows), encoding="utf-8")
    assert stale(journal) == 1
    assert import_file(journal, exported).updated == 5
    assert stale(journal) == 0
    assert_facts_match(journal)


def test_the_migration_fills_them_for_an_older_journal(data_dir):
    from app.services.stores import open_store

    source = Path(__file__).parent / "fixtures" / "stores" / "schema-0005"
    for file in source.iterdir():
        shutil.copy2(file, data_dir / file.name)
    journal = open_store(data_dir / "journal.db", "fixture passphrase")
    try:
        facts = load_facts(journal.engine, ReportFilter(ALL_TIME))
        assert facts.total_entries() == 3
        assert_facts_match(journal)
    finally:
        journal.close()


def test_the_report_query_threads_start_when_asked_and_stay():
    """The dashboard starts them on the UI thread before it is shown; reports never start more."""
    import threading

    from app.reports.queries import start_query_threads

    start_query_threads()
    names = sorted(t.name for t in threading.enumerate() if t.name.startswith("mediatorlog-report"))
    assert len(names) == 2
    start_query_threads()
    assert sorted(t.name for t in threading.enumerate() if t.name.startswith("mediatorlog-report")) == names
