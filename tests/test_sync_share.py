"""A team lead shares a client with a second workstation (issue 5, "records shared with that
device"): Ana on laptop-1 registered the family, Boris on laptop-2 now accompanies them and must
pick the same client code and see the earlier consultations. Real SQLCipher stores, real bundles."""

from __future__ import annotations

import dataclasses
import json

import pytest
from helpers.factories import NOW, consultation
from helpers.sync_team import team_fixtures

from app.domain.entries import Client
from app.services.sync import SyncError, _Payload
from app.sync import bundle as fmt


template, team = team_fixtures(3)


def roundtrip(team, *senders):
    """Each sender exports, the lead imports; the lead exports, every workstation imports."""
    for name in senders:
        team.sync(name).export_bundles()
    team.sync("lead").import_paths([team.sync_dir])
    team.sync("lead").export_bundles()
    for name in team.journals:
        if name != "lead":
            report = team.sync(name).import_paths([team.sync_dir])
            assert not report.rejected, [r.message for r in report.rejected]


def family_on_laptop_1(team):
    ana = team.journals["laptop-1"]
    client = ana.save_client(Client(code="HA-FAM-07", name="Familie P.", notes="Wohnung Altenhagen"),
                             today=NOW.date())
    first = ana.save_entry(consultation(notes="Erstgespräch", client_ids=[client.id]), now=NOW)
    second = ana.save_entry(consultation(notes="Kita-Anmeldung", client_ids=[client.id]), now=NOW)
    other = ana.save_entry(consultation(notes="Andere Familie"), now=NOW)
    roundtrip(team, "laptop-1")
    return client, first, second, other


def is_erased(journal, tbl, rid) -> bool:
    with journal.engine.connect() as conn:
        return conn.exec_driver_sql("SELECT erased FROM sync_clock WHERE tbl = ? AND rid = ?", (tbl, rid)).scalar() == 1


def holds(journal, entry_id) -> bool:
    return journal.get_entry(entry_id) is not None


def test_shared_client_reaches_the_second_workstation_and_edits_flow_both_ways(team):
    client, first, second, other = family_on_laptop_1(team)
    boris, ana, lead = team.journals["laptop-2"], team.journals["laptop-1"], team.journals["lead"]
    assert boris.client_by_code("HA-FAM-07") is None  # not shared yet: laptop-2 has nothing of it

    result = team.sync("lead").share_client("HA-FAM-07", "laptop-2")
    assert (result.workstation, result.client_code, result.entries) == ("laptop-2", "HA-FAM-07", 2)
    assert team.sync("lead").share_client("HA-FAM-07", "laptop-2") == result  # again: no change
    [info] = team.sync("lead").shares()
    assert (info.workstation, info.client_code, info.entries) == ("laptop-2", "HA-FAM-07", 2)

    # The first lead bundle is lost on the way: the next one still carries the records whole.
    team.sync("lead").export_bundles()
    for f in team.sync_dir.iterdir():
        f.unlink()
    roundtrip(team)
    shared = boris.client_by_code("HA-FAM-07")
    assert shared is not None and (shared.id, shared.name, shared.notes) == (client.id, "Familie P.",
                                                                              "Wohnung Altenhagen")
    assert boris.get_entry(first.id).notes == "Erstgespräch"
    assert boris.get_entry(second.id).client_ids == [client.id]
    assert not holds(boris, other.id)  # laptop-1's other work is not shared
    laptop_3 = team.journals["laptop-3"]
    assert laptop_3.client_by_code("HA-FAM-07") is None and not holds(laptop_3, first.id)

    # Boris corrects an earlier consultation and logs his accompaniment with the same client.
    boris.save_entry(dataclasses.replace(boris.get_entry(first.id), notes="Erstgespräch, Dolmetschen rom"), now=NOW)
    own = boris.save_entry(consultation(notes="Begleitung Jobcenter", client_ids=[client.id]), now=NOW)
    roundtrip(team, "laptop-2")
    assert lead.get_entry(first.id).notes == "Erstgespräch, Dolmetschen rom"
    assert lead.get_entry(own.id).notes == "Begleitung Jobcenter"
    assert ana.get_entry(first.id).notes == "Erstgespräch, Dolmetschen rom"
    assert not holds(ana, own.id)  # laptop-2's own entry: shared with laptop-1 only if the lead says so
    assert not holds(laptop_3, first.id) and not holds(laptop_3, own.id)

    # Ana logs a later consultation with the family: it follows the share to laptop-2.
    later = ana.save_entry(consultation(notes="Folgetermin", client_ids=[client.id]), now=NOW)
    ana.save_client(dataclasses.replace(ana.get_client(client.id), contact="0176 000"), today=NOW.date())
    roundtrip(team, "laptop-1")
    assert boris.get_entry(later.id).notes == "Folgetermin"
    assert boris.get_client(client.id).contact == "0176 000"
    assert not holds(laptop_3, later.id)
    assert team.sync("lead").list_conflicts() == []

    # Sharing with laptop-1 too: it gets the entries others make for the family.
    assert team.sync("lead").share_client(client.id, "laptop-1").entries == 4
    roundtrip(team)
    assert ana.get_entry(own.id).notes == "Begleitung Jobcenter"

    # The person asks to be erased, on laptop-2: every replica that had them follows.
    erased = team.sync("laptop-2").erase_client(client.id)
    assert erased == 4
    roundtrip(team, "laptop-2")
    for name, journal in (("lead", lead), ("laptop-1", ana), ("laptop-2", boris)):
        assert journal.client_by_code("HA-FAM-07") is None, name
        assert all(journal.entry_is_deleted(e.id) for e in (first, second, later, own))
        assert all(is_erased(journal, "entries", e.id) for e in (first, second, later, own)), name
    assert lead.get_entry(other.id).notes == ana.get_entry(other.id).notes == "Andere Familie"  # not the person's
    assert not holds(boris, other.id)


