"""Schema DSL: attributes and nested blocks (SINGLE, LIST, SET, to any depth) with plan-time behaviour attached.

``tf`` 1.2.0 knows only top-level attributes and SET blocks, and its ``requires_replace``/``default`` work at the top
level only. Here every attribute, at any depth, carries its validators, default and replace rule, and a block knows
how to normalise its value (every attribute present, absent blocks as ``None`` or ``[]``) and compare two values.
"""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Callable, Mapping
from typing import Any

from tf.gen import tfplugin_pb2 as pb

from . import types
from .values import Unknown

__all__ = [
    "NO_DEFAULT",
    "Attribute",
    "Block",
    "GroupBlock",
    "ListBlock",
    "NestedBlock",
    "Nesting",
    "Schema",
    "SetBlock",
    "SingleBlock",
]


class _NoDefault:
    def __repr__(self) -> str:
        return "NO_DEFAULT"


# Sentinel: ``None`` is a valid default (null), so "no default" needs its own value.
NO_DEFAULT: Any = _NoDefault()

# A validator gets the (known, non-null) value and returns an error message, or None when the value is fine.
Validator = Callable[[Any], "str | None"]


@dataclasses.dataclass(frozen=True)
class Attribute:
    """One attribute. ``default`` applies when the configuration leaves it null (needs ``computed=True``).

    A computed attribute the configuration leaves null is unknown in the plan of any change to the resource (its
    value may change with the update), unless ``stable``: then the plan keeps the prior value and the update returns
    it ("use state for unknown"); a later refresh reads the new value if the server's ever differs.
    """

    type: types.Type
    description: str = ""
    required: bool = False
    optional: bool = False
    computed: bool = False
    sensitive: bool = False
    requires_replace: bool = False
    default: Any = NO_DEFAULT
    validators: tuple[Validator, ...] = ()
    deprecated: str = ""
    stable: bool = False

    def __post_init__(self) -> None:
        if self.default is not NO_DEFAULT and not self.computed:
            raise ValueError("an attribute with a default must be computed (Terraform plans the default value)")
        if self.stable and not self.computed:
            raise ValueError("only a computed attribute can be stable (keep its prior value in plans)")
        if not (self.required or self.optional or self.computed):
            raise ValueError("an attribute must be required, optional or computed")

    def to_pb(self, name: str) -> pb.Schema.Attribute:
        return pb.Schema.Attribute(
            name=name,
            type=self.type.type_bytes(),
            description=self.description,
            description_kind=pb.StringKind.MARKDOWN,
            required=self.required,
            optional=self.optional,
            computed=self.computed,
            sensitive=self.sensitive,
            deprecated=bool(self.deprecated),
        )


class Nesting(enum.Enum):
    SINGLE = pb.Schema.NestedBlock.NestingMode.SINGLE
    LIST = pb.Schema.NestedBlock.NestingMode.LIST
    SET = pb.Schema.NestedBlock.NestingMode.SET
    # Like SINGLE, but never null: an absent block reads as the block with every attribute null (defaults applied),
    # so writing the block with default values and leaving it out are the same configuration.
    GROUP = pb.Schema.NestedBlock.NestingMode.GROUP


@dataclasses.dataclass(frozen=True)
class Block:
    """A set of attributes and nested blocks: a resource's top level, or the body of a nested block."""

    attributes: Mapping[str, Attribute] = dataclasses.field(default_factory=dict)
    blocks: Mapping[str, NestedBlock] = dataclasses.field(default_factory=dict)
    description: str = ""

    def to_pb(self) -> pb.Schema.Block:
        return pb.Schema.Block(
            attributes=[a.to_pb(n) for n, a in self.attributes.items()],
            block_types=[b.to_pb(n) for n, b in self.blocks.items()],
            description=self.description,
            description_kind=pb.StringKind.MARKDOWN,
        )

    def normalize(self, value: Any) -> Any:
        """Every attribute present (null when absent), nested blocks normalised, numbers canonical."""
        if value is None or value is Unknown:
            return value
        out: dict[str, Any] = {name: attr.type.normalize(value.get(name)) for name, attr in self.attributes.items()}
        for name, nested in self.blocks.items():
            out[name] = nested.normalize(value.get(name))
        return out

    def equal(self, a: Any, b: Any) -> bool:
        """Semantic equality of two values of this block."""
        if a is None or b is None or a is Unknown or b is Unknown:
            return a is b
        return all(attr.type.equal(a.get(n), b.get(n)) for n, attr in self.attributes.items()) and all(
            nested.equal(a.get(n), b.get(n)) for n, nested in self.blocks.items()
        )

    def walk_attributes(self) -> list[tuple[tuple[str, ...], Attribute]]:
        """Every attribute with its schema path (block names, then the attribute name), depth first."""
        found: list[tuple[tuple[str, ...], Attribute]] = [((n,), a) for n, a in self.attributes.items()]
        for bname, nested in self.blocks.items():
            found += [((bname, *path), a) for path, a in nested.block.walk_attributes()]
        return found


