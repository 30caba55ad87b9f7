"""Authentication (bearer tokens from ``/wcp/login``) and a two-role RBAC for the Supervisor's Kubernetes API.

The Supervisor's kube-apiserver authenticates the JWT from ``/wcp/login`` and prefixes user names with ``sso:``
(reference §1.2). Here tokens are the opaque ones ``tkgsim.auth`` issues; role ``admin`` may do everything, role
``read-only`` may get/list/watch only and gets the API server's 403 wording on any write.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from tkgsim import auth
from tkgsim.world import World

from . import status
from .resources import ResourceType

__all__ = ["ANONYMOUS_PATHS", "USER", "authorize", "bearer_middleware", "k8s_user"]

log = logging.getLogger(__name__)

USER = web.RequestKey("tkgsim_supervisor_user", dict)

# Paths served without a token (the API server lets anonymous users read these).
ANONYMOUS_PATHS = ("/version", "/healthz", "/livez", "/readyz")
# Paths that authenticate on their own (/wcp uses Basic; workload clusters use their own tokens; admin is the core's).
_OWN_AUTH_PREFIXES = ("/wcp/", "/workload/", "/_sim/")

_READ_VERBS = {"get", "list", "watch"}

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def k8s_user(user: dict[str, Any]) -> dict[str, Any]:
    """The seed user as the Supervisor's RBAC sees it (``sso:`` prefix, like the OIDC username prefix)."""
    return {"name": user["name"], "role": user.get("role"), "k8s_name": f"sso:{user['name']}"}


def bearer_token(request: web.Request) -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def bearer_middleware(world: World) -> Any:
    """Require ``Authorization: Bearer <token from /wcp/login>`` on the Kubernetes API paths (401 otherwise)."""

    @web.middleware
    async def authenticate(request: web.Request, handler: Handler) -> web.StreamResponse:
        path = request.path
        if path.startswith(_OWN_AUTH_PREFIXES) or path in ANONYMOUS_PATHS:
            return await handler(request)
        user = auth.validate_token(world, bearer_token(request))
        if user is None:
            raise status.unauthorized()
        request[USER] = k8s_user(user)
        return await handler(request)

    return authenticate


def authorize(user: dict[str, Any], verb: str, rt: ResourceType, name: str | None, namespace: str | None) -> None:
    """403 Forbidden unless ``user`` may ``verb`` the resource."""
    if verb in _READ_VERBS or user.get("role") == auth.ROLE_ADMIN:
        return
    log.info("denied %s on %s for %s", verb, rt.key, user["k8s_name"])
    raise status.forbidden(user["k8s_name"], verb, rt.plural, rt.group, name, namespace)
