"""Declarative request shapes of the vCenter REST API, and the parser that validates bodies against them.

Every body the simulator accepts is parsed with one ``Struct`` below. A struct names the binding type it mirrors
(module + qualified class of the official ``vmware-vcenter`` bindings) so that the contract tests can check every
accepted field name, its kind and its enum values against the real definitions.

Parsing rules (reference §0.4, §0.6):

- a ``null`` value counts as absent;
- keys match canonically, and the mixed-case wire names (``memory_MB``, ``cpu_limit_MHz`` ...) also match
  case-insensitively, so ``memory_mb`` is accepted and stored as ``memory_MB``;
- an unknown key is an INVALID_ARGUMENT naming it (the simulator is strict so client spelling bugs surface early);
- ``opaque`` fields (network and edge specs, ``config_spec``) are stored and echoed unchanged.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Any

from tkgsim.vcenter import errors

__all__ = ["DNS_LABEL", "Field", "Struct", "is_dns_label", "parse"]

DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")


def is_dns_label(name: str) -> bool:
    """DNS-1123 label: lower-case alphanumerics and '-', at most 63 characters, alphanumeric at both ends."""
    return len(name) <= 63 and DNS_LABEL.match(name) is not None


@dataclasses.dataclass(frozen=True)
class Field:
    """One field: ``kind`` is string | integer | boolean | enum | list | struct | opaque."""

    kind: str
    required: bool = False
    item: Field | None = None
    struct: Struct | None = None
    values: tuple[str, ...] = ()
    minimum: int | None = None
    maximum: int | None = None


@dataclasses.dataclass(frozen=True)
class Struct:
    """A request structure; ``binding`` = (binding module, qualified class name) of the official type."""

    binding: tuple[str, str]
    fields: dict[str, Field]

    def canonical_key(self, key: str) -> str | None:
        """The canonical field name ``key`` denotes (exact, else case-insensitive), or None."""
        if key in self.fields:
            return key
        lowered = key.lower()
        for name in self.fields:
            if name.lower() == lowered:
                return name
        return None


def string(*, required: bool = False) -> Field:
    """A string or id field."""
    return Field("string", required)


def integer(*, required: bool = False, minimum: int | None = None, maximum: int | None = None) -> Field:
    """An integer field, optionally bounded."""
    return Field("integer", required, minimum=minimum, maximum=maximum)


def boolean(*, required: bool = False) -> Field:
    """A boolean field."""
    return Field("boolean", required)


def enum(*values: str, required: bool = False) -> Field:
    """An enum field (upper-case strings)."""
    return Field("enum", required, values=values)


def list_of(item: Field, *, required: bool = False) -> Field:
    """A list (or set) field."""
    return Field("list", required, item=item)


def struct(shape: Struct, *, required: bool = False) -> Field:
    """A nested structure (also used for dynamic structures with a known shape, such as ``resource_spec``)."""
    return Field("struct", required, struct=shape)


def opaque(*, required: bool = False) -> Field:
    """Stored and echoed unchanged."""
    return Field("opaque", required)


def _invalid(path: str, problem: str) -> errors.VcenterError:
    return errors.invalid_argument(
        f"Invalid value for field '{path}': {problem}.", path, problem, message_id="vapi.bindings.typeconverter.invalid"
    )


def parse(shape: Struct, value: Any, path: str = "") -> dict[str, Any]:
    """Validate ``value`` against ``shape``; returns a copy with canonical keys and nulls dropped.

    ``path`` is the field path of ``value`` inside the request body ("" for the body itself). Raises ``VcenterError``
    (INVALID_ARGUMENT) naming the offending field path.
    """
    if not isinstance(value, dict):
        raise _invalid(path or "(request body)", "expected a JSON object")
    out: dict[str, Any] = {}
    for key, item in value.items():
        name = shape.canonical_key(str(key))
        if name is None:
            child = f"{path}.{key}" if path else str(key)
            raise errors.invalid_argument(
                f"Unknown field '{child}'.", child, message_id="vapi.bindings.typeconverter.unexpected.field"
            )
        child = f"{path}.{name}" if path else name
        if name in out:
            raise _invalid(child, "given twice with different spellings")
        if item is None:
            continue
        out[name] = _parse_field(shape.fields[name], item, child)
    for name, field in shape.fields.items():
        if field.required and name not in out:
            child = f"{path}.{name}" if path else name
            raise errors.invalid_argument(
                f"Field '{child}' is required.", child, message_id="vapi.bindings.typeconverter.missing.field"
            )
    return out


def _parse_field(field: Field, value: Any, path: str) -> Any:
    kind = field.kind
    if kind == "string":
        if not isinstance(value, str):
            raise _invalid(path, "expected a string")
        return value
    if kind == "boolean":
        if not isinstance(value, bool):
            raise _invalid(path, "expected a boolean")
        return value
    if kind == "integer":
        if isinstance(value, bool) or not isinstance(value, int):
            raise _invalid(path, "expected an integer")
        if field.minimum is not None and value < field.minimum:
            raise _invalid(path, f"must be at least {field.minimum}")
        if field.maximum is not None and value > field.maximum:
            raise _invalid(path, f"must be at most {field.maximum}")
        return value
    if kind == "enum":
        if value not in field.values:
            raise _invalid(path, f"must be one of {', '.join(field.values)}")
        return value
    if kind == "list":
        if not isinstance(value, list):
            raise _invalid(path, "expected a JSON array")
        assert field.item is not None
        return [_parse_field(field.item, element, f"{path}[{index}]") for index, element in enumerate(value)]
    if kind == "struct":
        assert field.struct is not None
        return parse(field.struct, value, path)
    return value
