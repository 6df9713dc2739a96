"""Full-text search (FTS5, kept in step with every write) and the journal filters."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from helpers.factories import consultation, outreach, raw, tandem

from app.domain.filters import JournalFilter, fts_query
from app.store.search_index import SEQ_MASK, key, key_ranges


def found(journal, **criteria) -> set[str]:
    flt = JournalFilter(**criteria)
    rows = journal.list_entries(flt, limit=1000)
    assert journal.count_entries(flt) == len(rows)
    return {r.id for r in rows}


@pytest.fixture
def searchable(journal):
    k1 = journal.save_client(journal.new_client())
    k2 = journal.save_client(journal.new_client())
    e = {}
    e["wohnung"] = journal.save_entry(consultation(
        start=dt.datetime(2025, 3, 3, 9, 0), end=None, district="haspe", client_ids=[k1.id], mediator="A. Mihai",
        notes="Wohnungsbesichtigung mit Familie Ştefănescu, Übergabe der Schlüssel."))
    e["schule"] = journal.save_entry(tandem(
        start=dt.datetime(2025, 3, 4, 8, 0), end=None, school="gs2", district="haspe", mediator="B. Ivanova",
        notes="Elterngespräch zur Schulanmeldung.", follow_up="Impfpass nachreichen"))
    e["platz"] = journal.save_entry(outreach(
        start=dt.datetime(2025, 3, 5, 16, 0), end=None, district="wehringhausen", mediator="A. Mihai",
        notes="Gespräche auf dem Platz wegen Lärm in der Wohnanlage."))
    e["abend"] = journal.save_entry(consultation(
        start=dt.datetime(2025, 3, 5, 23, 30), end=None, district="wehringhausen", client_ids=[k1.id, k2.id],
        mediator="B. Ivanova", notes="Mietschulden; Wohnung gekündigt?"))
    e["leer"] = journal.save_entry(tandem(
        start=dt.datetime(2025, 3, 6, 8, 0), end=None, school="gs1", district=None, mediator="A. Mihai", notes=""))
    ids = {name: entry.id for name, entry in e.items()}
    return journal, ids, k1, k2


def test_word_prefix_case_and_diacritics(searchable):
    journal, ids, *_ = searchable
    assert found(journal, text="wohnungsbesichtigung") == {ids["wohnung"]}
    assert found(journal, text="Wohn") == {ids["wohnung"], ids["platz"], ids["abend"]}, "prefix of a word"
    assert found(journal, text="WOHNUNG") == {ids["wohnung"], ids["abend"]}
    assert found(journal, text="stefanescu") == {ids["wohnung"]}, "diacritics are ignored"
    assert found(journal, text="ŞTEFĂNESCU") == {ids["wohnung"]}
    assert found(journal, text="ubergabe schlussel") == {ids["wohnung"]}
    assert found(journal, text="schlüssel") == {ids["wohnung"]}
    assert found(journal, text="besichtigung") == set(), "only prefixes, not inner parts of words"


def index_rows_of(journal, entry_id: str) -> int:
    """How many full-text rows the entry has, whatever its key's type part."""
    return raw(journal, "SELECT count(*) FROM entries_fts WHERE (rowid & ?) = (SELECT seq FROM entries WHERE id = ?)",
               (SEQ_MASK, entry_id))[0][0]


def test_every_word_must_occur(searchable):
    journal, ids, *_ = searchable
    assert found(journal, text="wohnung mietschulden") == {ids["abend"]}
    assert found(journal, text="wohnung elefant") == set()
    assert found(journal, text="  wohnung   ") == {ids["wohnung"], ids["abend"]}
    assert found(journal, text="") == set(ids.values())


def test_follow_up_text_is_searchable_too(searchable):
    journal, ids, *_ = searchable
    assert found(journal, text="impfpass") == {ids["schule"]}


def test_edited_note_is_found_by_the_new_word_only(searchable):
    journal, ids, *_ = searchable
    entry = journal.get_entry(ids["schule"])
    journal.save_entry(dataclasses.replace(entry, notes="Übergang zur Gesamtschule", follow_up=""))
    assert found(journal, text="Elterngespräch") == set()
    assert found(journal, text="impfpass") == set()
    assert found(journal, text="gesamtschule") == {ids["schule"]}
    assert index_rows_of(journal, ids["schule"]) == 1


