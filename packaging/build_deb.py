"""Stage and build the Mediator Log .deb (run through packaging/build-deb, which sets up .venv).

Layout of the package:
  /opt/mediatorlog/                       the PyInstaller one-folder bundle (packaging/mediatorlog.spec)
  /opt/mediatorlog/profile/workstation-profile.json   only with --profile (mode 0640 root:mediatorlog)
  /usr/bin/mediatorlog                    -> /opt/mediatorlog/mediatorlog
  /usr/share/applications/org.mediatorlog.MediatorLog.desktop
  /usr/share/icons/hicolor/*/apps/org.mediatorlog.MediatorLog.{png,svg}
  /usr/share/metainfo/org.mediatorlog.MediatorLog.metainfo.xml
  /usr/share/man/man1/mediatorlog.1.gz
  /usr/share/doc/mediatorlog/{copyright,changelog.Debian.gz}
  /usr/share/lintian/overrides/mediatorlog

User data never goes here: it lives in each user's data folder (platformdirs, e.g.
~/.local/share/MediatorLog), which dpkg does not know about, so remove and purge leave it alone.
"""

from __future__ import annotations

import argparse
import datetime as dt
import email.utils
import fcntl
import gzip
import hashlib
import io
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app import __version__  # noqa: E402

APP_ID = "org.mediatorlog.MediatorLog"
PACKAGE = "mediatorlog"
PREFIX = Path("opt") / PACKAGE
PROFILE_NAME = "workstation-profile.json"  # app.paths.installed_profile() looks for this name
PROFILE_GROUP = "mediatorlog"
BUILD = ROOT / "build"
BUNDLE = BUILD / "dist" / PACKAGE
ICON_SIZES = (16, 24, 32, 48, 64, 128, 256, 512)
DEFAULT_MAINTAINER = "Mediator Log IT <mediatorlog@users.noreply.github.com>"

