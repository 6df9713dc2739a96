"""Open conflicts read as a person reads them, and resolutions checked like any edit (found in a
walk-through of the lead's conflict review, 2026-11-22): client codes instead of record ids,
dates in the user's format and labels instead of codes, in the desktop's view and on the command
line; a typed value for a client's field is checked as the client dialog checks it; a value taken
back must make a valid entry with the values that stay."""

from __future__ import annotations

import datetime as dt

import pytest
from helpers.conflict_scene import build
from helpers.factories import NOW, PASSPHRASE, consultation
from helpers.sync_team import team_fixtures

from app.cli import main

template, team = team_fixtures(1)


@pytest.fixture
def lead_view(qtbot, tmp_path):
    from app.i18n import set_language
    from app.services.stores import open_store
    from app.services.sync import SyncService
    from app.ui.conflict_view import ConflictView

    scene = build(tmp_path)
    set_language("de")
    journal = open_store(scene["lead"], PASSPHRASE)
    view = ConflictView()
    qtbot.addWidget(view)
    view.attach(SyncService(journal), journal)
    view.load()
    yield scene, view
    view.clear()
    journal.close()


def shown(view, conflict_id):
    row = [c.id for c in view.conflicts].index(conflict_id)
    view.ui.conflicts_list.selectRow(row)
    return view.ui.current_value.toPlainText(), view.ui.loser_value.toPlainText()


def test_the_clients_list_shows_client_codes_not_record_ids(lead_view):
    scene, view = lead_view
    current, other = shown(view, scene["conflicts"][("entries", "clients")])
    # laptop-1 linked Ana and Bela, the lead only Bela
    assert scene["ana"] not in current and scene["bela"] not in other, (current, other)
    assert "HA-A-01" in current and "HA-B-02" in current, current
    assert other == "HA-B-02", other


@pytest.mark.parametrize("field, current, other", [
    ("start", dt.datetime(2025, 3, 10, 11, 0), dt.datetime(2025, 3, 10, 9, 0)),
    ("end", dt.datetime(2025, 3, 10, 12, 30), dt.datetime(2025, 3, 10, 9, 45)),
    ("follow_up_due", dt.date(2025, 4, 15), dt.date(2025, 4, 2)),
])
def test_dates_are_shown_in_the_locales_format(lead_view, field, current, other):
    from app.i18n.formats import format_date, format_datetime

    scene, view = lead_view
    fmt = format_datetime if isinstance(current, dt.datetime) else format_date
    got = shown(view, scene["conflicts"][("entries", field)])
    assert got == (fmt(current), fmt(other)), got  # e.g. "10.03.2025 11:00", not "2025-03-10T11:00"


def conflict_lines(tmp_path, monkeypatch, capsys):
    scene = build(tmp_path)
    monkeypatch.setenv("MEDIATORLOG_PASSPHRASE", PASSPHRASE)
    code = main(["--lang", "de", "conflicts", "--store", str(scene["lead"])])
    out, err = capsys.readouterr()
    assert code == 0, err
    by_id = {int(line.split("\t", 1)[0]): line for line in out.splitlines()}
    return scene, by_id


def test_list_values_are_shown_as_labels_not_codes_or_json(tmp_path, monkeypatch, capsys):
    scene, lines = conflict_lines(tmp_path, monkeypatch, capsys)
    languages = lines[scene["conflicts"][("entries", "languages")]]
    assert '["ro", "bg"]' not in languages and "Rumänisch, Bulgarisch" in languages, languages
    district = lines[scene["conflicts"][("entries", "district")]]
    assert "Altenhagen" in district and "Haspe" in district, district


def test_the_clients_list_is_shown_with_client_codes(tmp_path, monkeypatch, capsys):
    scene, lines = conflict_lines(tmp_path, monkeypatch, capsys)
    clients = lines[scene["conflicts"][("entries", "clients")]]
    assert scene["ana"] not in clients and "HA-A-01" in clients and "HA-B-02" in clients, clients


def test_dates_are_shown_in_the_users_format(tmp_path, monkeypatch, capsys):
    scene, lines = conflict_lines(tmp_path, monkeypatch, capsys)
    due = lines[scene["conflicts"][("entries", "follow_up_due")]]
    assert "15.04.2025" in due and "02.04.2025" in due, due


