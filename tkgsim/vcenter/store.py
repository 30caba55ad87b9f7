"""Access to ``world.data["vcenter"]`` and the seed inventory, plus the timers behind asynchronous status changes.

``world.data["vcenter"]`` holds ``namespaces`` (name → InfoV2-shaped dict with wire names; private keys start with
``_``), ``vm_classes`` (id → stored VM class fields; ``namespaces``/``vms`` are computed on read) and ``sessions``
(owned by ``tkgsim.auth``). Seed VM classes are copied in the first time a world starts without them.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import Any

from aiohttp import web

from tkgsim.world import World

__all__ = [
    "TIMERS_KEY",
    "Timers",
    "content_library",
    "namespaces",
    "rfc3339",
    "storage_policy",
    "supervisor",
    "supervisor_for_cluster",
    "vcenter_data",
    "vm_classes",
]

logger = logging.getLogger(__name__)


def vcenter_data(world: World) -> dict[str, Any]:
    """``world.data["vcenter"]``, created (and VM classes seeded) on first use."""
    data: dict[str, Any] = world.data.setdefault("vcenter", {})
    data.setdefault("namespaces", {})
    data.setdefault("sessions", {})
    if "vm_classes" not in data:
        data["vm_classes"] = {
            entry["id"]: {**entry, "config_status": "READY", "messages": []}
            for entry in world.model.get("vm_classes", [])
        }
    return data


def namespaces(world: World) -> dict[str, dict[str, Any]]:
    """Namespace name → stored InfoV2-shaped dict."""
    result: dict[str, dict[str, Any]] = vcenter_data(world)["namespaces"]
    return result


def vm_classes(world: World) -> dict[str, dict[str, Any]]:
    """VM class id → stored VM class dict."""
    result: dict[str, dict[str, Any]] = vcenter_data(world)["vm_classes"]
    return result


def _find(entries: list[dict[str, Any]], key: str, value: str) -> dict[str, Any] | None:
    return next((entry for entry in entries if entry.get(key) == value), None)


def supervisor(world: World, supervisor_id: str) -> dict[str, Any] | None:
    """The seed Supervisor with this id."""
    return _find(world.model.get("supervisors", []), "supervisor", supervisor_id)


def supervisor_for_cluster(world: World, cluster_id: str) -> dict[str, Any] | None:
    """The seed Supervisor enabled on this vSphere cluster."""
    return _find(world.model.get("supervisors", []), "cluster", cluster_id)


def storage_policy(world: World, policy_id: str) -> dict[str, Any] | None:
    """The seed storage policy with this id."""
    return _find(world.model.get("storage_policies", []), "policy", policy_id)


def content_library(world: World, library_id: str) -> dict[str, Any] | None:
    """The seed content library with this id."""
    return _find(world.model.get("content_libraries", []), "id", library_id)


def rfc3339(epoch: float) -> str:
    """RFC 3339 UTC with millisecond precision, as vCenter writes datetimes."""
    whole = time.gmtime(epoch)
    return time.strftime("%Y-%m-%dT%H:%M:%S", whole) + f".{int(epoch * 1000) % 1000:03d}Z"


class Timers:
    """Delayed callbacks on the running loop; a zero delay runs the callback at once (synchronously)."""

    def __init__(self) -> None:
        self._handles: set[asyncio.TimerHandle] = set()

    def call_later(self, delay: float, callback: Callable[[], None]) -> None:
        """Run ``callback`` after ``delay`` seconds (now, when ``delay <= 0``)."""
        if delay <= 0:
            callback()
            return
        loop = asyncio.get_running_loop()

        def fire() -> None:
            self._handles.discard(handle)
            try:
                callback()
            except Exception:
                logger.exception("delayed transition failed")

        handle = loop.call_later(delay, fire)
        self._handles.add(handle)

    def cancel_all(self) -> None:
        """Forget every pending callback (shutdown)."""
        for handle in self._handles:
            handle.cancel()
        self._handles.clear()


TIMERS_KEY: web.AppKey[Timers] = web.AppKey("tkgsim_vcenter_timers", Timers)
