"""Table definitions (SQLAlchemy Core) for the current schema version.

Migrations in `app/store/migrations/versions/` are frozen copies of how each
version got here; this module is what the running code reads and writes.
"""

from __future__ import annotations

from sqlalchemy import Column, Index, Integer, LargeBinary, MetaData, Table, Text, UniqueConstraint, text
from sqlalchemy.types import NullType

metadata = MetaData()

meta = Table(
    "meta",
    metadata,
    Column("key", Text, primary_key=True),
    Column("value", Text, nullable=False),
)
# Every save writes meta keys (the sync clock and counter, the last district), from the repository
# and from the sync replica alike: one statement, run on the driver connection.
META_UPSERT = "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value"

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
# The type rides along so that type filters and typed counts read this index alone (0010).
Index("ix_entries_journal", entries.c.deleted_at, entries.c.start, entries.c.id, entries.c.type)
# Live entries only, in the journal's order, with their type: a filter by place reads the index
# and only the table rows it shows (0011). Entries without that place stay out (0012): every
# entry type has one of the two places, so each save used to write a NULL key nobody reads.
Index("ix_entries_district", entries.c.district, entries.c.start, entries.c.id, entries.c.type,
      sqlite_where=text("deleted_at IS NULL AND district IS NOT NULL"))
Index("ix_entries_school", entries.c.school, entries.c.start, entries.c.id, entries.c.type,
      sqlite_where=text("deleted_at IS NULL AND school IS NOT NULL"))
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
    sqlite_with_rowid=False,
)
Index("ix_entry_clients_client", entry_clients.c.client_id)

# The people an entry was about and is no longer: its links at its deletion, which a tombstone no
# longer has, and clients an edit took off it. A conflict found later counts them among whom the
# losing edit may be about (sync_conflicts.about), so an erasure of one of them takes it; "Take"
# restores a deleted entry about those linked at the deletion. Local bookkeeping, never synced
# (migration 0016).
entry_former_clients = Table(
    "entry_former_clients",
    metadata,
    Column("entry_id", Text, primary_key=True),
    Column("client_id", Text, primary_key=True),
    # 1: linked when the entry was deleted (Take restores these); 0: taken off it by an earlier edit
    Column("at_deletion", Integer, nullable=False, server_default=text("1")),
    sqlite_with_rowid=False,
)
Index("ix_entry_former_clients_client", entry_former_clients.c.client_id)
# Records a client an entry was about and no longer is: (entry_id, client_id, at_deletion); 1 wins.
FORMER_CLIENT = ("INSERT INTO entry_former_clients (entry_id, client_id, at_deletion) VALUES (?, ?, ?) "
                 "ON CONFLICT (entry_id, client_id) DO UPDATE SET at_deletion = max(at_deletion, excluded.at_deletion)")

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

# Full-text index over free text; kept in step by app/store/search_index.py in the same
# transaction. Contentless: it holds no readable copy of the notes. Every live entry has one row,
# keyed by type number, start (newest first) and seq (search_index.key), so one entry type is
# one key range, newest first; a tombstone has none.
FTS_CREATE = (
    "CREATE VIRTUAL TABLE entries_fts USING fts5("
    "body, content='', contentless_delete=1, tokenize = 'unicode61 remove_diacritics 2')"
)

drafts = Table(
    "drafts",
    metadata,
    Column("key", Text, primary_key=True),
    Column("payload", Text, nullable=False),
    Column("updated_at", Text, nullable=False),
)

# -- sync (migration 0004; rules in app/sync/replica.py, format in docs/sync-format.md) ----------

# One row per synced record: JSON {field: [hlc, device, base, lseq]} ("*" = every other field).
sync_clock = Table(
    "sync_clock",
    metadata,
    Column("tbl", Text, primary_key=True),
    Column("rid", Text, primary_key=True),
    Column("origin", Text, nullable=False),  # whose workstation holds it ("*" = every one)
    Column("lseq", Integer, nullable=False),  # highest local change number of its fields
    Column("clocks", Text, nullable=False),
    Column("erased", Integer, nullable=False, server_default="0"),
    sqlite_with_rowid=False,
)
Index("ix_sync_clock_origin_lseq", sync_clock.c.origin, sync_clock.c.lseq)

# A workstation's own field changes, numbered, until the team lead acknowledges them.
sync_log = Table(
    "sync_log",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=True),
    Column("tbl", Text, nullable=False),
    Column("rid", Text, nullable=False),
    Column("field", Text, nullable=False),
    Column("value", NullType),  # the column value as stored (text, integer or NULL)
    Column("hlc", Integer, nullable=False),
    Column("base", Integer, nullable=False),
    sqlite_autoincrement=True,
)

