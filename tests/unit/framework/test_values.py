from __future__ import annotations

import msgpack
import pytest

from terraform_provider_tkg.framework.values import Unknown, decode_msgpack, encode_msgpack, is_fully_known

# A refined unknown as Terraform >= 1.6 sends it: extension 12 whose payload is a msgpack map of refinements
# (1 = nullness, 2 = string prefix).
REFINED = msgpack.ExtType(12, msgpack.packb({1: False, 2: "b-"}))
PLAIN = msgpack.ExtType(0, b"\x00")


@pytest.mark.parametrize("ext", [REFINED, PLAIN], ids=["refined", "plain"])
def test_unknowns_decode_at_any_depth(ext: msgpack.ExtType) -> None:
    payload = msgpack.packb({"name": ext, "tags": ext, "items": ext, "nested": [{"x": ext}], "ok": "v"})
    value = decode_msgpack(payload)
    assert value["name"] is Unknown
    assert value["tags"] is Unknown  # a wholly unknown map
    assert value["items"] is Unknown  # a wholly unknown list
    assert value["nested"][0]["x"] is Unknown
    assert value["ok"] == "v"


def test_unknown_round_trips_as_terraforms_unknown_encoding() -> None:
    encoded = encode_msgpack({"a": Unknown, "b": [1, Unknown]})
    assert msgpack.unpackb(encoded, ext_hook=lambda code, data: (code, data)) == {
        "a": (0, b"\x00"),
        "b": [1, (0, b"\x00")],
    }
    assert decode_msgpack(encoded) == {"a": Unknown, "b": [1, Unknown]}


def test_other_extensions_are_rejected() -> None:
    with pytest.raises(ValueError, match="extension type 5"):
        decode_msgpack(msgpack.packb(msgpack.ExtType(5, b"x")))


def test_is_fully_known() -> None:
    assert is_fully_known({"a": [1, {"b": None}]})
    assert not is_fully_known({"a": [1, {"b": Unknown}]})
