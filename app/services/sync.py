"""Sync between a team lead's store and the team's workstations, by bundle files.

This is the API the CLI and the desktop client use (no Qt here). Everything is one
`SyncService` over an open `Journal`:

    sync = SyncService(journal)
    sync.status()                      -> SyncStatus (unacknowledged changes, last sync, ...)
    sync.export_bundles(to_dir=None)   -> list[ExportResult] (device: one bundle to the lead;
                                          lead: one per device that has something to receive)
    sync.waiting_bundles(folder)       -> list[WaitingBundle] (what lies in the folder for us)
    sync.import_paths(paths, progress=None, cancel=None) -> ImportReport with one FileResult
                                          per file; a cancelled run leaves the store as before
    sync.list_conflicts()              -> list[ConflictInfo] (lead)
    sync.resolve_conflict(id, choice, value=None)  choice: "keep" | "take" | "edit"
    sync.devices()                     -> list[DeviceInfo] (lead)
    sync.provision(workstation, out=..., user=, language=, sync_dir=)  (lead)
    sync.revoke(name)                  (lead)
    sync.share_client(code_or_id, workstation) -> ShareResult  (lead: the client and the entries
                                          linking to it, now and later, go to that workstation too)
    sync.unshare_client(code_or_id, workstation)               (lead: no further updates)
    sync.shares(workstation=None)      -> list[ShareInfo] (lead)

Formats, trust model and merge rules: docs/sync-format.md.
"""

from __future__ import annotations

import errno
import gc
import hashlib
import json
import os
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from app import __version__
from app.domain.filters import fts_query
from app.domain.mentions import folded, mentions, name_parts, person_pattern
from app.i18n import N_, _, ngettext
from app.services.conflict_text import LEAD, peer_label
from app.services.journal import Journal, utc_now
from app.services.stores import RECOVERY_PUBLIC_META, migration_backups
from app.store import repository as repo
from app.store import search_index
from app.store.atomic import atomic_write, remove_stale_temps
from app.store.engine import checkpoint, plain_errors, writing
from app.store.keyslots import KeySlotError, load_recovery_public_key
from app.store.migrate import head_revision, known_revisions
from app.sync import bundle as fmt
from app.sync import crypto, replica
from app.sync.bundle import BundleError
from app.sync.hlc import MAX_DRIFT_MS, millis, to_iso, wall_ms
from app.sync.profile import Profile

EXIT_REJECTED = 3


class SyncError(Exception):
    """An expected problem (wrong role, unknown workstation, ...) with a message for the user."""


# -- results ---------------------------------------------------------------------------------

@dataclass
class FileResult:
    path: Path
    status: str  # "imported" | "duplicate" | "skipped" | "rejected"
    reason: str = ""  # for "rejected": one of app.sync.bundle.REASONS
    message: str = ""
    sender: str = ""  # workstation name (or "lead")
    seq: int = 0
    changes: int = 0  # field changes new to this journal (an earlier bundle may have brought the rest)
    applied: int = 0
    sender_id: str = ""  # the sender's device id (a revoked laptop and its replacement share a name)
    records: int = 0  # records created or changed here (what a mediator's "received" counts)
    conflicts: int = 0
    erased: int = 0
    warnings: list[str] = field(default_factory=list)


@dataclass
class ImportReport:
    results: list[FileResult] = field(default_factory=list)
    cancelled: bool = False

    @property
    def rejected(self) -> list[FileResult]:
        return [r for r in self.results if r.status == "rejected"]

    @property
    def imported(self) -> list[FileResult]:
        return [r for r in self.results if r.status == "imported"]


@dataclass
class ExportResult:
    path: Path
    recipient: str  # workstation name, or "lead"
    seq: int
    changes: int
    size: int
    records: int = 0  # the records those field changes belong to (what the status bar counts)


@dataclass
class WaitingBundle:
    path: Path
    sender: str
    seq: int
    changes: int
    created_at: str
    state: str  # "new" | "imported" | "rejected"
    reason: str = ""
    sender_id: str = ""  # the sender's device id, as the header says


@dataclass
class DeviceInfo:
    name: str
    device_id: str
    user: str
    state: str  # "pending" | "enrolled" | "revoked"
    provisioned_at: str
    enrolled_at: str
    revoked_at: str
    last_bundle_seq: int
    last_bundle_at: str  # when the device made its newest bundle we imported
    last_import_at: str  # when we imported it
    missing_bundles: list[int]
    missing_changes: list[tuple[int, int]]  # (after, up to) ranges of the device's change numbers
    acknowledged: int  # how far the device has applied what we sent it

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


# A workstation's state as people read it (the command line and the sync view).
STATE_LABELS = {"pending": N_("waiting for its first bundle"), "enrolled": N_("enrolled"), "revoked": N_("revoked")}


@dataclass
class SyncStatus:
    role: str
    in_team: bool
    team_id: str
    workstation: str
    enrolled: bool  # device: the lead has accepted us (we imported a bundle from the lead)
    unacknowledged: int  # own changes the other side has not acknowledged yet
    last_export_at: str
    last_import_at: str
    sync_dir: str
    open_conflicts: int
    devices: list[DeviceInfo] = field(default_factory=list)


@dataclass
class ConflictInfo:
    id: int
    table: str
    record_id: str
    field: str
    kind: str  # "concurrent" | "deleted"
    loser_value: Any
    loser_device: str
    loser_time: str
    current_value: Any
    current_device: str
    current_time: str
    record_deleted: bool
    detected_at: str


@dataclass
class ShareResult:
    workstation: str
    client_code: str
    entries: int  # entries linking to the client, shared with it now


@dataclass
class ErasurePreview:
    """What erasing a person takes with them, to show before anyone confirms it."""
    code: str
    linked: list[str]  # ids of the entries linked to the person, oldest first: all of them are erased
    with_others: int  # of these, entries that also name someone else (erased too)
    mentions: list[str]  # ids of other entries whose notes name the person's code or name: not erased
    backups: int = 0  # upgrade backups of the journal: each still holds the person, until deleted
    in_team: bool = True  # a journal outside a sync team has no other computers and no bundles

    @property
    def entries(self) -> int:
        return len(self.linked)


def erasure_notes(preview: ErasurePreview, *, done: bool = False) -> list[str]:
    """What to tell the user about an erasure, before it (done=False) or after it."""
    lines = []
    if not done:
        if preview.in_team:
            lines.append(ngettext(
                "The client {code} and {count} entry linked to them will be erased on every synced computer. "
                "This cannot be undone.",
                "The client {code} and {count} entries linked to them will be erased on every synced computer. "
                "This cannot be undone.", preview.entries).format(code=preview.code, count=preview.entries))
        else:
            lines.append(ngettext(
                "The client {code} and {count} entry linked to them will be erased from this journal. "
                "This cannot be undone.",
                "The client {code} and {count} entries linked to them will be erased from this journal. "
                "This cannot be undone.", preview.entries).format(code=preview.code, count=preview.entries))
        if preview.with_others:
            lines.append(ngettext(
                "{count} of these entries also names other people; it is erased too. Note first what concerns "
                "the others.",
                "{count} of these entries also name other people; they are erased too. Note first what concerns "
                "the others.", preview.with_others).format(count=preview.with_others))
    if preview.mentions:
        lines.append(ngettext(
            "{count} other entry mentions the code or the name in its notes and is not erased: check it and "
            "remove the mention.",
            "{count} other entries mention the code or the name in their notes and are not erased: check them "
            "and remove the mentions.", len(preview.mentions)).format(count=len(preview.mentions)))
    if preview.backups:
        lines.append(ngettext(
            "{count} backup from an earlier upgrade (folder backups) still holds this person's data, encrypted, "
            "until it is deleted.",
            "{count} backups from earlier upgrades (folder backups) still hold this person's data, encrypted, "
            "until they are deleted.", preview.backups).format(count=preview.backups))
    if preview.in_team:
        lines.append(_("Sync bundles still in the sync folder keep an encrypted copy until they are taken in and "
                       "removed."))
    return lines


def erasure_done(preview: ErasurePreview, entries: int) -> str:
    if not preview.in_team:
        return ngettext("Erased the client and {count} entry.", "Erased the client and {count} entries.",
                        entries).format(count=entries)
    return ngettext("Erased the client and {count} entry. The erasure reaches the other computers with the "
                    "next sync.", "Erased the client and {count} entries. The erasure reaches the other "
                    "computers with the next sync.", entries).format(count=entries)


@dataclass
class ShareInfo:
    workstation: str
    client_id: str
    client_code: str
    entries: int
    shared_at: str


# -- messages -----------------------------------------------------------------------------

def folder_problem(exc: OSError, folder: Path | str) -> str:
    """What went wrong with the sync folder (a USB stick, a network share), in the user's
    language and with what to do; the system's own words are English."""
    code = exc.errno
    if code == errno.ENOSPC or code == getattr(errno, "EDQUOT", None):
        return _("The sync folder {path} is full. Free some space on the drive, or choose another folder, "
                 "and sync again.").format(path=folder)
    if code in (errno.EROFS, errno.EACCES, errno.EPERM):
        return _("This computer may not write to or read the sync folder {path}. A USB stick may be "
                 "write-protected (a small switch on its side), or the folder's access rights do not allow "
                 "it. Fix that, or choose another folder, and sync again.").format(path=folder)
    if code == errno.ENOENT:
        return _("The sync folder {path} is not there. Connect the drive or choose another "
                 "folder.").format(path=folder)
    return _("The sync folder {path} could not be read or written (error {code}). Check that it is reachable "
             "(USB stick plugged in, network drive connected) and try again.").format(
        path=folder, code=errno.errorcode.get(code, code) if code is not None else type(exc).__name__)


def bundle_files(folder: Path) -> list[Path]:
    """The bundle files in a folder, by name. A folder that cannot be listed is an error (Path.glob
    would make it look empty: "No new bundles" from a share that refused to be read)."""
    try:
        with os.scandir(folder) as listing:
            return sorted(Path(e.path) for e in listing if e.name.endswith(fmt.SUFFIX))
    except OSError as exc:
        raise SyncError(folder_problem(exc, folder)) from None


def rejection_message(reason: str, name: str) -> str:
    messages = {
        "not_a_bundle": _("{file} is not a Mediator Log sync bundle. Remove it from the sync folder."),
        "truncated": _("{file} is incomplete: the copy was cut off. Copy it again, or ask the sender to "
                       "export again."),
        "unreadable": _("{file} cannot be read here: check that the drive is still connected and that this "
                        "computer may read the sync folder, then import again."),
        "altered": _("{file} was changed after it was signed and cannot be trusted. Delete it and ask the "
                     "sender to export again."),
        "newer_version": _("{file} was made by a newer version of Mediator Log. Update Mediator Log on this "
                           "computer, then import it again."),
        "not_addressed": _("{file} is addressed to another journal. Import it on the computer it is meant for."),
        "unknown_sender": _("{file} comes from a workstation this journal does not trust (unknown, or its "
                            "one-time enrollment was already used). Provision the workstation again."),
        "revoked_sender": _("{file} comes from a revoked workstation and was refused. If the laptop was "
                            "found again, provision it anew."),
    }
    return messages.get(reason, _("{file} cannot be imported.")).format(file=name)


def _shared_marks(payload: dict) -> set[int]:
    """Indexes into `rows` of the groups the lead shares with this workstation (besides its own)."""
    marks = payload.get("shared") or []
    if not isinstance(marks, list) or any(type(i) is not int for i in marks):
        raise TypeError("bad shared marker")
    return set(marks)


