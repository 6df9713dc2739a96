"""The sync folder does not fill up: each journal removes the bundles it wrote once the other side
has taken them in, and nothing else. Fifteen laptops syncing daily would otherwise leave thousands
of files that every import reads again, and old copies of data an erasure cannot reach."""

from __future__ import annotations

import dataclasses
import time

from helpers.factories import consultation
from helpers.sync_team import team_fixtures

template, team = team_fixtures(2)


def _round_trip(team) -> None:
    team.sync("laptop-1").export_bundles()
    team.sync("lead").import_paths([team.sync_dir])
    team.sync("lead").export_bundles()
    team.sync("laptop-1").import_paths([team.sync_dir])


def _laptop_edit_loses_to_the_lead(team):
    """The laptop edits, the lead edits the same field a moment later; the laptop takes the lead's
    version in, then sends its own older one, which loses: the lead's reply only acknowledges."""
    laptop, lead = team.journals["laptop-1"], team.journals["lead"]
    entry = laptop.save_entry(consultation(notes="Anfang"))
    _round_trip(team)
    _round_trip(team)
    laptop.save_entry(dataclasses.replace(laptop.get_entry(entry.id), notes="vom Laptop"))
    time.sleep(0.05)
    lead.save_entry(dataclasses.replace(lead.get_entry(entry.id), notes="vom Teamleiter"))
    team.sync("lead").export_bundles()
    team.sync("laptop-1").import_paths([team.sync_dir])


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


def test_a_reply_that_only_acknowledges_stays_until_the_laptop_has_read_it(team):
    """It was removed in the export that wrote it: the laptop never saw the acknowledgement, sent
    the same change in a new bundle on every sync, and the lead reported replies that did not exist."""
    _laptop_edit_loses_to_the_lead(team)
    team.sync("laptop-1").export_bundles()
    team.sync("lead").import_paths([team.sync_dir])
    written = team.sync("lead").export_bundles()
    assert written and all(r.path.exists() for r in written)
    for _round in range(3):
        _round_trip(team)
    assert team.sync("laptop-1").status().unacknowledged == 0, _names(team)
    assert len(_from(team, "laptop-1")) <= 1 and len(_from(team, "lead", to="laptop-1")) <= 1, _names(team)


def test_a_bundle_in_the_shared_folder_is_removed_even_after_one_exchange_by_usb_stick(team, tmp_path):
    """Removal looked for every bundle in whichever folder it was run on, and forgot those not there."""
    laptop = team.journals["laptop-1"]
    laptop.save_entry(consultation(notes="Eintrag"))
    [in_folder] = team.sync("laptop-1").export_bundles()  # the shared folder
    team.sync("lead").import_paths([team.sync_dir])
    stick = tmp_path / "stick"
    stick.mkdir()
    team.sync("lead").export_bundles(stick)  # this time the reply goes by USB stick
    team.sync("laptop-1").import_paths([stick])
    for _round in range(2):
        _round_trip(team)  # back to the shared folder
    assert not in_folder.path.exists(), "taken in and acknowledged, but never removed"
