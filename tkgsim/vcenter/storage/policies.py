"""Storage policies: ``GET /api/vcenter/storage/policies`` (filter ``policies``, repeatable)."""

from __future__ import annotations

from aiohttp import web

from tkgsim.vcenter import _http, paths

__all__ = ["ROUTES"]


async def list_(request: web.Request) -> web.Response:
    """``Policies.Summary[]``."""
    world = _http.world_of(request)
    _http.require_user(request)
    wanted = set(request.query.getall("policies", []))
    return _http.json_response(
        [
            {"policy": p["policy"], "name": p["name"], "description": p.get("description", "")}
            for p in world.model.get("storage_policies", [])
            if not wanted or p["policy"] in wanted
        ]
    )


ROUTES = [
    _http.Route(
        "GET", paths.STORAGE_POLICIES, list_, _http.Operation("com.vmware.vcenter.storage_client", "Policies", "list")
    ),
]
