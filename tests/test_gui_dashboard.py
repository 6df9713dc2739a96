"""The team-lead dashboard, offscreen: known numbers in charts and their tables, filters,
refresh after a merge, every language rendered, no personal data on screen, and the menu
hook in the main window (team leads only, closed by the lock)."""

from __future__ import annotations

import datetime as dt

import pytest
from PySide6.QtCore import QDate, Qt
from gui_fixtures import *  # noqa: F403 (fixtures and helpers)
from gui_fixtures import make_store, widget_texts
from helpers.factories import consultation, tandem
from test_reports import MARCH, SECRETS, known  # noqa: F401 (fixture)

from app.domain.entries import RecordMeta
from app.domain.ids import uuid7
from app.i18n import LANGUAGES, set_language
from app.store import repository as repo
from app.store.engine import writing

TODAY = dt.date(2025, 3, 31)


def merged_in(journal, author: str, entries) -> None:
    """Entries of another team member, written as a merge writes them."""
    stamp = "2025-04-01T10:00:00.000Z"
    for entry in entries:
        entry.id = uuid7()
        entry.meta = RecordMeta(created_at=stamp, updated_at=stamp, author=author, device_id="device-b")
    with writing(journal.engine) as conn:
        repo.insert_entries_bulk(conn, list(entries))


@pytest.fixture
def dashboard(qtbot, known):  # noqa: F811
    from app.ui.dashboard import Dashboard
    from app.ui.tasks import TaskRunner

    overdue = consultation(start=dt.datetime(2025, 3, 5, 9), end=dt.datetime(2025, 3, 5, 10),
                           follow_up="Unterlagen", follow_up_due=dt.date(2025, 3, 20))
    known.save_entry(overdue, now=dt.datetime(2025, 3, 5, 12))
    runner = TaskRunner()
    board = Dashboard(known, runner, today=TODAY)
    qtbot.addWidget(board)
    board.show()
    settle(qtbot, board)
    board.set_period(MARCH)
    settle(qtbot, board)
    yield board
    board.close()
    runner.wait(5000)
    runner.pool.shutdown(wait=True)


def settle(qtbot, board) -> None:
    qtbot.waitUntil(lambda: not board.runner.busy() and board.data is not None, timeout=15000)
    qtbot.wait(10)


def table_cells(card) -> dict[tuple[str, str], str]:
    t = card.table
    return {(t.verticalHeaderItem(r).text(), t.horizontalHeaderItem(c).text()): t.item(r, c).text()
            for r in range(t.rowCount()) for c in range(t.columnCount())}


def test_known_numbers_in_charts_and_tables(dashboard, qtbot):
    weeks = dict(dashboard.cards["weeks"].series)
    assert sum(weeks["Consultation"]) == 20 and sum(weeks["Tandem session"]) == 18
    assert sum(weeks["Outreach visit"]) == 13
    schools = table_cells(dashboard.cards["schools"])
    assert schools[("Primary school 1", "Tandem (mediator and teacher)")] == "6"
    assert schools[("Primary school 1", "Tridem (with school social worker)")] == "5"
    assert schools[("Total", "Total")] == "18"
    outreach = table_cells(dashboard.cards["outreach"])
    assert outreach[("Wehringhausen", "Prevention before events or holidays")] == "8"
    people = dict(zip(dashboard.cards["people"].categories, dashboard.cards["people"].series[0][1]))
    assert people["Adults met on outreach"] == 76 and people["Pupils in school sessions"] == 36
    referrals = table_cells(dashboard.cards["referrals"])
    assert referrals[("Jobcentre (SGB II)", "Referrals")] == "10"
    # the numbers are one click away
    card = dashboard.cards["languages"]
    assert card.stack.currentWidget() is card.view
    qtbot.mouseClick(card.toggle, Qt.MouseButton.LeftButton)
    assert card.stack.currentWidget() is card.table and card.table.rowCount() > 1
    follow = dashboard.follow_ups
    assert [follow.item(0, c).text() for c in range(4)] == ["Test Mediator", "1", "0", "0"]


def test_a_newly_opened_dashboard_offers_every_team_member(qtbot, known):  # noqa: F811
    from app.ui.dashboard import Dashboard
    from app.ui.tasks import TaskRunner

    merged_in(known, "B. Ivanova", [tandem(start=dt.datetime(2025, 3, 20, 8), school="gs3") for _ in range(2)])
    runner = TaskRunner()
    board = Dashboard(known, runner, today=TODAY)
    qtbot.addWidget(board)
    try:
        qtbot.waitUntil(lambda: board.member.count() > 1, timeout=5000)
        members = [board.member.itemText(i) for i in range(board.member.count())]
        assert members[0] == "Whole team" and "B. Ivanova" in members
    finally:
        board.close()
        runner.wait(5000)
        runner.pool.shutdown(wait=True)


