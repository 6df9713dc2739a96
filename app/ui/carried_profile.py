"""First start with the workstation profile an installer carried (docs/packaging.md).

When IT built the installer with a profile (`packaging/build-deb --profile FILE`, or the
Windows installer's /DProfile), the first-run screen asks only for a passphrase: name,
language and role come from the profile, and the journal is created with the profile's team
trust, sync folder and reference lists (`app.services.provision.create_store_from_profile`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from app.i18n import LANGUAGES, _
from app.paths import installed_profile


@dataclass
class CarriedProfile:
    data: bytes = field(repr=False)  # holds the one-time enrollment secret: never in a repr or log
    workstation: str
    user: str
    language: str


@dataclass
class Found:
    profile: CarriedProfile | None = None
    problem: str = ""  # set when a profile is installed but cannot be used; shown on the setup page


def find() -> Found:
    path = installed_profile()
    if path is None:
        return Found()
    try:
        data = Path(path).read_bytes()
    except PermissionError:
        return Found(problem=_("This computer was prepared with a workstation profile, but your account may not "
                               "read it. Ask IT to add your account to the group \u201cmediatorlog\u201d, then start "
                               "Mediator Log again."))
    except OSError:
        return Found(problem=_("The workstation profile installed on this computer cannot be read. Ask IT to "
                               "install Mediator Log again."))
    from app.services.provision import read_profile
    from app.services.stores import StoreError

    try:
        profile = read_profile(data)
    except StoreError as exc:
        return Found(problem=str(exc))
    language = profile.language if profile.language in LANGUAGES else ""
    return Found(CarriedProfile(data, profile.workstation, profile.user.strip(), language))


def apply(window, found: Found) -> None:
    """Show only what the user still has to give: the passphrase (and a name if IT left it out)."""
    setup = window.setup
    profile = found.profile
    if profile is None:
        if found.problem:
            setup.error.setText(found.problem)
        return
    for widget in (setup.role, setup.role_label):
        widget.hide()
    if profile.language:
        for widget in (setup.language, setup.language_label):
            widget.hide()
    if profile.user:
        setup.name.setText(profile.user)
        for widget in (setup.name, setup.name_label):
            widget.hide()
    setup.intro.setText(_("This computer was prepared for the workstation {workstation} of your team: your "
                          "journal will sync with your team lead. Choose a passphrase you can remember: "
                          "without it, only IT can restore access.").format(workstation=profile.workstation))
    (setup.name if not profile.user else setup.passphrase).setFocus()


def create(store_path: Path, passphrase: str, profile: CarriedProfile, name: str):
    """Runs on the worker thread: the journal, trusting the team key in the profile."""
    from app.services.provision import create_store_from_profile

    return create_store_from_profile(store_path, passphrase, profile.data, name=name or None)
