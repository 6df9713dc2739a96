"""A deleted entry, and a value that lost in a conflict, remember the people they were about.

Why: a deletion clears an entry's links to its clients (the tombstone is content-free), so when
the entry was deleted on every journal before one of those people was erased, the erasure could
not find it. On the team lead its conflict records stayed, and one that holds a value that lost
against the deletion (the person's notes, say) could even restore it. `entry_former_clients` keeps
the links a deletion clears, and clients an edit took off an entry. `sync_conflicts.about`
records everyone a losing edit may be about (whom the entry was about, before its deletion or
before an edit took them off, and whom the merge put on it): an erasure drops, and an access file
lists, a person's conflict records by it, also after the lead chose Keep on the list of clients
of the same edit. Entries deleted before this revision have no such record.

Revision ID: 0016
Revises: 0015
"""

from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        "CREATE TABLE entry_former_clients (entry_id TEXT NOT NULL, client_id TEXT NOT NULL, "
        "at_deletion INTEGER DEFAULT 1 NOT NULL, PRIMARY KEY (entry_id, client_id)) WITHOUT ROWID"
    )
    op.execute("CREATE INDEX ix_entry_former_clients_client ON entry_former_clients (client_id)")
    op.execute("ALTER TABLE sync_conflicts ADD COLUMN about TEXT")


def downgrade() -> None:
    raise NotImplementedError("stores are never downgraded; restore the backup instead")
