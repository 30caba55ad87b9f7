"""Admin endpoints of the simulator, served on the vCenter port under ``/_sim/`` (HTTP Basic of an admin user).

- ``GET /_sim/faults`` → the fault knobs and injection counters (``tkgsim.faults.Faults.to_dict``);
- ``PATCH /_sim/faults`` with a partial JSON object → 200 + the new knobs; ``{"counters": {}}`` resets the counters;
- ``GET /_sim/snapshot`` → every object of both halves: ``{"vcenter": {"namespaces": {...}, "vm_classes": {...}},
  "k8s": <world.data["k8s"]>, "faults": {...}}``;
- ``GET /_sim/requests`` → requests received per kind of call since start or the last reset
  (``{"total": n, "requests": {"GET /api/...": n}}``, see ``tkgsim.traffic``); ``DELETE /_sim/requests`` zeroes them
  and answers the zeroed counters;
- ``POST /_sim/reset`` → deletes every namespace and restores the seed VM classes (the Supervisor half follows through
  the usual namespace events); sessions and fault knobs are kept.

Out-of-band edits (drift) go through the real APIs, not through here. Errors are ``{"error": "..."}`` with 400/401/403.
"""

from __future__ import annotations

import copy
import dataclasses
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from tkgsim import auth, faults
from tkgsim.world import World

__all__ = ["PREFIX", "ROUTES", "WORLD_KEY", "snapshot"]

logger = logging.getLogger(__name__)

PREFIX = "/_sim"
WORLD_KEY: web.AppKey[World] = web.AppKey("tkgsim_admin_world", World)


@dataclasses.dataclass(frozen=True)
class AdminRoute:
    """One admin endpoint."""

    method: str
    path: str
    handler: Callable[[web.Request], Awaitable[web.StreamResponse]]


def _fail(status: int, message: str) -> web.Response:
    headers = {"WWW-Authenticate": 'Basic realm="tkg-sim admin"'} if status == 401 else {}
    return web.json_response({"error": message}, status=status, headers=headers)


def _world(request: web.Request) -> World:
    from tkgsim.vcenter import _http

    return request.app[_http.WORLD_KEY]


def _admin_or_error(request: web.Request) -> web.Response | None:
    user = auth.check_basic(_world(request), request.headers.get("Authorization"))
    if user is None:
        return _fail(401, "admin endpoints need HTTP Basic credentials of a simulator user")
    if not auth.is_admin(user):
        return _fail(403, f"user {user['name']} is not an admin")
    return None


def snapshot(world: World) -> dict[str, Any]:
    """Every object the simulator holds, as JSON (vCenter objects in their wire view plus private keys)."""
    from tkgsim.vcenter import store
    from tkgsim.vcenter.namespace_management import virtual_machine_classes
    from tkgsim.vcenter.namespaces import instances

    namespaces = {
        name: {**instances.info_v2(ns), **{k: copy.deepcopy(v) for k, v in ns.items() if k.startswith("_")}}
        for name, ns in sorted(store.namespaces(world).items())
    }
    classes = {
        cid: virtual_machine_classes.info(world, cid, stored) for cid, stored in sorted(store.vm_classes(world).items())
    }
    return {
        "vcenter": {"namespaces": namespaces, "vm_classes": classes},
        "k8s": copy.deepcopy(world.data.get("k8s", {})),
        "faults": world.faults.to_dict(),
    }


async def get_faults(request: web.Request) -> web.Response:
    """GET /_sim/faults."""
    denied = _admin_or_error(request)
    if denied is not None:
        return denied
    return web.json_response(_world(request).faults.to_dict())


async def patch_faults(request: web.Request) -> web.Response:
    """PATCH /_sim/faults."""
    denied = _admin_or_error(request)
    if denied is not None:
        return denied
    world = _world(request)
    try:
        changes = json.loads(await request.read() or b"{}")
        world.faults.update(changes)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        return _fail(400, f"the body is not JSON: {exc}")
    except faults.FaultsError as exc:
        return _fail(400, str(exc))
    logger.info("fault knobs changed: %s", sorted(k for k in changes if k != "counters"))
    return web.json_response(world.faults.to_dict())


async def get_snapshot(request: web.Request) -> web.Response:
    """GET /_sim/snapshot."""
    denied = _admin_or_error(request)
    if denied is not None:
        return denied
    return web.json_response(snapshot(_world(request)))


async def reset(request: web.Request) -> web.Response:
    """POST /_sim/reset."""
    denied = _admin_or_error(request)
    if denied is not None:
        return denied
    from tkgsim import world as world_mod
    from tkgsim.vcenter import store
    from tkgsim.vcenter.namespace_management import virtual_machine_classes

    world = _world(request)
    for name in list(store.namespaces(world)):
        del store.namespaces(world)[name]
        world.emit(world_mod.NAMESPACE, name, None)
    data = store.vcenter_data(world)
    old_classes = set(data["vm_classes"])
    del data["vm_classes"]
    store.vcenter_data(world)
    for class_id in sorted(old_classes | set(data["vm_classes"])):
        virtual_machine_classes.emit_class(world, class_id)
    logger.info("simulator reset to the seed inventory")
    return web.json_response(snapshot(world))


async def get_requests(request: web.Request) -> web.Response:
    """GET /_sim/requests."""
    denied = _admin_or_error(request)
    if denied is not None:
        return denied
    return web.json_response(_world(request).traffic.to_dict())


async def reset_requests(request: web.Request) -> web.Response:
    """DELETE /_sim/requests."""
    denied = _admin_or_error(request)
    if denied is not None:
        return denied
    world = _world(request)
    world.traffic.reset()
    return web.json_response(world.traffic.to_dict())


ROUTES = [
    AdminRoute("GET", f"{PREFIX}/faults", get_faults),
    AdminRoute("PATCH", f"{PREFIX}/faults", patch_faults),
    AdminRoute("GET", f"{PREFIX}/snapshot", get_snapshot),
    AdminRoute("POST", f"{PREFIX}/reset", reset),
    AdminRoute("GET", f"{PREFIX}/requests", get_requests),
    AdminRoute("DELETE", f"{PREFIX}/requests", reset_requests),
]
