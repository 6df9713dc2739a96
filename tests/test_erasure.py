"""Erasure of a person (data-protection request) leaves nothing of them readable to whoever
unlocks a journal later: not in the full-text index (FTS5 only marks a deleted row, its words
stayed in the index), not in drafts; on the workstation that erased and on the lead it reaches."""

from __future__ import annotations

import dataclasses

from helpers.factories import NOW, consultation
from helpers.sync_team import team_fixtures

from app.domain.entries import Client
from app.domain.filters import JournalFilter

template, team = team_fixtures(1)

MARK = "zqxjkvmarker"  # a word no other shares a prefix with: it is stored whole in the index


def index_holds(journal, word: str) -> bool:
    """Whether any block of the full-text index holds the word (FTS5 stores terms as bytes)."""
    with journal.engine.connect() as conn:
        blocks = conn.exec_driver_sql("SELECT block FROM entries_fts_data").fetchall()
    return any(word[-8:].encode() in bytes(block or b"") for (block,) in blocks)


def test_an_erasure_leaves_no_word_of_the_person_in_the_index_or_in_drafts(team):
    ana = team.journals["laptop-1"]
    person = ana.save_client(Client(code="HA-ERASE-1", name="Familie Ionescu"), today=NOW.date())
    kept = ana.save_entry(consultation(notes="andere Familie, bleibt"), now=NOW)
    first = ana.save_entry(consultation(notes=f"Herr Ionescu {MARK}", client_ids=[person.id]), now=NOW)
    gone_before = ana.save_entry(consultation(notes=f"früher gelöscht {MARK}x", client_ids=[person.id]), now=NOW)
    ana.delete_entry(gone_before.id)  # deleted earlier: its words stayed in the index all the same
    ana.save_draft(f"edit:{first.id}", {"record": {"notes": "halb getippt"}})
    ana.save_draft(f"client:{person.id}", {"client": {"name": "Familie Ionescu"}})
    ana.save_draft("new:consultation", {"record": {"clients": ["ha-erase-1"], "notes": "neu"}})
    ana.save_draft(f"edit:{kept.id}", {"record": {"notes": "anderes"}})
    assert index_holds(ana, MARK) and index_holds(ana, MARK + "x")

    assert team.sync("laptop-1").erase_client(person.id) == 1  # the deleted one goes too, uncounted
    assert not index_holds(ana, MARK) and not index_holds(ana, MARK + "x")
    assert ana.draft_keys() == [f"edit:{kept.id}"]
    assert [e.id for e in ana.all_entries()] == [kept.id]
    assert [row.id for row in ana.list_entries(JournalFilter(text="bleibt"))] == [kept.id]  # still found


def test_an_erasure_that_arrives_by_sync_purges_the_lead_too(team):
    ana, lead = team.journals["laptop-1"], team.journals["lead"]
    person = ana.save_client(Client(code="HA-ERASE-2"), today=NOW.date())
    entry = ana.save_entry(consultation(notes=f"Notiz {MARK}", client_ids=[person.id]), now=NOW)
    team.sync("laptop-1").export_bundles()
    team.sync("lead").import_paths([team.sync_dir])
    lead.save_entry(dataclasses.replace(lead.get_entry(entry.id), notes=f"Notiz {MARK} ergänzt"))
    lead.save_draft(f"edit:{entry.id}", {"record": {"notes": "Entwurf"}})
    assert index_holds(lead, MARK)

    team.sync("laptop-1").erase_client(person.id)
    team.sync("laptop-1").export_bundles()
    team.sync("lead").import_paths([team.sync_dir])
    assert lead.get_client(person.id) is None and lead.get_entry(entry.id) is None
    assert not index_holds(lead, MARK)
    assert f"edit:{entry.id}" not in lead.draft_keys()


