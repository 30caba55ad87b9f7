"""Starting and stopping both servers inside a running asyncio loop (shared by ``tkg-sim serve`` and ``Simulator``).

Sockets are bound first so that the real ports (port 0 = any free port) are known before the apps are built and
``world.vcenter_url`` / ``world.supervisor_url`` can be filled in. The Supervisor half (``tkgsim.supervisor``) is
imported lazily: when the package (or its ``build_app``) is not there yet, only vCenter is served and a warning is
logged; any other import error propagates.
"""

from __future__ import annotations

import asyncio
import dataclasses
import importlib
import logging
import shutil
import socket
import ssl
import tempfile
from pathlib import Path
from types import ModuleType
from typing import Any

from aiohttp import web

from tkgsim import profiles, state, tls
from tkgsim.model import default_model
from tkgsim.vcenter import app as vcenter_app
from tkgsim.world import World

__all__ = ["Config", "Running", "start"]

logger = logging.getLogger(__name__)


@dataclasses.dataclass
class Config:
    """Everything ``tkg-sim serve`` takes on its command line."""

    host: str = "127.0.0.1"
    vcenter_port: int = 0
    supervisor_port: int = 0
    state_file: Path | None = None
    delay_scale: float = 1.0
    model: dict[str, Any] | None = None
    tls: bool = True
    cert_dir: Path | None = None
    token_ttl: float | None = None
    latency: float = 0.0
    error_rate: float = 0.0
    # False serves only vCenter (the Supervisor port answers 501), e.g. to debug one half alone.
    supervisor: bool = True
    # The modelled release (tkgsim.profiles); None = the seed's ``profile``, else the default.
    profile: str | None = None


@dataclasses.dataclass
class Running:
    """A started simulator; ``stop()`` shuts it down and saves the state."""

    world: World
    vcenter_url: str
    supervisor_url: str
    ca_file: Path | None
    runners: list[web.AppRunner]
    background: list[asyncio.Task[Any]]
    saver: state.StateSaver | None
    temp_dir: Path | None

    async def stop(self) -> None:
        """Cancel background tasks, close both servers, write the state file once more."""
        for task in self.background:
            task.cancel()
        if self.background:
            await asyncio.gather(*self.background, return_exceptions=True)
        open_transports = [
            handler.transport
            for runner in self.runners
            if runner.server is not None
            for handler in runner.server.connections
            if handler.transport is not None
        ]
        for runner in reversed(self.runners):
            await runner.cleanup()
        # A TLS close waits (up to 30 s) for the peer's close_notify; clients that keep idle connections open never
        # send it, so abort what is left and let the loop run the connection_lost callbacks before it stops.
        for transport in open_transports:
            transport.abort()
        for _ in range(3):
            await asyncio.sleep(0)
        if self.saver is not None:
            self.saver.flush()
        if self.temp_dir is not None:
            shutil.rmtree(self.temp_dir, ignore_errors=True)
        logger.info("tkg-sim stopped")


def load_supervisor() -> ModuleType | None:
    """``tkgsim.supervisor`` when it is there and has ``build_app``; None (with a warning) while it is not."""
    try:
        module = importlib.import_module("tkgsim.supervisor")
    except ModuleNotFoundError as exc:
        if exc.name == "tkgsim.supervisor":
            logger.warning("tkgsim.supervisor is not installed: serving vCenter only")
            return None
        raise
    if not hasattr(module, "build_app"):
        logger.warning("tkgsim.supervisor has no build_app yet: serving vCenter only")
        return None
    return module


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(256)
    sock.setblocking(False)
    return sock


def _url(scheme: str, host: str, port: int) -> str:
    return f"{scheme}://[{host}]:{port}" if ":" in host else f"{scheme}://{host}:{port}"


def _placeholder_app() -> web.Application:
    async def not_served(_request: web.Request) -> web.Response:
        return web.json_response({"error": "the Supervisor half of tkg-sim is not installed"}, status=501)

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", not_served)
    return app


async def start(config: Config) -> Running:
    """Bind, build and start both apps; returns once they accept connections."""
    model = config.model if config.model is not None else default_model()
    profile = profiles.by_name(config.profile or model.get("profile"))
    world = World(model=profiles.prepare_model(model, profile), delay_scale=config.delay_scale, profile=profile)
    world.faults.topology_errors = profile.topology_errors
    world.faults.token_ttl = config.token_ttl
    world.faults.latency = config.latency
    world.faults.error_rate = config.error_rate

    saver: state.StateSaver | None = None
    if config.state_file is not None:
        saved = state.load_state(config.state_file)
        if saved is not None:
            world.data = saved
            logger.info("state loaded from %s", config.state_file)
        saver = state.StateSaver(config.state_file, world.data)
        saver.bind(asyncio.get_running_loop())
        world.on_change = saver.schedule

    temp_dir: Path | None = None
    ssl_context: ssl.SSLContext | None = None
    ca_file: Path | None = None
    if config.tls:
        cert_dir = config.cert_dir
        if cert_dir is None and config.state_file is not None:
            cert_dir = config.state_file.with_name(config.state_file.name + ".tls")
        if cert_dir is None:
            temp_dir = cert_dir = Path(tempfile.mkdtemp(prefix="tkg-sim-tls-"))
        extra = () if config.host in ("127.0.0.1", "localhost", "::1", "0.0.0.0", "::") else (config.host,)
        certs = await asyncio.to_thread(tls.make_certificates, cert_dir, extra)
        ssl_context = tls.server_context(certs)
        ca_file = certs.ca_file
        # Workload-cluster kubeconfigs embed the CA so kubectl can verify them.
        world.ca_pem = ca_file.read_text()
    scheme = "https" if config.tls else "http"

    vcenter_sock = _bind(config.host, config.vcenter_port)
    supervisor_sock = _bind(config.host, config.supervisor_port)
    world.vcenter_url = _url(scheme, config.host, vcenter_sock.getsockname()[1])
    world.supervisor_url = _url(scheme, config.host, supervisor_sock.getsockname()[1])

    supervisor = load_supervisor() if config.supervisor else None
    apps = [vcenter_app.build_app(world), supervisor.build_app(world) if supervisor else _placeholder_app()]
    runners: list[web.AppRunner] = []
    try:
        for application, sock in zip(apps, (vcenter_sock, supervisor_sock), strict=True):
            runner = web.AppRunner(application, access_log=None, handle_signals=False, shutdown_timeout=2.0)
            await runner.setup()
            runners.append(runner)
            await web.SockSite(runner, sock, ssl_context=ssl_context).start()
        background: list[asyncio.Task[Any]] = []
        if supervisor is not None and hasattr(supervisor, "start_background"):
            background = list(supervisor.start_background(world))
    except BaseException:
        for runner in reversed(runners):
            await runner.cleanup()
        vcenter_sock.close()
        supervisor_sock.close()
        raise
    logger.info("tkg-sim serving vCenter at %s and the Supervisor at %s", world.vcenter_url, world.supervisor_url)
    return Running(world, world.vcenter_url, world.supervisor_url, ca_file, runners, background, saver, temp_dir)