def test_unshare_stops_updates_but_an_erasure_still_arrives(team):
    client, first, _second, _other = family_on_laptop_1(team)
    boris, ana = team.journals["laptop-2"], team.journals["laptop-1"]
    team.sync("lead").share_client("HA-FAM-07", "laptop-2")
    roundtrip(team)
    assert boris.get_entry(first.id).notes == "Erstgespräch"

    assert team.sync("lead").unshare_client("HA-FAM-07", "laptop-2") == 3  # the client and two entries
    assert team.sync("lead").shares() == []
    with pytest.raises(SyncError, match="not shared"):
        team.sync("lead").unshare_client("HA-FAM-07", "laptop-2")
    ana.save_entry(dataclasses.replace(ana.get_entry(first.id), notes="nach dem Ende der Freigabe"), now=NOW)
    ana.save_entry(consultation(notes="neu nach dem Ende", client_ids=[client.id]), now=NOW)
    roundtrip(team, "laptop-1")
    assert boris.get_entry(first.id).notes == "Erstgespräch"  # what it had stays, no further updates
    assert len(boris.all_entries()) == 2

    team.sync("laptop-1").erase_client(client.id)
    roundtrip(team, "laptop-1")
    assert boris.client_by_code("HA-FAM-07") is None and is_erased(boris, "clients", client.id)
    assert is_erased(boris, "entries", first.id)
    with boris.engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT name, notes FROM clients WHERE id = ?", (client.id,)).one() == ("", "")
    assert boris.entry_is_deleted(first.id) and boris.get_entry(first.id) is None


def test_workstation_accepts_only_foreign_groups_marked_shared(team):
    """The marker lives inside the signed, encrypted payload; a bundle from the lead that carries
    records of another workstation without marking them (a bug, or a crafted bundle) changes
    nothing of them on the workstation."""
    client, first, second, other = family_on_laptop_1(team)
    lead = team.sync("lead")
    [device] = [d for d in lead.devices() if d.name == "laptop-2"]
    with lead.engine.connect() as conn:
        keys = lead._keys(conn)
        enc_public = bytes(conn.exec_driver_sql("SELECT enc_public FROM sync_peers WHERE device_id = ?",
                                                (device.device_id,)).scalar())
        payload = _Payload()
        for tbl, rid in (("clients", client.id), ("entries", first.id), ("entries", second.id),
                         ("entries", other.id)):
            origin, clocks = conn.exec_driver_sql("SELECT origin, clocks FROM sync_clock WHERE tbl = ? AND rid = ?",
                                                  (tbl, rid)).one()
            # Whole records of laptop-1; only the client and the first entry are marked as shared.
            lead._add_current(conn, payload, tbl, rid, origin, json.loads(clocks), None, device.device_id,
                              shared=rid in (client.id, first.id))
        assert payload.shared == [0, 1] and len(payload.rows) == 4
        header = lead._header(conn, recipient=device.device_id, recipient_enc=enc_public, seq=lead._next_seq(conn),
                              first=0, last=0, count=payload.count, keys=keys)
    path = team.folder / fmt.file_name(team.journals["lead"].device_id, header["seq"], device.device_id)
    path.write_bytes(fmt.encode(header, payload.as_dict(ack=0), keys, enc_public))
    assert "shared" not in fmt.read(path).header  # nothing about it in the readable header

    report = team.sync("laptop-2").import_paths([path])
    assert [r.status for r in report.results] == ["imported"]
    boris = team.journals["laptop-2"]
    assert boris.get_client(client.id) is not None and boris.get_entry(first.id) is not None
    assert boris.get_entry(second.id) is None and boris.get_entry(other.id) is None
    assert not boris.entry_is_deleted(other.id)
    with boris.engine.connect() as conn:
        held = {r[0] for r in conn.exec_driver_sql("SELECT rid FROM sync_clock WHERE tbl = 'entries'")}
    assert held == {first.id}


