"""Sync: per-field versions (hybrid logical clocks), the device change log, conflicts,
enrolled peers and imported bundles. Existing records get a version stamped from their
`updated_at`, so a journal that joins a team later still syncs what it holds.

Revision ID: 0004
Revises: 0003
"""

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """CREATE TABLE sync_clock (
    tbl TEXT NOT NULL,
    rid TEXT NOT NULL,
    origin TEXT NOT NULL,
    lseq INTEGER NOT NULL,
    clocks TEXT NOT NULL,
    erased INTEGER DEFAULT 0 NOT NULL,
    PRIMARY KEY (tbl, rid)
) WITHOUT ROWID"""
    )
    op.execute("CREATE INDEX ix_sync_clock_origin_lseq ON sync_clock (origin, lseq)")
    op.execute(
        """CREATE TABLE sync_log (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    tbl TEXT NOT NULL,
    rid TEXT NOT NULL,
    field TEXT NOT NULL,
    value,
    hlc INTEGER NOT NULL,
    base INTEGER NOT NULL
)"""
    )
    op.execute("CREATE INDEX ix_sync_log_record ON sync_log (tbl, rid)")
    op.execute(
        """CREATE TABLE sync_conflicts (
    id INTEGER PRIMARY KEY,
    tbl TEXT NOT NULL,
    rid TEXT NOT NULL,
    field TEXT NOT NULL,
    loser_hlc INTEGER NOT NULL,
    loser_dev TEXT NOT NULL,
    loser_value,
    kind TEXT NOT NULL,
    detected_at TEXT NOT NULL,
    UNIQUE (tbl, rid, field, loser_hlc, loser_dev)
)"""
    )
    op.execute(
        """CREATE TABLE sync_peers (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    device_id TEXT UNIQUE,
    user_name TEXT DEFAULT '' NOT NULL,
    language TEXT DEFAULT '' NOT NULL,
    sign_public BLOB,
    enc_public BLOB,
    verifier BLOB,
    state TEXT NOT NULL,
    provisioned_at TEXT,
    enrolled_at TEXT,
    revoked_at TEXT,
    ack INTEGER DEFAULT 0 NOT NULL,
    ack_sent INTEGER,
    last_import_at TEXT
)"""
    )
    op.execute(
        """CREATE TABLE sync_bundles (
    sender TEXT NOT NULL,
    seq INTEGER NOT NULL,
    digest TEXT NOT NULL,
    first INTEGER NOT NULL,
    last INTEGER NOT NULL,
    changes INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    imported_at TEXT NOT NULL,
    PRIMARY KEY (sender, seq)
)"""
    )
    # Versions for what a journal already holds: stamped at its last change, by this device.
    stamp = "((CAST(strftime('%s', substr(updated_at, 1, 19)) AS INTEGER) * 1000) << 16)"
    device = "(SELECT value FROM meta WHERE key = 'device_id')"
    clock = f"json_object('*', json_array({stamp}, {device}, 0, 1))"
    op.execute(
        f"INSERT INTO sync_clock (tbl, rid, origin, lseq, clocks) SELECT 'entries', id, {device}, 1, {clock} "
        "FROM entries"
    )
    op.execute(
        f"INSERT INTO sync_clock (tbl, rid, origin, lseq, clocks) SELECT 'clients', id, {device}, 1, {clock} "
        "FROM clients"
    )
    op.execute(
        "INSERT INTO sync_clock (tbl, rid, origin, lseq, clocks) SELECT 'catalog_values', catalog || '/' || code, "
        f"'*', 1, {clock} FROM catalog_values"
    )
    op.execute(
        "INSERT OR REPLACE INTO meta (key, value) SELECT 'sync.hlc', "
        f"coalesce(max({stamp}), 0) FROM (SELECT updated_at FROM entries UNION ALL SELECT updated_at FROM clients "
        "UNION ALL SELECT updated_at FROM catalog_values)"
    )
    op.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('sync.lseq', '1')")


def downgrade() -> None:
    raise NotImplementedError("stores are never downgraded; restore the backup instead")
