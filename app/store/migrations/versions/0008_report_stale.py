"""The reporting tables are brought up to date when a report reads them, not inside every save.

Why: the triggers of migration 0006 rewrote an entry's `report_facts` and `report_mentions` rows
inside the save itself. Those rows sit in four B-trees ordered by day and by code, so one save
touched a dozen pages spread over them, and each page is decrypted when read and encrypted when
written: a save at 100,000 entries cost 1.3-1.4x its plain-SQLite time (goal 1.2x). Now a save
only notes the entry's key in `report_stale` (one page, appended), and whoever reads the
reporting tables first brings the noted entries up to date in one short transaction
(app/store/reporting.py `catch_up`), computed exactly as the triggers computed them.

`report_stale(seq, day)`: an entry whose reporting rows are out of date; `day` is the day its
current rows are filed under (NULL: it has none), i.e. the day it had when it was first noted.
Later changes keep that first day, so catching up deletes the right rows. Like the triggers of
0006, these use no conflict clause (the statement that fires them could override it).

`ix_entries_day` goes too: since 0006 reports read `day` from the reporting tables, nothing reads
it from `entries`, and every save wrote a page of it.

Revision ID: 0008
Revises: 0007
"""

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

REPORTED_COLUMNS = (
    "type", "author", "setting", "accompanied_to", "district", "school", "format", "purpose", "day",
    "pupils_count", "families_count", "adults_reached", "children_reached", "languages", "topics", "referrals",
    "partners", "deleted_at",
)


def _note(name: str, event: str, row: str, day: str, when: str = "") -> str:
    return (
        f"CREATE TRIGGER {name} AFTER {event} ON entries WHEN NOT EXISTS (SELECT 1 FROM report_pause){when}\n"
        f"BEGIN\n    INSERT INTO report_stale (seq, day) SELECT {row}.seq, {day} "
        f"WHERE NOT EXISTS (SELECT 1 FROM report_stale WHERE seq = {row}.seq);\nEND"
    )


def upgrade() -> None:
    op.execute("DROP INDEX ix_entries_day")
    op.execute("CREATE TABLE report_stale (seq INTEGER PRIMARY KEY, day TEXT)")
    for name in ("report_facts_insert", "report_facts_delete", "report_facts_update"):
        op.execute(f"DROP TRIGGER {name}")
    op.execute(_note("report_stale_insert", "INSERT", "new", "NULL"))
    op.execute(_note("report_stale_delete", "DELETE", "old", "old.day"))
    # Only when a reported value changes: a save of the notes alone notes nothing.
    changed = " OR ".join(f'old."{c}" IS NOT new."{c}"' for c in REPORTED_COLUMNS)
    op.execute(_note("report_stale_update", f"UPDATE OF {', '.join(REPORTED_COLUMNS)}", "old", "old.day",
                     f" AND ({changed})"))


def downgrade() -> None:
    raise NotImplementedError("stores are never downgraded; restore the backup instead")
