"""Desktop client: search and every journal filter, and the Follow-ups tab.
Offscreen, against real SQLCipher stores."""

from __future__ import annotations

import datetime as dt

import pytest
from gui_fixtures import *  # noqa: F403 (fixtures and helpers)
from gui_fixtures import (
    GUI_FAST_KDF,
    GUI_PASSPHRASE,
    days_ago,
    journal_notes,
    select_combo,
    type_text,
    visible_rows,
)
from PySide6.QtCore import QDate, QLocale, Qt

from app.domain.entries import Consultation, OutreachVisit, TandemSession


def qdate(days_back: int) -> QDate:
    d = dt.date.today() - dt.timedelta(days=days_back)
    return QDate(d.year, d.month, d.day)


@pytest.fixture
def seeded_store(data_dir):
    """Four entries of all three types, two districts, a school and two clients."""
    from app.services.stores import create_store

    path = data_dir / "journal.db"
    journal = create_store(path, GUI_PASSPHRASE, name="Test Mediator", role="lead", kdf=GUI_FAST_KDF)
    anna = journal.save_client(journal.new_client())
    boris = journal.save_client(journal.new_client())
    common = dict(mediator="Test Mediator")
    entries = [
        Consultation(start=days_ago(20), end=days_ago(20) + dt.timedelta(minutes=30), setting="office",
                     district="mitte", client_ids=[anna.id], notes="Zahnarzttermin vereinbart", **common),
        Consultation(start=days_ago(5), end=days_ago(5) + dt.timedelta(minutes=30), setting="phone",
                     district="haspe", client_ids=[boris.id], notes="Mietschulden besprochen", **common),
        TandemSession(start=days_ago(10), end=days_ago(10) + dt.timedelta(minutes=45), school="gs1",
                      teacher="KL 1a", notes="Zahnarzt und Schulpflicht erklärt", **common),
        OutreachVisit(start=days_ago(2), end=days_ago(2) + dt.timedelta(minutes=60), district="haspe",
                      place_type="street", purpose="contact", notes="Flyer verteilt", **common),
    ]
    for entry in entries:
        journal.save_entry(entry)
    codes = {"anna": anna, "boris": boris}
    journal.close()
    return path, codes


ALL = {"Zahnarzttermin vereinbart", "Mietschulden besprochen", "Zahnarzt und Schulpflicht erklärt", "Flyer verteilt"}


def shown(window) -> set[str]:
    return set(journal_notes(window))


