"""Setting up a workstation from a team lead's profile (`mediatorlog init --profile FILE`).

The new journal gets its own signing and encryption key pairs, trusts the team key named in
the profile, takes the team's reference catalogs as they are on the lead (with their versions,
so later edits by the lead win cleanly), and keeps the one-time enrollment secret only until
its first bundle has been accepted by the lead.
"""

from __future__ import annotations

from pathlib import Path

from app.i18n import _
from app.services.journal import Journal
from app.services.stores import StoreError, create_store
from app.store import repository as repo
from app.store.engine import writing
from app.sync import crypto, replica
from app.sync.profile import Profile, ProfileError


def read_profile(data: bytes) -> Profile:
    try:
        return Profile.from_bytes(data)
    except ProfileError as exc:
        messages = {
            "newer_version": _("The profile was made by a newer version of Mediator Log. Update Mediator Log "
                               "first."),
            "altered": _("The profile is damaged or was changed after the team lead made it. Ask the team lead "
                         "for a new one."),
        }
        raise StoreError(messages.get(exc.reason, _("This file is not a Mediator Log workstation profile."))) from None


def create_store_from_profile(path: Path, passphrase: str, profile_data: bytes, *, name: str | None = None,
                              kdf: dict | None = None) -> Journal:
    profile = read_profile(profile_data)
    recovery = profile.recovery_public_pem.encode("ascii") if profile.recovery_public_pem else None
    journal = create_store(path, passphrase, name=name if name is not None else profile.user, role="mediator",
                           recovery_public_pem=recovery, kdf=kdf)
    keys = crypto.KeyPairs.generate()
    try:
        with writing(journal.engine) as conn:
            # The team's catalogs replace the seeded ones, versions included.
            conn.exec_driver_sql("DELETE FROM catalog_values")
            conn.exec_driver_sql("DELETE FROM sync_clock WHERE tbl = 'catalog_values'")
            for payload in profile.catalogs:
                devices = payload.get("devices") or []
                groups = [
                    (tbl, rid, origin, [replica.Change(f, v, int(h), devices[d], int(b)) for f, v, h, d, b in changes])
                    for tbl, rid, origin, changes in payload.get("rows") or [] if tbl == "catalog_values"
                ]
                replica.apply(conn, groups, record_conflicts=False)
            for key, value in {
                "sync.team_id": profile.team_id,
                "sync.lead_id": profile.lead_id,
                "sync.team_sign_public": crypto.b64(profile.team_sign_public),
                "sync.team_enc_public": crypto.b64(profile.team_enc_public),
                "sync.sign_private": crypto.b64(keys.sign_private),
                "sync.enc_private": crypto.b64(keys.enc_private),
                "sync.workstation": profile.workstation,
                "sync.enroll_secret": crypto.b64(profile.enrollment_secret),
                "sync.sync_dir": profile.sync_dir,
                "sync.language": profile.language,
                "sync.enrolled": "0",
            }.items():
                repo.set_meta(conn, key, value)
    except Exception:
        journal.close()
        raise
    journal._catalogs = None
    return journal
