"""The workstation profile a team lead's `provision` writes and `init --profile` reads.

A JSON document (UTF-8), signed by the team's Ed25519 key over its canonical form without the
`signature` member (docs/sync-format.md). It carries public keys and a ONE-TIME enrollment
secret: after the workstation's first bundle has been accepted, the lead refuses the secret,
so a copy of the profile found later is useless.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from app.sync import crypto
from app.sync.bundle import canonical_json

FORMAT = "mediatorlog-profile"
VERSION = 1


class ProfileError(Exception):
    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason  # "unreadable", "unknown_format", "newer_version", "altered"


@dataclass
class Profile:
    team_id: str
    lead_id: str  # the lead store's device id: where this workstation's bundles are addressed
    team_sign_public: bytes
    team_enc_public: bytes
    workstation: str
    enrollment_secret: bytes
    user: str = ""
    language: str = ""
    sync_dir: str = ""
    recovery_public_pem: str = ""
    catalogs: list[dict[str, Any]] = field(default_factory=list)
    created_at: str = ""

    def body(self) -> dict[str, Any]:
        return {
            "format": FORMAT, "version": VERSION, "team_id": self.team_id, "lead_id": self.lead_id,
            "team_sign_public": crypto.b64(self.team_sign_public), "team_enc_public": crypto.b64(self.team_enc_public),
            "workstation": self.workstation, "user": self.user, "language": self.language, "sync_dir": self.sync_dir,
            "recovery_public_pem": self.recovery_public_pem, "enrollment_secret": crypto.b64(self.enrollment_secret),
            "catalogs": self.catalogs, "created_at": self.created_at,
        }

    def to_bytes(self, team: crypto.KeyPairs) -> bytes:
        body = self.body()
        body["signature"] = crypto.b64(team.sign(canonical_json(body)))
        return (json.dumps(body, ensure_ascii=False, indent=1, sort_keys=True) + "\n").encode("utf-8")

    @classmethod
    def from_bytes(cls, data: bytes) -> Profile:
        try:
            body = json.loads(data.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            raise ProfileError("unreadable") from None
        if not isinstance(body, dict) or body.get("format") != FORMAT:
            raise ProfileError("unknown_format")
        if not isinstance(body.get("version"), int) or body["version"] > VERSION:
            raise ProfileError("newer_version")
        try:
            signature = crypto.unb64(body.pop("signature"))
            profile = cls(
                team_id=str(body["team_id"]), lead_id=str(body["lead_id"]),
                team_sign_public=crypto.unb64(body["team_sign_public"]),
                team_enc_public=crypto.unb64(body["team_enc_public"]),
                workstation=str(body["workstation"]), enrollment_secret=crypto.unb64(body["enrollment_secret"]),
                user=str(body.get("user", "")), language=str(body.get("language", "")),
                sync_dir=str(body.get("sync_dir", "")), recovery_public_pem=str(body.get("recovery_public_pem", "")),
                catalogs=list(body.get("catalogs", [])), created_at=str(body.get("created_at", "")),
            )
            # Self-signed by the team key it names: this catches damage and edits, and the lead
            # refuses any workstation whose proof does not match its own record anyway.
            crypto.verify(profile.team_sign_public, signature, canonical_json(body))
        except (KeyError, TypeError, ValueError, crypto.CryptoError):
            raise ProfileError("altered") from None
        return profile
