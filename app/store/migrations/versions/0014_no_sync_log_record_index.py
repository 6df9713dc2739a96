"""The index of a workstation's change log by record goes.

Why: a workstation enrolled in a team logs every field change in `sync_log` until the lead
acknowledges it, 33 rows for a new entry. `ix_sync_log_record (tbl, rid)` grew at its right end
with every save, and SQLite appends to an index b-tree by rebalancing the last leaf with its two
neighbours and their parent: 4.3 pages per save at 100,000 entries, over a fifth of what a save
writes on a workstation (28.4 pages; 19.7 on a store outside a team). Only an erasure looked rows
up by record, and the log holds just the changes not yet acknowledged, so it now reads the log
once per erasure instead (app/sync/replica.py `_erase`). The bundle export and the pending count
read the log by `seq`, the rowid.

Revision ID: 0014
Revises: 0013
"""

from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("DROP INDEX ix_sync_log_record")


def downgrade() -> None:
    raise NotImplementedError("stores are never downgraded; restore the backup instead")
