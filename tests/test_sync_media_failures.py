"""Sync folders that fail as real media fail (found in a walk-through, 2026-11-22): a USB stick
pulled out during an export, a stick that is full or write-protected, a share that refuses to be
listed, a bundle that cannot be read, a stick formatted FAT32 or exFAT (no hard links). Each
gives a message in the user's language that says what to do, leaves no partial or temp file,
and changes nothing in the journal."""

from __future__ import annotations

import errno
import os
import shutil
import time
from pathlib import Path

import pytest
from gui_fixtures import *  # noqa: F403 (fixtures: open_window, gui_settings)
from gui_fixtures import GUI_PASSPHRASE
from helpers.factories import consultation
from test_gui_sync import IMPORT_TIMEOUT_MS, _open, click, lead_view, make_team, wait_idle

from app.cli import main


def _pull_stick_while_encoding(monkeypatch, stick: Path, on_call: int = 1) -> None:
    """The stick's mount point vanishes while the bundle (the `on_call`th) is being made."""
    from app.sync import bundle as fmt

    real, calls = fmt.encode, []

    def encode(*args, **kwargs):
        calls.append(1)
        if len(calls) == on_call:
            shutil.rmtree(stick)
        return real(*args, **kwargs)

    monkeypatch.setattr(fmt, "encode", encode)


def _stick(data_dir: Path) -> tuple[Path, Path]:
    stick = data_dir / "media" / "STICK"
    folder = stick / "mediatorlog"
    folder.mkdir(parents=True)
    return stick, folder


def test_an_export_to_a_stick_pulled_out_meanwhile_fails_and_makes_no_folder(data_dir, monkeypatch, capsys):
    team = make_team(data_dir, data_dir / "lead.db", names=("laptop-ana",), export=False)
    stick, folder = _stick(data_dir)
    _pull_stick_while_encoding(monkeypatch, stick)
    monkeypatch.setenv("MEDIATORLOG_PASSPHRASE", GUI_PASSPHRASE)
    code = main(["sync", "export", "--store", str(team["devices"]["laptop-ana"]["path"]), "--to", str(folder)])
    _out, err = capsys.readouterr()
    assert not stick.exists(), f"the stick's folder was made again on the local disk: {list(stick.rglob('*'))}"
    assert code == 1 and err == f"mediatorlog: The sync folder {folder} is not there. Connect the drive or " \
                                 "choose another folder.\n"


def test_the_leads_replies_stop_when_the_stick_is_pulled_after_the_first(data_dir, monkeypatch):
    from app.services.sync import SyncError, SyncService

    team = make_team(data_dir, data_dir / "lead.db")
    lead = _open(team["lead"])
    try:
        service = SyncService(lead)
        service.import_paths([team["folder"]])
        stick, folder = _stick(data_dir)
        _pull_stick_while_encoding(monkeypatch, stick, on_call=2)  # after the first reply is written
        with pytest.raises(SyncError, match="is not there"):
            service.export_bundles(folder)
    finally:
        lead.close()
    assert not stick.exists()


def test_sync_now_says_the_stick_is_gone_and_keeps_the_changes_unsent(qtbot, data_dir, open_window, monkeypatch):
    from app.services.sync_client import set_sync_folder
    from app.ui import sync_view

    team = make_team(data_dir, data_dir / "lead.db", names=("laptop-ana",), entries=0, export=False)
    device_path = team["devices"]["laptop-ana"]["path"]
    stick, folder = _stick(data_dir)
    device = _open(device_path)
    device.save_entry(consultation(notes="visit"))
    set_sync_folder(device, folder)
    device.close()
    warned = []
    monkeypatch.setattr(sync_view.QMessageBox, "warning", staticmethod(lambda *a, **k: warned.append(a[2])))
    window = open_window(device_path)
    sync = window.sync_ui
    qtbot.waitUntil(lambda: sync.status_label.text().startswith("1 change not yet synced"), timeout=IMPORT_TIMEOUT_MS)
    _pull_stick_while_encoding(monkeypatch, stick)
    sync.act_sync_now.trigger()
    qtbot.waitUntil(lambda: sync.jobs == 0 and sync.act_sync_now.isEnabled(), timeout=IMPORT_TIMEOUT_MS)
    wait_idle(qtbot, window)
    assert warned and "is not there" in warned[0], window.ui.statusbar.currentMessage()
    assert sync.status_label.text().startswith("1 change not yet synced"), sync.status_label.text()


