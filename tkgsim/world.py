"""The simulator's shared world: seed inventory, persisted objects and the links between the two APIs.

Both halves of the simulator (the vCenter REST app in ``tkgsim.vcenter`` and the Supervisor Kubernetes app in
``tkgsim.supervisor``) run in one asyncio event loop and share one ``World``. Everything in ``data`` is plain JSON
so that ``--state-file`` can persist it. The two halves talk only through this module:

- vCenter writes ``data["vcenter"]["namespaces"]`` / ``["vm_classes"]`` and then calls ``emit(...)``; the Supervisor
  half subscribes (``subscribe``) to mirror vSphere Namespaces as Kubernetes Namespaces, StorageClasses, quotas
  and namespaced VirtualMachineClasses.
- The Supervisor half registers ``clusters_in_namespace`` so that vCenter can refuse (or force) deleting a
  namespace that still holds workload clusters, and ``namespace_gone`` to delete what it mirrors.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

from tkgsim.faults import Faults
from tkgsim.profiles import Profile, by_name
from tkgsim.traffic import Traffic

# Event kinds passed to listeners: (kind, key, object-or-None). None means deleted.
NAMESPACE = "namespace"  # key = namespace name, obj = vCenter InfoV2-shaped dict (wire names)
VM_CLASS = "vm_class"  # key = class id, obj = vCenter VM class Info-shaped dict (wire names)

Listener = Callable[[str, str, "dict[str, Any] | None"], None]


@dataclasses.dataclass
class World:
    """Seed model + mutable object data + cross-API hooks. One per running simulator."""

    # Seed inventory (see tkgsim.model.DEFAULT_MODEL for the shape); read-only after start.
    model: dict[str, Any]
    # Persisted objects. Keys: "vcenter" (owned by tkgsim.vcenter), "k8s" (owned by tkgsim.supervisor).
    data: dict[str, Any] = dataclasses.field(default_factory=dict)
    # Multiplier for every simulated delay; 0 makes controllers instant.
    delay_scale: float = 1.0
    # Public URLs, filled in once the servers listen (e.g. "https://127.0.0.1:8443").
    vcenter_url: str = ""
    supervisor_url: str = ""
    # PEM of the CA that signed the endpoints' TLS certificates ("" for plain HTTP). The Supervisor half writes it
    # into workload-cluster kubeconfigs (certificate-authority-data); without it they fall back to
    # insecure-skip-tls-verify.
    ca_pem: str = ""
    listeners: list[Listener] = dataclasses.field(default_factory=list)
    # Hooks the Supervisor half installs; safe defaults when it is absent.
    clusters_in_namespace: Callable[[str], list[str]] = lambda _ns: []
    # Called after every mutation so the state file can be saved (debounced by the owner).
    on_change: Callable[[], None] = lambda: None
    # Fault knobs (latency, error rate, token TTL, stuck/failed provisioning); see tkgsim.faults.
    faults: Faults = dataclasses.field(default_factory=Faults)
    # Requests received per kind of call (``GET /_sim/requests``); see tkgsim.traffic.
    traffic: Traffic = dataclasses.field(default_factory=Traffic)
    # The modelled vSphere / VKS release (tkgsim.profiles).
    profile: Profile = dataclasses.field(default_factory=lambda: by_name(None))

    def subscribe(self, listener: Listener) -> None:
        self.listeners.append(listener)

    def emit(self, kind: str, key: str, obj: dict[str, Any] | None) -> None:
        """Tell the other half that a vCenter object changed (obj=None: it is gone)."""
        for listener in list(self.listeners):
            listener(kind, key, obj)
        self.on_change()