def test_share_is_for_the_lead_and_names_what_is_wrong(team, tmp_path):
    client, *_ = family_on_laptop_1(team)
    with pytest.raises(SyncError, match="team lead"):
        team.sync("laptop-1").share_client("HA-FAM-07", "laptop-2")
    with pytest.raises(SyncError, match="laptop-9"):
        team.sync("lead").share_client("HA-FAM-07", "laptop-9")
    with pytest.raises(SyncError, match="no client with this code") as info:
        team.sync("lead").share_client("XX-404", "laptop-2")
    assert "XX-404" not in str(info.value)  # no client code in an exception message
    team.sync("lead").provision("laptop-4", tmp_path / "laptop-4.profile")
    with pytest.raises(SyncError, match="first bundle"):
        team.sync("lead").share_client("HA-FAM-07", "laptop-4")
    team.sync("lead").revoke("laptop-3")
    with pytest.raises(SyncError, match="revoked"):
        team.sync("lead").share_client("HA-FAM-07", "laptop-3")
    team.sync("lead").erase_client(client.id)
    with pytest.raises(SyncError, match="erased"):
        team.sync("lead").share_client(client.id, "laptop-2")
    assert team.sync("lead").shares() == []


def run_cli(capsys, *argv):
    from app.cli import main

    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_share_on_the_command_line(team, monkeypatch, capsys):
    from helpers.factories import PASSPHRASE

    _client, first, _second, _other = family_on_laptop_1(team)
    monkeypatch.setenv("MEDIATORLOG_PASSPHRASE", PASSPHRASE)
    lead = str(team.folder / "lead.db")

    code, out, err = run_cli(capsys, "share", "--store", lead, "--client", "HA-FAM-07", "--workstation", "laptop-2")
    assert (code, err) == (0, "") and "HA-FAM-07" in out and "2" in out
    code, out, _ = run_cli(capsys, "share", "--store", lead, "--list", "--format", "json")
    assert code == 0 and [(s["workstation"], s["client_code"], s["entries"]) for s in json.loads(out)] == [
        ("laptop-2", "HA-FAM-07", 2)]
    code, out, _ = run_cli(capsys, "share", "--store", lead, "--list")
    assert code == 0 and out.startswith("laptop-2\tHA-FAM-07\t2\t")
    roundtrip(team)
    assert team.journals["laptop-2"].get_entry(first.id).notes == "Erstgespräch"

    for argv, words in (
        (("--client", "NOPE-1", "--workstation", "laptop-2"), "no client with this code"),
        (("--client", "HA-FAM-07", "--workstation", "laptop-9"), "laptop-9"),
        (("--client", "HA-FAM-07"), "--workstation"),
    ):
        code, out, err = run_cli(capsys, "share", "--store", lead, *argv)
        assert code == 1 and out == "" and err.count("\n") == 1 and words in err and "Traceback" not in err
    laptop = str(team.folder / "laptop-1.db")
    code, _out, err = run_cli(capsys, "share", "--store", laptop, "--client", "HA-FAM-07", "--workstation", "laptop-2")
    assert code == 1 and "team lead" in err and err.count("\n") == 1
    monkeypatch.setenv("MEDIATORLOG_PASSPHRASE", "wrong passphrase")
    assert run_cli(capsys, "share", "--store", lead, "--list")[0] == 2
    monkeypatch.setenv("MEDIATORLOG_PASSPHRASE", PASSPHRASE)

    code, out, err = run_cli(capsys, "share", "--store", lead, "--client", "HA-FAM-07", "--workstation", "laptop-2",
                             "--remove")
    assert code == 0 and "erased" in out
    code, _out, err = run_cli(capsys, "share", "--store", lead, "--client", "HA-FAM-07", "--workstation",
                              "laptop-2", "--remove")
    assert code == 1 and "not shared" in err
    code, out, _ = run_cli(capsys, "share", "--store", lead, "--list")
    assert code == 0 and out.strip() == "No clients are shared with workstations."


