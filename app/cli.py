"""The `mediatorlog` command line, for IT, team leads and scripted tests.

Exit codes: 0 ok; 1 bad input or usage (one line on stderr); 2 wrong passphrase;
3 a sync bundle was rejected (the others in the same call were still imported).
The passphrase comes from MEDIATORLOG_PASSPHRASE or an interactive prompt.
"""

from __future__ import annotations

import argparse
import datetime as dt
import getpass
import os
import sys
from pathlib import Path

from app import __version__
from app.i18n import LANGUAGES, _, current_language, language_from_environment, ngettext, set_language

EXIT_OK = 0
EXIT_BAD_INPUT = 1
EXIT_WRONG_PASSPHRASE = 2
EXIT_REJECTED_BUNDLE = 3


class CliError(Exception):
    def __init__(self, message: str, code: int = EXIT_BAD_INPUT):
        super().__init__(message)
        self.code = code


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # argparse would exit 2, which means "wrong passphrase" here
        raise CliError(_("Usage error: {message}. Run `mediatorlog --help`.").format(message=message))


def _secret(env: str, prompt: str, *, confirm: bool = False) -> str:
    value = os.environ.get(env)
    if value is not None:
        return value
    if not sys.stdin or not sys.stdin.isatty():
        raise CliError(_("No passphrase given: set {env} or run this in a terminal.").format(env=env))
    value = getpass.getpass(prompt)
    if confirm and getpass.getpass(_("Repeat: ")) != value:
        raise CliError(_("The two passphrases differ."))
    return value


def _passphrase(*, confirm: bool = False) -> str:
    return _secret("MEDIATORLOG_PASSPHRASE", _("Passphrase: "), confirm=confirm)


def _new_passphrase() -> str:
    return _secret("MEDIATORLOG_NEW_PASSPHRASE", _("New passphrase: "), confirm=True)


def _store_path(args) -> Path:
    from app.paths import default_store_path

    return Path(args.store) if args.store else default_store_path()


def _open(args):
    from app.services.stores import open_store, upgrade_notice

    return open_store(_store_path(args), _passphrase(), on_upgrade=lambda: print(upgrade_notice(), file=sys.stderr))


def cmd_init(args) -> int:
    from app.services.stores import create_store

    recovery = None
    if args.recovery_key:
        recovery = _read_file(args.recovery_key)
    path = _store_path(args)
    profile = args.profile
    if not profile and args.role != "lead" and not args.recovery_key and not args.no_profile:
        from app.paths import installed_profile

        carried = installed_profile()  # as the desktop's first start does: a per-workstation install
        if carried is not None:
            profile = str(carried)
            _warn(_("Using the workstation profile installed on this computer: {path}").format(path=carried))
    if profile:
        from app.services.provision import create_store_from_profile

        if args.role == "lead" or args.recovery_key:
            raise CliError(_("With --profile the role and the recovery key come from the profile."))
        journal = create_store_from_profile(path, _passphrase(confirm=True), _read_file(profile),
                                            name=args.name)
        journal.close()
        print(_("Created a new encrypted journal: {path}").format(path=path))
        return EXIT_OK
    journal = create_store(path, _passphrase(confirm=True), name=args.name or "", role=args.role,
                           recovery_public_pem=recovery)
    journal.close()
    print(_("Created a new encrypted journal: {path}").format(path=path))
    return EXIT_OK


def cmd_demo(args) -> int:
    from app.services.demo import fill_demo

    if args.entries < 0:
        raise CliError(_("The number of entries cannot be negative."))
    with _open(args) as journal:
        fill_demo(journal, entries=args.entries, seed=args.seed)
        total = journal.count_entries()
    print(ngettext("Added demo entries; the journal now holds {count} entry.",
                   "Added demo entries; the journal now holds {count} entries.", total).format(count=total))
    return EXIT_OK


