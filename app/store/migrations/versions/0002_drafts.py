"""Drafts: half-typed forms, kept inside the encrypted store so they survive a crash or
a lock without ever touching the disk in plaintext.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "drafts",
        sa.Column("key", sa.Text, primary_key=True),
        sa.Column("payload", sa.Text, nullable=False),  # JSON of the form's fields
        sa.Column("updated_at", sa.Text, nullable=False),
    )


def downgrade() -> None:
    raise NotImplementedError("stores are never downgraded; restore the backup instead")
