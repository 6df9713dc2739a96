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
