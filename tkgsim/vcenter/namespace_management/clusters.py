"""Supervisor-enabled clusters: ``/api/vcenter/namespace-management/clusters[/{cluster}]`` (deprecated in 9.1 in
favour of the Supervisor summaries, still served)."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from tkgsim.vcenter import _http, _inventory, errors, paths
from tkgsim.world import World

__all__ = ["ROUTES"]

_MOD = "com.vmware.vcenter.namespace_management_client"


def _enabled_clusters(world: World) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    clusters = {c["cluster"]: c for c in world.model.get("clusters", [])}
    return [(clusters[sv["cluster"]], sv) for sv in world.model.get("supervisors", []) if sv.get("cluster") in clusters]


async def list_(request: web.Request) -> web.Response:
    """GET .../namespace-management/clusters — ``Clusters.Summary[]``."""
    world = _http.world_of(request)
    _http.require_user(request)
    return _http.json_response(
        [
            {
                "cluster": cluster["cluster"],
                "cluster_name": cluster["name"],
                "stats": _inventory.stats(world),
                "config_status": sv.get("config_status", "RUNNING"),
                "kubernetes_status": sv.get("kubernetes_status", "READY"),
            }
            for cluster, sv in _enabled_clusters(world)
        ]
    )


async def get(request: web.Request) -> web.Response:
    """GET .../namespace-management/clusters/{cluster} — ``Clusters.Info`` (vSphere networking)."""
    world = _http.world_of(request)
    _http.require_user(request)
    cluster_id = request.match_info["cluster"]
    for cluster, sv in _enabled_clusters(world):
        if cluster["cluster"] != cluster_id:
            continue
        endpoint = _inventory.cluster_endpoint(world, sv)
        policies = world.model.get("storage_policies", [])
        info: dict[str, Any] = {
            "size_hint": "SMALL",
            "stat_summary": _inventory.stats(world),
            "config_status": sv.get("config_status", "RUNNING"),
            "messages": [],
            "kubernetes_status": sv.get("kubernetes_status", "READY"),
            "kubernetes_status_messages": [],
            "api_server_management_endpoint": endpoint,
            "api_server_cluster_endpoint": endpoint,
            "api_servers": [endpoint],
            "network_provider": "VSPHERE_NETWORK",
            "service_cidr": {"address": "10.96.0.0", "prefix": 23},
            "count": 3,
        }
        if policies:
            info["master_storage_policy"] = policies[0]["policy"]
            info["ephemeral_storage_policy"] = policies[0]["policy"]
        return _http.json_response(info)
    raise errors.not_found(
        f"Cluster {cluster_id} not found or has no Supervisor.", cluster_id, message_id="vcenter.wcp.cluster.notfound"
    )


ROUTES = [
    _http.Route("GET", paths.NM_CLUSTERS, list_, _http.Operation(_MOD, "Clusters", "list")),
    _http.Route("GET", paths.NM_CLUSTER, get, _http.Operation(_MOD, "Clusters", "get")),
]
