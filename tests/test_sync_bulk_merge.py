"""The bulk paths of a sync merge on the team lead: the reporting rows of the merged entries,
written where they differ by the first read after the merge (reporting.catch_up), must be exactly
the rows the triggers of migration 0006 would hold, whatever mix of edits (list-only edits, edits
of coded fields, day changes, deletions, restores, new entries, edits that win and edits that lose
against the lead's own) one bundle carries; and the clock text written directly is the JSON the
general encoder writes."""

from __future__ import annotations

import dataclasses
import datetime as dt
import importlib
import json

import pytest
from helpers.factories import consultation, outreach, tandem
from helpers.sync_team import make_team, open_team

from app.reports.queries import catch_up
from app.store import search_index
from app.store.schema import FTS_CREATE
from app.sync.replica import _clocks_json

REPORT_TABLES = ("report_facts", "report_mentions", "report_codes")


def report_rows(journal) -> dict[str, list]:
    """The reporting tables as a report reads them: after catching up what was noted as stale."""
    catch_up(journal.engine)
    with journal.engine.connect() as conn:
        return {t: sorted(conn.exec_driver_sql(f"SELECT * FROM {t}").fetchall()) for t in REPORT_TABLES}


def rebuilt_report_rows(journal) -> dict[str, list]:
    """What the migration's backfill (the triggers' computation, set-based) makes of `entries`."""
    backfill = importlib.import_module("app.store.migrations.versions.0006_report_facts").BACKFILL
    with journal.engine.connect() as conn:
        with conn.begin() as tx:
            conn.exec_driver_sql("DELETE FROM report_mentions")
            conn.exec_driver_sql("DELETE FROM report_facts")
            for statement in backfill:
                conn.exec_driver_sql(statement)
            rows = {t: sorted(conn.exec_driver_sql(f"SELECT * FROM {t}").fetchall()) for t in REPORT_TABLES}
            tx.rollback()
    return rows


def assert_index_matches_entries(journal) -> None:
    """The full-text index finds what an index built afresh from the live entries finds, word for
    word: one row per live entry, under its current key (type, start, seq), with its current text."""
    import re

    import sqlcipher3

    with journal.engine.connect() as conn:
        live = conn.exec_driver_sql(
            "SELECT seq, type, start, notes, follow_up FROM entries WHERE deleted_at IS NULL").fetchall()
        expected = {search_index.key(s, t, start): search_index.body(n, f) for s, t, start, n, f in live}
        assert {r[0] for r in conn.exec_driver_sql("SELECT id FROM entries_fts_docsize")} == set(expected)
        fresh = sqlcipher3.connect(":memory:")
        try:
            fresh.execute(FTS_CREATE)
            fresh.executemany("INSERT INTO entries_fts (rowid, body) VALUES (?, ?)", expected.items())
            for word in sorted({w for text in expected.values() for w in re.findall(r"\w+", text)}):
                query = "SELECT rowid FROM entries_fts WHERE entries_fts MATCH ? ORDER BY rowid"
                assert conn.exec_driver_sql(query, (f'"{word}"',)).fetchall() == \
                    fresh.execute(query, (f'"{word}"',)).fetchall(), word
        finally:
            fresh.close()


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    return make_team(tmp_path_factory.mktemp("team"), 1)


