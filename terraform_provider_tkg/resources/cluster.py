"""``tkg_cluster``: a TKG workload cluster, i.e. a Cluster API ``cluster.x-k8s.io/v1beta1`` Cluster on a ClusterClass
topology, managed through the Supervisor's Kubernetes API (``/apis/cluster.x-k8s.io/v1beta1/namespaces/{ns}/clusters``).

The mapping (``to_api``/``from_api``) is where "zero spurious diffs" is earned: the server defaults variables, the
release resolver rewrites ``spec.topology.version`` and adds a label and a ``TKR_DATA`` variable, and lists come back
in any order. ``from_api`` reads back only what the user declared (variables and labels by name, pools by name,
versions by release), keeping the user's spelling whenever the server's value means the same thing; anything the user
declared that changed on the server shows up as drift.
"""

from __future__ import annotations

import base64
import copy
import dataclasses
import ipaddress
import json
import logging
import re
from typing import TYPE_CHECKING, Any

from .. import _naming, clients
from ..framework import durations, logs, validators
from ..framework import types as t
from ..framework.diagnostics import Key, Path
from ..framework.resource import Context, PlanContext, Resource, Timeouts
from ..framework.schema import Attribute, Block, ListBlock, Schema, SingleBlock
from ..framework.values import Unknown
from . import _errors
from ._tfmodel import from_tf, many, single, to_tf

if TYPE_CHECKING:
    from ..api import k8s_models as k8s
    from ..api.supervisor import SupervisorClient

__all__ = [
    "TYPE_NAME",
    "WIRE_TO_TF_PATH",
    "ClusterResource",
    "Model",
    "from_api",
    "to_api",
    "update_patch",
    "validate",
]

log = logging.getLogger(__name__)

TYPE_NAME = f"{_naming.PROVIDER_NAME}_cluster"

DEFAULT_CLUSTER_CLASS = "tanzukubernetescluster"
NODE_POOL_CLASS = "node-pool"

# ClusterClass variables (reference §3.2, the schema of ``tanzukubernetescluster`` / ``builtin-generic-v3.1.0``).
VAR_VM_CLASS = "vmClass"
VAR_STORAGE_CLASS = "storageClass"
VAR_CP_VOLUMES = "controlPlaneVolumes"
VAR_POOL_VOLUMES = "nodePoolVolumes"
VAR_POOL_LABELS = "nodePoolLabels"
VAR_POOL_TAINTS = "nodePoolTaints"
VAR_STORAGE_CLASSES = "storageClasses"
VAR_DEFAULT_STORAGE_CLASS = "defaultStorageClass"
VAR_PROXY = "proxy"
VAR_TRUST = "trust"
VAR_TKR_DATA = "TKR_DATA"
# Cluster-level variables this resource writes from typed attributes (the ``variables`` map may not name them).
MANAGED_VARIABLES = (
    VAR_VM_CLASS,
    VAR_STORAGE_CLASS,
    VAR_CP_VOLUMES,
    VAR_STORAGE_CLASSES,
    VAR_DEFAULT_STORAGE_CLASS,
    VAR_PROXY,
    VAR_TRUST,
)
CP_OVERRIDES = (VAR_VM_CLASS, VAR_STORAGE_CLASS)
POOL_OVERRIDES = (VAR_VM_CLASS, VAR_STORAGE_CLASS, VAR_POOL_LABELS, VAR_POOL_TAINTS, VAR_POOL_VOLUMES)
# Variables the server adds or defaults by itself: never imported into ``variables``.
SYSTEM_VARIABLES = (VAR_TKR_DATA,)
DEFAULTED_VARIABLES = {"controlPlaneCertificateRotation": {"activate": True, "daysBefore": 90}}

TKR_LABEL = "run.tanzu.vmware.com/tkr"
OWNER_ANNOTATION = "tkg-oss.io/managed-by"
OWNER_VALUE = "terraform-provider-tkg"
# The CNI choice. The real Supervisor selects a CNI through a ClusterBootstrap object (``spec.cni.refName``) that
# tkg-sim does not serve; the provider records the choice in this annotation of its own and never changes it in place.
CNI_ANNOTATION = "tkg-oss.io/cni"
AUTOSCALER_MIN = "cluster.x-k8s.io/cluster-api-autoscaler-node-group-min-size"
AUTOSCALER_MAX = "cluster.x-k8s.io/cluster-api-autoscaler-node-group-max-size"
TRUST_SECRET_SUFFIX = "-user-trusted-ca-secret"
# Label/annotation keys the platform sets: never imported into ``labels``/``annotations``.
_SYSTEM_KEY = re.compile(
    r"^(run\.tanzu\.vmware\.com/|cluster\.x-k8s\.io/|topology\.cluster\.x-k8s\.io/|kubernetes\.vmware\.com/|"
    r"kubectl\.kubernetes\.io/|tkg-oss\.io/|tkg\.tanzu\.vmware\.com/)"
)


# ---------------------------------------------------------------------------------------------------------------
# Model


@dataclasses.dataclass
class Volume:
    name: str = ""
    mount_path: str = ""
    capacity_gib: int = 0
    storage_class: str | None = None


@dataclasses.dataclass
class Taint:
    key: str = ""
    value: str | None = None
    effect: str = ""


@dataclasses.dataclass
class Autoscaler:
    min_size: int = 0
    max_size: int = 0


@dataclasses.dataclass
class ControlPlane:
    replicas: int | None = 1
    vm_class: str | None = None
    storage_class: str | None = None
    node_drain_timeout: str | None = None
    volume: list[Volume] = many(Volume)  # noqa: RUF009 (a dataclasses.field)


@dataclasses.dataclass
class NodePool:
    name: str = ""
    replicas: int | None = None
    vm_class: str | None = None
    storage_class: str | None = None
    failure_domain: str | None = None
    labels: dict[str, str] | None = None
    autoscaler: Autoscaler | None = single(Autoscaler)  # noqa: RUF009 (a dataclasses.field)
    taint: list[Taint] = many(Taint)  # noqa: RUF009 (a dataclasses.field)
    volume: list[Volume] = many(Volume)  # noqa: RUF009 (a dataclasses.field)


@dataclasses.dataclass
class Proxy:
    http_proxy: str | None = None
    https_proxy: str | None = None
    no_proxy: list[str] | None = None


@dataclasses.dataclass
class TrustedCa:
    name: str = ""
    pem: str = ""


@dataclasses.dataclass
class Network:
    pods_cidr_blocks: list[str] | None = None
    services_cidr_blocks: list[str] | None = None
    service_domain: str | None = None
    cni: str | None = None
    proxy: Proxy | None = single(Proxy)  # noqa: RUF009 (a dataclasses.field)
    trusted_ca: list[TrustedCa] = many(TrustedCa)  # noqa: RUF009 (a dataclasses.field)


@dataclasses.dataclass
class Storage:
    classes: list[str] | None = None
    default_class: str | None = None


@dataclasses.dataclass
class Model:
    id: str | None = None
    name: str = ""
    namespace: str = ""
    cluster_class: str | None = DEFAULT_CLUSTER_CLASS
    kubernetes_version: str | None = None
    vm_class: str | None = None
    storage_class: str | None = None
    labels: dict[str, str] | None = None
    annotations: dict[str, str] | None = None
    variables: dict[str, str] | None = None
    wait_for_ready: bool | None = True
    phase: str | None = None
    ready: bool | None = None
    api_endpoint: str | None = None
    conditions: list[dict[str, Any]] | None = None
    kubeconfig: str | None = None
    control_plane: ControlPlane | None = single(ControlPlane)  # noqa: RUF009 (a dataclasses.field)
    node_pool: list[NodePool] = many(NodePool)  # noqa: RUF009 (a dataclasses.field)
    network: Network | None = single(Network)  # noqa: RUF009 (a dataclasses.field)
    storage: Storage | None = single(Storage)  # noqa: RUF009 (a dataclasses.field)
    timeouts: dict[str, Any] | None = None


# ---------------------------------------------------------------------------------------------------------------
# Schema


def _cidr_list(value: Any) -> str | None:
    for block in value:
        if block is Unknown or block is None:
            continue
        try:
            ipaddress.ip_network(block, strict=False)
        except ValueError:
            return f'{block!r} is not a CIDR block (e.g. "192.168.0.0/16").'
    return None


_LABEL_NAME = re.compile(r"([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)")
_DNS_SUBDOMAIN = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")


def _label_key_problem(key: str) -> str | None:
    prefix, _, name = key.rpartition("/")
    if prefix and (len(prefix) > 253 or not _DNS_SUBDOMAIN.fullmatch(prefix)):
        return f"key {key!r}: the prefix must be a DNS subdomain (e.g. example.com/team)."
    if not name or len(name) > 63 or not _LABEL_NAME.fullmatch(name):
        return (
            f"key {key!r}: the name part must be 1-63 alphanumerics, '-', '_' or '.', starting and ending alphanumeric."
        )
    return None


