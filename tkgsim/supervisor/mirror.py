"""Mirror vCenter's vSphere Namespaces and VM classes into the Supervisor's Kubernetes objects.

A vSphere Namespace (``world.emit(NAMESPACE, name, InfoV2)``) becomes:

- a Kubernetes ``Namespace`` of the same name;
- one cluster-scoped ``StorageClass`` per storage policy (named after the policy, lower-cased and dashed, e.g.
  ``vsan-default-storage-policy``, unless the seed policy names its ``storage_class``: an admin-renamed class) plus
  its ``-latebinding`` twin (``WaitForFirstConsumer``), shared by namespaces;
- a ``ResourceQuota`` ``<ns>-storagequota`` with ``<sc>.storageclass.storage.k8s.io/requests.storage`` keys for both
  classes of each policy (the policy's ``limit`` in MiB, or the int64 maximum when unlimited);
- one namespaced ``VirtualMachineClass`` (vmoperator v1alpha2) per class in ``vm_service_spec.vm_classes``;
- the system ``ClusterClass`` objects (``world.model["cluster_classes"]``).

``config_status: REMOVING`` or a ``None`` event starts deleting the Kubernetes Namespace, which deletes everything
in it (see ``controllers/namespace.py``). VM class events refresh the copies in every namespace bound to the class.
"""

from __future__ import annotations

import contextlib
import logging
import re
from typing import Any

from tkgsim import world as world_mod

from . import seed, status
from .apis.vmoperator_vmware_com.v1alpha3 import images as vm_images
from .context import Supervisor

__all__ = ["Mirror", "storage_class_name"]

log = logging.getLogger(__name__)

UNLIMITED = "9223372036854775807"
PROVISIONER = "csi.vsphere.vmware.com"


def storage_class_name(policy_name: str) -> str:
    """``vSAN Default Storage Policy`` → ``vsan-default-storage-policy``."""
    name = re.sub(r"[^a-z0-9-]+", "-", policy_name.lower())
    return re.sub(r"-+", "-", name).strip("-")[:63] or "storage-policy"


def _quantity_mib(mib: int) -> str:
    return f"{mib // 1024}Gi" if mib % 1024 == 0 else f"{mib}Mi"


