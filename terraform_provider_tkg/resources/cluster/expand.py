"""Expand: the ``tkg_cluster`` model → the Cluster manifest (and the trusted-CA Secret) sent to the Supervisor."""

from __future__ import annotations

import base64
import json
from typing import TYPE_CHECKING, Any

from ...api.k8s_keys import AUTOSCALER_MAX, AUTOSCALER_MIN, CLUSTER_NAME_LABEL, RESOLVE_OS_IMAGE
from .model import ControlPlane, Model, NodePool, Taint, Volume
from .wire import (
    CNI_ANNOTATION,
    CREATE_TOKEN_ANNOTATION,
    DEFAULT_CLUSTER_CLASS,
    NODE_POOL_CLASS,
    OWNER_ANNOTATION,
    OWNER_VALUE,
    TRUST_SECRET_SUFFIX,
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

__all__ = [
    "as_int",
    "cluster_annotations",
    "cluster_variables",
    "os_selector",
    "parse_os_selector",
    "pool_annotations",
    "pool_overrides",
    "to_api",
    "trust_secret",
]


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


def pool_overrides(pool: NodePool) -> list[tuple[str, Any]]:
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


def os_selector(os_name: str | None, os_version: str | None) -> dict[str, str]:
    """The ``resolve-os-image`` annotation for a node OS choice (empty without one)."""
    if not os_name:
        return {}
    value = f"os-name={os_name}" + (f",os-version={os_version}" if os_version else "")
    return {RESOLVE_OS_IMAGE: value}


def parse_os_selector(annotations: dict[str, str] | None) -> tuple[str | None, str | None]:
    """(os_name, os_version) from a ``resolve-os-image`` annotation."""
    parts = dict(p.split("=", 1) for p in (annotations or {}).get(RESOLVE_OS_IMAGE, "").split(",") if "=" in p)
    return parts.get("os-name") or None, parts.get("os-version") or None


def pool_annotations(pool: NodePool) -> dict[str, str]:
    found = os_selector(pool.os_name, pool.os_version)
    if pool.autoscaler is not None:
        found[AUTOSCALER_MIN] = str(int(pool.autoscaler.min_size))
        found[AUTOSCALER_MAX] = str(int(pool.autoscaler.max_size))
    return found


def cluster_variables(model: Model) -> list[tuple[str, Any]]:
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


def cluster_annotations(model: Model) -> dict[str, str]:
    annotations = dict(model.annotations or {})
    if model.network is not None and isinstance(model.network.cni, str) and model.network.cni:
        annotations[CNI_ANNOTATION] = model.network.cni
    return annotations


def to_api(model: Model, *, create_token: str | None = None) -> k8s.Cluster:
    """The Cluster manifest for a (fully known) model; ``create_token`` is recorded in an annotation (``ownership``)."""
    from ...api import k8s_models as k8s

    def var(name: str, value: Any) -> k8s.ClusterVariable:
        return k8s.ClusterVariable(name=name, value=value)

    cp = model.control_plane or ControlPlane()
    cp_overrides = [var(n, v) for n, v in ((VAR_VM_CLASS, cp.vm_class), (VAR_STORAGE_CLASS, cp.storage_class)) if v]
    pools = []
    for pool in model.node_pool:
        annotations = pool_annotations(pool)
        overrides = [var(n, v) for n, v in pool_overrides(pool)]
        pools.append(
            k8s.MachineDeploymentTopology(
                **{"class": NODE_POOL_CLASS},
                name=pool.name,
                replicas=None if pool.autoscaler is not None else as_int(pool.replicas),
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
            annotations={
                **cluster_annotations(model),
                **({CREATE_TOKEN_ANNOTATION: create_token} if create_token else {}),
            },
        ),
        spec=k8s.ClusterSpec(
            clusterNetwork=cluster_network,
            topology=k8s.Topology(
                **{"class": model.cluster_class or DEFAULT_CLUSTER_CLASS},
                classNamespace=model.cluster_class_namespace or None,
                version=model.kubernetes_version or "",
                controlPlane=k8s.ControlPlaneTopology(
                    replicas=as_int(cp.replicas) if cp.replicas is not None else 1,
                    metadata=k8s.TopologyMetadata(annotations=os_selector(cp.os_name, cp.os_version))
                    if cp.os_name
                    else None,
                    nodeDrainTimeout=cp.node_drain_timeout,
                    variables=k8s.VariableOverrides(overrides=cp_overrides) if cp_overrides else None,
                ),
                workers=k8s.WorkersTopology(machineDeployments=pools),
                variables=[var(n, v) for n, v in cluster_variables(model)],
            ),
        ),
    )


def trust_secret(model: Model) -> k8s.Secret | None:
    """Secret ``<cluster>-user-trusted-ca-secret`` holding the trusted CAs (PEM, double base64 as the class expects)."""
    from ...api import k8s_models as k8s

    net = model.network
    if net is None or not net.trusted_ca:
        return None
    data = {ca.name: base64.b64encode(base64.b64encode(ca.pem.encode())).decode() for ca in net.trusted_ca}
    return k8s.Secret(
        metadata=k8s.ObjectMeta(
            name=f"{model.name}{TRUST_SECRET_SUFFIX}",
            namespace=model.namespace,
            labels={CLUSTER_NAME_LABEL: model.name},
            annotations={OWNER_ANNOTATION: OWNER_VALUE},
        ),
        type="Opaque",
        data=data,
    )


def as_int(value: Any) -> int | None:
    return None if value is None else int(value)
