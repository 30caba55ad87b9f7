"""``run.tanzu.vmware.com/v1alpha3`` TanzuKubernetesRelease and OSImage (cluster-scoped, seeded, read-mostly), and
ClusterBootstrap (namespaced; named like its Cluster; ``spec.cni.refName`` chooses the cluster's CNI)."""

from __future__ import annotations

from typing import Any

from ....columns import condition_status, path
from ....resources import Column, ResourceType

__all__ = ["CLUSTER_BOOTSTRAP", "OSIMAGE", "TANZU_KUBERNETES_RELEASE"]

TANZU_KUBERNETES_RELEASE = ResourceType(
    group="run.tanzu.vmware.com",
    version="v1alpha3",
    kind="TanzuKubernetesRelease",
    plural="tanzukubernetesreleases",
    namespaced=False,
    short_names=("tkr",),
    columns=(
        Column("Version", "string", lambda o: path(o, "spec.version")),
        Column("Ready", "string", lambda o: condition_status(o, "Ready")),
        Column("Compatible", "string", lambda o: condition_status(o, "Compatible")),
    ),
)

OSIMAGE = ResourceType(
    group="run.tanzu.vmware.com",
    version="v1alpha3",
    kind="OSImage",
    plural="osimages",
    namespaced=False,
    short_names=("osimg",),
    columns=(
        Column("K8s Version", "string", lambda o: path(o, "spec.kubernetesVersion")),
        Column("OS Name", "string", lambda o: path(o, "spec.os.name")),
        Column("OS Version", "string", lambda o: path(o, "spec.os.version")),
        Column("Arch", "string", lambda o: path(o, "spec.os.arch")),
        Column("Type", "string", lambda o: path(o, "spec.image.type")),
    ),
)

_PACKAGE: dict[str, Any] = {
    "type": "object",
    "properties": {
        "refName": {"type": "string"},
        "valuesFrom": {
            "type": "object",
            "properties": {
                "inline": {"type": "string"},
                "secretRef": {"type": "string"},
                "providerRef": {
                    "type": "object",
                    "properties": {
                        "apiGroup": {"type": "string"},
                        "kind": {"type": "string"},
                        "name": {"type": "string"},
                    },
                },
            },
        },
    },
}

CLUSTER_BOOTSTRAP = ResourceType(
    group="run.tanzu.vmware.com",
    version="v1alpha3",
    kind="ClusterBootstrap",
    plural="clusterbootstraps",
    namespaced=True,
    short_names=("cb",),
    schema={
        "type": "object",
        "properties": {
            "spec": {
                "type": "object",
                "properties": {
                    "paused": {"type": "boolean"},
                    "cni": _PACKAGE,
                    "csi": _PACKAGE,
                    "cpi": _PACKAGE,
                    "kapp": _PACKAGE,
                    "additionalPackages": {"type": "array", "items": _PACKAGE},
                },
            },
            "status": {"type": "object", "properties": {"resolvedTKR": {"type": "string"}}},
        },
    },
    columns=(
        Column("CNI", "string", lambda o: path(o, "spec.cni.refName")),
        Column("Resolved TKR", "string", lambda o: path(o, "status.resolvedTKR")),
    ),
)