def cmd_import(args) -> int:
    from app.services.transfer import import_file

    source = Path(args.file)
    if not source.is_file():
        raise CliError(_("File not found: {path}").format(path=source))
    with _open(args) as journal:
        result = import_file(journal, source, args.format)
    print(
        ngettext("Imported {file}: {count} entry read ({added} new, {updated} changed, {unchanged} unchanged).",
                 "Imported {file}: {count} entries read ({added} new, {updated} changed, {unchanged} unchanged).",
                 result.added + result.updated + result.unchanged).format(
            file=source.name, count=result.added + result.updated + result.unchanged,
            added=result.added, updated=result.updated, unchanged=result.unchanged
        )
    )
    if result.new_clients:
        print(ngettext("{count} new client code was added to the client register.",
                       "{count} new client codes were added to the client register.",
                       result.new_clients).format(count=result.new_clients))
    return EXIT_OK


def cmd_export(args) -> int:
    from app.services.transfer import write_export
    from app.store.atomic import atomic_write

    _not_over_the_store(args, args.out)
    with _open(args) as journal:
        if args.out:
            import io

            buffer = io.StringIO()
            count = write_export(journal, buffer, args.format)
            atomic_write(Path(args.out), buffer.getvalue().encode("utf-8"))
            print(ngettext("Exported {count} entry to {path}.", "Exported {count} entries to {path}.", count)
                  .format(count=count, path=args.out), file=sys.stderr)
        else:
            write_export(journal, sys.stdout, args.format)
    return EXIT_OK


def _not_over_the_store(args, out: str | None) -> None:
    from app.services.stores import refusal_to_write_over

    refusal = refusal_to_write_over(_store_path(args), Path(out)) if out else ""
    if refusal:
        raise CliError(refusal)


def cmd_passwd(args) -> int:
    from app.services.stores import change_passphrase

    missed = change_passphrase(_store_path(args), _passphrase(), _new_passphrase())
    print(_("The passphrase was changed."))
    _warn_backups_not_rewrapped(missed)
    return EXIT_OK


def _warn_backups_not_rewrapped(missed: list[Path]) -> None:
    if missed:
        print("mediatorlog: " + ngettext(
            "{count} backup from an earlier upgrade still opens with the old passphrase: another program had "
            "its key file open. Run the command again, or delete it: {files}",
            "{count} backups from earlier upgrades still open with the old passphrase: another program had "
            "their key files open. Run the command again, or delete them: {files}",
            len(missed)).format(count=len(missed), files=", ".join(str(m) for m in missed)), file=sys.stderr)


def cmd_recovery_keygen(args) -> int:
    from app.store.atomic import atomic_write
    from app.store.keyslots import generate_recovery_keypair

    folder = Path(args.out)
    private_file, public_file = folder / "recovery-private.pem", folder / "recovery-public.pem"
    if private_file.exists() or public_file.exists():
        raise CliError(_("A recovery key already exists in {path}; nothing was overwritten.").format(path=folder))
    private_pem, public_pem = generate_recovery_keypair()
    atomic_write(private_file, private_pem, mode=0o600, overwrite=False)
    atomic_write(public_file, public_pem, mode=0o644, overwrite=False)
    print(_("Wrote {public} (for `init --recovery-key`) and {private} (keep it offline).").format(
        public=public_file, private=private_file))
    return EXIT_OK


def cmd_recover(args) -> int:
    from app.services.stores import recover_access

    missed = recover_access(_store_path(args), _read_file(args.recovery_key), _new_passphrase())
    print(_("A new passphrase is set. Give it to the user and ask them to change it."))
    _warn_backups_not_rewrapped(missed)
    return EXIT_OK


def cmd_gui(args) -> int:
    try:
        from app.ui.main import run_gui
    except ImportError as exc:
        raise CliError(_("The desktop client cannot start: {reason}").format(reason=exc.msg)) from None
    return run_gui(store=_store_path(args) if args.store else None, smoke_test=args.smoke_test,
                   screenshot=Path(args.screenshot) if args.screenshot else None)


# A report's period: wide enough for any real journal; weeks, school years and months of it must exist.
REPORT_DAYS = (dt.date(2000, 1, 1), dt.date(2099, 12, 31))