# System libraries PyInstaller deliberately leaves out of the bundle (libc, the GL driver
# stack, the display server's client libraries), and the Debian 12 packages providing them.
# The build fails on any other missing library, so this list cannot silently go stale.
SYSTEM_LIBRARIES = {
    "ld-linux-x86-64.so.2": "libc6", "ld-linux-aarch64.so.1": "libc6", "libc.so.6": "libc6",
    "libdl.so.2": "libc6", "libm.so.6": "libc6", "libpthread.so.0": "libc6", "libresolv.so.2": "libc6",
    "librt.so.1": "libc6", "libutil.so.1": "libc6",
    # util-linux's libraries: the bundled copies would call sensible-pager; every Debian has them.
    "libblkid.so.1": "libblkid1", "libmount.so.1": "libmount1",
    "libEGL.so.1": "libegl1", "libGL.so.1": "libgl1", "libOpenGL.so.0": "libopengl0",
    "libGLX.so.0": "libglx0",
    "libxcb.so.1": "libxcb1", "libxcb-icccm.so.4": "libxcb-icccm4", "libxcb-keysyms.so.1": "libxcb-keysyms1",
    "libwayland-client.so.0": "libwayland-client0", "libwayland-cursor.so.0": "libwayland-cursor0",
    "libwayland-egl.so.1": "libwayland-egl1",
    # X11 and xcb client libraries (kept out of the bundle by packaging/mediatorlog.spec).
    "libX11.so.6": "libx11-6", "libX11-xcb.so.1": "libx11-xcb1", "libXau.so.6": "libxau6",
    "libXdmcp.so.6": "libxdmcp6", "libXext.so.6": "libxext6", "libXrender.so.1": "libxrender1",
    "libxkbcommon.so.0": "libxkbcommon0", "libxkbcommon-x11.so.0": "libxkbcommon-x11-0",
    "libxcb-glx.so.0": "libxcb-glx0", "libxcb-image.so.0": "libxcb-image0", "libxcb-randr.so.0": "libxcb-randr0",
    "libxcb-render-util.so.0": "libxcb-render-util0", "libxcb-render.so.0": "libxcb-render0",
    "libxcb-shape.so.0": "libxcb-shape0", "libxcb-shm.so.0": "libxcb-shm0", "libxcb-sync.so.1": "libxcb-sync1",
    "libxcb-util.so.1": "libxcb-util1", "libxcb-xfixes.so.0": "libxcb-xfixes0", "libxcb-xkb.so.1": "libxcb-xkb1",
    "libxcb-cursor.so.0": "libxcb-cursor0", "libxcb-xinput.so.0": "libxcb-xinput0",
    "libxcb-xinerama.so.0": "libxcb-xinerama0", "libxcb-present.so.0": "libxcb-present0",
    "libxcb-dri3.so.0": "libxcb-dri3-0",
    # Normally bundled from the build machine; if the build machine lacks one, the package
    # depends on it instead (a minimal Debian may lack e.g. Kerberos, which QtNetwork links).
    "libgssapi_krb5.so.2": "libgssapi-krb5-2", "libkrb5.so.3": "libkrb5-3", "libk5crypto.so.3": "libk5crypto3",
    "libkrb5support.so.0": "libkrb5support0", "libcom_err.so.2": "libcom-err2", "libkeyutils.so.1": "libkeyutils1",
    "libbrotlidec.so.1": "libbrotli1", "libbrotlicommon.so.1": "libbrotli1", "libpng16.so.16": "libpng16-16",
    "libfreetype.so.6": "libfreetype6", "libfontconfig.so.1": "libfontconfig1", "libexpat.so.1": "libexpat1",
    "libdbus-1.so.3": "libdbus-1-3", "libglib-2.0.so.0": "libglib2.0-0", "libgthread-2.0.so.0": "libglib2.0-0",
    "libsystemd.so.0": "libsystemd0", "libcap.so.2": "libcap2", "libgcrypt.so.20": "libgcrypt20",
    "libgpg-error.so.0": "libgpg-error0", "liblz4.so.1": "liblz4-1", "libzstd.so.1": "libzstd1",
    "liblzma.so.5": "liblzma5", "libz.so.1": "zlib1g", "libbz2.so.1.0": "libbz2-1.0", "libffi.so.8": "libffi8",
    "libuuid.so.1": "libuuid1", "libpcre2-8.so.0": "libpcre2-8-0", "libsqlite3.so.0": "libsqlite3-0",
    "libssl.so.3": "libssl3", "libcrypto.so.3": "libssl3", "libstdc++.so.6": "libstdc++6", "libgcc_s.so.1": "libgcc-s1",
}
EXTRA_DEPENDS: list[str] = []

DESCRIPTION = """\
encrypted offline field log for language-and-culture mediators
 Mediator Log records consultations, accompaniments, outreach visits and the
 tandem/tridem sessions of education mediators in a few seconds, on a laptop
 that is offline most of the time. Everything is kept in an encrypted
 SQLCipher store that only the user's passphrase (or the organisation's
 recovery key) opens. The interface speaks German, Romanian, Bulgarian,
 Romani and English.
 .
 This package carries its own Python and Qt runtime (a PyInstaller bundle)
 in /opt/mediatorlog. User data lives in each user's data folder and is
 never removed by uninstalling or purging the package."""


