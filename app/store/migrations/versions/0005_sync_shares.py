"""Sync shares: the team lead's list of records shared with a workstation that did not create
them (a client seen by two mediators, and the entries that link to that client).

One row per (record, workstation). `since` is the lead's change number when the share began:
until the workstation has acknowledged that number, the lead sends the record whole, afterwards
only its changes. `unshared_at` is set when the share ends: the row stays, so that an erasure of
the person still reaches the workstation that had the record.

Revision ID: 0005
Revises: 0004
"""

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """CREATE TABLE sync_shares (
    tbl TEXT NOT NULL,
    rid TEXT NOT NULL,
    device_id TEXT NOT NULL,
    shared_at TEXT NOT NULL,
    since INTEGER NOT NULL,
    unshared_at TEXT,
    PRIMARY KEY (tbl, rid, device_id)
) WITHOUT ROWID"""
    )
    op.execute("CREATE INDEX ix_sync_shares_device ON sync_shares (device_id, tbl)")


def downgrade() -> None:
    raise NotImplementedError("stores are never downgraded; restore the backup instead")
