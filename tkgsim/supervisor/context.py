"""The per-app state shared by the handlers, the controllers and the vCenter mirror."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from aiohttp import web

from tkgsim.world import World

from .resources import Registry
from .store import Store

__all__ = ["SUPERVISOR", "Supervisor"]


@dataclass
class Supervisor:
    """Everything the Supervisor half needs, passed explicitly (never a module global)."""

    world: World
    registry: Registry
    store: Store
    # Wakes the controller runner (called after every store change).
    wake: Callable[[], None] = field(default=lambda: None)


SUPERVISOR = web.AppKey("supervisor", Supervisor)