def test_filters_and_refresh_after_a_merge(dashboard, qtbot):
    merged_in(dashboard.journal, "B. Ivanova", [tandem(start=dt.datetime(2025, 3, 20, 8), school="gs3",
                                                       format="tridem") for _ in range(4)])
    dashboard.refresh()  # what the sync view calls after a merge
    settle(qtbot, dashboard)
    assert table_cells(dashboard.cards["schools"])[("Primary school 3", "Total")] == "4"
    qtbot.waitUntil(lambda: dashboard.member.findData("B. Ivanova") >= 0, timeout=5000)
    dashboard.member.setCurrentIndex(dashboard.member.findData("B. Ivanova"))
    settle(qtbot, dashboard)
    assert sum(dict(dashboard.cards["weeks"].series)["Tandem session"]) == 4
    assert sum(dict(dashboard.cards["weeks"].series)["Consultation"]) == 0
    dashboard.member.setCurrentIndex(0)
    dashboard.entry_type.setCurrentIndex(dashboard.entry_type.findData("outreach_visit"))
    settle(qtbot, dashboard)
    weeks = dict(dashboard.cards["weeks"].series)
    assert sum(weeks["Outreach visit"]) == 13 and sum(weeks["Tandem session"]) == 0
    # period controls: previous month has nothing, a custom range back to March has it all
    dashboard.entry_type.setCurrentIndex(0)
    dashboard.previous.click()
    settle(qtbot, dashboard)
    assert dashboard.period.first == dt.date(2025, 2, 1) and dashboard.data.facts.total_entries() == 0
    dashboard.period_kind.setCurrentIndex(dashboard.period_kind.findData("custom"))
    dashboard.first_day.setDate(QDate(2025, 3, 1))
    dashboard.last_day.setDate(QDate(2025, 3, 31))
    settle(qtbot, dashboard)
    assert dashboard.data.facts.total_entries() == 55


def test_export_from_the_dashboard(dashboard, qtbot, tmp_path):
    done = []
    dashboard.export_report(str(tmp_path / "r.xlsx"), done=done.append)
    qtbot.waitUntil(lambda: bool(done), timeout=15000)
    assert (tmp_path / "r.xlsx").stat().st_size > 3000
    assert dashboard.status.text() == "The report was saved."

    # With a type chosen the dashboard counts fewer entries than the report does: it says so.
    dashboard.entry_type.setCurrentIndex(dashboard.entry_type.findData("outreach_visit"))
    settle(qtbot, dashboard)
    dashboard.export_report(str(tmp_path / "r.csv"), done=done.append)
    qtbot.waitUntil(lambda: len(done) == 2, timeout=15000)
    assert "covers the whole team and every entry type" in dashboard.status.text()


@pytest.mark.parametrize("language", LANGUAGES)
def test_rendered_in_each_language_without_personal_data(dashboard, qtbot, language, tmp_path):
    from app.ui.translator import apply_language

    set_language(language)
    apply_language(language)
    qtbot.wait(20)
    dashboard.retranslate()
    image = tmp_path / f"dashboard-{language}.png"
    assert dashboard.grab().save(str(image))
    assert image.stat().st_size > 20000
    texts = widget_texts(dashboard)
    for card in dashboard.cards.values():
        texts += card.categories + [name for name, _v in card.series]
    joined = "\n".join(texts)
    for secret in SECRETS:
        assert secret not in joined
    if language != "en":
        assert "Consultation" not in [name for name, _v in dashboard.cards["weeks"].series]
    apply_language("en")
    set_language("en")


def test_main_window_menu_for_team_leads_only(open_window, data_dir, qtbot):
    lead = open_window()
    assert lead.act_dashboard.isVisible() and lead.act_dashboard.isEnabled()
    lead.act_dashboard.trigger()
    qtbot.waitUntil(lambda: lead.dashboard is not None and lead.dashboard.data is not None, timeout=15000)
    lead.lock()  # the dashboard does not stay open (or in memory) behind the lock
    qtbot.waitUntil(lambda: lead.dashboard is None, timeout=5000)
    mediator = open_window(make_store(data_dir / "mediator.db", role="mediator"))
    assert not mediator.act_dashboard.isVisible()
    mediator.open_dashboard()
    assert mediator.dashboard is None