def test_an_erased_entry_or_client_held_in_a_form_is_never_written_again(team):
    """A form or client window left open across an erasure saved the person back with the same id
    (and its draft timer kept their words); the laptop then kept them for good."""
    import pytest

    from app.services.journal import RecordErased

    ana = team.journals["laptop-1"]
    person = ana.save_client(Client(code="HA-ERASE-3", name="Quentin Q", contact="5550199"), today=NOW.date())
    entry = ana.save_entry(consultation(notes=f"Notiz {MARK}", client_ids=[person.id]), now=NOW)
    held_entry, held_client = ana.get_entry(entry.id), ana.get_client(person.id)

    team.sync("laptop-1").erase_client(person.id)
    assert ana.is_erased("entries", entry.id) and ana.is_erased("clients", person.id)
    with pytest.raises(RecordErased):
        ana.save_entry(dataclasses.replace(held_entry, notes=f"Notiz {MARK}, ergänzt", client_ids=[]), now=NOW)
    with pytest.raises(RecordErased):
        ana.save_client(dataclasses.replace(held_client, contact="5550100"), today=NOW.date())
    ana.save_draft(f"edit:{entry.id}", {"record": {"notes": f"Entwurf {MARK}"}})
    ana.save_draft(f"client:{person.id}", {"client": {"name": "Quentin Q"}})
    assert ana.draft_keys() == []
    assert ana.get_entry(entry.id) is None and ana.get_client(person.id) is None
    assert ana.client_by_code("HA-ERASE-3") is None and not index_holds(ana, MARK)
    # a deletion is not an erasure: Undo brings a deleted entry back
    other = ana.save_entry(consultation(notes="gelöscht, dann zurück"), now=NOW)
    ana.delete_entry(other.id)
    assert not ana.is_erased("entries", other.id)
    ana.restore_entry(other)
    assert ana.get_entry(other.id) is not None


def test_an_export_from_before_an_erasure_cannot_bring_the_person_back(team):
    """Re-importing an old export told the user to empty the id to add the entry as new: advice
    that brings erased data back."""
    import pytest

    from app.services.transfer import ImportError_, export_records, import_records

    ana = team.journals["laptop-1"]
    person = ana.save_client(Client(code="HA-ERASE-4"), today=NOW.date())
    ana.save_entry(consultation(notes="Notiz", client_ids=[person.id]), now=NOW)
    before = export_records(ana)
    team.sync("laptop-1").erase_client(person.id)
    with pytest.raises(ImportError_) as refused:
        import_records(ana, [(1, before[0], "")], now=NOW)
    text = str(refused.value)
    assert "erased on a data-protection request" in text and "empty its id" not in text
    assert ana.all_entries() == []


def test_an_erasure_reaches_an_entry_the_lead_deleted_meanwhile_and_its_conflicts(team):
    """The lead had deleted the person's entry (so it no longer linked them) when the erasure
    arrived: the lead kept it as a plain deletion, and a value that lost against the deletion,
    the person's notes among them, stayed in a conflict record that could restore it."""
    ana, lead = team.journals["laptop-1"], team.journals["lead"]
    person = ana.save_client(Client(code="HA-ERASE-5"), today=NOW.date())
    entry = ana.save_entry(consultation(notes="Notiz", client_ids=[person.id]), now=NOW)
    team.sync("laptop-1").export_bundles()
    team.sync("lead").import_paths([team.sync_dir])
    ana.save_entry(dataclasses.replace(ana.get_entry(entry.id), notes=f"Notiz {MARK}"))  # while the lead
    lead.delete_entry(entry.id)  # deletes it: the edit loses and is kept in a conflict record
    team.sync("laptop-1").export_bundles()
    team.sync("lead").import_paths([team.sync_dir])
    assert any(c.record_id == entry.id for c in team.sync("lead").list_conflicts())

    team.sync("laptop-1").erase_client(person.id)
    team.sync("laptop-1").export_bundles()
    team.sync("lead").import_paths([team.sync_dir])
    assert lead.is_erased("entries", entry.id) and lead.is_erased("clients", person.id)
    assert [c for c in team.sync("lead").list_conflicts() if c.record_id == entry.id] == []