def cmd_report(args) -> int:
    from app.reports.periods import CUSTOM, Period, parse_day, recognised
    from app.services.reports import make_report

    days = []
    for name, text in (("--from", args.date_from), ("--to", args.date_to)):
        try:
            days.append(parse_day(text))
        except ValueError:
            raise CliError(_("{option}: not a date: {text}. Use YYYY-MM-DD or DD.MM.YYYY.").format(
                option=name, text=text)) from None
        if not REPORT_DAYS[0] <= days[-1] <= REPORT_DAYS[1]:  # 0001-01-01 or 9999-12-31 as "all time"
            raise CliError(_("{option}: choose a day from {first} to {last}.").format(
                option=name, first=REPORT_DAYS[0].isoformat(), last=REPORT_DAYS[1].isoformat()))
    if days[1] < days[0]:
        raise CliError(_("The period ends before it starts: --to is earlier than --from."))
    if args.threshold < 2:  # 1 hides nothing, and its legend would read "a count from 1 to 0"
        raise CliError(_("The threshold must be at least 2."))
    _not_over_the_store(args, args.out)
    messages = current_language()
    with _open(args) as journal:
        set_language(args.report_lang)  # the report's language (German unless its --lang says otherwise)
        try:
            make_report(journal, recognised(Period(days[0], days[1], CUSTOM)), args.format, Path(args.out),
                        threshold=args.threshold)
        finally:
            set_language(messages)  # messages stay in the language of the command line
    print(_("Wrote the report to {path}.").format(path=args.out), file=sys.stderr)
    return EXIT_OK


def _sync(journal):
    from app.services.sync import SyncService

    return SyncService(journal)


def _print_json(value) -> None:
    import json

    print(json.dumps(value, ensure_ascii=False, indent=2, default=str))


def _warn(message: str) -> None:
    print(f"mediatorlog: {message}", file=sys.stderr)


def cmd_provision(args) -> int:
    recovery = _read_file(args.recovery_key).decode("ascii", "replace") if args.recovery_key else ""
    with _open(args) as journal:
        out = _sync(journal).provision(args.workstation, Path(args.out), user=args.user or "",
                                       language=args.language or "", sync_dir=args.sync_dir or "",
                                       recovery_public_pem=recovery)
        carries_recovery = _sync(journal).profiles_carry_recovery_key()
    if not carries_recovery:
        _warn(_("The profile carries no organisation recovery key: if the workstation's passphrase is "
                "forgotten, its journal cannot be opened again. Give --recovery-key PUBLIC_FILE."))
    print(_("Wrote the profile for {name} to {path}. Its enrollment secret works once: hand the file over "
            "safely and delete it after `init --profile`.").format(name=args.workstation, path=out))
    return EXIT_OK


def _lead_sync(journal):
    """The sync service of a team lead's journal; a mediator's has no workstations or shares."""
    sync = _sync(journal)
    if not sync.is_lead:
        raise CliError(_("Only a team lead's journal can do this."))
    return sync


def cmd_devices(args) -> int:
    with _open(args) as journal:
        sync = _lead_sync(journal)
        if args.revoke:
            sync.revoke(args.revoke)
            print(_("Revoked {name}: its bundles are refused from now on.").format(name=args.revoke))
            return EXIT_OK
        devices = sync.devices()
    if args.format == "json":
        _print_json([d.as_dict() for d in devices])
        return EXIT_OK
    if not devices:
        print(_("No workstations provisioned yet."))
    from app.services.sync import STATE_LABELS

    if devices:  # the desktop's column names; scripts read --format json
        print("\t".join([_("Workstation"), _("State"), _("Used by"), _("Last bundle"), _("Imported"), _("Gaps")]))
    for d in devices:
        gaps = ", ".join(str(n) for n in d.missing_bundles)
        print("\t".join([d.name, _(STATE_LABELS.get(d.state, d.state)), d.user, d.last_bundle_at or "-",
                         d.last_import_at or "-",
                         _("missing bundles: {list}").format(list=gaps) if gaps else ""]).rstrip())
    return EXIT_OK


