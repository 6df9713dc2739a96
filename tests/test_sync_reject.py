"""Every reason a bundle is refused: a message naming the file and what to do, and the
receiving journal unchanged in every table; other bundles of the same call still import."""

from __future__ import annotations

import shutil

from helpers.factories import NOW, consultation
from helpers.sync_team import dump, open_team, team_fixtures

from app.sync import bundle as fmt


template, team = team_fixtures(2)


def device_bundle(team, name="laptop-1", notes="Beratung"):
    team.journals[name].save_entry(consultation(notes=notes), now=NOW)
    [result] = team.sync(name).export_bundles()
    return result.path


def check_rejected(team, receiver, path, reason, *, also=None):
    before = dump(team.journals[receiver])
    paths = [path] + ([also] if also else [])
    report = team.sync(receiver).import_paths(paths)
    [rejected] = report.rejected
    assert rejected.reason == reason
    assert rejected.path == path and path.name in rejected.message
    if also is None:
        assert dump(team.journals[receiver]) == before
    return report


def test_truncated(team):
    path = device_bundle(team)
    path.write_bytes(path.read_bytes()[:-100])
    check_rejected(team, "lead", path, "truncated")


def test_altered(team):
    path = device_bundle(team)
    data = bytearray(path.read_bytes())
    data[-200] ^= 1  # a bit of the ciphertext
    path.write_bytes(bytes(data))
    check_rejected(team, "lead", path, "altered")


def test_altered_header(team):
    path = device_bundle(team)
    path.write_bytes(path.read_bytes().replace(b'"count":', b'"count":1'))
    report = team.sync("lead").import_paths([path])
    assert report.rejected[0].reason in ("altered", "truncated")


def test_not_addressed_to_this_store(team):
    path = device_bundle(team)
    check_rejected(team, "laptop-2", path, "not_addressed")


def test_folder_import_passes_over_bundles_for_others(team):
    device_bundle(team, "laptop-1")
    before = dump(team.journals["laptop-2"])
    report = team.sync("laptop-2").import_paths([team.sync_dir])
    assert report.results == []
    assert dump(team.journals["laptop-2"]) == before


def test_unknown_sender(team, tmp_path):
    from helpers.sync_team import make_team as make_other

    other = make_other(tmp_path / "other", 1, enroll=False)
    other_team = open_team(other, tmp_path / "other-open")
    try:
        # A workstation of another team, retargeted at our lead: the signature is fine, the sender unknown.
        other_team.journals["laptop-1"].save_entry(consultation(), now=NOW)
        from app.sync import crypto

        lead = team.journals["lead"]
        with lead.engine.connect() as conn:
            team_id = conn.exec_driver_sql("SELECT value FROM meta WHERE key='sync.team_id'").scalar()
            enc = crypto.KeyPairs(
                b"\0" * 32, crypto.unb64(conn.exec_driver_sql(
                    "SELECT value FROM meta WHERE key='sync.enc_private'").scalar())).enc_public
        stranger = other_team.journals["laptop-1"]
        with stranger.engine.begin() as conn:
            conn.exec_driver_sql("UPDATE meta SET value = ? WHERE key = 'sync.team_id'", (team_id,))
            conn.exec_driver_sql("UPDATE meta SET value = ? WHERE key = 'sync.lead_id'", (lead.device_id,))
            conn.exec_driver_sql("UPDATE meta SET value = ? WHERE key = 'sync.team_enc_public'", (crypto.b64(enc),))
        [result] = other_team.sync("laptop-1").export_bundles(team.sync_dir)
        check_rejected(team, "lead", result.path, "unknown_sender")
    finally:
        other_team.close()


