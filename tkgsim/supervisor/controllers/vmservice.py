"""VM Operator's controllers: VirtualMachine, VirtualMachineService and the CSI side of PersistentVolumeClaims.

Each ``reconcile_*`` takes one object and makes at most one simulated step once the previous step's delay has passed
(``state["next_at"]``), so every intermediate state is written and watchable. Returned is the delay after which to
look again (None: nothing pending).

VirtualMachine timeline: finalizer added → class/image/storage/bootstrap checked (``...Ready`` conditions; a missing
class or image leaves the VM ``False``/``NotFound`` and never created) → created powered off (``uniqueID``, UUIDs,
hardware version) → powered on → guest IP reported. Power changes are one step each; a powered-off VM reports no
guest network. A class change is applied while the VM is powered off (the webhook refuses it on a running VM).
Deleting waits one step, then drops the finalizer.
"""

from __future__ import annotations

import copy
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from ..api.v1.persistentvolumeclaims import PROTECTION_FINALIZER, quantity_bytes
from ..apis.vmoperator_vmware_com.v1alpha3 import images
from ..apis.vmoperator_vmware_com.v1alpha3.virtualmachines import FINALIZER
from ..store import Store

__all__ = ["DEFAULT_TIMINGS", "Timings", "VmOperator"]

log = logging.getLogger(__name__)

# Seconds per simulated step before ``delay_scale`` (override with ``world.model["supervisor_timings"]``).
DEFAULT_TIMINGS = {"vm_create": 3.0, "vm_power": 2.0, "vm_ip": 2.0, "volume_bind": 1.0, "load_balancer": 2.0}

VM_NETWORK = "192.168.128."  # the namespace's workload network
LB_NETWORK = "10.220.8."  # the NSX / Avi ingress CIDR


@dataclass(frozen=True)
class Timings:
    vm_create: float
    vm_power: float
    vm_ip: float
    volume_bind: float
    load_balancer: float


