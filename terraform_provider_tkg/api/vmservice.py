"""The VM Service half of the Supervisor API: VirtualMachines, their images, VirtualMachineServices, the
PersistentVolumeClaims behind VM disks and the Secrets holding bootstrap data.

Kinds and version: ``vmoperator.vmware.com/v1alpha3`` (``virtualmachines``, ``virtualmachineimages``,
``clustervirtualmachineimages``, ``virtualmachineservices``) — the version vSphere 8.0 U3 Supervisors serve for
VirtualMachine — and core ``v1`` claims and Secrets. Objects travel as plain JSON dicts with the API's own field
names: these kinds have large, open-ended specs of which a client sets a handful of fields and must not drop the
rest on a read-modify-write, which a closed wire model would do.

Writes are JSON merge patches on exactly the fields a caller owns (plus ``metadata.resourceVersion`` where lost updates
matter), so fields the platform fills in (UUIDs, default interface, power-op modes) are never fought over.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
import urllib.parse
from collections.abc import Callable
from typing import Any, Protocol

from . import errors, wait

__all__ = [
    "GROUP",
    "VERSION",
    "Image",
    "VmServiceClient",
    "condition",
    "image_from_object",
    "resolve_image",
    "service_address",
    "version_problem",
    "vm_failure_messages",
    "vm_status",
]

log = logging.getLogger(__name__)

GROUP = "vmoperator.vmware.com"
VERSION = "v1alpha3"
MERGE_PATCH = "application/merge-patch+json"
# Core v1 kinds this client touches (everything else is in the VM Operator group).
_CORE = ("namespaces", "persistentvolumeclaims", "resourcequotas", "secrets")
# VM classes are read at v1alpha2, which every 8.0 U2/U3 Supervisor serves for them.
_VERSIONS = {"virtualmachineclasses": "v1alpha2"}
# Conditions whose False means the VM cannot be created until someone fixes the cause.
BLOCKING_CONDITIONS = ("VirtualMachineClassReady", "VirtualMachineImageReady", "VirtualMachineBootstrapReady")


class _Requester(Protocol):
    def request(self, method: str, path: str, **kw: Any) -> Any: ...


def _seg(value: str) -> str:
    return urllib.parse.quote(value, safe="")


def _items(data: Any, what: str) -> list[dict[str, Any]]:
    items = data.get("items") if isinstance(data, dict) else None
    if not isinstance(items, list):
        raise errors.UnexpectedResponse(f"expected a Kubernetes list of {what}", operation=f"GET {what}")
    return [i for i in items if isinstance(i, dict)]


def _object(data: Any, what: str) -> dict[str, Any]:
    if not isinstance(data, dict) or not data.get("metadata"):
        raise errors.UnexpectedResponse(f"expected a Kubernetes object ({what})", operation=what)
    return data


# ---- pure helpers ------------------------------------------------------------------------------------------------


def condition(obj: dict[str, Any], kind: str) -> dict[str, Any] | None:
    """The status condition ``kind`` of an object, or None."""
    for cond in (obj.get("status") or {}).get("conditions") or []:
        if isinstance(cond, dict) and cond.get("type") == kind:
            return cond
    return None


def vm_status(obj: dict[str, Any], *, want_ip: bool) -> str:
    """One word for where a VirtualMachine is: ``Blocked``, ``Creating``, ``PoweringOn``, ``PoweringOff``,
    ``Suspending``, ``WaitingForIP`` or ``Ready`` (the desired power state reached, with an IP when wanted)."""
    if any((condition(obj, c) or {}).get("status") == "False" for c in BLOCKING_CONDITIONS):
        return "Blocked"
    status = obj.get("status") or {}
    observed = status.get("powerState")
    if not observed:
        return "Creating"
    desired = (obj.get("spec") or {}).get("powerState") or "PoweredOn"
    if observed != desired:
        return {"PoweredOn": "PoweringOn", "PoweredOff": "PoweringOff"}.get(desired, "Suspending")
    if desired == "PoweredOn" and want_ip and not (status.get("network") or {}).get("primaryIP4"):
        return "WaitingForIP"
    return "Ready"


def vm_failure_messages(obj: dict[str, Any]) -> list[str]:
    """The messages of the conditions that block a VM (class or image not found, bootstrap Secret missing, ...)."""
    found = []
    for kind in BLOCKING_CONDITIONS:
        cond = condition(obj, kind)
        if cond is not None and cond.get("status") == "False":
            found.append(f"{kind}: {cond.get('reason', '')}: {cond.get('message', '')}".rstrip(": "))
    return found


def service_address(obj: dict[str, Any]) -> str | None:
    """The first load-balancer ingress IP (or hostname) of a VirtualMachineService, or None."""
    for ingress in ((obj.get("status") or {}).get("loadBalancer") or {}).get("ingress") or []:
        if isinstance(ingress, dict) and (ingress.get("ip") or ingress.get("hostname")):
            return str(ingress.get("ip") or ingress.get("hostname"))
    return None


@dataclasses.dataclass(frozen=True)
class Image:
    """A VirtualMachineImage or ClusterVirtualMachineImage as a client needs it."""

    kind: str
    name: str
    namespace: str | None
    display_name: str
    os_id: str | None
    os_type: str | None
    os_version: str | None
    product: str | None
    image_version: str | None
    hardware_version: int | None
    firmware: str | None
    capabilities: tuple[str, ...]
    ready: bool


def image_from_object(obj: dict[str, Any]) -> Image:
    """The client view of an image object."""
    status = obj.get("status") or {}
    os_info = status.get("osInfo") or {}
    product = status.get("productInfo") or {}
    ready = condition(obj, "Ready")
    return Image(
        kind=str(obj.get("kind", "")),
        name=obj["metadata"]["name"],
        namespace=obj["metadata"].get("namespace"),
        display_name=str(status.get("name") or obj["metadata"]["name"]),
        os_id=os_info.get("id"),
        os_type=os_info.get("type"),
        os_version=os_info.get("version"),
        product=product.get("product"),
        image_version=product.get("version"),
        hardware_version=status.get("hardwareVersion"),
        firmware=status.get("firmware"),
        capabilities=tuple(sorted(status.get("capabilities") or [])),
        ready=ready is None or ready.get("status") == "True",
    )


def version_problem(served: list[str]) -> str | None:
    """Why this client cannot manage VMs on a Supervisor serving ``served`` versions of the group, or None."""
    if VERSION in served:
        return None
    listed = ", ".join(served) or "none (no VM Service)"
    return (
        f"The Supervisor does not serve {GROUP}/{VERSION}, which VirtualMachines need here (vSphere 8.0 U3 or later); "
        f"it serves: {listed}."
    )


def resolve_image(images: list[Image], value: str, namespace: str | None) -> list[Image]:
    """What VM Operator's webhook resolves ``spec.imageName`` to: a VirtualMachineImage of that object name in the
    namespace, else a ClusterVirtualMachineImage of that name, else every image whose display name it is (one
    match resolves, several are ambiguous, none is an error)."""
    local = [i for i in images if i.kind == "VirtualMachineImage" and i.namespace == namespace and i.name == value]
    if local:
        return local
    cluster = [i for i in images if i.kind == "ClusterVirtualMachineImage" and i.name == value]
    if cluster:
        return cluster
    return [i for i in images if i.display_name == value]


# ---- client ------------------------------------------------------------------------------------------------------


class VmServiceClient:
    """VM Service calls over a Supervisor connection (anything with ``request(method, path, **kw)``)."""

    def __init__(self, api: _Requester, *, poll_interval: float = 1.0) -> None:
        self._api = api
        self.poll_interval = poll_interval

    def _path(self, plural: str, namespace: str | None, name: str | None = None) -> str:
        if plural in _CORE:
            base = f"/api/v1/namespaces/{_seg(namespace or '')}/{plural}" if namespace else f"/api/v1/{plural}"
        elif namespace is None:
            base = f"/apis/{GROUP}/{_VERSIONS.get(plural, VERSION)}/{plural}"
        else:
            base = f"/apis/{GROUP}/{_VERSIONS.get(plural, VERSION)}/namespaces/{_seg(namespace)}/{plural}"
        return f"{base}/{_seg(name)}" if name is not None else base

    def get(self, plural: str, namespace: str | None, name: str) -> dict[str, Any]:
        """One object; raises ``errors.NotFound``."""
        return _object(self._api.request("GET", self._path(plural, namespace, name)), f"GET {plural} {name}")

    def list_objects(
        self, plural: str, namespace: str | None, *, label_selector: str | None = None
    ) -> list[dict[str, Any]]:
        """Every object of a kind in a namespace (or cluster-wide for cluster-scoped kinds)."""
        params = {"labelSelector": label_selector} if label_selector else None
        return _items(self._api.request("GET", self._path(plural, namespace), params=params), plural)

    def create(self, plural: str, namespace: str | None, obj: dict[str, Any]) -> dict[str, Any]:
        """Create; raises ``errors.AlreadyExists``, or ``errors.Invalid`` (with the field) when admission refuses."""
        name = obj["metadata"]["name"]
        return _object(self._api.request("POST", self._path(plural, namespace), json=obj), f"POST {plural} {name}")

    def patch(self, plural: str, namespace: str | None, name: str, patch: dict[str, Any]) -> dict[str, Any]:
        """A JSON merge patch (RFC 7386); ``metadata.resourceVersion`` in it makes a stale write a ``Conflict``."""
        data = self._api.request(
            "PATCH", self._path(plural, namespace, name), json=patch, headers={"Content-Type": MERGE_PATCH}
        )
        return _object(data, f"PATCH {plural} {name}")

    def delete(self, plural: str, namespace: str | None, name: str) -> None:
        """Start deleting (finalizers may keep the object a while); raises ``errors.NotFound``."""
        self._api.request("DELETE", self._path(plural, namespace, name))

    def served_versions(self) -> list[str]:
        """The versions of the VM Operator group this Supervisor serves (``GET /apis/vmoperator.vmware.com``)."""
        try:
            data = self._api.request("GET", f"/apis/{GROUP}")
        except errors.NotFound:
            return []
        versions = data.get("versions") if isinstance(data, dict) else None
        return [str(v.get("version")) for v in versions or [] if isinstance(v, dict) and v.get("version")]

    # ---- images ----------------------------------------------------------------------------------------------

    def list_images(self, namespace: str | None) -> list[Image]:
        """The namespace's VirtualMachineImages (when ``namespace`` is given) and every ClusterVirtualMachineImage."""
        found: list[Image] = []
        if namespace is not None:
            found += [image_from_object(o) for o in self.list_objects("virtualmachineimages", namespace)]
        found += [image_from_object(o) for o in self.list_objects("clustervirtualmachineimages", None)]
        return found

    # ---- waits -----------------------------------------------------------------------------------------------

    def wait_vm(
        self,
        namespace: str,
        name: str,
        *,
        want_ip: bool,
        deadline: float | None,
        stop: threading.Event | None = None,
        logger: logging.Logger | None = None,
    ) -> dict[str, Any]:
        """Poll until the VM reached its desired power state (and has an IP when ``want_ip``).

        Raises ``errors.WaitFailed`` when a blocking condition is False (class, image or bootstrap Secret missing),
        ``errors.WaitTimeout`` at the deadline; both carry the last object seen.
        """
        found = wait.wait_for(
            lambda: self.get("virtualmachines", namespace, name),
            lambda obj: vm_status(obj, want_ip=want_ip),
            pending=("Creating", "PoweringOn", "PoweringOff", "Suspending", "WaitingForIP"),
            target=("Ready",),
            deadline=deadline,
            label=f"[virtual machine {namespace}/{name}]",
            stop=stop,
            failure_messages=vm_failure_messages,
            interval=self.poll_interval,
            logger=logger,
        )
        assert found is not None
        return found

    def wait_gone(
        self,
        plural: str,
        namespace: str,
        name: str,
        *,
        deadline: float | None,
        stop: threading.Event | None = None,
        logger: logging.Logger | None = None,
    ) -> None:
        """Poll until the object no longer exists (its finalizers ran)."""
        wait.wait_for(
            lambda: self.get(plural, namespace, name),
            lambda obj: "Deleting",
            pending=("Deleting",),
            target=(wait.GONE,),
            deadline=deadline,
            label=f"[{plural} {namespace}/{name}]",
            stop=stop,
            interval=self.poll_interval,
            logger=logger,
        )

    def wait_until(
        self,
        plural: str,
        namespace: str,
        name: str,
        done: Callable[[dict[str, Any]], bool],
        *,
        what: str,
        deadline: float | None,
        stop: threading.Event | None = None,
        logger: logging.Logger | None = None,
    ) -> dict[str, Any]:
        """Poll until ``done(obj)``; ``what`` names the awaited state in logs (e.g. ``load balancer address``)."""
        found = wait.wait_for(
            lambda: self.get(plural, namespace, name),
            lambda obj: what if done(obj) else f"waiting for {what}",
            pending=(f"waiting for {what}",),
            target=(what,),
            deadline=deadline,
            label=f"[{plural} {namespace}/{name}]",
            stop=stop,
            interval=self.poll_interval,
            logger=logger,
        )
        assert found is not None
        return found