def _rows_to_groups(payload: dict) -> list[tuple[str, str, str, list[replica.Change]]]:
    devices = payload.get("devices") or []
    groups = []
    # Changes are made with tuple.__new__ (what Change._make does, without the Python-level call
    # per change), after the types are checked: 100,000 of them in a large bundle.
    new, change = tuple.__new__, replica.Change
    for tbl, rid, origin, changes in payload.get("rows") or []:
        made = []
        for f, v, h, d, b in changes:
            if type(h) is not int or type(b) is not int or type(f) is not str:
                raise TypeError("bad change")
            made.append(new(change, (f, v, h, devices[d], b)))
        groups.append((str(tbl), str(rid), str(origin), made))
    return groups


class _Payload:
    """Builds the payload's `devices` index, `rows` list and `shared` marker."""

    def __init__(self) -> None:
        self.devices: list[str] = []
        self._index: dict[str, int] = {}
        self.rows: list[list] = []
        self.shared: list[int] = []  # indexes of rows shared with the recipient (not its own)
        self.count = 0

    def dev(self, device_id: str) -> int:
        if device_id not in self._index:
            self._index[device_id] = len(self.devices)
            self.devices.append(device_id)
        return self._index[device_id]

    def add(self, tbl: str, rid: str, origin: str, changes: list[list], shared: bool = False) -> None:
        if changes:
            if shared:
                self.shared.append(len(self.rows))
            self.rows.append([tbl, rid, origin, changes])
            self.count += len(changes)

    def as_dict(self, **extra) -> dict:
        out = {"devices": self.devices, "rows": self.rows, **extra}
        if self.shared:
            out["shared"] = self.shared
        return out


def _coverage(ranges: Iterable[tuple[int, int]], start: int = 0) -> tuple[int, list[tuple[int, int]]]:
    """Contiguous high-water mark from `start` of (after, up_to] ranges, and the holes above it."""
    high, holes = start, []
    for lo, hi in sorted(ranges):
        if lo > high:
            holes.append((high, lo))
        high = max(high, hi)
    contiguous = holes[0][0] if holes else high
    return contiguous, holes


SENT_META = "sync.sent"
RESEND_OWN_META = "sync.restored."  # + device id (lead)
RESTORED_META, RESTORED_PENDING = "sync.restored", "pending"  # workstation
RESEND_ALL_META = "sync.resend_all."  # + device id (lead): "1" while it asks that workstation for everything
LEAD_IMPORTED_META = "sync.lead_imported"  # workstation: digests of its bundles the lead has imported (recent)
# Lead: per workstation name, what the bundles of its last import brought:
# {"changes": received, "applied": became current here, "conflicts": found}.
IMPORT_COUNTS_META = "sync.import_counts"
IMPORTED_LISTED = 30  # how many of a workstation's bundles a reply names as imported, newest first
# Lead: replies it wrote and has not removed yet:
# [file name, digest, recipient, seq, last, the payload's ack, folder written to].
WRITTEN_META, WRITTEN_KEPT = "sync.written", 500


def _folder_key(folder: Path) -> str:
    try:
        return str(Path(folder).resolve())
    except OSError:
        return str(Path(folder).absolute())


def _sent_bundles(conn) -> dict | None:
    """A workstation's record of its bundles the lead has not acknowledged yet:
    {"from": first bundle number recorded, "bundles": [[seq, last, digest], ...]}. None on a journal
    that has not written a bundle since it began keeping the record."""
    raw = _meta(conn, SENT_META)
    return json.loads(raw) if raw else None


def _missing_bundles(bundles: Sequence[tuple], holes: list[tuple[int, int]]) -> list[int]:
    """The numbers of a sender's bundles that never arrived and may have carried missing changes.
    A bundle carries every change not yet acknowledged, so one that never arrived is healed by the
    next: its number is a gap only while changes are missing between the last change of the
    bundle before it and that of the bundle after it (a lost bundle healed long ago is not named
    beside a later real gap). `bundles`: rows of (seq, first, last, ...); `holes`: (after, up to]."""
    if not bundles or not holes:
        return []
    lasts: dict[int, int] = {}
    for seq, _first, last, *_rest in bundles:
        lasts[seq] = max(lasts.get(seq, 0), last)
    arrived = sorted(lasts)
    missing = []
    for number in range(1, arrived[-1] + 1):
        if number in lasts:
            continue
        below = max((lasts[s] for s in arrived if s < number), default=0)
        above = min((lasts[s] for s in arrived if s > number))
        if any(after < above and upto > below for after, upto in holes):
            missing.append(number)
    return missing


@contextmanager
def _kept_only_if_recorded(path: Path) -> Iterator[None]:
    """A bundle just written stays only if the journal records it: when that fails (another
    program holds the journal), an export that says it failed leaves no bundle behind, which a
    retry would send again under the next number."""
    try:
        yield
    except BaseException:
        try:
            path.unlink()
        except OSError:
            pass
        raise


def _int(value) -> int:
    """A header number as given, or 0: any file can sit in a shared folder, signed or not."""
    return value if type(value) is int else 0


def _meta(conn, key: str, default: str = "") -> str:
    value = repo.get_meta(conn, key)
    return default if value is None else value