def test_a_mixed_bundle_leaves_exactly_the_rows_the_triggers_would_write(template, tmp_path):
    team = open_team(template, tmp_path / "team")
    try:
        laptop, lead = team.journals["laptop-1"], team.journals["lead"]
        made = [laptop.save_entry(consultation(topics=["housing", "work"], languages=["ro", "bg"],
                                               start=dt.datetime(2025, 3, 1 + n, 9, 30),
                                               end=dt.datetime(2025, 3, 1 + n, 10, 0)))
                for n in range(8)]
        made.append(laptop.save_entry(tandem()))
        made.append(laptop.save_entry(outreach()))
        team.sync("laptop-1").export_bundles()
        team.sync("lead").import_paths([team.sync_dir])
        assert report_rows(lead) == rebuilt_report_rows(lead)
        for f in team.sync_dir.iterdir():
            f.unlink()

        # The lead edits two of them first: the laptop's later edit of one wins, of the other loses.
        lead_view = {e.id: e for e in lead.all_entries()}
        lead.save_entry(dataclasses.replace(lead_view[made[6].id], topics=["debts"]))
        lead.save_entry(dataclasses.replace(lead_view[made[7].id], topics=["school"]),
                        now=dt.datetime(2099, 1, 1, 12))
        a, b, c, d, e, f, g, h, t, o = made
        laptop.save_entry(dataclasses.replace(a, topics=["housing", "work", "debts"]))  # a list gains a code
        laptop.save_entry(dataclasses.replace(b, topics=["work"], languages=["bg", "ro"]))  # drops one, reorders
        laptop.save_entry(dataclasses.replace(c, setting="home_visit", topics=["work"]))  # the place changes
        laptop.save_entry(dataclasses.replace(d, start=dt.datetime(2025, 5, 2, 9, 0),
                                                  end=dt.datetime(2025, 5, 2, 9, 30)))  # the day changes
        laptop.delete_entry(e.id)
        gone = laptop.delete_entry(f.id)
        laptop.restore_entry(gone)
        laptop.save_entry(dataclasses.replace(g, topics=["family"]))  # against the lead's edit
        laptop.save_entry(dataclasses.replace(h, topics=["health"]))
        laptop.save_entry(dataclasses.replace(t, pupils_count=5, topics=["attendance", "enrolment"]))
        laptop.save_entry(dataclasses.replace(o, notes="nur die Notiz"))  # nothing reported changes
        for n in range(3):
            laptop.save_entry(consultation(topics=["work", "neighbourhood"], start=dt.datetime(2025, 6, 1 + n, 9, 0),
                                           end=dt.datetime(2025, 6, 1 + n, 9, 30)))
        team.sync("laptop-1").export_bundles()
        [result] = team.sync("lead").import_paths([team.sync_dir]).results
        assert result.status == "imported" and result.conflicts >= 1  # the concurrent topics edits
        assert report_rows(lead) == rebuilt_report_rows(lead)
        assert_index_matches_entries(lead)  # d moved: its row is keyed by the new start
        with lead.engine.connect() as conn:
            assert conn.exec_driver_sql("SELECT count(*) FROM report_pause").scalar() == 0
    finally:
        team.close()


@pytest.mark.parametrize("clocks", [
    {},
    {"*": [1, "ab12", 0, 3]},
    {"*": [7 << 16, "dev-1", 0, 1], "notes": [8 << 16, "dev-2", 7 << 16, 4], "_erased": [9, "x", 0, 5]},
    {"*": [1, 'quote " and ü', 0, 3]},
    {"ü": [1, "a", 0, 2], "": [1, "", 0, 2]},
    {"x": [True, "a", 0, 1]},  # not an int: the general encoder
    {"x": [1, None, 0, 1]},
    {"x": [1, "a", 0]},
])
def test_clock_text_is_what_json_writes(clocks):
    assert _clocks_json(clocks) == json.dumps(clocks, separators=(",", ":"))


