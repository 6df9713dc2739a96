"""Entries get a stable integer key (`seq`, an alias of the rowid, so it survives VACUUM), and the
full-text index is rebuilt keyed by it, contentless, with the entry type inside.

Why: the old index kept the entry's UUID in an UNINDEXED column, so every save scanned the whole
index to delete the entry's old row (33 ms median at 100,000 entries), and a filtered search
counted its matches by walking every entry of the type. Keyed by `seq`, both are index lookups.
Every live entry has exactly one index row (also with empty text), a tombstone has none.

Revision ID: 0003
Revises: 0002
"""

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

_COLUMNS = (
    "id, type, start, \"end\", day, mediator, district, school, setting, accompanied_to, format, teacher, "
    "social_worker, pupils_count, families_count, place_type, purpose, adults_reached, children_reached, "
    "languages, topics, referrals, partners, clients, outcome, follow_up, follow_up_due, follow_up_done, "
    "notes, created_at, updated_at, author, device_id, deleted_at"
)

_CREATE_ENTRIES = """
CREATE TABLE entries_new (
    seq INTEGER NOT NULL,
    id TEXT NOT NULL,
    type TEXT NOT NULL,
    start TEXT,
    "end" TEXT,
    day TEXT,
    mediator TEXT DEFAULT '' NOT NULL,
    district TEXT,
    school TEXT,
    setting TEXT,
    accompanied_to TEXT,
    format TEXT,
    teacher TEXT,
    social_worker TEXT,
    pupils_count INTEGER,
    families_count INTEGER,
    place_type TEXT,
    purpose TEXT,
    adults_reached INTEGER,
    children_reached INTEGER,
    languages TEXT DEFAULT '[]' NOT NULL,
    topics TEXT DEFAULT '[]' NOT NULL,
    referrals TEXT DEFAULT '[]' NOT NULL,
    partners TEXT DEFAULT '[]' NOT NULL,
    clients TEXT DEFAULT '[]' NOT NULL,
    outcome TEXT,
    follow_up TEXT DEFAULT '' NOT NULL,
    follow_up_due TEXT,
    follow_up_done INTEGER DEFAULT '0' NOT NULL,
    notes TEXT DEFAULT '' NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    author TEXT NOT NULL,
    device_id TEXT NOT NULL,
    deleted_at TEXT,
    PRIMARY KEY (seq),
    UNIQUE (id)
)
"""

FTS_CREATE = (
    "CREATE VIRTUAL TABLE entries_fts USING fts5("
    "kind, body, content='', contentless_delete=1, tokenize = 'unicode61 remove_diacritics 2')"
)


def upgrade() -> None:
    op.execute(_CREATE_ENTRIES)
    # Oldest first, so that seq follows the order entries were written in.
    op.execute(f"INSERT INTO entries_new ({_COLUMNS}) SELECT {_COLUMNS} FROM entries ORDER BY created_at, id")
    op.execute("DROP TABLE entries")
    op.execute("ALTER TABLE entries_new RENAME TO entries")
    op.execute("CREATE INDEX ix_entries_journal ON entries (deleted_at, start, id)")
    op.execute("CREATE INDEX ix_entries_type_start ON entries (type, start)")
    op.execute("CREATE INDEX ix_entries_day ON entries (day)")
    op.execute("CREATE INDEX ix_entries_district ON entries (district)")
    op.execute("CREATE INDEX ix_entries_school ON entries (school)")
    op.execute(
        "CREATE INDEX ix_entries_follow_up_open ON entries (follow_up_due) "
        "WHERE follow_up_done = 0 AND follow_up_due IS NOT NULL AND deleted_at IS NULL"
    )
    op.execute("DROP TABLE entries_fts")
    op.execute(FTS_CREATE)
    op.execute(
        "INSERT INTO entries_fts (rowid, kind, body) "
        "SELECT seq, type, trim(notes || char(10) || follow_up, char(10)) FROM entries WHERE deleted_at IS NULL"
    )


def downgrade() -> None:
    raise NotImplementedError("stores are never downgraded; restore the backup instead")