def test_an_erasure_drops_the_persons_unsent_changes_and_keeps_the_others(team):
    """Changes not yet sent sit in the workstation's change log, values included. Erasing a person
    before the next sync removes every logged change of the client and their entries (only the
    erasure itself travels); the changes of other records stay queued for the lead."""
    ana = team.journals["laptop-1"]
    client = ana.save_client(Client(code="HA-ERA-01", name="Frau K.", contact="0176 111"), today=NOW.date())
    theirs = [ana.save_entry(consultation(notes=f"Termin {n} mit Frau K.", client_ids=[client.id]), now=NOW)
              for n in range(3)]
    ana.save_entry(dataclasses.replace(theirs[0], notes="Termin verlegt, Frau K. informiert"), now=NOW)
    other = ana.save_entry(consultation(notes="Andere Familie, Wohnungssuche"), now=NOW)

    def logged(rids):
        with ana.engine.connect() as conn:
            marks = ",".join("?" * len(rids))
            return conn.exec_driver_sql(
                f"SELECT rid, field, value FROM sync_log WHERE rid IN ({marks})", tuple(rids)).fetchall()

    person = [client.id, *(e.id for e in theirs)]
    assert {rid for rid, _f, _v in logged(person)} == set(person)
    others_before = logged([other.id])

    assert team.sync("laptop-1").erase_client(client.id) == 3

    left = logged(person)
    assert all(field == "_erased" for _rid, field, _value in left), left
    assert not any("Frau K." in str(value) or "0176" in str(value) for _rid, _f, value in left)
    assert logged([other.id]) == others_before


def test_a_workstations_export_of_a_shared_entry_imports_again_and_keeps_the_unshared_link(team, tmp_path):
    """The shared entry also links a person who was not shared. laptop-2's export wrote that
    person's id where a code stands, and importing the export again failed on it."""
    from app.services.transfer import ImportError_, export_text, import_file

    ana = team.journals["laptop-1"]
    shared = ana.save_client(Client(code="HA-FAM-07"), today=NOW.date())
    private = ana.save_client(Client(code="HA-PRIV-1"), today=NOW.date())
    both = ana.save_entry(consultation(notes="Beide", client_ids=[shared.id, private.id]), now=NOW)
    roundtrip(team, "laptop-1")
    team.sync("lead").share_client("HA-FAM-07", "laptop-2")
    roundtrip(team)
    boris = team.journals["laptop-2"]
    assert boris.get_entry(both.id).client_ids == [shared.id, private.id] and boris.get_client(private.id) is None

    for fmt_name in ("jsonl", "csv"):
        path = tmp_path / f"boris.{fmt_name}"
        path.write_text(export_text(boris, fmt_name), encoding="utf-8")
        result = import_file(boris, path)
        assert (result.added, result.updated, result.new_clients) == (0, 0, 0), fmt_name
    assert boris.get_entry(both.id).client_ids == [shared.id, private.id]

    record = json.loads(export_text(boris, "jsonl"))
    record.update(id="", clients=[private.id])  # a new entry cannot link a person by an id
    path = tmp_path / "new.jsonl"
    path.write_text(json.dumps(record) + "\n", encoding="utf-8")
    with pytest.raises(ImportError_) as info:
        import_file(boris, path)
    assert info.value.field == "clients" and "Write the client's code" in str(info.value)


def test_an_import_that_erases_says_so(team):
    """An erasure applies no field value, so the import said '... 0 applied' as if nothing was done."""
    client, _first, _second, _other = family_on_laptop_1(team)
    team.sync("laptop-1").erase_client(client.id)
    team.sync("laptop-1").export_bundles()
    results = team.sync("lead").import_paths([team.sync_dir]).results
    [result] = [r for r in results if r.sender == "laptop-1" and r.status == "imported"]
    assert result.erased == 3 and result.applied == 0  # the person and the two entries that follow them
    assert "3 records were erased (a person's data-protection request)." in result.warnings
    assert team.journals["lead"].get_client(client.id) is None


