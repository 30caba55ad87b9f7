"""Terraform value types: the cty type spec sent in schemas, normalisation and semantic equality.

``tf`` 1.2.0 has no Object type and compares sets by ``str()``; these types cover every cty type a schema here needs
and are used by the codec and the plan engine. Values are in the Python form of ``framework.values``.
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from collections.abc import Mapping
from typing import Any

from .values import Unknown

__all__ = ["Bool", "Json", "List", "Map", "Number", "Object", "Set", "String", "Type"]


def canonical(value: Any) -> str:
    """A stable text form of a value, used to compare set elements regardless of order."""
    return json.dumps(value, sort_keys=True, default=lambda o: "<unknown>" if o is Unknown else str(o))


class Type(ABC):
    """A Terraform (cty) type."""

    @abstractmethod
    def cty(self) -> Any:
        """The JSON type spec Terraform expects in a schema (``"string"``, ``["list", "number"]``…)."""

    def normalize(self, value: Any) -> Any:
        """Bring a value into its canonical Python form (e.g. fill absent object attributes with null)."""
        return value

    def equal(self, a: Any, b: Any) -> bool:
        """Semantic equality; ``Unknown`` equals only ``Unknown``."""
        if a is Unknown or b is Unknown:
            return a is b
        return bool(a == b)

    def type_bytes(self) -> bytes:
        return json.dumps(self.cty(), separators=(",", ":")).encode()


class String(Type):
    def cty(self) -> Any:
        return "string"


class Bool(Type):
    def cty(self) -> Any:
        return "bool"


class Number(Type):
    """A number; whole floats are normalised to ``int`` so ``2`` and ``2.0`` compare equal."""

    def cty(self) -> Any:
        return "number"

    def normalize(self, value: Any) -> Any:
        if isinstance(value, str):  # cty sends numbers that do not fit 64 bits as decimal strings
            value = float(value)
        if isinstance(value, float) and value.is_integer():
            return int(value)
        return value


_GO_ESCAPES = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}


class Json(String):
    """A string holding JSON, equal to another when both parse to the same value (key order, spacing ignored)."""

    @staticmethod
    def encode(value: Any) -> str:
        """``value`` as JSON text spelled exactly as Terraform's ``jsonencode`` writes it: keys sorted, no spaces,
        ``<``, ``>``, ``&``, U+2028 and U+2029 escaped (Go's encoding/json), other characters as they are. A value
        read from a server in this spelling matches the configuration byte for byte (what import needs)."""
        text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        for char, escaped in _GO_ESCAPES.items():
            text = text.replace(char, escaped)
        return text

    def equal(self, a: Any, b: Any) -> bool:
        if a is None or b is None or a is Unknown or b is Unknown:
            return a is b
        try:
            return bool(json.loads(a) == json.loads(b))
        except (TypeError, ValueError):
            return bool(a == b)


class _Collection(Type):
    kind = ""

    def __init__(self, element: Type) -> None:
        self.element = element

    def cty(self) -> Any:
        return [self.kind, self.element.cty()]

    def normalize(self, value: Any) -> Any:
        if value is None or value is Unknown:
            return value
        return [self.element.normalize(v) for v in value]


class List(_Collection):
    kind = "list"

    def equal(self, a: Any, b: Any) -> bool:
        if a is None or b is None or a is Unknown or b is Unknown:
            return a is b
        return len(a) == len(b) and all(self.element.equal(x, y) for x, y in zip(a, b, strict=True))


class Set(_Collection):
    """A set, held as a list; order never matters for equality."""

    kind = "set"

    def equal(self, a: Any, b: Any) -> bool:
        if a is None or b is None or a is Unknown or b is Unknown:
            return a is b
        if len(a) != len(b):
            return False
        remaining = list(b)
        for x in a:
            match = next((i for i, y in enumerate(remaining) if self.element.equal(x, y)), None)
            if match is None:
                return False
            remaining.pop(match)
        return True


class Map(Type):
    def __init__(self, element: Type) -> None:
        self.element = element

    def cty(self) -> Any:
        return ["map", self.element.cty()]

    def normalize(self, value: Any) -> Any:
        if value is None or value is Unknown:
            return value
        return {k: self.element.normalize(v) for k, v in value.items()}

    def equal(self, a: Any, b: Any) -> bool:
        if a is None or b is None or a is Unknown or b is Unknown:
            return a is b
        return a.keys() == b.keys() and all(self.element.equal(a[k], b[k]) for k in a)


class Object(Type):
    """An object with fixed attribute names; ``optional`` names may be omitted in configuration."""

    def __init__(self, attributes: Mapping[str, Type], optional: frozenset[str] | set[str] = frozenset()) -> None:
        self.attributes = dict(attributes)
        self.optional = frozenset(optional)

    def cty(self) -> Any:
        spec = {name: t.cty() for name, t in self.attributes.items()}
        if self.optional:
            return ["object", spec, sorted(self.optional)]
        return ["object", spec]

    def normalize(self, value: Any) -> Any:
        if value is None or value is Unknown:
            return value
        return {name: t.normalize(value.get(name)) for name, t in self.attributes.items()}

    def equal(self, a: Any, b: Any) -> bool:
        if a is None or b is None or a is Unknown or b is Unknown:
            return a is b
        return all(t.equal(a.get(n), b.get(n)) for n, t in self.attributes.items())