MEDIA_FAILURES = {  # kind -> (errno, what the German message says)
    "full": (errno.ENOSPC, "ist voll"),
    "write-protected": (errno.EROFS, "schreibgeschützt"),
}


def _medium_fails(monkeypatch, kind: str) -> str:
    from app.store import atomic

    number = MEDIA_FAILURES[kind][0]

    def fail(*_a, **_k):
        raise OSError(number, os.strerror(number))

    if kind == "full":
        monkeypatch.setattr(atomic.os, "fsync", fail)  # the write runs out of space
    else:
        monkeypatch.setattr(atomic.tempfile, "mkstemp", fail)  # nothing can be created
    return os.strerror(number)


@pytest.mark.parametrize("kind", sorted(MEDIA_FAILURES))
def test_an_export_to_a_full_or_write_protected_stick_says_so_in_german(data_dir, monkeypatch, capsys, kind):
    team = make_team(data_dir, data_dir / "lead.db", names=("laptop-ana",), export=False)
    english = _medium_fails(monkeypatch, kind)
    monkeypatch.setenv("MEDIATORLOG_PASSPHRASE", GUI_PASSPHRASE)
    code = main(["--lang", "de", "sync", "export", "--store", str(team["devices"]["laptop-ana"]["path"]),
                 "--to", str(team["folder"])])
    out, err = capsys.readouterr()
    assert code == 1 and err.count("\n") == 1, (code, out, err)
    assert not [p.name for p in team["folder"].iterdir()], "no temp or partial file is left"
    assert english not in err and MEDIA_FAILURES[kind][1] in err, err


@pytest.mark.parametrize("kind", sorted(MEDIA_FAILURES))
def test_sync_now_on_a_full_or_write_protected_stick_says_what_to_do(qtbot, data_dir, open_window, monkeypatch,
                                                                     kind):
    from app.i18n import set_language
    from app.ui import sync_view

    team = make_team(data_dir, data_dir / "lead.db", names=("laptop-ana",), entries=0, export=False)
    device_path = team["devices"]["laptop-ana"]["path"]
    device = _open(device_path)
    device.save_entry(consultation(notes="visit"))
    device.close()
    warned = []
    monkeypatch.setattr(sync_view.QMessageBox, "warning", staticmethod(lambda *a, **k: warned.append(a[2])))
    window = open_window(device_path)
    sync = window.sync_ui
    wait_idle(qtbot, window)
    english = _medium_fails(monkeypatch, kind)
    set_language("de")  # the mediator works in German (the data_dir fixture resets it)
    sync.act_sync_now.trigger()
    qtbot.waitUntil(lambda: bool(warned), timeout=IMPORT_TIMEOUT_MS)
    wait_idle(qtbot, window)
    assert not [p.name for p in team["folder"].iterdir()], "no temp or partial file is left"
    assert english not in warned[0] and MEDIA_FAILURES[kind][1] in warned[0], warned[0]


def _refuse_listing(monkeypatch, folder: Path) -> None:
    real = os.scandir

    def scandir(path="."):
        if Path(path) == folder:
            raise PermissionError(errno.EACCES, "Permission denied", str(path))
        return real(path)

    monkeypatch.setattr(os, "scandir", scandir)


def test_importing_a_folder_that_cannot_be_listed_is_an_error_not_an_empty_folder(data_dir, monkeypatch, capsys):
    team = make_team(data_dir, data_dir / "lead.db")
    _refuse_listing(monkeypatch, team["folder"])
    monkeypatch.setenv("MEDIATORLOG_PASSPHRASE", GUI_PASSPHRASE)
    code = main(["sync", "import", "--store", str(team["lead"]), str(team["folder"])])
    out, err = capsys.readouterr()
    assert code == 1 and err.count("\n") == 1 and "may not write to or read the sync folder" in err, (code, out, err)


def test_the_leads_import_of_a_folder_that_cannot_be_listed_says_so(qtbot, data_dir, open_window, monkeypatch):
    team = make_team(data_dir, data_dir / "journal.db")
    window = open_window()
    view = lead_view(window)
    wait_idle(qtbot, window)
    _refuse_listing(monkeypatch, team["folder"])
    click(qtbot, view.ui.import_button)
    qtbot.waitUntil(lambda: not view.importing, timeout=IMPORT_TIMEOUT_MS)
    wait_idle(qtbot, window)
    assert "may not write to or read the sync folder" in view.ui.message.text(), view.ui.message.text()


def _unreadable(monkeypatch, victim: Path) -> None:
    real = Path.read_bytes

    def read_bytes(self):
        if Path(self) == victim:
            raise PermissionError(errno.EACCES, "Permission denied", str(self))
        return real(self)

    monkeypatch.setattr(Path, "read_bytes", read_bytes)