def run(*cmd, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([str(c) for c in cmd], check=True, **kwargs)


# -- the PyInstaller bundle ------------------------------------------------------------------

def _inputs() -> list[Path]:
    files = [ROOT / "pyproject.toml", ROOT / "packaging" / "mediatorlog.spec", ROOT / "packaging" / "launcher.py"]
    files += [p for p in (ROOT / "app").rglob("*.py") if "__pycache__" not in p.parts]
    files += [p for p in (ROOT / "resources").rglob("*") if p.is_file() and p.suffix != ".po"]
    return files


def bundle_is_current() -> bool:
    stamp = BUNDLE / PACKAGE
    if not stamp.exists():
        return False
    built = stamp.stat().st_mtime
    return all(p.stat().st_mtime <= built for p in _inputs())


def build_bundle(force: bool) -> None:
    run(sys.executable, "-m", "app.ui.build_forms", cwd=ROOT, stdout=subprocess.DEVNULL)
    run(sys.executable, "-m", "app.i18n.build", cwd=ROOT, stdout=subprocess.DEVNULL)
    if not force and bundle_is_current():
        print(f"build-deb: bundle {BUNDLE} is up to date", file=sys.stderr)
        return
    print("build-deb: building the PyInstaller bundle (about a minute)", file=sys.stderr)
    run(Path(sys.executable).parent / "pyinstaller", "--noconfirm", "--clean", "--log-level", "WARN",
        "--distpath", BUILD / "dist", "--workpath", BUILD / "pyinstaller", ROOT / "packaging" / "mediatorlog.spec",
        cwd=ROOT)
    (BUNDLE / PACKAGE).touch()  # the stamp bundle_is_current() compares with


# -- the profile -----------------------------------------------------------------------------

def read_profile(path: Path) -> tuple[bytes, str]:
    """The profile's bytes and its workstation name, checked with the app's own reader."""
    from app.sync.profile import Profile, ProfileError

    try:
        data = path.read_bytes()
    except OSError as exc:
        raise SystemExit(f"build-deb: cannot read the profile {path}: {exc.strerror}") from None
    try:
        profile = Profile.from_bytes(data)
    except ProfileError as exc:
        raise SystemExit(f"build-deb: {path} is not a usable workstation profile ({exc.reason}); "
                         "write a new one with `mediatorlog provision`") from None
    return data, profile.workstation


def file_label(workstation: str) -> str:
    label = re.sub(r"[^a-z0-9.+-]+", "-", workstation.lower()).strip("-.")
    if not label:
        raise SystemExit("build-deb: the profile's workstation name has no letters or digits to name the file with")
    return label


# -- staging ---------------------------------------------------------------------------------

def _gzip(data: bytes) -> bytes:
    out = io.BytesIO()
    with gzip.GzipFile(fileobj=out, mode="wb", compresslevel=9, mtime=0, filename="") as handle:
        handle.write(data)
    return out.getvalue()


def _write(path: Path, data: bytes | str, mode: int = 0o644) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    path.chmod(mode)


def _is_elf(path: Path) -> bool:
    with path.open("rb") as handle:
        return handle.read(4) == b"\x7fELF"


def stage_bundle(root: Path) -> None:
    target = root / PREFIX
    shutil.copytree(BUNDLE, target, symlinks=True)
    for path in target.rglob("*"):
        if path.is_symlink():
            continue
        if path.is_dir():
            path.chmod(0o755)
        elif path == target / PACKAGE:
            path.chmod(0o755)
        else:
            path.chmod(0o644)  # shared objects are loaded, not run; data is data
    (root / "usr" / "bin").mkdir(parents=True)
    # Absolute: the link crosses top-level directories (Debian policy 10.5).
    (root / "usr" / "bin" / PACKAGE).symlink_to(f"/{PREFIX}/{PACKAGE}")


def system_depends(root: Path) -> list[str]:
    """Debian packages for the libraries the bundle links against but does not carry."""
    bundled, needed, glibc = set(), set(), (2, 17)
    elves = [p for p in (root / PREFIX).rglob("*") if p.is_file() and not p.is_symlink() and _is_elf(p)]
    for path in (root / PREFIX).rglob("*"):
        if ".so" in path.name:
            bundled.add(path.name)
    for path in elves:
        dynamic = subprocess.run(["objdump", "-p", str(path)], capture_output=True, text=True).stdout
        needed.update(re.findall(r"^\s*NEEDED\s+(\S+)", dynamic, re.M))
        symbols = subprocess.run(["objdump", "-T", str(path)], capture_output=True, text=True).stdout
        for version in re.findall(r"GLIBC_(\d+)\.(\d+)", symbols):
            glibc = max(glibc, tuple(int(v) for v in version))
    missing = sorted(needed - bundled)
    unknown = [name for name in missing if name not in SYSTEM_LIBRARIES]
    if unknown:
        raise SystemExit(f"build-deb: the bundle needs system libraries with no known package: {unknown}; "
                         "add them to SYSTEM_LIBRARIES in packaging/build_deb.py")
    packages = {SYSTEM_LIBRARIES[name] for name in missing} | set(EXTRA_DEPENDS)
    depends = [f"libc6 (>= {glibc[0]}.{glibc[1]})"] + sorted(packages - {"libc6"})
    return depends


def desktop_entry() -> str:
    return f"""[Desktop Entry]
Type=Application
Name=Mediator Log
GenericName=Field log for mediators
GenericName[de]=Dokumentation für Sprach- und Kulturmittlung
GenericName[ro]=Jurnal pentru mediatori
GenericName[bg]=Дневник за медиатори
Comment=Encrypted offline log of consultations, accompaniments and outreach visits
Comment[de]=Verschlüsselte Offline-Dokumentation von Beratungen, Begleitungen und aufsuchender Arbeit
Comment[ro]=Jurnal criptat, offline, pentru consultații, însoțiri și activități de teren
Comment[bg]=Шифрован офлайн дневник за консултации, придружавания и теренна работа
Exec={PACKAGE} gui
Icon={APP_ID}
Terminal=false
Categories=Office;
Keywords=mediation;integration;journal;case management;Sprachmittlung;Bildungsmediation;
StartupNotify=true
StartupWMClass={PACKAGE}
"""


def metainfo(version: str, date: str) -> str:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<!-- Copyright the Mediator Log authors -->
<component type="desktop-application">
  <id>{APP_ID}</id>
  <metadata_license>CC0-1.0</metadata_license>
  <project_license>EUPL-1.2</project_license>
  <name>Mediator Log</name>
  <summary>Encrypted offline field log for mediators and their team leads</summary>
  <description>
    <p>
      Mediator Log is for the language-and-culture mediators and education mediators of
      municipal integration centres. It records a consultation, an accompaniment, an outreach
      visit or a tandem session in under a minute, on a laptop that is often offline.
    </p>
    <p>
      Everything is kept in an encrypted store that only the user's passphrase or the
      organisation's recovery key opens. The interface speaks German, Romanian, Bulgarian,
      Romani and English.
    </p>
  </description>
  <launchable type="desktop-id">{APP_ID}.desktop</launchable>
  <provides>
    <binary>{PACKAGE}</binary>
  </provides>
  <categories>
    <category>Office</category>
  </categories>
  <developer id="org.mediatorlog">
    <name>The Mediator Log authors</name>
  </developer>
  <content_rating type="oars-1.1"/>
  <releases>
    <release version="{version}" date="{date}"/>
  </releases>
</component>
"""


def copyright_file() -> str:
    return """Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: Mediator Log
Comment: A self-contained build: /opt/mediatorlog carries Python, Qt and the Python
 libraries Mediator Log uses (PyInstaller bundle). Their licences follow.

Files: *
Copyright: 2025-2026 The Mediator Log authors
License: EUPL-1.2

Files: opt/mediatorlog/_internal/PySide6/* opt/mediatorlog/_internal/shiboken6/*
Copyright: 2015-2026 The Qt Company Ltd. and other contributors
License: LGPL-3

Files: opt/mediatorlog/_internal/libpython3* opt/mediatorlog/_internal/base_library.zip
 opt/mediatorlog/_internal/python3*
Copyright: 2001-2026 Python Software Foundation
License: PSF-2.0

Files: opt/mediatorlog/_internal/sqlcipher3/*
Copyright: 2008-2026 Zetetic LLC
 2004-2007 Gerhard Häring
 2019-2026 Charles Leifer
License: BSD-3-clause and Zlib

Files: opt/mediatorlog/_internal/cryptography/* opt/mediatorlog/_internal/libssl* opt/mediatorlog/_internal/libcrypto*
Copyright: 2013-2026 The Python Cryptographic Authority and individual contributors
 1998-2026 The OpenSSL Project Authors
License: Apache-2.0

Files: opt/mediatorlog/_internal/resources/fonts/*
Copyright: 2003 Bitstream, Inc.
 2006-2026 DejaVu fonts team
License: Bitstream-Vera
 Free to use, copy, merge, publish and distribute, with the changes allowed as set out in
 the licence text shipped beside the fonts (resources/fonts/LICENSE-DejaVu.txt).

License: EUPL-1.2
 European Union Public Licence v. 1.2. The full text is published by the
 European Commission at https://joinup.ec.europa.eu/collection/eupl/eupl-text-eupl-12
 in all official languages of the EU.

License: LGPL-3
 This library is free software; you can redistribute it and/or modify it under
 the terms of the GNU Lesser General Public License version 3 as published by
 the Free Software Foundation.
 .
 On Debian systems, the complete text of the GNU Lesser General Public License
 version 3 can be found in "/usr/share/common-licenses/LGPL-3".

License: PSF-2.0
 Python Software Foundation License version 2, see https://docs.python.org/3/license.html

License: BSD-3-clause
 Redistribution and use in source and binary forms, with or without
 modification, are permitted provided that the following conditions are met:
 1. Redistributions of source code must retain the above copyright notice, this
    list of conditions and the following disclaimer.
 2. Redistributions in binary form must reproduce the above copyright notice,
    this list of conditions and the following disclaimer in the documentation
    and/or other materials provided with the distribution.
 3. Neither the name of the copyright holder nor the names of its contributors
    may be used to endorse or promote products derived from this software
    without specific prior written permission.
 .
 THIS SOFTWARE IS PROVIDED BY THE COPYRIGHT HOLDERS AND CONTRIBUTORS "AS IS"
 AND ANY EXPRESS OR IMPLIED WARRANTIES ARE DISCLAIMED. IN NO EVENT SHALL THE
 COPYRIGHT HOLDER OR CONTRIBUTORS BE LIABLE FOR ANY DAMAGES ARISING IN ANY WAY
 OUT OF THE USE OF THIS SOFTWARE.

License: Zlib
 This software is provided 'as-is', without any express or implied warranty.
 Permission is granted to anyone to use this software for any purpose, including
 commercial applications, and to alter it and redistribute it freely.

License: Apache-2.0
 On Debian systems, the complete text of the Apache License version 2.0 can be
 found in "/usr/share/common-licenses/Apache-2.0".
"""


def man_page(version: str, date: str) -> str:
    return f""".TH MEDIATORLOG 1 "{date}" "mediatorlog {version}" "User Commands"
.SH NAME
mediatorlog \\- encrypted offline field log for mediators
.SH SYNOPSIS
.B mediatorlog
.RB [ \\-\\-lang " " \\fILANG\\fR]
.RI [ COMMAND ]
.RI [ OPTIONS ]
.SH DESCRIPTION
Without a command, or with
.BR gui ,
starts the desktop client. The other commands are for IT and team leads; run
.B mediatorlog COMMAND \\-\\-help
for the options of each.
{commands_section()}
.PP
.B mediatorlog gui \\-\\-smoke\\-test
shows the window, closes it after a moment and exits 0: a check that an installation works.
.SH ENVIRONMENT
.TP
.B MEDIATORLOG_PASSPHRASE
the passphrase for the command line, else it is asked for.
.TP
.B MEDIATORLOG_NEW_PASSPHRASE
the new passphrase for
.B passwd
and
.BR recover ,
else it is asked for.
.TP
.B MEDIATORLOG_DATA_DIR
use this folder instead of the user's data folder.
.TP
.B MEDIATORLOG_PROFILE
use this workstation profile instead of the one installed with the package.
.SH FILES
.TP
.I ~/.local/share/MediatorLog/journal.db
the user's encrypted journal (with
.IR journal.db.keys );
kept when the package is removed or purged.
.TP
.I /opt/mediatorlog/profile/{PROFILE_NAME}
the workstation profile, if the package was built with one.
.SH EXIT STATUS
0 success; 1 bad input or usage (one line on standard error); 2 wrong passphrase; 3 a sync bundle was
refused (the others of the same call were imported).
"""


def commands_section() -> str:
    """Every command with its one-line help, from the command line's own parser (in English), so
    the manual page cannot fall behind it again."""
    from app.cli import build_parser
    from app.i18n import set_language

    set_language("en")
    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))  # noqa: SLF001
    helps = {choice.dest: choice.help for choice in sub._choices_actions}  # noqa: SLF001
    lines = [".SH COMMANDS"]
    for name in sub.choices:
        lines += [".TP", f".B {name}", (helps.get(name) or "").replace("-", "\\-")]
    return "\n".join(lines)


def changelog(version: str, maintainer: str, when: dt.datetime, commit: str) -> str:
    return (f"{PACKAGE} ({version}) unstable; urgency=medium\n\n"
            f"  * Mediator Log {__version__}, built from commit {commit}.\n\n"
            f" -- {maintainer}  {email.utils.format_datetime(when)}\n")


LINTIAN_OVERRIDES = """\
# The package is a self-contained application for city IT to deploy on its own machines,
# not a package for the Debian archive. FHS 3.13 reserves /opt for such add-on application
# software packages; keeping the bundle (its own Python and Qt) there keeps it apart from the
# system's libraries.
dir-or-file-in-opt *
# The PyInstaller bundle carries its own copies of libraries (Qt, ICU, OpenSSL, zlib, ...):
# that is what makes it run the same on every workstation, whatever the distribution ships.
embedded-library *
# Bundled Qt/PySide6 and Python wheel libraries are built upstream (manylinux) without
# Debian's hardening flags; we ship them unmodified rather than rebuilding Qt.
hardening-no-fortify-functions *
hardening-no-bindnow *
# The launcher is PyInstaller's prebuilt bootloader (with the application archive appended),
# built upstream without -pie; rebuilding the bootloader is not part of this package.
hardening-no-pie [opt/mediatorlog/mediatorlog]
# Private shared objects inside the bundle are loaded by path, not through ld.so's search
# path, so there is no shlibs/symbols file and no ldconfig trigger for them.
shared-library-lacks-prerequisites *
# Python's and the wheels' extension modules are linked as upstream built them.
library-not-linked-against-libc *
# Upstream wheel libraries carry a RUNPATH of $ORIGIN so they find each other inside the bundle.
custom-library-search-path *
# Python's own license files and wheel metadata travel with the libraries they describe.
extra-license-file *
# Not an upload to Debian: there is no ITP bug to close.
initial-upload-closes-no-bugs *
# The PDF report writer embeds exactly these DejaVu files (app/reports/writers.py) on every
# platform, Windows included, so reports look the same everywhere; 1.5 MB.
duplicate-font-file *
"""


def postinst() -> str:
    profile = f"/{PREFIX}/profile/{PROFILE_NAME}"
    return f"""#!/bin/sh
set -e
if [ "$1" = configure ] && [ -e {profile} ]; then
    # The profile carries a one-time enrollment secret: readable only by root and the
    # members of {PROFILE_GROUP} (IT adds the workstation's user: adduser LOGIN {PROFILE_GROUP}).
    if ! getent group {PROFILE_GROUP} >/dev/null; then
        addgroup --system --quiet {PROFILE_GROUP}
    fi
    chown root:{PROFILE_GROUP} {profile}
    chmod 0640 {profile}
fi
exit 0
"""


def stage(root: Path, *, version: str, arch: str, maintainer: str, profile: bytes | None) -> None:
    now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                            text=True).stdout.strip() or "unknown"
    stage_bundle(root)
    if profile is not None:
        _write(root / PREFIX / "profile" / PROFILE_NAME, profile, mode=0o600)
        (root / PREFIX / "profile").chmod(0o755)
    share = root / "usr" / "share"
    _write(share / "applications" / f"{APP_ID}.desktop", desktop_entry())
    icons = ROOT / "resources" / "icons"
    for size in ICON_SIZES:
        _write(share / "icons" / "hicolor" / f"{size}x{size}" / "apps" / f"{APP_ID}.png",
               (icons / f"mediatorlog-{size}.png").read_bytes())
    _write(share / "icons" / "hicolor" / "scalable" / "apps" / f"{APP_ID}.svg", (icons / "mediatorlog.svg").read_bytes())
    _write(share / "metainfo" / f"{APP_ID}.metainfo.xml", metainfo(__version__, now.date().isoformat()))
    _write(share / "man" / "man1" / f"{PACKAGE}.1.gz",
           _gzip(man_page(__version__, now.date().isoformat()).encode("utf-8")))
    doc = share / "doc" / PACKAGE
    _write(doc / "copyright", copyright_file())
    _write(doc / "changelog.Debian.gz", _gzip(changelog(version, maintainer, now, commit).encode("utf-8")))
    overrides = LINTIAN_OVERRIDES
    if profile is not None:
        overrides += (f"# The profile holds a one-time enrollment secret: never world-readable, not even between\n"
                      f"# unpacking and postinst (which gives it to root:{PROFILE_GROUP} 0640).\n"
                      f"non-standard-file-perm 0600 != 0644 [{PREFIX}/profile/{PROFILE_NAME}]\n")
    _write(share / "lintian" / "overrides" / PACKAGE, overrides)
    for path in root.rglob("*"):
        if path.is_dir() and not path.is_symlink():
            path.chmod(0o755)
        elif path.is_file() and not path.is_symlink() and path.stat().st_mode & 0o777 not in (0o755, 0o600):
            path.chmod(0o644)

    depends = system_depends(root)
    if profile is not None:
        depends.append("adduser")
    installed_kib = sum(p.lstat().st_size for p in root.rglob("*") if not p.is_dir()) // 1024
    control = root / "DEBIAN"
    control.mkdir(mode=0o755)
    _write(control / "control", f"""Package: {PACKAGE}
Version: {version}
Architecture: {arch}
Maintainer: {maintainer}
Installed-Size: {installed_kib}
Depends: {", ".join(depends)}
Recommends: fonts-dejavu-core | fonts-noto-core
Section: misc
Priority: optional
Description: {DESCRIPTION}
""")
    if profile is not None:
        _write(control / "postinst", postinst(), mode=0o755)
    sums = []
    for path in sorted(root.rglob("*")):
        if path.is_file() and not path.is_symlink() and control not in path.parents:
            sums.append(f"{hashlib.md5(path.read_bytes()).hexdigest()}  {path.relative_to(root)}\n")
    _write(control / "md5sums", "".join(sums))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="packaging/build-deb", description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True, metavar="DIR", help="folder for the .deb")
    parser.add_argument("--profile", metavar="FILE", help="workstation profile from `mediatorlog provision`")
    parser.add_argument("--revision", type=int, default=1, help="Debian revision (raise it to rebuild the same version)")
    parser.add_argument("--fast", action="store_true", help="gzip instead of xz: a bigger file, built faster (tests)")
    parser.add_argument("--rebuild", action="store_true", help="run PyInstaller even if the bundle is current")
    parser.add_argument("--maintainer", default=os.environ.get("MEDIATORLOG_DEB_MAINTAINER", DEFAULT_MAINTAINER))
    args = parser.parse_args(argv)

    profile, label = None, ""
    if args.profile:
        profile, workstation = read_profile(Path(args.profile))
        label = file_label(workstation)
    BUILD.mkdir(exist_ok=True)
    with open(BUILD / ".build-deb.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # one build at a time may use build/dist
        return _build(args, profile, label)


def upstream_version() -> str:
    """The application's version and the commit it is built from ("0.1.0+git253.1ebffd9"): a build
    of a later commit sorts above an earlier one, so dpkg tells IT an upgrade from a downgrade, and
    `dpkg -l mediatorlog` says which build a workstation runs. Outside a git checkout, the version."""
    def git(*argv: str) -> str:
        done = subprocess.run(["git", *argv], cwd=ROOT, capture_output=True, text=True)
        return done.stdout.strip() if done.returncode == 0 else ""

    count, commit = git("rev-list", "--count", "HEAD"), git("rev-parse", "--short", "HEAD")
    return f"{__version__}+git{count}.{commit}" if count and commit else __version__


def _build(args, profile: bytes | None, label: str) -> int:
    build_bundle(args.rebuild)
    arch = subprocess.run(["dpkg", "--print-architecture"], capture_output=True, text=True, check=True).stdout.strip()
    version = f"{upstream_version()}-{args.revision}"
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    name = f"{PACKAGE}-{label}_{version}_{arch}.deb" if label else f"{PACKAGE}_{version}_{arch}.deb"
    target = out / name
    with tempfile.TemporaryDirectory(dir=BUILD, prefix="deb-") as tmp:
        root = Path(tmp) / "root"
        root.mkdir(mode=0o755)
        stage(root, version=version, arch=arch, maintainer=args.maintainer, profile=profile)
        partial = out / f".{name}.part"
        compression = ["-Zgzip", "-z6"] if args.fast else ["-Zxz", "-z6"]
        run("dpkg-deb", "--root-owner-group", *compression, "--build", root, partial, stdout=subprocess.DEVNULL)
        # A package with a profile is as sensitive as the profile file: private to its owner.
        partial.chmod(0o600 if profile is not None else 0o644)
        os.replace(partial, target)
    print(target)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
