"""Fault injection: latency, failing requests, token expiry and stuck/failed cluster provisioning.

One ``Faults`` object lives on ``world.faults``. Its knobs can be set at start (``tkg-sim serve --latency ...``) and at
runtime through the admin endpoint ``PATCH /_sim/faults`` (see ``tkgsim.admin``). Both aiohttp apps install
``middleware(world)``, which applies the request-level knobs to every request except the admin endpoints
(``/_sim/...``):

- ``latency``: seconds slept (asyncio) before the request is handled;
- ``error_rate``: fraction of requests that fail, each failure drawn from ``error_kinds`` (``"503"``: answered 503 with
  an API-shaped error body; ``"429"``: answered 429 with ``Retry-After: <retry_after>``; ``"reset"``: the connection is
  aborted without a response);
- ``fail_next``: the next N requests fail regardless of ``error_rate`` (deterministic, for tests);
- ``lost_responses``: rules ``{"method", "path", "times", "hold"}`` (``path`` a regular expression searched in the
  request path, ``times`` default 1, ``hold`` seconds default 0): a matching request is handled (its change is made),
  then the answer is held ``hold`` seconds and the connection aborted, so the client never learns the outcome. This
  is a create whose response was lost (network cut), and with ``hold`` a window in which to kill the client;
- ``token_ttl``: seconds a session token lives (``None`` = forever); read by ``tkgsim.auth``;
- ``stuck_provisioning`` / ``failed_provisioning``: read by the Supervisor controllers (a cluster never becomes Ready /
  its Ready condition turns false with this reason);
- ``topology_errors``: ``"transient"`` (provisioning, scaling and upgrades report ``TopologyReconciled=False``,
  severity Error, reason ``TopologyReconcileFailed`` for ``transient_error_seconds`` simulated seconds, at least one
  real second, then recover), ``"permanent"`` (the error stays while the fault is set) or ``"off"``; the profile
  sets the default.

Error bodies follow the API the request was aimed at: vCenter's ``{"error_type", "messages"}`` for ``/api/session``,
``/api/vcenter/...``, ``/api/content/...`` and ``/rest/...``, a Kubernetes ``Status`` for everything else.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import random
import re
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from aiohttp import web

if TYPE_CHECKING:
    from tkgsim.world import World

__all__ = ["ERROR_KINDS", "TOPOLOGY_ERROR_MODES", "Faults", "FaultsError", "middleware"]

logger = logging.getLogger(__name__)

ERROR_KINDS = ("503", "429", "reset")
TOPOLOGY_ERROR_MODES = ("off", "transient", "permanent")
ADMIN_PREFIX = "/_sim/"
_VCENTER_PREFIXES = ("/api/session", "/api/vcenter", "/api/content", "/api/cis", "/rest/")

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class FaultsError(ValueError):
    """A knob update that does not validate; the message names the knob."""


@dataclasses.dataclass
class Faults:
    """The fault knobs of one simulator, plus counters of what was injected."""

    latency: float = 0.0
    error_rate: float = 0.0
    error_kinds: list[str] = dataclasses.field(default_factory=lambda: list(ERROR_KINDS))
    retry_after: int = 1
    fail_next: int = 0
    lost_responses: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    token_ttl: float | None = None
    stuck_provisioning: bool = False
    failed_provisioning: str | None = None
    topology_errors: str = "off"
    transient_error_seconds: float = 3.0
    counters: dict[str, int] = dataclasses.field(
        default_factory=lambda: {k: 0 for k in (*ERROR_KINDS, "delayed", "lost")}
    )
    rng: random.Random = dataclasses.field(default_factory=random.Random, repr=False, compare=False)

    KNOBS = (
        "latency",
        "error_rate",
        "error_kinds",
        "retry_after",
        "fail_next",
        "lost_responses",
        "token_ttl",
        "stuck_provisioning",
        "failed_provisioning",
        "topology_errors",
        "transient_error_seconds",
    )

    def to_dict(self) -> dict[str, Any]:
        """Every knob and the injection counters, as JSON."""
        out: dict[str, Any] = {name: getattr(self, name) for name in self.KNOBS}
        out["error_kinds"] = list(self.error_kinds)
        out["lost_responses"] = [dict(rule) for rule in self.lost_responses]
        out["counters"] = dict(self.counters)
        return out

    def update(self, changes: dict[str, Any]) -> None:
        """Apply a partial update (``PATCH /_sim/faults`` body); validates everything before changing anything.

        ``{"counters": {}}`` (or any value for ``counters``) resets the counters.
        """
        if not isinstance(changes, dict):
            raise FaultsError("the body must be a JSON object")
        staged: dict[str, Any] = {}
        for name, value in changes.items():
            if name == "counters":
                continue
            if name not in self.KNOBS:
                raise FaultsError(f"unknown fault knob {name!r}; known: {', '.join(self.KNOBS)}")
            staged[name] = _validated(name, value)
        for name, value in staged.items():
            setattr(self, name, value)
        if "counters" in changes:
            for key in self.counters:
                self.counters[key] = 0

    def take_lost_response(self, method: str, path: str) -> float | None:
        """The hold time when the answer to ``method path`` is to be lost (one use of the first matching rule)."""
        for rule in self.lost_responses:
            if rule["method"] == method.upper() and re.search(rule["path"], path):
                rule["times"] -= 1
                if rule["times"] <= 0:
                    self.lost_responses.remove(rule)
                return float(rule["hold"])
        return None

    def draw_failure(self) -> str | None:
        """Decide whether this request fails and how (one of ``error_kinds``), consuming ``fail_next`` first."""
        if not self.error_kinds:
            return None
        if self.fail_next > 0:
            self.fail_next -= 1
            return self.rng.choice(self.error_kinds)
        if self.error_rate > 0 and self.rng.random() < self.error_rate:
            return self.rng.choice(self.error_kinds)
        return None


def _number(name: str, value: Any, *, minimum: float = 0.0, maximum: float | None = None) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise FaultsError(f"{name} must be a number")
    if value < minimum or (maximum is not None and value > maximum):
        upper = "" if maximum is None else f" and <= {maximum}"
        raise FaultsError(f"{name} must be >= {minimum}{upper}")
    return float(value)


def _validated(name: str, value: Any) -> Any:
    if name == "latency":
        return _number(name, value)
    if name == "error_rate":
        return _number(name, value, maximum=1.0)
    if name in ("retry_after", "fail_next"):
        number = _number(name, value)
        if number != int(number):
            raise FaultsError(f"{name} must be an integer")
        return int(number)
    if name == "token_ttl":
        return None if value is None else _number(name, value)
    if name == "lost_responses":
        return _lost_rules(value)
    if name == "error_kinds":
        if not isinstance(value, list) or any(kind not in ERROR_KINDS for kind in value):
            raise FaultsError(f"error_kinds must be a list drawn from {list(ERROR_KINDS)}")
        return [str(kind) for kind in value]
    if name == "stuck_provisioning":
        if not isinstance(value, bool):
            raise FaultsError("stuck_provisioning must be a boolean")
        return value
    if name == "failed_provisioning":
        if value is not None and (not isinstance(value, str) or not value):
            raise FaultsError("failed_provisioning must be a non-empty reason string or null")
        return value
    if name == "topology_errors":
        if value not in TOPOLOGY_ERROR_MODES:
            raise FaultsError(f"topology_errors must be one of {list(TOPOLOGY_ERROR_MODES)}")
        return str(value)
    if name == "transient_error_seconds":
        return _number(name, value)
    raise FaultsError(f"unknown fault knob {name!r}")


def _lost_rules(value: Any) -> list[dict[str, Any]]:
    if not isinstance(value, list):
        raise FaultsError("lost_responses must be a list of {method, path, times, hold} objects")
    rules = []
    for rule in value:
        if not isinstance(rule, dict) or set(rule) - {"method", "path", "times", "hold"}:
            raise FaultsError("each lost_responses rule is an object with method, path, times and hold")
        method, path = rule.get("method"), rule.get("path")
        if not isinstance(method, str) or not isinstance(path, str) or not method or not path:
            raise FaultsError("a lost_responses rule needs a method and a path (regular expression)")
        try:
            re.compile(path)
        except re.error as exc:
            raise FaultsError(f"lost_responses path {path!r} is not a regular expression: {exc}") from exc
        times = _number("lost_responses times", rule.get("times", 1), minimum=1)
        if times != int(times):
            raise FaultsError("lost_responses times must be an integer")
        hold = _number("lost_responses hold", rule.get("hold", 0))
        rules.append({"method": method.upper(), "path": path, "times": int(times), "hold": hold})
    return rules


def is_vcenter_path(path: str) -> bool:
    """True when ``path`` belongs to the vCenter REST surface (decides the error body shape)."""
    return path.startswith(_VCENTER_PREFIXES)


def _error_body(path: str, status: int, message: str) -> dict[str, Any]:
    if is_vcenter_path(path):
        error_type = "SERVICE_UNAVAILABLE"
        return {
            "error_type": error_type,
            "messages": [
                {"id": "com.vmware.vapi.std.errors.service_unavailable", "default_message": message, "args": []}
            ],
        }
    reason = "TooManyRequests" if status == 429 else "ServiceUnavailable"
    return {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": message,
        "reason": reason,
        "details": {"retryAfterSeconds": 1},
        "code": status,
    }


def middleware(world: World) -> Any:
    """An aiohttp middleware applying ``world.faults`` to every non-admin request of the app it is added to."""

    @web.middleware
    async def faults_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.path.startswith(ADMIN_PREFIX):
            return await handler(request)
        faults: Faults = world.faults
        if faults.latency > 0:
            faults.counters["delayed"] += 1
            await asyncio.sleep(faults.latency)
        kind = faults.draw_failure()
        if kind is None:
            response = await handler(request)
            hold = faults.take_lost_response(request.method, request.path)
            if hold is None:
                return response
            faults.counters["lost"] += 1
            logger.debug("losing the answer to %s %s after %.1fs", request.method, request.path, hold)
            # Hold the answer, but stop holding as soon as the client is gone (killed): nothing left to lose.
            until = asyncio.get_running_loop().time() + hold
            while asyncio.get_running_loop().time() < until:
                if request.transport is None or request.transport.is_closing():
                    break
                await asyncio.sleep(min(0.1, hold))
            if request.transport is not None:
                request.transport.abort()
            raise web.HTTPServiceUnavailable()
        faults.counters[kind] += 1
        logger.debug("injecting fault %s on %s %s", kind, request.method, request.path)
        if kind == "reset":
            transport = request.transport
            if transport is not None:
                transport.abort()
            # Nothing reaches the client; aiohttp just drops this response on the aborted transport.
            raise web.HTTPServiceUnavailable()
        status = 429 if kind == "429" else 503
        headers = {"Retry-After": str(faults.retry_after)} if status == 429 else {}
        message = "Too many requests (simulated)." if status == 429 else "Service unavailable (simulated)."
        return web.json_response(_error_body(request.path, status, message), status=status, headers=headers)

    return faults_middleware