def test_a_bundle_that_cannot_be_read_is_not_called_cut_off(data_dir, monkeypatch, capsys):
    from app.services.sync import SyncService

    team = make_team(data_dir, data_dir / "lead.db")
    victim = sorted(team["folder"].glob("*.mlsync"))[0]
    _unreadable(monkeypatch, victim)
    monkeypatch.setenv("MEDIATORLOG_PASSPHRASE", GUI_PASSPHRASE)
    code = main(["sync", "import", "--store", str(team["lead"]), str(team["folder"])])
    _out, err = capsys.readouterr()
    assert code == 3
    assert f"{victim.name} cannot be read here: check that the drive is still connected" in err, err
    lead = _open(team["lead"])
    try:
        waiting = {w.path.name: w.reason for w in SyncService(lead).waiting_bundles(team["folder"])}
    finally:
        lead.close()
    assert waiting[victim.name] == "unreadable"


def test_bundles_go_onto_a_stick_without_hard_links_and_are_never_overwritten(data_dir, monkeypatch):
    """FAT32 and exFAT (most USB sticks) refuse hard links: link() fails with EPERM on Linux."""
    from app.services.sync import SyncService
    from app.store import atomic

    def no_links(*_a, **_k):
        raise PermissionError(errno.EPERM, "Operation not permitted")

    monkeypatch.setattr(atomic.os, "link", no_links)
    team = make_team(data_dir, data_dir / "lead.db", names=("laptop-ana",), export=False)
    device = _open(team["devices"]["laptop-ana"]["path"])
    try:
        [first] = SyncService(device).export_bundles(team["folder"])
        taken = first.path.read_bytes()
        device.save_entry(consultation(notes="second"))
        # The next number's file exists already (a copy left from a restored laptop, say): it stays.
        squatter = team["folder"] / first.path.name.replace(f"-{first.seq:06d}-", f"-{first.seq + 1:06d}-")
        squatter.write_bytes(b"not ours")
        [second] = SyncService(device).export_bundles(team["folder"])
    finally:
        device.close()
    assert first.path.read_bytes() == taken and squatter.read_bytes() == b"not ours"
    assert second.seq == first.seq + 2
    assert sorted(p.name for p in team["folder"].iterdir()) == sorted({first.path.name, squatter.name,
                                                                       second.path.name})
    lead = _open(team["lead"])
    try:
        report = SyncService(lead).import_paths([first.path, second.path])
    finally:
        lead.close()
    assert [r.status for r in report.results] == ["imported", "imported"]


def test_a_temp_file_left_by_a_killed_export_goes_at_the_next_write_of_that_file(tmp_path):
    """SIGKILL or a power cut in the middle of an export leaves the temp copy (perhaps a person's
    data, unencrypted) beside the target; the next write of the same file removes it."""
    from app.store.atomic import STALE_TEMP_SECONDS, atomic_write

    target = tmp_path / "access.json"
    left = tmp_path / ".access.json.k1ll3d.tmp"
    left.write_bytes(b'{"name": "Elena Popescu"}')
    old = time.time() - STALE_TEMP_SECONDS - 60
    os.utime(left, (old, old))
    running = tmp_path / ".access.json.runn1n.tmp"  # another write of it, still running
    running.write_bytes(b"...")
    atomic_write(target, b"{}")
    assert not left.exists() and running.exists()
    assert target.read_bytes() == b"{}"


# -- Windows: files held open by another program (a review, 2026-11-22) ----------------------

def _held_by_another_program(path):
    exc = PermissionError(errno.EACCES, "The process cannot access the file because it is being used by "
                                        "another process", str(path))
    exc.winerror = 32
    return exc


