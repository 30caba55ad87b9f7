"""The vCenter REST application: every route table registered explicitly, plus the error and logging middlewares."""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable

from aiohttp import web

from tkgsim import admin, faults, traffic
from tkgsim.content import library
from tkgsim.vcenter import _http, cluster, errors, session, store
from tkgsim.vcenter.namespace_management import clusters, supervisors, virtual_machine_classes
from tkgsim.vcenter.namespaces import instances
from tkgsim.vcenter.storage import policies
from tkgsim.world import World

__all__ = ["ROUTES", "build_app"]

logger = logging.getLogger(__name__)

ROUTES: list[_http.Route] = [
    *session.ROUTES,
    *instances.ROUTES,
    *virtual_machine_classes.ROUTES,
    *clusters.ROUTES,
    *supervisors.ROUTES,
    *policies.ROUTES,
    *cluster.ROUTES,
    *library.ROUTES,
]

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@web.middleware
async def _log_requests(request: web.Request, handler: Handler) -> web.StreamResponse:
    started = time.monotonic()
    status = 500
    try:
        response = await handler(request)
        status = response.status
        return response
    finally:
        logger.debug("%s %s -> %d (%.1f ms)", request.method, request.path, status, (time.monotonic() - started) * 1000)


@web.middleware
async def _vcenter_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except errors.VcenterError as exc:
        return exc.response()
    except web.HTTPNotFound:
        if request.path.startswith("/_sim/"):
            raise
        return errors.not_found(f"The resource {request.path} does not exist.", request.path).response()
    except web.HTTPMethodNotAllowed:
        return errors.operation_not_found(
            f"Operation {request.method} {request.path} is not served.", request.method, request.path
        ).response()
    except web.HTTPException:
        raise
    except Exception:
        logger.exception("unexpected error in %s %s", request.method, request.path)
        return errors.internal_server_error("Internal server error in the simulator.").response()


def _dispatch_by_action(routes: list[_http.Route]) -> Handler:
    by_action = {route.action: route.handler for route in routes}

    async def dispatch(request: web.Request) -> web.StreamResponse:
        handler = by_action.get(request.query.get("action"))
        if handler is None:
            raise errors.operation_not_found(
                f"Operation {request.method} {request.path}?action={request.query.get('action', '')} is not served.",
                request.method,
                request.path,
            )
        return await handler(request)

    return dispatch


def build_app(world: World) -> web.Application:
    """The aiohttp application serving vCenter REST (``/api/...``) and the admin endpoints (``/_sim/...``)."""
    app = web.Application(
        middlewares=[traffic.middleware(world), _log_requests, faults.middleware(world), _vcenter_errors]
    )
    app[_http.WORLD_KEY] = world
    timers = store.Timers()
    app[store.TIMERS_KEY] = timers
    store.vcenter_data(world)

    grouped: dict[tuple[str, str], list[_http.Route]] = defaultdict(list)
    for route in ROUTES:
        grouped[(route.method, route.path)].append(route)
    for (method, path), routes in grouped.items():
        if len(routes) == 1 and routes[0].action is None:
            app.router.add_route(method, path, routes[0].handler)
        else:
            app.router.add_route(method, path, _dispatch_by_action(routes))
    for admin_route in admin.ROUTES:
        app.router.add_route(admin_route.method, admin_route.path, admin_route.handler)

    async def on_startup(_app: web.Application) -> None:
        instances.resume_transitions(world, timers)

    async def on_cleanup(_app: web.Application) -> None:
        timers.cancel_all()

    app.on_startup.append(on_startup)
    app.on_cleanup.append(on_cleanup)
    return app