def _labels_map(value: Any) -> str | None:
    for key, item in value.items():
        problem = _label_key_problem(key)
        if problem:
            return problem
        if (
            item is not Unknown
            and item is not None
            and (len(item) > 63 or not re.fullmatch(r"(" + _LABEL_NAME.pattern + ")?", item))
        ):
            return f"value {item!r} of {key!r}: label values are at most 63 alphanumerics, '-', '_' or '.'."
    return None


def _annotations_map(value: Any) -> str | None:
    for key in value:
        problem = _label_key_problem(key)
        if problem:
            return problem
    return None


def _json_values(value: Any) -> str | None:
    for key, item in value.items():
        if item is Unknown or item is None:
            continue
        try:
            json.loads(item)
        except ValueError as exc:
            return f'variables[{key!r}] is not valid JSON ({exc}); quote strings, e.g. jsonencode("x").'
    return None


def _url(value: Any) -> str | None:
    return None if re.fullmatch(r"https?://[^\s/]+(/\S*)?", value) else f"{value!r} is not an http(s) URL."


def _version(value: Any) -> str | None:
    if re.fullmatch(r"v?\d+\.\d+(\.\d+)?([-+.][0-9A-Za-z.+-]*)?", value):
        return None
    return (
        f'{value!r} is not a Kubernetes release: give a release name such as "v1.31.4---vmware.1-fips-vkr.3" '
        '(see data.tkg_kubernetes_releases) or its version "v1.31.4+vmware.1-fips-vkr.3".'
    )


_NAME = (validators.dns1123_label,)
_VOLUME = Block(
    attributes={
        "name": Attribute(t.String(), required=True, description="Volume name, e.g. `containerd`.", validators=_NAME),
        "mount_path": Attribute(
            t.String(),
            required=True,
            description="Mount path on the node, e.g. `/var/lib/containerd`.",
            validators=(validators.matches(r"/\S*", "it must be an absolute path such as /var/lib/containerd."),),
        ),
        "capacity_gib": Attribute(
            t.Number(), required=True, description="Size in GiB.", validators=(validators.between(1, 65536),)
        ),
        "storage_class": Attribute(t.String(), optional=True, description="Storage class of the volume."),
    },
    description="An extra disk on each node.",
)
_TAINT = Block(
    attributes={
        "key": Attribute(t.String(), required=True, description="Taint key."),
        "value": Attribute(t.String(), optional=True, description="Taint value."),
        "effect": Attribute(
            t.String(),
            required=True,
            description="`NoSchedule`, `PreferNoSchedule` or `NoExecute`.",
            validators=(validators.one_of("NoSchedule", "PreferNoSchedule", "NoExecute"),),
        ),
    },
    description="A taint on every node of the pool.",
)
_AUTOSCALER = Block(
    attributes={
        "min_size": Attribute(
            t.Number(), required=True, description="Fewest nodes.", validators=(validators.between(0, 1000),)
        ),
        "max_size": Attribute(
            t.Number(), required=True, description="Most nodes.", validators=(validators.between(1, 1000),)
        ),
    },
    description="Let the cluster autoscaler size the pool (instead of `replicas`).",
)
_CONTROL_PLANE = Block(
    attributes={
        "replicas": Attribute(
            t.Number(),
            optional=True,
            computed=True,
            default=1,
            description="Control-plane nodes: 1, 3 or 5 (default 1).",
            validators=(validators.one_of(1, 3, 5),),
        ),
        "vm_class": Attribute(
            t.String(), optional=True, description="VM class of control-plane nodes (default: `vm_class`)."
        ),
        "storage_class": Attribute(
            t.String(), optional=True, description="Storage class of control-plane nodes (default: `storage_class`)."
        ),
        "node_drain_timeout": Attribute(
            t.String(),
            optional=True,
            description="How long to drain a node before removing it, e.g. `5m`.",
            validators=(validators.duration,),
        ),
    },
    blocks={"volume": ListBlock(_VOLUME)},
    description="Control-plane settings.",
)
_NODE_POOL = Block(
    attributes={
        "name": Attribute(t.String(), required=True, description="Pool name, unique in the cluster.", validators=_NAME),
        "replicas": Attribute(
            t.Number(),
            optional=True,
            description="Number of nodes (or use `autoscaler`).",
            validators=(validators.between(0, 1000),),
        ),
        "vm_class": Attribute(
            t.String(), optional=True, description="VM class of the pool's nodes (default: `vm_class`)."
        ),
        "storage_class": Attribute(
            t.String(), optional=True, description="Storage class of the pool's nodes (default: `storage_class`)."
        ),
        "failure_domain": Attribute(t.String(), optional=True, description="vSphere Zone of the pool."),
        "labels": Attribute(
            t.Map(t.String()),
            optional=True,
            description="Kubernetes labels on the pool's nodes.",
            validators=(_labels_map,),
        ),
    },
    blocks={"autoscaler": SingleBlock(_AUTOSCALER), "taint": ListBlock(_TAINT), "volume": ListBlock(_VOLUME)},
    description="A pool of worker nodes (a MachineDeployment).",
)
_PROXY = Block(
    attributes={
        "http_proxy": Attribute(t.String(), optional=True, description="HTTP proxy URL.", validators=(_url,)),
        "https_proxy": Attribute(t.String(), optional=True, description="HTTPS proxy URL.", validators=(_url,)),
        "no_proxy": Attribute(t.List(t.String()), optional=True, description="Hosts and CIDRs reached directly."),
    },
    description="Proxy for the nodes.",
)
_TRUSTED_CA = Block(
    attributes={
        "name": Attribute(
            t.String(),
            required=True,
            description="Name of the certificate (a key of Secret `<cluster>-user-trusted-ca-secret`).",
            validators=(validators.matches(r"[-._a-zA-Z0-9]{1,253}", "use letters, digits, '-', '_' or '.'."),),
        ),
        "pem": Attribute(
            t.String(),
            required=True,
            sensitive=True,
            description="The CA certificate, PEM.",
            validators=(
                validators.matches(
                    r"(?s)\s*-----BEGIN CERTIFICATE-----.*-----END CERTIFICATE-----\s*",
                    "it must be a PEM certificate (-----BEGIN CERTIFICATE----- …).",
                ),
            ),
        ),
    },
    description="An additional CA the nodes trust (e.g. a private registry's).",
)
_NETWORK = Block(
    attributes={
        "pods_cidr_blocks": Attribute(
            t.List(t.String()),
            optional=True,
            requires_replace=True,
            description='Pod CIDRs, e.g. `["192.168.0.0/16"]`.',
            validators=(_cidr_list,),
        ),
        "services_cidr_blocks": Attribute(
            t.List(t.String()),
            optional=True,
            requires_replace=True,
            description='Service CIDRs, e.g. `["10.96.0.0/12"]`.',
            validators=(_cidr_list,),
        ),
        "service_domain": Attribute(
            t.String(),
            optional=True,
            requires_replace=True,
            description="Cluster DNS domain (default `cluster.local`).",
        ),
        "cni": Attribute(
            t.String(),
            optional=True,
            requires_replace=True,
            description="`antrea` (default) or `calico`.",
            validators=(validators.one_of("antrea", "calico"),),
        ),
    },
    blocks={"proxy": SingleBlock(_PROXY), "trusted_ca": ListBlock(_TRUSTED_CA)},
    description="Cluster networking. CIDRs, service domain and CNI cannot change in place (replacement).",
)
_STORAGE = Block(
    attributes={
        "classes": Attribute(
            t.List(t.String()), optional=True, description="Storage classes made available inside the cluster."
        ),
        "default_class": Attribute(
            t.String(), optional=True, description="The default storage class inside the cluster."
        ),
    },
    description="pvCSI storage classes inside the workload cluster.",
)
_CONDITION = t.Object({"type": t.String(), "status": t.String(), "reason": t.String(), "message": t.String()})

SCHEMA = Schema(
    Block(
        attributes={
            "id": Attribute(t.String(), computed=True, description="`namespace/name`."),
            "name": Attribute(
                t.String(),
                required=True,
                requires_replace=True,
                description="Cluster name (DNS-1123 label).",
                validators=_NAME,
            ),
            "namespace": Attribute(
                t.String(), required=True, requires_replace=True, description="The vSphere Namespace.", validators=_NAME
            ),
            "cluster_class": Attribute(
                t.String(),
                optional=True,
                computed=True,
                default=DEFAULT_CLUSTER_CLASS,
                description=f"ClusterClass of the topology (default `{DEFAULT_CLUSTER_CLASS}`).",
            ),
            "kubernetes_version": Attribute(
                t.String(),
                required=True,
                description="Kubernetes release name (see `tkg_kubernetes_releases`). Raising it upgrades in place; "
                "lowering it is refused.",
                validators=(_version,),
            ),
            "vm_class": Attribute(t.String(), required=True, description="Default VM class of all nodes."),
            "storage_class": Attribute(t.String(), required=True, description="Default storage class of all nodes."),
            "labels": Attribute(
                t.Map(t.String()),
                optional=True,
                description="Labels on the Cluster; only these keys are managed.",
                validators=(_labels_map,),
            ),
            "annotations": Attribute(
                t.Map(t.String()),
                optional=True,
                description="Annotations on the Cluster; only these keys are managed.",
                validators=(_annotations_map,),
            ),
            "variables": Attribute(
                t.Map(t.Json()),
                optional=True,
                description="Extra ClusterClass variables, name → JSON value (`jsonencode(...)`), compared "
                "semantically.",
                validators=(_json_values,),
            ),
            "wait_for_ready": Attribute(
                t.Bool(),
                optional=True,
                computed=True,
                default=True,
                description="Wait until the cluster is usable on create and settled on update (default true).",
            ),
            "phase": Attribute(t.String(), computed=True, description="Cluster API phase."),
            "ready": Attribute(t.Bool(), computed=True, description="Whether the Ready condition is true."),
            "api_endpoint": Attribute(t.String(), computed=True, description="URL of the cluster's API server."),
            "conditions": Attribute(t.List(_CONDITION), computed=True, description="The Cluster's conditions."),
            "kubeconfig": Attribute(t.String(), computed=True, sensitive=True, description="Admin kubeconfig (YAML)."),
        },
        blocks={
            "control_plane": SingleBlock(_CONTROL_PLANE),
            "node_pool": ListBlock(_NODE_POOL, min_items=1),
            "network": SingleBlock(_NETWORK),
            "storage": SingleBlock(_STORAGE),
        },
        description="A TKG workload cluster (Cluster API Cluster on a ClusterClass) in a vSphere Namespace.",
    )
)