# Losing values of concurrent writes, for the team lead to review.
sync_conflicts = Table(
    "sync_conflicts",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("tbl", Text, nullable=False),
    Column("rid", Text, nullable=False),
    Column("field", Text, nullable=False),
    Column("loser_hlc", Integer, nullable=False),
    Column("loser_dev", Text, nullable=False),
    Column("loser_value", NullType),
    Column("kind", Text, nullable=False),  # concurrent | deleted
    Column("detected_at", Text, nullable=False),
    # Entries: JSON list of the client ids the losing edit may be about (everyone the entry was
    # about when it was found, before its deletion or before an edit took them off, and whom the
    # merge put on it). An erasure takes, and an access file lists, a person's records by it.
    # NULL in records found before migration 0016.
    Column("about", Text),
    UniqueConstraint("tbl", "rid", "field", "loser_hlc", "loser_dev"),
)

# Lead: provisioned and enrolled workstations. Workstation: unused.
sync_peers = Table(
    "sync_peers",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", Text, nullable=False),
    Column("device_id", Text, unique=True),
    Column("user_name", Text, nullable=False, server_default=""),
    Column("language", Text, nullable=False, server_default=""),
    Column("sign_public", LargeBinary),
    Column("enc_public", LargeBinary),
    Column("verifier", LargeBinary),  # SHA-256 of the one-time enrollment secret; NULL once used
    Column("state", Text, nullable=False),  # pending | enrolled | revoked
    Column("provisioned_at", Text),
    Column("enrolled_at", Text),
    Column("revoked_at", Text),
    Column("ack", Integer, nullable=False, server_default="0"),
    Column("ack_sent", Integer),
    Column("last_import_at", Text),
)

# Every bundle applied here: duplicates are recognised, gaps found.
sync_bundles = Table(
    "sync_bundles",
    metadata,
    Column("sender", Text, primary_key=True),
    Column("seq", Integer, primary_key=True),
    Column("digest", Text, primary_key=True),  # since 0015: a restored sender may reuse a number
    Column("first", Integer, nullable=False),
    Column("last", Integer, nullable=False),
    Column("changes", Integer, nullable=False),
    Column("created_at", Text, nullable=False),
    Column("imported_at", Text, nullable=False),
    Column("created_hlc", Integer, nullable=False, server_default="0"),  # the sender's clock (0015)
)

# Lead: records shared with a workstation besides its own (migration 0005). A shared client
# brings the entries that link to it; `since` is the lead's change number when the share began
# (the record travels whole until the workstation has acknowledged it); `unshared_at` ends it.
sync_shares = Table(
    "sync_shares",
    metadata,
    Column("tbl", Text, primary_key=True),
    Column("rid", Text, primary_key=True),
    Column("device_id", Text, primary_key=True),
    Column("shared_at", Text, nullable=False),
    Column("since", Integer, nullable=False),
    Column("unshared_at", Text),
    sqlite_with_rowid=False,
)
Index("ix_sync_shares_device", sync_shares.c.device_id, sync_shares.c.tbl)


# -- reporting (migration 0006): narrow copies of what reports count, kept by triggers on entries --
# The triggers' DDL lives in the migration (app/store/migrations/versions/0006_report_facts.py).

report_codes = Table(
    "report_codes",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("code", Text, nullable=False, unique=True),  # a catalog code, entry type or team member
)

# A row here would pause the reporting triggers (0006/0008 test for it). Nothing writes one since the
# sync merge lets the triggers note its entries too; the table stays because the triggers name it.
report_pause = Table(
    "report_pause",
    metadata,
    Column("one", Integer, primary_key=True),
)

# Entries whose reporting rows are out of date (migration 0008): noted by triggers on `entries`,
# caught up by app/store/reporting.py before the reporting tables are read. `day`: the day their
# current rows are filed under (NULL: none).
report_stale = Table(
    "report_stale",
    metadata,
    Column("seq", Integer, primary_key=True),
    Column("day", Text),
)

report_facts = Table(
    "report_facts",
    metadata,
    Column("day", Text, primary_key=True),
    Column("seq", Integer, primary_key=True),  # entries.seq
    Column("month", Integer, nullable=False),  # YYYYMM
    Column("week", Integer, nullable=False),  # date.toordinal() of the week's Monday
    *(Column(name, Integer) for name in (
        "type", "author", "setting", "accompanied_to", "district", "school", "format", "purpose",  # report_codes ids
        "pupils", "families", "adults", "children",
    )),
    sqlite_with_rowid=False,
)

report_mentions = Table(
    "report_mentions",
    metadata,
    Column("day", Text, primary_key=True),
    Column("seq", Integer, primary_key=True),
    Column("col", Integer, primary_key=True),  # 0 languages, 1 topics, 2 referrals, 3 partners
    Column("code", Integer, primary_key=True),
    # place: the setting of a consultation, the school of a tandem session, the district of an outreach visit
    *(Column(name, Integer) for name in ("type", "place", "author")),
    sqlite_with_rowid=False,
)
# Covering indexes in GROUP BY order (ix_report_facts_cube, ix_report_mentions_group): see migration 0006.