@contextmanager
def _no_cycle_collection() -> Iterator[None]:
    """Python's cycle collector paused for a bulk import. Decoding and merging a 100,000-change
    bundle makes about a million small objects (the payload's lists, rows, clocks) that stay alive
    until the merge ends; every full collection walks them all, and one import triggered seven:
    0.87 s of 3.9 s. Nothing here makes reference cycles, so reference counting still frees it all."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


class SyncService:
    def __init__(self, journal: Journal):
        self.journal = journal
        self.engine = journal.engine
        self._run_versions: dict[str, list] = {}  # see import_paths and _check_run_versions

    # -- identity -----------------------------------------------------------------------

    @property
    def is_lead(self) -> bool:
        return self.journal.role == "lead"

    def _keys(self, conn) -> crypto.KeyPairs:
        sign, enc = _meta(conn, "sync.sign_private"), _meta(conn, "sync.enc_private")
        if not sign or not enc:
            raise SyncError(_("This journal is not part of a sync team yet."))
        return crypto.KeyPairs(crypto.unb64(sign), crypto.unb64(enc))

    def ensure_team(self) -> str:
        """Lead: create the team's key pairs and id on first use. Returns the team id."""
        if not self.is_lead:
            raise SyncError(_("Only a team lead's journal can do this."))
        with writing(self.engine) as conn:
            team_id = _meta(conn, "sync.team_id")
            if not team_id:
                team_id = _meta(conn, "store_id")
                keys = crypto.KeyPairs.generate()
                repo.set_meta(conn, "sync.team_id", team_id)
                repo.set_meta(conn, "sync.sign_private", crypto.b64(keys.sign_private))
                repo.set_meta(conn, "sync.enc_private", crypto.b64(keys.enc_private))
        return team_id

    # -- provisioning and devices (lead) -----------------------------------------------------

    def provision(self, workstation: str, out: Path, *, user: str = "", language: str = "",
                  sync_dir: str = "", recovery_public_pem: str = "") -> Path:
        """Write a signed workstation profile with a fresh one-time enrollment secret."""
        workstation = workstation.strip()
        if not workstation:
            raise SyncError(_("Give the workstation a name."))
        if recovery_public_pem:
            try:
                load_recovery_public_key(recovery_public_pem.encode("ascii", "replace"))
            except KeySlotError:
                raise SyncError(_("The recovery key file is not a Mediator Log recovery public key.")) from None
        team_id = self.ensure_team()
        secret = crypto.new_enrollment_secret()
        now = utc_now()
        with writing(self.engine) as conn:
            taken = conn.exec_driver_sql(
                "SELECT state FROM sync_peers WHERE name = ? AND state != 'revoked'", (workstation,)).fetchone()
            if taken and taken[0] == "enrolled":
                raise SyncError(_("The workstation {name} is already enrolled. Revoke it first to provision it "
                                  "again.").format(name=workstation))
            conn.exec_driver_sql("DELETE FROM sync_peers WHERE name = ? AND state = 'pending'", (workstation,))
            # The profile carries the catalogs as they are now: the device has acknowledged them.
            lseq = int(_meta(conn, "sync.lseq", "0"))
            conn.exec_driver_sql(
                "INSERT INTO sync_peers (name, user_name, language, verifier, state, provisioned_at, ack) "
                "VALUES (?, ?, ?, ?, 'pending', ?, ?)",
                (workstation, user.strip(), language, crypto.enrollment_verifier(secret), now, lseq))
            keys = self._keys(conn)
            if recovery_public_pem:  # the key given last goes into every later profile, also the GUI's
                repo.set_meta(conn, RECOVERY_PUBLIC_META, recovery_public_pem)
            recovery = recovery_public_pem or _meta(conn, RECOVERY_PUBLIC_META)
            catalogs = self._catalog_payload(conn)
            profile = Profile(
                team_id=team_id, lead_id=self.journal.device_id, team_sign_public=keys.sign_public,
                team_enc_public=keys.enc_public, workstation=workstation, enrollment_secret=secret,
                user=user.strip(), language=language, sync_dir=sync_dir, recovery_public_pem=recovery,
                catalogs=[catalogs], created_at=now,
            )
            # Written inside the transaction: if the file cannot be written, no pending record stays.
            atomic_write(Path(out), profile.to_bytes(keys), overwrite=False)
        return Path(out)

    def profiles_carry_recovery_key(self) -> bool:
        """Whether the profiles this lead writes let IT restore access to the workstation."""
        with self.engine.connect() as conn:
            return bool(_meta(conn, RECOVERY_PUBLIC_META))

    def _catalog_payload(self, conn) -> dict:
        payload = _Payload()
        for rid, origin, clocks in conn.exec_driver_sql(
                "SELECT rid, origin, clocks FROM sync_clock WHERE tbl = 'catalog_values' AND erased = 0"):
            self._add_current(conn, payload, "catalog_values", rid, origin, json.loads(clocks), None, None)
        return payload.as_dict()

    def devices(self) -> list[DeviceInfo]:
        with self.engine.connect() as conn:
            return self._devices(conn)

    def _devices(self, conn) -> list[DeviceInfo]:
        found = []
        for (name, device_id, user, state, provisioned, enrolled, revoked, ack, last_import) in conn.exec_driver_sql(
                "SELECT name, device_id, user_name, state, provisioned_at, enrolled_at, revoked_at, ack, "
                "last_import_at FROM sync_peers ORDER BY name, id"):
            bundles = conn.exec_driver_sql(
                "SELECT seq, first, last, created_at FROM sync_bundles WHERE sender = ? ORDER BY seq",
                (device_id or "",)).fetchall()
            seqs = [b[0] for b in bundles]
            _high, holes = _coverage((b[1], b[2]) for b in bundles)
            missing = _missing_bundles(bundles, holes)
            found.append(DeviceInfo(
                name=name, device_id=device_id or "", user=user or "", state=state, provisioned_at=provisioned or "",
                enrolled_at=enrolled or "", revoked_at=revoked or "", last_bundle_seq=seqs[-1] if seqs else 0,
                last_bundle_at=bundles[-1][3] if bundles else "", last_import_at=last_import or "",
                missing_bundles=missing, missing_changes=holes, acknowledged=ack or 0,
            ))
        return found

    def revoke(self, name: str) -> None:
        """Refuse every later bundle from this workstation (and any unused enrollment for it)."""
        with writing(self.engine) as conn:
            hit = conn.exec_driver_sql(
                "UPDATE sync_peers SET state = 'revoked', revoked_at = ?, verifier = NULL "
                "WHERE name = ? AND state != 'revoked'", (utc_now(), name.strip())).rowcount
        if not hit:
            with self.engine.connect() as conn:
                known = conn.exec_driver_sql("SELECT 1 FROM sync_peers WHERE name = ?", (name.strip(),)).first()
            if known is not None:
                raise SyncError(_("{name} is revoked already: its bundles are refused.").format(name=name))
            raise SyncError(_("There is no workstation called {name} to revoke.").format(name=name))

    def set_sync_dir(self, folder: str) -> None:
        """The folder bundles are written to (and read from) by default."""
        with writing(self.engine) as conn:
            repo.set_meta(conn, "sync.sync_dir", str(folder))

    # -- status --------------------------------------------------------------------------

    def status(self) -> SyncStatus:
        with self.engine.connect() as conn:
            team_id = _meta(conn, "sync.team_id")
            acked = int(_meta(conn, "sync.acked", "0"))
            if self.is_lead:
                unacked = 0
                conflicts = conn.exec_driver_sql("SELECT count(*) FROM sync_conflicts").scalar()
                devices = self._devices(conn)
            else:
                unacked = conn.exec_driver_sql("SELECT count(*) FROM sync_log WHERE seq > ?", (acked,)).scalar()
                conflicts, devices = 0, []
            return SyncStatus(
                role=self.journal.role, in_team=bool(team_id), team_id=team_id,
                workstation=_meta(conn, "sync.workstation"), enrolled=_meta(conn, "sync.enrolled") == "1",
                unacknowledged=unacked, last_export_at=_meta(conn, "sync.last_export_at"),
                last_import_at=_meta(conn, "sync.last_import_at"), sync_dir=_meta(conn, "sync.sync_dir"),
                open_conflicts=conflicts, devices=devices,
            )

    # -- export --------------------------------------------------------------------------

    def export_bundles(self, to_dir: Path | None = None) -> list[ExportResult]:
        """Write what the other side has not acknowledged yet. A device writes one bundle for
        the lead; the lead one per enrolled device with something new for it."""
        with self.engine.connect() as conn:
            if not _meta(conn, "sync.team_id"):
                raise SyncError(_("This journal is not part of a sync team yet."))
            if not to_dir and not _meta(conn, "sync.sync_dir"):
                raise SyncError(_("No sync folder is set: give one with --to, or set it in the preferences."))
            folder = Path(to_dir) if to_dir else Path(_meta(conn, "sync.sync_dir"))
        if not folder.is_dir():
            raise SyncError(_("The sync folder {path} is not there. Connect the drive or choose another "
                              "folder.").format(path=folder))
        results = []
        if self.is_lead:
            for device in self.devices():
                if device.state == "enrolled":
                    result = self._export_to_device(folder, device)
                    if result:
                        results.append(result)
        else:
            result = self._export_to_lead(folder)
            if result:
                results.append(result)
        self.remove_acknowledged(folder)
        return results

    def _next_seq(self, conn) -> int:
        return int(_meta(conn, "sync.bundle_seq", "0")) + 1

    def _header(self, conn, *, recipient: str, recipient_enc: bytes, seq: int, first: int, last: int,
                count: int, keys: crypto.KeyPairs) -> dict:
        return {
            "app_version": __version__, "schema": head_revision(), "team": _meta(conn, "sync.team_id"),
            "sender": self.journal.device_id, "sender_key": crypto.key_id(keys.sign_public),
            "recipient": recipient, "recipient_key": crypto.key_id(recipient_enc), "seq": seq,
            "first": first, "last": last, "count": count, "created_at": utc_now(),
            "created_hlc": int(_meta(conn, "sync.hlc", "0")),
        }

    def _write_bundle(self, folder: Path, header: dict, payload: dict, keys, recipient_enc: bytes) -> tuple[Path, str]:
        """Write the bundle; its path and digest (what the recipient calls it by)."""
        seq = header["seq"]
        while True:
            header["seq"] = seq
            data = fmt.encode(header, payload, keys, recipient_enc)
            path = folder / fmt.file_name(self.journal.device_id, seq, header["recipient"])
            try:
                atomic_write(path, data, overwrite=False, make_folder=False)
                return path, hashlib.sha256(data).hexdigest()
            except FileExistsError:
                seq += 1  # never overwrite: a number used before (e.g. restored journal) moves on
            except OSError as exc:
                raise SyncError(folder_problem(exc, folder)) from None

    def _export_to_lead(self, folder: Path) -> ExportResult | None:
        with self.engine.connect() as conn:
            keys = self._keys(conn)
            acked = int(_meta(conn, "sync.acked", "0"))
            lead_id = _meta(conn, "sync.lead_id")
            lead_enc = crypto.unb64(_meta(conn, "sync.team_enc_public"))
            payload = _Payload()
            me = payload.dev(self.journal.device_id)
            rows = conn.exec_driver_sql(
                "SELECT l.seq, l.tbl, l.rid, l.field, l.value, l.hlc, l.base, c.origin FROM sync_log l "
                "LEFT JOIN sync_clock c ON c.tbl = l.tbl AND c.rid = l.rid WHERE l.seq > ? ORDER BY l.seq",
                (acked,)).fetchall()
            grouped: dict[tuple[str, str], tuple[str, list]] = {}
            last = acked
            for seq, tbl, rid, name, value, hlc, base, origin in rows:
                last = max(last, seq)
                grouped.setdefault((tbl, rid), (origin or self.journal.device_id, []))[1].append(
                    [name, value, hlc, me, base])
            for (tbl, rid), (origin, changes) in grouped.items():
                payload.add(tbl, rid, origin, changes)
            coverage = self._lead_coverage(conn, lead_id)
            restored = _meta(conn, RESTORED_META)
            if payload.count == 0 and coverage == int(_meta(conn, "sync.ack_sent", "-1")) and not restored:
                return None
            seq = self._next_seq(conn)
            header = self._header(conn, recipient=lead_id, recipient_enc=lead_enc, seq=seq, first=acked,
                                  last=last, count=payload.count, keys=keys)
            if _meta(conn, "sync.enrolled") != "1":
                header["enroll"] = self._enrollment(conn, keys)
        extra = {"restored": True} if restored else {}
        path, digest = self._write_bundle(folder, header, payload.as_dict(ack=coverage, **extra), keys, lead_enc)
        with _kept_only_if_recorded(path), writing(self.engine) as conn:
            if restored == RESTORED_PENDING:  # cleared once the lead acknowledges this bundle or a later one
                repo.set_meta(conn, RESTORED_META, str(header["seq"]))
            sent = _sent_bundles(conn) or {"from": header["seq"], "bundles": []}
            sent["bundles"].append([header["seq"], last, digest])
            repo.set_meta(conn, SENT_META, json.dumps(sent))
            repo.set_meta(conn, "sync.bundle_seq", str(header["seq"]))
            repo.set_meta(conn, "sync.ack_sent", str(coverage))
            repo.set_meta(conn, "sync.sent_upto", str(last))  # what is in a bundle, waiting for the lead
            repo.set_meta(conn, "sync.last_export_at", utc_now())
        return ExportResult(path, LEAD, header["seq"], payload.count, path.stat().st_size, len(payload.rows))

    def remove_acknowledged(self, folder: Path) -> int:
        """Delete from `folder` the bundles this journal wrote that the other side has taken in:
        a workstation's once the lead names them as imported (by digest, so also those written
        before a restore), the lead's replies once the workstation has the changes and the
        acknowledgement they carry. Returns how many went."""
        # Temp files of bundles whose write was killed, or whose temp name Windows held a moment.
        remove_stale_temps(Path(folder), f".ml-*{fmt.SUFFIX}.*.tmp")
        if not self.is_lead:
            return self._remove_imported_by_lead(Path(folder))
        here = _folder_key(folder)
        with self.engine.connect() as conn:
            written = json.loads(_meta(conn, WRITTEN_META, "[]"))
            # A reply is taken in when the workstation has the lead's changes in it (its `ack`
            # reaches the reply's `last`) and the acknowledgement it carried (the workstation's
            # newest bundle starts at or after it): a reply that only acknowledges is news too.
            peers = {device_id: (ack, first or 0) for device_id, ack, first in conn.exec_driver_sql(
                "SELECT p.device_id, p.ack, (SELECT max(first) FROM sync_bundles b WHERE b.sender = p.device_id) "
                "FROM sync_peers p WHERE p.device_id IS NOT NULL")}
            taken = [recipient in peers and last <= peers[recipient][0] and carried <= peers[recipient][1]
                     for _name, _digest, recipient, _seq, last, carried, _folder in written]
        removed, kept = 0, []
        for entry, done in zip(written, taken):
            path = Path(folder) / entry[0]
            if done:  # looked for by name and digest: a stick may come back under another drive letter
                try:
                    if hashlib.sha256(path.read_bytes()).hexdigest() == entry[1]:
                        path.unlink()
                        removed += 1
                        continue
                except FileNotFoundError:
                    if entry[6] == here:
                        continue  # moved on, or removed by hand
                    # not here: written to another folder (a stick), looked for there
                except OSError:
                    pass  # open elsewhere (a share on Windows), or read-only: next time
            kept.append(entry)
        if len(kept) != len(written):
            with writing(self.engine) as conn:
                now = json.loads(_meta(conn, WRITTEN_META, "[]"))
                gone = {tuple(e) for e in written} - {tuple(e) for e in kept}
                repo.set_meta(conn, WRITTEN_META, json.dumps([e for e in now if tuple(e) not in gone]))
        return removed

    def _remove_imported_by_lead(self, folder: Path) -> int:
        with self.engine.connect() as conn:
            imported = set(json.loads(_meta(conn, LEAD_IMPORTED_META, "[]")))
            lead_id = _meta(conn, "sync.lead_id")
        if not imported or not lead_id:
            return 0
        removed = 0
        for path in folder.glob(fmt.file_pattern(self.journal.device_id, lead_id)):
            try:
                if hashlib.sha256(path.read_bytes()).hexdigest() in imported:
                    path.unlink()
                    removed += 1
            except OSError:
                continue  # gone meanwhile, open elsewhere, or read-only: next time
        return removed

    def _ack_details(self, conn, device_id: str, coverage: int) -> dict:
        """Which of the workstation's bundles the acknowledgement rests on, and the highest bundle
        number seen from it: a workstation restored from a backup learns from them that the
        acknowledged numbers are not its own (see `_take_ack`)."""
        details = {}
        row = conn.exec_driver_sql(
            "SELECT seq, digest FROM sync_bundles WHERE sender = ? AND last = ? ORDER BY imported_at DESC, seq DESC "
            "LIMIT 1", (device_id, coverage)).fetchone()
        if row is not None:
            details["ack_bundle"] = [row[0], row[1]]
        seen = conn.exec_driver_sql("SELECT max(seq) FROM sync_bundles WHERE sender = ?", (device_id,)).scalar()
        if seen:
            details["seen_seq"] = seen
        # The workstation removes its bundle files the lead names here: also those it wrote
        # before a restore, which it has no record of.
        details["imported"] = [d for (d,) in conn.exec_driver_sql(
            "SELECT digest FROM sync_bundles WHERE sender = ? ORDER BY imported_at DESC, seq DESC LIMIT ?",
            (device_id, IMPORTED_LISTED))]
        return details

    def _take_ack(self, conn, ack: int, payload: dict) -> str | None:
        """Take the lead's acknowledgement on a workstation; a warning when it turns out to be for
        another history of this journal. A journal restored from a backup numbers its new changes
        from where the backup stood, with numbers the lead has acknowledged for changes the
        restore threw away; taken as they come, the new changes would be deleted unsent."""
        own_seq = int(_meta(conn, "sync.bundle_seq", "0"))
        seen_seq = payload.get("seen_seq")
        if type(seen_seq) is int and seen_seq > own_seq:
            repo.set_meta(conn, "sync.bundle_seq", str(seen_seq))  # numbers the lead knows are not used again
        if payload.get("resend") is True and int(_meta(conn, "sync.acked", "0")) > 0:
            self._log_everything_again(conn)
        imported = payload.get("imported")
        if isinstance(imported, list):
            repo.set_meta(conn, LEAD_IMPORTED_META, json.dumps([d for d in imported if isinstance(d, str)]))
        sent, on = _sent_bundles(conn), payload.get("ack_bundle")
        if not (isinstance(on, list) and len(on) == 2 and type(on[0]) is int and isinstance(on[1], str)):
            on = None  # a lead before this member, or nothing to rest on
        flagged = _meta(conn, RESTORED_META)
        if flagged.isdigit() and type(seen_seq) is int and seen_seq >= int(flagged):
            # The lead has imported the first bundle that said we were restored (bundle numbers
            # were raised past all it had seen when the mark was set, so this is no older one).
            repo.set_meta(conn, RESTORED_META, "")
            flagged = ""
        acked = int(_meta(conn, "sync.acked", "0"))
        if ack <= acked:
            return None
        # Resting on a bundle this journal never wrote: one of a history lost to a restore. A number
        # above any we wrote says so even when the backup predates our record of bundles.
        foreign = on is not None and (on[0] > own_seq or (
            sent is not None and on[0] >= sent["from"] and not any([s, d] == on for s, _last, d in sent["bundles"])))
        if foreign:
            top = max(ack, conn.exec_driver_sql("SELECT coalesce(max(seq), 0) FROM sync_log").scalar(),
                      conn.exec_driver_sql("SELECT coalesce(max(seq), 0) FROM sqlite_sequence "
                                           "WHERE name = 'sync_log'").scalar())
            # Above everything the lead has acknowledged and everything used here; one statement
            # moves every row past all old numbers, so no two rows meet on the way.
            conn.exec_driver_sql("UPDATE sync_log SET seq = seq + ? WHERE seq > ?", (top - acked, acked))
            conn.exec_driver_sql("UPDATE sqlite_sequence SET seq = max(seq, ?, (SELECT coalesce(max(seq), 0) "
                                 "FROM sync_log)) WHERE name = 'sync_log'", (top,))
            # Nothing at or below `ack` is left unsent now, so the lead's numbering is taken: the
            # next bundle starts there, and the same acknowledgement is not news again (it was,
            # on every sync, for a restored laptop with nothing new to send).
            repo.set_meta(conn, "sync.acked", str(ack))
            repo.set_meta(conn, "sync.sent_upto", str(ack))  # everything not acknowledged goes again
            if sent is not None:
                sent["bundles"] = []
                repo.set_meta(conn, SENT_META, json.dumps(sent))
            repo.set_meta(conn, RESTORED_META, RESTORED_PENDING)  # and the lead is asked for our records
            if flagged == RESTORED_PENDING:
                return None  # said already (two old replies in one import)
            return _("The team lead has confirmed changes that this journal no longer has: it was restored "
                     "from a backup. Its changes since the backup go to the team lead again with the next sync.")
        repo.set_meta(conn, "sync.acked", str(ack))
        conn.exec_driver_sql("DELETE FROM sync_log WHERE seq <= ?", (ack,))
        if sent is not None:
            sent["bundles"] = [b for b in sent["bundles"] if b[1] > ack]
            repo.set_meta(conn, SENT_META, json.dumps(sent))
        return None

    def _check_run_versions(self, conn) -> None:
        """Of a workstation's bundles imported in one run, the newest carries every change not yet
        acknowledged, so all that an older one with the same start carried, or a later version of
        it. When it lacks some, the older one was written before the workstation was restored
        from a backup, and the workstation lacks those changes: it gets its records whole again.
        (Across runs the workstation finds this out itself, from the acknowledgement.)"""
        for sender, bundles in self._run_versions.items():
            if len(bundles) < 2:
                continue
            newest_hlc, newest_first, newest = max(bundles, key=lambda b: b[0])
            for hlc, first, versions in bundles:
                if hlc < newest_hlc and first >= newest_first and any(
                        newest.get(key, -1) < version for key, version in versions.items()):
                    repo.set_meta(conn, f"{RESEND_OWN_META}{sender}", str(self._bump(conn)))
                    break
        self._run_versions = {}

    def _log_everything_again(self, conn) -> None:
        """The lead lost changes it had acknowledged (it was restored from a backup): every version
        this workstation wrote of its own records goes into the log again, numbered from 0 on,
        so the next bundle carries them all and the lead's ranges close. (Versions another journal
        wrote cannot travel in this workstation's log; the lead has to have those itself.)"""
        me = self.journal.device_id
        payload = _Payload()
        for tbl, rid, origin, clocks in conn.exec_driver_sql(
                "SELECT tbl, rid, origin, clocks FROM sync_clock WHERE origin = ?", (me,)).fetchall():
            self._add_current(conn, payload, tbl, rid, origin, json.loads(clocks), None, None)
        mine = payload.dev(me)
        rows = [(tbl, rid, name, value, hlc, base) for tbl, rid, _origin, changes in payload.rows
                for name, value, hlc, dev, base in changes if dev == mine]
        conn.exec_driver_sql("DELETE FROM sync_log")
        if rows:
            conn.exec_driver_sql(replica._LOG_CHANGE, rows)
        repo.set_meta(conn, "sync.acked", "0")
        repo.set_meta(conn, "sync.sent_upto", "0")
        sent = _sent_bundles(conn)
        if sent is not None:
            sent["bundles"] = []
            repo.set_meta(conn, SENT_META, json.dumps(sent))

    def _take_peer_ack(self, conn, device_id: str, ack: int, newest: bool, restored: bool) -> None:
        """How far the workstation has the lead's changes: as its newest bundle (by `created_hlc`)
        says. Lower than before, its journal was restored from a backup and lost the lead's changes
        since. They go to it again, and so do all its own records, once, as when it says it was
        restored (see `_take_ack` and `_export_to_device`)."""
        before = conn.exec_driver_sql("SELECT ack FROM sync_peers WHERE device_id = ?", (device_id,)).scalar() or 0
        state = replica.Replica.load(conn)
        lead_restored = ack > state.lseq
        if lead_restored:
            # The workstation has lead changes numbered above this journal's counter: the lead was
            # restored from a backup, and its numbers since then mean other changes there. New ones
            # are numbered above all of them, and the workstation is sent everything for it again.
            state.lseq = ack
            state.save(conn)
            conn.exec_driver_sql("UPDATE sync_peers SET ack = 0 WHERE device_id = ?", (device_id,))
        elif newest:
            conn.exec_driver_sql("UPDATE sync_peers SET ack = ? WHERE device_id = ?", (ack, device_id))
        # A late older bundle changes nothing: it says less than the newest did, or, from before a
        # restore, more than the journal has now.
        if (newest and ack < before) or restored:
            # Until the workstation acknowledges a reply written from now on.
            repo.set_meta(conn, f"{RESEND_OWN_META}{device_id}", str(self._bump(conn)))

    def _enrollment(self, conn, keys: crypto.KeyPairs) -> dict:
        secret = crypto.unb64(_meta(conn, "sync.enroll_secret"))
        workstation = _meta(conn, "sync.workstation")
        message = crypto.enrollment_message(_meta(conn, "sync.team_id"), workstation, self.journal.device_id,
                                            keys.sign_public, keys.enc_public)
        return {
            "workstation": workstation, "sign_public": crypto.b64(keys.sign_public),
            "enc_public": crypto.b64(keys.enc_public),
            "proof": crypto.b64(crypto.enrollment_proof(crypto.enrollment_verifier(secret), message)),
        }

    def _lead_coverage(self, conn, lead_id: str) -> int:
        """How far this workstation has the lead's change stream. The lead numbers from its own
        history: the first bundle to a new workstation starts at the lead's change number when it was
        provisioned, never at 0, so coverage counts from the lowest start received. (Counted from 0,
        it stayed 0 for good: the lead never saw an acknowledgement and sent its versions again in
        every bundle.)"""
        ranges = conn.exec_driver_sql("SELECT first, last FROM sync_bundles WHERE sender = ?",
                                      (lead_id,)).fetchall()
        return _coverage(ranges, start=min((first for first, _last in ranges), default=0))[0]

    def _export_to_device(self, folder: Path, device: DeviceInfo) -> ExportResult | None:
        with self.engine.connect() as conn:
            sharing = conn.exec_driver_sql(
                "SELECT 1 FROM sync_shares WHERE device_id = ? AND unshared_at IS NULL LIMIT 1",
                (device.device_id,)).first() is not None
        if sharing:
            with writing(self.engine) as conn:  # entries that came to link, or stopped linking, to a shared client
                self._extend_shares(conn, device.device_id)
                self._shrink_shares(conn, device.device_id)
        with self.engine.connect() as conn:
            keys = self._keys(conn)
            peer = conn.exec_driver_sql(
                "SELECT enc_public, ack, ack_sent FROM sync_peers WHERE device_id = ?", (device.device_id,)).fetchone()
            enc_public, ack, ack_sent = bytes(peer[0]), peer[1] or 0, peer[2]
            lseq = int(_meta(conn, "sync.lseq", "0"))
            # A workstation restored from a backup lacks what it wrote since: its own versions go
            # back to it too, until it has acknowledged the lead's changes of the day it was found so.
            restored = ack < int(_meta(conn, f"{RESEND_OWN_META}{device.device_id}", "0"))
            not_from = None if restored else device.device_id
            payload = _Payload()
            for tbl, rid, origin, clocks in conn.exec_driver_sql(
                    "SELECT tbl, rid, origin, clocks FROM sync_clock WHERE origin IN (?, '*') AND (lseq > ? OR "
                    "(? AND origin = ?)) ORDER BY tbl, rid", (device.device_id, ack, restored, device.device_id)):
                after = None if restored and origin == device.device_id else ack
                self._add_current(conn, payload, tbl, rid, origin, json.loads(clocks), after, not_from)
            self._add_shared(conn, payload, device.device_id, ack, not_from)
            ranges = conn.exec_driver_sql("SELECT first, last FROM sync_bundles WHERE sender = ?",
                                          (device.device_id,)).fetchall()
            coverage = _coverage(ranges)[0]
            # A workstation's bundle starts where the lead's acknowledgement it received ends.
            confirmed = max((first for first, _last in ranges), default=0) >= coverage
            content = payload.as_dict(ack=coverage, **self._ack_details(conn, device.device_id, coverage))
            if _meta(conn, f"{RESEND_ALL_META}{device.device_id}") == "1":
                content["resend"] = True  # everything it wrote, again (see _log_everything_again)
            # The same reply again while the last one still waits in the folder: with fifteen
            # laptops, every 'Write replies' added fifteen bundles that said nothing new. A reply
            # that vanished (a lost stick, another folder) is written again, also one that only
            # acknowledged: without it the workstation sent the same changes for ever.
            digest = hashlib.sha256(json.dumps(content, sort_keys=True, separators=(",", ":")).encode()).hexdigest()
            last_digest, _sep, last_name = _meta(conn, f"sync.reply.{device.device_id}").partition(":")
            last_waits = bool(last_name) and (folder / last_name).exists()
            if (payload.count == 0 and coverage == ack_sent and (last_waits or not last_name or confirmed)
                    and "resend" not in content):
                return None
            if last_digest == digest and last_waits:
                return None
            seq = self._next_seq(conn)
            header = self._header(conn, recipient=device.device_id, recipient_enc=enc_public, seq=seq, first=ack,
                                  last=lseq, count=payload.count, keys=keys)
        path, file_digest = self._write_bundle(folder, header, content, keys, enc_public)
        with _kept_only_if_recorded(path), writing(self.engine) as conn:
            # Recorded, so the reply can be removed once the workstation has taken it in.
            written = json.loads(_meta(conn, WRITTEN_META, "[]"))
            written.append([path.name, file_digest, device.device_id, header["seq"], header["last"], coverage,
                            _folder_key(folder)])
            repo.set_meta(conn, WRITTEN_META, json.dumps(written[-WRITTEN_KEPT:]))
            repo.set_meta(conn, f"sync.reply.{device.device_id}", f"{digest}:{path.name}")
            repo.set_meta(conn, "sync.bundle_seq", str(header["seq"]))
            repo.set_meta(conn, "sync.last_export_at", utc_now())
            conn.exec_driver_sql("UPDATE sync_peers SET ack_sent = ? WHERE device_id = ?",
                                 (coverage, device.device_id))
        return ExportResult(path, device.name, header["seq"], payload.count, path.stat().st_size,
                            len(payload.rows))

    def _add_current(self, conn, payload: _Payload, tbl: str, rid: str, origin: str, clocks: dict,
                     after: int | None, skip_dev: str | None, shared: bool = False) -> None:
        """Add the current versions of one record (those newer than `after` here, and not
        written by `skip_dev`) with their values as stored."""
        if replica.ERASED in clocks:
            h, d, b, lseq = clocks[replica.ERASED]
            if (after is None or lseq > after) and d != skip_dev:
                payload.add(tbl, rid, origin, [[replica.ERASED, 1, h, payload.dev(d), b]], shared)
            return
        spec = replica.SPECS[tbl]
        row = replica._select_rows(conn, tbl, [rid], spec.fields).get(rid)
        if row is None:
            return
        deleted = row.get(replica.DELETED) is not None
        changes = []
        for name in spec.fields:
            clock = clocks.get(name) or clocks.get(replica.STAR)
            if clock is None:
                continue
            h, d, b, lseq = clock
            if (after is not None and lseq <= after) or d == skip_dev:
                continue
            if deleted and name not in spec.no_conflict and name not in (replica.DELETED, "type"):
                continue  # a tombstone's content is gone; only the deletion travels
            changes.append([name, row[name], h, payload.dev(d), b])
        payload.add(tbl, rid, origin, changes, shared)

    def _add_shared(self, conn, payload: _Payload, device_id: str, ack: int, not_from: str | None) -> None:
        """Records shared with the device (not its own): whole until the device has acknowledged
        the change number the share began at, then their changes after `ack`; after the share
        ended, only an erasure. Marked in the payload so the device accepts them."""
        rows = conn.exec_driver_sql(
            "SELECT s.tbl, s.rid, s.since, s.unshared_at, c.origin, c.clocks, c.erased FROM sync_shares s "
            "JOIN sync_clock c ON c.tbl = s.tbl AND c.rid = s.rid WHERE s.device_id = ? AND c.origin NOT IN (?, '*') "
            "AND (c.lseq > ? OR (s.since > ? AND s.unshared_at IS NULL)) ORDER BY s.tbl, s.rid",
            (device_id, device_id, ack, ack)).fetchall()
        for tbl, rid, since, unshared_at, origin, clocks, erased in rows:
            if unshared_at is not None and not erased:
                continue
            after = None if unshared_at is None and since > ack else ack
            self._add_current(conn, payload, tbl, rid, origin, json.loads(clocks), after, not_from, shared=True)

    # -- sharing (lead) ---------------------------------------------------------------------

    def share_client(self, client: str, workstation: str) -> ShareResult:
        """Share a client (by code or id) with a workstation that did not create it: the client
        and every entry that links to it, now and later, go to that workstation with the lead's
        next bundle, and its edits to them come back like its own. Sharing again is no change."""
        if not self.is_lead:
            raise SyncError(_("Only a team lead's journal can share clients with workstations."))
        with writing(self.engine) as conn:
            device_id, name = self._share_device(conn, workstation, enrolled=True)
            client_id, code = self._share_client_id(conn, client)
            active = conn.exec_driver_sql(
                "SELECT 1 FROM sync_shares WHERE tbl = 'clients' AND rid = ? AND device_id = ? "
                "AND unshared_at IS NULL", (client_id, device_id)).fetchone()
            if active is None:
                since = self._bump(conn)
                conn.exec_driver_sql(
                    "INSERT INTO sync_shares (tbl, rid, device_id, shared_at, since) VALUES ('clients', ?, ?, ?, ?) "
                    "ON CONFLICT (tbl, rid, device_id) DO UPDATE SET shared_at = excluded.shared_at, "
                    "since = excluded.since, unshared_at = NULL", (client_id, device_id, utc_now(), since))
                self._extend_shares(conn, device_id, since)
            entries = conn.exec_driver_sql(
                "SELECT count(*) FROM entry_clients WHERE client_id = ?", (client_id,)).scalar()
        return ShareResult(name, code, entries)

    def unshare_client(self, client: str, workstation: str) -> int:
        """End a share: the workstation gets no further updates of the client and its entries.
        What it already holds stays there until the person is erased (the erasure still reaches
        it). Entries that also link to another client still shared with it stay shared.
        Returns the number of records whose share ended."""
        if not self.is_lead:
            raise SyncError(_("Only a team lead's journal can share clients with workstations."))
        with writing(self.engine) as conn:
            device_id, name = self._share_device(conn, workstation, enrolled=False)
            client_id, code = self._share_client_id(conn, client, allow_gone=True)
            now = utc_now()
            hit = conn.exec_driver_sql(
                "UPDATE sync_shares SET unshared_at = ? WHERE tbl = 'clients' AND rid = ? AND device_id = ? "
                "AND unshared_at IS NULL", (now, client_id, device_id)).rowcount
            if not hit:
                raise SyncError(_("This client is not shared with the workstation {name}.").format(name=name))
            hit += conn.exec_driver_sql(
                "UPDATE sync_shares SET unshared_at = ? WHERE tbl = 'entries' AND device_id = ? AND unshared_at IS NULL "
                "AND rid IN (SELECT entry_id FROM entry_clients WHERE client_id = ?) AND rid NOT IN ("
                "SELECT ec.entry_id FROM entry_clients ec JOIN sync_shares s ON s.tbl = 'clients' "
                "AND s.rid = ec.client_id AND s.device_id = ? AND s.unshared_at IS NULL)",
                (now, device_id, client_id, device_id)).rowcount
        return hit

    def shares(self, workstation: str | None = None) -> list[ShareInfo]:
        """Clients shared now, per workstation (lead)."""
        with self.engine.connect() as conn:
            rows = conn.exec_driver_sql(
                "SELECT p.name, s.rid, coalesce(c.code, s.rid), s.shared_at, (SELECT count(*) FROM sync_shares e "
                "JOIN entry_clients ec ON ec.entry_id = e.rid AND ec.client_id = s.rid WHERE e.tbl = 'entries' "
                "AND e.device_id = s.device_id AND e.unshared_at IS NULL) FROM sync_shares s "
                "JOIN sync_peers p ON p.device_id = s.device_id LEFT JOIN clients c ON c.id = s.rid "
                "WHERE s.tbl = 'clients' AND s.unshared_at IS NULL AND (? IS NULL OR p.name = ?) "
                # An erased person's share is kept only so that the erasure reaches the workstation.
                "AND NOT EXISTS (SELECT 1 FROM sync_clock k WHERE k.tbl = 'clients' AND k.rid = s.rid AND k.erased = 1) "
                "ORDER BY p.name, c.code", (workstation, workstation)).fetchall()
        return [ShareInfo(name, rid, code, entries, shared_at) for name, rid, code, shared_at, entries in rows]

    def _bump(self, conn) -> int:
        """A new lead change number: what is shared from now on travels whole until the
        workstation has acknowledged a bundle that reaches this number."""
        state = replica.Replica.load(conn)
        number = state.next_lseq()
        state.save(conn)
        return number

    def _extend_shares(self, conn, device_id: str, since: int | None = None) -> int:
        """Entries that link to a client shared with the device but are not shared with it (yet,
        or any more) become shared. Returns how many."""
        missing = [r[0] for r in conn.exec_driver_sql(
            "SELECT DISTINCT ec.entry_id FROM sync_shares s JOIN entry_clients ec ON ec.client_id = s.rid "
            "WHERE s.tbl = 'clients' AND s.device_id = ? AND s.unshared_at IS NULL AND NOT EXISTS ("
            "SELECT 1 FROM sync_shares t WHERE t.tbl = 'entries' AND t.rid = ec.entry_id AND t.device_id = ? "
            "AND t.unshared_at IS NULL)", (device_id, device_id))]
        if not missing:
            return 0
        since = since if since is not None else self._bump(conn)
        now = utc_now()
        conn.exec_driver_sql(
            "INSERT INTO sync_shares (tbl, rid, device_id, shared_at, since) VALUES ('entries', ?, ?, ?, ?) "
            "ON CONFLICT (tbl, rid, device_id) DO UPDATE SET shared_at = excluded.shared_at, since = excluded.since, "
            "unshared_at = NULL", [(rid, device_id, now, since) for rid in missing])
        return len(missing)

    def _shrink_shares(self, conn, device_id: str) -> int:
        """Live entries shared with the device that no longer link to any client shared with it
        (an edit put them on someone else) are shared no more: they are no longer about anyone the
        workstation may see. Deleted ones stay shared, so their deletion reaches it. Returns how many."""
        return conn.exec_driver_sql(
            "UPDATE sync_shares SET unshared_at = ? WHERE tbl = 'entries' AND device_id = ? AND unshared_at IS NULL "
            "AND rid IN (SELECT id FROM entries WHERE deleted_at IS NULL) AND rid NOT IN ("
            "SELECT ec.entry_id FROM entry_clients ec JOIN sync_shares s ON s.tbl = 'clients' "
            "AND s.rid = ec.client_id AND s.device_id = ? AND s.unshared_at IS NULL)",
            (utc_now(), device_id, device_id)).rowcount

    def _share_device(self, conn, workstation: str, *, enrolled: bool) -> tuple[str, str]:
        name = workstation.strip()
        states = dict(conn.exec_driver_sql(
            "SELECT state, device_id FROM sync_peers WHERE name = ? ORDER BY id", (name,)).fetchall())
        if states.get("enrolled"):
            return states["enrolled"], name
        if not enrolled and states.get("revoked"):
            return states["revoked"], name
        if "pending" in states:
            raise SyncError(_("The workstation {name} has not sent its first bundle yet. Import it, then share "
                              "again.").format(name=name))
        if "revoked" in states:
            raise SyncError(_("The workstation {name} is revoked; nothing can be shared with it.").format(name=name))
        raise SyncError(_("There is no workstation called {name}.").format(name=name))

    def _share_client_id(self, conn, client: str, *, allow_gone: bool = False) -> tuple[str, str]:
        # Messages name no client code: exception texts must not carry personal data.
        code, key = client.strip().upper(), client.strip().lower()  # codes are stored in capitals, ids in lower case
        row = conn.exec_driver_sql(
            "SELECT c.id, c.code, c.deleted_at, coalesce(k.erased, 0) FROM clients c LEFT JOIN sync_clock k "
            "ON k.tbl = 'clients' AND k.rid = c.id WHERE c.code = ? OR c.id = ? ORDER BY c.code = ? DESC",
            (code, key, code)).fetchone()
        if row is None:
            raise SyncError(_("There is no client with this code. Check the code in the client register."))
        client_id, code, deleted_at, erased = row
        if not allow_gone and erased:
            raise SyncError(_("This client was erased; there is nothing to share."))
        if not allow_gone and deleted_at is not None:
            raise SyncError(_("This client is deleted. Restore it first, then share it."))
        return client_id, code

    # -- import --------------------------------------------------------------------------

    def waiting_bundles(self, folder: Path) -> list[WaitingBundle]:
        """Bundles in `folder` addressed to this journal, with whether they were imported."""
        found = []
        for path in bundle_files(Path(folder)):
            try:
                b = fmt.read(path)
            except FileNotFoundError:
                continue
            except (BundleError, OSError) as exc:
                if not fmt.named_for_another(path.name, self.journal.device_id):
                    found.append(WaitingBundle(path, "", 0, 0, "", "rejected", getattr(exc, "reason", "unreadable")))
                continue
            h = b.header
            if h.get("recipient") != self.journal.device_id:
                continue
            with self.engine.connect() as conn:
                done = self._imported_before(conn, str(h.get("sender")), h.get("seq"), b.digest)
                sender = self._sender_name(conn, str(h.get("sender"))) or self._enrolling_name(conn, h)
                revoked = conn.exec_driver_sql("SELECT 1 FROM sync_peers WHERE device_id = ? AND state = 'revoked'",
                                               (str(h.get("sender")),)).first() is not None
            state = "imported" if done else "new"
            reason = ""
            if state == "new" and revoked:  # it will be refused: said before the import, not after it
                state, reason = "rejected", "revoked_sender"
            found.append(WaitingBundle(path, sender, _int(h.get("seq")), _int(h.get("count")),
                                       str(h.get("created_at", "")), state, reason, str(h.get("sender") or "")))
        # by workstation and number, not by file name (a random device id): fifteen laptops' bundles
        # read in order
        found.sort(key=lambda w: (w.sender == "", w.sender.casefold(), w.seq, w.path.name))
        return found

    def _addressed_here(self, conn, header: dict) -> bool:
        my_id = self.journal.device_id
        return bool(my_id) and header.get("recipient") == my_id and header.get("team") == _meta(conn, "sync.team_id")

    def _passed_over(self, conn, item, from_folder: bool) -> bool:
        """A file of a folder that `_import_one` passes over at once: our own, not for this
        journal, or imported before (by this run too)."""
        if not from_folder or isinstance(item, FileResult):
            return False
        h = item.header
        return (str(h.get("sender") or "") == self.journal.device_id or not self._addressed_here(conn, h)
                or self._imported_before(conn, str(h.get("sender")), h.get("seq"), item.digest))

    @staticmethod
    def _imported_before(conn, sender: str, seq, digest: str) -> bool:
        return conn.exec_driver_sql("SELECT 1 FROM sync_bundles WHERE sender = ? AND seq = ? AND digest = ?",
                                    (sender, seq, digest)).first() is not None

    def _enrolling_name(self, conn, header: dict) -> str:
        """A first bundle names the workstation it enrolls; shown (not yet trusted: the import
        checks the proof) when a workstation of that name waits for its first bundle."""
        enroll = header.get("enroll")
        name = enroll.get("workstation") if isinstance(enroll, dict) else None
        if not isinstance(name, str):
            return ""
        row = conn.exec_driver_sql("SELECT 1 FROM sync_peers WHERE name = ? AND state = 'pending'", (name,)).first()
        return name if row else ""

    def _sender_name(self, conn, device_id: str) -> str:
        if device_id == _meta(conn, "sync.lead_id"):
            return LEAD
        row = conn.exec_driver_sql("SELECT name FROM sync_peers WHERE device_id = ?", (device_id,)).fetchone()
        return row[0] if row else ""

    def import_paths(self, paths: Iterable[Path], progress: Callable[[int, int], None] | None = None,
                     cancel: Callable[[], bool] | None = None) -> ImportReport:
        """Import bundle files and folders. Folders: only bundles addressed to this journal,
        others are passed over quietly. Every bundle is checked and applied on its own (a
        rejected one changes nothing and the others still import); the whole run is one
        transaction, so a cancelled run leaves the journal exactly as before."""
        files: list[tuple[Path, bool]] = []
        for p in paths:
            p = Path(p)
            if p.is_dir():
                files.extend((f, True) for f in bundle_files(p))
            else:
                files.append((p, False))
        report = ImportReport()
        with plain_errors(), _no_cycle_collection(), self.engine.connect().execution_options(immediate=True) as conn:
            outer = conn.begin()
            try:
                # Order: a device's bundles by number, so they apply in the order made; devices by
                # their earliest bundle here, so of two journals made from one profile the one that
                # wrote first enrolls (by sender id, whichever sorted first won).
                parsed = []
                for path, from_folder in files:
                    item = self._read(path)
                    if from_folder and isinstance(item, FileResult) and \
                            fmt.named_for_another(path.name, self.journal.device_id):
                        # Unreadable, and for someone else: theirs to report (a cut-off bundle for the
                        # lead was shown to every mediator at every sync).
                        item = FileResult(path, "skipped")
                    parsed.append((path, from_folder, item))
                first_made: dict[str, str] = {}
                for _path, _folder, item in parsed:
                    if not isinstance(item, FileResult):
                        sender, made = str(item.header.get("sender")), str(item.header.get("created_at") or "")
                        first_made[sender] = min(first_made.get(sender, made), made)
                parsed.sort(key=lambda t: (0, "", "", 0) if isinstance(t[2], FileResult) else
                            (1, first_made[str(t[2].header.get("sender"))], str(t[2].header.get("sender")),
                             _int(t[2].header.get("seq"))))
                senders = Counter(str(t[2].header.get("sender")) for t in parsed if not isinstance(t[2], FileResult))
                # A sender with several bundles in this run: what each brought, to see at the end
                # whether its newest lacks what an older one carried (see _check_run_versions).
                self._run_versions = {sender: [] for sender, n in senders.items() if n > 1 and self.is_lead}
                # The progress counts what this import takes in, not the folder's other files (the
                # lead's own replies, bundles for other journals, bundles imported before).
                counted = [not self._passed_over(conn, item, from_folder) for _path, from_folder, item in parsed]
                total, done = sum(counted), 0
                for (path, from_folder, item), counts in zip(parsed, counted):
                    if cancel and cancel():
                        report.cancelled = True
                        break
                    if isinstance(item, FileResult):
                        result = item
                    else:
                        # No SAVEPOINT per bundle: every check that can refuse a bundle runs before
                        # _import_one writes anything, so a refused bundle has changed nothing. (Inside
                        # a savepoint each statement of the reporting triggers got a statement journal:
                        # 20x slower.) An unexpected error rolls the whole run back below.
                        try:
                            result = self._import_one(conn, path, item, from_folder)
                        except BundleError as exc:
                            result = FileResult(path, "rejected", exc.reason, rejection_message(exc.reason, path.name))
                    if result.status != "skipped" or not from_folder:
                        report.results.append(result)
                    if progress and counts:
                        done += 1
                        progress(done, total)
                if not report.cancelled:
                    self._check_run_versions(conn)
                    self._record_import_counts(conn, report.imported)
                if report.cancelled or (cancel and cancel()):
                    report.cancelled = True
                    outer.rollback()
                    for r in report.results:
                        if r.status == "imported":
                            r.status, r.message = "cancelled", _("Import cancelled: nothing was changed.")
                else:
                    outer.commit()
            except BaseException:
                if outer.is_active:
                    outer.rollback()
                raise
        if not report.cancelled:
            if any(r.erased for r in report.imported):
                self._forget_old_pages()
            for folder in {path.parent for path, from_folder in files if from_folder}:
                self.remove_acknowledged(folder)
        return report

    def _record_import_counts(self, conn, imported: list[FileResult]) -> None:
        """In the import's transaction, so the sync view shows what an import brought whichever
        way it ran (the desktop or `sync import`)."""
        if not self.is_lead or not imported:
            return
        counts = self._import_counts(conn)
        fresh: dict[str, dict] = {}
        for r in imported:
            counts.pop(r.sender, None)  # kept by name before 2026-11-22
            got = fresh.setdefault(r.sender_id, {"changes": 0, "applied": 0, "conflicts": 0})
            got["changes"] += r.changes
            got["applied"] += r.applied
            got["conflicts"] += r.conflicts
        counts.update(fresh)
        repo.set_meta(conn, IMPORT_COUNTS_META, json.dumps(counts, sort_keys=True))

    def import_counts(self) -> dict[str, dict]:
        """Workstation's device id -> what the bundles of its last import brought
        (`IMPORT_COUNTS_META`; counts kept before 2026-11-22 are keyed by the workstation's name)."""
        with self.engine.connect() as conn:
            return self._import_counts(conn)

    @staticmethod
    def _import_counts(conn) -> dict[str, dict]:
        try:
            # (Before sync.import_counts the desktop kept them as a preference: shown until the next import.)
            counts = json.loads(_meta(conn, IMPORT_COUNTS_META) or _meta(conn, "setting.sync.last_import_counts")
                                or "{}")
        except ValueError:
            return {}
        return counts if isinstance(counts, dict) else {}

    def _read(self, path: Path):
        try:
            return fmt.read(path)
        except FileNotFoundError:  # removed while we looked (its writer saw it taken in)
            return FileResult(path, "skipped")
        except BundleError as exc:
            return FileResult(path, "rejected", exc.reason, rejection_message(exc.reason, path.name))
        except OSError:  # the file is there but cannot be read (access rights, a drive gone)
            return FileResult(path, "rejected", "unreadable", rejection_message("unreadable", path.name))

    def _import_one(self, conn, path: Path, b: fmt.Bundle, from_folder: bool) -> FileResult:
        h = b.header
        name = path.name
        my_id = self.journal.device_id
        sender = str(h.get("sender") or "")
        if sender == my_id and from_folder:
            return FileResult(path, "skipped")
        if not self._addressed_here(conn, h):
            if from_folder:
                return FileResult(path, "skipped")
            raise BundleError("not_addressed")
        keys = self._keys(conn)
        if h.get("recipient_key") != crypto.key_id(keys.enc_public):
            raise BundleError("not_addressed")
        seq = h.get("seq")
        if not isinstance(seq, int) or seq < 1:
            raise BundleError("altered")

        enroll_peer = None
        if self.is_lead:
            peer = conn.exec_driver_sql(
                "SELECT id, name, state, sign_public FROM sync_peers WHERE device_id = ?", (sender,)).fetchone()
            if peer is not None and peer[2] == "revoked":
                # A bundle imported before the revocation is not news: only new ones are refused,
                # so the team lead is not told "revoked" again on every folder import.
                b.verify(bytes(peer[3]))
                if self._imported_before(conn, sender, seq, b.digest):
                    return FileResult(path, "duplicate", message=_("{file} was imported before; nothing to do.")
                                      .format(file=name), sender=peer[1], seq=seq)
                raise BundleError("revoked_sender")
            if peer is not None:
                b.verify(bytes(peer[3]))
                sender_name = peer[1]
            else:
                enroll_peer, sender_name = self._check_enrollment(conn, b)
        else:
            if sender != _meta(conn, "sync.lead_id"):
                raise BundleError("unknown_sender")
            b.verify(crypto.unb64(_meta(conn, "sync.team_sign_public")))
            sender_name = LEAD

        schema = str(h.get("schema") or "")
        if schema not in known_revisions():
            raise BundleError("newer_version")
        # The same number with other content is no replay (only the sender can sign it): a journal
        # restored from a backup numbers from where the backup stood, and a bundle written before
        # the restore may still arrive. Both hold real changes; the merge takes each change once.
        if self._imported_before(conn, sender, seq, b.digest):
            return FileResult(path, "duplicate", message=_("{file} was imported before; nothing to do.").format(
                file=name), sender=sender_name, seq=seq)

        payload = b.open(keys)
        try:
            groups = _rows_to_groups(payload)
            shared = _shared_marks(payload)
            ack = int(payload.get("ack") or 0)
        except (TypeError, ValueError, IndexError, KeyError):
            raise BundleError("altered", "payload structure") from None
        now = utc_now()
        if enroll_peer is not None:
            enroll = h["enroll"]
            conn.exec_driver_sql(
                "UPDATE sync_peers SET device_id = ?, sign_public = ?, enc_public = ?, verifier = NULL, "
                "state = 'enrolled', enrolled_at = ? WHERE id = ?",
                (sender, crypto.unb64(enroll["sign_public"]), crypto.unb64(enroll["enc_public"]), now, enroll_peer))
        if not self.is_lead:
            groups = self._own_scope(groups, shared)
        state = replica.Replica.load(conn)
        applied = replica.apply(conn, groups, record_conflicts=self.is_lead, replica=state)
        if sender in self._run_versions:
            versions: dict[tuple[str, str, str], int] = {}
            for tbl, rid, _origin, changes in groups:
                for c in changes:
                    if c.dev == sender and c.hlc > versions.get((tbl, rid, c.field), -1):
                        versions[(tbl, rid, c.field)] = c.hlc
            self._run_versions[sender].append((h.get("created_hlc") if type(h.get("created_hlc")) is int else 0,
                                               int(h.get("first") or 0), versions))
        first, last = h.get("first") or 0, h.get("last") or 0
        if type(first) is not int or type(last) is not int:
            raise BundleError("altered", "change range")
        created_hlc = h.get("created_hlc") if type(h.get("created_hlc")) is int else 0
        newest = conn.exec_driver_sql("SELECT max(created_hlc) FROM sync_bundles WHERE sender = ?", (sender,)).scalar()
        if self.is_lead:
            had = _coverage(conn.exec_driver_sql("SELECT first, last FROM sync_bundles WHERE sender = ?",
                                                 (sender,)).fetchall())[0]
            # The workstation starts where this journal acknowledged, and this journal has less:
            # it was restored from a backup and lost changes the workstation no longer keeps.
            if first > had:
                repo.set_meta(conn, f"{RESEND_ALL_META}{sender}", "1")
            elif first == 0:
                repo.set_meta(conn, f"{RESEND_ALL_META}{sender}", "")
        conn.exec_driver_sql(
            "INSERT INTO sync_bundles (sender, seq, digest, first, last, changes, created_at, imported_at, created_hlc) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (sender, seq, b.digest, first, last, applied.changes, str(h.get("created_at") or ""), now, created_hlc))
        warnings = []
        if self.is_lead:
            # Newest by the sender's hybrid clock, which never goes back on one journal; its wall
            # clock may (set right after it was ahead), and then no bundle counted as newest again.
            latest = newest is None or created_hlc >= newest
            # A late bundle that still brought something: written before a restore, so the
            # workstation lacks it now (an ordinary late bundle brings nothing its newer one did not).
            self._take_peer_ack(conn, sender, ack, latest,
                                restored=payload.get("restored") is True or (not latest and applied.applied > 0))
            conn.exec_driver_sql("UPDATE sync_peers SET last_import_at = ? WHERE device_id = ?", (now, sender))
        else:
            warning = self._take_ack(conn, ack, payload)
            if warning:
                warnings.append(warning)
            if _meta(conn, "sync.enrolled") != "1":
                repo.set_meta(conn, "sync.enrolled", "1")
                repo.set_meta(conn, "sync.enroll_secret", "")  # the one-time secret is spent
        repo.set_meta(conn, "sync.last_import_at", now)
        result = FileResult(path, "imported", sender=sender_name, sender_id=sender, records=applied.rows, seq=seq,
                            changes=applied.changes - applied.known,
                            applied=applied.applied, conflicts=applied.conflicts, erased=applied.erased,
                            warnings=warnings)
        result.message = _("{file}: changes from {sender}: {changes}, applied: {applied}, conflicts: "
                             "{conflicts}.").format(
            file=name, changes=applied.changes - applied.known, sender=peer_label(sender_name), applied=applied.applied,
            conflicts=applied.conflicts)
        if applied.max_hlc and millis(applied.max_hlc) - wall_ms() > MAX_DRIFT_MS:
            result.warnings.append(_("The clock of {sender} is ahead by more than a day ({time}). Ask them to set "
                                     "the date and time of the computer.").format(sender=peer_label(sender_name),
                                                                                  time=to_iso(applied.max_hlc)))
        if applied.skipped:
            result.warnings.append(_("{count} changes belong to records not received yet; they will apply when "
                                     "the missing bundle arrives.").format(count=applied.skipped))
        if applied.erased:  # applied too, though no field value was: say so, or "0 applied" reads as nothing done
            result.warnings.append(ngettext("{count} record was erased (a person's data-protection request).",
                                            "{count} records were erased (a person's data-protection request).",
                                            applied.erased).format(count=applied.erased))
        return result

    def _own_scope(self, groups, shared: set[int]):
        """A device accepts records of its own origin, the catalogs, and the groups the lead
        marked as shared with it (inside the signed, encrypted payload) only."""
        me = self.journal.device_id
        return [g for i, g in enumerate(groups) if g[2] in (me, replica.STAR) or i in shared]

    def _check_enrollment(self, conn, b: fmt.Bundle) -> tuple[int, str]:
        """A first bundle from an unknown device: its signature must verify with the key it
        presents and its proof must match a pending, unused enrollment secret."""
        enroll = b.header.get("enroll")
        if not isinstance(enroll, dict):
            raise BundleError("unknown_sender")
        try:
            sign_public = crypto.unb64(enroll["sign_public"])
            enc_public = crypto.unb64(enroll["enc_public"])
            proof = crypto.unb64(enroll["proof"])
            workstation = str(enroll["workstation"])
        except (KeyError, ValueError, TypeError):
            raise BundleError("altered", "enrollment block") from None
        b.verify(sign_public)
        candidates = conn.exec_driver_sql(
            "SELECT id, name, verifier, state FROM sync_peers WHERE name = ?", (workstation,)).fetchall()
        message = crypto.enrollment_message(str(b.header.get("team")), workstation, str(b.header.get("sender")),
                                            sign_public, enc_public)
        for peer_id, name, verifier, state in candidates:
            if state == "pending" and verifier and crypto.check_enrollment_proof(bytes(verifier), message, proof):
                return peer_id, name
        raise BundleError("unknown_sender")

    # -- erasure --------------------------------------------------------------------------

    def erasure_preview(self, client_id: str) -> ErasurePreview:
        with self.engine.connect() as conn:
            client = repo.get_client(conn, client_id)
            if client is None:
                raise SyncError(_("There is no such client."))
            linked = [rid for (rid,) in conn.exec_driver_sql(
                "SELECT e.id FROM entry_clients ec JOIN entries e ON e.id = ec.entry_id "
                "WHERE ec.client_id = ? AND e.deleted_at IS NULL ORDER BY e.start", (client_id,))]
            marks = ",".join("?" * len(linked))
            with_others = conn.exec_driver_sql(
                f"SELECT count(DISTINCT entry_id) FROM entry_clients WHERE entry_id IN ({marks}) AND client_id != ?",
                (*linked, client_id)).scalar() if linked else 0
            # Whole words in the notes and the follow-up, whatever the case and diacritics (SQL's LIKE
            # found "Ion" in "Information" and did not fold "Ş" to "ş"). The full-text index narrows it
            # to candidates in milliseconds; reading every note took 1.3 s at 50,000 entries. It folds
            # as SQLite's tokenizer does, not as `folded` does: "ß", "ё" and other letters beyond
            # plain ASCII are looked for in every note instead (slower, but found).
            pattern = person_pattern(client.code, client.name)
            own = set(linked)
            words = name_parts(client.code, client.name)
            indexable = all(folded(w).isascii() and "ss" not in folded(w) and any(ch.isalnum() for ch in w)
                            for w in words)
            candidates = "SELECT id, start, notes, follow_up FROM entries WHERE deleted_at IS NULL"
            rows: list = []
            if pattern is not None and indexable:
                seqs: set[int] = set()
                for word in words:
                    seqs.update(seq for (seq,) in conn.exec_driver_sql(
                        f"SELECT entries_fts.rowid & {search_index.SEQ_MASK} FROM entries_fts "
                        "WHERE entries_fts MATCH ?", (f"body : ({fts_query(word)})",)))
                ordered = sorted(seqs)
                for i in range(0, len(ordered), 500):
                    chunk = ordered[i: i + 500]
                    rows += conn.exec_driver_sql(f"{candidates} AND seq IN ({','.join('?' * len(chunk))})",
                                                 tuple(chunk)).fetchall()
            elif pattern is not None:
                rows = conn.exec_driver_sql(candidates).fetchall()
            mentioning = [rid for _start, rid in sorted(
                (start or "", rid) for rid, start, notes, follow_up in rows
                if rid not in own and mentions(pattern, (notes, follow_up)))]
        with self.engine.connect() as conn:
            in_team = bool(_meta(conn, "sync.team_id"))
        return ErasurePreview(client.code, linked, with_others, mentioning,
                              backups=len(migration_backups(self.journal.path)), in_team=in_team)

    def erase_client(self, client_id: str) -> int:
        """Data-protection erasure of a person: the client and every entry linked to them are
        replaced by content-free tombstones here, their conflict records and unsent changes are
        dropped, and the erasure syncs to every replica, where it wins over any later edit.
        Returns the number of their entries erased (entries deleted before go too, uncounted:
        they were tombstones already)."""
        with writing(self.engine) as conn:
            if conn.exec_driver_sql("SELECT 1 FROM clients WHERE id = ?", (client_id,)).first() is None:
                raise SyncError(_("There is no such client."))
            erased = replica.erase_client(conn, client_id)
        self._forget_old_pages()
        return erased

    def _forget_old_pages(self) -> None:
        """After an erasure: the write-ahead log still holds the pages as they were before it (the
        person's name and notes, decryptable with the journal's key) until a checkpoint; a process
        killed now would leave them in the -wal file. Copied into the journal (where secure_delete
        cleared them) and the log emptied, as far as no reader holds it (then at the next one)."""
        checkpoint(self.engine)

    # -- conflicts (lead) ------------------------------------------------------------------

    def list_conflicts(self) -> list[ConflictInfo]:
        with self.engine.connect() as conn:
            names = {d: n for d, n in conn.exec_driver_sql("SELECT device_id, name FROM sync_peers "
                                                           "WHERE device_id IS NOT NULL")}
            names[self.journal.device_id] = LEAD
            out = []
            rows = conn.exec_driver_sql(
                "SELECT k.id, k.tbl, k.rid, k.field, k.kind, k.loser_value, k.loser_dev, k.loser_hlc, k.detected_at, "
                "c.clocks FROM sync_conflicts k LEFT JOIN sync_clock c ON c.tbl = k.tbl AND c.rid = k.rid "
                "ORDER BY k.id").fetchall()
            for cid, tbl, rid, name, kind, value, dev, hlc, detected, clocks in rows:
                clocks = json.loads(clocks or "{}")
                row = replica._select_rows(conn, tbl, [rid], [name, replica.DELETED]
                                           if replica.DELETED in replica.SPECS[tbl].fields else [name]).get(rid, {})
                deleted = row.get(replica.DELETED) is not None
                # An edit that lost against a deletion: while the record stays deleted, the winning
                # side is the deletion, not the field's own last writer (often the edit that lost).
                winner = replica.DELETED if kind == "deleted" and deleted and replica.DELETED in clocks else name
                current = clocks.get(winner) or clocks.get(replica.STAR) or [0, "", 0, 0]
                out.append(ConflictInfo(
                    id=cid, table=tbl, record_id=rid, field=name, kind=kind, loser_value=value,
                    loser_device=names.get(dev, dev[:12]), loser_time=to_iso(hlc), current_value=row.get(name),
                    current_device=names.get(current[1], current[1][:12]), current_time=to_iso(current[0]),
                    record_deleted=deleted, detected_at=detected,
                ))
            return out

    def resolve_conflict(self, conflict_id: int, choice: str = "keep", value: Any = None, *,
                         seen: ConflictInfo | None = None) -> None:
        """keep: the current value stays; take: the losing value becomes current (for an edit
        that lost against a deletion: the record is restored with the values that lost);
        edit: `value` becomes current. A new value is an ordinary change and syncs."""
        if choice not in ("keep", "take", "edit"):
            raise SyncError(_("Choose keep, take or edit."))
        if choice == "edit" and value is None:  # not "cleared": nothing was given, and both values would go
            raise SyncError(_("Give the new value to write (on the command line: --value)."))
        with writing(self.engine) as conn:
            found = conn.exec_driver_sql(
                "SELECT tbl, rid, field, kind, loser_value FROM sync_conflicts WHERE id = ?", (conflict_id,)).fetchone()
            if seen is not None and (found is None or tuple(found) != (
                    seen.table, seen.record_id, seen.field, seen.kind, seen.loser_value)):
                # Resolved meanwhile elsewhere (another window, the command line), and its number
                # perhaps given to a new conflict of another record: never act on that one unseen.
                raise SyncError(_("This conflict was resolved meanwhile, in another window or on the command "
                                  "line. The list shows the open conflicts again."))
            if found is None:
                raise SyncError(_("There is no open conflict with the number {id}.").format(id=conflict_id))
            tbl, rid, name, kind, loser = found
            if choice == "edit" and tbl == "entries":
                value = self._checked_entry_value(conn, rid, name, value)
            elif choice == "edit" and tbl == "clients":
                value = self._checked_client_value(conn, rid, name, value)
            taken_with: dict[int, tuple[str, Any]] = {}
            if choice == "take" and tbl == "entries" and kind != "deleted":
                taken_with = self._check_taken_entry_value(conn, conflict_id, rid, name, loser)
            if choice != "keep":
                changes = {name: loser if choice == "take" else value}
                changes.update(taken_with.values())
                if kind == "deleted" and choice == "take":
                    for other, other_value in conn.exec_driver_sql(
                            "SELECT field, loser_value FROM sync_conflicts WHERE tbl = ? AND rid = ? AND "
                            "kind = 'deleted' ORDER BY loser_hlc", (tbl, rid)):
                        changes[other] = other_value
                    if tbl == "entries" and not changes.get("start"):
                        # The deletion cleared the date: such an entry could not be saved in the form,
                        # and would make every export of the journal refused by the import.
                        raise SyncError(_("The entry would come back without its date, which the deletion "
                                          "cleared. Keep the deletion, or write the entry again from the "
                                          "values shown."))
                    if tbl == "entries" and "clients" not in changes:
                        # The deletion cleared whom the entry was about: it comes back about them again
                        # (not about anyone erased since), so it stays theirs, for an erasure too.
                        changes["clients"] = json.dumps([cid for (cid,) in conn.exec_driver_sql(
                            "SELECT f.client_id FROM entry_former_clients f JOIN clients c ON c.id = f.client_id "
                            "LEFT JOIN sync_clock k ON k.tbl = 'clients' AND k.rid = f.client_id "
                            "WHERE f.entry_id = ? AND f.at_deletion = 1 AND coalesce(k.erased, 0) = 0 ORDER BY f.client_id",
                            (rid,))])
                    changes[replica.DELETED] = None
                    conn.exec_driver_sql("DELETE FROM sync_conflicts WHERE tbl = ? AND rid = ? AND kind = 'deleted'",
                                         (tbl, rid))
                self._write_fields(conn, tbl, rid, changes)
            for resolved in (conflict_id, *taken_with):
                conn.exec_driver_sql("DELETE FROM sync_conflicts WHERE id = ?", (resolved,))

    def _checked_entry_value(self, conn, rid: str, name: str, value: Any) -> Any:
        """A value typed to resolve a conflict of an entry, checked as an import or the entry form
        checks it (catalog codes, counts, dates), in the form the column stores it; a bad value
        would otherwise sync to every workstation."""
        import datetime as dt

        from app.domain.records import RecordError, entry_to_record, record_to_entry
        from app.domain.validation import validate_entry

        row = conn.exec_driver_sql("SELECT * FROM entries WHERE id = ?", (rid,)).mappings().first()
        if row is None:
            raise SyncError(_("The record of this conflict no longer exists."))
        if row["deleted_at"] is not None or name not in replica.SPECS["entries"].fields or name in ("day", replica.DELETED):
            return value  # a deleted entry is refused by _write_fields; bookkeeping is never typed
        stored = repo.row_to_entry(dict(row))
        codes = repo.client_codes(conn)
        record = entry_to_record(stored, codes)
        record.pop("date", None)  # the start says it
        record[name] = value
        try:
            entry, client_codes = record_to_entry(record)
        except RecordError as exc:
            raise SyncError(exc.problems[0].message) from None
        by_code = {code.upper(): cid for cid, code in codes.items()}
        unknown = [c for c in client_codes if c.upper() not in by_code]
        if unknown:
            raise SyncError(_("There is no client with this code. Check the code in the client register."))
        entry.client_ids = [by_code[c.upper()] for c in client_codes]
        problems = validate_entry(entry, self.journal.catalogs, now=dt.datetime.now(), previous=stored)
        if problems:
            raise SyncError(problems[0].message)
        return repo.entry_to_row(entry)[name]

    def _check_taken_entry_value(self, conn, conflict_id: int, rid: str, name: str,
                                 value: Any) -> dict[int, tuple[str, Any]]:
        """The value that lost, taken back, must make a valid entry with the values that stay (an
        end taken from one side and a start kept from the other can put the end first). Where it
        does so only with the other values that lost in the same edit (its start and end, say),
        those are taken with it: returned as {conflict id: (field, value)}."""
        import datetime as dt

        from app.domain.validation import validate_entry

        row = conn.exec_driver_sql("SELECT * FROM entries WHERE id = ?", (rid,)).mappings().first()
        if row is None or row["deleted_at"] is not None or name not in replica.SPECS["entries"].fields:
            return {}
        stored = repo.row_to_entry(dict(row))

        def problems(values: dict[str, Any]) -> list:
            try:
                entry = repo.row_to_entry(dict(row, **values))
            except (TypeError, ValueError):
                raise SyncError(_("The value that lost cannot be taken back: it no longer fits this entry. Keep "
                                  "the current value, or write a new one.")) from None
            return validate_entry(entry, self.journal.catalogs, now=dt.datetime.now(), previous=stored)

        alone = problems({name: value})
        if not alone:
            return {}
        edit = conn.exec_driver_sql(
            "SELECT o.id, o.field, o.loser_value FROM sync_conflicts k JOIN sync_conflicts o ON o.tbl = k.tbl "
            "AND o.rid = k.rid AND o.loser_hlc = k.loser_hlc AND o.loser_dev = k.loser_dev AND o.kind = k.kind "
            "AND o.id != k.id WHERE k.id = ?", (conflict_id,)).fetchall()
        together = {other_id: (field, other) for other_id, field, other in edit
                    if field in replica.SPECS["entries"].fields}
        if together and not problems({name: value, **dict(together.values())}):
            return together
        raise SyncError(alone[0].message)

    def _checked_client_value(self, conn, rid: str, name: str, value: Any) -> Any:
        """A value typed to resolve a conflict of a client's field, checked as the client dialog
        checks it, in the form the column stores it (a bad one would sync to every workstation)."""
        import dataclasses
        import datetime as dt

        from app.domain.records import CLIENT_CODE_PATTERN
        from app.domain.validation import validate_client
        from app.reports.periods import parse_day

        row = conn.exec_driver_sql("SELECT * FROM clients WHERE id = ?", (rid,)).mappings().first()
        if row is None or row["deleted_at"] is not None or name not in replica.SPECS["clients"].fields:
            return value  # a deleted client is refused by _write_fields; bookkeeping is never typed
        text = "" if value is None else str(value).strip()
        today = dt.date.today()
        if name == "code":
            parsed: Any = text.upper()
            if not parsed:
                raise SyncError(_("Every client needs a code."))
            if not CLIENT_CODE_PATTERN.match(parsed):
                raise SyncError(_("A client code may contain only letters, digits and hyphens."))
        elif name == "birth_year":
            if text and not text.isdigit():
                raise SyncError(_("The birth year must be between 1900 and {year}.").format(year=today.year))
            parsed = int(text) if text else None
        elif name in ("languages", "consent_scopes"):
            parsed = [part.strip() for part in text.replace(",", ";").split(";") if part.strip()]
        elif name == "consent_date":
            try:
                parsed = parse_day(text) if text else None
            except ValueError:
                raise SyncError(_("Not a date: {text}. Use DD.MM.YYYY or YYYY-MM-DD.").format(text=text)) from None
        else:
            parsed = text
        client = dataclasses.replace(repo.row_to_client(row), **{name: parsed})
        problems = validate_client(client, self.journal.catalogs, today=today)
        if problems:
            raise SyncError(problems[0].message)
        return repo.client_to_row(client)[name]

    def _write_fields(self, conn, tbl: str, rid: str, changes: dict[str, Any]) -> None:
        """Change some columns of one record through the repository (so it is tracked)."""
        spec = replica.SPECS[tbl]
        stamp = utc_now()
        changes = dict(changes, updated_at=stamp, author=self.journal.user_name, device_id=self.journal.device_id) \
            if tbl != "catalog_values" else dict(changes, updated_at=stamp)
        if tbl == "entries":
            row = conn.exec_driver_sql(
                "SELECT * FROM entries WHERE id = ?", (rid,)).mappings().first()
            if row is None:
                raise SyncError(_("The record of this conflict no longer exists."))
            row = dict(row)
            row.update({k: v for k, v in changes.items() if k in spec.fields})
            if row.get("start") and "start" in changes:
                row["day"] = str(row["start"])[:10]
            if row.get("deleted_at") is not None and replica.DELETED not in changes:
                raise SyncError(_("This entry is deleted; restore it to change it."))
            repo.write_entry(conn, repo.row_to_entry(row))
        elif tbl == "clients":
            row = conn.exec_driver_sql("SELECT * FROM clients WHERE id = ?", (rid,)).mappings().first()
            if row is None:
                raise SyncError(_("The record of this conflict no longer exists."))
            row = dict(row)
            row.update({k: v for k, v in changes.items() if k in spec.fields})
            code = str(row.get("code") or "").strip().upper()
            holder = conn.exec_driver_sql("SELECT id FROM clients WHERE code = ? AND id != ?", (code, rid)).first()
            if holder is not None:  # taking back a code the merge had to rename: it is another person's
                raise SyncError(_("The code {code} belongs to another client. Keep the new code, or write a code "
                                  "nobody has.").format(code=code))
            row["code"] = code
            repo.write_client(conn, repo.row_to_client(row))
        else:
            catalog, code = rid.split("/", 1)
            value = next((v for v in repo.load_catalogs(conn).values(catalog, include_retired=True)
                          if v.code == code), None)
            if value is None:
                raise SyncError(_("The record of this conflict no longer exists."))
            from dataclasses import replace

            updated = replace(
                value,
                label=changes.get("label", value.label),
                labels=json.loads(changes["labels"]) if "labels" in changes else value.labels,
                active=bool(changes.get("active", value.active)), sort=int(changes.get("sort", value.sort)),
            )
            repo.put_catalog_value(conn, updated, stamp)