def test_an_erasure_leaves_a_live_entry_about_others_whose_conflict_record_names_the_person(team):
    """The laptop put the person on an entry about A while the lead put B on it: the entry lives on,
    about A and B, and its conflict record holds the laptop's list with the person. Erasing the
    person erased the whole entry about A and B, though the preview said 0 entries."""
    ana, lead = team.journals["laptop-1"], team.journals["lead"]
    a, b, person = (ana.save_client(Client(code=code), today=NOW.date()) for code in ("HA-A-1", "HA-B-1", "HA-P-1"))
    entry = ana.save_entry(consultation(notes="über A", client_ids=[a.id]), now=NOW)
    team.sync("laptop-1").export_bundles()
    team.sync("lead").import_paths([team.sync_dir])
    ana.save_entry(dataclasses.replace(ana.get_entry(entry.id), client_ids=[a.id, person.id]))
    lead.save_entry(dataclasses.replace(lead.get_entry(entry.id), client_ids=[a.id, b.id]))
    team.sync("laptop-1").export_bundles()
    team.sync("lead").import_paths([team.sync_dir])
    assert any(c.field == "clients" for c in team.sync("lead").list_conflicts())

    assert team.sync("lead").erasure_preview(person.id).entries == 0
    assert team.sync("lead").erase_client(person.id) == 0
    assert lead.get_entry(entry.id).client_ids == [a.id, b.id]
    assert not any(person.id in str(c.loser_value) for c in team.sync("lead").list_conflicts())


def test_an_erasure_takes_the_conflict_records_of_an_entry_deleted_everywhere_before(team):
    """The lead deleted the person's entry while the laptop edited its notes: the edit lost and
    stayed in a conflict record on the lead, and the laptop took the deletion. The entry then
    linked the person nowhere, so their erasure (on the laptop or on the lead) did not find it,
    and the conflict record kept their notes, ready to be restored with "Take"."""
    ana, lead = team.journals["laptop-1"], team.journals["lead"]
    person = ana.save_client(Client(code="HA-ERASE-6"), today=NOW.date())
    other = ana.save_client(Client(code="HA-OTHER-6"), today=NOW.date())
    entry = ana.save_entry(consultation(notes="Notiz", client_ids=[person.id]), now=NOW)
    about_other = ana.save_entry(consultation(notes="über andere", client_ids=[other.id]), now=NOW)
    team.sync("laptop-1").export_bundles()
    team.sync("lead").import_paths([team.sync_dir])
    ana.save_entry(dataclasses.replace(ana.get_entry(entry.id), notes=f"Notiz {MARK}"))
    ana.save_entry(dataclasses.replace(ana.get_entry(about_other.id), notes="über andere, ergänzt"))
    lead.delete_entry(entry.id)
    lead.delete_entry(about_other.id)
    team.sync("laptop-1").export_bundles()
    team.sync("lead").import_paths([team.sync_dir])
    team.sync("lead").export_bundles()
    team.sync("laptop-1").import_paths([team.sync_dir])
    assert ana.get_entry(entry.id) is None and lead.get_entry(entry.id) is None  # deleted on both
    assert any(c.record_id == entry.id and MARK in str(c.loser_value) for c in team.sync("lead").list_conflicts())

    assert team.sync("laptop-1").erase_client(person.id) == 0  # it had no entry left to show
    team.sync("laptop-1").export_bundles()
    team.sync("lead").import_paths([team.sync_dir])
    assert lead.is_erased("clients", person.id)
    assert [c for c in team.sync("lead").list_conflicts() if c.record_id == entry.id] == []
    with lead.engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM sync_conflicts WHERE instr(loser_value, ?) > 0",
                                    (MARK,)).scalar() == 0
    assert lead.get_entry(entry.id) is None  # a content-free tombstone, as it was
    # the other person's deleted entry keeps its conflict record
    assert any(c.record_id == about_other.id for c in team.sync("lead").list_conflicts())


def test_a_late_value_of_an_entry_deleted_before_its_persons_erasure_is_not_kept(team):
    """A bundle written before the erasure reached the laptop arrives after it: the edit loses
    against the deletion, and its value (about the erased person) is not kept in a conflict record."""
    ana, lead = team.journals["laptop-1"], team.journals["lead"]
    person = ana.save_client(Client(code="HA-ERASE-8"), today=NOW.date())
    entry = ana.save_entry(consultation(notes="Notiz", client_ids=[person.id]), now=NOW)
    team.sync("laptop-1").export_bundles()
    team.sync("lead").import_paths([team.sync_dir])
    for f in team.sync_dir.iterdir():
        f.unlink()
    ana.save_entry(dataclasses.replace(ana.get_entry(entry.id), notes=f"Notiz {MARK}"))
    [late] = team.sync("laptop-1").export_bundles()
    kept = late.path.rename(team.folder / late.path.name)  # on a USB stick still on its way
    lead.delete_entry(entry.id)
    team.sync("lead").erase_client(person.id)
    team.sync("lead").import_paths([kept])
    assert [c for c in team.sync("lead").list_conflicts() if c.record_id == entry.id] == []
    assert lead.get_entry(entry.id) is None


