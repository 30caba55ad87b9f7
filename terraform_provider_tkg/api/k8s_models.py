"""Wire models of the Supervisor's Kubernetes objects this provider reads and writes (exact wire names).

Why every model allows extra fields: a Cluster is read, modified and written back (merge patch replaces whole lists such
as ``spec.topology.variables``), so fields this provider does not model (``TKR_DATA``, server-defaulted variables,
``strategy``, ``controlPlaneRef`` …) must survive the round trip untouched. Unknown fields are kept, never interpreted.
Request bodies are dumped with ``exclude_none`` so we never send a field the user did not set.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from .k8s_keys import CAPI_GROUP, CAPI_VERSION

__all__ = [
    "Cluster",
    "ClusterNetwork",
    "ClusterSpec",
    "ClusterStatus",
    "ClusterVariable",
    "Condition",
    "ControlPlane",
    "ControlPlaneTopology",
    "Endpoint",
    "MachineDeployment",
    "MachineDeploymentTopology",
    "NetworkRanges",
    "ObjectMeta",
    "Release",
    "Secret",
    "Topology",
    "TopologyMetadata",
    "VariableOverrides",
    "WorkersTopology",
]


class _Wire(BaseModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True)

    def wire(self) -> dict[str, Any]:
        """The object as JSON-ready wire data, without unset (None) fields."""
        return self.model_dump(by_alias=True, exclude_none=True, mode="json")


class ObjectMeta(_Wire):
    name: str = ""
    namespace: str | None = None
    labels: dict[str, str] | None = None
    annotations: dict[str, str] | None = None
    uid: str | None = None
    resourceVersion: str | None = None
    generation: int | None = None
    deletionTimestamp: str | None = None
    finalizers: list[str] | None = None


class Condition(_Wire):
    """A CAPI v1beta1 condition (``severity`` only when status is False)."""

    type: str
    status: str = "Unknown"
    severity: str | None = None
    reason: str | None = None
    message: str | None = None
    lastTransitionTime: str | None = None


class ClusterVariable(_Wire):
    """``{name, value}``; ``value`` is arbitrary JSON (string, object, list)."""

    name: str
    value: Any = None


class VariableOverrides(_Wire):
    overrides: list[ClusterVariable] | None = None


class TopologyMetadata(_Wire):
    labels: dict[str, str] | None = None
    annotations: dict[str, str] | None = None


class ControlPlaneTopology(_Wire):
    replicas: int | None = None
    metadata: TopologyMetadata | None = None
    nodeDrainTimeout: str | None = None
    variables: VariableOverrides | None = None


class MachineDeploymentTopology(_Wire):
    class_: str = Field(default="node-pool", alias="class")
    name: str
    replicas: int | None = None
    failureDomain: str | None = None
    metadata: TopologyMetadata | None = None
    variables: VariableOverrides | None = None


class WorkersTopology(_Wire):
    machineDeployments: list[MachineDeploymentTopology] | None = None


class Topology(_Wire):
    class_: str = Field(default="", alias="class")
    # Where the ClusterClass lives when not in the Cluster's namespace (VKS 3.x: ``vmware-system-vks-public``).
    classNamespace: str | None = None
    version: str = ""
    controlPlane: ControlPlaneTopology | None = None
    workers: WorkersTopology | None = None
    variables: list[ClusterVariable] | None = None


class NetworkRanges(_Wire):
    cidrBlocks: list[str] | None = None


class ClusterNetwork(_Wire):
    pods: NetworkRanges | None = None
    services: NetworkRanges | None = None
    serviceDomain: str | None = None


class Endpoint(_Wire):
    host: str = ""
    port: int = 0


class ClusterSpec(_Wire):
    clusterNetwork: ClusterNetwork | None = None
    controlPlaneEndpoint: Endpoint | None = None
    topology: Topology | None = None
    paused: bool | None = None


class ClusterStatus(_Wire):
    phase: str | None = None
    infrastructureReady: bool | None = None
    controlPlaneReady: bool | None = None
    observedGeneration: int | None = None
    conditions: list[Condition] | None = None
    failureReason: str | None = None
    failureMessage: str | None = None

    def condition(self, kind: str) -> Condition | None:
        """The condition of type ``kind``, or None."""
        return next((c for c in self.conditions or [] if c.type == kind), None)


class Cluster(_Wire):
    """``cluster.x-k8s.io/v1beta1`` Cluster."""

    apiVersion: str = f"{CAPI_GROUP}/{CAPI_VERSION}"
    kind: str = "Cluster"
    metadata: ObjectMeta = Field(default_factory=ObjectMeta)
    spec: ClusterSpec = Field(default_factory=ClusterSpec)
    status: ClusterStatus | None = None

    def variable(self, name: str) -> Any:
        """The value of the cluster-level topology variable ``name``, or None."""
        topology = self.spec.topology
        found = next((v for v in (topology.variables if topology else None) or [] if v.name == name), None)
        return found.value if found else None


class MachineDeploymentStatus(_Wire):
    replicas: int | None = None
    readyReplicas: int | None = None
    updatedReplicas: int | None = None
    availableReplicas: int | None = None
    phase: str | None = None


class MachineSpec(_Wire):
    version: str | None = None


class MachineTemplate(_Wire):
    spec: MachineSpec | None = None


class MachineDeploymentSpec(_Wire):
    clusterName: str | None = None
    replicas: int | None = None
    template: MachineTemplate | None = None


class MachineDeployment(_Wire):
    """``cluster.x-k8s.io/v1beta1`` MachineDeployment (read only: the topology controller owns it)."""

    metadata: ObjectMeta = Field(default_factory=ObjectMeta)
    spec: MachineDeploymentSpec = Field(default_factory=MachineDeploymentSpec)
    status: MachineDeploymentStatus | None = None


class ControlPlaneSpec(_Wire):
    replicas: int | None = None
    version: str | None = None


class ControlPlaneStatus(_Wire):
    replicas: int | None = None
    readyReplicas: int | None = None
    updatedReplicas: int | None = None
    version: str | None = None  # the lowest version a control-plane machine runs


class ControlPlane(_Wire):
    """``controlplane.cluster.x-k8s.io/v1beta1`` KubeadmControlPlane (read only: the topology controller owns it)."""

    metadata: ObjectMeta = Field(default_factory=ObjectMeta)
    spec: ControlPlaneSpec = Field(default_factory=ControlPlaneSpec)
    status: ControlPlaneStatus | None = None


class Secret(_Wire):
    """``v1`` Secret; ``data`` values are base64."""

    apiVersion: str = "v1"
    kind: str = "Secret"
    metadata: ObjectMeta = Field(default_factory=ObjectMeta)
    type: str | None = None
    data: dict[str, str] | None = None


class ReleaseKubernetes(_Wire):
    version: str = ""


class ReleaseSpec(_Wire):
    version: str = ""
    kubernetes: ReleaseKubernetes = Field(default_factory=ReleaseKubernetes)
    osImages: list[dict[str, Any]] | None = None
    # ``[{name: <package>.<version>}]``: the CNI, CSI … packages a cluster on this release can run.
    bootstrapPackages: list[dict[str, Any]] | None = None


class ReleaseStatus(_Wire):
    conditions: list[Condition] | None = None


class Release(_Wire):
    """A TanzuKubernetesRelease or KubernetesRelease (same shape)."""

    metadata: ObjectMeta = Field(default_factory=ObjectMeta)
    spec: ReleaseSpec = Field(default_factory=ReleaseSpec)
    status: ReleaseStatus | None = None

    def _condition_true(self, kind: str) -> bool:
        found = next((c for c in (self.status.conditions if self.status else None) or [] if c.type == kind), None)
        return found is not None and found.status == "True"

    @property
    def excluded_by(self) -> list[str]:
        """The excluding labels (``incompatible``, ``deactivated``, ``invalid``) this release carries."""
        labels = self.metadata.labels or {}
        return [name for name in ("incompatible", "deactivated", "invalid") if name in labels]

    @property
    def ready(self) -> bool:
        return self._condition_true("Ready")

    @property
    def compatible(self) -> bool:
        return self._condition_true("Compatible") and "incompatible" not in (self.metadata.labels or {})
