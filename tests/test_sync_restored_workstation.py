"""A workstation restored from a backup numbers its new changes from where the backup stood,
with numbers the team lead has already acknowledged for changes the restore threw away. The
lead's acknowledgement must not make the workstation drop those new changes unsent."""

from __future__ import annotations

import shutil

from helpers.factories import PASSPHRASE, consultation
from helpers.sync_team import team_fixtures

from app.services.stores import open_store
from app.store.keyslots import keyslot_path

template, team = team_fixtures(1)


def _copy_journal(source, target) -> None:
    shutil.copy2(source, target)
    shutil.copy2(keyslot_path(source), keyslot_path(target))


def _round_trip(team) -> None:
    team.sync("laptop-1").export_bundles()
    team.sync("lead").import_paths([team.sync_dir])
    team.sync("lead").export_bundles()
    team.sync("laptop-1").import_paths([team.sync_dir])


def _restore(team, backup, name="laptop-1"):
    """The journal `name` replaced by the backup copy (the app closed meanwhile)."""
    path = team.folder / f"{name}.db"
    team.journals[name].close()
    _copy_journal(backup, path)
    team.journals[name] = open_store(path, PASSPHRASE)
    return team.journals[name]


def _backup(team, tmp_path, name="laptop-1"):
    """A copy of the journal `name` as a backup takes it (the app closed meanwhile)."""
    team.journals[name].close()
    backup = tmp_path / f"{name}-backup.db"
    _copy_journal(team.folder / f"{name}.db", backup)
    team.journals[name] = open_store(team.folder / f"{name}.db", PASSPHRASE)
    return backup


def _synced_and_backed_up(team, tmp_path):
    """The laptop saves and syncs, then its journal is copied as a backup."""
    team.journals["laptop-1"].save_entry(consultation(notes="vor der Sicherung"))
    _round_trip(team)
    return _backup(team, tmp_path)


def _lead_saw_backup_then_more(team, tmp_path):
    """The laptop syncs, is backed up, saves and syncs once more (the lead acknowledges that),
    and is then restored from the backup: its journal lacks the last entry and the lead's answer."""
    backup = _synced_and_backed_up(team, tmp_path)
    lost = team.journals["laptop-1"].save_entry(consultation(notes="nach der Sicherung"))
    _round_trip(team)
    return backup, lost


def test_changes_saved_after_a_restore_reach_the_lead_whatever_the_order(team, tmp_path):
    backup, lost = _lead_saw_backup_then_more(team, tmp_path)  # the lead acknowledged numbers the backup never had
    laptop = _restore(team, backup)

    saved_after_restore = laptop.save_entry(consultation(notes="nach der Wiederherstellung"))
    report = team.sync("laptop-1").import_paths([team.sync_dir])  # the lead's old reply comes first
    assert any("restored from a backup" in w for f in report.results for w in f.warnings), report
    more = laptop.save_entry(consultation(notes="noch eine"))
    _round_trip(team)
    _round_trip(team)

    lead = team.journals["lead"]
    assert lead.get_entry(lost.id) is not None
    assert lead.get_entry(saved_after_restore.id) is not None, "a change saved after the restore never left"
    assert lead.get_entry(more.id) is not None
    assert team.sync("laptop-1").status().unacknowledged == 0


def test_a_restored_workstation_whose_old_bundles_were_cleared_is_not_refused(team, tmp_path):
    """IT cleared the imported bundles from the folder: the restored laptop's next bundle takes a
    number the lead has seen, with other content. It is imported like any other."""
    backup, _lost = _lead_saw_backup_then_more(team, tmp_path)
    for f in team.sync_dir.iterdir():
        f.unlink()
    laptop = _restore(team, backup)
    after = laptop.save_entry(consultation(notes="nach der Wiederherstellung"))
    for _round in range(2):
        team.sync("laptop-1").export_bundles()
        assert team.sync("lead").import_paths([team.sync_dir]).rejected == []
        team.sync("lead").export_bundles()
        assert team.sync("laptop-1").import_paths([team.sync_dir]).rejected == []
    assert team.journals["lead"].get_entry(after.id) is not None
    assert team.sync("laptop-1").status().unacknowledged == 0


def test_a_bundle_from_before_the_restore_still_brings_its_changes(team, tmp_path):
    """The laptop wrote a bundle to a USB stick, then was restored from an older backup and
    synced through the shared folder with the same bundle numbers. The stick arrives last."""
    backup, _lost = _lead_saw_backup_then_more(team, tmp_path)
    laptop = team.journals["laptop-1"]
    on_stick = laptop.save_entry(consultation(notes="auf dem Stick"))
    [stick] = team.sync("laptop-1").export_bundles()
    carried = tmp_path / stick.path.name
    stick.path.rename(carried)
    laptop = _restore(team, backup)
    after = laptop.save_entry(consultation(notes="nach der Wiederherstellung"))
    for _round in range(2):
        _round_trip(team)
    report = team.sync("lead").import_paths([carried])
    assert [r.status for r in report.results] == ["imported"], report.results[0].message
    for _round in range(2):
        _round_trip(team)
    lead = team.journals["lead"]
    assert lead.get_entry(on_stick.id).notes == "auf dem Stick"
    assert lead.get_entry(after.id) is not None
    assert laptop.get_entry(on_stick.id) is not None, "the laptop gets its lost entry back"
    assert team.sync("laptop-1").status().unacknowledged == 0