def test_a_former_link_on_the_lead_does_not_erase_an_entry_restored_about_someone_else(team):
    """Found by the review: the first version of the former links erased, on every journal, an
    entry the laptop had meanwhile restored and put on someone else."""
    ana, lead = team.journals["laptop-1"], team.journals["lead"]
    person = ana.save_client(Client(code="HA-REV-P"), today=NOW.date())
    other = ana.save_client(Client(code="HA-REV-B"), today=NOW.date())
    entry = ana.save_entry(consultation(notes="Notiz", client_ids=[person.id]), now=NOW)
    team.sync("laptop-1").export_bundles()
    team.sync("lead").import_paths([team.sync_dir])
    gone = ana.delete_entry(entry.id)
    team.sync("laptop-1").export_bundles()
    team.sync("lead").import_paths([team.sync_dir])  # the lead: deleted, formerly about the person
    assert lead.get_entry(entry.id) is None
    ana.restore_entry(gone)  # Undo on the laptop, then it was about the wrong person: now about B only
    ana.save_entry(dataclasses.replace(ana.get_entry(entry.id), client_ids=[other.id], notes="über B"), now=NOW)

    assert team.sync("lead").erasure_preview(person.id).entries == 0
    assert team.sync("lead").erase_client(person.id) == 0
    team.sync("lead").export_bundles()
    team.sync("laptop-1").import_paths([team.sync_dir])
    team.sync("laptop-1").export_bundles()
    team.sync("lead").import_paths([team.sync_dir])
    for journal in (ana, lead):
        assert not journal.is_erased("entries", entry.id)
        assert journal.get_entry(entry.id).client_ids == [other.id]


def test_an_entry_the_lead_restores_with_take_is_about_its_person_again(team):
    """Found by the review: "Take" on an edit that lost against a deletion brought the person's
    notes back in an entry about nobody (the deletion had cleared its clients), which their
    erasure then did not find."""
    import datetime as dt

    ana, lead = team.journals["laptop-1"], team.journals["lead"]
    person = ana.save_client(Client(code="HA-REV-T"), today=NOW.date())
    entry = ana.save_entry(consultation(notes="Notiz", client_ids=[person.id]), now=NOW)
    team.sync("laptop-1").export_bundles()
    team.sync("lead").import_paths([team.sync_dir])
    lead.delete_entry(entry.id)  # the lead: deleted, formerly about the person
    ana.save_entry(dataclasses.replace(ana.get_entry(entry.id), notes=f"Frau T. erzählt {MARK}",
                                       start=dt.datetime(2025, 3, 11, 9, 30), end=dt.datetime(2025, 3, 11, 10, 0)))
    team.sync("laptop-1").export_bundles()
    team.sync("lead").import_paths([team.sync_dir])
    notes = next(c for c in team.sync("lead").list_conflicts() if c.record_id == entry.id and c.field == "notes")
    team.sync("lead").resolve_conflict(notes.id, "take")  # restored with the values that lost
    restored = lead.get_entry(entry.id)
    assert MARK in restored.notes and restored.client_ids == [person.id]

    assert team.sync("lead").erase_client(person.id) == 1
    assert lead.get_entry(entry.id) is None and lead.is_erased("entries", entry.id)
    assert not index_holds(lead, MARK)


