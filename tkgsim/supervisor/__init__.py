"""The Supervisor half of tkg-sim: ``/wcp/login`` plus a Kubernetes API with fake controllers, on one port.

Contract with the simulator core (``tkgsim.runtime``):

- :func:`build_app` returns the aiohttp application serving ``/wcp/loginbanner``, ``/wcp/login``, the Kubernetes API
  (discovery, OpenAPI, CRUD/patch/apply/watch for every kind in ``catalog.RESOURCE_TYPES``) and the simulated
  workload clusters under ``/workload/<namespace>/<cluster>``. Objects live in ``world.data["k8s"]`` (see
  ``store.py`` for the layout).
- :func:`start_background` starts the controllers; the core cancels the returned tasks at shutdown.

Both run on the core's event loop; ``world.supervisor_url`` (and ``world.ca_pem`` for TLS) are set before requests
arrive.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from aiohttp import web

from tkgsim import faults, traffic
from tkgsim.world import World

from . import catalog, discovery, engine, status, wcp, workload
from .apis.vmoperator_vmware_com.v1alpha3 import images as vm_images
from .context import SUPERVISOR, Supervisor
from .controllers.runner import Runner
from .controllers.vm_runner import VmRunner
from .mirror import Mirror
from .security import bearer_middleware
from .seed import ensure_public_classes, seed_releases
from .store import Store

__all__ = ["build_app", "start_background"]

log = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

# One Supervisor per World (build_app and start_background are called separately by the core).
_RUNNERS: dict[int, Runner] = {}
_VM_RUNNERS: dict[int, VmRunner] = {}


@web.middleware
async def _errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Render ``KubeError`` (and aiohttp's routing errors) as Kubernetes ``Status`` bodies."""
    try:
        return await handler(request)
    except status.KubeError as exc:
        if exc.code >= 500:
            log.warning("%s %s -> %s", request.method, request.path, exc)
        else:
            log.debug("%s %s -> %s", request.method, request.path, exc)
        return web.json_response(exc.body(), status=exc.code, headers=exc.headers)
    except web.HTTPNotFound:
        body = status.status_body(404, "NotFound", "the server could not find the requested resource", {})
        return web.json_response(body, status=404)
    except web.HTTPMethodNotAllowed:
        return web.json_response(status.method_not_allowed().body(), status=405)
    except web.HTTPException:
        raise
    except (ConnectionResetError, asyncio.CancelledError):
        raise
    except Exception as exc:
        log.exception("internal error on %s %s", request.method, request.path)
        body = status.status_body(500, "InternalError", f"Internal error occurred: {type(exc).__name__}", {})
        return web.json_response(body, status=500)


def _supervisor(world: World) -> Supervisor:
    registry = catalog.registry(world.profile)
    sup = Supervisor(world=world, registry=registry, store=Store(world, registry))
    seed_releases(sup.store, world.model)
    vm_images.seed_cluster_images(sup.store, world.model)
    ensure_public_classes(sup.store, world.profile)
    runner = Runner(sup)
    vm_runner = VmRunner(sup)
    sup.wake = runner.wakeup.set
    _RUNNERS[id(world)] = runner
    _VM_RUNNERS[id(world)] = vm_runner
    mirror = Mirror(sup)
    world.subscribe(mirror.on_event)
    mirror.sync_existing()
    cluster_rt = registry.by_kind("Cluster")
    world.clusters_in_namespace = lambda namespace: [
        o["metadata"]["name"] for o in sup.store.list(cluster_rt, namespace)
    ]
    return sup


def build_app(world: World) -> web.Application:
    """The Supervisor application: ``/wcp/*``, the Kubernetes API and the workload-cluster endpoints."""
    sup = _supervisor(world)
    app = web.Application(
        middlewares=[traffic.middleware(world), faults.middleware(world), _errors, bearer_middleware(world)],
        client_max_size=8 * 1024 * 1024,
    )
    app[SUPERVISOR] = sup
    app.add_routes(wcp.ROUTES)
    app.add_routes(workload.ROUTES)
    app.add_routes(discovery.ROUTES)
    app.add_routes(engine.ROUTES)
    return app


def start_background(world: World) -> list[asyncio.Task[None]]:
    """Start the controllers for the app :func:`build_app` made for ``world``."""
    runner = _RUNNERS.get(id(world))
    if runner is None:
        build_app(world)
        runner = _RUNNERS[id(world)]
    loop = asyncio.get_running_loop()
    task = loop.create_task(runner.run(), name="tkgsim-supervisor-controllers")
    task.add_done_callback(lambda _t: _RUNNERS.pop(id(world), None))
    vm_task = loop.create_task(_VM_RUNNERS[id(world)].run(), name="tkgsim-vm-operator")
    vm_task.add_done_callback(lambda _t: _VM_RUNNERS.pop(id(world), None))
    return [task, vm_task]
