"""What the team lead is shown of a conflict: for an edit that lost against a deletion, the
winning side is the deletion, so the lead sees who deleted the entry and when (the lead decides
from that whether to keep the deletion or restore the entry)."""

from __future__ import annotations

from dataclasses import replace

from helpers.factories import consultation
from helpers.sync_team import team_fixtures

from app.sync.hlc import to_iso

template, team = team_fixtures(1)


def _shared_entry(team):
    """An entry made on the workstation, known to the lead, and the lead's reply imported."""
    entry = team.journals["laptop-1"].save_entry(consultation(notes="erste Fassung"))
    team.sync("laptop-1").export_bundles()
    team.sync("lead").import_paths([team.sync_dir])
    team.sync("lead").export_bundles()
    team.sync("laptop-1").import_paths([team.sync_dir])
    return entry


def _deletion_time(journal, entry_id: str) -> str:
    import json

    with journal.engine.connect() as conn:
        clocks = json.loads(conn.exec_driver_sql(
            "SELECT clocks FROM sync_clock WHERE tbl = 'entries' AND rid = ?", (entry_id,)).scalar())
    return to_iso(clocks["deleted_at"][0])


def test_an_edit_on_the_lead_against_a_deletion_on_the_workstation_names_the_workstation(team):
    entry = _shared_entry(team)
    team.journals["laptop-1"].delete_entry(entry.id)
    lead = team.journals["lead"]
    lead.save_entry(replace(lead.get_entry(entry.id), notes="vom Team ergänzt"))
    team.sync("laptop-1").export_bundles()
    team.sync("lead").import_paths([team.sync_dir])

    [conflict] = team.sync("lead").list_conflicts()
    assert (conflict.kind, conflict.field, conflict.loser_value) == ("deleted", "notes", "vom Team ergänzt")
    assert conflict.record_deleted
    assert conflict.loser_device == "lead"
    assert conflict.current_device == "laptop-1"
    assert conflict.current_time == _deletion_time(lead, entry.id)


def test_an_edit_on_the_workstation_against_a_deletion_on_the_lead_names_the_lead(team):
    entry = _shared_entry(team)
    device = team.journals["laptop-1"]
    device.save_entry(replace(device.get_entry(entry.id), notes="vor Ort ergänzt"))
    lead = team.journals["lead"]
    lead.delete_entry(entry.id)
    team.sync("laptop-1").export_bundles()
    team.sync("lead").import_paths([team.sync_dir])

    [conflict] = team.sync("lead").list_conflicts()
    assert (conflict.kind, conflict.field, conflict.loser_value) == ("deleted", "notes", "vor Ort ergänzt")
    assert conflict.loser_device == "laptop-1"
    assert conflict.current_device == "lead"
    assert conflict.current_time == _deletion_time(lead, entry.id)


def test_a_conflict_is_dated_when_the_import_found_it(team):
    import datetime as dt

    entry = _shared_entry(team)
    lead, device = team.journals["lead"], team.journals["laptop-1"]
    lead.save_entry(replace(lead.get_entry(entry.id), notes="Leitung"))
    device.save_entry(replace(device.get_entry(entry.id), notes="vor Ort"))
    team.sync("laptop-1").export_bundles()
    before = dt.datetime.now(dt.timezone.utc)
    team.sync("lead").import_paths([team.sync_dir])
    [conflict] = team.sync("lead").list_conflicts()
    found = dt.datetime.fromisoformat(conflict.detected_at.replace("Z", "+00:00"))
    assert found >= before.replace(microsecond=before.microsecond // 1000 * 1000)
    assert found >= dt.datetime.fromisoformat(conflict.current_time.replace("Z", "+00:00"))


def test_a_workstations_own_value_it_replaced_in_the_same_bundle_is_no_conflict(team):
    """laptop-1 wrote a typo, the lead wrote its note, laptop-1 corrected the typo; one bundle
    carried both laptop edits. The typo was listed as a losing value against the laptop's own
    correction; only the lead's note lost."""
    entry = _shared_entry(team)
    device, lead = team.journals["laptop-1"], team.journals["lead"]
    device.save_entry(replace(device.get_entry(entry.id), notes="A1 (Tippfehler)"))
    lead.save_entry(replace(lead.get_entry(entry.id), notes="Lead"))
    device.save_entry(replace(device.get_entry(entry.id), notes="A2 korrigiert"))
    team.sync("laptop-1").export_bundles()
    team.sync("lead").import_paths([team.sync_dir])
    assert [(c.field, c.loser_value) for c in team.sync("lead").list_conflicts()] == [("notes", "Lead")]
    assert lead.get_entry(entry.id).notes == "A2 korrigiert"


def test_taking_back_a_value_that_cannot_stand_is_refused_and_the_conflict_stays(team):
    """Restoring an entry deleted elsewhere with only the note that lost would bring it back without
    a date; taking back a client code the merge had to rename failed with a database error."""
    import pytest

    from app.domain.entries import Client
    from app.services.sync import SyncError

    entry = _shared_entry(team)
    team.journals["laptop-1"].delete_entry(entry.id)
    lead = team.journals["lead"]
    lead.save_entry(replace(lead.get_entry(entry.id), notes="vom Team ergänzt"))
    team.journals["lead"].save_client(Client(code="HA-DUP-01"))
    team.journals["laptop-1"].save_client(Client(code="HA-DUP-01"))
    team.sync("laptop-1").export_bundles()
    team.sync("lead").import_paths([team.sync_dir])
    by_kind = {c.kind: c for c in team.sync("lead").list_conflicts()}
    assert set(by_kind) == {"deleted", "duplicate_code"}
    with pytest.raises(SyncError, match="without its date"):
        team.sync("lead").resolve_conflict(by_kind["deleted"].id, "take")
    with pytest.raises(SyncError, match="belongs to another client"):
        team.sync("lead").resolve_conflict(by_kind["duplicate_code"].id, "take")
    assert {c.kind for c in team.sync("lead").list_conflicts()} == {"deleted", "duplicate_code"}
    assert lead.get_entry(entry.id) is None
