"""``kubernetes.vmware.com/v1alpha1`` KubernetesRelease: the VKS successor of TKR, same spec/status shape."""

from __future__ import annotations

from ....columns import condition_status, path
from ....resources import Column, ResourceType

__all__ = ["KUBERNETES_RELEASE"]

KUBERNETES_RELEASE = ResourceType(
    group="kubernetes.vmware.com",
    version="v1alpha1",
    kind="KubernetesRelease",
    plural="kubernetesreleases",
    namespaced=False,
    short_names=("kr",),
    columns=(
        Column("Version", "string", lambda o: path(o, "spec.version")),
        Column("Ready", "string", lambda o: condition_status(o, "Ready")),
        Column("Compatible", "string", lambda o: condition_status(o, "Compatible")),
    ),
)