def test_the_lead_erasing_drops_the_conflicts_of_an_entry_a_workstation_deleted_and_undo_forgets_it(team):
    ana, lead = team.journals["laptop-1"], team.journals["lead"]
    person = ana.save_client(Client(code="HA-ERASE-7"), today=NOW.date())
    other = ana.save_client(Client(code="HA-OTHER-7"), today=NOW.date())
    entry = ana.save_entry(consultation(notes="Notiz", client_ids=[person.id]), now=NOW)
    back = ana.save_entry(consultation(notes="gelöscht und zurück", client_ids=[other.id]), now=NOW)
    team.sync("laptop-1").export_bundles()
    team.sync("lead").import_paths([team.sync_dir])
    lead.save_entry(dataclasses.replace(lead.get_entry(entry.id), notes=f"Notiz {MARK}"))
    ana.delete_entry(entry.id)  # the deletion is later: the lead's edit loses against it
    gone = ana.delete_entry(back.id)
    with ana.engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM entry_former_clients").scalar() == 2
    ana.restore_entry(gone)  # Undo: it is about its people again
    team.sync("laptop-1").export_bundles()
    team.sync("lead").import_paths([team.sync_dir])
    assert lead.get_entry(entry.id) is None
    assert any(c.record_id == entry.id for c in team.sync("lead").list_conflicts())
    with ana.engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT entry_id FROM entry_former_clients").fetchall() == [(entry.id,)]
    with lead.engine.connect() as conn:  # the merge of the deletion remembered it as well
        assert conn.exec_driver_sql("SELECT entry_id, client_id FROM entry_former_clients").fetchall() == [
            (entry.id, person.id)]

    assert team.sync("lead").erase_client(person.id) == 0
    assert [c for c in team.sync("lead").list_conflicts() if c.record_id == entry.id] == []
    team.sync("lead").export_bundles()
    team.sync("laptop-1").import_paths([team.sync_dir])
    assert ana.is_erased("clients", person.id)
    assert ana.get_entry(back.id).client_ids == [other.id] and not ana.is_erased("entries", back.id)


def test_undo_of_a_deletion_after_the_persons_erasure_does_not_bring_their_entry_back(team):
    """Found in the walk-through: the erasure found the entry deleted (it left it so), and Undo
    then wrote it back with the person's notes."""
    import pytest

    from app.services.journal import RecordErased

    ana = team.journals["laptop-1"]
    person = ana.save_client(Client(code="HA-UNDO-1", name="Popa"), today=NOW.date())
    entry = ana.save_entry(consultation(notes=f"Popa {MARK}", client_ids=[person.id]), now=NOW)
    gone = ana.delete_entry(entry.id)
    team.sync("laptop-1").erase_client(person.id)
    with pytest.raises(RecordErased):
        ana.restore_entry(gone)
    assert ana.get_entry(entry.id) is None and not index_holds(ana, MARK)


def test_a_late_edit_that_names_a_person_erased_meanwhile_is_not_kept(team):
    """Found by the second review: a losing edit that put the person on an entry about someone
    else arrived after the erasure; its values were kept (only the entry's former clients were
    checked), listed in the other person's access file unredacted, and Take brought them back."""
    import datetime as dt

    from app.services.access import client_data

    ana, lead = team.journals["laptop-1"], team.journals["lead"]
    q = ana.save_client(Client(code="HA-LATE-Q", name="Quast"), today=NOW.date())
    p = ana.save_client(Client(code="HA-LATE-P", name="Popa"), today=NOW.date())
    entry = ana.save_entry(consultation(notes="über Q", client_ids=[q.id]), now=NOW)
    team.sync("laptop-1").export_bundles()
    team.sync("lead").import_paths([team.sync_dir])
    for f in team.sync_dir.iterdir():
        f.unlink()
    ana.save_entry(dataclasses.replace(ana.get_entry(entry.id), client_ids=[q.id, p.id], notes=f"Popa {MARK}",
                                       start=dt.datetime(2025, 3, 11, 9, 30), end=dt.datetime(2025, 3, 11, 10, 0)))
    [late] = team.sync("laptop-1").export_bundles()
    kept = late.path.rename(team.folder / late.path.name)
    lead.delete_entry(entry.id)
    team.sync("lead").erase_client(p.id)
    team.sync("lead").import_paths([kept])
    held = [c for c in team.sync("lead").list_conflicts() if c.record_id == entry.id]
    assert not any(MARK in str(c.loser_value) or p.id in str(c.loser_value) for c in held), held
    assert not any(MARK in str(r["value"]) for r in client_data(lead, q.id)["conflict_records"])


