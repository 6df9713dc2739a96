"""Whether a free text names a person: their client code or a part of their name, as a whole word,
whatever the case and the diacritics ("ŞTEFAN", "Ștefan" and "stefan" are one word; "Ion" is not
found in "Information"). Used to list entries that mention someone outside their own entries, for
an erasure or an access request."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

MIN_PART = 3  # shorter name parts ("Li", initials) would be found everywhere


def folded(text: str) -> str:
    """Lower case without diacritics: ş (cedilla) and ș (comma below) both become s."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def name_parts(code: str, name: str = "") -> list[str]:
    """The code and each part of the name on its own ("Frau Ionescu", not "Anna Ionescu"), as
    they are searched for."""
    return [p for p in (code.strip(), *name.replace(",", " ").split()) if len(p) >= MIN_PART]


def person_pattern(code: str, name: str = "") -> re.Pattern | None:
    """A pattern for the code and each part of the name, as whole words of a folded text."""
    return words_pattern(name_parts(code, name))


def people_pattern(people: Iterable[tuple[str, str]], keep: Iterable[str] = ()) -> re.Pattern | None:
    """A pattern for the codes and name parts of all these (code, name) pairs, except the words
    in `keep` (another client may share a first name with the person an access request is for)."""
    kept = {folded(p) for p in keep}
    return words_pattern(p for code, name in people for p in name_parts(code, name or "")
                         if folded(p) not in kept)


def words_pattern(parts: Iterable[str]) -> re.Pattern | None:
    words = sorted({folded(p) for p in parts}, key=len, reverse=True)
    if not words:
        return None
    return re.compile(r"(?<![^\W_])(?:" + "|".join(re.escape(w) for w in words) + r")(?![^\W_])")


def mentions(pattern: re.Pattern | None, texts: Iterable[str | None]) -> bool:
    return pattern is not None and any(text and pattern.search(folded(text)) for text in texts)


OTHER_PERSON = "[…]"


def redacted(text: str, pattern: re.Pattern | None) -> str:
    """The text with every word `pattern` finds (another person's code or name part) replaced
    by "[…]". Words are matched after folding, one by one, so the rest keeps its own spelling: a
    code whole ("HA-ML-2"), a name also as a part of a hyphenated word ("Lungu-Kinder")."""
    if not text or pattern is None:
        return text

    def word(match: re.Match) -> str:
        token = match.group()
        if pattern.fullmatch(folded(token)):
            return OTHER_PERSON
        if "-" not in token:
            return token
        return "-".join(OTHER_PERSON if part and pattern.fullmatch(folded(part)) else part
                        for part in token.split("-"))

    return re.sub(r"[\w-]+", word, text)
