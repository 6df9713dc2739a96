"""What the journal shows: a pure description of a query, turned into SQL by the store."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field


@dataclass(frozen=True)
class JournalFilter:
    types: tuple[str, ...] = ()  # empty: every type
    date_from: dt.date | None = None
    date_to: dt.date | None = None  # inclusive
    district: str | None = None
    school: str | None = None
    client_id: str | None = None
    mediator: str | None = None
    text: str = ""  # full-text search over notes and follow-up text
    extra: dict = field(default_factory=dict, compare=False, hash=False)

    def is_empty(self) -> bool:
        return self == JournalFilter()


def fts_query(text: str) -> str:
    """Turn what a user typed into a safe FTS5 query: every word must occur, as a prefix."""
    words = [w for w in text.replace('"', " ").split() if w]
    return " ".join(f'"{w}"*' for w in words)
