"""Cases from the second code review of 2026-11-22: a late older bundle of one device is no
conflict; an erasure takes the whole losing edit that named the person, not only its client list;
the access file does not name other people of a joint entry in its free text."""

from __future__ import annotations

import dataclasses
import json
import shutil

from helpers.factories import NOW, consultation
from helpers.sync_team import team_fixtures
from app.domain.entries import Client

template, team = team_fixtures(1)


def test_a_late_older_bundle_of_the_same_laptop_is_no_conflict(team, tmp_path):
    laptop = team.journals["laptop-1"]
    entry = laptop.save_entry(consultation(notes="v1"))
    team.sync("laptop-1").export_bundles()
    team.sync("lead").import_paths([team.sync_dir])
    for f in team.sync_dir.iterdir():
        f.unlink()
    aside = tmp_path / "aside"
    aside.mkdir()
    for v in ("v2", "v3", "v4"):
        laptop.save_entry(dataclasses.replace(laptop.get_entry(entry.id), notes=v))
        [b] = team.sync("laptop-1").export_bundles()
        if v == "v2":
            shutil.move(str(b.path), aside / b.path.name)  # the first stick arrives late
    team.sync("lead").import_paths([team.sync_dir])
    assert team.journals["lead"].get_entry(entry.id).notes == "v4"
    team.sync("lead").import_paths([aside])
    assert team.journals["lead"].get_entry(entry.id).notes == "v4"
    assert [(c.field, c.loser_value) for c in team.sync("lead").list_conflicts()] == []


def test_an_erasure_takes_every_field_of_the_losing_edit_that_named_the_person(team):
    ana, lead = team.journals["laptop-1"], team.journals["lead"]
    a, b, person = (ana.save_client(Client(code=code, name=n), today=NOW.date())
                    for code, n in (("HA-A-1", ""), ("HA-B-1", ""), ("HA-P-1", "Zamfirescu")))
    entry = ana.save_entry(consultation(notes="über A", client_ids=[a.id]), now=NOW)
    team.sync("laptop-1").export_bundles()
    team.sync("lead").import_paths([team.sync_dir])
    ana.save_entry(dataclasses.replace(ana.get_entry(entry.id), client_ids=[a.id, person.id],
                                       notes="Frau P. Schulden 4000 EUR, Gewalt in der Ehe"))
    lead.save_entry(dataclasses.replace(lead.get_entry(entry.id), client_ids=[a.id, b.id], notes="über A und B"))
    team.sync("laptop-1").export_bundles()
    team.sync("lead").import_paths([team.sync_dir])
    print([(c.field, c.loser_value) for c in team.sync("lead").list_conflicts()])
    team.sync("lead").erase_client(person.id)
    left = [(c.field, c.loser_value) for c in team.sync("lead").list_conflicts()]
    print("after erasure", left)
    assert not any("Gewalt" in str(v) for _f, v in left)


def test_the_access_file_does_not_name_the_other_people_of_a_joint_entry(team):
    from app.services.access import client_data_json
    ana = team.journals["laptop-1"]
    me = ana.save_client(Client(code="HA-ME-1", name="Popa"), today=NOW.date())
    other = ana.save_client(Client(code="HA-OT-1", name="Dumitrescu"), today=NOW.date())
    ana.save_entry(consultation(notes="Popa und Dumitrescu (HA-OT-1): Streit", client_ids=[me.id, other.id]), now=NOW)
    out = client_data_json(ana, me.id).decode()
    assert "HA-OT-1" not in out and "Dumitrescu" not in out


