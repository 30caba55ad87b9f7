"""Core ``v1`` PersistentVolumeClaim as a vSphere Namespace serves it (CSI-backed First Class Disks).

Admission follows the API server's PVC validation (access modes and a storage request required; the spec is
immutable after creation except a larger ``resources.requests.storage``, and only if the StorageClass allows
expansion) plus the Supervisor's rule that a claim may only use a storage class associated with the namespace.
The ``kubernetes.io/pvc-protection`` finalizer keeps a deleted claim ``Terminating`` while a VM still uses it.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from ... import status
from ...columns import path
from ...resources import AdmissionRequest, Column, ResourceType

__all__ = ["PERSISTENT_VOLUME_CLAIM", "PROTECTION_FINALIZER", "quantity_bytes", "storage_classes_in_namespace"]

PROTECTION_FINALIZER = "kubernetes.io/pvc-protection"
ACCESS_MODES = ("ReadWriteOnce", "ReadOnlyMany", "ReadWriteMany", "ReadWriteOncePod")
_SUFFIXES = {
    "Ki": 1024,
    "Mi": 1024**2,
    "Gi": 1024**3,
    "Ti": 1024**4,
    "Pi": 1024**5,
    "k": 1000,
    "M": 1000**2,
    "G": 1000**3,
    "T": 1000**4,
    "P": 1000**5,
    "": 1,
}
_QUANTITY = re.compile(r"^([0-9]+(?:\.[0-9]+)?)(Ki|Mi|Gi|Ti|Pi|k|M|G|T|P|)$")


def quantity_bytes(text: Any) -> int | None:
    """A Kubernetes quantity (``10Gi``, ``512Mi``, ``1G``) in bytes, or None when it is not one."""
    match = _QUANTITY.match(str(text).strip())
    if not match:
        return None
    return int(Decimal(match.group(1)) * _SUFFIXES[match.group(2)])


def _cause(field: str, message: str, reason: str = "FieldValueInvalid") -> status.Cause:
    return status.Cause(field, message, reason)


def storage_classes_in_namespace(store: Any, namespace: str) -> set[str]:
    """Storage classes a namespace may use: the keys of its storage ResourceQuota (and their ``-latebinding`` twins)."""
    names: set[str] = set()
    for quota in store.list(store.registry.by_kind("ResourceQuota"), namespace):
        for key in (quota.get("spec") or {}).get("hard") or {}:
            if key.endswith(".storageclass.storage.k8s.io/requests.storage"):
                base = key.split(".storageclass.storage.k8s.io/")[0]
                names |= {base, f"{base}-latebinding"}
    return names


def admit_claim(req: AdmissionRequest) -> list[str]:
    """Validate a PersistentVolumeClaim write; adds the protection finalizer on create."""
    obj = req.obj
    meta = obj.setdefault("metadata", {})
    name, namespace = str(meta.get("name", "")), str(meta.get("namespace", ""))
    if meta.get("deletionTimestamp"):
        return []
    spec = obj.setdefault("spec", {})
    causes: list[status.Cause] = []
    if req.operation == "CREATE":
        finalizers = meta.setdefault("finalizers", [])
        if PROTECTION_FINALIZER not in finalizers:
            finalizers.append(PROTECTION_FINALIZER)
        spec.setdefault("volumeMode", "Filesystem")
        modes = spec.get("accessModes") or []
        if not modes:
            causes.append(
                _cause("spec.accessModes", "Required value: at least 1 access mode is required", "FieldValueRequired")
            )
        for index, mode in enumerate(modes):
            if mode not in ACCESS_MODES:
                allowed = ", ".join(f'"{m}"' for m in ACCESS_MODES)
                causes.append(
                    _cause(
                        f"spec.accessModes[{index}]",
                        f'Unsupported value: "{mode}": supported values: {allowed}',
                        "FieldValueNotSupported",
                    )
                )
        storage_class = spec.get("storageClassName")
        if storage_class and storage_class not in storage_classes_in_namespace(req.store, namespace):
            causes.append(
                _cause(
                    "spec.storageClassName",
                    f'Invalid value: "{storage_class}": Storage policy is not associated with the namespace '
                    f"{namespace}",
                )
            )
    request = path(obj, "spec.resources.requests.storage")
    size = quantity_bytes(request) if request is not None else None
    if request is None:
        causes.append(_cause("spec.resources[storage]", "Required value", "FieldValueRequired"))
    elif size is None or size <= 0:
        causes.append(_cause("spec.resources[storage]", f'Invalid value: "{request}": must be greater than zero'))
    if req.operation == "UPDATE" and req.old is not None and not causes:
        old_spec = req.old.get("spec") or {}
        old_size = quantity_bytes(path(req.old, "spec.resources.requests.storage")) or 0
        unchanged = {k: v for k, v in spec.items() if k != "resources"} == {
            k: v for k, v in old_spec.items() if k != "resources"
        }
        if not unchanged:
            causes.append(
                _cause(
                    "spec",
                    "Forbidden: spec is immutable after creation except resources.requests and "
                    "volumeAttributesClassName for bound claims",
                    "FieldValueForbidden",
                )
            )
        elif size is not None and size < old_size:
            causes.append(
                _cause(
                    "spec.resources.requests.storage",
                    "Forbidden: field can not be less than previous value",
                    "FieldValueForbidden",
                )
            )
        elif size is not None and size > old_size:
            sc = req.store.get(req.store.registry.by_kind("StorageClass"), None, str(spec.get("storageClassName", "")))
            if sc is None or not sc.get("allowVolumeExpansion"):
                raise status.KubeError(
                    403,
                    "Forbidden",
                    f'persistentvolumeclaims "{name}" is forbidden: only dynamically provisioned pvc can be resized '
                    "and the storageclass that provisions the pvc must support resize",
                    {"name": name, "kind": "persistentvolumeclaims"},
                )
    if causes:
        raise status.invalid("PersistentVolumeClaim", "", name, causes)
    return []


PERSISTENT_VOLUME_CLAIM = ResourceType(
    group="",
    version="v1",
    kind="PersistentVolumeClaim",
    plural="persistentvolumeclaims",
    namespaced=True,
    short_names=("pvc",),
    builtin=True,
    admit=(admit_claim,),
    columns=(
        Column("Status", "string", lambda o: path(o, "status.phase")),
        Column("Volume", "string", lambda o: path(o, "spec.volumeName")),
        Column("Capacity", "string", lambda o: path(o, "status.capacity.storage")),
        Column("Access Modes", "string", lambda o: ",".join(path(o, "spec.accessModes") or [])),
        Column("StorageClass", "string", lambda o: path(o, "spec.storageClassName")),
    ),
)
