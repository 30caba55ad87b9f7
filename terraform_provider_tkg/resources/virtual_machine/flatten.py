"""The VirtualMachine (with its claims and bootstrap data) → ``tkg_virtual_machine`` state: only what the user
declared is read back (labels and annotations by key; the platform's default interface is not drift)."""

from __future__ import annotations

from typing import Any

from ...framework.values import known
from ...ownership import CREATE_TOKEN_ANNOTATION
from .. import _vmservice as shared
from .model import Bootstrap, Model, NetworkInterface, Volume, quantity_bytes

__all__ = ["from_api"]


def _read_volumes(
    obj: dict[str, Any], prior: Model, claims: dict[str, dict[str, Any]], importing: bool
) -> list[Volume]:
    uid = obj["metadata"].get("uid")
    before = {v.name: v for v in prior.volume}
    found = []
    for entry in (obj.get("spec") or {}).get("volumes") or []:
        name = str(entry.get("name", ""))
        claim = str((entry.get("persistentVolumeClaim") or {}).get("claimName") or "")
        live = claims.get(claim)
        owned = live is not None and any(r.get("uid") == uid for r in live["metadata"].get("ownerReferences") or [])
        was = before.get(name)
        if owned and not (was is not None and was.claim_name is not None):
            size = str(((live or {}).get("spec") or {}).get("resources", {}).get("requests", {}).get("storage", ""))
            if was is not None and known(was.size) and quantity_bytes(str(was.size)) == quantity_bytes(size):
                size = str(was.size)  # the user's spelling of the same size (1024Mi vs 1Gi)
            storage = str(((live or {}).get("spec") or {}).get("storageClassName") or "")
            # Read back when the user declared it, or when it differs from the VM's (the default the claim got).
            declared = was is not None and was.storage_class is not None
            vm_storage = str((obj.get("spec") or {}).get("storageClass") or "")
            found.append(
                Volume(name=name, size=size, storage_class=storage if declared or storage != vm_storage else None)
            )
        else:
            found.append(Volume(name=name, claim_name=claim))
    return found


def from_api(
    obj: dict[str, Any],
    prior: Model,
    *,
    claims: dict[str, dict[str, Any]] | None = None,
    bootstrap: Bootstrap | None = None,
) -> Model:
    """The Terraform view of a VirtualMachine (and its claims and bootstrap data); ``prior`` decides which labels and
    annotations are managed (all non-platform ones on import)."""
    meta, spec, status = obj["metadata"], obj.get("spec") or {}, obj.get("status") or {}
    importing = not prior.vm_class
    network = status.get("network") or {}
    addresses = [
        str(a.get("address", "")).split("/")[0]
        for i in network.get("interfaces") or []
        for a in ((i.get("ip") or {}).get("addresses") or [])
        if a.get("address")
    ]
    interfaces = [
        NetworkInterface(name=str(i.get("name", "")), network=(i.get("network") or {}).get("name"))
        for i in (spec.get("network") or {}).get("interfaces") or []
    ]
    annotations = {k: v for k, v in (meta.get("annotations") or {}).items() if k != CREATE_TOKEN_ANNOTATION}
    image_ref = spec.get("image") or {}
    # The bootstrap data as read from its Secrets (a missing Secret reads as an empty block: drift, replaced).
    if not spec.get("bootstrap"):
        bootstrap = None
    elif bootstrap is None:
        bootstrap = Bootstrap()
    return Model(
        id=f"{meta.get('namespace')}/{meta['name']}",
        name=meta["name"],
        namespace=str(meta.get("namespace", "")),
        vm_class=str(spec.get("className", "")),
        image=str(spec.get("imageName") or image_ref.get("name") or ""),
        storage_class=str(spec.get("storageClass", "")),
        power_state=str(spec.get("powerState") or "PoweredOn"),
        min_hardware_version=spec.get("minHardwareVersion"),
        labels=shared.read_map(meta.get("labels"), prior.labels, importing),
        annotations=shared.read_map(annotations, prior.annotations, importing),
        wait_for_ip=prior.wait_for_ip if prior.wait_for_ip is not None else True,
        image_kind=image_ref.get("kind"),
        image_resource_name=image_ref.get("name"),
        primary_ip=network.get("primaryIP4") or None,
        ip_addresses=addresses,
        bios_uuid=status.get("biosUUID") or spec.get("biosUUID"),
        instance_uuid=status.get("instanceUUID") or spec.get("instanceUUID"),
        observed_power_state=status.get("powerState"),
        hardware_version=status.get("hardwareVersion"),
        conditions=shared.conditions(obj),
        bootstrap=bootstrap,
        network_interface=interfaces if (prior.network_interface or (importing and len(interfaces) > 1)) else [],
        volume=_read_volumes(obj, prior, claims or {}, importing),
        timeouts=prior.timeouts,
    )