def test_the_access_file_does_not_copy_other_registered_people_named_in_the_persons_own_entries(team):
    """An entry linked to the person alone may still name someone else of the register (a
    neighbour who came along): their code and name parts become "[…]" too; the person's own
    name stays, also where another client shares a part of it."""
    from app.services.access import client_data_json
    ana = team.journals["laptop-1"]
    elena = ana.save_client(Client(code="HA-EP-1", name="Elena Popescu"), today=NOW.date())
    ana.save_client(Client(code="HA-ML-2", name="Maria Lungu", contact="0160 9988776"), today=NOW.date())
    ana.save_client(Client(code="HA-EI-3", name="Elena Ionescu"), today=NOW.date())
    ana.save_entry(consultation(notes="Elena Popescu; Nachbarin Maria Lungu (HA-ML-2) begleitet sie",
                                follow_up="Maria Lungu anrufen", client_ids=[elena.id]), now=NOW)
    entry = json.loads(client_data_json(ana, elena.id))["entries"][0]
    assert entry["notes"] == "Elena Popescu; Nachbarin […] […] ([…]) begleitet sie"
    assert entry["follow_up"] == "[…] […] anrufen"


def test_the_access_file_holds_the_values_of_the_person_that_lost_in_conflicts(team):
    """An access request asks for everything held about the person. A team lead's journal also
    holds values that lost in sync conflicts, of their record and entries, also of entries deleted
    since: the file listed none of them. Other people stay out of them, as in the entries."""
    import json

    from app.services.access import client_data

    ana, lead = team.journals["laptop-1"], team.journals["lead"]
    me = ana.save_client(Client(code="HA-ME-2", name="Popa"), today=NOW.date())
    other = ana.save_client(Client(code="HA-OT-2", name="Dumitrescu"), today=NOW.date())
    stranger = ana.save_client(Client(code="HA-ST-2"), today=NOW.date())
    kept = ana.save_entry(consultation(notes="Popa: Mietvertrag", client_ids=[me.id]), now=NOW)
    joint = ana.save_entry(consultation(notes="Popa und Dumitrescu", client_ids=[me.id, other.id]), now=NOW)
    unrelated = ana.save_entry(consultation(notes="anderes", client_ids=[stranger.id]), now=NOW)
    team.sync("laptop-1").export_bundles()
    team.sync("lead").import_paths([team.sync_dir])
    ana.save_entry(dataclasses.replace(ana.get_entry(kept.id), notes="Popa: Kündigung droht"))
    ana.save_entry(dataclasses.replace(ana.get_entry(joint.id), notes="Popa, Dumitrescu (HA-OT-2): Streit"))
    ana.save_entry(dataclasses.replace(ana.get_entry(unrelated.id), notes="anderes, neu"))
    lead.save_entry(dataclasses.replace(lead.get_entry(kept.id), notes="Popa: Mietvertrag geprüft"),
                    now=NOW.replace(year=2099))
    lead.delete_entry(joint.id)
    lead.delete_entry(unrelated.id)
    team.sync("laptop-1").export_bundles()
    team.sync("lead").import_paths([team.sync_dir])

    held = client_data(lead, me.id)["conflict_records"]
    assert sorted((h["entry_id"], h["field"], h["value"], h["entry_deleted"]) for h in held) == sorted([
        (kept.id, "notes", "Popa: Kündigung droht", False),
        (joint.id, "notes", "Popa, […] ([…]): Streit", True),
    ])
    text = json.dumps(client_data(lead, me.id), ensure_ascii=False)
    assert "Dumitrescu" not in text and "HA-OT-2" not in text and "anderes, neu" not in text


def test_the_access_file_of_another_person_holds_no_losing_edit_about_the_person(team):
    """Found in the walk-through: conflict records were matched by the entry's clients now, not by
    those of the losing edit, so A's file held an edit about P (unredacted) and P's did not."""
    from app.services.access import client_data

    ana, lead = team.journals["laptop-1"], team.journals["lead"]
    p, a, b = (ana.save_client(Client(code=c, name=n), today=NOW.date())
               for c, n in (("HA-P-3", "Popa"), ("HA-A-3", "Albu"), ("HA-B-3", "Bratu")))
    entry = ana.save_entry(consultation(notes="über A", client_ids=[a.id]), now=NOW)
    team.sync("laptop-1").export_bundles()
    team.sync("lead").import_paths([team.sync_dir])
    ana.save_entry(dataclasses.replace(ana.get_entry(entry.id), client_ids=[a.id, p.id],
                                       notes="Popa (HA-P-3): Schulden"))
    lead.save_entry(dataclasses.replace(lead.get_entry(entry.id), client_ids=[a.id, b.id], notes="A und B"))
    team.sync("laptop-1").export_bundles()
    team.sync("lead").import_paths([team.sync_dir])
    held_for_a = client_data(lead, a.id)["conflict_records"]
    assert not any("Popa" in str(h["value"]) or "HA-P-3" in str(h["value"]) for h in held_for_a), held_for_a
    held_for_p = client_data(lead, p.id)["conflict_records"]
    assert {(h["field"], str(h["value"])) for h in held_for_p} >= {
        ("notes", "Popa (HA-P-3): Schulden"), ("clients", "['[…]', 'HA-P-3']")}