def test_note_emptied_leaves_no_searchable_words(searchable):
    journal, ids, *_ = searchable
    entry = journal.get_entry(ids["platz"])
    journal.save_entry(dataclasses.replace(entry, notes=""))
    assert found(journal, text="Lärm") == set()
    assert raw(journal, "SELECT count(*) FROM entries_fts WHERE entries_fts MATCH 'body : larm'") == [(0,)]
    # The entry keeps its one (now wordless) index row, so typed counts stay exact.
    assert index_rows_of(journal, ids["platz"]) == 1


def test_deleted_entry_is_not_found_and_restored_one_is(searchable):
    journal, ids, *_ = searchable
    deleted = journal.delete_entry(ids["wohnung"])
    assert found(journal, text="stefanescu") == set()
    assert ids["wohnung"] not in found(journal)
    assert ids["wohnung"] not in found(journal, district="haspe")
    journal.restore_entry(deleted)
    assert found(journal, text="stefanescu") == {ids["wohnung"]}


def test_filters(searchable):
    journal, ids, k1, k2 = searchable
    assert found(journal, types=("tandem_session",)) == {ids["schule"], ids["leer"]}
    assert found(journal, types=("consultation", "outreach_visit")) == {ids["wohnung"], ids["platz"], ids["abend"]}
    assert found(journal, date_from=dt.date(2025, 3, 4), date_to=dt.date(2025, 3, 5)) == {
        ids["schule"], ids["platz"], ids["abend"]}, "date_to includes the whole day, up to 23:59"
    assert found(journal, date_from=dt.date(2025, 3, 6)) == {ids["leer"]}
    assert found(journal, date_to=dt.date(2025, 3, 3)) == {ids["wohnung"]}
    assert found(journal, district="wehringhausen") == {ids["platz"], ids["abend"]}
    assert found(journal, school="gs2") == {ids["schule"]}
    assert found(journal, client_id=k1.id) == {ids["wohnung"], ids["abend"]}
    assert found(journal, client_id=k2.id) == {ids["abend"]}
    assert found(journal, mediator="A. Mihai") == {ids["wohnung"], ids["platz"], ids["leer"]}


def test_filters_combined_with_text(searchable):
    journal, ids, k1, _k2 = searchable
    assert found(journal, text="wohn", types=("consultation",)) == {ids["wohnung"], ids["abend"]}
    assert found(journal, text="wohn", district="wehringhausen") == {ids["platz"], ids["abend"]}
    assert found(journal, text="wohn", date_to=dt.date(2025, 3, 4)) == {ids["wohnung"]}
    assert found(journal, text="wohn", client_id=k1.id, mediator="B. Ivanova") == {ids["abend"]}
    assert found(journal, text="elterngespräch", school="gs2", types=("tandem_session",)) == {ids["schule"]}
    assert found(journal, text="elterngespräch", school="gs1") == set()
    assert found(journal, text="wohn", types=("outreach_visit",), date_from=dt.date(2025, 3, 5),
                 district="wehringhausen", mediator="A. Mihai") == {ids["platz"]}


def test_journal_rows_are_newest_first_and_page(searchable):
    journal, ids, *_ = searchable
    order = [r.id for r in journal.list_entries(limit=100)]
    assert order == [ids["leer"], ids["abend"], ids["platz"], ids["schule"], ids["wohnung"]]
    pages = [r.id for offset in (0, 2, 4) for r in journal.list_entries(offset=offset, limit=2)]
    assert pages == order
    first = journal.list_entries(limit=1)[0]
    assert first.type == "tandem_session" and first.school == "gs1" and first.start == "2025-03-06T08:00"


@pytest.mark.parametrize(
    "typed",
    ['"', "'", "*", "-", "NEAR(", "AND", "wohn OR", "a:b", "(x", "'; DROP TABLE entries; --", '"wohn"', "^x"],
)
def test_anything_a_user_types_is_safe(searchable, typed):
    journal, ids, *_ = searchable
    found(journal, text=typed)  # must not raise
    assert journal.count_entries() == len(ids)