@dataclasses.dataclass(frozen=True)
class NestedBlock:
    """A nested block type. ``requires_replace`` replaces the resource on any change inside the block."""

    block: Block
    nesting: Nesting
    min_items: int = 0
    max_items: int = 0
    requires_replace: bool = False
    description: str = ""

    @property
    def single(self) -> bool:
        """True for the nestings that hold one object (SINGLE, GROUP) rather than a list."""
        return self.nesting in (Nesting.SINGLE, Nesting.GROUP)

    def to_pb(self, name: str) -> pb.Schema.NestedBlock:
        body = self.block.to_pb()
        if self.description:
            body.description = self.description
        min_items, max_items = self.min_items, self.max_items
        if self.nesting is Nesting.SINGLE:
            # Terraform requires MinItems == MaxItems in SINGLE mode: 1/1 for a required block, 0/0 for an optional one.
            min_items = max_items = 1 if self.min_items else 0
        elif self.nesting is Nesting.GROUP:
            min_items = max_items = 0
        return pb.Schema.NestedBlock(
            type_name=name,
            block=body,
            nesting=self.nesting.value,
            min_items=min_items,
            max_items=max_items,
        )

    def normalize(self, value: Any) -> Any:
        if value is Unknown:
            return value
        if self.nesting is Nesting.SINGLE:
            return self.block.normalize(value)
        if self.nesting is Nesting.GROUP:
            return self.block.normalize(value or {})
        return [self.block.normalize(v) for v in (value or [])]

    def equal(self, a: Any, b: Any) -> bool:
        if self.single:
            return self.block.equal(a, b)
        if a is Unknown or b is Unknown:
            return a is b
        a, b = a or [], b or []
        if len(a) != len(b):
            return False
        if self.nesting is Nesting.LIST:
            return all(self.block.equal(x, y) for x, y in zip(a, b, strict=True))
        remaining = list(b)
        for x in a:
            match = next((i for i, y in enumerate(remaining) if self.block.equal(x, y)), None)
            if match is None:
                return False
            remaining.pop(match)
        return True


def SingleBlock(block: Block, *, required: bool = False, **kw: Any) -> NestedBlock:
    """A block that appears at most once (``required`` makes it appear exactly once)."""
    return NestedBlock(block, Nesting.SINGLE, min_items=1 if required else 0, max_items=1, **kw)


def GroupBlock(block: Block, **kw: Any) -> NestedBlock:
    """A block that appears at most once and is never null: leaving it out equals writing it with no arguments."""
    return NestedBlock(block, Nesting.GROUP, **kw)


def ListBlock(block: Block, **kw: Any) -> NestedBlock:
    """An ordered, repeatable block."""
    return NestedBlock(block, Nesting.LIST, **kw)


def SetBlock(block: Block, **kw: Any) -> NestedBlock:
    """An unordered, repeatable block; identical elements collapse into one."""
    return NestedBlock(block, Nesting.SET, **kw)


@dataclasses.dataclass(frozen=True)
class Schema:
    """A resource, data source or provider schema."""

    block: Block
    version: int = 0

    def to_pb(self) -> pb.Schema:
        return pb.Schema(version=self.version, block=self.block.to_pb())