def test_reading_only_the_columns_a_change_needs_merges_like_reading_whole_rows(template, tmp_path, monkeypatch):
    """The merge reads of an existing entry only the columns its changes need (replica._select_entries).
    The same bundle, merged into two copies of the lead's journal, once like that and once reading
    every column of every row, leaves every table (full-text index included) the same."""
    import shutil

    from helpers.sync_team import dump

    from app.services import stores
    from app.services import sync as sync_service
    from app.store.keyslots import keyslot_path
    from app.sync import replica

    team = open_team(template, tmp_path / "team")
    try:
        laptop, lead = team.journals["laptop-1"], team.journals["lead"]
        made = [laptop.save_entry(consultation(topics=["housing", "work"], start=dt.datetime(2025, 3, 1 + n, 9, 30),
                                               end=dt.datetime(2025, 3, 1 + n, 10, 0), outcome="in_progress"))
                for n in range(9)]
        made.append(laptop.save_entry(tandem()))
        team.sync("laptop-1").export_bundles()
        team.sync("lead").import_paths([team.sync_dir])
        team.sync("lead").export_bundles()
        team.sync("laptop-1").import_paths([team.sync_dir])  # acknowledged: the next bundle holds the edits only
        for f in team.sync_dir.iterdir():
            f.unlink()
        lead_view = {e.id: e for e in lead.all_entries()}
        lead.save_entry(dataclasses.replace(lead_view[made[5].id], notes="Notiz der Leitung"),
                        now=dt.datetime(2099, 1, 1, 12))  # the laptop's edit loses
        lead.save_entry(dataclasses.replace(lead_view[made[6].id], topics=["debts"]))
        a, b, c, d, e, f, g, h, i, t = made
        laptop.save_entry(dataclasses.replace(a, notes="nur die Notiz"))
        laptop.save_entry(dataclasses.replace(b, outcome="referred"))
        laptop.save_entry(dataclasses.replace(c, follow_up_done=True, follow_up="Anrufen"))
        laptop.save_entry(dataclasses.replace(d, topics=["work"], setting="home_visit"))
        laptop.save_entry(dataclasses.replace(e, start=dt.datetime(2025, 5, 2, 9, 0), end=dt.datetime(2025, 5, 2, 9, 30)))
        laptop.save_entry(dataclasses.replace(f, notes="vom Laptop"))
        laptop.save_entry(dataclasses.replace(g, topics=["family"]))
        laptop.delete_entry(h.id)
        gone = laptop.delete_entry(i.id)
        laptop.restore_entry(gone)
        laptop.save_entry(dataclasses.replace(t, pupils_count=5, notes="Elterngespräch"))
        laptop.save_entry(consultation(topics=["work"], start=dt.datetime(2025, 6, 1, 9, 0),
                                       end=dt.datetime(2025, 6, 1, 9, 30)))
        team.sync("laptop-1").export_bundles()
        lead.close()
        copy = lead.path.with_name("lead-copy.db")
        shutil.copy2(lead.path, copy)
        shutil.copy2(keyslot_path(lead.path), keyslot_path(copy))
        monkeypatch.setattr(sync_service, "utc_now", lambda: "2026-11-21T12:00:00.000Z")
        monkeypatch.setattr(replica, "wall_ms", lambda: 1_795_000_000_000)  # when the conflicts are found
        pruned = stores._unlock(lead.path, template.keys["lead"])
        whole = stores._unlock(copy, template.keys["lead"])
        team.journals["lead"] = pruned
        team.journals["lead-copy"] = whole
        [result] = sync_service.SyncService(pruned).import_paths([team.sync_dir]).results
        assert result.status == "imported" and result.conflicts >= 1
        real = replica._select_entries
        monkeypatch.setattr(replica, "_select_entries", lambda conn, groups, everything: real(conn, groups,
                                                                                             everything=True))
        [result] = sync_service.SyncService(whole).import_paths([team.sync_dir]).results
        assert result.status == "imported"
        assert dump(pruned) == dump(whole)
        assert report_rows(pruned) == rebuilt_report_rows(pruned)
    finally:
        team.close()