# ---------------------------------------------------------------------------------------------------------------
# Validation (cross-field; values may be Unknown)

Problem = tuple[Path, str, str]  # (attribute path, summary, detail)


def _known(value: Any) -> bool:
    return value is not None and value is not Unknown


def version_parts(version: str) -> tuple[int, ...]:
    """``v1.31.4---vmware.1…`` → (1, 31, 4); a prefix such as ``v1.31`` gives (1, 31)."""
    match = re.match(r"^v?(\d+)\.(\d+)(?:\.(\d+))?", version)
    if not match:
        return ()
    return tuple(int(p) for p in match.groups() if p is not None)


def _networks(blocks: Any) -> list[Any]:
    out = []
    for block in blocks if isinstance(blocks, list) else []:
        if _known(block):
            try:
                out.append(ipaddress.ip_network(block, strict=False))
            except ValueError:
                pass
    return out


def validate(model: Model) -> list[Problem]:
    """Cross-field rules of a configuration (single attributes are checked by the schema validators)."""
    problems: list[Problem] = []
    pools = model.node_pool if isinstance(model.node_pool, list) else []
    seen: dict[Any, int] = {}
    for index, pool in enumerate(pools):
        if _known(pool.name):
            if pool.name in seen:
                problems.append(
                    (
                        (*("node_pool", index), "name"),
                        "Duplicate node pool name",
                        f"node_pool[{seen[pool.name]}] and node_pool[{index}] are both named {pool.name!r}; "
                        "pool names must be unique.",
                    )
                )
            seen.setdefault(pool.name, index)
        has_replicas = pool.replicas is not None
        has_autoscaler = pool.autoscaler is not None
        if has_replicas and has_autoscaler:
            problems.append(
                (
                    ("node_pool", index, "replicas"),
                    "Conflicting node pool sizing",
                    "Set either replicas or an autoscaler block, not both: the autoscaler owns the replica count.",
                )
            )
        elif not has_replicas and not has_autoscaler:
            problems.append(
                (
                    ("node_pool", index, "replicas"),
                    "Missing node pool size",
                    "Set replicas (a fixed number of nodes) or an autoscaler block with min_size and max_size.",
                )
            )
        auto = pool.autoscaler
        if (
            auto is not None
            and auto is not Unknown
            and _known(auto.min_size)
            and _known(auto.max_size)
            and auto.min_size > auto.max_size
        ):
            problems.append(
                (
                    ("node_pool", index, "autoscaler", "min_size"),
                    "Invalid autoscaler bounds",
                    f"min_size ({auto.min_size}) is larger than max_size ({auto.max_size}).",
                )
            )
        problems += _volume_problems(pool.volume, ("node_pool", index, "volume"))
    cp = model.control_plane
    if cp is not None and cp is not Unknown:
        problems += _volume_problems(cp.volume, ("control_plane", "volume"))
    net = model.network
    if net is not None and net is not Unknown:
        pods, services = _networks(net.pods_cidr_blocks), _networks(net.services_cidr_blocks)
        for p in pods:
            for s in services:
                if p.version == s.version and p.overlaps(s):
                    problems.append(
                        (
                            ("network", "services_cidr_blocks"),
                            "Overlapping cluster networks",
                            f"The services CIDR {s} overlaps the pods CIDR {p}; pods and services need disjoint "
                            "ranges.",
                        )
                    )
        names = [ca.name for ca in net.trusted_ca if _known(ca.name)] if isinstance(net.trusted_ca, list) else []
        for index, name in enumerate(names):
            if name in names[:index]:
                problems.append(
                    (
                        ("network", "trusted_ca", index, "name"),
                        "Duplicate trusted CA name",
                        f"Two trusted_ca blocks are named {name!r}; names must be unique.",
                    )
                )
    storage = model.storage
    if storage is not None and storage is not Unknown and _known(storage.default_class):
        classes = storage.classes
        if (
            isinstance(classes, list)
            and all(_known(c) for c in classes)
            and classes
            and storage.default_class not in classes
        ):
            problems.append(
                (
                    ("storage", "default_class"),
                    "Default storage class not offered",
                    f"default_class {storage.default_class!r} must be one of storage.classes {classes}.",
                )
            )
    if isinstance(model.variables, dict):
        for name in model.variables:
            if name in MANAGED_VARIABLES or name in SYSTEM_VARIABLES:
                problems.append(
                    (
                        ("variables", Key(name)),
                        "Variable managed by a typed attribute",
                        f"The ClusterClass variable {name!r} is set from this resource's typed attributes "
                        f"({_VARIABLE_HINT.get(name, 'managed by the platform')}); remove it from variables.",
                    )
                )
    return problems


_VARIABLE_HINT = {
    VAR_VM_CLASS: "vm_class",
    VAR_STORAGE_CLASS: "storage_class",
    VAR_CP_VOLUMES: "control_plane.volume",
    VAR_STORAGE_CLASSES: "storage.classes",
    VAR_DEFAULT_STORAGE_CLASS: "storage.default_class",
    VAR_PROXY: "network.proxy",
    VAR_TRUST: "network.trusted_ca",
}


def _volume_problems(volumes: Any, path: Path) -> list[Problem]:
    problems: list[Problem] = []
    names: list[Any] = []
    for index, volume in enumerate(volumes if isinstance(volumes, list) else []):
        if _known(volume.name) and volume.name in names:
            problems.append(
                (
                    (*path, index, "name"),
                    "Duplicate volume name",
                    f"Two volumes are named {volume.name!r}; names must be unique.",
                )
            )
        names.append(volume.name)
    mounts = [v.mount_path for v in volumes if _known(v.mount_path)] if isinstance(volumes, list) else []
    for index, mount in enumerate(mounts):
        if mount in mounts[:index]:
            problems.append(((*path, index, "mount_path"), "Duplicate mount path", f"Two volumes mount at {mount!r}."))
    return problems


# ---------------------------------------------------------------------------------------------------------------
# Mapping: Terraform model → Cluster manifest


def _volume_wire(volume: Volume) -> dict[str, Any]:
    wire: dict[str, Any] = {
        "name": volume.name,
        "mountPath": volume.mount_path,
        "capacity": {"storage": f"{int(volume.capacity_gib)}Gi"},
    }
    if volume.storage_class:
        wire["storageClass"] = volume.storage_class
    return wire


def _taint_wire(taint: Taint) -> dict[str, Any]:
    wire = {"key": taint.key, "effect": taint.effect}
    if taint.value is not None:
        wire["value"] = taint.value
    return wire


def _pool_overrides(pool: NodePool) -> list[tuple[str, Any]]:
    overrides: list[tuple[str, Any]] = []
    if pool.vm_class:
        overrides.append((VAR_VM_CLASS, pool.vm_class))
    if pool.storage_class:
        overrides.append((VAR_STORAGE_CLASS, pool.storage_class))
    if pool.labels:
        overrides.append((VAR_POOL_LABELS, [{"key": k, "value": v} for k, v in sorted(pool.labels.items())]))
    if pool.taint:
        overrides.append((VAR_POOL_TAINTS, [_taint_wire(x) for x in pool.taint]))
    if pool.volume:
        overrides.append((VAR_POOL_VOLUMES, [_volume_wire(v) for v in pool.volume]))
    return overrides


def _pool_annotations(pool: NodePool) -> dict[str, str]:
    if pool.autoscaler is None:
        return {}
    return {AUTOSCALER_MIN: str(int(pool.autoscaler.min_size)), AUTOSCALER_MAX: str(int(pool.autoscaler.max_size))}