def test_a_restored_workstation_gets_back_what_it_lost(team, tmp_path):
    """What the lead changed and what the laptop itself had sent since the backup come back to it."""
    import dataclasses

    backup, lost = _lead_saw_backup_then_more(team, tmp_path)
    lead = team.journals["lead"]
    lead.save_entry(dataclasses.replace(lead.get_entry(lost.id), notes="vom Teamleiter ergänzt"))
    team.sync("lead").export_bundles()
    team.sync("laptop-1").import_paths([team.sync_dir])  # the laptop has the lead's correction ...
    laptop = _restore(team, backup)  # ... until it is restored
    assert laptop.get_entry(lost.id) is None

    _round_trip(team)
    _round_trip(team)
    back = laptop.get_entry(lost.id)
    assert back is not None and back.notes == "vom Teamleiter ergänzt"
    written = team.sync("lead").export_bundles()
    assert written == [] or all(r.changes == 0 for r in written), "the lead keeps resending"


def test_laptop_clock_set_back_does_not_freeze_the_leads_acknowledgement(team, monkeypatch):
    """The laptop's clock ran ahead for one bundle, then was set right. Judged by that wall clock,
    no later bundle was its newest: the lead's acknowledgement froze, and every reply resent all
    of the laptop's records."""
    import app.services.sync as sync_mod

    laptop = team.journals["laptop-1"]
    laptop.save_entry(consultation(notes="Uhr falsch"))
    real = sync_mod.utc_now
    monkeypatch.setattr(sync_mod, "utc_now", lambda: "2099-01-01T00:00:00.000Z")
    team.sync("laptop-1").export_bundles()
    monkeypatch.setattr(sync_mod, "utc_now", real)
    team.sync("lead").import_paths([team.sync_dir])
    team.sync("lead").export_bundles()
    team.sync("laptop-1").import_paths([team.sync_dir])
    sizes = []
    for i in range(4):
        laptop.save_entry(consultation(notes=f"Uhr richtig {i}"))
        team.sync("laptop-1").export_bundles()
        team.sync("lead").import_paths([team.sync_dir])
        sizes += [r.changes for r in team.sync("lead").export_bundles()]
        team.sync("laptop-1").import_paths([team.sync_dir])
    with team.journals["lead"].engine.connect() as conn:
        ack = conn.exec_driver_sql("SELECT ack FROM sync_peers WHERE device_id = ?",
                                   (laptop.device_id,)).scalar()
        lseq = int(conn.exec_driver_sql("SELECT value FROM meta WHERE key = 'sync.lseq'").scalar())
    leads = [p.name for p in team.sync_dir.iterdir() if p.name.startswith(f"ml-{team.journals['lead'].device_id[:12]}")]
    assert sizes == [0, 0, 0, 0], (sizes, ack, lseq, len(leads))  # the lead has nothing new for the laptop


def test_restored_from_a_backup_made_before_the_upgrade_import_first(team, tmp_path):
    """The backup predates sync.sent (made by the previous version); the mediator imports the
    lead's reply before exporting (the Import button / `sync import`)."""
    laptop = team.journals["laptop-1"]
    laptop.save_entry(consultation(notes="vor der Sicherung"))
    _round_trip(team)
    with laptop.engine.begin() as conn:
        conn.exec_driver_sql("DELETE FROM meta WHERE key = 'sync.sent'")  # as the previous version left it
    laptop.close()
    path = team.folder / "laptop-1.db"
    backup = tmp_path / "backup.db"
    shutil.copy2(path, backup)
    shutil.copy2(keyslot_path(path), keyslot_path(backup))
    team.journals["laptop-1"] = laptop = open_store(path, PASSPHRASE)
    laptop.save_entry(consultation(notes="nach der Sicherung"))
    _round_trip(team)
    laptop.close()
    shutil.copy2(backup, path)
    shutil.copy2(keyslot_path(backup), keyslot_path(path))
    team.journals["laptop-1"] = laptop = open_store(path, PASSPHRASE)
    after = laptop.save_entry(consultation(notes="nach der Wiederherstellung"))
    team.sync("laptop-1").import_paths([team.sync_dir])
    for _round in range(2):
        _round_trip(team)
    assert team.journals["lead"].get_entry(after.id) is not None, "saved after the restore, never sent"


