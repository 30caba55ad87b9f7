"""Wire models of the Supervisor's Kubernetes objects this provider reads and writes (exact wire names).

Why every model keeps unknown fields: a Cluster is read, modified and written back (merge patch replaces whole lists
such as ``spec.topology.variables``), so fields this provider does not model (``TKR_DATA``, server-defaulted variables,
``strategy``, ``controlPlaneRef`` …) must survive the round trip untouched. Unknown fields are kept, never interpreted.
Request bodies leave out unset (None) fields, so we never send a field the user did not set.

Why not pydantic (which the vCenter models in ``models.py`` use): these few shapes are all a cluster plan or apply
reads, and importing pydantic and building its validators cost about 50 ms in each provider process that calls the
Supervisor (two per ``terraform apply``), a tenth of a one-cluster apply. ``_Wire`` checks the same declared types.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Callable
from typing import Any, ClassVar, dataclass_transform

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
    "WireError",
    "WorkersTopology",
]


class WireError(ValueError):
    """Data that does not have the declared shape; the message names the field (``spec.topology.version``)."""


class _FieldSpec:
    """What ``Field(...)`` declares: a wire name other than the attribute's, or a default made per object."""

    def __init__(self, default: Any, default_factory: Callable[[], Any] | None, alias: str | None) -> None:
        self.default, self.default_factory, self.alias = default, default_factory, alias


_REQUIRED: Any = object()


def Field(
    default: Any = _REQUIRED, *, default_factory: Callable[[], Any] | None = None, alias: str | None = None
) -> Any:
    return _FieldSpec(default, default_factory, alias)


_Convert = Callable[[Any, str], Any]


def _describe(value: Any) -> str:
    return f"{type(value).__name__} {value!r}"[:80]


def _converter(kind: Any) -> _Convert:
    """A function that checks (and for nested models, builds) a value of the declared type ``kind``."""
    if kind is Any:
        return lambda value, where: value
    origin, args = typing.get_origin(kind), typing.get_args(kind)
    if origin in (typing.Union, types.UnionType):
        inner = [a for a in args if a is not type(None)]
        if len(inner) != 1:
            raise TypeError(f"unsupported union {kind}")
        convert = _converter(inner[0])
        return lambda value, where: None if value is None else convert(value, where)
    if origin is list:
        item = _converter(args[0])

        def to_list(value: Any, where: str) -> Any:
            if not isinstance(value, list):
                raise WireError(f"{where}: expected a list, got {_describe(value)}")
            return [item(v, f"{where}[{i}]") for i, v in enumerate(value)]

        return to_list
    if origin is dict:
        entry = _converter(args[1])

        def to_dict(value: Any, where: str) -> Any:
            if not isinstance(value, dict):
                raise WireError(f"{where}: expected an object, got {_describe(value)}")
            return {str(k): entry(v, f"{where}.{k}") for k, v in value.items()}

        return to_dict
    if isinstance(kind, type) and issubclass(kind, _Wire):

        def to_model(value: Any, where: str) -> Any:
            if isinstance(value, kind):
                return value
            if not isinstance(value, dict):
                raise WireError(f"{where}: expected an object, got {_describe(value)}")
            return kind._build(value, f"{where}.")

        return to_model
    if kind in (str, int, bool):

        def scalar(value: Any, where: str) -> Any:
            # JSON has no separate integer type for Python's bool: true is not a number here.
            if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
                raise WireError(f"{where}: expected {kind.__name__}, got {_describe(value)}")
            return value

        return scalar
    raise TypeError(f"unsupported field type {kind}")


class _Slot:
    __slots__ = ("alias", "convert", "default", "factory", "name")

    def __init__(self, name: str, alias: str, convert: _Convert, default: Any, factory: Any) -> None:
        self.name, self.alias, self.convert, self.default, self.factory = name, alias, convert, default, factory


@dataclass_transform(kw_only_default=True, field_specifiers=(Field,))
class _Wire:
    """A Kubernetes object or a part of one: declared fields checked on the way in, unknown fields kept as they came.

    Built from keyword arguments (attribute or wire names) or from decoded JSON with ``model_validate``; ``wire()``
    gives it back as JSON-ready data, declared fields first, unset (None) ones left out.
    """

    _slots: ClassVar[tuple[_Slot, ...] | None] = None
    _extra: dict[str, Any]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls._slots = None  # worked out on first use: the annotations name classes defined further down

    @classmethod
    def _fields(cls) -> tuple[_Slot, ...]:
        slots = cls.__dict__.get("_slots")
        if slots is None:
            slots = []
            for name, kind in typing.get_type_hints(cls).items():  # base classes' fields first
                if name.startswith("_") or typing.get_origin(kind) is ClassVar:
                    continue
                declared = getattr(cls, name, _REQUIRED)
                spec = declared if isinstance(declared, _FieldSpec) else _FieldSpec(declared, None, None)
                slots.append(_Slot(name, spec.alias or name, _converter(kind), spec.default, spec.default_factory))
            slots = cls._slots = tuple(slots)
        return slots

    def __init__(self, **values: Any) -> None:
        self._fill(values, "")

    @classmethod
    def _build(cls, values: dict[str, Any], prefix: str) -> Any:
        obj = cls.__new__(cls)
        obj._fill(dict(values), prefix)
        return obj

    def _fill(self, values: dict[str, Any], prefix: str) -> None:
        for slot in self._fields():
            if slot.name in values:
                value = slot.convert(values.pop(slot.name), prefix + slot.alias)
                values.pop(slot.alias, None)
            elif slot.alias in values:
                value = slot.convert(values.pop(slot.alias), prefix + slot.alias)
            elif slot.factory is not None:
                value = slot.factory()
            elif slot.default is _REQUIRED:
                raise WireError(f"{prefix}{slot.alias}: required field missing")
            else:
                value = slot.default
            object.__setattr__(self, slot.name, value)
        self._extra = values

    @classmethod
    def model_validate(cls, data: Any) -> Any:
        """The model of decoded JSON ``data``; ``WireError`` when it does not have the declared shape."""
        if not isinstance(data, dict):
            raise WireError(f"expected an object, got {_describe(data)}")
        return cls._build(data, "")

    def wire(self) -> dict[str, Any]:
        """The object as JSON-ready wire data, without unset (None) fields."""
        out = {slot.alias: _dump(getattr(self, slot.name)) for slot in self._fields()}
        out.update((key, _dump(value)) for key, value in self._extra.items())
        return {key: value for key, value in out.items() if value is not None}

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and self.wire() == other.wire()  # type: ignore[attr-defined]

    __hash__ = None  # type: ignore[assignment]  # mutable, like the dicts it stands for

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.wire()!r})"


def _dump(value: Any) -> Any:
    if isinstance(value, _Wire):
        return value.wire()
    if isinstance(value, list):
        return [_dump(v) for v in value]
    if isinstance(value, dict):
        return {k: _dump(v) for k, v in value.items()}
    return value


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