def test_enrollment_secret_works_once(team, template, tmp_path):
    # A second journal made from the same (already used) profile is refused.
    from helpers.factories import FAST_KDF, PASSPHRASE

    from app.services.provision import create_store_from_profile
    from app.services.sync import SyncService

    copy = create_store_from_profile(tmp_path / "copy.db", PASSPHRASE,
                                     (template.folder / "laptop-1.profile").read_bytes(), kdf=FAST_KDF)
    try:
        copy.save_entry(consultation(), now=NOW)
        [result] = SyncService(copy).export_bundles(team.sync_dir)
    finally:
        copy.close()
    check_rejected(team, "lead", result.path, "unknown_sender")


def test_revoked_sender(team):
    path = device_bundle(team)
    team.sync("lead").revoke("laptop-1")
    check_rejected(team, "lead", path, "revoked_sender")
    assert [d.state for d in team.sync("lead").devices() if d.name == "laptop-1"] == ["revoked"]


def test_bundles_imported_before_a_revocation_are_not_reported_again(team):
    path = device_bundle(team)
    assert team.sync("lead").import_paths([team.sync_dir]).results[0].status == "imported"
    team.sync("lead").revoke("laptop-1")
    assert [r.status for r in team.sync("lead").import_paths([team.sync_dir]).results] == ["duplicate"]
    newer = device_bundle(team, notes="nach dem Verlust")
    report = team.sync("lead").import_paths([team.sync_dir])
    assert {r.path.name: r.status for r in report.results} == {path.name: "duplicate", newer.name: "rejected"}


def test_a_number_reused_with_other_content_is_imported_and_the_same_file_is_not(team):
    """Only the workstation can sign its bundles, so one number with other content is no replay:
    a laptop restored from a backup numbers from where the backup stood. Both bundles hold real
    changes, and refusing the later one lost them."""
    first = device_bundle(team, notes="eins")
    report = team.sync("lead").import_paths([first])
    assert report.imported
    saved = first.read_bytes()
    first.unlink()
    with team.journals["laptop-1"].engine.begin() as conn:
        conn.exec_driver_sql("UPDATE meta SET value = '0' WHERE key = 'sync.bundle_seq'")
    second = device_bundle(team, notes="zwei")
    assert fmt.read(second).header["seq"] == 1
    [result] = team.sync("lead").import_paths([second]).results
    assert result.status == "imported"
    assert sorted(e.notes for e in team.journals["lead"].all_entries()) == ["eins", "zwei"]
    # The very same file again is no rejection: it changes nothing.
    first.write_bytes(saved)
    before = dump(team.journals["lead"])
    [again] = team.sync("lead").import_paths([first]).results
    assert again.status == "duplicate"
    assert dump(team.journals["lead"]) == before


def test_newer_version(team):
    path = device_bundle(team)
    data = path.read_bytes()
    path.write_bytes(data.replace(b'"version":1', b'"version":2', 1))
    check_rejected(team, "lead", path, "newer_version")


def test_newer_schema_is_refused_after_the_signature(team, monkeypatch):
    from app.services import sync as sync_module

    path = device_bundle(team)
    monkeypatch.setattr(sync_module, "known_revisions", lambda: ["0001", "0002", "0003"])
    check_rejected(team, "lead", path, "newer_version")


def test_not_a_bundle(team):
    path = team.sync_dir / "notes.mlsync"
    path.write_bytes(b"hello")
    check_rejected(team, "lead", path, "not_a_bundle")


def test_a_rejected_bundle_does_not_stop_the_others(team):
    bad = device_bundle(team, "laptop-1")
    shutil.move(bad, bad.with_name("bad.mlsync"))
    bad = bad.with_name("bad.mlsync")
    bad.write_bytes(bad.read_bytes()[:-1])
    good = device_bundle(team, "laptop-2", notes="gut angekommen")
    report = team.sync("lead").import_paths([bad, good])
    assert [r.status for r in report.results] == ["rejected", "imported"]
    assert [r.notes_preview for r in team.journals["lead"].list_entries()] == ["gut angekommen"]