def test_search_filters_after_the_debounce(qtbot, open_window, seeded_store):
    window = open_window(seeded_store[0])
    assert shown(window) == ALL
    type_text(window.ui.search, "zahnarzt")
    assert window.filter_timer.isActive()  # typing waits for a pause before querying
    qtbot.waitUntil(lambda: shown(window) == {"Zahnarzttermin vereinbart", "Zahnarzt und Schulpflicht erklärt"},
                    timeout=10000)
    assert window.ui.statusbar.currentMessage() == "2 entries found."
    window._show_entry_count(4)  # the journal's total, counted after the unlock, arriving late
    assert window.ui.statusbar.currentMessage() == "2 entries found."
    type_text(window.ui.search, " schul")  # every word must occur (as a prefix)
    qtbot.waitUntil(lambda: shown(window) == {"Zahnarzt und Schulpflicht erklärt"}, timeout=10000)
    type_text(window.ui.search, "xyz")
    qtbot.waitUntil(lambda: visible_rows(window) == 0, timeout=10000)
    assert window.ui.statusbar.currentMessage() == "0 entries found."
    # Ctrl+F selects the search text; typing replaces it
    qtbot.keyClick(window, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    type_text(window.ui.search, "Miet")
    qtbot.waitUntil(lambda: shown(window) == {"Mietschulden besprochen"}, timeout=10000)
    window.ui.search.clear()
    qtbot.waitUntil(lambda: shown(window) == ALL, timeout=10000)


def test_every_filter_and_their_combination(qtbot, open_window, seeded_store):
    path, clients = seeded_store
    window = open_window(path)
    ui = window.ui

    select_combo(ui.type_filter, "consultation")
    assert shown(window) == {"Zahnarzttermin vereinbart", "Mietschulden besprochen"}
    select_combo(ui.type_filter, "tandem_session")
    assert shown(window) == {"Zahnarzt und Schulpflicht erklärt"}
    select_combo(ui.type_filter, None)
    assert shown(window) == ALL

    ui.date_from.setDate(qdate(12))
    assert shown(window) == {"Mietschulden besprochen", "Zahnarzt und Schulpflicht erklärt", "Flyer verteilt"}
    ui.date_to.setDate(qdate(6))
    assert shown(window) == {"Zahnarzt und Schulpflicht erklärt"}
    ui.date_from.setDate(ui.date_from.minimumDate())  # shown blank: no lower bound
    assert shown(window) == {"Zahnarzttermin vereinbart", "Zahnarzt und Schulpflicht erklärt"}
    ui.date_to.setDate(qdate(5))  # "to" includes the whole day
    assert shown(window) == ALL - {"Flyer verteilt"}
    ui.date_to.setDate(ui.date_to.minimumDate())
    assert shown(window) == ALL

    select_combo(ui.place_filter, "district:haspe")
    assert shown(window) == {"Mietschulden besprochen", "Flyer verteilt"}
    select_combo(ui.place_filter, "school:gs1")
    assert shown(window) == {"Zahnarzt und Schulpflicht erklärt"}
    select_combo(ui.place_filter, "district:mitte")
    assert shown(window) == {"Zahnarzttermin vereinbart"}
    select_combo(ui.place_filter, None)

    assert ui.client_filter.itemText(ui.client_filter.findData(clients["anna"].id)) == clients["anna"].code
    select_combo(ui.client_filter, clients["anna"].id)
    assert shown(window) == {"Zahnarzttermin vereinbart"}
    select_combo(ui.client_filter, clients["boris"].id)
    assert shown(window) == {"Mietschulden besprochen"}
    select_combo(ui.client_filter, None)

    # combined: consultations in Haspe in the last week, found by a word of the note
    select_combo(ui.type_filter, "consultation")
    select_combo(ui.place_filter, "district:haspe")
    ui.date_from.setDate(qdate(7))
    assert shown(window) == {"Mietschulden besprochen"}
    type_text(ui.search, "Flyer")
    qtbot.waitUntil(lambda: visible_rows(window) == 0, timeout=10000)

    qtbot.mouseClick(ui.clear_filters, Qt.MouseButton.LeftButton)
    assert shown(window) == ALL
    assert ui.search.text() == "" and ui.type_filter.currentData() is None
    assert ui.place_filter.currentData() is None and ui.date_from.date() == ui.date_from.minimumDate()


@pytest.mark.parametrize("typed", ["with separators", "digits only"])
def test_a_date_typed_into_a_blank_date_filter_filters(qtbot, open_window, seeded_store, typed):
    from PySide6.QtTest import QTest

    path, _clients = seeded_store
    window = open_window(path)
    edit = window.ui.date_from
    assert edit.date() == edit.minimumDate()  # shown blank
    since = qdate(12)
    text = since.toString(edit.displayFormat())
    edit.setFocus()
    QTest.keyClicks(edit, text if typed == "with separators" else "".join(c for c in text if c.isdigit()))
    QTest.keyClick(edit, Qt.Key.Key_Tab)
    assert edit.date() == since
    assert window.current_filter().date_from == since.toPython()
    assert shown(window) == {"Mietschulden besprochen", "Zahnarzt und Schulpflicht erklärt", "Flyer verteilt"}


def test_filters_shown_stay_the_filters_applied(qtbot, open_window, seeded_store):
    """A date filter survives refreshing the filter lists (lock/unlock, a new client):
    what the filter bar shows is what the journal applies."""
    window = open_window(seeded_store[0])
    ui = window.ui
    ui.date_from.setDate(qdate(12))
    select_combo(ui.type_filter, "consultation")
    assert shown(window) == {"Mietschulden besprochen"}
    window.lock()
    from gui_fixtures import unlock

    unlock(qtbot, window)
    assert ui.date_from.date() == qdate(12)
    assert ui.type_filter.currentData() == "consultation"
    assert shown(window) == {"Mietschulden besprochen"}
    assert window.current_filter() == window.model.filter


def test_follow_ups_due_today_and_overdue_with_count_and_done(qtbot, open_window, data_dir):
    from gui_fixtures import make_store

    def with_follow_up(days_back, due_in, text, done=False):
        start = days_ago(days_back)
        return Consultation(start=start, end=start + dt.timedelta(minutes=30), mediator="Test Mediator",
                            setting="office", follow_up=text, follow_up_done=done,
                            follow_up_due=dt.date.today() + dt.timedelta(days=due_in), notes=text)

    store = make_store(data_dir / "journal.db", entries=[
        with_follow_up(10, -3, "Unterlagen abholen"),        # overdue
        with_follow_up(10, -4, "Längst erledigt", done=True),  # overdue but done
        with_follow_up(1, 5, "Nächste Woche anrufen"),       # not due yet
    ])
    window = open_window(store)
    ui = window.ui
    assert ui.tabs.tabText(2) == "&Follow-ups (1)"

    # a follow-up due today, typed into a new consultation
    qtbot.keyClick(window, Qt.Key.Key_1, Qt.KeyboardModifier.ControlModifier)
    form = window.current_form
    select_combo(form.ui.setting, "office")
    type_text(form.ui.follow_up, "Rückruf Schule")
    form.ui.has_follow_up_due.setChecked(True)
    form.ui.follow_up_due.setDate(QDate.currentDate())
    qtbot.keyClick(form.ui.follow_up, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    assert ui.form_message.text() == ""

    ui.tabs.setCurrentIndex(2)
    assert ui.tabs.tabText(2) == "&Follow-ups (2)"
    assert ui.follow_ups_summary.text() == "2 follow-ups due today or overdue · 1 overdue"
    table = ui.follow_ups_view
    rows = [(table.item(r, 0).text(), table.item(r, 1).text()) for r in range(table.rowCount())]
    # the date as the interface language writes it (older builds showed ISO dates)
    overdue_dates = {QLocale().toString(qdate(3), QLocale.FormatType.ShortFormat),
                     (dt.date.today() - dt.timedelta(days=3)).isoformat()}
    assert [text for _due, text in rows] == ["Unterlagen abholen", "Rückruf Schule"]
    assert rows[0][0] in {f"{d} (overdue)" for d in overdue_dates}
    assert rows[1][0] == "today"

    table.selectRow(0)
    qtbot.mouseClick(ui.follow_up_done, Qt.MouseButton.LeftButton)
    assert ui.tabs.tabText(2) == "&Follow-ups (1)"
    assert ui.follow_ups_summary.text() == "1 follow-up due today or overdue · 0 overdue"
    assert [table.item(r, 1).text() for r in range(table.rowCount())] == ["Rückruf Schule"]
    # the journal shows it as done
    row = journal_notes(window).index("Unterlagen abholen")
    assert window.model.data(window.model.index(row, 6)).endswith("(done)")

    table.selectRow(0)
    qtbot.mouseClick(ui.follow_up_done, Qt.MouseButton.LeftButton)
    assert ui.tabs.tabText(2) == "&Follow-ups (0)"
    assert table.rowCount() == 0


def test_show_entries_of_a_client_beyond_the_first_500(qtbot, open_window, data_dir):
    """The client filter lists 500 codes; "Show entries" must still filter by any client,
    and the filter must stay when the lists are refreshed (lock and unlock)."""
    from app.domain.entries import RecordMeta
    from app.services.demo import DemoGenerator
    from app.services.stores import create_store
    from app.store import repository as repo
    from app.store.engine import writing

    path = data_dir / "journal.db"
    journal = create_store(path, GUI_PASSPHRASE, name="Test Mediator", role="lead", kdf=GUI_FAST_KDF)
    pool = DemoGenerator(journal, seed=3).clients(520)
    for client in pool:
        client.meta = RecordMeta(created_at="2026-01-01T00:00:00.000Z", updated_at="2026-01-01T00:00:00.000Z",
                                 author="Test Mediator", device_id=journal.device_id)
    with writing(journal.engine) as conn:
        repo.insert_clients_bulk(conn, pool)
    last = max(pool, key=lambda c: c.code)  # sorted by code, so not among the first 500
    first = min(pool, key=lambda c: c.code)
    for client, note in ((last, "Eintrag des letzten Klienten"), (first, "Eintrag des ersten Klienten")):
        journal.save_entry(Consultation(start=days_ago(3), end=days_ago(3) + dt.timedelta(minutes=30),
                                        mediator="Test Mediator", setting="office", client_ids=[client.id],
                                        notes=note))
    journal.close()

    window = open_window(path)
    ui = window.ui
    assert ui.client_filter.findData(last.id) < 0  # only the first 500 are listed
    ui.tabs.setCurrentIndex(1)
    type_text(ui.client_search, last.code)
    assert ui.clients_view.rowCount() == 1
    ui.clients_view.selectRow(0)
    qtbot.mouseClick(ui.show_client_entries, Qt.MouseButton.LeftButton)
    assert ui.tabs.currentIndex() == 0
    assert ui.client_filter.currentText() == last.code
    assert shown(window) == {"Eintrag des letzten Klienten"}

    window.lock()
    from gui_fixtures import unlock

    unlock(qtbot, window)
    assert ui.client_filter.currentText() == last.code
    assert shown(window) == {"Eintrag des letzten Klienten"}
    assert window.current_filter() == window.model.filter


def test_first_run_with_two_different_passphrases_asks_for_both_again(qtbot, open_window, data_dir):
    window = open_window(data_dir / "new" / "journal.db", unlock_now=False)
    setup = window.setup
    assert window.ui.pages.currentWidget() is window.ui.setup_page
    setup.name.setText("Ana")
    setup.passphrase.setText("correct horse battery")
    setup.repeat.setText("correct horse batery")
    window.create_journal()
    assert setup.error.text() == "The two passphrases differ. Type them again."
    assert (setup.passphrase.text(), setup.repeat.text()) == ("", "")
    assert not (data_dir / "new" / "journal.db").exists()


def test_a_from_date_after_the_to_date_is_said(qtbot, open_window, seeded_store):
    path, _clients = seeded_store
    window = open_window(path)
    window.ui.date_to.setDate(qdate(12))
    window.ui.date_from.setDate(qdate(6))
    assert shown(window) == set()
    assert window.ui.statusbar.currentMessage() == "No entry can match: the From date is after the To date."


def test_a_retired_district_can_still_be_filtered_by(qtbot, open_window, seeded_store):
    from dataclasses import replace

    path, _clients = seeded_store
    window = open_window(path)
    journal = window.journal
    [haspe] = [v for v in journal.catalogs.values("districts") if v.code == "haspe"]
    journal.put_catalog_value(replace(haspe, active=False))  # a team lead retires it
    window._fill_filters()
    index = window.ui.place_filter.findData("district:haspe")
    assert index >= 0 and window.ui.place_filter.itemText(index) == "Haspe (retired)"
    window.ui.place_filter.setCurrentIndex(index)
    assert window.current_filter().district == "haspe"


def test_follow_ups_name_the_client_and_move_on_at_midnight(qtbot, open_window, monkeypatch):
    """The list did not say whom to call back, and it still said "today" the next morning in a
    window left open overnight."""
    from app.domain.entries import Client

    window = open_window()
    journal = window.journal
    family = journal.save_client(Client(code="HA-RUF-01"))
    from helpers.factories import consultation

    journal.save_entry(consultation(notes="x", client_ids=[family.id], follow_up="zurückrufen",
                                    follow_up_due=dt.date.today()))
    window.refresh_follow_ups()
    table = window.ui.follow_ups_view
    headers = [table.horizontalHeaderItem(c).text() for c in range(table.columnCount())]
    assert headers[:3] == ["Due", "Follow-up", "Clients"]
    assert [table.item(0, c).text() for c in range(3)] == ["today", "zurückrufen", "HA-RUF-01"]

    tomorrow = dt.date.today() + dt.timedelta(days=1)
    monkeypatch.setattr(window, "today", lambda: tomorrow)
    window._day_changed()  # what the minute timer runs
    assert table.item(0, 0).text().endswith("(overdue)")
    assert window.ui.follow_ups_summary.text().endswith("1 overdue")