def _cluster_variables(model: Model) -> list[tuple[str, Any]]:
    variables: list[tuple[str, Any]] = [(VAR_VM_CLASS, model.vm_class), (VAR_STORAGE_CLASS, model.storage_class)]
    cp = model.control_plane
    if cp is not None and cp.volume:
        variables.append((VAR_CP_VOLUMES, [_volume_wire(v) for v in cp.volume]))
    storage = model.storage
    if storage is not None and storage.classes:
        variables.append((VAR_STORAGE_CLASSES, list(storage.classes)))
    if storage is not None and storage.default_class:
        variables.append((VAR_DEFAULT_STORAGE_CLASS, storage.default_class))
    net = model.network
    if net is not None and net.proxy is not None:
        proxy: dict[str, Any] = {}
        if net.proxy.http_proxy:
            proxy["httpProxy"] = net.proxy.http_proxy
        if net.proxy.https_proxy:
            proxy["httpsProxy"] = net.proxy.https_proxy
        if net.proxy.no_proxy is not None:
            proxy["noProxy"] = list(net.proxy.no_proxy)
        variables.append((VAR_PROXY, proxy))
    if net is not None and net.trusted_ca:
        variables.append((VAR_TRUST, {"additionalTrustedCAs": [{"name": ca.name} for ca in net.trusted_ca]}))
    for name, text in sorted((model.variables or {}).items()):
        variables.append((name, json.loads(text)))
    return variables


def _annotations(model: Model) -> dict[str, str]:
    annotations = dict(model.annotations or {})
    annotations[OWNER_ANNOTATION] = OWNER_VALUE
    if model.network is not None and model.network.cni:
        annotations[CNI_ANNOTATION] = model.network.cni
    return annotations


def to_api(model: Model) -> k8s.Cluster:
    """The Cluster manifest for a (fully known) model."""
    from ..api import k8s_models as k8s

    def var(name: str, value: Any) -> k8s.ClusterVariable:
        return k8s.ClusterVariable(name=name, value=value)

    cp = model.control_plane or ControlPlane()
    cp_overrides = [var(n, v) for n, v in ((VAR_VM_CLASS, cp.vm_class), (VAR_STORAGE_CLASS, cp.storage_class)) if v]
    pools = []
    for pool in model.node_pool:
        annotations = _pool_annotations(pool)
        overrides = [var(n, v) for n, v in _pool_overrides(pool)]
        pools.append(
            k8s.MachineDeploymentTopology(
                **{"class": NODE_POOL_CLASS},
                name=pool.name,
                replicas=None if pool.autoscaler is not None else _int(pool.replicas),
                failureDomain=pool.failure_domain,
                metadata=k8s.TopologyMetadata(annotations=annotations) if annotations else None,
                variables=k8s.VariableOverrides(overrides=overrides) if overrides else None,
            )
        )
    net = model.network
    cluster_network = None
    if net is not None and (net.pods_cidr_blocks or net.services_cidr_blocks or net.service_domain):
        cluster_network = k8s.ClusterNetwork(
            pods=k8s.NetworkRanges(cidrBlocks=list(net.pods_cidr_blocks)) if net.pods_cidr_blocks else None,
            services=k8s.NetworkRanges(cidrBlocks=list(net.services_cidr_blocks)) if net.services_cidr_blocks else None,
            serviceDomain=net.service_domain,
        )
    return k8s.Cluster(
        metadata=k8s.ObjectMeta(
            name=model.name,
            namespace=model.namespace,
            labels=dict(model.labels) if model.labels else None,
            annotations=_annotations(model),
        ),
        spec=k8s.ClusterSpec(
            clusterNetwork=cluster_network,
            topology=k8s.Topology(
                **{"class": model.cluster_class or DEFAULT_CLUSTER_CLASS},
                version=model.kubernetes_version or "",
                controlPlane=k8s.ControlPlaneTopology(
                    replicas=_int(cp.replicas) if cp.replicas is not None else 1,
                    nodeDrainTimeout=cp.node_drain_timeout,
                    variables=k8s.VariableOverrides(overrides=cp_overrides) if cp_overrides else None,
                ),
                workers=k8s.WorkersTopology(machineDeployments=pools),
                variables=[var(n, v) for n, v in _cluster_variables(model)],
            ),
        ),
    )


def trust_secret(model: Model) -> k8s.Secret | None:
    """Secret ``<cluster>-user-trusted-ca-secret`` holding the trusted CAs (PEM, double base64 as the class expects)."""
    from ..api import k8s_models as k8s

    net = model.network
    if net is None or not net.trusted_ca:
        return None
    data = {ca.name: base64.b64encode(base64.b64encode(ca.pem.encode())).decode() for ca in net.trusted_ca}
    return k8s.Secret(
        metadata=k8s.ObjectMeta(
            name=f"{model.name}{TRUST_SECRET_SUFFIX}",
            namespace=model.namespace,
            labels={"cluster.x-k8s.io/cluster-name": model.name},
            annotations={OWNER_ANNOTATION: OWNER_VALUE},
        ),
        type="Opaque",
        data=data,
    )


def trusted_ca_pems(secret: k8s.Secret | None) -> dict[str, str]:
    """name → PEM from the trusted-CA Secret (undoing the double base64)."""
    out: dict[str, str] = {}
    for name, value in ((secret.data if secret else None) or {}).items():
        try:
            out[name] = base64.b64decode(base64.b64decode(value)).decode()
        except ValueError:
            continue
    return out


def _int(value: Any) -> int | None:
    return None if value is None else int(value)


# ---------------------------------------------------------------------------------------------------------------
# Mapping: Cluster → Terraform model


def _same_release(written: str, wire_version: str, tkr_label: str | None) -> bool:
    """Whether the server's resolved release is what ``written`` asked for (a name, a version or a prefix)."""
    if written in (wire_version, tkr_label):
        return True
    label_form = written.replace("+", "---")
    for candidate in (tkr_label, wire_version.replace("+", "---") if wire_version else None):
        if not candidate:
            continue
        if candidate.startswith(label_form) and candidate[len(label_form) : len(label_form) + 1] in ("", ".", "-"):
            return True
    # The resolver rewrote a release name to its Kubernetes version (``v1.31.4---vmware.1-fips-vkr.3`` →
    # ``v1.31.4+vmware.1-fips``): the wire version, in label form, is a prefix of the name.
    wire_label = wire_version.replace("+", "---")
    return (
        bool(wire_label)
        and label_form.startswith(wire_label)
        and label_form[len(wire_label) : len(wire_label) + 1] in ("", ".", "-")
    )


def _read_version(obj: k8s.Cluster, prior: str | None) -> str:
    topology = obj.spec.topology
    wire = topology.version if topology else ""
    label = (obj.metadata.labels or {}).get(TKR_LABEL)
    if prior and _same_release(prior, wire, label):
        return prior
    return label or wire


def _keep_order(values: list[Any] | None, prior: list[Any] | None) -> list[Any] | None:
    """``values``, but in ``prior``'s order when both hold the same elements (servers may reorder lists)."""
    if values is None or prior is None:
        return values
    if sorted(map(str, values)) == sorted(map(str, prior)):
        return list(prior)
    return values


def _keep_duration(value: str | None, prior: str | None) -> str | None:
    """The user's spelling of a duration when the server's (``5m0s``) means the same."""
    if value is None or prior is None:
        return value
    try:
        return prior if durations.parse(value) == durations.parse(prior) else value
    except ValueError:
        return value


def _capacity_gib(capacity: Any) -> int:
    text = capacity.get("storage") if isinstance(capacity, dict) else capacity
    match = re.fullmatch(r"(\d+(?:\.\d+)?)(Gi|Mi|Ti|G|M|T)?", str(text or "").strip())
    if not match:
        return 0
    number, unit = float(match.group(1)), match.group(2) or ""
    factor = {"Gi": 1, "Ti": 1024, "Mi": 1 / 1024, "G": 1e9 / 2**30, "T": 1e12 / 2**30, "M": 1e6 / 2**30, "": 1 / 2**30}
    return round(number * factor[unit])


def _read_volumes(wire: Any, prior: list[Volume]) -> list[Volume]:
    volumes = [
        Volume(
            name=str(v.get("name", "")),
            mount_path=str(v.get("mountPath", "")),
            capacity_gib=_capacity_gib(v.get("capacity")),
            storage_class=v.get("storageClass"),
        )
        for v in (wire if isinstance(wire, list) else [])
        if isinstance(v, dict)
    ]
    return _by_prior(volumes, prior, lambda v: v.name)


def _by_prior(items: list[Any], prior: list[Any], key: Any) -> list[Any]:
    """``items`` ordered like ``prior`` (matched by ``key``), items the prior does not know appended."""
    order = {key(p): i for i, p in enumerate(prior)}
    return sorted(items, key=lambda x: order.get(key(x), len(order)))


def _overrides(variables: Any) -> dict[str, Any]:
    return {v.name: v.value for v in ((variables.overrides if variables else None) or [])}


def _read_map(server: dict[str, str] | None, prior: dict[str, str] | None, importing: bool) -> dict[str, str] | None:
    """Only the keys the user declared are managed; on import, every key the platform did not add."""
    server = server or {}
    if importing:
        found = {k: v for k, v in server.items() if not _SYSTEM_KEY.match(k)}
        return found or None
    if prior is None:
        return None
    return {k: server[k] for k in prior if k in server}


