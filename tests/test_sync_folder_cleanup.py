"""The sync folder does not fill up: each journal removes the bundles it wrote once the other side
has taken them in, and nothing else. Fifteen laptops syncing daily would otherwise leave thousands
of files that every import reads again, and old copies of data an erasure cannot reach."""

from __future__ import annotations

from helpers.factories import consultation
from helpers.sync_team import team_fixtures

template, team = team_fixtures(2)


def _names(team) -> list[str]:
    return sorted(p.name for p in team.sync_dir.iterdir())


def _from(team, name: str, to: str = "") -> list[str]:
    prefix = f"ml-{team.journals[name].device_id[:12]}-"
    suffix = f"-to-{team.journals[to].device_id[:12]}.mlsync" if to else ""
    return [n for n in _names(team) if n.startswith(prefix) and n.endswith(suffix)]


def test_each_side_removes_its_bundles_once_the_other_has_taken_them_in(team):
    laptop = team.journals["laptop-1"]
    laptop.save_entry(consultation(notes="erster Tag"))
    [first] = team.sync("laptop-1").export_bundles()
    laptop.save_entry(consultation(notes="noch am ersten Tag"))
    [second] = team.sync("laptop-1").export_bundles()
    assert {first.path.name, second.path.name} <= set(_names(team)), "nothing is removed before the lead has it"

    team.sync("lead").import_paths([team.sync_dir])
    team.sync("lead").export_bundles()
    assert len(_from(team, "laptop-1")) == 2, "the laptop's bundles stay until the lead's reply reached it"
    team.sync("laptop-1").import_paths([team.sync_dir])
    assert _from(team, "laptop-1") == []
    [reply] = _from(team, "lead", to="laptop-1")

    laptop.save_entry(consultation(notes="zweiter Tag"))
    team.sync("laptop-1").export_bundles()
    team.sync("lead").import_paths([team.sync_dir])  # the laptop's bundle says it has the reply
    assert reply not in _names(team)
    assert {e.notes for e in team.journals["lead"].all_entries()} >= {"erster Tag", "noch am ersten Tag", "zweiter Tag"}


def test_an_acknowledgement_only_bundle_stays_until_the_lead_has_read_it(team):
    laptop = team.journals["laptop-1"]
    laptop.save_entry(consultation(notes="Eintrag"))
    team.sync("laptop-1").export_bundles()
    team.sync("lead").import_paths([team.sync_dir])
    team.journals["lead"].save_entry(consultation(notes="vom Teamleiter"))
    team.sync("lead").export_bundles()
    team.sync("laptop-1").import_paths([team.sync_dir])
    [ack_only] = team.sync("laptop-1").export_bundles()  # nothing new, only "I have your changes"
    assert ack_only.changes == 0
    team.sync("laptop-1").import_paths([team.sync_dir])
    team.sync("laptop-1").export_bundles()
    assert ack_only.path.exists()

    team.sync("lead").import_paths([team.sync_dir])
    assert ack_only.path.exists(), "the laptop does not know yet that the lead has read it"
    laptop.save_entry(consultation(notes="am nächsten Tag"))  # the next exchange tells it
    team.sync("laptop-1").export_bundles()
    team.sync("lead").import_paths([team.sync_dir])
    team.sync("lead").export_bundles()
    team.sync("laptop-1").import_paths([team.sync_dir])
    assert not ack_only.path.exists()
    assert _from(team, "laptop-1") == []


def test_files_this_journal_did_not_write_stay(team):
    laptop = team.journals["laptop-1"]
    laptop.save_entry(consultation(notes="Eintrag"))
    [mine] = team.sync("laptop-1").export_bundles()
    team.journals["laptop-2"].save_entry(consultation(notes="vom anderen Laptop"))
    [other] = team.sync("laptop-2").export_bundles()
    team.sync("lead").import_paths([team.sync_dir])
    team.sync("lead").export_bundles()
    original = mine.path.read_bytes()
    mine.path.write_bytes(original[:-1] + bytes([original[-1] ^ 1]))  # same name, other content
    team.sync("laptop-1").import_paths([team.sync_dir])
    assert mine.path.exists() and other.path.exists()