def test_cancel_leaves_the_store_as_before(team):
    device_bundle(team, "laptop-1")
    device_bundle(team, "laptop-2")
    before = dump(team.journals["lead"])
    calls = []

    def cancel():
        calls.append(1)
        return len(calls) > 2  # after the first bundle was applied

    report = team.sync("lead").import_paths([team.sync_dir], cancel=cancel)
    assert report.cancelled
    assert dump(team.journals["lead"]) == before


def test_of_two_journals_made_from_one_profile_the_first_to_write_enrolls(team, tmp_path):
    """The lead used to import a folder's bundles by sender id, so whichever copy's random id sorted
    first took the enrollment, even when it wrote its bundle later."""
    import time

    from helpers.factories import FAST_KDF, PASSPHRASE

    from app.services.provision import create_store_from_profile
    from app.services.sync import SyncService

    profile = team.sync("lead").provision("laptop-9", tmp_path / "laptop-9.profile", sync_dir=str(team.sync_dir))
    for attempt in range(20):  # until the later journal's id sorts first, as in the report
        first = create_store_from_profile(tmp_path / f"first-{attempt}.db", PASSPHRASE, profile.read_bytes(), kdf=FAST_KDF)
        later = create_store_from_profile(tmp_path / f"later-{attempt}.db", PASSPHRASE, profile.read_bytes(), kdf=FAST_KDF)
        if later.device_id < first.device_id:
            break
        first.close()
        later.close()
    try:
        SyncService(first).export_bundles(team.sync_dir)
        time.sleep(0.01)
        SyncService(later).export_bundles(team.sync_dir)
        report = team.sync("lead").import_paths([team.sync_dir])
        by_status = {r.status: r for r in report.results}
        [device] = [d for d in team.sync("lead").devices() if d.name == "laptop-9"]
        assert device.device_id == first.device_id
        assert by_status["rejected"].reason == "unknown_sender"
    finally:
        first.close()
        later.close()


def test_the_folder_view_says_before_the_import_which_bundles_will_be_refused_and_sorts_by_workstation(team):
    """A revoked laptop's new bundle was listed as 'new' until the import refused it, and the
    list was sorted by file name (a random device id), not by workstation."""
    first = device_bundle(team, "laptop-2", notes="zwei")
    team.sync("lead").import_paths([team.sync_dir])
    device_bundle(team, "laptop-2", notes="zwei, später")
    device_bundle(team, "laptop-1", notes="eins")
    team.sync("lead").import_paths([team.sync_dir])
    team.sync("lead").revoke("laptop-1")
    late = device_bundle(team, "laptop-1", notes="nach dem Verlust")
    waiting = team.sync("lead").waiting_bundles(team.sync_dir)
    order = [(w.sender, w.seq) for w in waiting]
    assert [sender for sender, _seq in order] == ["laptop-1", "laptop-1", "laptop-2", "laptop-2"]
    assert order == sorted(order)
    states = {w.path.name: (w.state, w.reason) for w in waiting}
    assert states[late.name] == ("rejected", "revoked_sender") and states[first.name] == ("imported", "")


def test_an_unsigned_file_with_an_odd_seq_does_not_stop_the_import(team):
    """Anyone who can write to the share could stop every import with one file: the run sorted
    by int(seq) before any check, and a ValueError rolled the whole run back."""
    import json
    import struct
    entry = team.journals["laptop-1"].save_entry(consultation(notes="Eintrag"))
    [good] = team.sync("laptop-1").export_bundles()
    data = good.path.read_bytes(); (n,) = struct.unpack(">I", data[8:12])
    h = json.loads(data[12:12 + n]); h.update(seq="1a", recipient="someone-else")
    hb = json.dumps(h, sort_keys=True, separators=(",", ":")).encode()
    (team.sync_dir / "ml-000000000000-000001-to-000000000000.mlsync").write_bytes(
        data[:8] + struct.pack(">I", len(hb)) + hb + data[12 + n:])
    team.sync("lead").import_paths([team.sync_dir])
    assert team.journals["lead"].get_entry(entry.id) is not None
