"""Typed models over Terraform values: dataclasses with one field per attribute, nested blocks as nested dataclasses.

The framework hands resources and data sources plain dicts (every attribute present, nested blocks as dicts, lists or
None). Their code is easier to read and type-check over dataclasses, so ``from_tf`` turns such a dict into a dataclass
tree and ``to_tf`` turns it back. A field holding a nested block says so with ``single(Cls)`` or ``many(Cls)``; every
other field holds an attribute value as it is (maps stay dicts, lists stay lists). Values may be the ``Unknown``
sentinel at plan time; they pass through untouched. This is the only place Terraform values become typed objects.
"""

from __future__ import annotations

import dataclasses
from typing import Any, TypeVar

from .values import Unknown

__all__ = ["from_tf", "group", "many", "single", "to_tf"]

T = TypeVar("T")

_BLOCK = "tf_block"


def single(cls: type[Any]) -> Any:
    """A field holding a SINGLE nested block (``None`` when absent)."""
    return dataclasses.field(default=None, metadata={_BLOCK: ("single", cls)})


def group(cls: type[Any]) -> Any:
    """A field holding a GROUP nested block (never null: ``cls()`` when absent)."""
    return dataclasses.field(default_factory=cls, metadata={_BLOCK: ("single", cls)})


def many(cls: type[Any]) -> Any:
    """A field holding a LIST or SET nested block (a list, empty when absent)."""
    return dataclasses.field(default_factory=list, metadata={_BLOCK: ("many", cls)})


def from_tf(cls: type[T], value: Any) -> T:
    """The dataclass ``cls`` built from a Terraform object value (a dict); missing keys take the field default."""
    kwargs: dict[str, Any] = {}
    for f in dataclasses.fields(cls):  # type: ignore[arg-type]
        if f.name not in value:
            continue
        item = value[f.name]
        nested = f.metadata.get(_BLOCK)
        if nested and item is not None and item is not Unknown:
            kind, sub = nested
            item = from_tf(sub, item) if kind == "single" else [from_tf(sub, e) for e in item]
        elif nested and item is None and nested[0] == "many":
            item = []
        kwargs[f.name] = item
    return cls(**kwargs)


def _plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return to_tf(value)
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def to_tf(obj: Any) -> dict[str, Any]:
    """A Terraform object value (a dict) from a dataclass tree built by ``from_tf``."""
    return {f.name: _plain(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