def test_quotes_in_the_search_are_ignored(searchable):
    journal, ids, *_ = searchable
    assert found(journal, text='"Wohnung"') == {ids["wohnung"], ids["abend"]}
    assert fts_query('say "hi" there') == '"say"* "hi"* "there"*'


def test_typed_search_counts_inside_the_index_and_notes_never_match_the_type(searchable):
    journal, ids, *_ = searchable
    assert found(journal, text="Wohn", types=("consultation",)) == {ids["wohnung"], ids["abend"]}
    assert found(journal, text="impfpass", types=("tandem_session",)) == {ids["schule"]}
    assert found(journal, text="impfpass", types=("consultation", "outreach_visit")) == set()
    journal.save_entry(outreach(start=dt.datetime(2025, 3, 7, 10, 0), end=None, notes="consultation session tandem"))
    assert len(found(journal, text="consultation")) == 1, "the type is not a word of the notes"
    assert found(journal, text="session", types=("tandem_session",)) == set()
    for kinds in (("consultation",), ("tandem_session",), ("consultation", "outreach_visit"), ("outreach_visit", "tandem_session")):
        for word in ("wohn", "impfpass", "lärm", "consultation", "ge"):
            expected = {i for i in found(journal, text=word) if journal.get_entry(i).type in kinds}
            assert found(journal, text=word, types=kinds) == expected, (word, kinds)
            assert journal.count_entries(JournalFilter(text=word, types=kinds)) == len(expected), (word, kinds)


def test_each_entry_is_indexed_under_its_type_key_range(searchable):
    journal, ids, *_ = searchable
    for entry_id in ids.values():
        entry = journal.get_entry(entry_id)
        ((low, high),) = key_ranges([entry.type])
        seq = raw(journal, "SELECT seq FROM entries WHERE id = ?", (entry_id,))[0][0]
        assert raw(journal, "SELECT count(*) FROM entries_fts WHERE rowid BETWEEN ? AND ?", (low, high))[0][0] >= 1
        start = raw(journal, "SELECT start FROM entries WHERE id = ?", (entry_id,))[0][0]
        assert raw(journal, "SELECT rowid FROM entries_fts WHERE (rowid & ?) = ?", (SEQ_MASK, seq)) == [
            (key(seq, entry.type, start),)]
        assert low <= key(seq, entry.type, start) <= high
    assert key_ranges(["consultation", "tandem_session", "outreach_visit"]) == [(1 << 61, (4 << 61) - 1)]
    assert key_ranges(["consultation", "outreach_visit"]) == [(1 << 61, (2 << 61) - 1), (3 << 61, (4 << 61) - 1)]


def test_inside_a_type_keys_ascend_newest_first(searchable):
    """What lets a search stop after the newest matches: ascending keys are descending starts."""
    journal, *_ = searchable
    for kind in ("consultation", "tandem_session", "outreach_visit"):
        ((low, high),) = key_ranges([kind])
        rows = raw(journal, "SELECT e.start FROM entries_fts f JOIN entries e ON e.seq = (f.rowid & ?) "
                            "WHERE f.rowid BETWEEN ? AND ? ORDER BY f.rowid", (SEQ_MASK, low, high))
        starts = [r[0] for r in rows]
        assert starts and starts == sorted(starts, reverse=True), kind


def selects_sent(journal, call) -> list[str]:
    """Every SELECT `call` sends, as SQLite traced it (parameters filled in), whichever layer of
    the app sends it."""
    from sqlalchemy import event

    sent: list[str] = []

    def trace(dbapi_conn, _record):
        dbapi_conn.set_trace_callback(sent.append)

    journal.engine.dispose()  # every connection from here on is a new, traced one
    event.listen(journal.engine, "connect", trace)
    try:
        call()
    finally:
        event.remove(journal.engine, "connect", trace)
        journal.engine.dispose()
    return [s for s in sent if s.lstrip().upper().startswith("SELECT")]


def plans_of(journal, call) -> list[str]:
    """SQLite's query plan of every SELECT `call` sends."""
    statements = selects_sent(journal, call)
    with journal.engine.connect() as conn:
        return [" / ".join(row[3] for row in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + s)) for s in statements]


