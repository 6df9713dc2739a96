"""Initial schema: entries, clients, reference catalogs, full-text index.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def _record_columns():
    return [
        sa.Column("created_at", sa.Text, nullable=False),
        sa.Column("updated_at", sa.Text, nullable=False),
        sa.Column("author", sa.Text, nullable=False),
        sa.Column("device_id", sa.Text, nullable=False),
        sa.Column("deleted_at", sa.Text),
    ]


def upgrade() -> None:
    op.create_table("meta", sa.Column("key", sa.Text, primary_key=True), sa.Column("value", sa.Text, nullable=False))
    op.create_table(
        "entries",
        sa.Column("id", sa.Text, primary_key=True),
        sa.Column("type", sa.Text, nullable=False),
        sa.Column("start", sa.Text),
        sa.Column("end", sa.Text),
        sa.Column("day", sa.Text),
        sa.Column("mediator", sa.Text, nullable=False, server_default=""),
        sa.Column("district", sa.Text),
        sa.Column("school", sa.Text),
        sa.Column("setting", sa.Text),
        sa.Column("accompanied_to", sa.Text),
        sa.Column("format", sa.Text),
        sa.Column("teacher", sa.Text),
        sa.Column("social_worker", sa.Text),
        sa.Column("pupils_count", sa.Integer),
        sa.Column("families_count", sa.Integer),
        sa.Column("place_type", sa.Text),
        sa.Column("purpose", sa.Text),
        sa.Column("adults_reached", sa.Integer),
        sa.Column("children_reached", sa.Integer),
        sa.Column("languages", sa.Text, nullable=False, server_default="[]"),
        sa.Column("topics", sa.Text, nullable=False, server_default="[]"),
        sa.Column("referrals", sa.Text, nullable=False, server_default="[]"),
        sa.Column("partners", sa.Text, nullable=False, server_default="[]"),
        sa.Column("clients", sa.Text, nullable=False, server_default="[]"),
        sa.Column("outcome", sa.Text),
        sa.Column("follow_up", sa.Text, nullable=False, server_default=""),
        sa.Column("follow_up_due", sa.Text),
        sa.Column("follow_up_done", sa.Integer, nullable=False, server_default="0"),
        sa.Column("notes", sa.Text, nullable=False, server_default=""),
        *_record_columns(),
    )
    op.create_index("ix_entries_journal", "entries", ["deleted_at", "start", "id"])
    op.create_index("ix_entries_type_start", "entries", ["type", "start"])
    op.create_index("ix_entries_day", "entries", ["day"])
    op.create_index("ix_entries_district", "entries", ["district"])
    op.create_index("ix_entries_school", "entries", ["school"])
    op.create_index(
        "ix_entries_follow_up_open",
        "entries",
        ["follow_up_due"],
        sqlite_where=sa.text("follow_up_done = 0 AND follow_up_due IS NOT NULL AND deleted_at IS NULL"),
    )
    op.create_table(
        "entry_clients",
        sa.Column("entry_id", sa.Text, primary_key=True),
        sa.Column("client_id", sa.Text, primary_key=True),
    )
    op.create_index("ix_entry_clients_client", "entry_clients", ["client_id"])
    op.create_table(
        "clients",
        sa.Column("id", sa.Text, primary_key=True),
        sa.Column("code", sa.Text, nullable=False, unique=True),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("name", sa.Text, nullable=False, server_default=""),
        sa.Column("birth_year", sa.Integer),
        sa.Column("contact", sa.Text, nullable=False, server_default=""),
        sa.Column("languages", sa.Text, nullable=False, server_default="[]"),
        sa.Column("consent_date", sa.Text),
        sa.Column("consent_scopes", sa.Text, nullable=False, server_default="[]"),
        sa.Column("notes", sa.Text, nullable=False, server_default=""),
        *_record_columns(),
    )
    op.create_table(
        "catalog_values",
        sa.Column("catalog", sa.Text, primary_key=True),
        sa.Column("code", sa.Text, primary_key=True),
        sa.Column("label", sa.Text, nullable=False),
        sa.Column("labels", sa.Text, nullable=False, server_default="{}"),
        sa.Column("active", sa.Integer, nullable=False, server_default="1"),
        sa.Column("sort", sa.Integer, nullable=False, server_default="0"),
        sa.Column("updated_at", sa.Text, nullable=False),
    )
    op.execute(
        "CREATE VIRTUAL TABLE entries_fts USING fts5("
        "entry_id UNINDEXED, body, tokenize = 'unicode61 remove_diacritics 2')"
    )


def downgrade() -> None:
    raise NotImplementedError("stores are never downgraded; restore the backup instead")
