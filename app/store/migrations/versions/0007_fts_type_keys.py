"""The full-text index is keyed by type and seq, and loses its `kind` column.

Why: a search for consultations had to intersect the searched word's match list with the match
list of `kind : consultation` (60,000 rowids at 100,000 entries); list + count took 5.9-6.0 ms
against a 5 ms goal. Now the key is `type number << 40 | seq` (1 consultation, 2 tandem session,
3 outreach visit, 0 anything else), so one type is one key range and FTS5 seeks to it inside the
word's own match list (list + count 1.8 ms faster, docs/benchmarks.md). The rows are written in
key order and the index compacted once, as after any bulk write.

Revision ID: 0007
Revises: 0006
"""

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

FTS_CREATE = (
    "CREATE VIRTUAL TABLE entries_fts USING fts5("
    "body, content='', contentless_delete=1, tokenize = 'unicode61 remove_diacritics 2')"
)
_KEY = (
    "((CASE type WHEN 'consultation' THEN 1 WHEN 'tandem_session' THEN 2 WHEN 'outreach_visit' THEN 3 ELSE 0 END)"
    " << 40) | seq"
)


def upgrade() -> None:
    op.execute("DROP TABLE entries_fts")
    op.execute(FTS_CREATE)
    op.execute(
        f"INSERT INTO entries_fts (rowid, body) SELECT {_KEY} AS k, trim(notes || char(10) || follow_up, char(10)) "
        "FROM entries WHERE deleted_at IS NULL ORDER BY k"
    )
    op.execute("INSERT INTO entries_fts (entries_fts) VALUES ('optimize')")


def downgrade() -> None:
    raise NotImplementedError("stores are never downgraded; restore the backup instead")
