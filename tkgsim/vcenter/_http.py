"""Request plumbing shared by the vCenter handlers: route tables, session lookup, role checks, JSON in and out."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from tkgsim import auth
from tkgsim.vcenter import errors
from tkgsim.world import World

__all__ = [
    "SESSION_HEADER",
    "WORLD_KEY",
    "Operation",
    "Route",
    "json_response",
    "no_content",
    "read_json",
    "require_admin",
    "require_user",
    "session_token",
    "world_of",
]

SESSION_HEADER = "vmware-api-session-id"
WORLD_KEY: web.AppKey[World] = web.AppKey("tkgsim_world", World)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclasses.dataclass(frozen=True)
class Operation:
    """The official binding operation a route serves: ``module`` + ``interface`` (``_<interface>Stub``) + ``name``."""

    module: str
    interface: str
    name: str


@dataclasses.dataclass(frozen=True)
class Route:
    """One served operation: HTTP method, aiohttp path pattern, handler and the binding operation it mirrors."""

    method: str
    path: str
    handler: Handler
    operation: Operation
    # Fixed query dispatch (``?action=find``): the route only answers requests carrying it.
    action: str | None = None


def world_of(request: web.Request) -> World:
    """The ``World`` behind this app."""
    return request.app[WORLD_KEY]


def session_token(request: web.Request) -> str | None:
    """The session token from the ``vmware-api-session-id`` header, else from the cookie of that name."""
    return request.headers.get(SESSION_HEADER) or request.cookies.get(SESSION_HEADER)


def require_user(request: web.Request) -> dict[str, Any]:
    """The authenticated user of this request; raises 401 UNAUTHENTICATED when the token is missing or expired."""
    user = auth.validate_token(world_of(request), session_token(request))
    if user is None:
        raise errors.unauthenticated()
    return user


def require_admin(request: web.Request) -> dict[str, Any]:
    """Like ``require_user``, and raises 403 UNAUTHORIZED unless the user may write."""
    user = require_user(request)
    if not auth.is_admin(user):
        raise errors.unauthorized(
            f"User {user['name']} does not have the privilege to perform this operation.", user["name"]
        )
    return user


async def read_json(request: web.Request) -> Any:
    """The parsed JSON body; an empty body is ``{}``. Malformed JSON is INVALID_ARGUMENT."""
    raw = await request.read()
    if not raw.strip():
        return {}
    try:
        return json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise errors.invalid_argument(
            f"The request body is not valid JSON: {exc}", message_id="vapi.bindings.typeconverter.invalid.json"
        ) from None


def json_response(value: Any, status: int = 200) -> web.Response:
    """A bare JSON result (object, array or string; no ``value`` wrapper on ``/api``)."""
    return web.json_response(value, status=status)


def no_content() -> web.Response:
    """204 for void operations."""
    return web.Response(status=204)
