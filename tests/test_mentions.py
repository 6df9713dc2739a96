"""Finding a person named in other people's entries (erasure preview, access requests)."""

from __future__ import annotations

from app.domain.mentions import mentions, person_pattern


def test_a_name_is_found_as_a_whole_word_whatever_its_case_and_diacritics():
    """LIKE '%Ion%' listed every note with "Information" or "Situation", and missed "ŞTEFAN"."""
    ion = person_pattern("K-HF39-DNV", "Ion Popescu")
    assert not mentions(ion, ["Information zur Situation der Wohnung", "Integrationskurs"])
    assert mentions(ion, ["Herr Ion kam allein"]) and mentions(ion, ["", "Herrn POPESCU anrufen"])
    assert mentions(ion, ["siehe k-hf39-dnv"]) and not mentions(ion, ["XK-HF39-DNVX"])
    stefan = person_pattern("K-NNB0-F3X", "Ștefan Müller")
    assert mentions(stefan, ["ŞTEFAN (Cedille) war da"]) and mentions(stefan, ["Herr Muller"])
    assert not mentions(stefan, ["Stefanie", "Müllerstraße"])


def test_short_name_parts_are_not_searched():
    assert person_pattern("", "Li Wu") is None
    assert not mentions(person_pattern("HA-1", "Li"), ["Li kam"])
