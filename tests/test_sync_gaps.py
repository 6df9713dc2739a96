"""Gaps as the team lead sees them (`devices`, the sync view): a bundle that never arrived is
healed by the next one, which carries every change not yet acknowledged, so it is no gap; changes
that really are missing are reported with the bundle numbers that never came."""

from __future__ import annotations

import shutil

from helpers.factories import PASSPHRASE, consultation
from helpers.sync_team import team_fixtures

from app.services.stores import open_store
from app.store.keyslots import keyslot_path

template, team = team_fixtures(1)


def _copy_journal(source, target) -> None:
    """A journal with its keys, as a backup or a restore copies it."""
    shutil.copy2(source, target)
    shutil.copy2(keyslot_path(source), keyslot_path(target))


def _device(team):
    [device] = team.sync("lead").devices()
    return device


def test_a_lost_bundle_whose_changes_came_with_the_next_is_no_gap(team):
    laptop = team.journals["laptop-1"]
    first = laptop.save_entry(consultation(notes="im ersten Paket"))
    [lost] = team.sync("laptop-1").export_bundles()
    lost.path.unlink()  # the USB stick with bundle 2 never reached the lead
    second = laptop.save_entry(consultation(notes="im zweiten Paket"))
    team.sync("laptop-1").export_bundles()
    team.sync("lead").import_paths([team.sync_dir])

    lead = team.journals["lead"]
    assert lead.get_entry(first.id).notes == "im ersten Paket" and lead.get_entry(second.id) is not None
    device = _device(team)
    assert (device.missing_bundles, device.missing_changes) == ([], [])


def test_changes_that_never_arrived_are_reported_with_their_bundle(team, tmp_path):
    lead_path = team.folder / "lead.db"
    laptop = team.journals["laptop-1"]
    laptop.save_entry(consultation(notes="kommt an, geht dann verloren"))
    team.sync("laptop-1").export_bundles()
    team.journals["lead"].close()
    backup = tmp_path / "lead-before.db"  # the lead's journal as it was before this import
    shutil.copy2(lead_path, backup)
    shutil.copy2(keyslot_path(lead_path), keyslot_path(backup))
    lead = open_store(lead_path, PASSPHRASE)
    team.journals["lead"] = lead
    team.sync("lead").import_paths([team.sync_dir])
    team.sync("lead").export_bundles()  # acknowledges the laptop's changes
    team.sync("laptop-1").import_paths([team.sync_dir])
    for f in team.sync_dir.iterdir():
        f.unlink()

    lead.close()  # the lead's laptop is restored from the backup: the acknowledged changes are gone
    shutil.copy2(backup, lead_path)
    team.journals["lead"] = open_store(lead_path, PASSPHRASE)
    laptop.save_entry(consultation(notes="nach der Wiederherstellung"))
    team.sync("laptop-1").export_bundles()
    team.sync("lead").import_paths([team.sync_dir])

    device = _device(team)
    assert device.missing_changes and device.missing_bundles
    assert device.last_bundle_seq not in device.missing_bundles


def test_a_workstation_acknowledges_the_leads_changes_so_they_are_sent_once(team):
    """The lead's first bundle to a workstation starts at the lead's change number of the day it
    was provisioned; the workstation counted its coverage from 0, saw a hole below, acknowledged
    0 for good, and the lead sent its catalog edit again in every bundle."""
    from dataclasses import replace

    lead = team.journals["lead"]
    housing = next(v for v in lead.catalogs.values("topics") if v.code == "housing")
    lead.put_catalog_value(replace(housing, labels={"de": "Wohnen und Miete"}))
    for _round in range(2):
        team.sync("laptop-1").export_bundles()
        team.sync("lead").import_paths([team.sync_dir])
        team.sync("lead").export_bundles()
        team.sync("laptop-1").import_paths([team.sync_dir])
    with lead.engine.connect() as conn:
        lead_number = int(conn.exec_driver_sql("SELECT value FROM meta WHERE key = 'sync.lseq'").scalar())
    team.sync("laptop-1").export_bundles()
    team.sync("lead").import_paths([team.sync_dir])
    assert _device(team).acknowledged == lead_number
    assert team.sync("lead").export_bundles() == []  # nothing new: nothing sent again
    assert team.journals["laptop-1"].catalogs.label("topics", "housing", "de") == "Wohnen und Miete"


