"""Flatten: a Cluster read from the Supervisor → the ``tkg_cluster`` model.

This is where "zero spurious diffs" is earned: the server defaults variables, the release resolver rewrites
``spec.topology.version`` and adds a label and a ``TKR_DATA`` variable, and lists come back in any order. ``from_api``
reads back only what the user declared (variables and labels by name, pools by name, versions by release), keeping
the user's spelling whenever the server's value means the same thing; anything the user declared that changed on the
server shows up as drift.
"""

from __future__ import annotations

import base64
import json
import re
from typing import TYPE_CHECKING, Any

from ...api.k8s_keys import AUTOSCALER_MAX, AUTOSCALER_MIN, TKR_LABEL
from ...api.releases import designates, name_form
from ...framework import durations
from ...framework.diagnostics import Key, Path
from ...framework.types import Json
from .expand import cluster_variables, parse_os_selector
from .model import Autoscaler, ControlPlane, Model, Network, NodePool, Proxy, Storage, Taint, TrustedCa, Volume
from .wire import (
    CNI_ANNOTATION,
    CREATE_TOKEN_ANNOTATION,
    DEFAULT_CNI,
    DEFAULTED_VARIABLES,
    MANAGED_VARIABLES,
    OWNER_ANNOTATION,
    PLATFORM_VARIABLES,
    SYSTEM_KEY,
    SYSTEM_VARIABLES,
    VAR_CP_VOLUMES,
    VAR_DEFAULT_STORAGE_CLASS,
    VAR_POOL_LABELS,
    VAR_POOL_TAINTS,
    VAR_POOL_VOLUMES,
    VAR_PROXY,
    VAR_STORAGE_CLASS,
    VAR_STORAGE_CLASSES,
    VAR_TRUST,
    VAR_VM_CLASS,
)

if TYPE_CHECKING:
    from ...api import k8s_models as k8s

__all__ = ["WIRE_TO_TF_PATH", "from_api", "keep_duration", "same_release", "tf_path", "trusted_ca_pems"]


def same_release(written: str, wire_version: str, tkr_label: str | None) -> bool:
    """Whether the server's resolved release is what ``written`` asked for (a name, a version or a prefix)."""
    if written in (wire_version, tkr_label):
        return True
    for candidate in (tkr_label, name_form(wire_version) if wire_version else None):
        if candidate and designates(written, candidate):
            return True
    # The resolver rewrote a release name to its Kubernetes version (``v1.31.4---vmware.1-fips-vkr.3`` →
    # ``v1.31.4+vmware.1-fips``): the wire version, in name form, is a prefix of the name.
    wire_name = name_form(wire_version)
    return bool(wire_name) and designates(wire_name, name_form(written))


def _read_version(obj: k8s.Cluster, prior: str | None) -> str:
    topology = obj.spec.topology
    wire = topology.version if topology else ""
    label = (obj.metadata.labels or {}).get(TKR_LABEL)
    if prior and same_release(prior, wire, label):
        return prior
    return label or wire


def _keep_order(values: list[Any] | None, prior: list[Any] | None) -> list[Any] | None:
    """``values``, but in ``prior``'s order when both hold the same elements (servers may reorder lists)."""
    if values is None or prior is None:
        return values
    if sorted(map(str, values)) == sorted(map(str, prior)):
        return list(prior)
    return values


def keep_duration(value: str | None, prior: str | None) -> str | None:
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
        found = {k: v for k, v in server.items() if not SYSTEM_KEY.match(k)}
        return found or None
    if prior is None:
        return None
    return {k: server[k] for k in prior if k in server}


def _empty_as_prior(value: Any, prior: Any) -> Any:
    """An empty collection reads as the user wrote it: null when they left it out, empty when they wrote it empty."""
    if value:
        return value
    return None if prior is None else type(prior)()


def _take(value: Any, declared: Any, everything: bool) -> Any:
    """The server's ``value`` of an optional setting, when it is the user's to see: everything on import (and for
    objects the configuration does not know), otherwise only what the configuration declared. A value the platform
    adds to a setting the user left out never lands in state (Terraform would call the apply inconsistent)."""
    return value if everything or declared is not None else None


