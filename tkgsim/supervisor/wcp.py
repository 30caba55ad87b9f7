"""``/wcp/loginbanner`` and ``/wcp/login`` (reference §1.1): Basic credentials in, a bearer token out."""

from __future__ import annotations

import json
import logging

from aiohttp import web

from tkgsim import auth

from . import guest_auth
from .context import SUPERVISOR
from .workload import server_url

__all__ = ["BANNER", "ROUTES"]

log = logging.getLogger(__name__)

BANNER = "tkg-sim: simulated vSphere Supervisor. Authorized use only."
# Token lifetime of a Supervisor session (reference §1.2: 10 hours). ``world.faults.token_ttl`` overrides it.
SESSION_SECONDS = 36000.0
PATHS = {"login": "/wcp/login", "banner": "/wcp/loginbanner"}


async def loginbanner(request: web.Request) -> web.Response:
    """``GET /wcp/loginbanner`` → 200 with the banner text."""
    return web.Response(text=BANNER, content_type="text/plain")


async def login(request: web.Request) -> web.Response:
    """``POST /wcp/login`` with Basic auth → ``{"session_id": token}``; 401 on bad credentials.

    A body ``{"guest_cluster_name", "guest_cluster_namespace"}`` naming an existing cluster returns a token for that
    cluster's API instead (see ``guest_auth``) plus its server and CA; for an unknown cluster the answer has no
    ``guest_cluster_server`` (what clients read as "cluster not found").
    """
    sup = request.app[SUPERVISOR]
    user = auth.check_basic(sup.world, request.headers.get("Authorization"))
    if user is None:
        return web.json_response(
            {"error": "invalid credentials"}, status=401, headers={"WWW-Authenticate": 'Basic realm="wcp"'}
        )
    ttl = None if sup.world.faults.token_ttl is not None else SESSION_SECONDS
    token = auth.issue_token(sup.world, user, ttl)
    body: dict[str, str] = {"session_id": token}
    raw = await request.read()
    if raw:
        try:
            request_body = json.loads(raw)
        except ValueError:
            request_body = {}
        name = request_body.get("guest_cluster_name") if isinstance(request_body, dict) else None
        namespace = request_body.get("guest_cluster_namespace") if isinstance(request_body, dict) else None
        if name and namespace:
            cluster = sup.store.get(sup.registry.by_kind("Cluster"), namespace, name)
            if cluster is not None:
                # The guest cluster's own token (audience = that Cluster's uid), not a Supervisor session.
                body["session_id"], _expires = guest_auth.issue(sup, user, cluster)
                body["guest_cluster_server"] = server_url(sup, namespace, name)
                body["guest_cluster_ca"] = sup.world.ca_pem
    log.info("wcp login for %s", user["name"])
    return web.json_response(body)


ROUTES = [web.get(PATHS["banner"], loginbanner), web.post(PATHS["login"], login)]