def test_a_workstations_later_edit_is_no_conflict_with_its_own_earlier_value(team, tmp_path):
    """A lead restored from a backup received only a laptop's later bundle: the laptop's new
    notes were recorded as "changed on two computers" against the laptop's own older notes,
    though one computer's writes come one after the other."""
    import dataclasses

    lead_path = team.folder / "lead.db"
    laptop = team.journals["laptop-1"]
    entry = laptop.save_entry(consultation(notes="erste Fassung"))

    def round_trip():
        team.sync("laptop-1").export_bundles()
        team.sync("lead").import_paths([team.sync_dir])
        team.sync("lead").export_bundles()
        team.sync("laptop-1").import_paths([team.sync_dir])
        for f in team.sync_dir.iterdir():
            f.unlink()

    round_trip()
    team.journals["lead"].close()
    backup = tmp_path / "lead-before.db"  # the lead as it was with the first version
    _copy_journal(lead_path, backup)
    team.journals["lead"] = open_store(lead_path, PASSPHRASE)
    laptop.save_entry(dataclasses.replace(laptop.get_entry(entry.id), notes="zweite Fassung"))
    round_trip()
    laptop.save_entry(dataclasses.replace(laptop.get_entry(entry.id), notes="dritte Fassung"))
    team.sync("laptop-1").export_bundles()

    team.journals["lead"].close()
    shutil.copy2(backup, lead_path)  # restored: the second version never reached this journal
    team.journals["lead"] = lead = open_store(lead_path, PASSPHRASE)
    team.sync("lead").import_paths([team.sync_dir])
    assert lead.get_entry(entry.id).notes == "dritte Fassung"
    assert team.sync("lead").list_conflicts() == []


def test_the_lead_writes_no_second_reply_that_says_nothing_new(team):
    """Every 'Write replies' wrote another bundle for each workstation that had not answered yet,
    the same as the last: with fifteen laptops, fifteen files a click."""
    laptop = team.journals["laptop-1"]
    laptop.save_entry(consultation(notes="neu"))
    team.sync("laptop-1").export_bundles()
    team.sync("lead").import_paths([team.sync_dir])
    [reply] = team.sync("lead").export_bundles()
    assert team.sync("lead").export_bundles() == []  # the same reply is still waiting in the folder
    team.journals["lead"].save_entry(consultation(notes="von der Teamleitung"))  # the lead's own entry:
    assert team.sync("lead").export_bundles() == []  # nothing the workstation holds or is shared
    reply.path.unlink()  # the reply went missing: written again
    [again] = team.sync("lead").export_bundles()
    assert again.path.exists() and again.records == reply.records

    team.sync("laptop-1").import_paths([team.sync_dir])
    laptop.save_entry(consultation(notes="noch eins"))
    team.sync("laptop-1").export_bundles()
    team.sync("lead").import_paths([team.sync_dir])
    assert len(team.sync("lead").export_bundles()) == 1  # new acknowledgements: a new reply


def test_a_reply_the_workstation_has_confirmed_is_not_written_again_after_the_folder_is_cleaned(team):
    written = []
    for _round in range(3):
        team.sync("laptop-1").export_bundles()
        team.sync("lead").import_paths([team.sync_dir])
        for f in team.sync_dir.iterdir():
            f.unlink()
        written.append(len(team.sync("lead").export_bundles()))
        team.sync("laptop-1").import_paths([team.sync_dir])
        for f in team.sync_dir.iterdir():  # imported bundles cleaned away, as IT may do
            f.unlink()
    assert written[-1] == 0, written