def _read_volumes(wire: Any, prior: list[Volume], everything: bool) -> list[Volume]:
    if not everything and not prior:
        return []
    declared = {v.name: v for v in prior}
    volumes = []
    for v in wire if isinstance(wire, list) else []:
        if not isinstance(v, dict):
            continue
        name = str(v.get("name", ""))
        known_volume = declared.get(name)
        volumes.append(
            Volume(
                name=name,
                mount_path=str(v.get("mountPath", "")),
                capacity_gib=_capacity_gib(v.get("capacity")),
                storage_class=_take(
                    v.get("storageClass"),
                    known_volume.storage_class if known_volume else None,
                    everything or known_volume is None,
                ),
            )
        )
    return _by_prior(volumes, prior, lambda v: v.name)


def _read_pool(md: k8s.MachineDeploymentTopology, prior: NodePool | None, importing: bool) -> NodePool:
    # A pool the configuration does not have (added outside Terraform) is read whole: it shows as drift.
    everything = importing or prior is None
    p = prior or NodePool()
    overrides = _overrides(md.variables)
    annotations = (md.metadata.annotations if md.metadata else None) or {}
    autoscaler = None
    if (everything or p.autoscaler is not None) and (AUTOSCALER_MIN in annotations or AUTOSCALER_MAX in annotations):
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
    os_name, os_version = parse_os_selector(annotations)
    return NodePool(
        name=md.name,
        os_name=_take(os_name, p.os_name, everything),
        os_version=_take(os_version, p.os_version, everything),
        replicas=None if autoscaler is not None or p.autoscaler is not None else md.replicas,
        vm_class=_take(overrides.get(VAR_VM_CLASS), p.vm_class, everything),
        storage_class=_take(overrides.get(VAR_STORAGE_CLASS), p.storage_class, everything),
        failure_domain=_take(md.failureDomain, p.failure_domain, everything),
        labels=_empty_as_prior(labels, p.labels) if everything or p.labels is not None else None,
        autoscaler=autoscaler,
        taint=_by_prior(taints, p.taint, lambda x: (x.key, x.effect)) if everything or p.taint else [],
        volume=_read_volumes(overrides.get(VAR_POOL_VOLUMES), p.volume, everything),
    )