def _empty_as_prior(value: Any, prior: Any) -> Any:
    """An empty collection reads as the user wrote it: null when they left it out, empty when they wrote it empty."""
    if value:
        return value
    return None if prior is None else type(prior)()


def _read_pool(md: k8s.MachineDeploymentTopology, prior: NodePool | None) -> NodePool:
    overrides = _overrides(md.variables)
    annotations = (md.metadata.annotations if md.metadata else None) or {}
    autoscaler = None
    if AUTOSCALER_MIN in annotations or AUTOSCALER_MAX in annotations:
        autoscaler = Autoscaler(
            min_size=int(annotations.get(AUTOSCALER_MIN) or 0), max_size=int(annotations.get(AUTOSCALER_MAX) or 0)
        )
    labels = {
        str(x.get("key")): str(x.get("value", "")) for x in overrides.get(VAR_POOL_LABELS) or [] if isinstance(x, dict)
    }
    taints = [
        Taint(key=str(x.get("key", "")), value=x.get("value"), effect=str(x.get("effect", "")))
        for x in overrides.get(VAR_POOL_TAINTS) or []
        if isinstance(x, dict)
    ]
    prior_taints = prior.taint if prior else []
    return NodePool(
        name=md.name,
        replicas=None if autoscaler is not None else md.replicas,
        vm_class=overrides.get(VAR_VM_CLASS),
        storage_class=overrides.get(VAR_STORAGE_CLASS),
        failure_domain=md.failureDomain,
        labels=_empty_as_prior(labels, prior.labels if prior else None),
        autoscaler=autoscaler,
        taint=_by_prior(taints, prior_taints, lambda x: (x.key, x.effect)),
        volume=_read_volumes(overrides.get(VAR_POOL_VOLUMES), prior.volume if prior else []),
    )


def _read_variables(obj: k8s.Cluster, prior: dict[str, str] | None, importing: bool) -> dict[str, str] | None:
    topology = obj.spec.topology
    server = {v.name: v.value for v in ((topology.variables if topology else None) or [])}
    if importing:
        names = [
            n
            for n in server
            if n not in MANAGED_VARIABLES and n not in SYSTEM_VARIABLES and server[n] != DEFAULTED_VARIABLES.get(n)
        ]
    elif prior is None:
        return None
    else:
        names = [n for n in prior if n in server]
    out: dict[str, str] = {}
    for name in names:
        old = (prior or {}).get(name)
        try:
            same = old is not None and json.loads(old) == server[name]
        except ValueError:
            same = False
        out[name] = old if same and old is not None else json.dumps(server[name], sort_keys=True)
    if importing and not out:
        return None
    return out


def _read_network(
    obj: k8s.Cluster, prior: Network | None, importing: bool, pems: dict[str, str] | None
) -> Network | None:
    cn = obj.spec.clusterNetwork
    pods = (cn.pods.cidrBlocks if cn and cn.pods else None) or None
    services = (cn.services.cidrBlocks if cn and cn.services else None) or None
    domain = cn.serviceDomain if cn else None
    # Server defaults of the cluster network are not the user's: read them back only when the user set them.
    take = importing or prior is not None
    p = prior or Network()
    proxy_wire = obj.variable(VAR_PROXY)
    proxy = None
    if isinstance(proxy_wire, dict):
        proxy = Proxy(
            http_proxy=proxy_wire.get("httpProxy"),
            https_proxy=proxy_wire.get("httpsProxy"),
            no_proxy=_keep_order(proxy_wire.get("noProxy"), p.proxy.no_proxy if p.proxy else None),
        )
    trust = obj.variable(VAR_TRUST)
    prior_pems = {ca.name: ca.pem for ca in p.trusted_ca}
    cas = [
        TrustedCa(
            name=str(x.get("name")), pem=(pems or {}).get(str(x.get("name"))) or prior_pems.get(str(x.get("name")), "")
        )
        for x in ((trust or {}).get("additionalTrustedCAs") or [] if isinstance(trust, dict) else [])
        if isinstance(x, dict) and x.get("name")
    ]
    cni = (obj.metadata.annotations or {}).get(CNI_ANNOTATION)
    network = Network(
        pods_cidr_blocks=_keep_order(pods, p.pods_cidr_blocks)
        if take and (importing or p.pods_cidr_blocks is not None)
        else None,
        services_cidr_blocks=(
            _keep_order(services, p.services_cidr_blocks)
            if take and (importing or p.services_cidr_blocks is not None)
            else None
        ),
        service_domain=domain if take and (importing or p.service_domain is not None) else None,
        cni=cni if take and (importing or p.cni is not None) else None,
        proxy=proxy,
        trusted_ca=_by_prior(cas, p.trusted_ca, lambda x: x.name),
    )
    if prior is None and network == Network():
        return None
    return network


def _read_control_plane(obj: k8s.Cluster, prior: ControlPlane | None) -> ControlPlane | None:
    topology = obj.spec.topology
    cp = topology.controlPlane if topology else None
    overrides = _overrides(cp.variables if cp else None)
    block = ControlPlane(
        replicas=(cp.replicas if cp and cp.replicas is not None else 1),
        vm_class=overrides.get(VAR_VM_CLASS),
        storage_class=overrides.get(VAR_STORAGE_CLASS),
        node_drain_timeout=_keep_duration(
            cp.nodeDrainTimeout if cp else None, prior.node_drain_timeout if prior else None
        ),
        volume=_read_volumes(obj.variable(VAR_CP_VOLUMES), prior.volume if prior else []),
    )
    if prior is None and block == ControlPlane():
        return None
    return block


def _read_storage(obj: k8s.Cluster, prior: Storage | None) -> Storage | None:
    classes = obj.variable(VAR_STORAGE_CLASSES)
    storage = Storage(
        classes=_keep_order(list(classes), prior.classes if prior else None)
        if isinstance(classes, list) and classes
        else None,
        default_class=obj.variable(VAR_DEFAULT_STORAGE_CLASS),
    )
    if storage == Storage():
        return None if prior is None else Storage(classes=None if prior.classes is None else [], default_class=None)
    return storage


def _conditions(obj: k8s.Cluster) -> list[dict[str, Any]]:
    return [
        {"type": c.type, "status": c.status, "reason": c.reason, "message": c.message}
        for c in ((obj.status.conditions if obj.status else None) or [])
    ]


def from_api(
    obj: k8s.Cluster,
    prior: Model | None,
    *,
    kubeconfig: str | None = None,
    trusted_ca_pems: dict[str, str] | None = None,
) -> Model:
    """The Terraform model of a Cluster, reading back only what ``prior`` (the plan, or the state) declared.

    ``prior`` None, or a prior without ``kubernetes_version`` (right after ``terraform import``), means importing:
    everything the user could have written is read, minus what the platform adds by itself.
    """
    importing = prior is None or not prior.kubernetes_version
    p = prior or Model()
    topology = obj.spec.topology
    ready = obj.status.condition("Ready") if obj.status else None
    endpoint = obj.spec.controlPlaneEndpoint
    mds = (topology.workers.machineDeployments if topology and topology.workers else None) or []
    prior_pools = {pool.name: pool for pool in p.node_pool}
    pools = _by_prior([_read_pool(md, prior_pools.get(md.name)) for md in mds], p.node_pool, lambda x: x.name)
    annotations = {
        k: v for k, v in (obj.metadata.annotations or {}).items() if k not in (OWNER_ANNOTATION, CNI_ANNOTATION)
    }
    return Model(
        id=f"{obj.metadata.namespace}/{obj.metadata.name}",
        name=obj.metadata.name,
        namespace=obj.metadata.namespace or p.namespace,
        cluster_class=(topology.class_ if topology else None) or p.cluster_class,
        kubernetes_version=_read_version(obj, p.kubernetes_version),
        vm_class=obj.variable(VAR_VM_CLASS),
        storage_class=obj.variable(VAR_STORAGE_CLASS),
        labels=_read_map(obj.metadata.labels, p.labels, importing),
        annotations=_read_map(annotations, p.annotations, importing),
        variables=_read_variables(obj, p.variables, importing),
        wait_for_ready=p.wait_for_ready if p.wait_for_ready is not None else True,
        phase=obj.status.phase if obj.status else None,
        ready=ready is not None and ready.status == "True",
        api_endpoint=f"https://{endpoint.host}:{endpoint.port or 6443}" if endpoint and endpoint.host else None,
        conditions=_conditions(obj),
        kubeconfig=kubeconfig if kubeconfig is not None else p.kubeconfig,
        control_plane=_read_control_plane(obj, p.control_plane if not importing else None),
        node_pool=pools,
        network=_read_network(obj, p.network, importing, trusted_ca_pems),
        storage=_read_storage(obj, p.storage),
        timeouts=p.timeouts,
    )