def test_a_shared_entry_that_also_names_an_unshared_person_can_be_edited_and_marked_done(team, qtbot):
    """On laptop-2 such an entry could not be marked done (an uncaught ValidationError) nor
    saved, and its form showed the unshared person's raw id among the codes."""
    from app.ui.entry_forms import ConsultationForm

    ana = team.journals["laptop-1"]
    shared = ana.save_client(Client(code="HA-FAM-07"), today=NOW.date())
    private = ana.save_client(Client(code="HA-PRIV-1"), today=NOW.date())
    both = ana.save_entry(consultation(notes="Beide", client_ids=[shared.id, private.id], follow_up="anrufen",
                                       follow_up_due=NOW.date()), now=NOW)
    roundtrip(team, "laptop-1")
    team.sync("lead").share_client("HA-FAM-07", "laptop-2")
    roundtrip(team)
    boris = team.journals["laptop-2"]

    boris.set_follow_up_done(both.id)
    assert boris.get_entry(both.id).follow_up_done and boris.get_entry(both.id).client_ids == [shared.id, private.id]

    form = ConsultationForm(boris)
    qtbot.addWidget(form)
    form.load(boris.get_entry(both.id))
    assert form.ui.clients.text() == "HA-FAM-07"
    assert "1 person who is not shared" in form.ui.clients.toolTip()
    form.ui.notes.setPlainText("Beide, ergänzt")
    boris.save_entry(form.read(), now=NOW)
    assert boris.get_entry(both.id).client_ids == [shared.id, private.id]
    form.ui.clients.setText("")  # taking the shared person off keeps the other's link
    assert form.read().client_ids == [private.id]
    # a person this journal does not hold cannot be put on another entry by their id
    other = boris.save_entry(consultation(notes="Boris allein"), now=NOW)
    assert boris.validate(dataclasses.replace(boris.get_entry(other.id), client_ids=[private.id]))
    roundtrip(team, "laptop-2")
    assert ana.get_entry(both.id).notes == "Beide, ergänzt" and ana.get_entry(both.id).follow_up_done


def test_after_the_share_ends_an_entry_relinked_to_another_family_no_longer_reaches_the_workstation(team):
    ana, boris = team.journals["laptop-1"], team.journals["laptop-2"]
    family = ana.save_client(Client(code="HA-FAM-07"), today=NOW.date())
    other = ana.save_client(Client(code="HA-OTH-09"), today=NOW.date())
    entry = ana.save_entry(consultation(notes="Termin Familie P.", client_ids=[family.id]), now=NOW)
    roundtrip(team, "laptop-1")
    team.sync("lead").share_client("HA-FAM-07", "laptop-2")
    roundtrip(team)
    assert boris.get_entry(entry.id).notes == "Termin Familie P."

    # Ana notices the consultation was with another family and corrects the link
    ana.save_entry(dataclasses.replace(ana.get_entry(entry.id), client_ids=[other.id]), now=NOW)
    roundtrip(team, "laptop-1")
    team.sync("lead").unshare_client("HA-FAM-07", "laptop-2")
    ana.save_entry(dataclasses.replace(ana.get_entry(entry.id), notes="Familie Q.: Mietschulden, Räumungsklage"),
                   now=NOW)
    roundtrip(team, "laptop-1")
    # no further updates after the share ended
    assert boris.get_entry(entry.id).notes != "Familie Q.: Mietschulden, Räumungsklage"


def test_an_erased_client_is_no_longer_listed_as_shared(team):
    ana = team.journals["laptop-1"]
    family = ana.save_client(Client(code="HA-FAM-07", name="Familie P."), today=NOW.date())
    ana.save_entry(consultation(notes="Erstgespräch", client_ids=[family.id]), now=NOW)
    roundtrip(team, "laptop-1")
    team.sync("lead").share_client("HA-FAM-07", "laptop-2")
    roundtrip(team)
    assert [s.client_code for s in team.sync("lead").shares()] == ["HA-FAM-07"]

    team.sync("lead").erase_client(family.id)
    roundtrip(team)
    assert team.journals["laptop-2"].get_client(family.id) is None  # the erasure reached laptop-2
    assert team.sync("lead").shares() == []