def _iso(now: float) -> str:
    return datetime.fromtimestamp(now, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _condition(kind: str, ok: bool, now: float, reason: str = "", message: str = "") -> dict[str, Any]:
    return {
        "type": kind,
        "status": "True" if ok else "False",
        "reason": reason or ("True" if ok else "False"),
        "message": message,
        "lastTransitionTime": _iso(now),
    }


def _keep_transition_times(old: list[dict[str, Any]], new: list[dict[str, Any]]) -> list[dict[str, Any]]:
    before = {c["type"]: c for c in old}
    for cond in new:
        previous = before.get(cond["type"])
        if previous is not None and previous.get("status") == cond["status"]:
            cond["lastTransitionTime"] = previous.get("lastTransitionTime", cond["lastTransitionTime"])
    return new


class VmOperator:
    """The reconcilers, sharing the store, a progress record per object and the IP pools."""

    def __init__(self, store: Store, timings: Callable[[], Timings]) -> None:
        self.store = store
        self.timings = timings
        self.state: dict[str, Any] = store.data["controllers"].setdefault("vmoperator", {})
        self.state.setdefault("objects", {})
        self.state.setdefault("next_vm_ip", 10)
        self.state.setdefault("next_lb_ip", 10)
        self.state.setdefault("next_vm_id", 1001)
        self.vm_rt = store.registry.by_kind("VirtualMachine")
        self.pvc_rt = store.registry.by_kind("PersistentVolumeClaim")
        self.svc_rt = store.registry.by_kind("VirtualMachineService")

    # ------------------------------------------------------------------ helpers

    def _record(self, kind: str, obj: dict[str, Any]) -> dict[str, Any]:
        key = f"{kind}/{obj['metadata'].get('namespace')}/{obj['metadata']['name']}"
        record: dict[str, Any] = self.state["objects"].setdefault(key, {"uid": obj["metadata"].get("uid")})
        if record.get("uid") != obj["metadata"].get("uid"):
            record.clear()
            record["uid"] = obj["metadata"].get("uid")
        return record

    def forget(self, kind: str, namespace: str, name: str) -> None:
        self.state["objects"].pop(f"{kind}/{namespace}/{name}", None)

    def _due(self, record: dict[str, Any], step: str, delay: float, now: float) -> float | None:
        """None when ``step`` may happen now; else the seconds left (starting the clock on first ask)."""
        if record.get("step") != step:
            record["step"] = step
            record["next_at"] = now + delay
        left = float(record["next_at"]) - now
        if left > 0:
            return left
        record.pop("step", None)
        return None

    def _write_status(self, rt: Any, obj: dict[str, Any], new_status: dict[str, Any]) -> dict[str, Any]:
        if obj.get("status") == new_status:
            return obj
        obj = copy.deepcopy(obj)
        obj["status"] = new_status
        result: dict[str, Any] = self.store.update(rt, obj, subresource="status", check_rv=False)
        return result

    def _set_finalizers(self, rt: Any, obj: dict[str, Any], finalizers: list[str]) -> dict[str, Any] | None:
        obj = copy.deepcopy(obj)
        obj["metadata"]["finalizers"] = finalizers
        result: dict[str, Any] = self.store.update(rt, obj, check_rv=False)
        meta = result["metadata"]
        return self.store.get(rt, meta.get("namespace"), meta["name"])

    def _claims_in_use(self, namespace: str) -> set[str]:
        used: set[str] = set()
        for vm in self.store.list(self.vm_rt, namespace):
            for volume in (vm.get("spec") or {}).get("volumes") or []:
                claim = (volume.get("persistentVolumeClaim") or {}).get("claimName")
                if claim:
                    used.add(str(claim))
        return used

    # ------------------------------------------------------------------ VirtualMachine

    def reconcile_vm(self, obj: dict[str, Any], now: float | None = None) -> float | None:
        now = time.time() if now is None else now
        timings = self.timings()
        meta = obj["metadata"]
        namespace, name = str(meta["namespace"]), str(meta["name"])
        record = self._record("vm", obj)
        finalizers = list(meta.get("finalizers") or [])
        if meta.get("deletionTimestamp"):
            if FINALIZER not in finalizers:
                return None
            left = self._due(record, "delete", timings.vm_power, now)
            if left is not None:
                return left
            log.info("[vm %s/%s] powered off and deleted from vSphere", namespace, name)
            self._set_finalizers(self.vm_rt, obj, [f for f in finalizers if f != FINALIZER])
            self.forget("vm", namespace, name)
            return None
        if FINALIZER not in finalizers:
            updated = self._set_finalizers(self.vm_rt, obj, [*finalizers, FINALIZER])
            if updated is None:
                return None
            obj = updated
        spec = obj.get("spec") or {}
        current: dict[str, Any] = copy.deepcopy(obj.get("status") or {})
        conditions, blocked = self._vm_prerequisites(spec, namespace, now)
        poll = max(min(timings.vm_power, 1.0), 0.05)
        if blocked:
            new_status = {k: v for k, v in current.items() if k != "conditions"}
            new_status["conditions"] = _keep_transition_times(current.get("conditions") or [], conditions)
            self._write_status(self.vm_rt, obj, new_status)
            return poll
        requeue: float | None = None
        if not record.get("created"):
            left = self._due(record, "create", timings.vm_create, now)
            if left is not None:
                conditions.append(_condition("VirtualMachineCreated", False, now, "Creating", "deploying from image"))
                current["conditions"] = _keep_transition_times(current.get("conditions") or [], conditions)
                self._write_status(self.vm_rt, obj, current)
                return left
            record["created"] = True
            record["vm_id"] = f"vm-{self.state['next_vm_id']}"
            self.state["next_vm_id"] += 1
            image = images.find_image(
                self.store,
                namespace,
                str((spec.get("image") or {}).get("kind")),
                str((spec.get("image") or {}).get("name")),
            )
            image_hw = int(((image or {}).get("status") or {}).get("hardwareVersion") or 19)
            current.update(
                {
                    "uniqueID": record["vm_id"],
                    "biosUUID": spec.get("biosUUID", ""),
                    "instanceUUID": spec.get("instanceUUID", ""),
                    "powerState": "PoweredOff",
                    "hardwareVersion": max(image_hw, int(spec.get("minHardwareVersion") or 0)),
                    "class": {
                        "apiVersion": "vmoperator.vmware.com/v1alpha2",
                        "kind": "VirtualMachineClass",
                        "name": spec.get("className"),
                    },
                    "zone": "zone-1",
                    "host": "esx-01a.sim.local",
                }
            )
            log.info("[vm %s/%s] created (%s)", namespace, name, record["vm_id"])
            requeue = 0.0
        desired = spec.get("powerState", "PoweredOn")
        observed = current.get("powerState")
        if observed == "PoweredOff" and (current.get("class") or {}).get("name") != spec.get("className"):
            current["class"] = {**(current.get("class") or {}), "name": spec.get("className")}
            log.info("[vm %s/%s] reconfigured to class %s", namespace, name, spec.get("className"))
        hw = int(spec.get("minHardwareVersion") or 0)
        if observed == "PoweredOff" and hw > int(current.get("hardwareVersion") or 0):
            current["hardwareVersion"] = hw
        if requeue is None and desired != observed:
            left = self._due(record, f"power-{desired}", timings.vm_power, now)
            if left is not None:
                requeue = left
            else:
                if desired == "PoweredOn" and (current.get("class") or {}).get("name") != spec.get("className"):
                    current["class"] = {**(current.get("class") or {}), "name": spec.get("className")}
                current["powerState"] = desired
                log.info("[vm %s/%s] %s", namespace, name, desired)
                if desired != "PoweredOn":
                    current.pop("network", None)
                    record.pop("ip", None)
                requeue = 0.0
        if (
            requeue is None
            and current.get("powerState") == "PoweredOn"
            and not (current.get("network") or {}).get("primaryIP4")
        ):
            left = self._due(record, "ip", timings.vm_ip, now)
            if left is not None:
                requeue = left
            else:
                if not record.get("ip"):
                    record["ip"] = f"{VM_NETWORK}{self.state['next_vm_ip']}"
                    self.state["next_vm_ip"] = self.state["next_vm_ip"] % 250 + 10
                current["network"] = self._network_status(spec, record["ip"], name)
                log.info("[vm %s/%s] guest IP %s", namespace, name, record["ip"])
        current["volumes"] = self._volume_status(spec, namespace)
        if not current["volumes"]:
            current.pop("volumes")
        powered_on = current.get("powerState") == "PoweredOn"
        has_ip = bool((current.get("network") or {}).get("primaryIP4"))
        conditions.append(_condition("VirtualMachineCreated", True, now))
        conditions.append(
            _condition("VirtualMachineNetworkReady", True, now)
            if has_ip or not powered_on
            else _condition("VirtualMachineNetworkReady", False, now, "WaitingForIP", "waiting for the guest IP")
        )
        ready = powered_on and has_ip
        conditions.append(
            _condition(
                "Ready",
                ready,
                now,
                "" if ready else "NotReady",
                "" if ready else f"power state {current.get('powerState')}",
            )
        )
        current["conditions"] = _keep_transition_times(current.get("conditions") or [], conditions)
        self._write_status(self.vm_rt, obj, current)
        return requeue

    def _vm_prerequisites(self, spec: dict[str, Any], namespace: str, now: float) -> tuple[list[dict[str, Any]], bool]:
        conditions: list[dict[str, Any]] = []
        blocked = False
        class_name = str(spec.get("className") or "")
        if self.store.get(self.store.registry.by_kind("VirtualMachineClass"), namespace, class_name) is None:
            conditions.append(
                _condition(
                    "VirtualMachineClassReady",
                    False,
                    now,
                    "NotFound",
                    f'virtualmachineclasses.vmoperator.vmware.com "{class_name}" not found',
                )
            )
            blocked = True
        else:
            conditions.append(_condition("VirtualMachineClassReady", True, now))
        ref = spec.get("image") or {}
        if images.find_image(self.store, namespace, str(ref.get("kind")), str(ref.get("name"))) is None:
            plural = (
                "clustervirtualmachineimages"
                if ref.get("kind") == "ClusterVirtualMachineImage"
                else "virtualmachineimages"
            )
            conditions.append(
                _condition(
                    "VirtualMachineImageReady",
                    False,
                    now,
                    "NotFound",
                    f'{plural}.vmoperator.vmware.com "{ref.get("name", "")}" not found',
                )
            )
            blocked = True
        else:
            conditions.append(_condition("VirtualMachineImageReady", True, now))
        conditions.append(_condition("VirtualMachineStorageReady", True, now))
        bootstrap = spec.get("bootstrap") or {}
        wanted = [
            ((bootstrap.get("cloudInit") or {}).get("rawCloudConfig") or {}).get("name"),
            ((bootstrap.get("sysprep") or {}).get("rawSysprep") or {}).get("name"),
            (bootstrap.get("vAppConfig") or {}).get("rawProperties"),
        ]
        secret_rt = self.store.registry.by_kind("Secret")
        missing = [str(n) for n in wanted if n and self.store.get(secret_rt, namespace, str(n)) is None]
        if missing:
            conditions.append(
                _condition("VirtualMachineBootstrapReady", False, now, "NotFound", f'secrets "{missing[0]}" not found')
            )
            blocked = True
        else:
            conditions.append(_condition("VirtualMachineBootstrapReady", True, now))
        return conditions, blocked

    def _network_status(self, spec: dict[str, Any], ip: str, name: str) -> dict[str, Any]:
        interfaces = ((spec.get("network") or {}).get("interfaces")) or [{"name": "eth0"}]
        statuses = []
        for index, interface in enumerate(interfaces):
            address = ip if index == 0 else f"{ip.rsplit('.', 1)[0]}.{200 + index}"
            statuses.append(
                {
                    "name": interface.get("name", f"eth{index}"),
                    "deviceKey": 4000 + index,
                    "ip": {
                        "macAddr": f"00:50:56:a0:{index:02x}:{int(ip.rsplit('.', 1)[1]):02x}",
                        "addresses": [{"address": f"{address}/24", "origin": "dhcp", "state": "preferred"}],
                    },
                }
            )
        return {
            "hostName": name,
            "primaryIP4": ip,
            "interfaces": statuses,
            "ipStacks": [{"ipRoutes": [{"gateway": f"{VM_NETWORK}1", "networkAddress": "0.0.0.0/0"}]}],
        }

    def _volume_status(self, spec: dict[str, Any], namespace: str) -> list[dict[str, Any]]:
        result = []
        for volume in spec.get("volumes") or []:
            claim_name = (volume.get("persistentVolumeClaim") or {}).get("claimName")
            claim = self.store.get(self.pvc_rt, namespace, str(claim_name)) if claim_name else None
            entry: dict[str, Any] = {"name": volume.get("name"), "type": "Managed"}
            if claim is None:
                entry.update({"attached": False, "error": f'persistentvolumeclaims "{claim_name}" not found'})
            elif (claim.get("status") or {}).get("phase") != "Bound":
                entry.update({"attached": False, "error": "persistent volume claim is not bound"})
            else:
                entry.update(
                    {
                        "attached": True,
                        "diskUUID": "6000c29" + claim["metadata"]["uid"].replace("-", "")[:25],
                        "limit": (claim.get("status") or {}).get("capacity", {}).get("storage"),
                    }
                )
            result.append(entry)
        return result

    # ------------------------------------------------------------------ PersistentVolumeClaim

    def reconcile_claim(self, obj: dict[str, Any], now: float | None = None) -> float | None:
        now = time.time() if now is None else now
        timings = self.timings()
        meta = obj["metadata"]
        namespace, name = str(meta["namespace"]), str(meta["name"])
        record = self._record("pvc", obj)
        finalizers = list(meta.get("finalizers") or [])
        if meta.get("deletionTimestamp"):
            if PROTECTION_FINALIZER in finalizers and name not in self._claims_in_use(namespace):
                self._set_finalizers(self.pvc_rt, obj, [f for f in finalizers if f != PROTECTION_FINALIZER])
                self.forget("pvc", namespace, name)
            return None
        spec = obj.get("spec") or {}
        current = copy.deepcopy(obj.get("status") or {})
        request = str(((spec.get("resources") or {}).get("requests") or {}).get("storage", "0"))
        if current.get("phase") != "Bound":
            sc = self.store.get(
                self.store.registry.by_kind("StorageClass"), None, str(spec.get("storageClassName", ""))
            )
            late = (sc or {}).get("volumeBindingMode") == "WaitForFirstConsumer"
            if late and name not in self._claims_in_use(namespace):
                self._write_status(self.pvc_rt, obj, {"phase": "Pending"})
                return None
            left = self._due(record, "bind", timings.volume_bind, now)
            if left is not None:
                self._write_status(self.pvc_rt, obj, {"phase": "Pending"})
                return left
            volume_name = "pvc-" + str(meta.get("uid", ""))
            bound = copy.deepcopy(obj)
            bound["spec"]["volumeName"] = volume_name
            bound["metadata"].setdefault("annotations", {})["pv.kubernetes.io/bind-completed"] = "yes"
            obj = self.store.update(self.pvc_rt, bound, check_rv=False)
            self._write_status(
                self.pvc_rt,
                obj,
                {"phase": "Bound", "accessModes": spec.get("accessModes") or [], "capacity": {"storage": request}},
            )
            log.info("[pvc %s/%s] bound to %s", namespace, name, volume_name)
            return None
        capacity = str((current.get("capacity") or {}).get("storage", "0"))
        if (quantity_bytes(request) or 0) > (quantity_bytes(capacity) or 0):
            left = self._due(record, "expand", timings.volume_bind, now)
            if left is not None:
                return left
            current["capacity"] = {"storage": request}
            self._write_status(self.pvc_rt, obj, current)
            log.info("[pvc %s/%s] expanded to %s", namespace, name, request)
        return None

    # ------------------------------------------------------------------ VirtualMachineService

    def reconcile_service(self, obj: dict[str, Any], now: float | None = None) -> float | None:
        now = time.time() if now is None else now
        timings = self.timings()
        meta = obj["metadata"]
        namespace, name = str(meta["namespace"]), str(meta["name"])
        record = self._record("svc", obj)
        if meta.get("deletionTimestamp"):
            self.forget("svc", namespace, name)
            return None
        spec = obj.get("spec") or {}
        if spec.get("type") != "LoadBalancer":
            self._write_status(self.svc_rt, obj, {})
            record.pop("ip", None)
            return None
        if (obj.get("status") or {}).get("loadBalancer", {}).get("ingress"):
            return None
        left = self._due(record, "lb", timings.load_balancer, now)
        if left is not None:
            return left
        if not record.get("ip"):
            record["ip"] = spec.get("loadBalancerIP") or f"{LB_NETWORK}{self.state['next_lb_ip']}"
            self.state["next_lb_ip"] = self.state["next_lb_ip"] % 250 + 10
        self._write_status(self.svc_rt, obj, {"loadBalancer": {"ingress": [{"ip": record["ip"]}]}})
        log.info("[vmservice %s/%s] load balancer %s", namespace, name, record["ip"])
        return None