# Wire field (as the API names it in an Invalid error) → Terraform attribute path.
WIRE_TO_TF_PATH: dict[str, Path] = {
    "metadata.name": ("name",),
    "metadata.namespace": ("namespace",),
    "metadata.labels": ("labels",),
    "metadata.annotations": ("annotations",),
    "spec.topology.class": ("cluster_class",),
    "spec.topology.version": ("kubernetes_version",),
    "spec.topology.controlPlane.replicas": ("control_plane", "replicas"),
    "spec.topology.controlPlane.nodeDrainTimeout": ("control_plane", "node_drain_timeout"),
    "spec.clusterNetwork": ("network",),
    "spec.clusterNetwork.pods.cidrBlocks": ("network", "pods_cidr_blocks"),
    "spec.clusterNetwork.services.cidrBlocks": ("network", "services_cidr_blocks"),
    "spec.clusterNetwork.serviceDomain": ("network", "service_domain"),
    "spec.topology.variables": ("variables",),
}
_POOL_FIELD = re.compile(r"^spec\.topology\.workers\.machineDeployments\[(\d+)\](?:\.(name|replicas|failureDomain))?")
_POOL_ATTR = {"name": "name", "replicas": "replicas", "failureDomain": "failure_domain", None: None}


def tf_path(field: str | None, model: Model) -> Path | None:
    """The Terraform path for a wire field named in an API error (None when it maps to nothing precise)."""
    if not field:
        return None
    match = _POOL_FIELD.match(field)
    if match:
        index = int(match.group(1))
        attr = _POOL_ATTR.get(match.group(2))
        return ("node_pool", index, attr) if attr else ("node_pool", index)
    variable = re.match(r"^spec\.topology\.variables\[(\d+)\]", field)
    if variable:
        names = [n for n, _ in _cluster_variables(model)]
        index = int(variable.group(1))
        name = names[index] if index < len(names) else ""
        hints = {VAR_VM_CLASS: ("vm_class",), VAR_STORAGE_CLASS: ("storage_class",)}
        if name in hints:
            return hints[name]
        if name in (model.variables or {}):
            return ("variables", Key(name))
        return ("variables",)
    field = re.sub(r"\[\d+\]$", "", field)
    return WIRE_TO_TF_PATH.get(field)


# ---------------------------------------------------------------------------------------------------------------
# Update: a merge patch of only what changed


def _map_patch(current: dict[str, str] | None, prior: dict[str, str] | None, planned: dict[str, str]) -> dict[str, Any]:
    current = current or {}
    patch: dict[str, Any] = {k: None for k in prior or {} if k not in planned and k in current}
    patch.update({k: v for k, v in planned.items() if current.get(k) != v})
    return patch


def _canonical(value: Any) -> Any:
    """A form of a JSON value in which list order does not matter (the server may reorder lists)."""
    if isinstance(value, dict):
        return {k: _canonical(v) for k, v in value.items()}
    if isinstance(value, list):
        return sorted((_canonical(v) for v in value), key=lambda v: json.dumps(v, sort_keys=True))
    return value


def _equivalent(a: Any, b: Any) -> bool:
    return bool(_canonical(a) == _canonical(b))


def _merge_variables(
    current: list[dict[str, Any]], desired: list[tuple[str, Any]], managed: set[str]
) -> list[dict[str, Any]]:
    """``current`` with every ``managed`` variable set to its ``desired`` value or removed; others kept as they are."""
    wanted = dict(desired)
    out: list[dict[str, Any]] = []
    for entry in current:
        name = entry.get("name")
        if name in managed:
            if name in wanted:
                value = wanted.pop(name)
                out.append(entry if _equivalent(entry.get("value"), value) else {**entry, "value": value})
            continue
        out.append(entry)
    out += [{"name": n, "value": v} for n, v in desired if n in wanted]
    return out


def _merged_pool(current: dict[str, Any] | None, pool: NodePool) -> dict[str, Any]:
    entry: dict[str, Any] = copy.deepcopy(current) if current else {"class": NODE_POOL_CLASS, "name": pool.name}
    if pool.autoscaler is None and pool.replicas is not None:
        entry["replicas"] = int(pool.replicas)
    else:
        entry.pop("replicas", None)
    if pool.failure_domain:
        entry["failureDomain"] = pool.failure_domain
    else:
        entry.pop("failureDomain", None)
    metadata = dict(entry.get("metadata") or {})
    annotations = {
        k: v for k, v in (metadata.get("annotations") or {}).items() if k not in (AUTOSCALER_MIN, AUTOSCALER_MAX)
    }
    annotations.update(_pool_annotations(pool))
    if annotations:
        metadata["annotations"] = annotations
    else:
        metadata.pop("annotations", None)
    if metadata:
        entry["metadata"] = metadata
    else:
        entry.pop("metadata", None)
    overrides = _merge_variables(
        list((entry.get("variables") or {}).get("overrides") or []), _pool_overrides(pool), set(POOL_OVERRIDES)
    )
    if overrides:
        entry["variables"] = {**(entry.get("variables") or {}), "overrides": overrides}
    else:
        entry.pop("variables", None)
    return entry


def update_patch(current: k8s.Cluster, prior: Model, planned: Model) -> dict[str, Any]:
    """A JSON merge patch taking ``current`` from ``prior``'s settings to ``planned``'s, touching only what changed.

    Lists (``variables``, ``machineDeployments``, overrides) are sent whole, as merge patch requires, rebuilt from the
    server's current entries so that fields and variables this resource does not manage (``TKR_DATA``, server
    defaults) are kept. ``clusterNetwork`` is never patched: it is immutable (changes plan a replacement).
    """
    wire = current.wire()
    meta = wire.get("metadata") or {}
    topology = (wire.get("spec") or {}).get("topology") or {}
    patch: dict[str, Any] = {}
    metadata: dict[str, Any] = {}
    labels = _map_patch(meta.get("labels"), prior.labels, dict(planned.labels or {}))
    if labels:
        metadata["labels"] = labels
    prior_annotations = dict(prior.annotations or {})
    if prior.network is not None and prior.network.cni:
        prior_annotations[CNI_ANNOTATION] = prior.network.cni
    annotations = _map_patch(meta.get("annotations"), prior_annotations, _annotations(planned))
    if annotations:
        metadata["annotations"] = annotations
    if metadata:
        patch["metadata"] = metadata

    topo: dict[str, Any] = {}
    if planned.kubernetes_version != prior.kubernetes_version:
        topo["version"] = planned.kubernetes_version
    if planned.cluster_class and planned.cluster_class != topology.get("class"):
        topo["class"] = planned.cluster_class

    cp_current = topology.get("controlPlane") or {}
    cp = planned.control_plane or ControlPlane()
    cp_patch: dict[str, Any] = {}
    replicas = int(cp.replicas) if cp.replicas is not None else 1
    if cp_current.get("replicas") != replicas:
        cp_patch["replicas"] = replicas
    if cp_current.get("nodeDrainTimeout") != cp.node_drain_timeout:
        old = cp_current.get("nodeDrainTimeout")
        same = (
            old is not None
            and cp.node_drain_timeout is not None
            and _keep_duration(old, cp.node_drain_timeout) == cp.node_drain_timeout
        )
        if not same:
            cp_patch["nodeDrainTimeout"] = cp.node_drain_timeout
    cp_overrides_now = list((cp_current.get("variables") or {}).get("overrides") or [])
    cp_desired = [(n, v) for n, v in ((VAR_VM_CLASS, cp.vm_class), (VAR_STORAGE_CLASS, cp.storage_class)) if v]
    cp_overrides = _merge_variables(cp_overrides_now, cp_desired, set(CP_OVERRIDES))
    if cp_overrides != cp_overrides_now:
        cp_patch["variables"] = {"overrides": cp_overrides}
    if cp_patch:
        topo["controlPlane"] = cp_patch

    mds_now = list((topology.get("workers") or {}).get("machineDeployments") or [])
    by_name = {md.get("name"): md for md in mds_now}
    mds = [_merged_pool(by_name.get(pool.name), pool) for pool in planned.node_pool]
    if mds != mds_now:
        topo["workers"] = {"machineDeployments": mds}

    variables_now = list(topology.get("variables") or [])
    managed = set(MANAGED_VARIABLES) | set(prior.variables or {}) | set(planned.variables or {})
    variables = _merge_variables(variables_now, _cluster_variables(planned), managed)
    if variables != variables_now:
        topo["variables"] = variables
    if topo:
        patch["spec"] = {"topology": topo}
    return patch


# ---------------------------------------------------------------------------------------------------------------
# Resource


def _pools_to_wait_for(model: Model) -> dict[str, int | None]:
    return {p.name: (None if p.autoscaler is not None else _int(p.replicas)) for p in model.node_pool}


def _configured_client(provider_data: Any) -> SupervisorClient | None:
    """The Supervisor client when the provider is configured, else None (plan-time checks are then skipped)."""
    from ..provider import ProviderSettings

    return clients.supervisor(provider_data) if isinstance(provider_data, ProviderSettings) else None


def _label(model: Model) -> str:
    return f"{model.namespace}/{model.name}"


_RELEASE_HINT = 'List usable releases with data "tkg_kubernetes_releases" or `kubectl get kr`.'