def test_follow_ups_and_search_counts_use_their_indexes_not_a_walk_over_all_entries(searchable):
    """At 100,000 entries a walk over the journal index cost 450 ms (follow-ups) and 230 ms (count)."""
    journal, *_ = searchable
    assert any("ix_entries_follow_up_open" in plan for plan in plans_of(journal, journal.follow_ups))
    typed = JournalFilter(text="wohnung", types=("consultation",))
    count_plans = plans_of(journal, lambda: journal.count_entries(typed))
    assert count_plans and all("entries_fts" in plan and "ix_entries" not in plan for plan in count_plans)
    combined = JournalFilter(text="wohnung", district="haspe")
    plan = " ".join(plans_of(journal, lambda: journal.count_entries(combined)))
    assert plan.index("entries_fts") < plan.index("entries USING"), plan  # driven by the matches
    # Counting one type without a text reads the journal index alone (0010), not 60,000 table rows.
    by_type = " ".join(plans_of(journal, lambda: journal.count_entries(JournalFilter(types=("consultation",)))))
    assert "COVERING INDEX ix_entries_journal" in by_type, by_type
    # Counting a district's or school's live entries, with or without a type, reads no table row (0011):
    # with the table's pages not yet in the cache after an unlock, that read took 97-164 ms.
    for place in (JournalFilter(district="haspe"), JournalFilter(school="gs1", types=("tandem_session",))):
        assert table_columns_read(journal, lambda: journal.count_entries(place)) == [], place
        # ... and a list by place walks that place's index in the journal's order (no walk over all entries)
        plan = " ".join(plans_of(journal, lambda: journal.list_entries(place)))
        assert f"INDEX ix_entries_{'district' if place.district else 'school'}" in plan and "TEMP B-TREE" not in plan, plan


def table_columns_read(journal, call) -> list[tuple[str, int]]:
    """The (opcode, column) reads of `entries` table rows in the bytecode of what `call` sends.
    EXPLAIN QUERY PLAN cannot tell: an index seek is deferred and skipped when no column is read."""
    statements = selects_sent(journal, call)
    reads = []
    with journal.engine.connect() as conn:
        root = conn.exec_driver_sql("SELECT rootpage FROM sqlite_master WHERE name = 'entries'").scalar()
        for statement in statements:
            program = conn.exec_driver_sql("EXPLAIN " + statement).fetchall()  # addr, opcode, p1, p2, p3, ...
            cursors = {p1 for _a, op, p1, p2, *_ in program if op == "OpenRead" and p2 == root}
            reads += [(op, p2) for _a, op, p1, p2, *_ in program if op in ("Column", "Rowid") and p1 in cursors]
    return reads


def test_search_after_a_bulk_write_that_compacts_the_index(journal):
    from app.services.demo import fill_demo
    from app.store.search_index import BULK_ROWS

    fill_demo(journal, entries=BULK_ROWS, seed=5)  # ends with FTS5 'optimize'
    journal.save_entry(consultation(notes="Jobcenter nach dem Verdichten"))
    for word in ("Jobcenter", "verdichten", "Termin"):
        rows = journal.list_entries(JournalFilter(text=word), limit=5000)
        assert rows and journal.count_entries(JournalFilter(text=word)) == len(rows)
    assert [r.notes_preview for r in journal.list_entries(JournalFilter(text="verdichten"))] == [
        "Jobcenter nach dem Verdichten"]


def test_an_entry_that_changes_type_keeps_one_index_row_under_its_new_type(searchable):
    """The old row is removed under the type it was indexed with, not the entry's new one."""
    journal, ids, *_ = searchable
    old = journal.get_entry(ids["wohnung"])
    moved = outreach(start=old.start, end=None, notes="Wohnungsbesichtigung auf der Straße")
    moved = dataclasses.replace(moved, id=old.id)
    journal.save_entry(moved)
    assert index_rows_of(journal, old.id) == 1
    assert found(journal, text="Wohnungsbesichtigung", types=("outreach_visit",)) == {old.id}
    assert found(journal, text="Wohnungsbesichtigung", types=("consultation",)) == set()