def cmd_sync_export(args) -> int:
    with _open(args) as journal:
        results = _sync(journal).export_bundles(Path(args.to) if args.to else None)
    from app.services.conflict_text import peer_label

    if not results:
        print(_("Nothing new to send."))
    for r in results:
        # records, as `sync status` and the status bar count them; the field changes in brackets
        print(_("Wrote {path} for {recipient}: changed records: {records} (field changes: {count}).").format(
            path=r.path, recipient=peer_label(r.recipient), records=r.records, count=r.changes))
    return EXIT_OK


def cmd_sync_import(args) -> int:
    missing = [p for p in args.paths if not Path(p).exists()]
    if missing:  # was reported as a bundle "cut off" (exit 3): a typo in the path is bad input
        raise CliError(_("There is no file or folder {path}.").format(path=missing[0]))
    with _open(args) as journal:
        report = _sync(journal).import_paths([Path(p) for p in args.paths])
    for r in report.results:
        if r.status == "rejected":
            print(f"mediatorlog: {r.message}", file=sys.stderr)
        else:
            print(r.message)
        for warning in r.warnings:
            print(f"mediatorlog: {warning}", file=sys.stderr)
    if not report.results:
        print(_("No bundles for this journal."))
    return EXIT_REJECTED_BUNDLE if report.rejected else EXIT_OK


def cmd_sync_status(args) -> int:
    from app.services.sync_client import pending_records

    with _open(args) as journal:
        state = _sync(journal).status()
        records, unsent = pending_records(journal)  # records, as the desktop's status bar counts them
    if args.format == "json":
        value = dict(state.__dict__)
        value["devices"] = [d.as_dict() for d in state.devices]
        value["unacknowledged_records"], value["unsent_records"] = records, unsent
        _print_json(value)
        return EXIT_OK
    print(_("Changes not yet acknowledged: {count}").format(count=records))
    print(_("Last export: {time}").format(time=state.last_export_at or "-"))
    print(_("Last import: {time}").format(time=state.last_import_at or "-"))
    if state.role == "lead":
        print(_("Open conflicts: {count}").format(count=state.open_conflicts))
    return EXIT_OK


def cmd_conflicts(args) -> int:
    with _open(args) as journal:
        sync = _sync(journal)
        if args.resolve is not None:
            if args.choice is None:
                raise CliError(_("Say how to resolve it: --choice keep, take or edit (with --value)."))
            if args.choice == "edit" and args.value is None:
                raise CliError(_("Give the new value with --value (--value \"\" empties the field)."))
            sync.resolve_conflict(args.resolve, args.choice, args.value)
            print(_("Conflict {id} resolved.").format(id=args.resolve))
            return EXIT_OK
        conflicts = sync.list_conflicts()
        if args.format == "json":
            _print_json([c.__dict__ for c in conflicts])
            return EXIT_OK
        if not conflicts:
            print(_("No open conflicts."))
        for c in conflicts:  # the values in words: labels, client codes, dates as the user writes them
            print("\t".join(_conflict_line(journal, c)))
    return EXIT_OK


def _conflict_line(journal, c) -> list[str]:
    """One open conflict as the desktop's conflict view shows it: number, record, field, what
    happened, the current value and the one that lost, each with who and when."""
    from app.services.conflict_text import KIND_LABELS, display_value, field_label, peer_label, record_text, when_text

    current = _("The record was deleted.") if c.record_deleted else display_value(journal, c.field, c.current_value)
    return [str(c.id), record_text(journal, c), field_label(c.field), _(KIND_LABELS.get(c.kind, c.kind)),
            _("current: {value} ({device}, {time})").format(value=current, device=peer_label(c.current_device),
                                                            time=when_text(c.current_time)),
            _("other: {value} ({device}, {time})").format(value=display_value(journal, c.field, c.loser_value),
                                                          device=peer_label(c.loser_device),
                                                          time=when_text(c.loser_time))]