def test_the_access_file_leaves_out_a_person_named_only_in_the_losing_edit(team):
    from app.services.access import client_data

    ana, lead = team.journals["laptop-1"], team.journals["lead"]
    p, b, c = (ana.save_client(Client(code=k, name=n), today=NOW.date())
               for k, n in (("HA-P-4", "Popa"), ("HA-B-4", "Bratu"), ("HA-C-4", "Cristea")))
    entry = ana.save_entry(consultation(notes="über Popa", client_ids=[p.id]), now=NOW)
    team.sync("laptop-1").export_bundles()
    team.sync("lead").import_paths([team.sync_dir])
    ana.save_entry(dataclasses.replace(ana.get_entry(entry.id), client_ids=[p.id, c.id],
                                       notes="Popa und Cristea (HA-C-4): Streit"))
    lead.save_entry(dataclasses.replace(lead.get_entry(entry.id), client_ids=[p.id, b.id], notes="Popa, Bratu"))
    team.sync("laptop-1").export_bundles()
    team.sync("lead").import_paths([team.sync_dir])
    held = client_data(lead, p.id)["conflict_records"]
    text = str(held)
    assert "Cristea" not in text and "HA-C-4" not in text, text
    assert ("notes", "Popa und […] ([…]): Streit") in {(h["field"], str(h["value"])) for h in held}


def test_the_access_files_conflict_records_leave_out_other_people_of_the_register(team):
    from app.services.access import client_data

    ana, lead = team.journals["laptop-1"], team.journals["lead"]
    me = ana.save_client(Client(code="HA-EP-1", name="Elena Popescu"), today=NOW.date())
    ana.save_client(Client(code="HA-ML-2", name="Maria Lungu"), today=NOW.date())
    kept = ana.save_entry(consultation(notes="Elena: Mietvertrag", client_ids=[me.id]), now=NOW)
    team.sync("laptop-1").export_bundles()
    team.sync("lead").import_paths([team.sync_dir])
    ana.save_entry(dataclasses.replace(ana.get_entry(kept.id),
                                       notes="Elena; Nachbarin Maria Lungu (HA-ML-2) begleitet sie"))
    lead.save_entry(dataclasses.replace(lead.get_entry(kept.id), notes="Elena: Mietvertrag geprüft"),
                    now=NOW.replace(year=2099))
    team.sync("laptop-1").export_bundles()
    team.sync("lead").import_paths([team.sync_dir])

    data = client_data(lead, me.id)
    assert data["conflict_records"], "a conflict record is expected"
    text = json.dumps(data, ensure_ascii=False)
    assert "Lungu" not in text and "HA-ML-2" not in text


def test_the_access_file_leaves_out_a_name_in_a_hyphenated_word(team):
    from app.services.access import client_data

    ana = team.journals["laptop-1"]
    me = ana.save_client(Client(code="HA-EP-1", name="Elena Popescu"), today=NOW.date())
    ana.save_client(Client(code="HA-ML-2", name="Maria Lungu"), today=NOW.date())
    ana.save_entry(consultation(notes="Die Lungu-Kinder kamen mit", client_ids=[me.id]), now=NOW)
    entry = client_data(ana, me.id)["entries"][0]
    assert entry["notes"] == "Die […]-Kinder kamen mit"
