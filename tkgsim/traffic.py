"""Request counters: how many requests each kind of API call received, for benchmarks and call-count tests.

One ``Traffic`` lives on ``world.traffic``; both aiohttp apps install ``middleware(world)`` first, so every request is
counted once as it arrives, even one that a fault then fails. Admin requests (``/_sim/...``) are not counted. A key
names the call without the object names in it, the way the Kubernetes API server's metrics do, so that N clusters
read one by one show up as N calls of one key instead of N keys:

- Kubernetes: ``GET /apis/cluster.x-k8s.io/v1beta1/namespaces/{namespace}/clusters/{name}``, ``WATCH ...`` for
  ``?watch=true``, subresources kept (``.../{name}/status``);
- vCenter and ``/wcp``: the route's template, e.g. ``GET /api/vcenter/namespaces/instances/v2/{namespace}``.

Read them with ``GET /_sim/requests`` (``{"total": n, "requests": {key: n}}``), zero them with
``DELETE /_sim/requests`` (see ``tkgsim.admin``).
"""

from __future__ import annotations

import collections
import dataclasses
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from aiohttp import web

if TYPE_CHECKING:
    from tkgsim.world import World

__all__ = ["Traffic", "call_key", "middleware"]

ADMIN_PREFIX = "/_sim/"

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclasses.dataclass
class Traffic:
    """Requests received per call key since start or the last reset."""

    counts: collections.Counter[str] = dataclasses.field(default_factory=collections.Counter)

    def record(self, key: str) -> None:
        self.counts[key] += 1

    def reset(self) -> None:
        self.counts.clear()

    def to_dict(self) -> dict[str, Any]:
        """``{"total": n, "requests": {key: n}}``, keys sorted."""
        return {"total": sum(self.counts.values()), "requests": dict(sorted(self.counts.items()))}


def _kubernetes_path(path: str) -> str | None:
    """``path`` with namespace and object names replaced by placeholders; None when it is not a Kubernetes path."""
    parts = path.strip("/").split("/")
    if parts[:2] == ["api", "v1"]:
        prefix, rest = parts[:2], parts[2:]
    elif parts[:1] == ["apis"] and len(parts) >= 3:
        prefix, rest = parts[:3], parts[3:]
    else:
        return None
    if len(rest) >= 3 and rest[0] == "namespaces":  # namespaced: namespaces/<ns>/<plural>[/<name>[/<sub>]]
        rest = ["namespaces", "{namespace}", *rest[2:]]
        named = 3
    else:  # cluster-scoped: <plural>[/<name>[/<sub>]], including namespaces/<name>
        named = 1
    if len(rest) > named:
        rest[named] = "{name}"
    return "/" + "/".join(prefix + rest)


def call_key(request: web.Request) -> str:
    """The counter key of ``request`` (see the module docstring)."""
    method = request.method
    path = _kubernetes_path(request.path)
    if path is not None:
        if method == "GET" and request.query.get("watch") in ("1", "true"):
            method = "WATCH"
        return f"{method} {path}"
    resource = request.match_info.route.resource
    template = resource.canonical if resource is not None else request.path
    return f"{method} {template}"


def middleware(world: World) -> Any:
    """An aiohttp middleware counting every non-admin request in ``world.traffic``."""

    @web.middleware
    async def traffic_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        if not request.path.startswith(ADMIN_PREFIX):
            world.traffic.record(call_key(request))
        return await handler(request)

    return traffic_middleware