def cmd_erase_client(args) -> int:
    with _open(args) as journal:
        client = journal.client_by_code(args.code)
        if client is None:
            raise CliError(_("There is no client with the code {code}.").format(code=args.code))
        from app.services.sync import erasure_done, erasure_notes

        sync = _sync(journal)
        preview = sync.erasure_preview(client.id)
        if not args.yes:
            for line in erasure_notes(preview):
                print(line)
            if preview.backups:
                print(_("With --yes, --delete-backups deletes them too.") if args.delete_backups else
                      _("Add --delete-backups to delete them with the erasure."))
            _print_mentions(journal, preview.mentions)
            raise CliError(_("Nothing was erased. Run the command again with --yes to erase."))
        entries = sync.erase_client(client.id)
        print(erasure_done(preview, entries))
        if args.delete_backups:
            from app.services.stores import delete_migration_backups

            removed, busy = delete_migration_backups(journal.path)
            preview.backups = len(busy)  # the erasure notes and the folder line below name what stays
            print(ngettext("Deleted {count} backup from an earlier upgrade.",
                           "Deleted {count} backups from earlier upgrades.", removed).format(count=removed))
            if busy:
                print(ngettext("{count} backup could not be deleted: another program has it open (a backup or "
                               "antivirus program). Delete it once that program has let go.",
                               "{count} backups could not be deleted: another program has them open (a backup "
                               "or antivirus program). Delete them once that program has let go.",
                               len(busy)).format(count=len(busy)))
        for line in erasure_notes(preview, done=True):
            print(line)
        if preview.backups:  # the person is gone now: this command cannot name them again
            print(_("The backups are in {folder}; delete them there when IT no longer needs them.").format(
                folder=journal.path.parent / "backups"))
        _print_mentions(journal, preview.mentions)
    return EXIT_OK


def cmd_client_data(args) -> int:
    from app.services.access import client_data_json
    from app.store.atomic import atomic_write

    _not_over_the_store(args, args.out)
    with _open(args) as journal:
        client = journal.client_by_code(args.code)
        if client is None:
            raise CliError(_("There is no client with the code {code}.").format(code=args.code))
        data = client_data_json(journal, client.id)
    if args.out:
        atomic_write(Path(args.out), data)
        print(_("Wrote everything about {code} to {path}. The file is not encrypted: hand it over and delete "
                "it.").format(code=client.code, path=args.out), file=sys.stderr)
    else:
        sys.stdout.write(data.decode("utf-8"))
    return EXIT_OK


def _print_mentions(journal, entry_ids: list[str]) -> None:
    from app.i18n.formats import format_date

    for entry_id in entry_ids:
        entry = journal.get_entry(entry_id)
        if entry is not None:
            print(f"  {entry.id}\t{format_date(entry.start)}\t{entry.type}")


def cmd_share(args) -> int:
    with _open(args) as journal:
        sync = _lead_sync(journal)
        if args.list:
            shares = sync.shares(args.workstation)
            if args.format == "json":
                _print_json([s.__dict__ for s in shares])
            elif not shares:
                print(_("No clients are shared with workstations."))
            for s in shares if args.format != "json" else []:
                print("\t".join([s.workstation, s.client_code, str(s.entries), s.shared_at]))
            return EXIT_OK
        if not args.client or not args.workstation:
            raise CliError(_("Give --client CODE and --workstation NAME (or --list)."))
        if args.remove:
            sync.unshare_client(args.client, args.workstation)
            print(_("The client {code} is no longer shared with {name}. What the workstation already holds "
                    "stays there until the person is erased.").format(code=args.client, name=args.workstation))
            return EXIT_OK
        result = sync.share_client(args.client, args.workstation)
    print(ngettext("Shared the client {code} and {count} entry with {name}; it gets them with the next sync "
                   "bundle, and later entries for the client too.",
                   "Shared the client {code} and {count} entries with {name}; it gets them with the next sync "
                   "bundle, and later entries for the client too.", result.entries).format(
        code=result.client_code, count=result.entries, name=result.workstation))
    return EXIT_OK


