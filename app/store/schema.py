"""Table definitions (SQLAlchemy Core) for the current schema version.

Migrations in `app/store/migrations/versions/` are frozen copies of how each
version got here; this module is what the running code reads and writes.
"""

from __future__ import annotations

from sqlalchemy import Column, Index, Integer, MetaData, Table, Text, text

metadata = MetaData()

meta = Table(
    "meta",
    metadata,
    Column("key", Text, primary_key=True),
    Column("value", Text, nullable=False),
)

entries = Table(
    "entries",
    metadata,
    # Stable integer key (an alias of SQLite's rowid): the full-text index is keyed by it.
    Column("seq", Integer, primary_key=True),
    Column("id", Text, nullable=False, unique=True),
    Column("type", Text, nullable=False),
    Column("start", Text),  # local wall-clock time, YYYY-MM-DDTHH:MM
    Column("end", Text),
    Column("day", Text),  # YYYY-MM-DD of start, for date filters
    Column("mediator", Text, nullable=False, server_default=""),
    Column("district", Text),
    Column("school", Text),
    Column("setting", Text),
    Column("accompanied_to", Text),
    Column("format", Text),
    Column("teacher", Text),
    Column("social_worker", Text),
    Column("pupils_count", Integer),
    Column("families_count", Integer),
    Column("place_type", Text),
    Column("purpose", Text),
    Column("adults_reached", Integer),
    Column("children_reached", Integer),
    Column("languages", Text, nullable=False, server_default="[]"),  # JSON lists of catalog codes
    Column("topics", Text, nullable=False, server_default="[]"),
    Column("referrals", Text, nullable=False, server_default="[]"),
    Column("partners", Text, nullable=False, server_default="[]"),
    Column("clients", Text, nullable=False, server_default="[]"),  # JSON list of client ids
    Column("outcome", Text),
    Column("follow_up", Text, nullable=False, server_default=""),
    Column("follow_up_due", Text),
    Column("follow_up_done", Integer, nullable=False, server_default="0"),
    Column("notes", Text, nullable=False, server_default=""),
    Column("created_at", Text, nullable=False),
    Column("updated_at", Text, nullable=False),
    Column("author", Text, nullable=False),
    Column("device_id", Text, nullable=False),
    Column("deleted_at", Text),  # set on a content-free tombstone
)
Index("ix_entries_journal", entries.c.deleted_at, entries.c.start, entries.c.id)
Index("ix_entries_type_start", entries.c.type, entries.c.start)
Index("ix_entries_day", entries.c.day)
Index("ix_entries_district", entries.c.district)
Index("ix_entries_school", entries.c.school)
Index(
    "ix_entries_follow_up_open",
    entries.c.follow_up_due,
    sqlite_where=text("follow_up_done = 0 AND follow_up_due IS NOT NULL AND deleted_at IS NULL"),
)

entry_clients = Table(
    "entry_clients",
    metadata,
    Column("entry_id", Text, primary_key=True),
    Column("client_id", Text, primary_key=True),
)
Index("ix_entry_clients_client", entry_clients.c.client_id)

clients = Table(
    "clients",
    metadata,
    Column("id", Text, primary_key=True),
    Column("code", Text, nullable=False, unique=True),
    Column("kind", Text, nullable=False),
    Column("name", Text, nullable=False, server_default=""),
    Column("birth_year", Integer),
    Column("contact", Text, nullable=False, server_default=""),
    Column("languages", Text, nullable=False, server_default="[]"),
    Column("consent_date", Text),
    Column("consent_scopes", Text, nullable=False, server_default="[]"),
    Column("notes", Text, nullable=False, server_default=""),
    Column("created_at", Text, nullable=False),
    Column("updated_at", Text, nullable=False),
    Column("author", Text, nullable=False),
    Column("device_id", Text, nullable=False),
    Column("deleted_at", Text),
)

catalog_values = Table(
    "catalog_values",
    metadata,
    Column("catalog", Text, primary_key=True),
    Column("code", Text, primary_key=True),
    Column("label", Text, nullable=False),
    Column("labels", Text, nullable=False, server_default="{}"),  # JSON {language: label}
    Column("active", Integer, nullable=False, server_default="1"),
    Column("sort", Integer, nullable=False, server_default="0"),
    Column("updated_at", Text, nullable=False),
)

# Full-text index over free text, keyed by entries.seq; kept in step by the repository in the
# same transaction. Contentless: it holds no readable copy of the notes. Every live entry has one
# row (`kind` = its type, so a typed search counts inside the index); a tombstone has none.
FTS_CREATE = (
    "CREATE VIRTUAL TABLE entries_fts USING fts5("
    "kind, body, content='', contentless_delete=1, tokenize = 'unicode61 remove_diacritics 2')"
)

drafts = Table(
    "drafts",
    metadata,
    Column("key", Text, primary_key=True),
    Column("payload", Text, nullable=False),
    Column("updated_at", Text, nullable=False),
)
