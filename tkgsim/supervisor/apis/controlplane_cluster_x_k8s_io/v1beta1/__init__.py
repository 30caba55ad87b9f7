"""``controlplane.cluster.x-k8s.io/v1beta1`` KubeadmControlPlane: written by the Cluster controller only."""

from __future__ import annotations

from ....columns import condition_status, path
from ....resources import Column, ResourceType

__all__ = ["KUBEADM_CONTROL_PLANE"]

KUBEADM_CONTROL_PLANE = ResourceType(
    group="controlplane.cluster.x-k8s.io",
    version="v1beta1",
    kind="KubeadmControlPlane",
    plural="kubeadmcontrolplanes",
    namespaced=True,
    short_names=("kcp",),
    categories=("cluster-api",),
    columns=(
        Column("Cluster", "string", lambda o: (o["metadata"].get("labels") or {}).get("cluster.x-k8s.io/cluster-name")),
        Column("Initialized", "boolean", lambda o: path(o, "status.initialized")),
        Column("API Server Available", "boolean", lambda o: path(o, "status.ready")),
        Column("Replicas", "integer", lambda o: path(o, "status.replicas")),
        Column("Ready", "integer", lambda o: path(o, "status.readyReplicas")),
        Column("Updated", "integer", lambda o: path(o, "status.updatedReplicas")),
        Column("Version", "string", lambda o: path(o, "spec.version")),
        Column("Available", "string", lambda o: condition_status(o, "Available"), priority=1),
    ),
)