def _read_file(name: str) -> bytes:
    try:
        return Path(name).read_bytes()
    except OSError:
        raise CliError(_("Cannot read the file {path}.").format(path=name)) from None


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="mediatorlog",
        description=_("Encrypted offline field log for mediators and their team leads."),
        epilog=_("Exit codes: 0 ok, 1 bad input or usage, 2 wrong passphrase, 3 a sync bundle was rejected "
                 "(the others were imported). The passphrase is read from MEDIATORLOG_PASSPHRASE, else asked for."),
    )
    parser.add_argument("--version", action="version", version=f"mediatorlog {__version__}",
                        help=_("show program's version number and exit"))
    parser.add_argument("--lang", choices=LANGUAGES, help=_("language of messages (default: from the environment)"))
    sub = parser.add_subparsers(dest="command", parser_class=_Parser, metavar="COMMAND")

    def add(name: str, help_text: str, func):
        command = sub.add_parser(name, help=help_text, description=help_text)
        command.add_argument("--store", help=_("path of the journal file (default: your data folder)"))
        command.set_defaults(func=func)
        return command

    init = add("init", _("create a new encrypted journal"), cmd_init)
    init.add_argument("--name", help=_("your name as it appears on entries"))
    init.add_argument("--role", choices=("mediator", "lead"), default="mediator")
    init.add_argument("--recovery-key", metavar="PUBLIC_FILE", help=_("organisation recovery public key (PEM)"))
    init.add_argument("--profile", metavar="FILE", help=_("workstation profile from the team lead (`provision`)"))
    init.add_argument("--no-profile", action="store_true",
                      help=_("a journal outside the team, even where a workstation profile is installed"))

    demo = add("demo", _("add realistic synthetic entries"), cmd_demo)
    demo.add_argument("--entries", type=int, default=500, help=_("how many entries to add (default: 500)"))
    demo.add_argument("--seed", type=int, default=1,
                      help=_("the same seed gives the same entries (default: 1); a seed used before adds none"))

    imp = add("import", _("import entries from JSON lines or CSV (all or nothing)"), cmd_import)
    imp.add_argument("file")
    imp.add_argument("--format", choices=("jsonl", "csv"), help=_("default: from the file name"))

    exp = add("export", _("export all entries as JSON lines or CSV"), cmd_export)
    exp.add_argument("--format", choices=("jsonl", "csv"), default="jsonl")
    exp.add_argument("--out", help=_("file to write (default: standard output)"))

    add("passwd", _("change the passphrase (new one from MEDIATORLOG_NEW_PASSPHRASE)"), cmd_passwd)

    keygen_help = _("make an organisation recovery key pair")
    keygen = sub.add_parser("recovery-keygen", help=keygen_help, description=keygen_help)
    keygen.add_argument("--out", required=True, metavar="DIR")
    keygen.set_defaults(func=cmd_recovery_keygen)

    recover = add("recover", _("set a new passphrase with the organisation recovery key"), cmd_recover)
    recover.add_argument("--recovery-key", required=True, metavar="PRIVATE_FILE")

    prov = add("provision", _("team lead: write a profile for a new workstation"), cmd_provision)
    prov.add_argument("--workstation", required=True, metavar="NAME")
    prov.add_argument("--user", metavar="NAME", help=_("the mediator who will use it"))
    prov.add_argument("--language", choices=LANGUAGES)
    prov.add_argument("--sync-dir", metavar="DIR", help=_("the team's sync folder as seen from the workstation"))
    prov.add_argument("--recovery-key", metavar="PUBLIC_FILE",
                      help=_("organisation recovery public key (PEM); by default the one this journal was made "
                             "with or last given here"))
    prov.add_argument("--out", required=True, metavar="FILE")

    dev = add("devices", _("team lead: list enrolled workstations, or revoke one"), cmd_devices)
    dev.add_argument("--format", choices=("text", "json"), default="text")
    dev.add_argument("--revoke", metavar="NAME", help=_("refuse all later bundles from this workstation"))

    sync = sub.add_parser("sync", help=_("exchange sync bundles with the team"))
    sync_sub = sync.add_subparsers(dest="sync_command", parser_class=_Parser, metavar="ACTION", required=True)
    for name, help_text, func in (
        ("export", _("write a bundle of what the other side has not acknowledged"), cmd_sync_export),
        ("import", _("import bundles (files or folders); exit 3 if one was rejected"), cmd_sync_import),
        ("status", _("unacknowledged changes and last sync"), cmd_sync_status),
    ):
        command = sync_sub.add_parser(name, help=help_text, description=help_text)
        command.add_argument("--store", help=_("path of the journal file (default: your data folder)"))
        command.set_defaults(func=func)
        if name == "export":
            command.add_argument("--to", metavar="DIR", help=_("folder for the bundle (default: the sync folder)"))
        elif name == "import":
            command.add_argument("paths", nargs="+", metavar="FILE_OR_DIR")
        else:
            command.add_argument("--format", choices=("text", "json"), default="text")

    conf = add("conflicts", _("team lead: list open sync conflicts with both values, or resolve one"),
               cmd_conflicts)
    conf.add_argument("--format", choices=("text", "json"), default="text")
    conf.add_argument("--resolve", type=int, metavar="ID")
    conf.add_argument("--choice", choices=("keep", "take", "edit"),
                      help=_("keep the current value, take the other one, or edit (with --value)"))
    conf.add_argument("--value", help=_("the new value for --choice edit"))

    data = add("client-data", _("everything the journal holds about one client, as JSON (an access request)"),
               cmd_client_data)
    data.add_argument("--code", required=True)
    data.add_argument("--out", help=_("file to write (default: standard output)"))

    erase = add("erase-client", _("erase a person and their entries on every synced computer"), cmd_erase_client)
    erase.add_argument("--code", required=True)
    erase.add_argument("--yes", action="store_true",
                       help=_("erase; without it, only say what would be erased (it cannot be undone)"))
    erase.add_argument("--delete-backups", action="store_true",
                       help=_("with --yes: also delete the journal's backups from earlier upgrades, which still "
                              "hold the person's data (they are only needed to go back to an older version)"))

    share = add("share", _("team lead: share a client and their entries with another workstation, or stop"),
                cmd_share)
    share.add_argument("--client", metavar="CODE", help=_("the client's code"))
    share.add_argument("--workstation", metavar="NAME", help=_("the enrolled workstation to share with"))
    share.add_argument("--remove", action="store_true", help=_("stop sharing (no further updates)"))
    share.add_argument("--list", action="store_true", help=_("list the clients shared now"))
    share.add_argument("--format", choices=("text", "json"), default="text")

    rep = add("report", _("team lead: figures for a period as XLSX, CSV or PDF, small counts hidden"), cmd_report)
    rep.add_argument("--from", dest="date_from", required=True, metavar="DATE", help=_("first day, YYYY-MM-DD or DD.MM.YYYY"))
    rep.add_argument("--to", dest="date_to", required=True, metavar="DATE", help=_("last day, YYYY-MM-DD or DD.MM.YYYY"))
    rep.add_argument("--format", choices=("xlsx", "csv", "pdf"), required=True)
    rep.add_argument("--out", required=True, metavar="FILE", help=_("file to write (replaced as a whole)"))
    rep.add_argument("--lang", dest="report_lang", choices=LANGUAGES, default="de",
                     help=_("language of the report (default: de)"))
    rep.add_argument("--threshold", type=int, default=5,
                     help=_("counts from 1 to this minus 1 are shown as <threshold (default: 5)"))

    gui = add("gui", _("start the desktop client (the default)"), cmd_gui)
    gui.add_argument("--smoke-test", action="store_true",
                     help=_("show the window, close it after a moment and exit 0 (checks an installation)"))
    gui.add_argument("--screenshot", metavar="PNG", help=_("with --smoke-test: save the window as a PNG image"))
    return parser