def test_a_new_bundles_temp_name_held_by_the_antivirus_is_no_failed_export(data_dir, monkeypatch):
    """Windows' antivirus scans a file the moment it appears: deleting the temp name after the
    bundle is in place fails with 'used by another process'. The bundle is complete: the export
    succeeded, and the temp file goes once stale."""
    from app.services.sync import SyncService
    from app.store import atomic

    team = make_team(data_dir, data_dir / "lead.db", names=("laptop-ana",), export=False)
    real_unlink = os.unlink

    def unlink(path, *args, **kwargs):
        if os.path.basename(os.fspath(path)).startswith(".ml-"):
            raise _held_by_another_program(path)
        return real_unlink(path, *args, **kwargs)

    monkeypatch.setattr(os, "unlink", unlink)
    device = _open(team["devices"]["laptop-ana"]["path"])
    try:
        [written] = SyncService(device).export_bundles(team["folder"])
        monkeypatch.setattr(os, "unlink", real_unlink)
        [temp] = team["folder"].glob(".ml-*.tmp")
        old = time.time() - atomic.STALE_TEMP_SECONDS - 60
        os.utime(temp, (old, old))
        assert SyncService(device).remove_acknowledged(team["folder"]) == 0
    finally:
        device.close()
    assert [p.name for p in team["folder"].iterdir()] == [written.path.name]
    lead = _open(team["lead"])
    try:
        assert [r.status for r in SyncService(lead).import_paths([team["folder"]]).results] == ["imported"]
    finally:
        lead.close()


def test_the_leads_replies_are_removed_from_a_stick_that_came_back_under_another_drive_letter(data_dir):
    """E: on Monday, F: on Tuesday: the reply is found by name and digest in whatever folder the
    lead looks at, once the workstation has taken it in."""
    from app.services.sync import SyncService

    team = make_team(data_dir, data_dir / "lead.db", names=("laptop-ana",))
    monday, tuesday = data_dir / "E" / "sync", data_dir / "F" / "sync"
    monday.mkdir(parents=True)
    lead, device = _open(team["lead"]), _open(team["devices"]["laptop-ana"]["path"])
    try:
        SyncService(lead).import_paths([team["folder"]])
        [reply] = SyncService(lead).export_bundles(monday)
        monday.parent.rename(data_dir / "F")  # the stick, plugged in again, is F: now
        SyncService(device).import_paths([tuesday])
        device.save_entry(consultation(notes="Dienstag"))
        SyncService(device).export_bundles(tuesday)
        SyncService(lead).import_paths([tuesday])  # takes the bundle in, then cleans the folder
    finally:
        lead.close()
        device.close()
    assert not (tuesday / reply.path.name).exists()


def test_an_erasure_deletes_every_upgrade_backup_it_can_and_names_those_held_open(journal, monkeypatch, capsys):
    from helpers.factories import PASSPHRASE

    from app.domain.entries import Client
    from app.services.stores import migration_backups, open_store
    from app.store.migrate import backup_store

    person = journal.save_client(Client(code="HA-EP-1", name="Elena Popescu"))
    store = journal.path
    journal.close()
    busy, *_others = [backup_store(store, revision) for revision in ("0012", "0013", "0014")]
    real_unlink = Path.unlink

    def unlink(self, *args, **kwargs):
        if Path(self) == busy:  # OneDrive or the antivirus has it open
            raise _held_by_another_program(self)
        return real_unlink(self, *args, **kwargs)

    monkeypatch.setattr(Path, "unlink", unlink)
    monkeypatch.setenv("MEDIATORLOG_PASSPHRASE", PASSPHRASE)
    code = main(["erase-client", "--store", str(store), "--code", "HA-EP-1", "--yes", "--delete-backups"])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert migration_backups(store) == [busy]
    assert "Deleted 2 backups from earlier upgrades." in out
    assert "1 backup could not be deleted: another program has it open" in out
    with open_store(store, PASSPHRASE) as again:
        assert again.get_client(person.id) is None


def test_a_passphrase_change_says_which_backups_still_open_with_the_old_one(journal, monkeypatch, capsys):
    from helpers.factories import PASSPHRASE

    from app.store.keyslots import KeySlots, keyslot_path
    from app.store.migrate import backup_store

    store = journal.path
    journal.close()
    backup = backup_store(store, "0014")
    held = keyslot_path(backup)
    real_replace = os.replace

    def replace(src, dst, *args, **kwargs):
        if Path(dst) == held:  # the backup program has the key file open
            raise _held_by_another_program(dst)
        return real_replace(src, dst, *args, **kwargs)

    monkeypatch.setattr(os, "replace", replace)
    monkeypatch.setenv("MEDIATORLOG_PASSPHRASE", PASSPHRASE)
    monkeypatch.setenv("MEDIATORLOG_NEW_PASSPHRASE", "a brand new passphrase")
    code = main(["passwd", "--store", str(store)])
    out, err = capsys.readouterr()
    assert code == 0 and out == "The passphrase was changed.\n"
    assert err == ("mediatorlog: 1 backup from an earlier upgrade still opens with the old passphrase: another "
                   f"program had its key file open. Run the command again, or delete it: {backup}\n")
    assert KeySlots.load(held).unlock_with_passphrase(PASSPHRASE)  # what the warning is about
