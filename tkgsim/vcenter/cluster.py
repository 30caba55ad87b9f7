"""vSphere clusters: ``GET /api/vcenter/cluster`` (filters ``clusters``, ``names``, ``folders``, ``datacenters``) and
``GET /api/vcenter/cluster/{cluster}``."""

from __future__ import annotations

from aiohttp import web

from tkgsim.vcenter import _http, errors, paths

__all__ = ["ROUTES"]

_MOD = "com.vmware.vcenter_client"
_DATACENTER = "datacenter-3"
_FOLDER = "group-h5"


async def list_(request: web.Request) -> web.Response:
    """``Cluster.Summary[]``; keys AND together, values of one key OR together."""
    world = _http.world_of(request)
    _http.require_user(request)
    query = request.query
    result = []
    for cluster in world.model.get("clusters", []):
        checks = {
            "clusters": cluster["cluster"],
            "names": cluster["name"],
            "folders": cluster.get("folder", _FOLDER),
            "datacenters": cluster.get("datacenter", _DATACENTER),
        }
        if all(not query.getall(key, []) or value in query.getall(key) for key, value in checks.items()):
            result.append(
                {
                    "cluster": cluster["cluster"],
                    "name": cluster["name"],
                    "ha_enabled": bool(cluster.get("ha_enabled", True)),
                    "drs_enabled": bool(cluster.get("drs_enabled", True)),
                }
            )
    return _http.json_response(result)


async def get(request: web.Request) -> web.Response:
    """``Cluster.Info``."""
    world = _http.world_of(request)
    _http.require_user(request)
    cluster_id = request.match_info["cluster"]
    for index, cluster in enumerate(world.model.get("clusters", [])):
        if cluster["cluster"] == cluster_id:
            return _http.json_response({"name": cluster["name"], "resource_pool": f"resgroup-{10 + index}"})
    raise errors.not_found(f"Cluster {cluster_id} not found.", cluster_id, message_id="vcenter.cluster.notfound")


ROUTES = [
    _http.Route("GET", paths.CLUSTERS, list_, _http.Operation(_MOD, "Cluster", "list")),
    _http.Route("GET", paths.CLUSTER, get, _http.Operation(_MOD, "Cluster", "get")),
]