def _early_language(argv: list[str]) -> None:
    """The language of messages: `--lang` before the command (`report --lang` is the report's)."""
    language = None
    i = 0
    while i < len(argv):
        arg = argv[i]
        if arg == "--lang" and i + 1 < len(argv):
            language = argv[i + 1]
            i += 1
        elif arg.startswith("--lang="):
            language = arg.split("=", 1)[1]
        elif not arg.startswith("-"):
            break  # the command: what follows are its own options
        i += 1
    set_language(language if language in LANGUAGES else language_from_environment())
    from app.i18n.argparse_strings import translate_argparse

    translate_argparse()  # argparse's own headings and usage errors in the same language


def _known_errors() -> tuple[type[BaseException], ...]:
    """Exception types with a message for the user, from modules a command already imported."""
    names = {
        "app.domain.validation": ("ValidationError",),
        "app.services.stores": ("StoreError",),
        "app.services.transfer": ("ImportError_",),
        "app.services.sync": ("SyncError",),
        "app.store.keyslots": ("KeySlotError", "WrongPassphrase"),
        "app.store.migrate": ("NewerStoreError",),
        "app.store.engine": ("StoreBusy",),
    }
    found = []
    for module_name, classes in names.items():
        module = sys.modules.get(module_name)
        if module is not None:
            found.extend(getattr(module, name) for name in classes)
    return tuple(found)


