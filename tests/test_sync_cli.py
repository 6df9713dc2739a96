"""The sync commands end to end through `app.cli.main`: provision, init --profile, sync export /
import / status, devices (text, json, --revoke), conflicts, erase-client, and exit code 3."""

from __future__ import annotations

import json

from helpers.factories import PASSPHRASE, consultation

from app.cli import main
from app.store.keyslots import keyslot_path
from app.store.migrate import backup_store


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_team_workflow_on_the_command_line(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("MEDIATORLOG_PASSPHRASE", PASSPHRASE)
    sync_dir = tmp_path / "sync"
    sync_dir.mkdir()
    lead, laptop, profile = tmp_path / "lead.db", tmp_path / "laptop.db", tmp_path / "laptop.profile"
    assert run(capsys, "init", "--store", str(lead), "--role", "lead", "--name", "Lead")[0] == 0

    code, out, _err = run(capsys, "provision", "--store", str(lead), "--workstation", "laptop-7", "--user", "Ana",
                          "--language", "ro", "--sync-dir", str(sync_dir), "--out", str(profile))
    assert code == 0 and "laptop-7" in out
    assert json.loads(profile.read_text())["enrollment_secret"]
    code, _out, err = run(capsys, "provision", "--store", str(lead), "--workstation", "laptop-7", "--out",
                          str(profile))
    assert code == 1 and err.count("\n") == 1  # never overwrites the profile file

    assert run(capsys, "init", "--store", str(laptop), "--profile", str(profile))[0] == 0
    code, out, _ = run(capsys, "sync", "status", "--store", str(laptop), "--format", "json")
    assert code == 0 and json.loads(out)["workstation"] == "laptop-7"

    records = tmp_path / "entries.jsonl"
    records.write_text(json.dumps({"type": "consultation", "date": "2025-03-10", "mediator": "Ana", "setting": "office", "notes": "Termin"}) + "\n")
    assert run(capsys, "import", "--store", str(laptop), str(records))[0] == 0
    code, out, _ = run(capsys, "sync", "export", "--store", str(laptop))
    assert code == 0 and ".mlsync" in out
    # records, as `sync status` counts them (it said "16 changes" where the status said 8)
    assert "changed records: 1 (field changes: " in out
    code, out, _ = run(capsys, "sync", "import", "--store", str(lead), str(sync_dir))
    assert code == 0 and "laptop-7" in out

    code, out, _ = run(capsys, "devices", "--store", str(lead), "--format", "json")
    [device] = json.loads(out)
    assert (device["name"], device["state"], device["user"], device["last_bundle_seq"]) == (
        "laptop-7", "enrolled", "Ana", 1)
    code, out, _ = run(capsys, "devices", "--store", str(lead))
    assert code == 0 and "laptop-7\tenrolled" in out
    code, out, _ = run(capsys, "conflicts", "--store", str(lead), "--format", "json")
    assert code == 0 and json.loads(out) == []

    code, out, _ = run(capsys, "sync", "export", "--store", str(lead), "--to", str(sync_dir))
    assert code == 0
    code, _out, _ = run(capsys, "sync", "import", "--store", str(laptop), str(sync_dir))
    assert code == 0
    code, out, _ = run(capsys, "sync", "status", "--store", str(laptop), "--format", "json")
    assert json.loads(out)["unacknowledged"] == 0 and json.loads(out)["enrolled"]

    # A damaged bundle: exit 3, one line per problem, naming the file.
    assert run(capsys, "import", "--store", str(laptop), str(records))[0] == 0  # the same row: no change
    records.write_text(json.dumps({"type": "consultation", "date": "2025-03-11", "mediator": "Ana", "setting": "office", "notes": "Neu"}) + "\n")
    assert run(capsys, "import", "--store", str(laptop), str(records))[0] == 0
    code, out, _ = run(capsys, "sync", "export", "--store", str(laptop), "--to", str(tmp_path))
    [bundle] = list(tmp_path.glob("*.mlsync"))
    bundle.write_bytes(bundle.read_bytes()[:-10])
    code, out, err = run(capsys, "sync", "import", "--store", str(lead), str(bundle))
    assert code == 3 and bundle.name in err and "incomplete" in err

    assert run(capsys, "devices", "--store", str(lead), "--revoke", "laptop-7")[0] == 0
    code, _out, err = run(capsys, "devices", "--store", str(lead), "--revoke", "nobody")
    assert code == 1 and "nobody" in err


def test_sync_commands_outside_a_team_fail_cleanly(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("MEDIATORLOG_PASSPHRASE", PASSPHRASE)
    store = tmp_path / "solo.db"
    assert run(capsys, "init", "--store", str(store))[0] == 0
    code, _out, err = run(capsys, "sync", "export", "--store", str(store), "--to", str(tmp_path))
    assert code == 1 and "team" in err and "Traceback" not in err
    code, _out, err = run(capsys, "provision", "--store", str(store), "--workstation", "x", "--out",
                          str(tmp_path / "p"))
    assert code == 1 and "lead" in err
    code, _out, err = run(capsys, "init", "--store", str(tmp_path / "b.db"), "--profile", str(tmp_path / "none"))
    assert code == 1
    (tmp_path / "bad.profile").write_text("{}")
    code, _out, err = run(capsys, "init", "--store", str(tmp_path / "c.db"), "--profile", str(tmp_path / "bad.profile"))
    assert code == 1 and "profile" in err
    monkeypatch.setenv("MEDIATORLOG_PASSPHRASE", "wrong passphrase")
    assert run(capsys, "sync", "status", "--store", str(store))[0] == 2


def test_conflict_listed_and_resolved_on_the_command_line(tmp_path, monkeypatch, capsys):
    import datetime as dt

    from helpers.factories import NOW
    from helpers.sync_team import make_team, open_team

    team = open_team(make_team(tmp_path / "t", 1), tmp_path / "run")
    try:
        lead, laptop = team.journals["lead"], team.journals["laptop-1"]
        from helpers.factories import consultation

        entry = laptop.save_entry(consultation(notes="Anfang"), now=NOW)
        team.sync("laptop-1").export_bundles()
        team.sync("lead").import_paths([team.sync_dir])
        on_lead = lead.get_entry(entry.id)
        on_lead.notes = "Korrektur der Leitung"
        lead.save_entry(on_lead, now=NOW)
        mine = laptop.get_entry(entry.id)
        mine.notes = "Nachtrag vor Ort"
        laptop.save_entry(mine, now=NOW + dt.timedelta(minutes=1))
        team.sync("laptop-1").export_bundles()
        team.sync("lead").import_paths([team.sync_dir])
        paths = {n: str(team.folder / f"{n}.db") for n in ("lead",)}
    finally:
        team.close()
    monkeypatch.setenv("MEDIATORLOG_PASSPHRASE", PASSPHRASE)
    code, out, _ = run(capsys, "conflicts", "--store", paths["lead"], "--format", "json")
    [conflict] = json.loads(out)
    assert {conflict["current_value"], conflict["loser_value"]} == {"Korrektur der Leitung", "Nachtrag vor Ort"}
    code, out, _ = run(capsys, "conflicts", "--store", paths["lead"], "--resolve", str(conflict["id"]),
                       "--choice", "take")
    assert code == 0
    code, out, _ = run(capsys, "conflicts", "--store", paths["lead"], "--format", "json")
    assert json.loads(out) == []


def test_a_conflict_resolved_with_a_typed_value_is_checked_like_an_import(tmp_path, monkeypatch, capsys):
    """A value typed to resolve a conflict syncs to every workstation: it must be a value the
    entry form or an import would accept (catalog code, count, date), in the stored form."""
    import datetime as dt

    from helpers.factories import NOW, outreach
    from helpers.sync_team import make_team, open_team

    team = open_team(make_team(tmp_path / "t", 1), tmp_path / "run")
    try:
        lead, laptop = team.journals["lead"], team.journals["laptop-1"]
        entry = laptop.save_entry(outreach(), now=NOW)
        team.sync("laptop-1").export_bundles()
        team.sync("lead").import_paths([team.sync_dir])
        on_lead = lead.get_entry(entry.id)
        on_lead.district, on_lead.adults_reached = "haspe", 9
        lead.save_entry(on_lead, now=NOW)
        mine = laptop.get_entry(entry.id)
        mine.district, mine.adults_reached = "altenhagen", 12
        laptop.save_entry(mine, now=NOW + dt.timedelta(minutes=1))
        team.sync("laptop-1").export_bundles()
        team.sync("lead").import_paths([team.sync_dir])
        ids = {c.field: c.id for c in team.sync("lead").list_conflicts()}
        assert set(ids) == {"district", "adults_reached"}
    finally:
        team.close()
    monkeypatch.setenv("MEDIATORLOG_PASSPHRASE", PASSPHRASE)
    lead_path = str(team.folder / "lead.db")

    def resolve(*argv):
        return run(capsys, "conflicts", "--store", lead_path, *argv)

    for conflict, value in (("district", "nowhere"), ("adults_reached", "-50"), ("adults_reached", "many")):
        code, out, err = resolve("--resolve", str(ids[conflict]), "--choice", "edit", "--value", value)
        assert (code, out) == (1, "") and err.count("\n") == 1 and "Traceback" not in err, err
    code, out, err = resolve("--resolve", str(ids["district"]))  # no --choice: nothing is decided for the user
    assert code == 1 and "--choice" in err
    # edit without --value wrote an empty district and reported the conflict resolved
    code, out, err = resolve("--resolve", str(ids["district"]), "--choice", "edit")
    assert (code, out) == (1, "") and "--value" in err
    code, out, _ = resolve("--format", "json")
    assert {c["field"] for c in json.loads(out)} == {"district", "adults_reached"}  # both still open

    assert resolve("--resolve", str(ids["district"]), "--choice", "edit", "--value", "Haspe")[0] == 1  # a label
    assert resolve("--resolve", str(ids["district"]), "--choice", "edit", "--value", "haspe")[0] == 0
    assert resolve("--resolve", str(ids["adults_reached"]), "--choice", "edit", "--value", "10")[0] == 0
    from app.services.stores import open_store

    with open_store(team.folder / "lead.db", PASSPHRASE) as journal:
        stored = journal.get_entry(entry.id)
        assert (stored.district, stored.adults_reached) == ("haspe", 10)


def test_erase_client_and_share_take_a_code_in_any_case(tmp_path, monkeypatch, capsys):
    from helpers.sync_team import make_team, open_team

    from app.domain.entries import Client

    team = open_team(make_team(tmp_path / "t", 2), tmp_path / "run")
    try:
        client = team.journals["lead"].save_client(Client(code="HA-FAM-07"))
        other = team.journals["lead"].save_client(Client(code="HA-FAM-08"))
    finally:
        team.close()
    monkeypatch.setenv("MEDIATORLOG_PASSPHRASE", PASSPHRASE)
    lead = str(team.folder / "lead.db")
    code, out, err = run(capsys, "share", "--store", lead, "--client", "ha-fam-08", "--workstation", "laptop-2")
    assert (code, err) == (0, "") and "HA-FAM-08" in out
    code, out, err = run(capsys, "erase-client", "--store", lead, "--code", " ha-fam-07 ")  # not without --yes
    assert code == 1 and "--yes" in err and "HA-FAM-07 and 0 entries" in out and "cannot be undone" in out
    assert "erased on every synced computer" in out and "Sync bundles still in the sync folder" in out
    code, out, err = run(capsys, "erase-client", "--store", lead, "--code", " ha-fam-07 ", "--yes")
    assert (code, err) == (0, "") and "The erasure reaches the other computers with the next sync." in out
    from app.services.stores import open_store

    with open_store(team.folder / "lead.db", PASSPHRASE) as journal:
        assert journal.get_client(client.id) is None and journal.get_client(other.id) is not None


def test_devices_and_provision_say_what_is_wrong_in_plain_words(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("MEDIATORLOG_PASSPHRASE", PASSPHRASE)
    lead, profile = str(tmp_path / "lead.db"), tmp_path / "w1.profile"
    assert run(capsys, "init", "--store", lead, "--role", "lead")[0] == 0
    assert run(capsys, "provision", "--store", lead, "--workstation", "w1", "--out", str(profile))[0] == 0
    code, _out, err = run(capsys, "provision", "--store", lead, "--workstation", "w2", "--out", str(profile))
    assert code == 1 and err == f"mediatorlog: {profile} exists already and is not overwritten: choose another file name.\n"
    code, out, _err = run(capsys, "--lang", "de", "devices", "--store", lead)
    header, first = out.splitlines()[:2]
    assert header.startswith("Arbeitsplatz\t") and "\tImportiert\t" in header  # columns named, as on the desktop
    assert first.startswith("w1\twartet auf sein erstes Paket")  # the state in the language asked for
    assert run(capsys, "devices", "--store", lead, "--revoke", "w1")[0] == 0
    code, _out, err = run(capsys, "devices", "--store", lead, "--revoke", "w1")
    assert code == 1 and "w1 is revoked already" in err
    code, _out, err = run(capsys, "devices", "--store", lead, "--revoke", "w9")
    assert code == 1 and "no workstation called w9" in err


def test_sync_import_of_a_path_that_does_not_exist_is_bad_input(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("MEDIATORLOG_PASSPHRASE", PASSPHRASE)
    lead = str(tmp_path / "lead.db")
    assert run(capsys, "init", "--store", lead, "--role", "lead")[0] == 0
    code, _out, err = run(capsys, "sync", "import", "--store", lead, str(tmp_path / "nothere"))
    assert code == 1 and err == f"mediatorlog: There is no file or folder {tmp_path / 'nothere'}.\n"


def test_sync_status_counts_records_as_the_status_bar_does(tmp_path, monkeypatch, capsys):
    """One new consultation showed 'Changes not yet acknowledged: 33' (its field versions) on the
    command line, while the desktop's status bar said 1."""
    from helpers.sync_team import make_team, open_team

    team = open_team(make_team(tmp_path / "t", 1), tmp_path / "run")
    try:
        team.journals["laptop-1"].save_entry(consultation())
    finally:
        team.close()
    monkeypatch.setenv("MEDIATORLOG_PASSPHRASE", PASSPHRASE)
    laptop = str(team.folder / "laptop-1.db")
    code, out, _ = run(capsys, "sync", "status", "--store", laptop)
    assert code == 0 and "Changes not yet acknowledged: 1\n" in out
    code, out, _ = run(capsys, "sync", "status", "--store", laptop, "--format", "json")
    status = json.loads(out)
    assert (status["unacknowledged_records"], status["unsent_records"]) == (1, 1) and status["unacknowledged"] > 1


def test_lead_commands_on_a_mediator_journal_are_refused(tmp_path, monkeypatch, capsys):
    """`devices` and `share --list` answered "no workstations" on a mediator's journal, as if it
    were a lead's without any: `provision` already refused."""
    monkeypatch.setenv("MEDIATORLOG_PASSPHRASE", PASSPHRASE)
    mine = str(tmp_path / "mine.db")
    assert run(capsys, "init", "--store", mine)[0] == 0
    for argv in (["devices"], ["devices", "--format", "json"], ["share", "--list"]):
        code, out, err = run(capsys, *argv, "--store", mine)
        assert (code, out) == (1, "") and err == "mediatorlog: Only a team lead's journal can do this.\n", argv


def test_profiles_carry_the_recovery_key_the_lead_was_made_with(tmp_path, monkeypatch, capsys):
    """A lead made with --recovery-key wrote profiles without it: workstations set up as the docs
    say could never be recovered."""
    monkeypatch.setenv("MEDIATORLOG_PASSPHRASE", PASSPHRASE)
    keys, lead = tmp_path / "keys", str(tmp_path / "lead.db")
    assert run(capsys, "recovery-keygen", "--out", str(keys))[0] == 0
    assert run(capsys, "init", "--store", lead, "--role", "lead", "--recovery-key",
               str(keys / "recovery-public.pem"))[0] == 0
    code, _out, err = run(capsys, "provision", "--store", lead, "--workstation", "w1", "--out", str(tmp_path / "w1"))
    assert code == 0 and err == ""
    laptop = str(tmp_path / "w1.db")
    assert run(capsys, "init", "--store", laptop, "--profile", str(tmp_path / "w1"))[0] == 0
    monkeypatch.setenv("MEDIATORLOG_NEW_PASSPHRASE", "a new passphrase for w1")
    assert run(capsys, "recover", "--store", laptop, "--recovery-key", str(keys / "recovery-private.pem"))[0] == 0
    monkeypatch.setenv("MEDIATORLOG_PASSPHRASE", "a new passphrase for w1")
    assert run(capsys, "export", "--store", laptop)[0] == 0

    # a lead without one warns, and a key that is not a recovery key is refused
    monkeypatch.setenv("MEDIATORLOG_PASSPHRASE", PASSPHRASE)
    bare = str(tmp_path / "bare.db")
    assert run(capsys, "init", "--store", bare, "--role", "lead")[0] == 0
    code, _out, err = run(capsys, "provision", "--store", bare, "--workstation", "w2", "--out", str(tmp_path / "w2"))
    assert code == 0 and "no organisation recovery key" in err and "--recovery-key" in err
    code, _out, err = run(capsys, "provision", "--store", bare, "--workstation", "w3", "--out", str(tmp_path / "w3"),
                          "--recovery-key", str(keys / "recovery-private.pem"))
    assert code == 1 and "not a Mediator Log recovery public key" in err and not (tmp_path / "w3").exists()
    # given once, it goes into the later profiles too
    code, _out, err = run(capsys, "provision", "--store", bare, "--workstation", "w4", "--out", str(tmp_path / "w4"),
                          "--recovery-key", str(keys / "recovery-public.pem"))
    assert code == 0 and err == ""
    code, _out, err = run(capsys, "provision", "--store", bare, "--workstation", "w5", "--out", str(tmp_path / "w5"))
    assert code == 0 and err == ""


def test_erase_client_says_first_what_goes_and_what_stays(tmp_path, monkeypatch, capsys):
    """Erasing one person took whole consultations of a household with them, and left mentions
    of the person in other entries' notes, without a word; it also ran at once."""
    from app.domain.entries import Client
    from app.services.stores import open_store

    monkeypatch.setenv("MEDIATORLOG_PASSPHRASE", PASSPHRASE)
    store = tmp_path / "mine.db"
    assert run(capsys, "init", "--store", str(store))[0] == 0
    with open_store(store, PASSPHRASE) as journal:
        anna = journal.save_client(Client(code="HA-ANNA-1", name="Anna Ionescu"))
        family = journal.save_client(Client(code="HA-FAM-09"))
        journal.save_entry(consultation(notes="nur Anna", client_ids=[anna.id]))
        journal.save_entry(consultation(notes="Anna und Familie", client_ids=[anna.id, family.id]))
        mention = journal.save_entry(consultation(notes="Frau Ionescu kam mit", client_ids=[family.id]))
        journal.save_entry(consultation(notes="50%_ nichts"))
    backup = backup_store(store, "0014")  # as an upgrade leaves it: the person is in it

    code, out, err = run(capsys, "erase-client", "--store", str(store), "--code", "HA-ANNA-1")
    assert code == 1 and err == "mediatorlog: Nothing was erased. Run the command again with --yes to erase.\n"
    assert "HA-ANNA-1 and 2 entries" in out and "1 of these entries also names other people" in out
    assert "1 other entry mentions the code or the name" in out and mention.id in out
    assert "1 backup from an earlier upgrade (folder backups) still holds this person's data" in out
    assert "Add --delete-backups to delete them with the erasure." in out
    # A journal outside any team: no other computers, no sync bundles to speak of.
    assert "will be erased from this journal" in out and "synced" not in out and "bundles" not in out
    with open_store(store, PASSPHRASE) as journal:
        assert len(journal.all_entries()) == 4 and journal.client_by_code("HA-ANNA-1") is not None

    code, out, err = run(capsys, "erase-client", "--store", str(store), "--code", "HA-ANNA-1", "--yes",
                         "--delete-backups")
    assert (code, err) == (0, "") and "Erased the client and 2 entries" in out and mention.id in out
    assert "Deleted 1 backup from an earlier upgrade." in out and "still holds this person" not in out
    assert not backup.exists() and not keyslot_path(backup).exists()
    with open_store(store, PASSPHRASE) as journal:
        assert sorted(e.notes for e in journal.all_entries()) == ["50%_ nichts", "Frau Ionescu kam mit"]


def test_erase_client_keeps_the_upgrade_backups_unless_asked(tmp_path, monkeypatch, capsys):
    from app.domain.entries import Client
    from app.services.stores import open_store

    monkeypatch.setenv("MEDIATORLOG_PASSPHRASE", PASSPHRASE)
    store = tmp_path / "mine.db"
    assert run(capsys, "init", "--store", str(store))[0] == 0
    with open_store(store, PASSPHRASE) as journal:
        journal.save_client(Client(code="HA-ANNA-3"))
    backups = [backup_store(store, "0013"), backup_store(store, "0014")]
    code, out, err = run(capsys, "erase-client", "--store", str(store), "--code", "HA-ANNA-3", "--yes")
    assert (code, err) == (0, "")
    assert "2 backups from earlier upgrades (folder backups) still hold this person's data" in out
    assert f"The backups are in {tmp_path / 'backups'}; delete them there" in out
    assert all(b.exists() for b in backups)


def test_init_on_a_workstation_install_uses_the_installed_profile(tmp_path, monkeypatch, capsys):
    """`init` without --profile on a per-workstation install made a journal outside the team,
    which could neither sync nor be recovered; the desktop's first start uses the profile."""
    monkeypatch.setenv("MEDIATORLOG_PASSPHRASE", PASSPHRASE)
    keys, lead = tmp_path / "keys", str(tmp_path / "lead.db")
    assert run(capsys, "recovery-keygen", "--out", str(keys))[0] == 0
    assert run(capsys, "init", "--store", lead, "--role", "lead", "--recovery-key",
               str(keys / "recovery-public.pem"))[0] == 0
    profile = tmp_path / "w1.profile"
    assert run(capsys, "provision", "--store", lead, "--workstation", "w1", "--out", str(profile))[0] == 0
    monkeypatch.setenv("MEDIATORLOG_PROFILE", str(profile))  # where an installer puts it
    laptop = str(tmp_path / "w1.db")
    code, out, err = run(capsys, "init", "--store", str(tmp_path / "own.db"), "--no-profile")
    assert code == 0 and err == ""  # a journal of its own, outside the team, when asked for
    code, out, err = run(capsys, "init", "--store", laptop)
    assert code == 0 and f"Using the workstation profile installed on this computer: {profile}" in err
    (tmp_path / "sync").mkdir()
    code, out, err = run(capsys, "sync", "export", "--store", laptop, "--to", str(tmp_path / "sync"))
    assert code == 0, err  # in the team: a mediator's own journal says it is not part of one
    monkeypatch.setenv("MEDIATORLOG_NEW_PASSPHRASE", "a new passphrase for w1")
    assert run(capsys, "recover", "--store", laptop, "--recovery-key", str(keys / "recovery-private.pem"))[0] == 0


def test_client_data_answers_an_access_request_with_everything_about_the_person(tmp_path, monkeypatch, capsys):
    """There was no way to give a person everything stored about them (GDPR Art. 15): the export
    holds entries only, without the register's name, contact, languages and consent."""
    import datetime as dt
    import os

    from app.domain.entries import Client
    from app.services.stores import open_store

    monkeypatch.setenv("MEDIATORLOG_PASSPHRASE", PASSPHRASE)
    store = tmp_path / "mine.db"
    assert run(capsys, "init", "--store", str(store))[0] == 0
    with open_store(store, PASSPHRASE) as journal:
        anna = journal.save_client(Client(code="HA-ANNA-3", name="Anna Ionescu", contact="0176 555", birth_year=1980,
                                          languages=["ro"], consent_date=dt.date(2026, 1, 5),
                                          consent_scopes=["documentation"]))
        other = journal.save_client(Client(code="HA-FAM-11"))
        mine = journal.save_entry(consultation(notes="Anna: Mietvertrag", client_ids=[anna.id]))
        joint = journal.save_entry(consultation(notes="Anna mit Familie", client_ids=[anna.id, other.id],
                                                start=dt.datetime(2025, 3, 11, 9), end=dt.datetime(2025, 3, 11, 10)))
        journal.save_entry(consultation(notes="Frau Ionescu kam mit", client_ids=[other.id]))
        journal.save_entry(consultation(notes="jemand anderes", client_ids=[other.id]))
        journal.save_entry(consultation(notes="Information zur Situation", client_ids=[other.id]))  # no "Ion"
        later = journal.save_entry(consultation(notes="Rückruf", follow_up="Frau IONESCU anrufen"))

    out = tmp_path / "anna.json"
    code, _out, err = run(capsys, "client-data", "--store", str(store), "--code", "ha-anna-3", "--out", str(out))
    assert code == 0 and "not encrypted" in err and os.stat(out).st_mode & 0o777 == 0o600
    data = json.loads(out.read_text(encoding="utf-8"))
    person = data["client"]
    assert (person["code"], person["name"], person["contact"], person["birth_year"]) == (
        "HA-ANNA-3", "Anna Ionescu", "0176 555", 1980)
    assert person["languages"] == [{"code": "ro", "label": "Romanian"}] and person["consent_date"] == "2026-01-05"
    assert [e["id"] for e in data["entries"]] == [mine.id, joint.id]
    assert [e["clients"] for e in data["entries"]] == [["HA-ANNA-3"]] * 2  # the other person's code left out
    assert "other_clients" not in data["entries"][0] and data["entries"][1]["other_clients"] == 1
    # another person's entry that names her is listed, not copied (its notes are about someone else)
    assert [set(e) for e in data["entries_mentioning"]] == [{"id", "type", "date"}] * 2
    assert later.id in {e["id"] for e in data["entries_mentioning"]}  # named in a follow-up
    assert "Frau Ionescu kam mit" not in out.read_text(encoding="utf-8")
    code, _out, err = run(capsys, "client-data", "--store", str(store), "--code", "HA-NOBODY")
    assert code == 1 and "no client with the code HA-NOBODY" in err


def test_backups_of_a_journal_with_brackets_in_its_name_are_counted_and_deleted(tmp_path):
    from app.services.stores import delete_migration_backups, migration_backups

    journal = tmp_path / "Beratung [Nord].db"
    journal.write_bytes(b"")
    (tmp_path / "backups").mkdir()
    backup = tmp_path / "backups" / "Beratung [Nord]-schema0014-20251101T120000Z.db"
    backup.write_bytes(b"x")
    backup.with_name(backup.name + ".keys").write_text("{}")
    assert migration_backups(journal) == [backup]
    assert delete_migration_backups(journal) == (1, []) and not backup.exists()