def test_keep_on_the_list_of_clients_does_not_hide_the_rest_of_the_edit_from_an_erasure(team):
    from app.services.access import client_data

    ana, lead = team.journals["laptop-1"], team.journals["lead"]
    q = ana.save_client(Client(code="HA-KEEP-Q", name="Quast"), today=NOW.date())
    p = ana.save_client(Client(code="HA-KEEP-P", name="Popa"), today=NOW.date())
    entry = ana.save_entry(consultation(notes="über Q", client_ids=[q.id]), now=NOW)
    team.sync("laptop-1").export_bundles()
    team.sync("lead").import_paths([team.sync_dir])
    lead.delete_entry(entry.id)
    ana.save_entry(dataclasses.replace(ana.get_entry(entry.id), client_ids=[q.id, p.id], notes=f"Popa {MARK}"))
    team.sync("laptop-1").export_bundles()
    team.sync("lead").import_paths([team.sync_dir])
    clients = next(c for c in team.sync("lead").list_conflicts() if c.field == "clients")
    team.sync("lead").resolve_conflict(clients.id, "keep")
    assert [r["field"] for r in client_data(lead, p.id)["conflict_records"]] == ["notes"]  # still theirs
    team.sync("lead").erase_client(p.id)
    assert [c for c in team.sync("lead").list_conflicts() if MARK in str(c.loser_value)] == []


def test_an_erasure_takes_the_records_the_access_file_lists_and_no_other(team):
    """The laptop took P off a joint entry while the lead deleted it. Whom a losing edit was
    written about is not recorded, so it counts as about everyone the entry was about: P's access
    file lists it (Q left out), and P's erasure takes exactly what the file lists."""
    from app.services.access import client_data

    ana, lead = team.journals["laptop-1"], team.journals["lead"]
    q = ana.save_client(Client(code="HA-ACC-Q", name="Quast"), today=NOW.date())
    p = ana.save_client(Client(code="HA-ACC-P", name="Popa"), today=NOW.date())
    entry = ana.save_entry(consultation(notes="über P und Q", client_ids=[p.id, q.id]), now=NOW)
    team.sync("laptop-1").export_bundles()
    team.sync("lead").import_paths([team.sync_dir])
    ana.save_entry(dataclasses.replace(ana.get_entry(entry.id), client_ids=[q.id], notes=f"nur Quast {MARK}"))
    lead.delete_entry(entry.id)
    team.sync("laptop-1").export_bundles()
    team.sync("lead").import_paths([team.sync_dir])
    before = {(c.record_id, c.field) for c in team.sync("lead").list_conflicts()}
    listed = {(r["entry_id"], r["field"]) for r in client_data(lead, p.id)["conflict_records"]}
    assert listed == before == {(entry.id, "clients"), (entry.id, "notes")}
    assert {(r["entry_id"], r["field"]) for r in client_data(lead, q.id)["conflict_records"]} == before
    assert "Quast" not in str(client_data(lead, p.id)["conflict_records"])
    team.sync("lead").erase_client(p.id)
    after = {(c.record_id, c.field) for c in team.sync("lead").list_conflicts()}
    assert before - after == listed


def _clear(team):
    for f in team.sync_dir.iterdir():
        f.unlink()


