"""``tkgsim.Simulator``: the simulator as a library, for tests and demos.

In-process (``with Simulator(delay_scale=0) as sim:``) runs an asyncio loop in a background thread with both apps on
free loopback ports; ``Simulator.subprocess(...)`` starts ``tkg-sim serve`` (``python -m tkgsim``) instead and reads
the environment it prints. Both expose the same attributes::

    sim.vcenter_url        "https://127.0.0.1:PORT"
    sim.supervisor_url     "https://127.0.0.1:PORT"
    sim.ca_file            path of the CA PEM (None with tls=False)
    sim.admin_user / sim.admin_password
    sim.env()              VSPHERE_SERVER, VSPHERE_USER, VSPHERE_PASSWORD, VSPHERE_CA_FILE, TKG_SUPERVISOR_ENDPOINT
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import json
import logging
import os
import signal
import subprocess as subprocess_mod
import sys
import tempfile
import threading
from collections.abc import Awaitable, Callable
from pathlib import Path
from types import TracebackType
from typing import IO, Any, TypeVar

from tkgsim import cli, runtime
from tkgsim.model import default_model, load_seed
from tkgsim.world import World

__all__ = ["Simulator", "SubprocessSimulator"]

logger = logging.getLogger(__name__)

T = TypeVar("T")


def _model(seed: str | Path | dict[str, Any] | None) -> dict[str, Any]:
    if seed is None:
        return default_model()
    if isinstance(seed, dict):
        model = default_model()
        model.update(seed)
        return model
    return load_seed(seed)


class Simulator:
    """Both endpoints in this process, served from a background thread's event loop."""

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        vcenter_port: int = 0,
        supervisor_port: int = 0,
        state_file: str | Path | None = None,
        delay_scale: float = 1.0,
        seed: str | Path | dict[str, Any] | None = None,
        tls: bool = True,
        token_ttl: float | None = None,
        supervisor: bool = True,
        profile: str | None = None,
    ) -> None:
        self.config = runtime.Config(
            host=host,
            vcenter_port=vcenter_port,
            supervisor_port=supervisor_port,
            state_file=Path(state_file) if state_file is not None else None,
            delay_scale=delay_scale,
            model=_model(seed),
            tls=tls,
            token_ttl=token_ttl,
            supervisor=supervisor,
            profile=profile,
        )
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._running: runtime.Running | None = None

    # ---- lifecycle ----

    def start(self) -> Simulator:
        """Start the loop thread and both servers; returns once they listen."""
        if self._running is not None:
            return self
        loop = asyncio.new_event_loop()
        ready = threading.Event()

        def run() -> None:
            asyncio.set_event_loop(loop)
            ready.set()
            loop.run_forever()

        self._loop = loop
        self._thread = threading.Thread(target=run, name="tkg-sim", daemon=True)
        self._thread.start()
        ready.wait()
        try:
            self._running = self.run(runtime.start(self.config))
        except BaseException:
            self._shutdown_loop()
            raise
        return self

    def stop(self) -> None:
        """Stop both servers (saving the state file) and the loop thread."""
        if self._running is not None:
            running, self._running = self._running, None
            self.run(running.stop())
        self._shutdown_loop()

    def _shutdown_loop(self) -> None:
        loop, thread = self._loop, self._thread
        self._loop = self._thread = None
        if loop is None:
            return
        loop.call_soon_threadsafe(loop.stop)
        if thread is not None:
            thread.join(timeout=10)
        loop.close()

    def __enter__(self) -> Simulator:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    # ---- access ----

    def run(self, coroutine: Awaitable[T], timeout: float = 60.0) -> T:
        """Run a coroutine on the simulator's loop (e.g. to read or change ``world`` safely) and return its result."""
        if self._loop is None:
            raise RuntimeError("the simulator is not running")

        async def wrapper() -> T:
            return await coroutine

        future: concurrent.futures.Future[T] = asyncio.run_coroutine_threadsafe(wrapper(), self._loop)
        return future.result(timeout)

    def call(self, function: Callable[[World], T]) -> T:
        """Call ``function(world)`` on the simulator's loop thread and return its result."""

        async def invoke() -> T:
            return function(self.world)

        return self.run(invoke())

    @property
    def _live(self) -> runtime.Running:
        if self._running is None:
            raise RuntimeError("the simulator is not running")
        return self._running

    @property
    def world(self) -> World:
        """The live world (mutate it only through ``call``)."""
        return self._live.world

    @property
    def vcenter_url(self) -> str:
        """``https://host:port`` of the vCenter REST endpoint."""
        return self._live.vcenter_url

    @property
    def supervisor_url(self) -> str:
        """``https://host:port`` of the Supervisor endpoint."""
        return self._live.supervisor_url

    @property
    def ca_file(self) -> str | None:
        """Path of the CA certificate (PEM), None without TLS."""
        ca = self._live.ca_file
        return None if ca is None else str(ca)

    @property
    def admin_user(self) -> str:
        """Name of the first admin user of the seed."""
        return str(_admin(self.config.model)["name"])

    @property
    def admin_password(self) -> str:
        """Password of ``admin_user``."""
        return str(_admin(self.config.model)["password"])

    def env(self) -> dict[str, str]:
        """The environment ``tkg-sim serve`` prints."""
        return cli.sim_env(self._live)

    # ---- subprocess variant ----

    @classmethod
    def subprocess(
        cls,
        *,
        host: str = "127.0.0.1",
        vcenter_port: int = 0,
        supervisor_port: int = 0,
        state_file: str | Path | None = None,
        delay_scale: float = 1.0,
        seed: str | Path | None = None,
        tls: bool = True,
        token_ttl: float | None = None,
        extra_args: tuple[str, ...] = (),
        profile: str | None = None,
    ) -> SubprocessSimulator:
        """A simulator running ``tkg-sim serve`` in a child process (same attributes; start it with ``with``)."""
        args = [
            "serve",
            "--host",
            host,
            "--vcenter-port",
            str(vcenter_port),
            "--supervisor-port",
            str(supervisor_port),
            "--delay-scale",
            str(delay_scale),
            "--print-env",
            "json",
        ]
        if state_file is not None:
            args += ["--state-file", str(state_file)]
        if seed is not None:
            args += ["--seed", str(seed)]
        if not tls:
            args.append("--no-tls")
        if token_ttl is not None:
            args += ["--token-ttl", str(token_ttl)]
        if profile is not None:
            args += ["--profile", profile]
        return SubprocessSimulator([*args, *extra_args], tls=tls)


