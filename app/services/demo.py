"""Realistic synthetic entries for trying the app and for benchmarks, reproducible by seed.

Names are never generated: clients get pseudonymous codes only. Notes are stock
phrases of the kind mediators write, recombined at random.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator

from app.domain.entries import Client, Consultation, Entry, OutreachVisit, RecordMeta, TandemSession
from app.domain.ids import new_client_code, uuid7_from
from app.services.journal import Journal, utc_now
from app.store import repository as repo
from app.store import search_index
from app.store.engine import writing

MEDIATORS = ["A. Mihai", "B. Ivanova", "C. Stoica", "D. Petrov", "E. Lakatos"]
NOTE_PARTS = [
    "Brief vom Jobcenter gemeinsam gelesen und erklärt.",
    "Termin beim Gesundheitsamt vereinbart, Begleitung zugesagt.",
    "Familie sucht größere Wohnung, Unterlagen für den Antrag besprochen.",
    "Krankenversicherung fehlt seit März, Weiterleitung an die Beratungsstelle.",
    "Anmeldung in der Grundschule vorbereitet, Impfpass fehlt noch.",
    "Mietschulden, Kontakt zur Schuldnerberatung hergestellt.",
    "Kindergeldantrag ausgefüllt, Nachweise werden nachgereicht.",
    "Nachbarschaftsstreit wegen Lärm, Gespräch mit beiden Seiten geführt.",
    "Eltern zum Elterngespräch begleitet und gedolmetscht.",
    "Fehlzeiten des Kindes mit Lehrkraft und Familie besprochen.",
    "Information zu Sprachkursen und Integrationskurs gegeben.",
    "Aufenthaltsbescheinigung der Ausländerbehörde übersetzt.",
    "Stromsperre droht, Ratenzahlung mit dem Versorger vereinbart.",
    "Vor dem Feiertag Flyer verteilt und Gespräche auf dem Platz geführt.",
    "Übergang zur weiterführenden Schule: Anmeldefristen erklärt.",
]
YEAR = 365  # demo entries fall on the past year
FOLLOW_UPS = ["Rückruf", "Unterlagen abholen", "Termin begleiten", "Nachfragen bei Schule", "Antrag prüfen"]


class DemoGenerator:
    def __init__(self, journal: Journal, seed: int = 1):
        self.rng = random.Random(seed)
        self.catalogs = journal.catalogs
        self.today = dt.date.today()

    def codes(self, catalog: str) -> list[str]:
        return [v.code for v in self.catalogs.values(catalog)]

    def _pick(self, catalog: str, k_max: int = 1, k_min: int = 1) -> list[str]:
        values = self.codes(catalog)
        return self.rng.sample(values, self.rng.randint(k_min, min(k_max, len(values))))

    def clients(self, count: int) -> list[Client]:
        seen: set[str] = set()
        made = []
        while len(made) < count:
            code = new_client_code(self.rng.choice)
            if code in seen:
                continue
            seen.add(code)
            made.append(
                Client(
                    id=uuid7_from(1_700_000_000_000 + len(made), self.rng.getrandbits(74)),
                    code=code,
                    kind=self.rng.choice(["person", "person", "household"]),
                    languages=self._pick("languages", 2),
                    birth_year=self.rng.choice([None, self.rng.randint(1950, 2015)]),
                )
            )
        return made

    def entry(self, client_ids: list[str], days_ago: tuple[int, int] = (1, YEAR)) -> Entry:
        """A random entry of a day `days_ago` (inclusive range) before today."""
        rng = self.rng
        day = self.today - dt.timedelta(days=rng.randint(*days_ago))
        start = dt.datetime.combine(day, dt.time(rng.randint(8, 17), rng.choice([0, 15, 30, 45])))
        kind = rng.choices(["c", "t", "o"], weights=[6, 2, 2])[0]
        if kind == "c":
            entry: Entry = Consultation()
            entry.setting = rng.choice(self.codes("settings"))
            if entry.setting == "accompaniment":
                entry.accompanied_to = rng.choice(self.codes("services"))
            entry.referrals = self._pick("services", 2, 0)
            entry.topics = self._pick("topics", 3)
            entry.client_ids = rng.sample(client_ids, min(len(client_ids), rng.randint(1, 2))) if client_ids else []
            entry.district = rng.choice(self.codes("districts"))
        elif kind == "t":
            entry = TandemSession()
            entry.school = rng.choice(self.codes("schools"))
            entry.format = rng.choice(["tandem", "tridem"])
            entry.teacher = rng.choice(["Klassenlehrerin", "Lehrer Mathe", "KL 3b", "M.K."])
            entry.social_worker = "Schulsozialarbeit" if entry.format == "tridem" else ""
            entry.pupils_count = rng.randint(1, 6)
            entry.families_count = rng.randint(0, 3)
            entry.topics = self._pick("school_topics", 2)
        else:
            entry = OutreachVisit()
            entry.district = rng.choice(self.codes("districts")[:4] * 3 + self.codes("districts"))
            entry.place_type = rng.choice(self.codes("place_types"))
            entry.purpose = rng.choice(self.codes("purposes"))
            entry.partners = self._pick("partners", 2, 0)
            entry.adults_reached = rng.randint(0, 25)
            entry.children_reached = rng.randint(0, 15)
            entry.topics = self._pick("topics", 2, 0)
        entry.start = start
        entry.end = start + dt.timedelta(minutes=rng.choice([15, 30, 45, 60, 90, 120]))
        entry.mediator = rng.choice(MEDIATORS)
        entry.languages = self._pick("languages", 2)
        entry.outcome = rng.choice(self.codes("outcomes") + [None])
        entry.notes = " ".join(rng.sample(NOTE_PARTS, rng.randint(1, 3)))
        if rng.random() < 0.25:
            entry.follow_up = rng.choice(FOLLOW_UPS)
            entry.follow_up_due = day + dt.timedelta(days=rng.randint(1, 30))
            entry.follow_up_done = entry.follow_up_due < self.today - dt.timedelta(days=7)
        ms = int(dt.datetime.combine(day, dt.time(12)).timestamp() * 1000)
        entry.id = uuid7_from(ms, rng.getrandbits(74))
        return entry


def _day_windows(batches: int) -> Iterator[tuple[int, int]]:
    """`days_ago` ranges for successive batches, oldest first, together covering the past year
    (a window is one day at least, so a fill of more than 365 batches repeats the last day)."""
    for k in range(batches):
        older = YEAR - (k * YEAR) // batches
        newer = max(1, min(older, YEAR - ((k + 1) * YEAR) // batches + 1))
        yield newer, older


def fill_demo(journal: Journal, entries: int = 500, seed: int = 1, batch: int = 5000) -> int:
    """Add `entries` synthetic entries (and a pool of clients) in batches of one transaction each.

    The entries go in day by day, oldest first, the way a journal fills over a year: the order of
    their ids (which start with the entry's day) and the order they were stored in agree, as in a
    real store, where an entry's id is made when it is saved. Random days in every batch had made
    each later edit touch every page of the version table (docs/benchmarks.md, sync section).
    """
    generator = DemoGenerator(journal, seed)
    stamp = utc_now()
    meta = RecordMeta(created_at=stamp, updated_at=stamp, author=journal.user_name, device_id=journal.device_id)
    pool = generator.clients(max(1, entries // 8))
    for client in pool:
        client.meta = meta
    with writing(journal.engine) as conn:
        existing = set(repo.client_codes(conn).values())
        pool = [c for c in pool if c.code not in existing]
        repo.insert_clients_bulk(conn, pool)
    ids = [c.id for c in pool]
    starts = range(0, entries, batch)
    for first, days_ago in zip(starts, _day_windows(len(starts))):
        chunk = []
        for _ in range(min(batch, entries - first)):
            entry = generator.entry(ids, days_ago=days_ago)
            entry.meta = meta
            chunk.append(entry)
        chunk.sort(key=lambda e: e.id)  # ids start with the entry's day: oldest first, as logged
        with writing(journal.engine) as conn:
            chunk = [e for e in chunk if not repo.entry_exists(conn, e.id)]  # the same seed again
            repo.insert_entries_bulk(conn, chunk)
    if entries >= search_index.BULK_ROWS:
        with writing(journal.engine) as conn:
            search_index.compact(conn)
    return entries
