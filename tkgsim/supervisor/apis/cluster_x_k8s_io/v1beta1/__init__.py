"""``cluster.x-k8s.io/v1beta1``: Cluster (see ``clusters.py``), ClusterClass and MachineDeployment."""

from __future__ import annotations

from ....columns import condition_status, path
from ....resources import Column, ResourceType
from .clusters import CLUSTER

__all__ = ["CLUSTER", "CLUSTER_CLASS", "MACHINE_DEPLOYMENT"]

CLUSTER_CLASS = ResourceType(
    group="cluster.x-k8s.io",
    version="v1beta1",
    kind="ClusterClass",
    plural="clusterclasses",
    namespaced=True,
    short_names=("cc",),
    categories=("cluster-api",),
)

MACHINE_DEPLOYMENT = ResourceType(
    group="cluster.x-k8s.io",
    version="v1beta1",
    kind="MachineDeployment",
    plural="machinedeployments",
    namespaced=True,
    short_names=("md",),
    categories=("cluster-api",),
    columns=(
        Column("Cluster", "string", lambda o: path(o, "spec.clusterName")),
        Column("Replicas", "integer", lambda o: path(o, "status.replicas")),
        Column("Ready", "integer", lambda o: path(o, "status.readyReplicas")),
        Column("Updated", "integer", lambda o: path(o, "status.updatedReplicas")),
        Column("Unavailable", "integer", lambda o: path(o, "status.unavailableReplicas")),
        Column("Phase", "string", lambda o: path(o, "status.phase")),
        Column("Version", "string", lambda o: path(o, "spec.template.spec.version")),
        Column("Available", "string", lambda o: condition_status(o, "Available"), priority=1),
    ),
)