@pytest.mark.parametrize("field, value", [
    ("birth_year", "abc"), ("birth_year", "3000"), ("code", ""), ("code", "bad code!"),
])
def test_a_bad_value_for_a_clients_field_is_refused(tmp_path, monkeypatch, capsys, field, value):
    from helpers.sync_team import dump

    from app.domain.entries import Client
    from app.services.stores import open_store
    from app.services.sync import SyncService

    scene = build(tmp_path)
    with open_store(scene["lead"], PASSPHRASE) as journal:
        conflict_id = scene["conflicts"][("clients", field)]
        rid = next(c.record_id for c in SyncService(journal).list_conflicts() if c.id == conflict_id)
        before = dump(journal)["clients"]
    monkeypatch.setenv("MEDIATORLOG_PASSPHRASE", PASSPHRASE)
    code = main(["conflicts", "--store", str(scene["lead"]), "--resolve", str(conflict_id), "--choice", "edit",
                 "--value", value])
    out, err = capsys.readouterr()
    with open_store(scene["lead"], PASSPHRASE) as journal:
        still_open = conflict_id in [c.id for c in SyncService(journal).list_conflicts()]
        client: Client = journal.get_client(rid)
        after = dump(journal)["clients"]
    assert (code, out) == (1, ""), (code, out, getattr(client, field))
    assert err.count("\n") == 1 and "Traceback" not in err
    assert still_open and after == before


def test_taking_an_end_before_the_current_start_is_refused(tmp_path, monkeypatch, capsys):
    from app.services.stores import open_store
    from app.services.sync import SyncService

    scene = build(tmp_path)
    monkeypatch.setenv("MEDIATORLOG_PASSPHRASE", PASSPHRASE)
    lead = str(scene["lead"])
    assert main(["conflicts", "--store", lead, "--resolve", str(scene["conflicts"][("entries", "start")]),
                 "--choice", "keep"]) == 0
    capsys.readouterr()
    end_conflict = scene["conflicts"][("entries", "end")]
    code = main(["conflicts", "--store", lead, "--resolve", str(end_conflict), "--choice", "take"])
    out, err = capsys.readouterr()
    with open_store(scene["lead"], PASSPHRASE) as journal:
        entry = journal.get_entry(scene["entry"])
        still_open = end_conflict in [c.id for c in SyncService(journal).list_conflicts()]
    assert entry.end >= entry.start, f"exit {code}, {out.strip()!r}: {entry.start} - {entry.end} " \
                                     f"({entry.duration_minutes} min)"
    assert code == 1 and err.count("\n") == 1 and still_open


def test_the_leads_lost_start_and_end_are_taken_back_together(team):
    lead, laptop = team.journals["lead"], team.journals["laptop-1"]
    entry = laptop.save_entry(consultation(start=dt.datetime(2025, 3, 10, 8, 0), end=dt.datetime(2025, 3, 10, 9, 0)),
                              now=NOW)
    team.sync("laptop-1").export_bundles()
    team.sync("lead").import_paths([team.sync_dir])
    team.sync("lead").export_bundles()
    team.sync("laptop-1").import_paths([team.sync_dir])

    mine = lead.get_entry(entry.id)  # the lead: the evening, 20:00-21:00 (written first: it loses)
    mine.start, mine.end = dt.datetime(2025, 3, 10, 20, 0), dt.datetime(2025, 3, 10, 21, 0)
    lead.save_entry(mine, now=NOW)
    theirs = laptop.get_entry(entry.id)  # the laptop: the morning, 8:30-9:30 (later: it wins)
    theirs.start, theirs.end = dt.datetime(2025, 3, 10, 8, 30), dt.datetime(2025, 3, 10, 9, 30)
    laptop.save_entry(theirs, now=NOW + dt.timedelta(minutes=1))
    team.sync("laptop-1").export_bundles()
    team.sync("lead").import_paths([team.sync_dir])
    conflicts = {c.field: c.id for c in team.sync("lead").list_conflicts()}
    assert {"start", "end"} <= set(conflicts), conflicts

    # Taking the start alone would put it after the end: the end of the same edit comes with it.
    team.sync("lead").resolve_conflict(conflicts["start"], "take")
    got = lead.get_entry(entry.id)
    assert (got.start, got.end) == (dt.datetime(2025, 3, 10, 20, 0), dt.datetime(2025, 3, 10, 21, 0))
    assert not {"start", "end"} & {c.field for c in team.sync("lead").list_conflicts()}
