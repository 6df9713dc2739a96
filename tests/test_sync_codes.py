"""Two workstations that give the same client code to different people (codes brought in from an
old spreadsheet) must not stop a merge: both people are kept, one under a free variant of the code,
the team lead sees it for review, and the new code goes back to the workstation."""

from __future__ import annotations

import pytest
from helpers.sync_team import make_team, open_team

from app.domain.entries import Client


@pytest.fixture
def team(tmp_path):
    team = open_team(make_team(tmp_path / "template", 2), tmp_path / "team")
    yield team
    team.close()


def test_same_code_on_two_workstations_keeps_both_people(team):
    first = team.journals["laptop-1"].save_client(Client(code="HAGEN-0815", name="Ana"))
    second = team.journals["laptop-2"].save_client(Client(code="HAGEN-0815", name="Boris"))
    for name in ("laptop-1", "laptop-2"):
        team.sync(name).export_bundles()

    report = team.sync("lead").import_paths([team.sync_dir])
    assert [r.status for r in report.results] == ["imported", "imported"]
    lead = team.journals["lead"]
    by_id = {c.id: c for c in lead.list_clients()}
    assert {by_id[first.id].name, by_id[second.id].name} == {"Ana", "Boris"}
    codes = sorted(c.code for c in by_id.values())
    assert codes == ["HAGEN-0815", "HAGEN-0815-2"]
    renamed = next(c for c in by_id.values() if c.code == "HAGEN-0815-2")
    [conflict] = team.sync("lead").list_conflicts()
    assert (conflict.kind, conflict.field, conflict.record_id, conflict.loser_value) == (
        "duplicate_code", "code", renamed.id, "HAGEN-0815")

    team.sync("lead").export_bundles()  # replies: the renamed code goes back to its workstation
    owner = "laptop-1" if renamed.id == first.id else "laptop-2"
    team.sync(owner).import_paths([team.sync_dir])
    assert team.journals[owner].get_client(renamed.id).code == "HAGEN-0815-2"


def _codes(journal) -> dict[str, str]:
    return {c.id: c.code for c in journal.list_clients()}


def test_the_renamed_code_reaches_a_workstation_whose_clock_runs_ahead(team, monkeypatch):
    """The lead stamped its rename with its own clock before taking in the bundle's stamps, so on a
    laptop whose clock was 10 minutes fast the rename lost and the two stores kept different codes."""
    import time as real_time

    from app.domain import ids
    from app.sync import hlc

    # uuid7 stays monotonic after the clock goes back: its memory must not outlive this test
    monkeypatch.setattr(ids, "_last_ms", ids._last_ms)
    monkeypatch.setattr(ids, "_last_rand", ids._last_rand)
    team.journals["laptop-1"].save_client(Client(code="HA-DUP-01", name="A"))
    now = real_time.time_ns
    monkeypatch.setattr(hlc.time, "time_ns", lambda: now() + 600 * 10**9)
    fast = team.journals["laptop-2"].save_client(Client(code="HA-DUP-01", name="B"))
    monkeypatch.setattr(hlc.time, "time_ns", now)
    for name in ("laptop-1", "laptop-2"):
        team.sync(name).export_bundles()
    team.sync("lead").import_paths([team.sync_dir])
    team.sync("lead").export_bundles()
    team.sync("laptop-2").import_paths([team.sync_dir])
    assert _codes(team.journals["lead"])[fast.id] == _codes(team.journals["laptop-2"])[fast.id]


def test_a_collision_found_on_a_workstation_syncs_back_and_all_stores_agree(team):
    """laptop-2 registered HA-FAM-07 offline while the lead shared laptop-1's HA-FAM-07 with it. The
    rename laptop-2 made while merging was not logged, so the lead never heard of it and the same
    code named different people on different stores."""
    first = team.journals["laptop-1"].save_client(Client(code="HA-FAM-07", name="P."))
    team.sync("laptop-1").export_bundles()
    team.sync("lead").import_paths([team.sync_dir])
    own = team.journals["laptop-2"].save_client(Client(code="HA-FAM-07", name="Q."))
    team.sync("lead").share_client("HA-FAM-07", "laptop-2")
    for _round in range(3):
        for name in ("laptop-1", "laptop-2"):
            team.sync(name).export_bundles()
        team.sync("lead").import_paths([team.sync_dir])
        team.sync("lead").export_bundles()
        for name in ("laptop-1", "laptop-2"):
            team.sync(name).import_paths([team.sync_dir])
    lead, one, two = (_codes(team.journals[n]) for n in ("lead", "laptop-1", "laptop-2"))
    assert lead[first.id] == one[first.id] == two[first.id]
    assert lead[own.id] == two[own.id]
    assert lead[first.id] != lead[own.id]
