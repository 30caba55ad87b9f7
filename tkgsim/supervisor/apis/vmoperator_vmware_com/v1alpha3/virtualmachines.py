"""``vmoperator.vmware.com/v1alpha3`` VirtualMachine and its admission webhooks (mutating, then validating).

Modelled on vm-operator's ``webhooks/virtualmachine``: the mutating webhook defaults ``spec.powerState`` to
``PoweredOn``, generates ``spec.biosUUID``/``spec.instanceUUID``, resolves ``spec.imageName`` (object name or a
unique display name) into ``spec.image`` and adds the default ``eth0`` interface; the validating webhook rejects a
storage class not associated with the namespace, a ``Suspended`` VM on create, an empty power state, suspending a
powered-off VM, changes to the image, storage class, UUIDs and network, a hardware-version downgrade (or upgrade
while powered on) and duplicate volume names.

A missing VM class or image is *not* refused at admission (the real webhooks do not look them up): the VM is stored
and the controller reports ``VirtualMachineClassReady``/``VirtualMachineImageReady`` ``False`` with reason
``NotFound`` — so a client that wants an early error must check before it writes.

Changing ``spec.className`` (resize) is refused while the VM is powered on and stays powered on: the new class is
applied by a reconfigure, which vSphere only does powered off. The change is accepted together with a power-off or
a power-on (VM Operator reconfigures after powering off / before powering on) or on a powered-off VM.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

from .... import status
from ....api.v1.persistentvolumeclaims import storage_classes_in_namespace
from ....columns import condition_status, path
from ....resources import AdmissionRequest, Column, ResourceType
from . import images

__all__ = ["FINALIZER", "MAX_HARDWARE_VERSION", "VIRTUAL_MACHINE"]

GROUP = "vmoperator.vmware.com"
FINALIZER = "vmoperator.vmware.com/virtualmachine"
MUTATING = "default.mutating.virtualmachine.v1alpha3.vmoperator.vmware.com"
VALIDATING = "default.validating.virtualmachine.v1alpha3.vmoperator.vmware.com"
# vSphere 8.0 U2/U3 creates at most hardware version 21 (vmx-21).
MAX_HARDWARE_VERSION = 21
POWER_STATES = ("PoweredOff", "PoweredOn", "Suspended")
_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")

_OPEN = {"type": "object", "x-kubernetes-preserve-unknown-fields": True}
_STRING = {"type": "string"}
_POWER_OP = {"type": "string", "enum": ["Hard", "Soft", "TrySoft"]}

VM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "spec": {
            "type": "object",
            "properties": {
                "image": {"type": "object", "properties": {"kind": _STRING, "name": _STRING}},
                "imageName": _STRING,
                "className": _STRING,
                "storageClass": _STRING,
                "powerState": {"type": "string", "enum": list(POWER_STATES)},
                "powerOffMode": _POWER_OP,
                "suspendMode": _POWER_OP,
                "restartMode": _POWER_OP,
                "nextRestartTime": _STRING,
                "minHardwareVersion": {"type": "integer", "minimum": 13},
                "biosUUID": _STRING,
                "instanceUUID": _STRING,
                "guestID": _STRING,
                "bootstrap": _OPEN,
                "network": _OPEN,
                "volumes": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {
                            "name": _STRING,
                            "persistentVolumeClaim": {
                                "type": "object",
                                "properties": {
                                    "claimName": _STRING,
                                    "readOnly": {"type": "boolean"},
                                    "instanceVolumeClaim": _OPEN,
                                },
                            },
                        },
                    },
                },
                "readinessProbe": _OPEN,
                "advanced": _OPEN,
                "reserved": _OPEN,
                "affinity": _OPEN,
                "crypto": _OPEN,
                "cdrom": {"type": "array", "items": _OPEN},
            },
        },
        "status": _OPEN,
    },
}


def _cause(field: str, message: str, reason: str = "FieldValueInvalid") -> status.Cause:
    return status.Cause(field, message, reason)


def _mutate(req: AdmissionRequest, spec: dict[str, Any], namespace: str, name: str) -> None:
    if req.operation == "CREATE":
        spec.setdefault("powerState", "PoweredOn")
        if not spec.get("biosUUID"):
            spec["biosUUID"] = str(uuid.uuid4())
        if not spec.get("instanceUUID"):
            spec["instanceUUID"] = str(uuid.uuid4())
        network = spec.setdefault("network", {})
        if isinstance(network, dict) and not network.get("disabled") and not network.get("interfaces"):
            network["interfaces"] = [{"name": "eth0"}]
        image_name = spec.get("imageName")
        if image_name and not spec.get("image"):
            found = images.resolve_image_name(req.store, namespace, str(image_name))
            if len(found) != 1:
                detail = "no VM image exists" if not found else "multiple VM images exist"
                raise status.webhook_denied(
                    MUTATING,
                    f'{detail} for "{image_name}" in namespace scope "{namespace}" and cluster scope',
                    "virtualmachines",
                    GROUP,
                    name,
                )
            spec["image"] = {"kind": found[0][0], "name": found[0][1]}
    for field in ("powerOffMode", "suspendMode", "restartMode"):
        spec.setdefault(field, "TrySoft")


def _validate_create(req: AdmissionRequest, spec: dict[str, Any]) -> list[status.Cause]:
    causes: list[status.Cause] = []
    image = spec.get("image")
    if not image and not spec.get("imageName"):
        causes.append(_cause("spec.image", "Required value", "FieldValueRequired"))
    elif isinstance(image, dict) and image.get("kind") not in ("VirtualMachineImage", "ClusterVirtualMachineImage"):
        causes.append(
            _cause(
                "spec.image.kind",
                f'Invalid value: "{image.get("kind", "")}": supported: VirtualMachineImage; ClusterVirtualMachineImage',
            )
        )
    if not spec.get("className"):
        causes.append(_cause("spec.className", "Required value", "FieldValueRequired"))
    if spec.get("powerState") == "Suspended":
        causes.append(
            _cause("spec.powerState", 'Invalid value: "Suspended": cannot set a new VM\'s power state to Suspended')
        )
    return causes


def _validate_update(req: AdmissionRequest, spec: dict[str, Any], old_spec: dict[str, Any]) -> list[status.Cause]:
    causes: list[status.Cause] = []
    for field in ("image", "imageName", "storageClass", "network"):
        if spec.get(field) != old_spec.get(field):
            causes.append(_cause(f"spec.{field}", "Invalid value: field is immutable"))
    for field in ("biosUUID", "instanceUUID"):
        if old_spec.get(field) and spec.get(field) != old_spec.get(field):
            causes.append(_cause(f"spec.{field}", "Invalid value: field is immutable"))
    new_power, old_power = spec.get("powerState", ""), old_spec.get("powerState", "")
    if not new_power:
        causes.append(_cause("spec.powerState", 'Invalid value: "": cannot set power state to empty string'))
    elif old_power == "PoweredOff" and new_power == "Suspended":
        causes.append(_cause("spec.powerState", 'Invalid value: "Suspended": cannot suspend a VM that is powered off'))
    if old_power == new_power == "PoweredOn" and spec.get("className") != old_spec.get("className"):
        causes.append(
            _cause(
                "spec.className",
                "Forbidden: updates to this field is not allowed when VM power is on",
                "FieldValueForbidden",
            )
        )
    if not spec.get("className"):
        causes.append(_cause("spec.className", "Required value", "FieldValueRequired"))
    new_hw, old_hw = int(spec.get("minHardwareVersion") or 0), int(old_spec.get("minHardwareVersion") or 0)
    if new_hw < old_hw:
        causes.append(_cause("spec.minHardwareVersion", f"Invalid value: {new_hw}: cannot downgrade hardware version"))
    elif new_hw > old_hw and new_power != "PoweredOff":
        causes.append(
            _cause(
                "spec.minHardwareVersion",
                f"Invalid value: {new_hw}: cannot upgrade hardware version unless powered off",
            )
        )
    return causes


def _validate_common(req: AdmissionRequest, spec: dict[str, Any], namespace: str) -> list[status.Cause]:
    causes: list[status.Cause] = []
    storage_class = spec.get("storageClass")
    if storage_class and storage_class not in storage_classes_in_namespace(req.store, namespace):
        causes.append(
            _cause(
                "spec.storageClass",
                f'Invalid value: "{storage_class}": Storage policy is not associated with the namespace '
                f"{namespace} by object {storage_class}",
            )
        )
    hardware = spec.get("minHardwareVersion")
    if isinstance(hardware, int) and hardware > MAX_HARDWARE_VERSION:
        causes.append(
            _cause(
                "spec.minHardwareVersion",
                f"Invalid value: {hardware}: should be less than or equal to {MAX_HARDWARE_VERSION}",
            )
        )
    seen: set[str] = set()
    for index, volume in enumerate(spec.get("volumes") or []):
        volume_name = str(volume.get("name", ""))
        field = f"spec.volumes[{index}].name"
        if not _DNS_LABEL.match(volume_name) or len(volume_name) > 63:
            causes.append(
                _cause(
                    field,
                    f'Invalid value: "{volume_name}": a lowercase RFC 1123 label must consist of lower case '
                    "alphanumeric characters or '-', and must start and end with an alphanumeric character",
                )
            )
        elif volume_name in seen:
            causes.append(_cause(field, f'Duplicate value: "{volume_name}"', "FieldValueDuplicate"))
        seen.add(volume_name)
        claim = volume.get("persistentVolumeClaim") or {}
        if not claim.get("claimName"):
            causes.append(
                _cause(f"spec.volumes[{index}].persistentVolumeClaim.claimName", "Required value", "FieldValueRequired")
            )
    bootstrap = spec.get("bootstrap") or {}
    if bootstrap.get("cloudInit") and (bootstrap.get("linuxPrep") or bootstrap.get("sysprep")):
        causes.append(
            _cause(
                "spec.bootstrap.cloudInit",
                "Forbidden: CloudInit may not be used with any other bootstrap provider",
                "FieldValueForbidden",
            )
        )
    if bootstrap.get("cloudInit") and bootstrap.get("vAppConfig"):
        causes.append(
            _cause(
                "spec.bootstrap.vAppConfig",
                "Forbidden: vAppConfig may not be used in conjunction with CloudInit",
                "FieldValueForbidden",
            )
        )
    interfaces = (spec.get("network") or {}).get("interfaces") or []
    if len(interfaces) > 10:
        causes.append(
            _cause(
                "spec.network.interfaces",
                f"Too many: {len(interfaces)}: must have at most 10 items",
                "FieldValueTooMany",
            )
        )
    return causes


def admit_virtual_machine(req: AdmissionRequest) -> list[str]:
    """Mutate then validate a VirtualMachine write (raises ``KubeError`` with field causes)."""
    obj = req.obj
    meta = obj.get("metadata") or {}
    name, namespace = str(meta.get("name", "")), str(meta.get("namespace", ""))
    if meta.get("deletionTimestamp"):
        return []
    spec = obj.setdefault("spec", {})
    _mutate(req, spec, namespace, name)
    causes = _validate_common(req, spec, namespace)
    if req.operation == "CREATE":
        causes = _validate_create(req, spec) + causes
    elif req.old is not None:
        causes = _validate_update(req, spec, req.old.get("spec") or {}) + causes
    if causes:
        raise status.invalid("VirtualMachine", GROUP, name, causes, webhook=VALIDATING)
    return []


VIRTUAL_MACHINE = ResourceType(
    group=GROUP,
    version="v1alpha3",
    kind="VirtualMachine",
    plural="virtualmachines",
    namespaced=True,
    short_names=("vm",),
    schema=VM_SCHEMA,
    admit=(admit_virtual_machine,),
    columns=(
        Column("Power-State", "string", lambda o: path(o, "status.powerState")),
        Column("Class", "string", lambda o: path(o, "spec.className"), priority=1),
        Column("Image", "string", lambda o: path(o, "spec.image.name"), priority=1),
        Column("Primary-IP4", "string", lambda o: path(o, "status.network.primaryIP4"), priority=1),
        Column("Ready", "string", lambda o: condition_status(o, "Ready"), priority=1),
    ),
)
