"""Content libraries: ``GET /api/content/library``, ``GET /api/content/library/{library_id}`` and
``POST /api/content/library?action=find`` (read-only views of the seed libraries)."""

from __future__ import annotations

import hashlib
import uuid
from typing import Any

from aiohttp import web

from tkgsim.vcenter import _http, errors, paths, store, wire
from tkgsim.vcenter.wire import Struct, enum, opaque, string
from tkgsim.world import World

__all__ = ["FIND_SPEC", "ROUTES", "library_model"]

_MOD = "com.vmware.content_client"
# Seed libraries have fixed times so that reads are stable across restarts.
_CREATED = "2025-01-15T09:30:00.000Z"
_SYNCED = "2025-01-15T10:00:00.000Z"

FIND_SPEC = Struct(
    (_MOD, "Library.FindSpec"),
    {"name": string(), "type": enum("LOCAL", "SUBSCRIBED"), "storage_backing": opaque()},
)


def _server_guid(world: World) -> str:
    digest = hashlib.sha256(world.vcenter_url.encode() or b"tkg-sim").hexdigest()
    return str(uuid.UUID(digest[:32]))


def library_model(world: World, library: dict[str, Any]) -> dict[str, Any]:
    """The ``LibraryModel`` wire view of a seed library."""
    kind = library.get("type", "LOCAL")
    model: dict[str, Any] = {
        "id": library["id"],
        "name": library["name"],
        "description": library.get("description", ""),
        "type": kind,
        "creation_time": _CREATED,
        "last_modified_time": _CREATED,
        "storage_backings": [{"type": "DATASTORE", "datastore_id": "datastore-12"}],
        "version": "2",
        "server_guid": _server_guid(world),
        "state_info": {"state": "ACTIVE"},
    }
    if kind == "SUBSCRIBED":
        model["last_sync_time"] = _SYNCED
        model["subscription_info"] = {
            "authentication_method": "NONE",
            "automatic_sync_enabled": True,
            "on_demand": True,
            "subscription_url": library.get(
                "subscription_url", "https://wp-content.vmware.com/supervisor/v1/latest/lib.json"
            ),
        }
    else:
        model["publish_info"] = {"authentication_method": "NONE", "published": False, "persist_json_enabled": False}
    return model


async def list_(request: web.Request) -> web.Response:
    """GET /api/content/library — library ids."""
    world = _http.world_of(request)
    _http.require_user(request)
    return _http.json_response([lib["id"] for lib in world.model.get("content_libraries", [])])


async def get(request: web.Request) -> web.Response:
    """GET /api/content/library/{library_id} — ``LibraryModel``."""
    world = _http.world_of(request)
    _http.require_user(request)
    library_id = request.match_info["library_id"]
    library = store.content_library(world, library_id)
    if library is None:
        raise errors.not_found(
            f"Library {library_id} not found.", library_id, message_id="com.vmware.vdcs.cls-main.invalid_library_id"
        )
    return _http.json_response(library_model(world, library))


async def find(request: web.Request) -> web.Response:
    """POST /api/content/library?action=find — ids matching ``FindSpec`` (name case-insensitive)."""
    world = _http.world_of(request)
    _http.require_user(request)
    spec = wire.parse(FIND_SPEC, await _http.read_json(request))
    result = []
    for library in world.model.get("content_libraries", []):
        if "name" in spec and library["name"].lower() != spec["name"].lower():
            continue
        if "type" in spec and library.get("type", "LOCAL") != spec["type"]:
            continue
        result.append(library["id"])
    return _http.json_response(result)


ROUTES = [
    _http.Route("GET", paths.CONTENT_LIBRARIES, list_, _http.Operation(_MOD, "Library", "list")),
    _http.Route("POST", paths.CONTENT_LIBRARIES, find, _http.Operation(_MOD, "Library", "find"), action="find"),
    _http.Route("GET", paths.CONTENT_LIBRARY, get, _http.Operation(_MOD, "Library", "get")),
]
