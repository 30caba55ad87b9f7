"""Terraform values on the wire (msgpack), decoded into plain Python with an ``Unknown`` sentinel.

Python form of a Terraform value: ``None`` is null, ``Unknown`` is a value not known until apply, strings, numbers and
bools are themselves, lists and sets are ``list``, maps and objects are ``dict``. ``tf`` 1.2.0 decodes only the plain
unknown (msgpack extension 0); Terraform >= 1.6 also sends *refined* unknowns (extension 12, carrying hints such as
"not null" or a string prefix). Both must read as unknown, at any depth and for whole collections, so decoding is
done here rather than through ``tf.utils.read_dynamic_value``.
"""

from __future__ import annotations

import json
from typing import Any

import msgpack
from tf.types import Unknown as _TfUnknown

__all__ = ["Unknown", "decode_msgpack", "encode_msgpack", "is_fully_known", "known", "unknown_to_null"]

# One sentinel for the whole process; shared with ``tf`` so values it builds stay comparable.
Unknown: Any = _TfUnknown

_EXT_UNKNOWN = 0
_EXT_REFINED_UNKNOWN = 12


def _ext_hook(code: int, data: bytes) -> Any:
    if code in (_EXT_UNKNOWN, _EXT_REFINED_UNKNOWN):
        return Unknown
    raise ValueError(f"unexpected msgpack extension type {code} in a Terraform value")


def _default(obj: Any) -> Any:
    if obj is Unknown:
        return msgpack.ExtType(_EXT_UNKNOWN, b"\x00")
    raise TypeError(f"cannot encode {type(obj).__name__} as a Terraform value")


def decode_msgpack(data: bytes) -> Any:
    """Decode a msgpack DynamicValue payload; plain and refined unknowns both become ``Unknown``."""
    if not data:
        return None
    return msgpack.unpackb(data, ext_hook=_ext_hook, raw=False, strict_map_key=False)


def decode_json(data: bytes) -> Any:
    """Decode a JSON DynamicValue payload (used for stored state; it never holds unknowns)."""
    return json.loads(data) if data else None


def encode_msgpack(value: Any) -> bytes:
    """Encode a Python value (with ``Unknown`` anywhere) as a msgpack DynamicValue payload."""
    return msgpack.packb(value, default=_default, use_bin_type=True)  # type: ignore[no-any-return]


def known(value: Any) -> bool:
    """True for a value that is neither null nor unknown (plan-time checks skip the others)."""
    return value is not None and value is not Unknown


def is_fully_known(value: Any) -> bool:
    """True when no ``Unknown`` appears anywhere in ``value``."""
    if value is Unknown:
        return False
    if isinstance(value, dict):
        return all(is_fully_known(v) for v in value.values())
    if isinstance(value, list):
        return all(is_fully_known(v) for v in value)
    return True


def unknown_to_null(value: Any) -> Any:
    """Replace every ``Unknown`` with ``None`` (a state after apply may hold no unknowns)."""
    if value is Unknown:
        return None
    if isinstance(value, dict):
        return {k: unknown_to_null(v) for k, v in value.items()}
    if isinstance(value, list):
        return [unknown_to_null(v) for v in value]
    return value