def _is_database_error(exc: BaseException) -> bool:
    """An error from SQLite (directly or wrapped by SQLAlchemy), from a command that opened a store."""
    sqlcipher3 = sys.modules.get("sqlcipher3")
    sa_exc = sys.modules.get("sqlalchemy.exc")
    kinds = tuple(k for k in (getattr(sqlcipher3, "DatabaseError", None), getattr(sa_exc, "DBAPIError", None)) if k)
    return bool(kinds) and isinstance(exc, kinds)


def _known_error_reply(exc: BaseException) -> tuple[int, str]:
    if type(exc).__name__ == "WrongPassphrase":
        return EXIT_WRONG_PASSPHRASE, _("Wrong passphrase. Nothing was changed.")
    if type(exc).__name__ == "StoreBusy":  # an OSError: its str() is "[Errno 16] ..."
        from app.store.engine import busy_text

        return EXIT_BAD_INPUT, busy_text()
    return EXIT_BAD_INPUT, str(exc)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    _early_language(argv)  # so that --help and parse errors are already translated
    # The store's modules (SQLAlchemy, Alembic: half a second) are imported by the commands
    # that need them, not before parsing: `--version`, `--help` and the GUI's first window stay fast.
    try:
        args = build_parser().parse_args(argv)
        if not getattr(args, "command", None):
            args = build_parser().parse_args([*argv, "gui"])
        return args.func(args)
    except CliError as exc:
        code, message = exc.code, str(exc)
    except _known_errors() as exc:
        code, message = _known_error_reply(exc)
    except KeyboardInterrupt:
        code, message = EXIT_BAD_INPUT, _("Interrupted. Nothing was changed.")
    except FileExistsError as exc:  # profiles, bundles and keys are never overwritten
        code, message = EXIT_BAD_INPUT, _("{path} exists already and is not overwritten: choose another file "
                                          "name.").format(path=exc.filename2 or exc.filename or "")
    except OSError as exc:
        code, message = EXIT_BAD_INPUT, _("A file could not be read or written: {reason}").format(
            reason=exc.strerror or type(exc).__name__)
    except Exception as exc:
        if not _is_database_error(exc):
            raise
        # SQLite's own words ("database is locked", "disk I/O error", "database disk image is
        # malformed"): they name no content, and a traceback helps no one at the command line.
        code, message = EXIT_BAD_INPUT, _("The journal could not be read or written: {reason}").format(
            reason=str(exc.orig if hasattr(exc, "orig") else exc))
    print(f"mediatorlog: {message}", file=sys.stderr)
    return code
