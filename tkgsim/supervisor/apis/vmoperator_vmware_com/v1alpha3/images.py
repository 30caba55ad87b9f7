"""``vmoperator.vmware.com/v1alpha3`` VirtualMachineImage (namespaced) and ClusterVirtualMachineImage.

VM Operator publishes one image per OVF in a content library: the libraries associated with a vSphere Namespace
become ``VirtualMachineImage`` objects in that namespace, the Supervisor-wide Kubernetes Service content library
(the OS images of the Kubernetes releases) becomes ``ClusterVirtualMachineImage`` objects. Object names are
generated (``vmi-`` + 17 hex digits); the library item's name is the display name in ``status.name``. Images are
read-only for users: only the operator writes them.
"""

from __future__ import annotations

import contextlib
import hashlib
from typing import Any

from .... import releases, status
from ....columns import condition_status, path
from ....resources import Column, ResourceType

__all__ = [
    "CLUSTER_VIRTUAL_MACHINE_IMAGE",
    "LIBRARY_ITEMS",
    "OS_ID_LABEL",
    "OS_TYPE_LABEL",
    "OS_VERSION_LABEL",
    "VIRTUAL_MACHINE_IMAGE",
    "image_name",
    "seed_cluster_images",
    "sync_namespace_images",
]

GROUP = "vmoperator.vmware.com"
OS_ID_LABEL = "os.image.vmoperator.vmware.com/id"
OS_TYPE_LABEL = "os.image.vmoperator.vmware.com/type"
OS_VERSION_LABEL = "os.image.vmoperator.vmware.com/version"
CAPABILITY_LABEL = "capability.image.vmoperator.vmware.com/"

# Guest OS ids vSphere reports for the OS flavours the simulator knows.
_GUEST_IDS = {"ubuntu": "ubuntu64Guest", "photon": "vmwarePhoton64Guest", "rhel": "rhel9_64Guest"}

# OVFs in the seed's local content libraries, by library name (what a VI admin uploads for the VM Service).
LIBRARY_ITEMS: dict[str, list[dict[str, Any]]] = {
    "vm-images": [
        {"name": "ubuntu-22.04-vmservice-v20240415", "os": "ubuntu", "os_version": "22.04", "hardware": 19},
        {"name": "ubuntu-24.04-vmservice-v20250110", "os": "ubuntu", "os_version": "24.04", "hardware": 21},
        {"name": "photon-5-vmservice-v20240501", "os": "photon", "os_version": "5", "hardware": 19},
        {"name": "rhel-9.4-vmservice-v20240620", "os": "rhel", "os_version": "9.4", "hardware": 20},
    ],
}


def image_name(scope: str, display_name: str) -> str:
    """``vmi-<17 hex>``: stable per library item (and per namespace, as VM Operator's names are)."""
    return "vmi-" + hashlib.sha256(f"{scope}/{display_name}".encode()).hexdigest()[:17]


def _image(
    kind: str, name: str, namespace: str | None, display: str, os: str, os_version: str, hardware: int, item_id: str
) -> tuple[dict[str, Any], dict[str, Any]]:
    """(object without status, status) of one image."""
    guest_id = _GUEST_IDS.get(os, "otherLinux64Guest")
    labels = {
        OS_ID_LABEL: guest_id,
        OS_TYPE_LABEL: "Linux",
        OS_VERSION_LABEL: os_version,
        f"{CAPABILITY_LABEL}cloud-init": "true",
        "image.vmoperator.vmware.com/type": "OVF",
    }
    meta: dict[str, Any] = {"name": name, "labels": labels}
    if namespace is not None:
        meta["namespace"] = namespace
    obj = {
        "apiVersion": f"{GROUP}/v1alpha3",
        "kind": kind,
        "metadata": meta,
        "spec": {"providerRef": {"apiVersion": "imageregistry.vmware.com/v1alpha1", "kind": "ContentLibraryItem"}},
    }
    image_status = {
        "name": display,
        "type": "OVF",
        "firmware": "efi",
        "hardwareVersion": hardware,
        "capabilities": ["cloud-init"],
        "osInfo": {"id": guest_id, "type": "Linux", "version": os_version},
        "productInfo": {"product": f"{os.capitalize()} {os_version}", "vendor": "VMware", "version": os_version},
        "disks": [{"capacity": "20Gi", "size": "4Gi"}],
        "providerItemID": item_id,
        "providerContentVersion": "1",
        "conditions": [
            {
                "type": "Ready",
                "status": "True",
                "reason": "True",
                "message": "",
                "lastTransitionTime": "2025-01-01T00:00:00Z",
            }
        ],
    }
    return obj, image_status


def _put(store: Any, rt: ResourceType, obj: dict[str, Any], image_status: dict[str, Any]) -> None:
    meta = obj["metadata"]
    if store.get(rt, meta.get("namespace"), meta["name"]) is not None:
        return
    created = store.create(rt, obj)
    created["status"] = image_status
    store.update(rt, created, subresource="status", check_rv=False)


