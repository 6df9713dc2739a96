"""The full-text index's keys sort each entry type newest first.

Why: a search lists the newest 50 matching entries. With keys `type << 40 | seq` (0007), SQLite
had to collect every match into a temporary set (8,009 for "Jobcenter" among 100,000 entries)
and walk the journal index against it: 1.8 ms of a 2.5 ms search, and 3 ms when the machine
is busy. Now a key is

    type number << 61 | (2^26 - 1 - minutes since 1970 of start) << 35 | seq

so inside one type's key range ascending keys are newest first, and a search reads the first
50 or so rowids of the word's match list and stops (docs/benchmarks.md). A type is still one
contiguous key range, so typed counts stay inside the index. The rows are rewritten in key
order and the index compacted once, as after any bulk write.

Revision ID: 0009
Revises: 0008
"""

from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

# Frozen copy of app/store/search_index.py KEY_SQL at this revision.
_KEY = (
    "((CASE type WHEN 'consultation' THEN 1 WHEN 'tandem_session' THEN 2 WHEN 'outreach_visit' THEN 3 ELSE 0 END)"
    " << 61)"
    " | ((67108863 - min(max(coalesce(CAST(strftime('%s', start) AS INTEGER) / 60, 0), 0), 67108863)) << 35)"
    " | seq"
)


def upgrade() -> None:
    op.execute("INSERT INTO entries_fts (entries_fts) VALUES ('delete-all')")
    op.execute(
        f"INSERT INTO entries_fts (rowid, body) SELECT {_KEY} AS k, "
        "trim(coalesce(notes, '') || char(10) || coalesce(follow_up, ''), char(10)) "
        "FROM entries WHERE deleted_at IS NULL ORDER BY k"
    )
    op.execute("INSERT INTO entries_fts (entries_fts) VALUES ('optimize')")


def downgrade() -> None:
    raise NotImplementedError("stores are never downgraded; restore the backup instead")
