"""Narrow reporting tables, kept in step with `entries` by triggers.

Why: a report or the dashboard over a school year read the whole wide `entries` table (notes,
follow-up text: 515 MB at 500,000 entries, every page decrypted) and unfolded four JSON list
columns per row: 8 s for a report (goal 3 s). These tables hold only what reports count, as small
integers, clustered by day, so a period is one contiguous range:

- `report_codes(id, code)`: every catalog code, entry type and team member name seen, numbered;
- `report_facts`: one row per live entry (day, seq, its month as YYYYMM and the proleptic ordinal
  of its week's Monday, the coded single-value columns, the counts);
- `report_mentions`: one row per (live entry, list column, code) of languages, topics, referrals
  and partners, with the entry's type, author and place repeated (the setting of a consultation,
  the school of a tandem session, the district of an outreach visit: what reports break lists
  down by), so that grouping needs no join.

Triggers on `entries` keep them exact inside every write transaction (saves, imports, sync merges,
tombstones, erasures), whichever code path writes. They hold no names of clients, no codes of
clients and no free text.

Revision ID: 0006
Revises: 0005
"""

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

TABLES = (
    "CREATE TABLE report_codes (id INTEGER PRIMARY KEY, code TEXT NOT NULL UNIQUE)",
    # A row here (only ever inside one transaction) pauses the triggers while a large sync merge
    # refreshes the rows it wrote in bulk (app/store/reporting.py).
    "CREATE TABLE report_pause (one INTEGER PRIMARY KEY)",
    """CREATE TABLE report_facts (
    day TEXT NOT NULL,
    seq INTEGER NOT NULL,
    month INTEGER NOT NULL,
    week INTEGER NOT NULL,
    type INTEGER,
    author INTEGER,
    setting INTEGER,
    accompanied_to INTEGER,
    district INTEGER,
    school INTEGER,
    format INTEGER,
    purpose INTEGER,
    pupils INTEGER,
    families INTEGER,
    adults INTEGER,
    children INTEGER,
    PRIMARY KEY (day, seq)
) WITHOUT ROWID""",
    """CREATE TABLE report_mentions (
    day TEXT NOT NULL,
    seq INTEGER NOT NULL,
    col INTEGER NOT NULL,
    code INTEGER NOT NULL,
    type INTEGER,
    place INTEGER,
    author INTEGER,
    PRIMARY KEY (day, seq, col, code)
) WITHOUT ROWID""",
)

# Covering indexes in GROUP BY order: over a long period (a school year) reading one of these in
# order, with no sort, is 5-8x faster than the day range plus a temporary B-tree for the grouping.
INDEXES = (
    "CREATE INDEX ix_report_facts_cube ON report_facts (type, month, week, setting, accompanied_to, district, "
    "school, format, purpose, day, author, pupils, families, adults, children)",
    "CREATE INDEX ix_report_mentions_group ON report_mentions (type, place, col, code, day, author)",
)

_CODED = ("type", "author", "setting", "accompanied_to", "district", "school", "format", "purpose")
_LISTS = ("languages", "topics", "referrals", "partners")  # col 0..3 in report_mentions


def _month(day: str) -> str:
    return f"CAST(substr({day}, 1, 4) || substr({day}, 6, 2) AS INTEGER)"


def _week(day: str) -> str:
    # Python's date.toordinal() of the week's Monday (day 1 = 0001-01-01 = Julian day 1721425.5).
    return f"CAST(julianday({day}, 'weekday 0', '-6 days') - 1721424.5 AS INTEGER)"


# The place a list breaks down by, per entry type (ids of report_codes, from the facts row f).
_PLACE = ("CASE f.type WHEN (SELECT id FROM report_codes WHERE code = 'consultation') THEN f.setting "
          "WHEN (SELECT id FROM report_codes WHERE code = 'tandem_session') THEN f.school ELSE f.district END")