class ClusterResource(Resource):
    type_name = TYPE_NAME
    schema = SCHEMA
    timeouts = Timeouts(create=3600, update=3600, delete=1800)

    # -- validate / plan ----------------------------------------------------------------------------------------

    def validate(self, ctx: Context, config: dict[str, Any]) -> None:
        for path, summary, detail in validate(from_tf(Model, config)):
            ctx.diagnostics.error(summary, detail, path)
        name = config.get("name")
        if isinstance(name, str) and len(name) > 41:
            ctx.diagnostics.warning(
                "Long cluster name",
                f"{name!r} has {len(name)} characters; Supervisors before vSphere 8.0 U3 never finish provisioning "
                "clusters whose names are longer than 41 characters.",
                ("name",),
            )

    def plan(self, ctx: PlanContext, planned: dict[str, Any]) -> dict[str, Any]:
        if _known(planned.get("namespace")) and _known(planned.get("name")):
            planned["id"] = f"{planned['namespace']}/{planned['name']}"
        prior = from_tf(Model, ctx.prior) if ctx.prior is not None else None
        model = from_tf(Model, planned)
        if prior is not None:
            real_changes = [p for p in ctx.changed if p[:1] not in (("wait_for_ready",), ("timeouts",))]
            if real_changes and not ctx.requires_replace:
                for name in ("phase", "ready", "conditions"):
                    planned[name] = Unknown
            self._check_version_change(ctx, prior, model)
        if ctx.diagnostics.has_errors:
            return planned
        self._live_checks(ctx, prior, model)
        return planned

    def _check_version_change(self, ctx: PlanContext, prior: Model, model: Model) -> None:
        old, new = prior.kubernetes_version, model.kubernetes_version
        if not _known(new) or not old or new == old or ctx.requires_replace:
            return
        old_parts, new_parts = version_parts(old), version_parts(str(new))
        n = min(len(old_parts), len(new_parts))
        if new_parts[:n] < old_parts[:n]:
            ctx.diagnostics.error(
                "Kubernetes version cannot be lowered",
                f"The cluster runs {old}; {new} is older. Clusters can only be upgraded, one minor version at a time. "
                "To go back, create a new cluster.",
                ("kubernetes_version",),
            )
        elif (
            len(new_parts) >= 2
            and len(old_parts) >= 2
            and new_parts[1] > old_parts[1] + 1
            and new_parts[0] == old_parts[0]
        ):
            ctx.diagnostics.error(
                "Kubernetes version skips a minor release",
                f"Upgrading from {old} to {new} skips a minor version; upgrade to "
                f"v{old_parts[0]}.{old_parts[1] + 1}.x first.",
                ("kubernetes_version",),
            )

    def _live_checks(self, ctx: PlanContext, prior: Model | None, model: Model) -> None:
        """Checks against the Supervisor for values that are new or changed (no calls on a no-op plan)."""

        def changed(get: Any) -> bool:
            try:
                return prior is None or get(prior) != get(model)
            except (AttributeError, IndexError, TypeError):
                return True

        wanted_version = changed(lambda m: m.kubernetes_version)
        vm_paths = self._class_paths(model, "vm_class")
        sc_paths = self._class_paths(model, "storage_class")
        vm_paths = [
            (p, v)
            for p, v in vm_paths
            if prior is None or v not in [x for _, x in self._class_paths(prior, "vm_class")]
        ]
        sc_paths = [
            (p, v)
            for p, v in sc_paths
            if prior is None or v not in [x for _, x in self._class_paths(prior, "storage_class")]
        ]
        class_changed = changed(lambda m: m.cluster_class)
        if not (wanted_version or vm_paths or sc_paths or class_changed):
            return
        client = _configured_client(self.provider_data)
        if client is None:
            return  # provider not configured (e.g. values unknown until apply): the server checks at apply
        from ..api import errors

        try:
            if wanted_version:
                if _known(model.kubernetes_version):
                    self._check_release(ctx, client, str(model.kubernetes_version))
                else:
                    ctx.diagnostics.warning(
                        "Kubernetes version not checked",
                        "kubernetes_version is not known until apply, so it was not checked against the Supervisor's "
                        "releases at plan time.",
                        ("kubernetes_version",),
                    )
            if not (vm_paths or sc_paths or class_changed):
                return
            if not _known(model.namespace):
                ctx.diagnostics.warning(
                    "VM and storage classes not checked",
                    "namespace is not known until apply, so vm_class, storage_class and cluster_class were not checked "
                    "at plan time.",
                    ("namespace",),
                )
                return
            if not client.namespace_exists(model.namespace):
                ctx.diagnostics.warning(
                    "VM and storage classes not checked",
                    f"The vSphere Namespace {model.namespace!r} does not exist yet (it may be created by this apply), "
                    "so vm_class, storage_class and cluster_class could not be checked at plan time.",
                    ("namespace",),
                )
                return
            if class_changed and _known(model.cluster_class):
                classes = client.list_cluster_classes(model.namespace)
                if model.cluster_class not in classes:
                    ctx.diagnostics.error(
                        "Unknown ClusterClass",
                        f"ClusterClass {model.cluster_class!r} is not available in namespace {model.namespace!r}; "
                        f"available: {', '.join(classes) or 'none'}.",
                        ("cluster_class",),
                    )
            self._check_bound(
                ctx,
                vm_paths,
                client.list_vm_classes(model.namespace) if vm_paths else [],
                model.namespace,
                "VM class",
                "Bind it to the namespace (tkg_supervisor_namespace.vm_classes).",
            )
            self._check_bound(
                ctx,
                sc_paths,
                client.list_storage_classes(model.namespace) if sc_paths else [],
                model.namespace,
                "storage class",
                "Add its storage policy to the namespace (tkg_supervisor_namespace storage_policy).",
            )
        except errors.ApiError as exc:
            ctx.diagnostics.warning(
                "Supervisor checks skipped",
                f"Could not check this cluster's settings against the Supervisor at plan time: {exc.describe()}",
            )

    @staticmethod
    def _class_paths(model: Model, attr: str) -> list[tuple[Path, Any]]:
        """(path, value) of every place a VM class (``attr='vm_class'``) or storage class is named."""
        found: list[tuple[Path, Any]] = [((attr,), getattr(model, attr))]
        cp = model.control_plane
        if cp is not None and cp is not Unknown:
            found.append((("control_plane", attr), getattr(cp, attr)))
            if attr == "storage_class" and isinstance(cp.volume, list):
                found += [(("control_plane", "volume", i, attr), v.storage_class) for i, v in enumerate(cp.volume)]
        for i, pool in enumerate(model.node_pool if isinstance(model.node_pool, list) else []):
            found.append((("node_pool", i, attr), getattr(pool, attr)))
            if attr == "storage_class" and isinstance(pool.volume, list):
                found += [(("node_pool", i, "volume", j, attr), v.storage_class) for j, v in enumerate(pool.volume)]
        if attr == "storage_class":
            st = model.storage
            if st is not None and st is not Unknown:
                found.append((("storage", "default_class"), st.default_class))
                if isinstance(st.classes, list):
                    found += [(("storage", "classes"), c) for c in st.classes]
        return [(p, v) for p, v in found if v is not None]

    @staticmethod
    def _check_bound(
        ctx: PlanContext, paths: list[tuple[Path, Any]], available: list[str], namespace: str, what: str, hint: str
    ) -> None:
        for path, value in paths:
            if value is Unknown:
                ctx.diagnostics.warning(
                    f"{what.capitalize()} not checked",
                    f"The {what} is not known until apply, so it was not checked.",
                    path,
                )
            elif value not in available:
                ctx.diagnostics.error(
                    f"{what.capitalize()} not available in namespace {namespace}",
                    f"{what.capitalize()} {value!r} is not bound to vSphere Namespace {namespace!r}; available: "
                    f"{', '.join(available) or 'none'}. {hint}",
                    path,
                )

    @staticmethod
    def _check_release(ctx: PlanContext, client: SupervisorClient, version: str) -> None:
        from ..api import supervisor

        releases = client.list_releases()
        matches = supervisor.matching_releases(version, releases)
        usable = [r for r in matches if supervisor.release_usable(r)]
        if usable:
            return
        names = ", ".join(r.metadata.name for r in releases if supervisor.release_usable(r)) or "none"
        if matches:
            why = "; ".join(f"{r.metadata.name}: {supervisor.release_problem(r)}" for r in matches)
            detail = f"Release {version!r} exists but cannot be used ({why}). Usable: {names}. {_RELEASE_HINT}"
        else:
            detail = f"No Kubernetes release on the Supervisor matches {version!r}. Usable: {names}. {_RELEASE_HINT}"
        ctx.diagnostics.error("Kubernetes release not available", detail, ("kubernetes_version",))

    # -- CRUD ---------------------------------------------------------------------------------------------------

    def _client(self, ctx: Context) -> SupervisorClient | None:
        settings = clients.settings_or_error(ctx, self.provider_data)
        return clients.supervisor(settings) if settings is not None else None

    def _api_error(self, ctx: Context, verb: str, model: Model, exc: Exception) -> None:
        from ..api import errors

        detail = exc.describe() if isinstance(exc, errors.ApiError) else str(exc)
        path = tf_path(exc.field, model) if isinstance(exc, errors.ApiError) else None
        ctx.diagnostics.error(f"{verb} {TYPE_NAME} ({_label(model)})", detail, path)

    def _wait_error(self, ctx: Context, verb: str, model: Model, exc: Any) -> Model:
        """The partial state of a failed or timed-out wait, with an error quoting the cluster's conditions."""
        from ..api import errors, supervisor

        last = exc.last
        if isinstance(exc, errors.WaitFailed):
            summary = f"{verb} {TYPE_NAME} ({_label(model)}): provisioning failed"
            lead = "The cluster reported a failure: " + "; ".join(exc.messages)
        elif isinstance(exc, errors.WaitCancelled):
            summary = f"{verb} {TYPE_NAME} ({_label(model)}): interrupted"
            lead = "Terraform was interrupted while waiting for the cluster."
        else:
            summary = f"{verb} {TYPE_NAME} ({_label(model)}): timed out"
            lead = f"The cluster was not ready within the {verb.removesuffix('ing')} timeout ({exc.message})."
        state = from_api(last, model) if last is not None else model
        conditions = supervisor.conditions_summary(last) if last is not None else "the cluster was never read back"
        ctx.diagnostics.error(
            summary,
            f"{lead}\nLast seen: {conditions}.\nThe cluster is kept in state and marked tainted; the next apply "
            "replaces it. Raise timeouts or fix the cause (VM class, storage, release) first.",
        )
        return state

    def _kubeconfig(self, client: SupervisorClient, model: Model) -> str | None:
        from ..api import errors

        try:
            kubeconfig = client.get_kubeconfig(model.namespace, model.name)
        except errors.NotFound:
            return None
        logs.register_secret(kubeconfig)
        return kubeconfig

    def _pems(self, client: SupervisorClient, model: Model) -> dict[str, str] | None:
        from ..api import errors

        if model.network is None or not model.network.trusted_ca:
            return None
        try:
            return trusted_ca_pems(client.get_secret(model.namespace, f"{model.name}{TRUST_SECRET_SUFFIX}"))
        except errors.NotFound:
            return {}

    def create(self, ctx: Context, planned: dict[str, Any]) -> dict[str, Any] | None:
        from ..api import errors

        model = from_tf(Model, planned)
        with logs.resource_context(TYPE_NAME, _label(model)):
            client = self._client(ctx)
            if client is None:
                return None
            label = f"[{TYPE_NAME} {_label(model)}]"
            try:
                secret = trust_secret(model)
                if secret is not None:
                    client.apply_secret(secret)
                try:
                    obj = client.create_cluster(to_api(model))
                    log.info(
                        "%s created; Supervisor resolved version %s",
                        label,
                        obj.spec.topology.version if obj.spec.topology else "?",
                    )
                except errors.AlreadyExists:
                    existing = client.get_cluster(model.namespace, model.name)
                    if (existing.metadata.annotations or {}).get(OWNER_ANNOTATION) != OWNER_VALUE:
                        ctx.diagnostics.error(
                            f"creating {TYPE_NAME} ({_label(model)}): already exists",
                            f"A cluster named {model.name!r} already exists in namespace {model.namespace!r} and was "
                            "not created by this provider. Import it to manage it "
                            f"(terraform import {TYPE_NAME}.<name> {_label(model)}), or choose another name.",
                            ("name",),
                        )
                        return None
                    log.warning(
                        "%s already exists and carries this provider's ownership annotation: adopting it "
                        "(an earlier create's response was lost)",
                        label,
                    )
                    obj = client.update_cluster(
                        model.namespace, model.name, lambda cur: update_patch(cur, model, model)
                    )
            except errors.ApiError as exc:
                self._api_error(ctx, "creating", model, exc)
                return None
            state = from_api(obj, model)
            if model.wait_for_ready:
                try:
                    obj = client.wait_cluster_ready(
                        model.namespace,
                        model.name,
                        pools=_pools_to_wait_for(model),
                        deadline=ctx.deadline,
                        stop=ctx.stop,
                        logger=log,
                    )
                except errors.WaitTimeout as exc:
                    return to_tf(self._wait_error(ctx, "creating", model, exc))
                except errors.ApiError as exc:
                    self._api_error(ctx, "creating", model, exc)
                    return to_tf(state)
            try:
                return to_tf(
                    from_api(
                        obj,
                        model,
                        kubeconfig=self._kubeconfig(client, model),
                        trusted_ca_pems=self._pems(client, model),
                    )
                )
            except errors.ApiError as exc:
                self._api_error(ctx, "creating", model, exc)
                return to_tf(from_api(obj, model))

    def read(self, ctx: Context, state: dict[str, Any]) -> dict[str, Any] | None:
        from ..api import errors

        model = from_tf(Model, state)
        with logs.resource_context(TYPE_NAME, _label(model)):
            client = self._client(ctx)
            if client is None:
                return state
            try:
                obj = client.get_cluster(model.namespace, model.name)
            except errors.NotFound:
                _errors.gone(ctx, _label(model), "cluster")
                return None
            except errors.ApiError as exc:
                self._api_error(ctx, "reading", model, exc)
                return state
            importing = not model.kubernetes_version
            basis = from_api(obj, model) if importing else model
            try:
                read = from_api(
                    obj, model, kubeconfig=self._kubeconfig(client, model), trusted_ca_pems=self._pems(client, basis)
                )
            except errors.ApiError as exc:
                self._api_error(ctx, "reading", model, exc)
                return state
            return to_tf(read)

    def update(self, ctx: Context, prior: dict[str, Any], planned: dict[str, Any]) -> dict[str, Any] | None:
        from ..api import errors

        before, model = from_tf(Model, prior), from_tf(Model, planned)
        with logs.resource_context(TYPE_NAME, _label(model)):
            client = self._client(ctx)
            if client is None:
                return prior
            try:
                self._sync_trust_secret(client, before, model)
                obj = client.update_cluster(model.namespace, model.name, lambda cur: update_patch(cur, before, model))
            except errors.NotFound:
                return None
            except errors.ApiError as exc:
                self._api_error(ctx, "updating", model, exc)
                return prior
            if model.wait_for_ready:
                try:
                    obj = client.wait_cluster_settled(
                        model.namespace,
                        model.name,
                        generation=obj.metadata.generation or 0,
                        pools=_pools_to_wait_for(model),
                        deadline=ctx.deadline,
                        stop=ctx.stop,
                        logger=log,
                    )
                except errors.WaitTimeout as exc:
                    return to_tf(self._wait_error(ctx, "updating", model, exc))
                except errors.ApiError as exc:
                    self._api_error(ctx, "updating", model, exc)
                    return to_tf(from_api(obj, model))
            # The kubeconfig does not change on update; the planned (prior) value stays until the next refresh.
            return to_tf(from_api(obj, model, trusted_ca_pems=self._pems(client, model)))

    def _sync_trust_secret(self, client: SupervisorClient, before: Model, model: Model) -> None:
        from ..api import errors

        old, new = trust_secret(before), trust_secret(model)
        if new is not None and (old is None or old.data != new.data):
            client.apply_secret(new)
        elif new is None and old is not None:
            try:
                client.delete_secret(model.namespace, old.metadata.name)
            except errors.NotFound:
                pass

    def delete(self, ctx: Context, state: dict[str, Any]) -> None:
        from ..api import errors

        model = from_tf(Model, state)
        with logs.resource_context(TYPE_NAME, _label(model)):
            client = self._client(ctx)
            if client is None:
                return
            try:
                client.delete_cluster(model.namespace, model.name)
                log.info("[%s %s] deleting", TYPE_NAME, _label(model))
                client.wait_cluster_deleted(
                    model.namespace, model.name, deadline=ctx.deadline, stop=ctx.stop, logger=log
                )
            except errors.NotFound:
                pass
            except errors.WaitTimeout as exc:
                ctx.diagnostics.error(
                    f"deleting {TYPE_NAME} ({_label(model)}): not gone yet",
                    f"The cluster is still being deleted ({exc.message}). It stays in state; run terraform destroy "
                    "again to keep waiting, or raise timeouts.delete.",
                )
                return
            except errors.ApiError as exc:
                self._api_error(ctx, "deleting", model, exc)
                return
            if model.network is not None and model.network.trusted_ca:
                try:
                    client.delete_secret(model.namespace, f"{model.name}{TRUST_SECRET_SUFFIX}")
                except errors.ApiError:
                    pass

    def import_(self, ctx: Context, import_id: str) -> dict[str, Any] | None:
        parts = import_id.split("/")
        if len(parts) != 2 or not all(parts) or any(validators.dns1123_label(p) for p in parts):
            ctx.diagnostics.error(
                f"importing {TYPE_NAME}: invalid ID {import_id!r}",
                'Expected "<namespace>/<name>", e.g. terraform import tkg_cluster.prod demo-ns/prod-1.',
            )
            return None
        namespace, name = parts
        return to_tf(Model(id=import_id, name=name, namespace=namespace, cluster_class=None, wait_for_ready=True))
