"""``tkg_virtual_machine`` → the VirtualMachine and the claims it owns (wire names of vmoperator v1alpha3)."""

from __future__ import annotations

from typing import Any

from ...framework.diagnostics import Path
from ...ownership import CREATE_TOKEN_ANNOTATION
from .. import _vmservice as shared
from .model import BOOTSTRAP_KEY, SYSPREP_KEY, Model, Volume

__all__ = [
    "WIRE_TO_TF_PATH",
    "bootstrap_secret",
    "bootstrap_secrets",
    "claim_name",
    "claim_object",
    "to_api",
    "vapp_secret",
    "volumes_wire",
]

WIRE_TO_TF_PATH: dict[str, Path] = {
    "metadata.name": ("name",),
    "metadata.labels": ("labels",),
    "metadata.annotations": ("annotations",),
    "spec.className": ("vm_class",),
    "spec.image": ("image",),
    "spec.imageName": ("image",),
    "spec.storageClass": ("storage_class",),
    "spec.powerState": ("power_state",),
    "spec.minHardwareVersion": ("min_hardware_version",),
    "spec.volumes": ("volume",),
    "spec.network": ("network_interface",),
    "spec.bootstrap": ("bootstrap",),
}


def bootstrap_secret(model: Model) -> str:
    return f"{model.name}-bootstrap"


def vapp_secret(model: Model) -> str:
    return f"{model.name}-vapp"


def bootstrap_secrets(model: Model) -> dict[str, dict[str, str]]:
    """Secret name → data for the bootstrap data of ``model`` (what the VM's spec refers to)."""
    boot = model.bootstrap
    if boot is None:
        return {}
    found: dict[str, dict[str, str]] = {}
    if boot.cloud_init is not None:
        found[bootstrap_secret(model)] = {BOOTSTRAP_KEY: boot.cloud_init}
    elif boot.sysprep is not None:
        found[bootstrap_secret(model)] = {SYSPREP_KEY: boot.sysprep}
    if boot.vapp_properties is not None:
        found[vapp_secret(model)] = dict(boot.vapp_properties)
    return found


def _bootstrap_wire(model: Model) -> dict[str, Any]:
    boot = model.bootstrap
    assert boot is not None
    wire: dict[str, Any] = {}
    if boot.cloud_init is not None:
        wire["cloudInit"] = {"rawCloudConfig": {"name": bootstrap_secret(model), "key": BOOTSTRAP_KEY}}
    if boot.sysprep is not None:
        wire["sysprep"] = {"rawSysprep": {"name": bootstrap_secret(model), "key": SYSPREP_KEY}}
    if boot.vapp_properties is not None:
        wire["vAppConfig"] = {"rawProperties": vapp_secret(model)}
    return wire


def claim_name(model: Model, volume: Volume) -> str:
    """The claim a volume uses: its own ``claim_name``, or the owned claim ``<vm>-<volume>``."""
    return volume.claim_name or f"{model.name}-{volume.name}"


def volumes_wire(model: Model) -> list[dict[str, Any]]:
    return [{"name": v.name, "persistentVolumeClaim": {"claimName": claim_name(model, v)}} for v in model.volume]


def to_api(model: Model, create_token: str | None = None) -> dict[str, Any]:
    """The VirtualMachine to create (only what the configuration says; the webhook fills in the rest), carrying
    ``create_token`` in an annotation (``ownership``)."""
    spec: dict[str, Any] = {
        "className": model.vm_class,
        "imageName": model.image,
        "storageClass": model.storage_class,
        "powerState": model.power_state or "PoweredOn",
    }
    if model.min_hardware_version is not None:
        spec["minHardwareVersion"] = int(model.min_hardware_version)
    if model.volume:
        spec["volumes"] = volumes_wire(model)
    if model.network_interface:
        spec["network"] = {
            "interfaces": [
                {"name": i.name, **({"network": {"name": i.network}} if i.network else {})}
                for i in model.network_interface
            ]
        }
    if model.bootstrap is not None:
        spec["bootstrap"] = _bootstrap_wire(model)
    metadata: dict[str, Any] = {"name": model.name, "namespace": model.namespace}
    annotations = {**(model.annotations or {}), **({CREATE_TOKEN_ANNOTATION: create_token} if create_token else {})}
    if annotations:
        metadata["annotations"] = annotations
    if model.labels:
        metadata["labels"] = dict(model.labels)
    return {"apiVersion": shared.API_VERSION, "kind": "VirtualMachine", "metadata": metadata, "spec": spec}


def claim_object(model: Model, volume: Volume, owner: dict[str, Any]) -> dict[str, Any]:
    """The PersistentVolumeClaim behind an owned volume, owned by the VM ``owner``."""
    return {
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "metadata": {
            "name": claim_name(model, volume),
            "namespace": model.namespace,
            "ownerReferences": [shared.owner_reference(owner)],
        },
        "spec": {
            "accessModes": ["ReadWriteOnce"],
            "storageClassName": volume.storage_class or model.storage_class,
            "resources": {"requests": {"storage": volume.size}},
        },
    }