def _add(row: str) -> list[str]:
    """Statements that add the facts of entry `row` (`new`) when it is live and dated."""
    live = f"{row}.deleted_at IS NULL AND {row}.day IS NOT NULL"
    values = " UNION ALL ".join(f"SELECT {row}.{c} AS v" for c in _CODED)
    lists = " UNION ALL ".join(f"SELECT {i} AS col, value FROM json_each({row}.{c})" for i, c in enumerate(_LISTS))
    ids = ", ".join(f"(SELECT id FROM report_codes WHERE code = {row}.{c})" for c in _CODED)
    # No statement here may rely on a conflict clause (OR IGNORE): SQLite lets the statement that
    # fired the trigger override it (an upsert into entries would then fail, an INSERT OR REPLACE
    # would renumber codes). So new codes are found with NOT IN and duplicates removed with DISTINCT.
    return [
        f"INSERT INTO report_codes (code) SELECT DISTINCT v FROM ({values} UNION ALL SELECT value AS v FROM "
        f"({lists})) WHERE v IS NOT NULL AND v NOT IN (SELECT code FROM report_codes) AND {live}",
        f"INSERT INTO report_facts SELECT {row}.day, {row}.seq, {_month(row + '.day')}, {_week(row + '.day')}, {ids}, "
        f"{row}.pupils_count, {row}.families_count, {row}.adults_reached, {row}.children_reached WHERE {live}",
        f"INSERT INTO report_mentions SELECT DISTINCT f.day, f.seq, k.col, c.id, f.type, {_PLACE}, f.author "
        f"FROM report_facts f, ({lists}) k JOIN report_codes c ON c.code = k.value "
        f"WHERE f.day = {row}.day AND f.seq = {row}.seq AND {live}",
    ]


def _remove(row: str) -> list[str]:
    return [
        f"DELETE FROM report_mentions WHERE day = {row}.day AND seq = {row}.seq",
        f"DELETE FROM report_facts WHERE day = {row}.day AND seq = {row}.seq",
    ]


def _trigger(name: str, event: str, statements: list[str]) -> str:
    body = ";\n    ".join(statements)
    return (f"CREATE TRIGGER {name} AFTER {event} ON entries WHEN NOT EXISTS (SELECT 1 FROM report_pause)\n"
            f"BEGIN\n    {body};\nEND")


REPORTED_COLUMNS = (*_CODED, "day", "pupils_count", "families_count", "adults_reached", "children_reached",
                    *_LISTS, "deleted_at")

TRIGGERS = (
    _trigger("report_facts_insert", "INSERT", _add("new")),
    _trigger("report_facts_delete", "DELETE", _remove("old")),
    # Only when a reported column is written: a save of the notes alone costs nothing here.
    _trigger("report_facts_update", f"UPDATE OF {', '.join(REPORTED_COLUMNS)}", _remove("old") + _add("new")),
)

BACKFILL = (
    "INSERT OR IGNORE INTO report_codes (code) SELECT DISTINCT v FROM ("
    + " UNION ALL ".join(f"SELECT {c} AS v FROM entries WHERE deleted_at IS NULL" for c in _CODED)
    + ") WHERE v IS NOT NULL",
    "INSERT OR IGNORE INTO report_codes (code) SELECT DISTINCT j.value FROM entries e, ("
    + " UNION ALL ".join(f"SELECT '{c}' AS c" for c in _LISTS)
    + ") l, json_each(CASE l.c " + " ".join(f"WHEN '{c}' THEN e.{c}" for c in _LISTS)
    + " END) j WHERE e.deleted_at IS NULL",
    f"INSERT INTO report_facts SELECT e.day, e.seq, {_month('e.day')}, {_week('e.day')}, "
    + ", ".join(f"(SELECT id FROM report_codes WHERE code = e.{c})" for c in _CODED)
    + ", e.pupils_count, e.families_count, e.adults_reached, e.children_reached FROM entries e "
    "WHERE e.deleted_at IS NULL AND e.day IS NOT NULL ORDER BY e.day, e.seq",
    f"INSERT OR IGNORE INTO report_mentions SELECT f.day, f.seq, l.col, c.id, f.type, {_PLACE}, f.author "
    "FROM report_facts f JOIN entries e ON e.seq = f.seq, ("
    + " UNION ALL ".join(f"SELECT {i} AS col" for i in range(len(_LISTS)))
    + ") l, json_each(CASE l.col " + " ".join(f"WHEN {i} THEN e.{c}" for i, c in enumerate(_LISTS))
    + " END) j JOIN report_codes c ON c.code = j.value ORDER BY f.day, f.seq",
)


def upgrade() -> None:
    for statement in (*TABLES, *TRIGGERS, *BACKFILL, *INDEXES):
        op.execute(statement)


def downgrade() -> None:
    raise NotImplementedError("stores are never downgraded; restore the backup instead")
