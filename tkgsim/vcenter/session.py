"""``/api/session``: Basic login → 201 + JSON-string token; GET → Session.Info; DELETE → 204 (binding ``cis.Session``).

The token is accepted in the ``vmware-api-session-id`` header or cookie. Like the vAPI runtime, login also sets that
cookie unless the request carries ``vmware-use-header-authn``.
"""

from __future__ import annotations

import logging

from aiohttp import web

from tkgsim import auth
from tkgsim.vcenter import _http, errors, paths, store

__all__ = ["ROUTES"]

logger = logging.getLogger(__name__)

_MOD = "com.vmware.cis_client"


async def create(request: web.Request) -> web.Response:
    """POST /api/session."""
    world = _http.world_of(request)
    user = auth.check_basic(world, request.headers.get("Authorization"))
    if user is None:
        raise errors.unauthenticated("Authentication required.")
    token = auth.issue_token(world, user, None)
    logger.info("session created for %s", user["name"])
    response = _http.json_response(token, status=201)
    if "vmware-use-header-authn" not in request.headers:
        response.set_cookie(_http.SESSION_HEADER, token, httponly=True, secure=request.secure, path="/")
    return response


async def get(request: web.Request) -> web.Response:
    """GET /api/session."""
    world = _http.world_of(request)
    token = _http.session_token(request)
    record = auth.token_record(world, token)
    user = auth.validate_token(world, token)
    if record is None or user is None:
        raise errors.unauthenticated()
    return _http.json_response(
        {
            "user": user["name"],
            "created_time": store.rfc3339(float(record["created"])),
            "last_accessed_time": store.rfc3339(float(record["last_accessed"])),
        }
    )


async def delete(request: web.Request) -> web.Response:
    """DELETE /api/session — 204; 401 when the token is missing or unknown."""
    world = _http.world_of(request)
    if not auth.revoke_token(world, _http.session_token(request)):
        raise errors.unauthenticated()
    response = _http.no_content()
    response.del_cookie(_http.SESSION_HEADER, path="/")
    return response


def _op(name: str) -> _http.Operation:
    return _http.Operation(_MOD, "Session", name)


ROUTES = [
    _http.Route("POST", paths.SESSION, create, _op("create")),
    _http.Route("GET", paths.SESSION, get, _op("get")),
    _http.Route("DELETE", paths.SESSION, delete, _op("delete")),
]