def test_search_order_and_paging_match_the_journal_with_many_entries_in_the_same_minute(journal):
    """The index orders one minute's entries by seq, the journal by id, and each type has its own
    key range: a search still lists exactly the journal's order (start, then id, newest first),
    page after page, for any limit, with any other filter beside it. The expected lists are
    worked out here from the entries themselves."""
    import random
    import uuid

    rnd = random.Random(7)
    anna, boris = (journal.save_client(journal.new_client()).id for _ in range(2))
    # about 18 matches per type and minute: more than a search reads past its limit at first
    minutes = [dt.datetime(2025, 5, day, hour, 15) for day, hour in ((2, 9), (3, 9), (4, 14))]
    made = []
    for _ in range(240):
        factory = rnd.choice((consultation, tandem, outreach))
        made.append(factory(id=str(uuid.uuid4()), start=rnd.choice(minutes), end=None,
                            district=rnd.choice(("haspe", "wehringhausen")),
                            client_ids=rnd.choice(([], [anna], [anna, boris])),
                            notes=rnd.choice(("Termin beim Amt", "Termin in der Schule", "Anderes Thema"))))
    rnd.shuffle(made)  # seq order unrelated to id order
    for entry in made:
        journal.save_entry(entry)

    def wanted(kinds, other, text):
        def keep(e):
            day = e.start.date()
            return ((not kinds or e.type in kinds) and (not text or e.notes.startswith("Termin"))
                    and other.get("district", e.district) == e.district
                    and ("client_id" not in other or other["client_id"] in e.client_ids)
                    and other.get("date_from", day) <= day <= other.get("date_to", day))
        chosen = sorted((e for e in made if keep(e)), key=lambda e: (e.start, e.id), reverse=True)
        return [e.id for e in chosen]

    may = {"date_from": dt.date(2025, 5, 3)}, {"date_to": dt.date(2025, 5, 3)}, {"date_from": dt.date(2025, 5, 3),
                                                                             "date_to": dt.date(2025, 5, 3)}
    clients = {"client_id": anna}, {"client_id": boris, "district": "haspe"}
    for kinds in ((), ("consultation",), ("consultation", "outreach_visit"), ("tandem_session",)):
        for other in ({}, {"district": "haspe"}, *may, *clients):
            assert [r.id for r in journal.list_entries(JournalFilter(types=kinds, **other), limit=1000)] == \
                wanted(kinds, other, ""), (kinds, other)
            expected = wanted(kinds, other, "termin")
            assert len(expected) > 4  # several per minute, so pages end inside a minute
            flt = JournalFilter(types=kinds, text="termin", **other)
            assert journal.count_entries(flt) == len(expected)
            for limit in (1, 4, 11, 200):
                pages, after = [], None
                while True:
                    page = journal.list_entries(flt, limit=limit, after=after)
                    pages += page
                    if len(page) < limit:
                        break
                    after = (page[-1].start, page[-1].id)
                assert [r.id for r in pages] == expected, (kinds, other, limit)
            assert journal.list_entries(flt, limit=0) == []
            assert [r.id for r in journal.list_entries(flt, offset=5, limit=3)] == expected[5:8]


def test_an_entry_moved_to_another_time_moves_in_the_search_and_keeps_one_index_row(searchable):
    journal, ids, *_ = searchable
    assert [r.id for r in journal.list_entries(JournalFilter(text="wohn"))] == [ids["abend"], ids["platz"], ids["wohnung"]]
    moved = dataclasses.replace(journal.get_entry(ids["wohnung"]), start=dt.datetime(2025, 3, 7, 9, 0))
    journal.save_entry(moved)
    assert index_rows_of(journal, ids["wohnung"]) == 1
    assert [r.id for r in journal.list_entries(JournalFilter(text="wohn"))] == [ids["wohnung"], ids["abend"], ids["platz"]]
    assert found(journal, text="wohnungsbesichtigung", types=("consultation",)) == {ids["wohnung"]}