def test_a_merge_is_found_by_searches_at_once_and_counted_by_the_next_report(template, tmp_path):
    """The merge writes the full-text rows in its transaction (no compaction needed to find them)
    and leaves the reporting rows to the next read, which counts what the merge changed."""
    from app.domain.filters import JournalFilter
    from app.reports.queries import ReportFilter, load_facts
    from app.reports.periods import Period

    team = open_team(template, tmp_path / "team")
    try:
        laptop, lead = team.journals["laptop-1"], team.journals["lead"]
        made = [laptop.save_entry(consultation(notes=f"Wohngeldantrag Nummer {n}", topics=["housing"],
                                               start=dt.datetime(2025, 4, 1 + n, 9, 0),
                                               end=dt.datetime(2025, 4, 1 + n, 9, 30)))
                for n in range(4)]
        laptop.save_entry(dataclasses.replace(made[0], notes="Kindergeld beantragt", topics=["family"]))
        team.sync("laptop-1").export_bundles()
        [result] = team.sync("lead").import_paths([team.sync_dir]).results
        assert result.status == "imported"
        housing = JournalFilter(text="Wohngeldantrag")
        assert lead.count_entries(housing) == 3
        assert {e.id for e in lead.list_entries(housing, limit=50)} == {e.id for e in made[1:]}
        assert [e.id for e in lead.list_entries(JournalFilter(text="Kindergeld"), limit=50)] == [made[0].id]
        facts = load_facts(lead.engine, ReportFilter(Period(dt.date(2025, 4, 1), dt.date(2025, 4, 30))))
        assert facts.total_entries() == 4
        assert report_rows(lead) == rebuilt_report_rows(lead)
    finally:
        team.close()


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_random_merges_and_saves_then_a_report_equal_the_recomputation(template, tmp_path, seed):
    """Rounds of workstation edits merged on the lead, lead saves in between (noted entries that a
    merge then edits again), reports read after some rounds and not others: once caught up, the
    reporting tables always hold what the backfill computes from `entries`."""
    import random

    rng = random.Random(seed)
    team = open_team(template, tmp_path / "team")
    try:
        laptop, lead = team.journals["laptop-1"], team.journals["lead"]
        topics = ["housing", "work", "debts", "family", "school", "health"]
        live = {}
        for _round in range(4):
            for _ in range(rng.randrange(2, 6)):
                day = dt.datetime(2025, rng.randrange(1, 13), rng.randrange(1, 28), 9, 0)
                saved = laptop.save_entry(rng.choice([
                    lambda: consultation(topics=rng.sample(topics, rng.randrange(0, 3)), start=day,
                                         end=day + dt.timedelta(minutes=30)),
                    lambda: tandem(), lambda: outreach()])())
                live[saved.id] = saved
            for entry_id in rng.sample(sorted(live), min(len(live), 4)):
                entry = laptop.get_entry(entry_id)
                action = rng.randrange(5)
                if action == 0:
                    laptop.delete_entry(entry_id)
                    del live[entry_id]
                    continue
                if entry.type == "consultation":
                    moved = entry.start - dt.timedelta(days=rng.randrange(0, 40))
                    changes = [dict(topics=rng.sample(topics, 2)), dict(setting="home_visit", languages=["bg"]),
                               dict(start=moved, end=None), dict(notes="nur Text")][action - 1]
                else:
                    changes = dict(notes="nur Text")
                live[entry_id] = laptop.save_entry(dataclasses.replace(entry, **changes))
            team.sync("laptop-1").export_bundles()
            [result] = team.sync("lead").import_paths([team.sync_dir]).results
            assert result.status == "imported"
            for f in team.sync_dir.iterdir():
                f.unlink()
            team.sync("lead").export_bundles()
            team.sync("laptop-1").import_paths([team.sync_dir])
            for f in team.sync_dir.iterdir():
                f.unlink()
            if live and rng.random() < 0.7:  # the lead edits one (noted, not yet reported on)
                entry = lead.get_entry(rng.choice(sorted(live)))
                if entry.type == "consultation":
                    lead.save_entry(dataclasses.replace(entry, topics=rng.sample(topics, 1),
                                                        start=entry.start + dt.timedelta(days=3), end=None))
            if rng.random() < 0.5:
                assert report_rows(lead) == rebuilt_report_rows(lead)
            assert_index_matches_entries(lead)
            assert_index_matches_entries(laptop)
        assert report_rows(lead) == rebuilt_report_rows(lead)
    finally:
        team.close()


def test_a_merged_new_entry_keeps_one_clock_and_takes_one_change_number(template, tmp_path):
    """A new record's fields share one version, stored once as "*" (docs/sync-format.md), on the
    laptop that made it and on the lead that merged it; each merged record takes one change number.
    Numbering every field apart had stored 33 versions (2.5 KB) per merged entry."""
    team = open_team(template, tmp_path / "team")
    try:
        laptop, lead = team.journals["laptop-1"], team.journals["lead"]
        made = [laptop.save_entry(consultation(notes=f"Termin {n}")) for n in range(3)]
        edited = laptop.save_entry(dataclasses.replace(made[0], notes="Termin verschoben"))
        team.sync("laptop-1").export_bundles()
        with lead.engine.connect() as conn:
            lseq_before = int(conn.exec_driver_sql("SELECT value FROM meta WHERE key = 'sync.lseq'").scalar())
        [result] = team.sync("lead").import_paths([team.sync_dir]).results
        assert result.status == "imported"

        def clocks(journal, rid):
            with journal.engine.connect() as conn:
                return json.loads(conn.exec_driver_sql(
                    "SELECT clocks FROM sync_clock WHERE tbl = 'entries' AND rid = ?", (rid,)).scalar())

        for entry in made[1:]:
            on_lead = clocks(lead, entry.id)
            assert list(on_lead) == ["*"]
            assert on_lead["*"][:3] == clocks(laptop, entry.id)["*"][:3]  # hlc, device, base
        # The edited one: created and edited before the bundle, so its notes carry a later version.
        assert set(clocks(lead, edited.id)) == {"*", "notes", "updated_at"}
        with lead.engine.connect() as conn:
            lseq_after = int(conn.exec_driver_sql("SELECT value FROM meta WHERE key = 'sync.lseq'").scalar())
            numbers = {rid: n for rid, n in conn.exec_driver_sql(
                "SELECT rid, lseq FROM sync_clock WHERE tbl = 'entries'")}
        assert lseq_after - lseq_before == 3
        assert sorted(numbers[e.id] for e in made) == list(range(lseq_before + 1, lseq_after + 1))
    finally:
        team.close()
