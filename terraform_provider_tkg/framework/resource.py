"""What a provider, a resource and a data source implement, and the contexts their methods receive.

Values are plain dicts in the Python form of ``framework.values`` (every attribute present; nested blocks as dicts,
lists or ``None``). Methods report problems through ``ctx.diagnostics``; an exception that escapes is turned into a
"provider bug" diagnostic by the servicer. A create or update that fails part-way returns the state it reached
together with an error diagnostic, so Terraform records (taints) the object instead of forgetting it.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from typing import Any, ClassVar

from . import durations, validators
from .diagnostics import Diagnostics, Path
from .schema import Attribute, Block, Schema, SingleBlock
from .types import String

__all__ = [
    "ApplyContext",
    "Context",
    "DataSource",
    "PlanContext",
    "Provider",
    "Resource",
    "Timeouts",
]

TIMEOUTS = "timeouts"


class Cancelled(Exception):
    """Terraform asked the provider to stop (Ctrl-C) while an operation was waiting."""


@dataclasses.dataclass
class Context:
    """Per-call context: diagnostics to fill, private state, deadline and the stop signal."""

    diagnostics: Diagnostics
    type_name: str
    stop: threading.Event = dataclasses.field(default_factory=threading.Event)
    # Private state: provider-only data kept by Terraform beside the resource state (JSON-serialisable).
    private: dict[str, Any] = dataclasses.field(default_factory=dict)
    # time.monotonic() value by which the operation must finish; None means no limit.
    deadline: float | None = None
    timeout: float | None = None

    def remaining(self) -> float | None:
        """Seconds left before the deadline (never negative), or None without a deadline."""
        return None if self.deadline is None else max(0.0, self.deadline - time.monotonic())

    def check_stop(self) -> None:
        """Raise ``Cancelled`` if Terraform asked the provider to stop."""
        if self.stop.is_set():
            raise Cancelled("stopped by Terraform (interrupt)")


@dataclasses.dataclass
class PlanContext(Context):
    """Plan hook context. ``changed`` lists the paths whose planned value differs from the prior state."""

    config: dict[str, Any] | None = None
    prior: dict[str, Any] | None = None
    changed: list[Path] = dataclasses.field(default_factory=list)
    requires_replace: set[Path] = dataclasses.field(default_factory=set)

    @property
    def is_create(self) -> bool:
        return self.prior is None


ApplyContext = Context


@dataclasses.dataclass(frozen=True)
class Timeouts:
    """Default operation timeouts in seconds; users override them in a ``timeouts`` block."""

    create: float | None = None
    update: float | None = None
    delete: float | None = None

    def block(self) -> Block:
        attrs = {}
        for op in ("create", "update", "delete"):
            default = getattr(self, op)
            if default is not None:
                attrs[op] = Attribute(
                    String(),
                    optional=True,
                    description=f'How long to wait for {op} (Go duration, e.g. "45m", "1h30m"). '
                    f"Default: `{durations.format_seconds(default)}`.",
                    validators=(validators.duration,),
                )
        return Block(attributes=attrs, description="Operation timeouts.")

    def seconds(self, op: str, state: dict[str, Any] | None) -> float | None:
        """The timeout for ``op``: the user's value from the ``timeouts`` block, else the default."""
        configured = ((state or {}).get(TIMEOUTS) or {}).get(op)
        if configured:
            return durations.parse(configured)
        value: float | None = getattr(self, op)
        return value


class Resource:
    """Base class for a managed resource type. Subclasses set the class attributes and override CRUD."""

    type_name: ClassVar[str]
    schema: ClassVar[Schema]
    timeouts: ClassVar[Timeouts | None] = None

    def __init__(self, provider_data: Any) -> None:
        self.provider_data = provider_data

    @classmethod
    def full_schema(cls) -> Schema:
        """The schema Terraform sees: the resource's own, plus the ``timeouts`` block when it has timeouts."""
        if cls.timeouts is None:
            return cls.schema
        block = cls.schema.block
        blocks = {**block.blocks, TIMEOUTS: SingleBlock(cls.timeouts.block())}
        return dataclasses.replace(cls.schema, block=dataclasses.replace(block, blocks=blocks))

    @classmethod
    def importable(cls) -> bool:
        return cls.import_ is not Resource.import_

    def validate(self, ctx: Context, config: dict[str, Any]) -> None:
        """Cross-attribute checks on the configuration (values may be ``Unknown``)."""

    def plan(self, ctx: PlanContext, planned: dict[str, Any]) -> dict[str, Any]:
        """Adjust a create or update plan (mark computed values unknown, add replace paths, validate)."""
        return planned

    def create(self, ctx: Context, planned: dict[str, Any]) -> dict[str, Any] | None:
        raise NotImplementedError

    def read(self, ctx: Context, state: dict[str, Any]) -> dict[str, Any] | None:
        """The object as it is now, or None when it no longer exists (Terraform then plans to create it)."""
        raise NotImplementedError

    def update(self, ctx: Context, prior: dict[str, Any], planned: dict[str, Any]) -> dict[str, Any] | None:
        raise NotImplementedError

    def delete(self, ctx: Context, state: dict[str, Any]) -> None:
        raise NotImplementedError

    def import_(self, ctx: Context, import_id: str) -> dict[str, Any] | None:
        """State for ``terraform import``; Terraform then calls ``read``. Not overridden = not importable."""
        raise NotImplementedError

    def upgrade(self, ctx: Context, version: int, state: dict[str, Any]) -> dict[str, Any]:
        """Bring state written by an older schema version up to date."""
        return state


class DataSource:
    """Base class for a data source type."""

    type_name: ClassVar[str]
    schema: ClassVar[Schema]

    def __init__(self, provider_data: Any) -> None:
        self.provider_data = provider_data

    def validate(self, ctx: Context, config: dict[str, Any]) -> None:
        """Cross-attribute checks on the configuration (values may be ``Unknown``)."""

    def read(self, ctx: Context, config: dict[str, Any]) -> dict[str, Any] | None:
        raise NotImplementedError


class Provider:
    """Base class for the provider: its schema, its types and ``configure``."""

    full_name: ClassVar[str]
    schema: ClassVar[Schema]
    resources: ClassVar[tuple[type[Resource], ...]] = ()
    data_sources: ClassVar[tuple[type[DataSource], ...]] = ()

    def validate(self, ctx: Context, config: dict[str, Any]) -> None:
        """Cross-attribute checks on the provider configuration."""

    def configure(self, ctx: Context, config: dict[str, Any]) -> Any:
        """Return the object handed to every resource and data source (e.g. lazily built API clients)."""
        return None
