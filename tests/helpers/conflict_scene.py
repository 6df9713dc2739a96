"""A team (lead + 2 laptops) with real conflicts on fields of every kind, made through the app's
own services and bundles: the lead writes first and the laptop later, so the lead's values lose.
Returns the lead's path and the ids involved."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

from helpers.factories import NOW, consultation, outreach
from helpers.sync_team import make_team, open_team

from app.domain.entries import Client


def build(tmp_path: Path) -> dict:
    team = open_team(make_team(tmp_path / "t", 2), tmp_path / "run")
    try:
        lead, l1, l2 = (team.journals[n] for n in ("lead", "laptop-1", "laptop-2"))
        ana = l1.save_client(Client(code="HA-A-01", name="Ana", birth_year=1980))
        bela = l1.save_client(Client(code="HA-B-02", name="Bela", birth_year=1990))
        carl = l1.save_client(Client(code="HA-C-03"))
        entry = l1.save_entry(consultation(client_ids=[ana.id], follow_up="call",
                                           follow_up_due=dt.date(2025, 4, 1)), now=NOW)
        visit = l2.save_entry(outreach(), now=NOW)
        for n in ("laptop-1", "laptop-2"):
            team.sync(n).export_bundles()
        team.sync("lead").import_paths([team.sync_dir])
        team.sync("lead").export_bundles()
        for n in ("laptop-1", "laptop-2"):
            team.sync(n).import_paths([team.sync_dir])

        def both(first, second, rid, **values):
            for k, j in enumerate((first, second)):
                e = j.get_entry(rid)
                for name, pair in values.items():
                    setattr(e, name, pair[k])
                j.save_entry(e, now=NOW + dt.timedelta(minutes=k))

        # the lead writes first, the laptop later: the laptop's values win, the lead's lose
        both(lead, l1, entry.id,
             start=(dt.datetime(2025, 3, 10, 9, 0), dt.datetime(2025, 3, 10, 11, 0)),
             end=(dt.datetime(2025, 3, 10, 9, 45), dt.datetime(2025, 3, 10, 12, 30)),
             district=("haspe", "altenhagen"), languages=(["de"], ["ro", "bg"]),
             topics=(["housing", "work"], ["debts"]), client_ids=([bela.id], [ana.id, bela.id]),
             follow_up_due=(dt.date(2025, 4, 2), dt.date(2025, 4, 15)), notes=("Leitung", "Laptop"))
        both(lead, l2, visit.id, adults_reached=(9, 12))
        mine = lead.get_client(ana.id)
        mine.name, mine.birth_year = "Ana L", 1981
        lead.save_client(mine)
        theirs = l1.get_client(ana.id)
        theirs.name, theirs.birth_year = "Ana K", 1982
        l1.save_client(theirs)
        mine, theirs = lead.get_client(carl.id), l1.get_client(carl.id)
        mine.code, theirs.code = "HA-C-13", "HA-C-23"
        lead.save_client(mine)
        l1.save_client(theirs)
        for n in ("laptop-1", "laptop-2"):
            team.sync(n).export_bundles()
        team.sync("lead").import_paths([team.sync_dir])
        conflicts = {(c.table, c.field): c.id for c in team.sync("lead").list_conflicts()}
    finally:
        team.close()
    return {"lead": team.folder / "lead.db", "entry": entry.id, "visit": visit.id, "ana": ana.id,
            "bela": bela.id, "carl": carl.id, "conflicts": conflicts}