def seed_cluster_images(store: Any, model: dict[str, Any]) -> None:
    """One ClusterVirtualMachineImage per release OS image (the name the OSImage's ``spec.image.ref`` uses)."""
    rt = store.registry.by_kind("ClusterVirtualMachineImage")
    for seed in model.get("kubernetes_releases", []):
        for os_name, os_version in releases.OS_FLAVOURS:
            name = releases.os_image_name(seed["name"], os_name)
            display = f"ob-{os_name}-{os_version}-amd64-vmi-k8s-{seed['name']}"
            obj, image_status = _image(
                "ClusterVirtualMachineImage", name, None, display, os_name, os_version, 19, f"clitem-{name[4:]}"
            )
            obj["metadata"]["labels"][releases.TKR_LABEL] = seed["name"]
            _put(store, rt, obj, image_status)


def sync_namespace_images(store: Any, namespace: str, library_names: list[str]) -> None:
    """Make the namespace's VirtualMachineImages match its associated content libraries."""
    rt = store.registry.by_kind("VirtualMachineImage")
    wanted: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {}
    for library in library_names:
        for item in LIBRARY_ITEMS.get(library, []):
            name = image_name(namespace, item["name"])
            wanted[name] = _image(
                "VirtualMachineImage",
                name,
                namespace,
                item["name"],
                item["os"],
                item["os_version"],
                item["hardware"],
                f"clitem-{name[4:]}",
            )
    for obj in store.list(rt, namespace):
        if obj["metadata"]["name"] not in wanted:
            with contextlib.suppress(status.KubeError):
                store.delete(rt, namespace, obj["metadata"]["name"])
    for obj, image_status in wanted.values():
        _put(store, rt, obj, image_status)


def find_image(store: Any, namespace: str, kind: str, name: str) -> dict[str, Any] | None:
    """The image a VM's ``spec.image`` refers to, or None."""
    if kind == "VirtualMachineImage":
        found: dict[str, Any] | None = store.get(store.registry.by_kind(kind), namespace, name)
        return found
    if kind == "ClusterVirtualMachineImage":
        found = store.get(store.registry.by_kind(kind), None, name)
        return found
    return None


def resolve_image_name(store: Any, namespace: str, value: str) -> list[tuple[str, str]]:
    """``spec.imageName`` → candidate ``(kind, name)`` refs: a VMI name, a CVMI name, else a unique display name."""
    vmi = store.registry.by_kind("VirtualMachineImage")
    cvmi = store.registry.by_kind("ClusterVirtualMachineImage")
    if store.get(vmi, namespace, value) is not None:
        return [("VirtualMachineImage", value)]
    if store.get(cvmi, None, value) is not None:
        return [("ClusterVirtualMachineImage", value)]
    found = [("VirtualMachineImage", o["metadata"]["name"]) for o in store.list(vmi, namespace) if _display(o) == value]
    found += [("ClusterVirtualMachineImage", o["metadata"]["name"]) for o in store.list(cvmi) if _display(o) == value]
    return found


def _display(obj: dict[str, Any]) -> str:
    return str((obj.get("status") or {}).get("name", ""))


def _readonly(req: Any) -> list[str]:
    """Users cannot create or change images; only VM Operator (the simulator's seeding) writes them."""
    if req.user.startswith("system:"):
        return []
    kind = req.obj.get("kind", "VirtualMachineImage")
    name = (req.obj.get("metadata") or {}).get("name", "")
    raise status.webhook_denied(
        "default.validating.virtualmachineimage.v1alpha3.vmoperator.vmware.com",
        "images are managed by VM Operator from content libraries",
        f"{kind.lower()}s",
        GROUP,
        name,
    )


_COLUMNS = (
    Column("Display Name", "string", lambda o: path(o, "status.name")),
    Column("Type", "string", lambda o: path(o, "status.type")),
    Column("Image Version", "string", lambda o: path(o, "status.productInfo.version")),
    Column("OS Name", "string", lambda o: path(o, "status.osInfo.type")),
    Column("OS Version", "string", lambda o: path(o, "status.osInfo.version")),
    Column("Hardware Version", "string", lambda o: path(o, "status.hardwareVersion")),
    Column("Ready", "string", lambda o: condition_status(o, "Ready"), priority=1),
)

VIRTUAL_MACHINE_IMAGE = ResourceType(
    group=GROUP,
    version="v1alpha3",
    kind="VirtualMachineImage",
    plural="virtualmachineimages",
    namespaced=True,
    short_names=("vmi", "vmimage"),
    columns=_COLUMNS,
    admit=(_readonly,),
)

CLUSTER_VIRTUAL_MACHINE_IMAGE = ResourceType(
    group=GROUP,
    version="v1alpha3",
    kind="ClusterVirtualMachineImage",
    plural="clustervirtualmachineimages",
    namespaced=False,
    short_names=("cvmi", "cvmimage", "clustervmi", "clustervmimage"),
    columns=_COLUMNS,
    admit=(_readonly,),
)