def _admin(model: dict[str, Any] | None) -> dict[str, Any]:
    users = (model or default_model())["users"]
    return next(user for user in users if user.get("role") == "admin")


class SubprocessSimulator:
    """``tkg-sim serve`` as a child process; stderr goes to ``log_file``."""

    def __init__(self, args: list[str], *, tls: bool = True, startup_timeout: float = 60.0) -> None:
        self.args = args
        self.tls = tls
        self.startup_timeout = startup_timeout
        self.process: subprocess_mod.Popen[str] | None = None
        self.log_file: Path | None = None
        self._env: dict[str, str] = {}
        self._log: IO[str] | None = None
        self._reader: threading.Thread | None = None

    def start(self) -> SubprocessSimulator:
        """Start the child and wait for its ready line."""
        fd, log_path = tempfile.mkstemp(prefix="tkg-sim-", suffix=".log")
        self.log_file = Path(log_path)
        self._log = os.fdopen(fd, "w")
        self.process = subprocess_mod.Popen(
            [sys.executable, "-m", "tkgsim", *self.args],
            stdin=subprocess_mod.DEVNULL,
            stdout=subprocess_mod.PIPE,
            stderr=self._log,
            text=True,
        )
        lines: list[str] = []
        result: concurrent.futures.Future[None] = concurrent.futures.Future()

        def read() -> None:
            assert self.process is not None and self.process.stdout is not None
            for line in self.process.stdout:
                if not result.done():
                    if line.startswith(cli.READY_PREFIX):
                        result.set_result(None)
                    else:
                        lines.append(line)
            if not result.done():
                result.set_exception(RuntimeError(f"tkg-sim exited early; see {self.log_file}"))

        self._reader = threading.Thread(target=read, name="tkg-sim-stdout", daemon=True)
        self._reader.start()
        try:
            result.result(self.startup_timeout)
        except BaseException:
            self.stop()
            raise
        self._env = json.loads("".join(lines))
        return self

    def stop(self, timeout: float = 20.0) -> int | None:
        """SIGTERM, wait, SIGKILL if needed; returns the exit code."""
        process, self.process = self.process, None
        code: int | None = None
        if process is not None:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                try:
                    code = process.wait(timeout)
                except subprocess_mod.TimeoutExpired:
                    process.kill()
                    code = process.wait()
            else:
                code = process.returncode
            if self._reader is not None:
                self._reader.join(timeout)
                self._reader = None
            if process.stdout is not None:
                process.stdout.close()
        if self._log is not None:
            self._log.close()
            self._log = None
        return code

    def __enter__(self) -> SubprocessSimulator:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    @property
    def pid(self) -> int:
        """The child's process id."""
        if self.process is None:
            raise RuntimeError("the simulator is not running")
        return self.process.pid

    @property
    def vcenter_url(self) -> str:
        """``https://host:port`` of the vCenter REST endpoint."""
        return f"{'https' if self.tls else 'http'}://{self._env['VSPHERE_SERVER']}"

    @property
    def supervisor_url(self) -> str:
        """``https://host:port`` of the Supervisor endpoint."""
        return f"{'https' if self.tls else 'http'}://{self._env['TKG_SUPERVISOR_ENDPOINT']}"

    @property
    def ca_file(self) -> str | None:
        """Path of the CA certificate (PEM)."""
        return self._env.get("VSPHERE_CA_FILE")

    @property
    def admin_user(self) -> str:
        """The admin user printed by the child."""
        return self._env["VSPHERE_USER"]

    @property
    def admin_password(self) -> str:
        """Its password."""
        return self._env["VSPHERE_PASSWORD"]

    def env(self) -> dict[str, str]:
        """The environment the child printed."""
        return dict(self._env)