def test_a_restored_laptops_bundles_from_before_and_after_in_one_import(team, tmp_path):
    """The lead imports, in one run, the bundle written before the restore and the one written
    after, which start at the same number. The newest lacks what the older one brought: the
    laptop must get its lost entry back (nothing told either side before)."""
    backup = _synced_and_backed_up(team, tmp_path)
    lost = team.journals["laptop-1"].save_entry(consultation(notes="nur im alten Paket"))
    [old_bundle] = team.sync("laptop-1").export_bundles()  # waits in the folder
    laptop = _restore(team, backup)
    after = laptop.save_entry(consultation(notes="nach der Wiederherstellung"))
    _round_trip(team)
    _round_trip(team)
    lead = team.journals["lead"]
    assert lead.get_entry(lost.id) is not None and lead.get_entry(after.id) is not None
    assert laptop.get_entry(lost.id) is not None, "the laptop never got back what it lost"
    # The bundle from before the restore was unknown to the restored journal, and stayed for good.
    assert not old_bundle.path.exists()


def test_the_restore_notice_comes_once_for_two_old_replies(team, tmp_path):
    import dataclasses

    backup = _synced_and_backed_up(team, tmp_path)
    lost = team.journals["laptop-1"].save_entry(consultation(notes="nach der Sicherung"))
    team.sync("laptop-1").export_bundles()
    team.sync("lead").import_paths([team.sync_dir])
    team.sync("lead").export_bundles()
    lead = team.journals["lead"]
    lead.save_entry(dataclasses.replace(lead.get_entry(lost.id), notes="vom Teamleiter"))
    team.sync("lead").export_bundles()  # a second reply, before the laptop read the first
    laptop = _restore(team, backup)
    laptop.save_entry(consultation(notes="nach der Wiederherstellung"))
    report = team.sync("laptop-1").import_paths([team.sync_dir])
    assert len(report.imported) == 2
    notices = [w for r in report.results for w in r.warnings if "restored from a backup" in w]
    assert len(notices) == 1, notices
    _round_trip(team)
    _round_trip(team)
    assert laptop.get_entry(lost.id).notes == "vom Teamleiter"
    assert team.sync("laptop-1").status().unacknowledged == 0


def _round_trip_counts(team):
    """One exchange; what each side wrote (field changes per bundle) and the laptop's warnings."""
    sent = team.sync("laptop-1").export_bundles()
    team.sync("lead").import_paths([team.sync_dir])
    replies = team.sync("lead").export_bundles()
    report = team.sync("laptop-1").import_paths([team.sync_dir])
    return [r.changes for r in sent], [r.changes for r in replies], sum(len(f.warnings) for f in report.results)


def test_a_restored_laptop_with_nothing_new_settles(team, tmp_path):
    """With nothing to send, the restored laptop took the lead's acknowledgement as news on every
    sync: a bundle marked restored, all its records back and the warning, round after round."""
    backup, _lost = _lead_saw_backup_then_more(team, tmp_path)
    _restore(team, backup)
    rounds = [_round_trip_counts(team) for _ in range(6)]
    assert rounds[-1] == ([], [], 0), rounds
    assert sum(warnings for _sent, _replies, warnings in rounds) == 1, rounds
    assert len(list(team.sync_dir.iterdir())) <= 2


def test_a_lead_restored_from_a_backup_gets_back_what_the_laptops_had_sent(team, tmp_path):
    """The lead had imported and acknowledged the entry, so the laptop no longer kept it in its
    log; the restore took it from the lead, and nothing asked for it again."""
    team.journals["laptop-1"].save_entry(consultation(notes="A"))
    _round_trip(team)
    backup = _backup(team, tmp_path, "lead")
    after = team.journals["laptop-1"].save_entry(consultation(notes="B"))
    _round_trip(team)
    _round_trip(team)
    lead = _restore(team, backup, "lead")
    for _round in range(3):
        _round_trip(team)
    assert lead.get_entry(after.id) is not None
    assert [d.missing_changes for d in team.sync("lead").devices()] == [[]]


def test_a_lead_restored_from_a_backup_still_sends_its_new_changes(team, tmp_path):
    """The laptop acknowledged lead change numbers above the restored lead's counter, so the
    lead's corrections after the restore were not sent until the counter passed them."""
    import dataclasses

    entry = team.journals["laptop-1"].save_entry(consultation(notes="Anfang"))
    _round_trip(team)
    backup = _backup(team, tmp_path, "lead")
    for i in range(3):
        lead = team.journals["lead"]
        lead.save_entry(dataclasses.replace(lead.get_entry(entry.id), notes=f"Korrektur {i}"))
        _round_trip(team)
    lead = _restore(team, backup, "lead")
    lead.save_entry(dataclasses.replace(lead.get_entry(entry.id), notes="neu"))
    for _round in range(3):
        _round_trip(team)
    assert team.journals["laptop-1"].get_entry(entry.id).notes == "neu"
