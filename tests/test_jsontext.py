"""app.store.jsontext.loads gives what json.loads gives: the same value, the same error."""

import json

import pytest

from app.store import jsontext

TEXTS = [
    '{"*":[1763712000000000123,"0193a2b4-1234-7abc-8def-0123456789ab",0,12]}',
    '{"*": [1, "a", 0, 2], "notes": [3, "b", 1, 4]}',  # the default separators of json.dumps
    '["housing","work"]', "[]", "{}", '"text"', "12", "null", "true", "[1.5e3]", '["\\u00e4\\n"]',
    " []", "[] ", "\t[1]\n",  # around the value: json.loads accepts it, the scanner alone does not
    "", " ", "[1] x", "[1,]", "{'a': 1}", "nan", "[", "x",
]


@pytest.mark.parametrize("text", TEXTS)
def test_loads_is_json_loads(text):
    try:
        expected = json.loads(text)
    except ValueError as exc:
        with pytest.raises(type(exc)):
            jsontext.loads(text)
    else:
        assert jsontext.loads(text) == expected


def test_loads_takes_bytes_and_refuses_other_types_like_json():
    assert jsontext.loads(b'["a"]') == ["a"]
    with pytest.raises(TypeError):
        jsontext.loads(5)