def test_local_losing_notes_written_about_p_before_the_entry_moved_to_q_go_with_ps_erasure(team):
    """Found by the third review: the lead's losing notes, written while the entry was about P,
    were tied to Q, whom an earlier bundle had put on it instead."""
    from app.services.access import client_data

    ana, lead = team.journals["laptop-1"], team.journals["lead"]
    p = ana.save_client(Client(code="HA-LOC-P", name="Popa"), today=NOW.date())
    q = ana.save_client(Client(code="HA-LOC-Q", name="Quast"), today=NOW.date())
    entry = ana.save_entry(consultation(notes="über P", client_ids=[p.id]), now=NOW)
    team.sync("laptop-1").export_bundles()
    team.sync("lead").import_paths([team.sync_dir])
    _clear(team)
    lead.save_entry(dataclasses.replace(lead.get_entry(entry.id), notes=f"Popa {MARK}"))
    ana.save_entry(dataclasses.replace(ana.get_entry(entry.id), client_ids=[q.id]))
    team.sync("laptop-1").export_bundles()
    team.sync("lead").import_paths([team.sync_dir])
    _clear(team)
    ana.save_entry(dataclasses.replace(ana.get_entry(entry.id), notes="über Q"))
    team.sync("laptop-1").export_bundles()
    team.sync("lead").import_paths([team.sync_dir])
    assert [c for c in team.sync("lead").list_conflicts() if MARK in str(c.loser_value)]
    assert any(MARK in str(r["value"]) for r in client_data(lead, p.id)["conflict_records"])
    assert not any("Popa" in str(r["value"]) for r in client_data(lead, q.id)["conflict_records"])
    team.sync("lead").erase_client(p.id)
    assert [c for c in team.sync("lead").list_conflicts() if MARK in str(c.loser_value)] == []


def test_a_bundle_whose_notes_edit_follows_its_clients_edit_ties_the_notes_to_the_new_client(team):
    """Found by the third review: two saves (clients, then notes) have two stamps, and the notes
    were tied to the entry's clients before the merge only."""
    from app.services.access import client_data

    ana, lead = team.journals["laptop-1"], team.journals["lead"]
    q = ana.save_client(Client(code="HA-SEV-Q", name="Quast"), today=NOW.date())
    p = ana.save_client(Client(code="HA-SEV-P", name="Popa"), today=NOW.date())
    r = ana.save_client(Client(code="HA-SEV-R", name="Rusu"), today=NOW.date())
    entry = ana.save_entry(consultation(notes="über Q", client_ids=[q.id]), now=NOW)
    team.sync("laptop-1").export_bundles()
    team.sync("lead").import_paths([team.sync_dir])
    _clear(team)
    ana.save_entry(dataclasses.replace(ana.get_entry(entry.id), client_ids=[q.id, p.id]))
    ana.save_entry(dataclasses.replace(ana.get_entry(entry.id), notes=f"Popa {MARK}"))
    lead.save_entry(dataclasses.replace(lead.get_entry(entry.id), client_ids=[q.id, r.id], notes="über Q und R"))
    team.sync("laptop-1").export_bundles()
    team.sync("lead").import_paths([team.sync_dir])
    held = {c.field for c in team.sync("lead").list_conflicts() if c.record_id == entry.id}
    assert {"clients", "notes"} <= held
    assert any(MARK in str(r["value"]) for r in client_data(lead, p.id)["conflict_records"])
    assert not any("Popa" in str(r["value"]) for r in client_data(lead, q.id)["conflict_records"])
    team.sync("lead").erase_client(p.id)
    assert [c for c in team.sync("lead").list_conflicts() if MARK in str(c.loser_value)] == []


def test_a_bundle_that_puts_p_on_an_entry_the_lead_deleted_then_writes_notes_about_p(team):
    from app.services.access import client_data

    ana, lead = team.journals["laptop-1"], team.journals["lead"]
    q = ana.save_client(Client(code="HA-DEL-Q", name="Quast"), today=NOW.date())
    p = ana.save_client(Client(code="HA-DEL-P", name="Popa"), today=NOW.date())
    entry = ana.save_entry(consultation(notes="über Q", client_ids=[q.id]), now=NOW)
    team.sync("laptop-1").export_bundles()
    team.sync("lead").import_paths([team.sync_dir])
    _clear(team)
    lead.delete_entry(entry.id)
    ana.save_entry(dataclasses.replace(ana.get_entry(entry.id), client_ids=[q.id, p.id]))
    ana.save_entry(dataclasses.replace(ana.get_entry(entry.id), notes=f"Popa {MARK}"))
    team.sync("laptop-1").export_bundles()
    team.sync("lead").import_paths([team.sync_dir])
    assert any(MARK in str(c.loser_value) for c in team.sync("lead").list_conflicts())
    assert any(MARK in str(r["value"]) for r in client_data(lead, p.id)["conflict_records"])
    assert not any("Popa" in str(r["value"]) for r in client_data(lead, q.id)["conflict_records"])
