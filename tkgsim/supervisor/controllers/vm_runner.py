"""Runs VM Operator's reconcilers (``vmservice.py``): a work queue keyed by object, woken by store events.

Kept apart from the CAPI runner so the VM Service half has its own loop; both run on the event loop, so a reconcile
sees a consistent store.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time

from ..context import Supervisor
from ..store import Event
from .vmservice import DEFAULT_TIMINGS, Timings, VmOperator

__all__ = ["VmRunner"]

log = logging.getLogger(__name__)

_KINDS = {"VirtualMachine": "vm", "PersistentVolumeClaim": "pvc", "VirtualMachineService": "svc"}
# Events on these kinds can unblock or change VMs, claims and services in the same namespace.
_NUDGES = ("VirtualMachineClass", "VirtualMachineImage", "ClusterVirtualMachineImage", "Secret")


class VmRunner:
    """The VM Operator controller manager."""

    def __init__(self, sup: Supervisor) -> None:
        self.sup = sup
        self.operator = VmOperator(sup.store, self.timings)
        self.types = {short: sup.registry.by_kind(kind) for kind, short in _KINDS.items()}
        self.by_key = {rt.key: short for short, rt in self.types.items()}
        self.nudges = {sup.registry.by_kind(kind).key for kind in _NUDGES}
        self.due: dict[tuple[str, str, str], float] = {}
        self.wakeup = asyncio.Event()
        sup.store.listeners.append(self.on_event)
        for short, rt in self.types.items():
            for obj in sup.store.list(rt):
                self.enqueue(short, obj["metadata"]["namespace"], obj["metadata"]["name"])

    def timings(self) -> Timings:
        world = self.sup.world
        values = {**DEFAULT_TIMINGS, **(world.model.get("supervisor_timings") or {})}
        scale = max(float(world.delay_scale), 0.0)
        return Timings(**{k: float(values[k]) * scale for k in DEFAULT_TIMINGS})

    def enqueue(self, kind: str, namespace: str, name: str, delay: float = 0.0) -> None:
        when = time.monotonic() + delay
        key = (kind, namespace, name)
        current = self.due.get(key)
        if current is None or when < current:
            self.due[key] = when
        self.wakeup.set()

    def on_event(self, event: Event) -> None:
        meta = event.obj["metadata"]
        namespace = meta.get("namespace")
        short = self.by_key.get(event.type_key)
        if short is not None and event.type != "DELETED":
            self.enqueue(short, namespace, meta["name"])
        if short is not None and event.type == "DELETED":
            self.operator.forget(short, namespace, meta["name"])
        if event.type_key in self.nudges or short in ("vm", "pvc"):
            for kind in ("vm", "pvc"):
                for obj in self.sup.store.list(self.types[kind], namespace):
                    self.enqueue(kind, obj["metadata"]["namespace"], obj["metadata"]["name"])

    async def run(self) -> None:
        """Process the queue forever (cancelled by the core at shutdown)."""
        while True:
            now = time.monotonic()
            ready = [item for item, when in self.due.items() if when <= now]
            if not ready:
                self.wakeup.clear()
                timeout = min(self.due.values()) - now if self.due else None
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.wakeup.wait(), timeout)
                continue
            for item in ready:
                self.due.pop(item, None)
                kind, namespace, name = item
                obj = self.sup.store.get(self.types[kind], namespace, name)
                if obj is None:
                    continue
                try:
                    if kind == "vm":
                        again = self.operator.reconcile_vm(obj)
                    elif kind == "pvc":
                        again = self.operator.reconcile_claim(obj)
                    else:
                        again = self.operator.reconcile_service(obj)
                except Exception:
                    log.exception("[%s %s/%s] reconcile failed", *item)
                    again = 1.0
                if again is not None:
                    self.enqueue(kind, namespace, name, again)
                self.sup.world.on_change()
                await asyncio.sleep(0)