def _read_variables(obj: k8s.Cluster, prior: dict[str, str] | None, importing: bool) -> dict[str, str] | None:
    topology = obj.spec.topology
    server = {v.name: v.value for v in ((topology.variables if topology else None) or [])}
    if importing:
        names = [
            n
            for n in server
            if n not in MANAGED_VARIABLES
            and n not in SYSTEM_VARIABLES
            and n not in PLATFORM_VARIABLES
            and server[n] != DEFAULTED_VARIABLES.get(n)
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
        # Read back as jsonencode() writes it, so that an import matches the configuration exactly.
        out[name] = old if same and old is not None else Json.encode(server[name])
    if importing and not out:
        return None
    return out


def _read_network(
    obj: k8s.Cluster, prior: Network | None, importing: bool, pems: dict[str, str] | None, real_cni: str | None
) -> Network | None:
    if prior is None and not importing:
        return None  # the user left the block out: server defaults of the cluster network are not theirs
    p = prior or Network()
    cn = obj.spec.clusterNetwork
    pods = (cn.pods.cidrBlocks if cn and cn.pods else None) or None
    services = (cn.services.cidrBlocks if cn and cn.services else None) or None
    domain = cn.serviceDomain if cn else None
    proxy_wire = obj.variable(VAR_PROXY)
    proxy = None
    if isinstance(proxy_wire, dict) and (importing or p.proxy is not None):
        q = p.proxy or Proxy()
        proxy = Proxy(
            http_proxy=_take(proxy_wire.get("httpProxy"), q.http_proxy, importing),
            https_proxy=_take(proxy_wire.get("httpsProxy"), q.https_proxy, importing),
            no_proxy=_take(_keep_order(proxy_wire.get("noProxy"), q.no_proxy), q.no_proxy, importing),
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
    # The ClusterBootstrap says which CNI really runs; the annotation is what this provider asked for (older clusters).
    # The ClusterBootstrap says which CNI runs; the annotation records that this provider was asked for one.
    asked = (obj.metadata.annotations or {}).get(CNI_ANNOTATION)
    cni = real_cni or asked
    if importing and not asked and cni == DEFAULT_CNI:
        cni = None  # the platform's default that nobody asked for: not imported, like a defaulted variable
    network = Network(
        pods_cidr_blocks=_take(_keep_order(pods, p.pods_cidr_blocks), p.pods_cidr_blocks, importing),
        services_cidr_blocks=_take(_keep_order(services, p.services_cidr_blocks), p.services_cidr_blocks, importing),
        service_domain=_take(domain, p.service_domain, importing),
        cni=_take(cni, p.cni, importing),
        proxy=proxy,
        trusted_ca=_by_prior(cas, p.trusted_ca, lambda x: x.name) if importing or p.trusted_ca else [],
    )
    if prior is None and network == Network():
        return None
    return network


def _read_control_plane(obj: k8s.Cluster, prior: ControlPlane, importing: bool) -> ControlPlane:
    topology = obj.spec.topology
    cp = topology.controlPlane if topology else None
    overrides = _overrides(cp.variables if cp else None)
    os_name, os_version = parse_os_selector((cp.metadata.annotations if cp and cp.metadata else None) or {})
    return ControlPlane(
        os_name=_take(os_name, prior.os_name, importing),
        os_version=_take(os_version, prior.os_version, importing),
        replicas=(cp.replicas if cp and cp.replicas is not None else 1),
        vm_class=_take(overrides.get(VAR_VM_CLASS), prior.vm_class, importing),
        storage_class=_take(overrides.get(VAR_STORAGE_CLASS), prior.storage_class, importing),
        node_drain_timeout=_take(
            keep_duration(cp.nodeDrainTimeout if cp else None, prior.node_drain_timeout or _short(cp)),
            prior.node_drain_timeout,
            importing,
        ),
        volume=_read_volumes(obj.variable(VAR_CP_VOLUMES), prior.volume, importing),
    )


def _short(cp: Any) -> str | None:
    """The short spelling of the server's drain timeout (Kubernetes writes ``5m0s``; users write ``5m``), for import."""
    text = cp.nodeDrainTimeout if cp else None
    try:
        seconds = durations.parse(text) if text else None
    except ValueError:
        return None
    return durations.format_seconds(seconds) if seconds is not None and seconds == int(seconds) else None


def _read_storage(obj: k8s.Cluster, prior: Storage | None, importing: bool) -> Storage | None:
    if prior is None and not importing:
        return None
    p = prior or Storage()
    classes = obj.variable(VAR_STORAGE_CLASSES)
    storage = Storage(
        classes=_take(
            _keep_order(list(classes), p.classes) if isinstance(classes, list) and classes else None,
            p.classes,
            importing,
        ),
        default_class=_take(obj.variable(VAR_DEFAULT_STORAGE_CLASS), p.default_class, importing),
    )
    if storage == Storage():
        return None if prior is None else Storage(classes=None if p.classes is None else [], default_class=None)
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
    cni: str | None = None,
) -> Model:
    """The Terraform model of a Cluster, reading back only what ``prior`` (the plan, or the state) declared.

    ``cni`` is the CNI the cluster's ClusterBootstrap names (None: unknown, the provider's annotation is used).

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
    pools = _by_prior(
        [_read_pool(md, prior_pools.get(md.name), importing) for md in mds], p.node_pool, lambda x: x.name
    )
    annotations = {
        k: v
        for k, v in (obj.metadata.annotations or {}).items()
        if k not in (OWNER_ANNOTATION, CREATE_TOKEN_ANNOTATION, CNI_ANNOTATION)
    }
    return Model(
        id=f"{obj.metadata.namespace}/{obj.metadata.name}",
        name=obj.metadata.name,
        namespace=obj.metadata.namespace or p.namespace,
        cluster_class=(topology.class_ if topology else None) or p.cluster_class,
        cluster_class_namespace=(topology.classNamespace if topology else None)
        if importing or p.cluster_class_namespace is not None
        else None,
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
        control_plane=_read_control_plane(obj, ControlPlane() if importing else p.control_plane, importing),
        node_pool=pools,
        network=_read_network(obj, p.network, importing, trusted_ca_pems, cni),
        storage=_read_storage(obj, p.storage, importing),
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
        names = [n for n, _ in cluster_variables(model)]
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


def trusted_ca_pems(secret: k8s.Secret | None) -> dict[str, str]:
    """name → PEM from the trusted-CA Secret (undoing the double base64)."""
    out: dict[str, str] = {}
    for name, value in ((secret.data if secret else None) or {}).items():
        try:
            out[name] = base64.b64decode(base64.b64decode(value)).decode()
        except ValueError:
            continue
    return out
