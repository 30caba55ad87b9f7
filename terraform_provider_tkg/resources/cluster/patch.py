"""Update: a JSON merge patch taking the live Cluster from the prior settings to the planned ones, touching only what
changed (and never what this resource does not manage)."""

from __future__ import annotations

import copy
import json
from typing import TYPE_CHECKING, Any

from ...api.k8s_keys import AUTOSCALER_MAX, AUTOSCALER_MIN, RESOLVE_OS_IMAGE
from .expand import cluster_annotations, cluster_variables, os_selector, pool_annotations, pool_overrides
from .flatten import keep_duration
from .model import ControlPlane, Model, NodePool
from .wire import (
    CNI_ANNOTATION,
    CP_OVERRIDES,
    NODE_POOL_CLASS,
    VAR_STORAGE_CLASS,
    VAR_VM_CLASS,
)

if TYPE_CHECKING:
    from ...api import k8s_models as k8s

__all__ = ["update_patch"]


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


def _merged_pool(current: dict[str, Any] | None, pool: NodePool, before: NodePool | None) -> dict[str, Any]:
    """The pool's topology entry: ``current`` with what ``pool`` declares set, and what only ``before`` (the prior
    configuration) declared removed; settings neither declares (the platform's) stay as they are."""
    before = before or NodePool()
    entry: dict[str, Any] = copy.deepcopy(current) if current else {"class": NODE_POOL_CLASS, "name": pool.name}
    if pool.autoscaler is None and pool.replicas is not None:
        entry["replicas"] = int(pool.replicas)
    else:
        entry.pop("replicas", None)
    if pool.failure_domain:
        entry["failureDomain"] = pool.failure_domain
    elif before.failure_domain:
        entry.pop("failureDomain", None)
    metadata = dict(entry.get("metadata") or {})
    managed_keys = (AUTOSCALER_MIN, AUTOSCALER_MAX) if pool.autoscaler or before.autoscaler else ()
    if pool.os_name or before.os_name:
        managed_keys = (*managed_keys, RESOLVE_OS_IMAGE)
    annotations = {k: v for k, v in (metadata.get("annotations") or {}).items() if k not in managed_keys}
    annotations.update(pool_annotations(pool))
    if annotations:
        metadata["annotations"] = annotations
    else:
        metadata.pop("annotations", None)
    if metadata:
        entry["metadata"] = metadata
    else:
        entry.pop("metadata", None)
    managed = {name for name, _ in pool_overrides(pool) + pool_overrides(before)}
    overrides = _merge_variables(
        list((entry.get("variables") or {}).get("overrides") or []), pool_overrides(pool), managed
    )
    if overrides:
        entry["variables"] = {**(entry.get("variables") or {}), "overrides": overrides}
    else:
        entry.pop("variables", None)
    return entry


def update_patch(current: k8s.Cluster, prior: Model, planned: Model) -> dict[str, Any]:
    """A JSON merge patch taking ``current`` from ``prior``'s settings to ``planned``'s, touching only what changed.

    Only settings ``prior`` or ``planned`` declares are managed: one the user removed from the configuration is
    removed from the cluster; one neither declares (a value the platform set) is left alone.

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
    if prior.network is not None and isinstance(prior.network.cni, str) and prior.network.cni:
        prior_annotations[CNI_ANNOTATION] = prior.network.cni
    annotations = _map_patch(meta.get("annotations"), prior_annotations, cluster_annotations(planned))
    if annotations:
        metadata["annotations"] = annotations
    if metadata:
        patch["metadata"] = metadata

    topo: dict[str, Any] = {}
    if planned.kubernetes_version != prior.kubernetes_version:
        topo["version"] = planned.kubernetes_version
    if planned.cluster_class and planned.cluster_class != topology.get("class"):
        topo["class"] = planned.cluster_class
    if planned.cluster_class_namespace != prior.cluster_class_namespace:
        topo["classNamespace"] = planned.cluster_class_namespace  # None removes it (merge patch)

    cp_current = topology.get("controlPlane") or {}
    cp = planned.control_plane or ControlPlane()
    cp_before = prior.control_plane or ControlPlane()
    cp_patch: dict[str, Any] = {}
    replicas = int(cp.replicas) if cp.replicas is not None else 1
    if cp_current.get("replicas") != replicas:
        cp_patch["replicas"] = replicas
    drain_managed = cp.node_drain_timeout is not None or cp_before.node_drain_timeout is not None
    if drain_managed and cp_current.get("nodeDrainTimeout") != cp.node_drain_timeout:
        old = cp_current.get("nodeDrainTimeout")
        same = (
            old is not None
            and cp.node_drain_timeout is not None
            and keep_duration(old, cp.node_drain_timeout) == cp.node_drain_timeout
        )
        if not same:
            cp_patch["nodeDrainTimeout"] = cp.node_drain_timeout
    cp_overrides_now = list((cp_current.get("variables") or {}).get("overrides") or [])
    cp_desired = [(n, v) for n, v in ((VAR_VM_CLASS, cp.vm_class), (VAR_STORAGE_CLASS, cp.storage_class)) if v]
    cp_declared = {
        VAR_VM_CLASS: (cp.vm_class, cp_before.vm_class),
        VAR_STORAGE_CLASS: (cp.storage_class, cp_before.storage_class),
    }
    cp_managed = {n for n in CP_OVERRIDES if any(cp_declared[n])}
    cp_overrides = _merge_variables(cp_overrides_now, cp_desired, cp_managed)
    if cp_overrides != cp_overrides_now:
        cp_patch["variables"] = {"overrides": cp_overrides}
    cp_annotations_now = dict((cp_current.get("metadata") or {}).get("annotations") or {})
    cp_annotations = dict(cp_annotations_now)
    if cp.os_name or cp_before.os_name:  # only a declared OS choice is managed
        cp_annotations.pop(RESOLVE_OS_IMAGE, None)
        cp_annotations.update(os_selector(cp.os_name, cp.os_version))
    if cp_annotations != cp_annotations_now:
        # Merge patch: null removes the selector when the OS choice is dropped.
        cp_patch["metadata"] = {"annotations": {**cp_annotations, **({} if cp.os_name else {RESOLVE_OS_IMAGE: None})}}
    if cp_patch:
        topo["controlPlane"] = cp_patch

    mds_now = list((topology.get("workers") or {}).get("machineDeployments") or [])
    by_name = {md.get("name"): md for md in mds_now}
    prior_pools = {pool.name: pool for pool in prior.node_pool}
    mds = [_merged_pool(by_name.get(pool.name), pool, prior_pools.get(pool.name)) for pool in planned.node_pool]
    if mds != mds_now:
        topo["workers"] = {"machineDeployments": mds}

    variables_now = list(topology.get("variables") or [])
    # Only variables one of the two configurations declares: what the platform set by itself stays.
    managed = {name for name, _ in cluster_variables(prior) + cluster_variables(planned)}
    variables = _merge_variables(variables_now, cluster_variables(planned), managed)
    if variables != variables_now:
        topo["variables"] = variables
    if topo:
        patch["spec"] = {"topology": topo}
    return patch