def vm_class_object(info: dict[str, Any], namespace: str) -> dict[str, Any]:
    """A namespaced VirtualMachineClass (v1alpha2) for a vCenter VM class ``Info``."""
    cpus = int(info.get("cpu_count", 0))
    memory_mb = int(info.get("memory_MB", 0))
    hardware: dict[str, Any] = {"cpus": cpus, "memory": _quantity_mib(memory_mb)}
    devices = info.get("devices") or {}
    if devices.get("vgpu_devices") or devices.get("dynamic_direct_path_IO_devices"):
        hardware["devices"] = {
            "vgpuDevices": [{"profileName": d["profile_name"]} for d in devices.get("vgpu_devices") or []],
            "dynamicDirectPathIODevices": [
                {
                    "vendorID": d["vendor_id"],
                    "deviceID": d["device_id"],
                    **({"customLabel": d["custom_label"]} if d.get("custom_label") else {}),
                }
                for d in devices.get("dynamic_direct_path_IO_devices") or []
            ],
        }
    instance = info.get("instance_storage")
    if instance:
        hardware["instanceStorage"] = {
            "storageClass": instance.get("policy", ""),
            "volumes": [{"size": _quantity_mib(int(v.get("size", 0)))} for v in instance.get("volumes") or []],
        }
    spec: dict[str, Any] = {
        "controllerName": "vmoperator.vmware.com/vsphere",
        "description": info.get("description", ""),
        "hardware": hardware,
    }
    cpu_res = int(info.get("cpu_reservation") or 0)
    mem_res = int(info.get("memory_reservation") or 0)
    if cpu_res or mem_res:
        requests: dict[str, str] = {}
        if cpu_res:
            requests["cpu"] = f"{cpus * 1000 * cpu_res // 100}m"
        if mem_res:
            requests["memory"] = _quantity_mib(memory_mb * mem_res // 100)
        spec["policies"] = {"resources": {"requests": requests}}
    spec["configSpec"] = info.get("config_spec") or {
        "_typeName": "VirtualMachineConfigSpec",
        "numCPUs": cpus,
        "memoryMB": memory_mb,
    }
    return {
        "apiVersion": "vmoperator.vmware.com/v1alpha2",
        "kind": "VirtualMachineClass",
        "metadata": {"name": info["id"], "namespace": namespace},
        "spec": spec,
        "status": {},
    }


class Mirror:
    """Keeps the Kubernetes view in step with vCenter events (call :meth:`on_event` from ``world.subscribe``)."""

    def __init__(self, sup: Supervisor) -> None:
        self.sup = sup
        self.state: dict[str, Any] = sup.store.data["mirror"]
        self.state.setdefault("namespaces", {})
        self.state.setdefault("vm_classes", {})

    # ------------------------------------------------------------------ events

    def on_event(self, kind: str, key: str, obj: dict[str, Any] | None) -> None:
        """A ``world.emit`` listener; never raises into vCenter's handlers."""
        try:
            if kind == world_mod.NAMESPACE:
                self.namespace_changed(key, obj)
            elif kind == world_mod.VM_CLASS:
                self.vm_class_changed(key, obj)
        except Exception:
            log.exception("mirroring %s %s failed", kind, key)
        self.sup.wake()

    def sync_existing(self) -> None:
        """Mirror what vCenter already holds (a restart with a state file, or a vCenter half that started first)."""
        vcenter = self.sup.world.data.get("vcenter") or {}
        for class_id, info in (vcenter.get("vm_classes") or {}).items():
            self.state["vm_classes"][class_id] = {k: v for k, v in info.items() if not k.startswith("_")} | {
                "id": class_id
            }
        for name, info in (vcenter.get("namespaces") or {}).items():
            self.namespace_changed(name, {k: v for k, v in info.items() if not k.startswith("_")})

    # ------------------------------------------------------------------ namespaces

    def namespace_changed(self, name: str, info: dict[str, Any] | None) -> None:
        store = self.sup.store
        ns_rt = store.registry.by_kind("Namespace")
        if info is None or info.get("config_status") == "REMOVING":
            if store.get(ns_rt, None, name) is not None:
                log.info("[namespace %s] vSphere Namespace removed; deleting its Kubernetes objects", name)
                with contextlib.suppress(status.KubeError):
                    store.delete(ns_rt, None, name)
            if info is None:
                self.state["namespaces"].pop(name, None)
                self._collect_storage_classes()
            return
        existing = store.get(ns_rt, None, name)
        if existing is not None and existing["metadata"].get("deletionTimestamp"):
            return
        if existing is None:
            store.create(
                ns_rt,
                {
                    "metadata": {
                        "name": name,
                        "labels": {"kubernetes.io/metadata.name": name, "vSphereClusterID": self._cluster_id(info)},
                    },
                    "spec": {"finalizers": ["kubernetes"]},
                    "status": {"phase": "Active"},
                },
            )
            log.info("[namespace %s] mirrored from vCenter", name)
        policies = [s for s in info.get("storage_specs") or [] if s.get("policy")]
        vm_classes = list((info.get("vm_service_spec") or {}).get("vm_classes") or [])
        self.state["namespaces"][name] = {"storage_specs": policies, "vm_classes": vm_classes}
        self._sync_storage(name, policies)
        self._sync_vm_classes(name, vm_classes)
        vm_images.sync_namespace_images(store, name, self._library_names(info))
        seed.ensure_cluster_classes(store, self.sup.world.model, name)
        self._collect_storage_classes()

    def _library_names(self, info: dict[str, Any]) -> list[str]:
        """Names of the content libraries the namespace's VM Service uses (their OVFs become VirtualMachineImages)."""
        ids = set((info.get("vm_service_spec") or {}).get("content_libraries") or [])
        return [lib["name"] for lib in self.sup.world.model.get("content_libraries", []) if lib.get("id") in ids]

    def _cluster_id(self, info: dict[str, Any]) -> str:
        if info.get("cluster"):
            return str(info["cluster"])
        for supervisor in self.sup.world.model.get("supervisors", []):
            if supervisor.get("supervisor") == info.get("supervisor"):
                return str(supervisor.get("cluster", ""))
        return ""

    def _class_name(self, policy_id: str) -> str:
        """The StorageClass of a policy: the seed's ``storage_class`` (a renamed class), else the policy name slug."""
        for policy in self.sup.world.model.get("storage_policies", []):
            if policy.get("policy") == policy_id:
                return str(policy.get("storage_class") or storage_class_name(str(policy.get("name", policy_id))))
        return storage_class_name(policy_id)

    def _sync_storage(self, namespace: str, policies: list[dict[str, Any]]) -> None:
        store = self.sup.store
        sc_rt = store.registry.by_kind("StorageClass")
        quota_rt = store.registry.by_kind("ResourceQuota")
        hard: dict[str, str] = {}
        for spec in policies:
            sc = self._class_name(spec["policy"])
            for name, binding in ((sc, "Immediate"), (f"{sc}-latebinding", "WaitForFirstConsumer")):
                desired = {
                    "apiVersion": "storage.k8s.io/v1",
                    "kind": "StorageClass",
                    "metadata": {"name": name, "labels": {"isSyncedFromVCenter": "true"}},
                    "provisioner": PROVISIONER,
                    "parameters": {"storagePolicyID": spec["policy"]},
                    "reclaimPolicy": "Delete",
                    "allowVolumeExpansion": True,
                    "volumeBindingMode": binding,
                }
                if store.get(sc_rt, None, name) is None:
                    store.create(sc_rt, desired)
            limit = spec.get("limit")
            for name in (sc, f"{sc}-latebinding"):
                hard[f"{name}.storageclass.storage.k8s.io/requests.storage"] = (
                    _quantity_mib(int(limit)) if limit else UNLIMITED
                )
        quota_name = f"{namespace}-storagequota"
        quota = store.get(quota_rt, namespace, quota_name)
        if quota is None:
            store.create(
                quota_rt,
                {
                    "metadata": {"name": quota_name, "namespace": namespace},
                    "spec": {"hard": hard},
                    "status": {"hard": hard, "used": {}},
                },
            )
        elif (quota.get("spec") or {}).get("hard") != hard:
            quota["spec"] = {"hard": hard}
            quota = store.update(quota_rt, quota, check_rv=False)
            quota["status"] = {"hard": hard, "used": {k: "0" for k in hard}}
            store.update(quota_rt, quota, subresource="status", check_rv=False)

    def _collect_storage_classes(self) -> None:
        """Delete mirrored StorageClasses no namespace uses any more."""
        store = self.sup.store
        sc_rt = store.registry.by_kind("StorageClass")
        used: set[str] = set()
        for record in self.state["namespaces"].values():
            for spec in record.get("storage_specs") or []:
                sc = self._class_name(spec["policy"])
                used |= {sc, f"{sc}-latebinding"}
        for obj in store.list(sc_rt):
            if (obj["metadata"].get("labels") or {}).get("isSyncedFromVCenter") == "true" and obj["metadata"][
                "name"
            ] not in used:
                with contextlib.suppress(status.KubeError):
                    store.delete(sc_rt, None, obj["metadata"]["name"])

    # ------------------------------------------------------------------ VM classes

    def _class_info(self, class_id: str) -> dict[str, Any] | None:
        info = self.state["vm_classes"].get(class_id)
        if info is not None:
            return dict(info)
        vcenter = (self.sup.world.data.get("vcenter") or {}).get("vm_classes") or {}
        if class_id in vcenter:
            return {**vcenter[class_id], "id": class_id}
        for seed_class in self.sup.world.model.get("vm_classes", []):
            if seed_class.get("id") == class_id:
                return dict(seed_class)
        return None

    def _sync_vm_classes(self, namespace: str, class_ids: list[str]) -> None:
        store = self.sup.store
        rt = store.registry.by_kind("VirtualMachineClass")
        wanted = set(class_ids)
        for obj in store.list(rt, namespace):
            if obj["metadata"]["name"] not in wanted:
                with contextlib.suppress(status.KubeError):
                    store.delete(rt, namespace, obj["metadata"]["name"])
        for class_id in class_ids:
            info = self._class_info(class_id)
            if info is not None:
                self._put_vm_class(namespace, info)

    def _put_vm_class(self, namespace: str, info: dict[str, Any]) -> None:
        store = self.sup.store
        rt = store.registry.by_kind("VirtualMachineClass")
        desired = vm_class_object(info, namespace)
        live = store.get(rt, namespace, info["id"])
        if live is None:
            store.create(rt, desired)
        elif live.get("spec") != desired["spec"]:
            live["spec"] = desired["spec"]
            store.update(rt, live, check_rv=False)

    def vm_class_changed(self, class_id: str, info: dict[str, Any] | None) -> None:
        if info is None:
            self.state["vm_classes"].pop(class_id, None)
        else:
            self.state["vm_classes"][class_id] = {
                k: v for k, v in info.items() if k not in ("namespaces", "vms", "messages")
            }
        for namespace, record in self.state["namespaces"].items():
            if class_id not in (record.get("vm_classes") or []):
                continue
            if info is None:
                with contextlib.suppress(status.KubeError):
                    self.sup.store.delete(self.sup.store.registry.by_kind("VirtualMachineClass"), namespace, class_id)
            else:
                self._put_vm_class(namespace, {**info, "id": class_id})
