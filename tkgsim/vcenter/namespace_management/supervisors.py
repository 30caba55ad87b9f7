"""Supervisor summaries: ``/api/vcenter/namespace-management/supervisors/summaries`` (``{"items": [...]}``),
``.../supervisors/{supervisor}/summary`` and ``.../supervisors/{supervisor}/topology`` (vSphere API 8.0.0.1: the
vSphere Zones and clusters a Supervisor runs on)."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from tkgsim.vcenter import _http, _inventory, errors, paths, store
from tkgsim.world import World

__all__ = ["ROUTES"]

_MOD = "com.vmware.vcenter.namespace_management.supervisors_client"


def _info(world: World, sv: dict[str, Any]) -> dict[str, Any]:
    info: dict[str, Any] = {
        "name": sv["name"],
        "stats": _inventory.stats(world),
        "config_status": sv.get("config_status", "RUNNING"),
        "kubernetes_status": sv.get("kubernetes_status", "READY"),
        "messages": [],
    }
    # ``APIEndpoint`` arrived with vSphere API 9.1; vCenter 8 summaries do not have it.
    if world.profile.has_api_endpoint:
        info["APIEndpoint"] = _inventory.supervisor_endpoint(world, sv)
    return info


async def list_(request: web.Request) -> web.Response:
    """GET .../supervisors/summaries — optional filters ``config_status`` and ``kubernetes_status``."""
    world = _http.world_of(request)
    _http.require_user(request)
    items = []
    for sv in world.model.get("supervisors", []):
        info = _info(world, sv)
        if any(
            request.query.getall(key, []) and info[key] not in request.query.getall(key)
            for key in ("config_status", "kubernetes_status")
        ):
            continue
        items.append({"supervisor": sv["supervisor"], "info": info})
    return _http.json_response({"items": items})


async def get(request: web.Request) -> web.Response:
    """GET .../supervisors/{supervisor}/summary."""
    world = _http.world_of(request)
    _http.require_user(request)
    supervisor_id = request.match_info["supervisor"]
    sv = store.supervisor(world, supervisor_id)
    if sv is None:
        raise errors.not_found(
            f"Supervisor {supervisor_id} not found.", supervisor_id, message_id="vcenter.wcp.supervisor.notfound"
        )
    return _http.json_response(_info(world, sv))


async def topology(request: web.Request) -> web.Response:
    """GET .../supervisors/{supervisor}/topology — ``Topology.Info[]`` (one zone holding the Supervisor's cluster)."""
    world = _http.world_of(request)
    _http.require_user(request)
    supervisor_id = request.match_info["supervisor"]
    sv = store.supervisor(world, supervisor_id)
    if sv is None:
        raise errors.not_found(
            f"Supervisor {supervisor_id} not found.", supervisor_id, message_id="vcenter.wcp.supervisor.notfound"
        )
    cluster = str(sv.get("cluster", ""))
    return _http.json_response([{"zone": str(sv.get("zone") or f"zone-{cluster}"), "clusters": [cluster]}])


ROUTES = [
    _http.Route("GET", paths.SUPERVISOR_SUMMARIES, list_, _http.Operation(_MOD, "Summary", "list")),
    _http.Route("GET", paths.SUPERVISOR_SUMMARY, get, _http.Operation(_MOD, "Summary", "get")),
    _http.Route("GET", paths.SUPERVISOR_TOPOLOGY, topology, _http.Operation(_MOD, "Topology", "get")),
]
