"""``storage.k8s.io/v1`` StorageClass (cluster-scoped; one per vSphere storage policy plus a ``-latebinding`` twin)."""

from __future__ import annotations

from ....resources import Column, ResourceType

__all__ = ["STORAGE_CLASS"]

STORAGE_CLASS = ResourceType(
    group="storage.k8s.io",
    version="v1",
    kind="StorageClass",
    plural="storageclasses",
    namespaced=False,
    short_names=("sc",),
    builtin=True,
    status_subresource=False,
    columns=(
        Column("Provisioner", "string", lambda o: o.get("provisioner")),
        Column("ReclaimPolicy", "string", lambda o: o.get("reclaimPolicy", "Delete")),
        Column("VolumeBindingMode", "string", lambda o: o.get("volumeBindingMode", "Immediate")),
        Column("AllowVolumeExpansion", "boolean", lambda o: bool(o.get("allowVolumeExpansion"))),
    ),
)