def test_a_workstation_restored_from_a_backup_overwrites_nothing_silently(team, tmp_path):
    """The laptop's journal is restored from a backup that lacks its second version: its new edit,
    written on top of the first, must leave the second as a conflict on the lead, not drop it."""
    import dataclasses

    laptop_path = team.folder / "laptop-1.db"
    laptop = team.journals["laptop-1"]
    entry = laptop.save_entry(consultation(notes="erste Fassung"))
    team.sync("laptop-1").export_bundles()
    team.sync("lead").import_paths([team.sync_dir])
    laptop.close()
    backup = tmp_path / "laptop-before.db"
    _copy_journal(laptop_path, backup)
    team.journals["laptop-1"] = laptop = open_store(laptop_path, PASSPHRASE)
    laptop.save_entry(dataclasses.replace(laptop.get_entry(entry.id), notes="zweite Fassung"))
    team.sync("laptop-1").export_bundles()
    team.sync("lead").import_paths([team.sync_dir])
    assert team.journals["lead"].get_entry(entry.id).notes == "zweite Fassung"

    laptop.close()  # restored: the second version is gone from the laptop
    _copy_journal(backup, laptop_path)
    team.journals["laptop-1"] = laptop = open_store(laptop_path, PASSPHRASE)
    laptop.save_entry(dataclasses.replace(laptop.get_entry(entry.id), notes="dritte Fassung"))
    team.sync("laptop-1").export_bundles()
    team.sync("lead").import_paths([team.sync_dir])
    conflicts = team.sync("lead").list_conflicts()
    assert [(c.field, c.loser_value) for c in conflicts] == [("notes", "zweite Fassung")]


def test_a_healed_lost_bundle_is_not_reported_missing_next_to_a_real_gap(team, tmp_path):
    lead_path = team.folder / "lead.db"
    laptop = team.journals["laptop-1"]
    stick = tmp_path / "stick"
    stick.mkdir()

    # Bundle 2 goes to a USB stick that is lost; bundle 3 in the shared folder carries all of it.
    first = laptop.save_entry(consultation(notes="auf dem verlorenen Stick"))
    [lost] = team.sync("laptop-1").export_bundles(stick)
    lost.path.unlink()
    laptop.save_entry(consultation(notes="im Ordner"))
    [healing] = team.sync("laptop-1").export_bundles()
    team.sync("lead").import_paths([team.sync_dir])
    team.sync("lead").export_bundles()
    team.sync("laptop-1").import_paths([team.sync_dir])
    assert team.journals["lead"].get_entry(first.id) is not None
    assert [d.missing_bundles for d in team.sync("lead").devices()] == [[]]  # healed: no gap

    # The lead's journal is backed up here, then takes in one more bundle and acknowledges it.
    team.journals["lead"].close()
    _copy_journal(lead_path, tmp_path / "lead-backup.db")
    team.journals["lead"] = open_store(lead_path, PASSPHRASE)
    laptop.save_entry(consultation(notes="geht mit der Wiederherstellung verloren"))
    [gone] = team.sync("laptop-1").export_bundles()
    team.sync("lead").import_paths([team.sync_dir])
    team.sync("lead").export_bundles()
    team.sync("laptop-1").import_paths([team.sync_dir])

    # The lead is restored from the backup: the changes of bundle `gone` are really missing now.
    team.journals["lead"].close()
    _copy_journal(tmp_path / "lead-backup.db", lead_path)
    team.journals["lead"] = open_store(lead_path, PASSPHRASE)
    laptop.save_entry(consultation(notes="nach der Wiederherstellung"))
    team.sync("laptop-1").export_bundles()
    team.sync("lead").import_paths([team.sync_dir])

    [device] = team.sync("lead").devices()
    assert device.missing_changes, "the real gap is reported"
    assert gone.seq in device.missing_bundles
    # Bundle `lost` was healed by bundle `healing`, which this journal still holds.
    assert lost.seq not in device.missing_bundles, (
        f"bundle {lost.seq} reported missing, though bundle {healing.seq} brought all its changes: "
        f"{device.missing_bundles}")
