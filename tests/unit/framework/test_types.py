from __future__ import annotations

import pytest

from terraform_provider_tkg.framework import durations
from terraform_provider_tkg.framework import types as t
from terraform_provider_tkg.framework.values import Unknown


def test_cty_specs() -> None:
    obj = t.Object({"a": t.String(), "b": t.List(t.Number())}, optional={"b"})
    assert obj.cty() == ["object", {"a": "string", "b": ["list", "number"]}, ["b"]]
    assert t.Map(t.Set(t.Bool())).type_bytes() == b'["map",["set","bool"]]'


def test_semantic_equality() -> None:
    assert t.Json().equal('{"a": 1, "b": 2}', '{"b":2,"a":1}')
    assert not t.Json().equal('{"a": 1}', '{"a": 2}')
    assert t.Set(t.String()).equal(["a", "b"], ["b", "a"])
    assert not t.Set(t.String()).equal(["a", "a"], ["a", "b"])
    assert not t.List(t.String()).equal(["a", "b"], ["b", "a"])
    assert t.Number().normalize(2.0) == 2 and isinstance(t.Number().normalize(2.0), int)
    assert not t.String().equal(Unknown, "x")
    assert t.Object({"a": t.Json()}).equal({"a": '{"x":1}'}, {"a": '{ "x": 1 }'})


@pytest.mark.parametrize(
    ("text", "seconds"), [("45m", 2700), ("1h30m", 5400), ("90s", 90), ("1.5h", 5400), ("250ms", 0.25)]
)
def test_durations(text: str, seconds: float) -> None:
    assert durations.parse(text) == seconds


@pytest.mark.parametrize("text", ["", "10", "5 m", "1d", "m"])
def test_bad_durations(text: str) -> None:
    with pytest.raises(ValueError, match="duration"):
        durations.parse(text)
