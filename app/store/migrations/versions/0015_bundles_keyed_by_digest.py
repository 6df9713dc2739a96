"""A workstation's bundle number may come twice, with different content.

Why: a workstation restored from a backup numbers its bundles from where the backup stood. A
bundle it wrote before the restore (on a USB stick still on its way, say) and one it wrote after
can carry the same number. Both are signed by it and hold real changes, and the merge takes any
change once, whatever the order; but `sync_bundles` was keyed by (sender, seq), so the second to
arrive was refused as "replayed" and, when it was the one from before the restore, its changes
were lost. The key now includes the file's digest; the same file imported again is still known
by it. `created_hlc` (the sender's hybrid clock when it wrote the bundle, 0 for bundles imported
before) tells which bundle of a sender is its newest: the wall-clock `created_at` cannot, once a
laptop's clock was ahead and then set right.

Revision ID: 0015
Revises: 0014
"""

from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """CREATE TABLE sync_bundles_new (
    sender TEXT NOT NULL,
    seq INTEGER NOT NULL,
    digest TEXT NOT NULL,
    first INTEGER NOT NULL,
    last INTEGER NOT NULL,
    changes INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    imported_at TEXT NOT NULL,
    created_hlc INTEGER DEFAULT 0 NOT NULL,
    PRIMARY KEY (sender, seq, digest)
)"""
    )
    op.execute("INSERT INTO sync_bundles_new (sender, seq, digest, first, last, changes, created_at, imported_at) "
               "SELECT sender, seq, digest, first, last, changes, created_at, imported_at FROM sync_bundles")
    op.execute("DROP TABLE sync_bundles")
    op.execute("ALTER TABLE sync_bundles_new RENAME TO sync_bundles")


def downgrade() -> None:
    raise NotImplementedError("stores are never downgraded; restore the backup instead")
