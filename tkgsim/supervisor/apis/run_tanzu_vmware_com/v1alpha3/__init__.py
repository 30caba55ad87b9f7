"""``run.tanzu.vmware.com/v1alpha3`` TanzuKubernetesRelease and OSImage (cluster-scoped, seeded, read-mostly)."""

from __future__ import annotations

from ....columns import condition_status, path
from ....resources import Column, ResourceType

__all__ = ["OSIMAGE", "TANZU_KUBERNETES_RELEASE"]

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