def test_a_sync_merge_rekeys_the_index_rows_of_entries_whose_type_or_start_changed(tmp_path):
    """On the lead, after a bundle that moves, retypes, deletes and restores entries, the index
    holds exactly one row per live entry, under the key its type and start give now."""
    from helpers.sync_team import make_team, open_team

    from app.store.search_index import KEY_SQL

    team = open_team(make_team(tmp_path / "template", 1), tmp_path / "team")
    try:
        laptop, lead = team.journals["laptop-1"], team.journals["lead"]
        made = [laptop.save_entry(consultation(start=dt.datetime(2025, 3, 1 + n, 9, 30), end=None,
                                               notes=f"Termin Nummer {n}")) for n in range(5)]
        team.sync("laptop-1").export_bundles()
        team.sync("lead").import_paths([team.sync_dir])
        for f in team.sync_dir.iterdir():
            f.unlink()
        a, b, c, d, e = made
        laptop.save_entry(dataclasses.replace(a, start=dt.datetime(2025, 4, 9, 9, 0)))  # moved: now the newest
        laptop.save_entry(dataclasses.replace(outreach(start=b.start, end=None, notes=b.notes), id=b.id))
        laptop.delete_entry(c.id)
        laptop.restore_entry(laptop.delete_entry(d.id))
        team.sync("laptop-1").export_bundles()
        team.sync("lead").import_paths([team.sync_dir])

        def index_keys(journal):
            return sorted(r[0] for r in raw(journal, "SELECT rowid FROM entries_fts"))

        assert index_keys(lead) == sorted(r[0] for r in raw(lead, f"SELECT {KEY_SQL} FROM entries WHERE deleted_at IS NULL"))
        assert [r.id for r in lead.list_entries(JournalFilter(text="termin"))] == [a.id, e.id, d.id, b.id]
        assert [r.id for r in lead.list_entries(JournalFilter(text="termin", types=("outreach_visit",)))] == [b.id]
    finally:
        team.close()


def test_a_date_window_narrows_the_key_ranges_without_losing_an_entry():
    """Every start inside [from, before) keeps its key inside the narrowed ranges (a superset:
    the search still filters on start), including the first and last minute and clamped years."""
    import random

    from app.store.search_index import type_ranges, within_dates

    rnd = random.Random(3)
    days = [dt.date(1950, 1, 1), dt.date(1970, 1, 1), dt.date(2025, 5, 3), dt.date(2025, 5, 4), dt.date(2097, 12, 1),
            dt.date(2120, 1, 1)]
    for _ in range(300):
        first, last = sorted(rnd.sample(days, 2))
        start_from, start_before = f"{first.isoformat()}T00:00", f"{(last + dt.timedelta(days=1)).isoformat()}T00:00"
        kinds = rnd.choice(((), ("consultation",), ("tandem_session", "outreach_visit")))
        ranges = within_dates(type_ranges(kinds), start_from, start_before)
        for start in (start_from, f"{last.isoformat()}T23:59", f"{first.isoformat()}T12:07"):
            for kind in kinds or ("consultation", "tandem_session", "outreach_visit"):
                k = key(rnd.randrange(1, 10**9), kind, start)
                assert any(low <= k <= high for low, high in ranges), (start, start_from, start_before, kind)
    narrowed = within_dates(type_ranges(("consultation",)), "2025-05-03T00:00", "2025-05-04T00:00")
    outside = [key(7, "consultation", s) for s in ("2025-05-02T23:59", "2025-05-04T00:00")]
    assert not any(low <= k <= high for k in outside for low, high in narrowed), "the window is tight to the minute"


def test_an_entry_of_a_type_this_version_does_not_know_is_still_found(searchable):
    """Its index row sits in the unknown-type range, which a search over all types reads only
    when that range holds a row."""
    from app.store import search_index
    from app.store.engine import writing

    journal, ids, *_ = searchable
    assert not unknown_types_indexed(journal)
    seq, start = raw(journal, "SELECT seq, start FROM entries WHERE id = ?", (ids["abend"],))[0]
    with writing(journal.engine) as conn:
        search_index.remove(conn, [(seq, "consultation", start)])
        conn.exec_driver_sql("UPDATE entries SET type = 'home_visit_2030' WHERE seq = ?", (seq,))
        search_index.insert_one(conn, seq, "home_visit_2030", start, "Mietschulden; Wohnung gekündigt?")
    assert unknown_types_indexed(journal)
    assert [r.id for r in journal.list_entries(JournalFilter(text="wohn"))] == [ids["abend"], ids["platz"], ids["wohnung"]]
    assert journal.count_entries(JournalFilter(text="wohn")) == 3
    assert found(journal, text="mietschulden", types=("consultation",)) == set()


def unknown_types_indexed(journal) -> bool:
    from app.store import search_index

    with journal.engine.connect() as conn:
        return search_index.has_unknown_types(conn)
