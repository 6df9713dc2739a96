"""Upkeep of the reporting tables `report_facts` and `report_mentions` (migrations 0006, 0008).

A save does not write them: triggers on `entries` only note the entry in `report_stale`, and
`catch_up` brings the noted entries up to date before anything reads the reporting tables
(app/reports/queries.py). That keeps a save to the pages of the entry itself (migration 0008
says why). A sync merge writes thousands of rows in one go; it pauses even the noting (a row in
`report_pause`, inside its own transaction, invisible to every other connection) and writes the
rows it touched in bulk with `refresh`, from the rows it already holds in memory. Both compute
the rows exactly as the triggers of migration 0006 did.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable

from sqlalchemy.engine import Connection

from app.store import jsontext

CODED = ("type", "author", "setting", "accompanied_to", "district", "school", "format", "purpose")
LISTS = ("languages", "topics", "referrals", "partners")
# The place a type's lists break down by (any other type: its district).
PLACE_COLUMN = {"consultation": "setting", "tandem_session": "school"}
CHUNK = 500
REPORTED_COLUMNS = frozenset((*CODED, "day", "pupils_count", "families_count", "adults_reached",
                              "children_reached", *LISTS, "deleted_at"))
# What an entry's report_facts row and the type, place and author of its mentions are made of.
_FACT_INPUTS = (*CODED, "day", "seq", "pupils_count", "families_count", "adults_reached", "children_reached",
                "deleted_at")

def pause(conn: Connection) -> None:
    """Row-by-row triggers off for the rest of this transaction (until `resume`). Entries noted
    as stale are caught up first: `refresh` writes the difference between an entry's old row and
    its new one, which is only right when the reporting tables hold the old row."""
    catch_up(conn)
    conn.exec_driver_sql("INSERT INTO report_pause (one) VALUES (1)")


def resume(conn: Connection) -> None:
    conn.exec_driver_sql("DELETE FROM report_pause")


def refresh(conn: Connection, changed: Iterable[tuple[dict | None, dict]]) -> None:
    """Bring the reporting rows of the given entries up to date. `changed` holds pairs of
    (the entry as it was, or None if it is new; the entry as now written), both with every
    column of `entries` and `seq`. The figures are computed here exactly as the triggers of
    migration 0006 compute them, and only the rows that differ are written: an edit of the topics
    replaces the mentions of the topics it added or dropped, not the entry's facts and every
    mention (at 100,000 entries that was 0.7 s of a 100,000-change import)."""
    raw = conn.connection.driver_connection
    whole: list[tuple[dict | None, dict, list | None]] = []  # (old, new, new's lists or None if not live)
    lists_only: list[tuple[dict, dict, list[int]]] = []  # (old, new, list columns that changed)
    for old, new in changed:
        if old is not None and _live(old) and _live(new) and all(old.get(n) == new.get(n) for n in _FACT_INPUTS):
            cols = [i for i, name in enumerate(LISTS) if old.get(name) != new.get(name)]
            if cols:
                lists_only.append((old, new, cols))
        else:
            whole.append((old, new, [_codes_of(new.get(name)) for name in LISTS] if _live(new) else None))
    if not whole and not lists_only:
        return
    # The codes of the rows as now written (as the triggers add them); an old row's codes are known.
    wanted = {new[name] for _old, new, lists in whole if lists is not None for name in CODED
              if new.get(name) is not None}
    wanted.update(code for _old, _new, lists in whole if lists is not None for codes in lists for code in codes)
    edited = [(old, new, [(col, _codes_of(old.get(LISTS[col])), _codes_of(new.get(LISTS[col]))) for col in cols])
              for old, new, cols in lists_only]
    wanted.update(code for _old, _new, per_col in edited for _col, _before, after in per_col for code in after)
    ids = _code_ids(raw, wanted)
    drop_facts, drop_entries, drop_mentions, facts, mentions = [], [], [], [], []
    for old, new, per_col in edited:
        if any(code not in ids for _col, before, _after in per_col for code in before):
            # A code the tables do not know (not written by the triggers): rewrite the entry's rows whole.
            lists = [_codes_of(new.get(name)) for name in LISTS]
            ids = _code_ids(raw, {code for codes in lists for code in codes})
            fact, added = _figures(new, lists, ids)
            drop_entries.append((old["day"], old["seq"]))
            facts.append(fact)
            mentions.extend(added)
            continue
        day, seq, kind, author = new["day"], new["seq"], ids.get(new.get("type")), ids.get(new.get("author"))
        place = ids.get(new.get(PLACE_COLUMN.get(new.get("type"), "district")))
        for col, before, after in per_col:
            drop_mentions.extend((day, seq, col, ids[code]) for code in before if code not in after)
            mentions.extend((day, seq, col, ids[code], kind, place, author) for code in after if code not in before)
    for old, new, lists in whole:
        fact, added = _figures(new, lists, ids) if lists is not None else (None, [])
        if old is None or not _live(old):
            if fact is not None:
                facts.append(fact)
                mentions.extend(added)
            continue
        old_lists = [lists[i] if lists is not None and old.get(name) == new.get(name) else _codes_of(old.get(name))
                     for i, name in enumerate(LISTS)]
        before, removed = _figures(old, old_lists, ids)
        if before is None:  # a code the tables do not know: rewrite the entry's rows whole
            drop_entries.append((old["day"], old["seq"]))
            if fact is not None:
                facts.append(fact)
                mentions.extend(added)
            continue
        if before != fact:
            drop_facts.append((old["day"], old["seq"]))
            if fact is not None:
                facts.append(fact)
        if removed != added:
            kept = set(added)
            gone = set(removed)
            drop_mentions.extend(m[:4] for m in removed if m not in kept)
            mentions.extend(m for m in added if m not in gone)
    # In key order (day, seq, ...): the edited and new entries of a merge lie all over the day-ordered
    # tables, and visiting each page once, in order, took 0.28-0.34 s instead of 0.33-0.36 s for the
    # 9,200 deletions and 17,000 insertions of the 100,000-change sync bench.
    drop_mentions.sort()
    facts.sort(key=_fact_key)
    mentions.sort(key=_mention_key)
    if drop_entries:
        raw.executemany("DELETE FROM report_mentions WHERE day = ? AND seq = ?", drop_entries)
        raw.executemany("DELETE FROM report_facts WHERE day = ? AND seq = ?", drop_entries)
    if drop_mentions:
        raw.executemany("DELETE FROM report_mentions WHERE day = ? AND seq = ? AND col = ? AND code = ?",
                        drop_mentions)
    if drop_facts:
        raw.executemany("DELETE FROM report_facts WHERE day = ? AND seq = ?", drop_facts)
    if facts:
        raw.executemany(f"INSERT INTO report_facts VALUES ({', '.join('?' * 16)})", facts)
    if mentions:
        raw.executemany("INSERT INTO report_mentions VALUES (?, ?, ?, ?, ?, ?, ?)", mentions)


def _fact_key(fact: tuple) -> tuple:
    return fact[0], fact[1]  # (day, seq); the figures after them may be NULL


def _mention_key(mention: tuple) -> tuple:
    return mention[:4]  # (day, seq, col, code), the primary key


def _live(row: dict) -> bool:
    return row.get("deleted_at") is None and row.get("day") is not None


def _figures(row: dict, lists: list[list[str]], ids: dict[str, int]) -> tuple[tuple | None, list[tuple]]:
    """The report_facts row and the report_mentions rows of a live entry, as the triggers write
    them; (None, []) if one of its codes has no id (only possible for a row written before)."""
    coded = [ids.get(row.get(name)) for name in CODED]
    if any(code is None and row.get(name) is not None for code, name in zip(coded, CODED)):
        return None, []
    day = dt.date.fromisoformat(row["day"])
    fact = (row["day"], row["seq"], day.year * 100 + day.month, (day - dt.timedelta(days=day.weekday())).toordinal(),
            *coded, row.get("pupils_count"), row.get("families_count"), row.get("adults_reached"),
            row.get("children_reached"))
    kind, author = coded[0], coded[1]
    place = coded[CODED.index(PLACE_COLUMN.get(row.get("type"), "district"))]
    mentions = []
    for col, codes in enumerate(lists):
        for code in codes:
            code_id = ids.get(code)
            if code_id is None:
                return None, []
            mentions.append((row["day"], row["seq"], col, code_id, kind, place, author))
    return fact, mentions


def catch_up(conn: Connection) -> int:
    """Bring the entries noted in `report_stale` up to date (inside the caller's write
    transaction); returns how many there were."""
    raw = conn.connection.driver_connection
    stale = raw.execute("SELECT day, seq FROM report_stale").fetchall()
    if not stale:
        return 0
    filed = [(day, seq) for day, seq in stale if day is not None]
    if filed:  # their rows as filed at the last catch-up (which `refresh` cannot know)
        raw.executemany("DELETE FROM report_mentions WHERE day = ? AND seq = ?", filed)
        raw.executemany("DELETE FROM report_facts WHERE day = ? AND seq = ?", filed)
    rows: list[dict] = []
    seqs = [seq for _day, seq in stale]
    for i in range(0, len(seqs), CHUNK):
        chunk = seqs[i: i + CHUNK]
        cursor = raw.execute(f"SELECT * FROM entries WHERE seq IN ({','.join('?' * len(chunk))})", chunk)
        names = [d[0] for d in cursor.description]
        rows.extend(dict(zip(names, values)) for values in cursor)
    refresh(conn, [(None, row) for row in rows])
    raw.execute("DELETE FROM report_stale")
    return len(stale)


def _codes_of(value) -> list[str]:
    """The distinct codes of a JSON list column, in order (as json_each + DISTINCT gives them)."""
    try:
        items = jsontext.loads(value) if value else []
    except ValueError:
        return []
    return list(dict.fromkeys(item for item in items if isinstance(item, str))) if isinstance(items, list) else []


def _code_ids(raw, wanted: set[str]) -> dict[str, int]:
    ids: dict[str, int] = dict(raw.execute("SELECT code, id FROM report_codes").fetchall())
    missing = sorted(wanted - ids.keys())
    if missing:
        raw.executemany("INSERT INTO report_codes (code) VALUES (?)", [(code,) for code in missing])
        ids.update(raw.execute("SELECT code, id FROM report_codes").fetchall())
    return ids
