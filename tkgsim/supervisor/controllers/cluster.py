"""The CAPI/TKG Cluster controller as a pure function (reference §4.2-4.4).

``reconcile(cluster, now, state=..., settings=...)`` looks at a Cluster and the controller's private progress record
(``state``: which simulated machines exist at which version) and returns an :class:`Outcome`: the merge patch for
the Cluster's metadata/spec, its complete new ``status``, the new progress record and when to be called again.
Exactly one simulated step (a machine created, replaced or deleted; infrastructure becoming ready; …) happens per
call once ``state["next_at"]`` has passed, so every intermediate state is written and watchable even with
``delay_scale`` 0.

Provisioning order: first reconcile (finalizer, refs, ``Provisioning``) → infrastructure ready (endpoint,
``Provisioned``, kubeconfig Secret) → control-plane machines one by one (``ControlPlaneInitialized`` after the first,
``ControlPlaneReady``/``Ready`` after the last) → worker machines pool by pool. Upgrades replace control-plane
machines first (``TopologyReconciled=False MachineDeploymentsUpgradePending``), then each pool in turn. Deletion walks
workers → control plane → infrastructure, then drops the ``cluster.cluster.x-k8s.io`` finalizer.
"""

from __future__ import annotations

import copy
import hashlib
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

__all__ = [
    "FINALIZER",
    "Outcome",
    "Settings",
    "control_plane_replicas",
    "desired_pools",
    "kcp_name",
    "kcp_object",
    "md_name",
    "md_objects",
    "nodes",
    "reconcile",
]

FINALIZER = "cluster.cluster.x-k8s.io"
CLUSTER_NAME_LABEL = "cluster.x-k8s.io/cluster-name"


@dataclass(frozen=True)
class Settings:
    """Timings (seconds, already multiplied by ``delay_scale``), faults and facts the controller may not look up."""

    reconcile: float = 1.0
    infrastructure: float = 5.0
    control_plane_machine: float = 4.0
    worker_machine: float = 3.0
    deletion_step: float = 2.0
    stuck: bool = False
    failed_reason: str | None = None
    endpoint_host: str = "127.0.0.1"
    endpoint_port: int = 6443
    updates_available: tuple[str, ...] = ()
    poll: float = 1.0
    # "off", "transient" (TopologyReconcileFailed for ``transient_error`` seconds when work starts) or "permanent".
    topology_errors: str = "off"
    transient_error: float = 1.0
    # Report the new generation as reconciled for ``race_window`` seconds before machines start rolling.
    upgrade_race: bool = False
    race_window: float = 1.0


@dataclass
class Outcome:
    """What one reconcile decided."""

    patch: dict[str, Any] | None
    status: dict[str, Any] | None
    state: dict[str, Any]
    requeue_after: float | None
    children: dict[str, Any] = field(default_factory=dict)


def _suffix(seed: str) -> str:
    alphabet = "bcdfghjklmnpqrstvwxz2456789"
    digest = hashlib.sha256(seed.encode()).digest()
    return "".join(alphabet[b % len(alphabet)] for b in digest[:5])


def kcp_name(cluster: dict[str, Any]) -> str:
    """``<cluster>-<5 random>`` (stable per Cluster uid)."""
    return f"{cluster['metadata']['name']}-{_suffix(cluster['metadata'].get('uid', '') + '/kcp')}"


def md_name(cluster: dict[str, Any], pool: str) -> str:
    """``<cluster>-<pool>-<5 random>`` like the topology controller names MachineDeployments."""
    return f"{cluster['metadata']['name']}-{pool}-{_suffix(cluster['metadata'].get('uid', '') + '/' + pool)}"


def control_plane_replicas(cluster: dict[str, Any]) -> int:
    topology = (cluster.get("spec") or {}).get("topology") or {}
    raw = (topology.get("controlPlane") or {}).get("replicas", 1)
    return int(raw) if isinstance(raw, int) else 1


def desired_pools(cluster: dict[str, Any]) -> list[tuple[str, int]]:
    """(pool name, replicas) in spec order; replicas default to the autoscaler min-size annotation, else 1."""
    topology = (cluster.get("spec") or {}).get("topology") or {}
    pools: list[tuple[str, int]] = []
    for md in (topology.get("workers") or {}).get("machineDeployments") or []:
        replicas = md.get("replicas")
        if not isinstance(replicas, int):
            annotations = (md.get("metadata") or {}).get("annotations") or {}
            raw = annotations.get("cluster.x-k8s.io/cluster-api-autoscaler-node-group-min-size", "1")
            replicas = int(raw) if str(raw).isdigit() else 1
        pools.append((str(md.get("name", "")), max(int(replicas), 0)))
    return pools


def _iso(now: float) -> str:
    return datetime.fromtimestamp(now, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _machine(cluster: dict[str, Any], role: str, version: str, now: float, counter: int) -> dict[str, Any]:
    uid = cluster["metadata"].get("uid", "")
    name = f"{cluster['metadata']['name']}-{role}-{_suffix(f'{uid}/{role}/{counter}')}"
    return {"name": name, "version": version, "created": _iso(now)}


def _fresh_state(uid: str) -> dict[str, Any]:
    return {
        "uid": uid,
        "next_at": 0.0,
        "started": False,
        "infra_ready": False,
        "cp": [],
        "pools": {},
        "counter": 0,
        "deleting": None,
    }


# ------------------------------------------------------------------------------------------------- one step


def _step_provision(cluster: dict[str, Any], state: dict[str, Any], now: float, s: Settings) -> float | None:
    """Perform the next provisioning/rollout step; returns the delay before the one after (None: nothing to do)."""
    version = str(((cluster.get("spec") or {}).get("topology") or {}).get("version", ""))
    replicas = control_plane_replicas(cluster)
    if not state["infra_ready"]:
        state["infra_ready"] = True
        return s.control_plane_machine
    if s.stuck or s.failed_reason:
        return None
    cp: list[dict[str, Any]] = state["cp"]
    if replicas > 0 and replicas % 2 == 1:
        outdated = [m for m in cp if m["version"] != version]
        if len(cp) < replicas and (not outdated or len(cp) == 0):
            state["counter"] += 1
            cp.append(_machine(cluster, "cp", version, now, state["counter"]))
            return s.control_plane_machine
        if outdated:
            cp.remove(outdated[0])
            state["counter"] += 1
            cp.append(_machine(cluster, "cp", version, now, state["counter"]))
            return s.control_plane_machine
        if len(cp) > replicas:
            cp.pop(0)
            return s.control_plane_machine
    if not cp:
        return None
    cp_settled = len(cp) == replicas and all(m["version"] == version for m in cp)
    wanted = dict(desired_pools(cluster))
    pools: dict[str, Any] = state["pools"]
    for name in [p for p in pools if p not in wanted]:
        del pools[name]
        return s.worker_machine
    for name, count in desired_pools(cluster):
        pool = pools.setdefault(name, {"nodes": []})
        nodes: list[dict[str, Any]] = pool["nodes"]
        pool_version = version if cp_settled else (nodes[0]["version"] if nodes else None)
        if pool_version is None:
            continue  # a new pool during a control-plane upgrade waits (MachineDeploymentsCreatePending)
        outdated = [n for n in nodes if n["version"] != pool_version]
        if len(nodes) < count and not outdated:
            state["counter"] += 1
            nodes.append(_machine(cluster, f"{name}-w", pool_version, now, state["counter"]))
            return s.worker_machine
        if outdated:
            nodes.remove(outdated[0])
            state["counter"] += 1
            nodes.append(_machine(cluster, f"{name}-w", pool_version, now, state["counter"]))
            return s.worker_machine
        if len(nodes) > count:
            nodes.pop(0)
            return s.worker_machine
    return None


def _step_delete(state: dict[str, Any], s: Settings) -> tuple[float | None, bool]:
    """One deletion step; returns (delay, finished)."""
    if state["pools"]:
        state["deleting"] = "WaitingForWorkersDeletion"
        del state["pools"][next(iter(state["pools"]))]
        return s.deletion_step, False
    if state["cp"]:
        state["deleting"] = "WaitingForControlPlaneDeletion"
        state["cp"] = []
        return s.deletion_step, False
    if state["infra_ready"]:
        state["deleting"] = "WaitingForInfrastructureDeletion"
        state["infra_ready"] = False
        return s.deletion_step, False
    state["deleting"] = "DeletionCompleted"
    return None, True


# ------------------------------------------------------------------------------------------------- status


def _condition(kind: str, ok: bool, reason: str = "", message: str = "", severity: str = "Info") -> dict[str, Any]:
    cond: dict[str, Any] = {"type": kind, "status": "True" if ok else "False"}
    if not ok:
        cond["severity"] = severity
        cond["reason"] = reason
        if message:
            cond["message"] = message
    return cond


def _pool_views(cluster: dict[str, Any], state: dict[str, Any], version: str) -> list[dict[str, Any]]:
    views = []
    for name, count in desired_pools(cluster):
        nodes = (state["pools"].get(name) or {}).get("nodes") or []
        views.append(
            {
                "name": name,
                "md": md_name(cluster, name),
                "desired": count,
                "replicas": len(nodes),
                "upToDate": sum(1 for n in nodes if n["version"] == version),
                "version": nodes[0]["version"] if nodes else version,
            }
        )
    return views


def _racing(state: dict[str, Any], s: Settings, now: float) -> bool:
    return s.upgrade_race and float(state.get("race_until") or 0.0) > now


def _erroring(state: dict[str, Any], s: Settings, now: float) -> bool:
    if s.topology_errors == "permanent":
        return True
    return (
        s.topology_errors == "transient" and not _racing(state, s, now) and float(state.get("error_until") or 0) > now
    )


TRANSIENT_MESSAGE = (
    "error reconciling the Cluster topology: failed to create patch helper for KubeadmControlPlane: "
    'Internal error occurred: failed calling webhook "default.kubeadmcontrolplane.controlplane.cluster.x-k8s.io": '
    'failed to call webhook: Post "https://capi-kubeadm-control-plane-webhook-service.vmware-system-capw.svc:443/'
    'mutate-controlplane-cluster-x-k8s-io-v1beta1-kubeadmcontrolplane?timeout=10s": context deadline exceeded'
)


def compute_status(cluster: dict[str, Any], state: dict[str, Any], s: Settings, now: float) -> dict[str, Any]:
    """The Cluster's status for a progress record (pure)."""
    spec = cluster.get("spec") or {}
    version = str((spec.get("topology") or {}).get("version", ""))
    if _racing(state, s, now) and state.get("race_version"):
        # The topology controller has not yet noticed the new version: everything looks settled at the old one.
        version = str(state["race_version"])
    replicas = control_plane_replicas(cluster)
    cp = state["cp"]
    cp_uptodate = sum(1 for m in cp if m["version"] == version)
    pools = _pool_views(cluster, state, version)
    deleting = bool(cluster["metadata"].get("deletionTimestamp"))
    conditions: list[dict[str, Any]] = []
    if deleting:
        for kind in ("InfrastructureReady", "ControlPlaneReady", "TopologyReconciled", "Ready"):
            conditions.append(_condition(kind, False, "Deleted", severity="Info"))
        conditions.append(_condition("ControlPlaneInitialized", bool(state.get("initialized"))))
    else:
        if (s.failed_reason and not state["infra_ready"]) or s.failed_reason:
            infra = _condition(
                "InfrastructureReady",
                False,
                s.failed_reason,
                f"simulated provisioning failure: {s.failed_reason}",
                "Error",
            )
        elif state["infra_ready"]:
            infra = _condition("InfrastructureReady", True)
        else:
            infra = _condition("InfrastructureReady", False, "WaitingForInfrastructure")
        conditions.append(infra)
        initialized = bool(cp) or bool(state.get("initialized"))
        conditions.append(
            _condition(
                "ControlPlaneInitialized",
                initialized,
                "WaitingForControlPlaneProviderInitialized",
                "Waiting for control plane provider to indicate the control plane has been initialized",
            )
        )
        if not cp:
            cp_ready = _condition(
                "ControlPlaneReady",
                False,
                "WaitingForControlPlane",
                "Waiting for control plane provider to indicate the control plane has been initialized"
                if not initialized
                else "",
            )
        elif cp_uptodate < len(cp):
            cp_ready = _condition(
                "ControlPlaneReady",
                False,
                "RollingUpdateInProgress",
                f"Rolling {len(cp)} replicas with outdated spec ({cp_uptodate} replicas up to date)",
                "Warning",
            )
        elif len(cp) < replicas:
            cp_ready = _condition(
                "ControlPlaneReady",
                False,
                "ScalingUp",
                f"Scaling up control plane to {replicas} replicas (actual {len(cp)})",
                "Warning",
            )
        elif len(cp) > replicas:
            cp_ready = _condition(
                "ControlPlaneReady",
                False,
                "ScalingDown",
                f"Scaling down control plane to {replicas} replicas (actual {len(cp)})",
                "Warning",
            )
        else:
            cp_ready = _condition("ControlPlaneReady", True)
        conditions.append(cp_ready)
        if _erroring(state, s, now):
            conditions.append(
                _condition("TopologyReconciled", False, "TopologyReconcileFailed", TRANSIENT_MESSAGE, "Error")
            )
        else:
            conditions.append(_topology_condition(cluster, state, version, replicas, pools))
        if infra["status"] == "True" and cp_ready["status"] == "True":
            ready = _condition("Ready", True)
        else:
            worst = infra if infra["status"] != "True" else cp_ready
            ready = _condition(
                "Ready", False, worst.get("reason", ""), worst.get("message", ""), worst.get("severity", "Info")
            )
        conditions.append(ready)
    if s.updates_available:
        conditions.append(
            {"type": "UpdatesAvailable", "status": "True", "message": "[" + " ".join(s.updates_available) + "]"}
        )
    else:
        conditions.append(_condition("UpdatesAvailable", False, "AlreadyUpToDate"))
    previous = {c.get("type"): c for c in (cluster.get("status") or {}).get("conditions") or []}
    for cond in conditions:
        old: dict[str, Any] = previous.get(cond["type"]) or {}
        same = old.get("status") == cond["status"] and bool(old.get("lastTransitionTime"))
        cond["lastTransitionTime"] = old["lastTransitionTime"] if same else _iso(now)
    conditions.sort(key=lambda c: (c["type"] != "Ready", c["type"]))
    if deleting:
        phase = "Deleting"
    elif s.failed_reason:
        phase = "Failed"
    elif state["infra_ready"]:
        phase = "Provisioned"
    elif state["started"]:
        phase = "Provisioning"
    else:
        phase = "Pending"
    status: dict[str, Any] = {
        "phase": phase,
        "infrastructureReady": bool(state["infra_ready"]),
        "controlPlaneReady": bool(cp),
        "observedGeneration": int(cluster["metadata"].get("generation", 1)),
        "conditions": conditions,
    }
    if s.failed_reason and not deleting:
        status["failureReason"] = s.failed_reason
        status["failureMessage"] = f"simulated provisioning failure: {s.failed_reason}"
    workers_desired = sum(p["desired"] for p in pools)
    workers_ready = sum(p["replicas"] for p in pools)
    workers_uptodate = sum(p["upToDate"] for p in pools)
    workers_ok = all(p["replicas"] == p["desired"] and p["upToDate"] == p["desired"] for p in pools)
    cp_ok = len(cp) == replicas and cp_uptodate == replicas
    v2_conditions = [
        _v2("ControlPlaneAvailable", bool(cp), "Available" if cp else "NotAvailable"),
        _v2("WorkersAvailable", workers_ok and not deleting, "Available" if workers_ok else "NotAvailable"),
        _v2(
            "Available",
            bool(cp_ok and workers_ok and state["infra_ready"] and not deleting and not s.failed_reason),
            "Available" if cp_ok and workers_ok and state["infra_ready"] else "NotAvailable",
        ),
    ]
    if deleting:
        v2_conditions.append(_v2("Deleting", True, state.get("deleting") or "WaitingForWorkersDeletion"))
    previous_v2 = {
        c.get("type"): c for c in ((cluster.get("status") or {}).get("v1beta2") or {}).get("conditions") or []
    }
    for cond in v2_conditions:
        old_v2: dict[str, Any] = previous_v2.get(cond["type"]) or {}
        same = old_v2.get("status") == cond["status"] and bool(old_v2.get("lastTransitionTime"))
        cond["lastTransitionTime"] = old_v2["lastTransitionTime"] if same else _iso(now)
        cond["observedGeneration"] = status["observedGeneration"]
    status["v1beta2"] = {
        "conditions": v2_conditions,
        "controlPlane": {
            "desiredReplicas": replicas,
            "replicas": len(cp),
            "upToDateReplicas": cp_uptodate,
            "readyReplicas": len(cp),
            "availableReplicas": len(cp),
        },
        "workers": {
            "desiredReplicas": workers_desired,
            "replicas": workers_ready,
            "upToDateReplicas": workers_uptodate,
            "readyReplicas": workers_ready,
            "availableReplicas": workers_ready,
        },
    }
    return status


def _v2(kind: str, ok: bool, reason: str) -> dict[str, Any]:
    return {"type": kind, "status": "True" if ok else "False", "reason": reason}


def _topology_condition(
    cluster: dict[str, Any], state: dict[str, Any], version: str, replicas: int, pools: list[dict[str, Any]]
) -> dict[str, Any]:
    if replicas <= 0:
        return _condition(
            "TopologyReconciled",
            False,
            "TopologyReconcileFailed",
            "KubeadmControlPlane.controlplane.cluster.x-k8s.io is invalid: "
            "spec.replicas: Forbidden: cannot be less than or equal to 0",
            "Error",
        )
    if replicas % 2 == 0:
        return _condition(
            "TopologyReconciled",
            False,
            "TopologyReconcileFailed",
            "KubeadmControlPlane.controlplane.cluster.x-k8s.io is invalid: "
            "spec.replicas: Forbidden: cannot be an even number when etcd is stacked",
            "Error",
        )
    cp = state["cp"]
    cp_upgrading = any(m["version"] != version for m in cp)
    pending_create = [p["md"] for p in pools if p["name"] not in state["pools"]]
    if cp_upgrading and pools:
        names = ", ".join(p["md"] for p in pools)
        return _condition(
            "TopologyReconciled",
            False,
            "MachineDeploymentsUpgradePending",
            f"MachineDeployment(s) {names} rollout and upgrade to version {version} on hold. "
            f"Control plane is upgrading to version {version}",
        )
    if pending_create and cp and cp_upgrading:
        return _condition(
            "TopologyReconciled",
            False,
            "MachineDeploymentsCreatePending",
            f"MachineDeployment(s) {', '.join(pending_create)} creation on hold. "
            f"Control plane is upgrading to version {version}",
        )
    outdated = [p for p in pools if p["upToDate"] < p["replicas"]]
    if len(outdated) > 1:
        upgrading, waiting = outdated[0], outdated[1:]
        return _condition(
            "TopologyReconciled",
            False,
            "MachineDeploymentsUpgradePending",
            f"MachineDeployment(s) {', '.join(p['md'] for p in waiting)} rollout and upgrade "
            f"to version {version} on hold. "
            f"MachineDeployment(s) {upgrading['md']} are upgrading",
        )
    return _condition("TopologyReconciled", True)


# ------------------------------------------------------------------------------------------------- reconcile


def reconcile(cluster: dict[str, Any], now: float, *, state: dict[str, Any] | None, settings: Settings) -> Outcome:
    """Decide the next step for ``cluster`` (pure). See the module docstring."""
    meta = cluster["metadata"]
    uid = meta.get("uid", "")
    record = copy.deepcopy(state) if state and state.get("uid") == uid else _fresh_state(uid)
    deleting = bool(meta.get("deletionTimestamp"))
    patch: dict[str, Any] | None = None
    requeue: float | None = None
    if not (cluster.get("spec") or {}).get("topology"):
        return Outcome(None, None, record, None)
    if deleting:
        if FINALIZER not in (meta.get("finalizers") or []):
            return Outcome(None, None, record, None)
        if now >= record["next_at"]:
            delay, finished = _step_delete(record, settings)
            if finished:
                finalizers = [f for f in meta.get("finalizers") or [] if f != FINALIZER]
                return Outcome({"metadata": {"finalizers": finalizers or None}}, None, record, None)
            record["next_at"] = now + (delay or 0.0)
        requeue = max(record["next_at"] - now, 0.0)
        return Outcome(None, compute_status(cluster, record, settings, now), record, requeue)
    if not record["started"]:
        record["started"] = True
        record["next_at"] = now + settings.infrastructure
        if settings.topology_errors == "transient":
            record["error_until"] = now + settings.transient_error
        finalizers = list(meta.get("finalizers") or [])
        if FINALIZER not in finalizers:
            finalizers.append(FINALIZER)
        ns = meta.get("namespace")
        patch = {
            "metadata": {"finalizers": finalizers},
            "spec": {
                "controlPlaneRef": {
                    "apiVersion": "controlplane.cluster.x-k8s.io/v1beta1",
                    "kind": "KubeadmControlPlane",
                    "name": kcp_name(cluster),
                    "namespace": ns,
                },
                "infrastructureRef": {
                    "apiVersion": "vmware.infrastructure.cluster.x-k8s.io/v1beta1",
                    "kind": "VSphereCluster",
                    "name": f"{meta['name']}-{_suffix(uid + '/infra')}",
                    "namespace": ns,
                },
            },
        }
        return Outcome(patch, compute_status(cluster, record, settings, now), record, settings.infrastructure)
    if now >= record["next_at"] and record.get("idle"):
        probe = copy.deepcopy(record)
        pending = _step_provision(cluster, probe, now, settings)
        if pending is not None:
            # New work after an idle spell (scale, upgrade): it takes one step's time before anything changes.
            record["idle"] = False
            if settings.upgrade_race:
                pending = max(pending, settings.race_window)
                record["race_until"] = now + pending
                machines = record["cp"] or [n for pool in record["pools"].values() for n in pool.get("nodes") or []]
                record["race_version"] = machines[0]["version"] if machines else None
            if settings.topology_errors == "transient":
                record["error_until"] = now + (pending if settings.upgrade_race else 0.0) + settings.transient_error
            record["next_at"] = now + pending
            return Outcome(None, compute_status(cluster, record, settings, now), record, pending)
    if _erroring(record, settings, now):
        # The topology controller failed to apply the topology: nothing moves until it recovers.
        error_until = float(record.get("error_until") or 0.0)
        wait = error_until - now if settings.topology_errors == "transient" else settings.poll
        record["next_at"] = max(float(record["next_at"]), now + wait)
        return Outcome(None, compute_status(cluster, record, settings, now), record, wait)
    if now >= record["next_at"]:
        was_ready = record["infra_ready"]
        delay = _step_provision(cluster, record, now, settings)
        if record["cp"]:
            record["initialized"] = True
        if record["infra_ready"] and not was_ready:
            patch = {"spec": {"controlPlaneEndpoint": {"host": settings.endpoint_host, "port": settings.endpoint_port}}}
        record["idle"] = delay is None
        if delay is None:
            record["next_at"] = now + (settings.poll if settings.stuck or settings.failed_reason else 0.0)
            requeue = settings.poll if settings.stuck or settings.failed_reason else None
        else:
            record["next_at"] = now + delay
            requeue = delay
    else:
        requeue = record["next_at"] - now
    for window_end in (record.get("error_until"), record.get("race_until")):
        if window_end is not None and float(window_end) > now:
            # Come back when the window closes, so the status recovers even on an otherwise idle cluster.
            requeue = min(requeue if requeue is not None else float("inf"), float(window_end) - now)
    return Outcome(patch, compute_status(cluster, record, settings, now), record, requeue)


# ------------------------------------------------------------------------------------------------- children


def _owner(obj: dict[str, Any], *, controller: bool = True) -> dict[str, Any]:
    return {
        "apiVersion": obj["apiVersion"],
        "kind": obj["kind"],
        "name": obj["metadata"]["name"],
        "uid": obj["metadata"].get("uid", ""),
        "controller": controller,
        "blockOwnerDeletion": True,
    }


def kcp_object(cluster: dict[str, Any], state: dict[str, Any]) -> dict[str, Any]:
    """The KubeadmControlPlane the topology controller keeps for the Cluster (spec and status)."""
    meta = cluster["metadata"]
    version = str(((cluster.get("spec") or {}).get("topology") or {}).get("version", ""))
    replicas = control_plane_replicas(cluster)
    cp = state.get("cp") or []
    versions = sorted((m["version"] for m in cp), key=_version_key)
    uptodate = sum(1 for m in cp if m["version"] == version)
    ready = len(cp) == replicas and uptodate == replicas
    return {
        "apiVersion": "controlplane.cluster.x-k8s.io/v1beta1",
        "kind": "KubeadmControlPlane",
        "metadata": {
            "name": kcp_name(cluster),
            "namespace": meta.get("namespace"),
            "labels": {CLUSTER_NAME_LABEL: meta["name"], "topology.cluster.x-k8s.io/owned": ""},
            "ownerReferences": [_owner(cluster)],
        },
        "spec": {
            "replicas": replicas,
            "version": version,
            "kubeadmConfigSpec": {},
            "machineTemplate": {"infrastructureRef": {}},
        },
        "status": {
            "replicas": len(cp),
            "readyReplicas": len(cp),
            "updatedReplicas": uptodate,
            "unavailableReplicas": 0,
            "initialized": bool(state.get("initialized")),
            "ready": bool(cp),
            "version": versions[0] if versions else None,
            "conditions": [
                {
                    "type": "Ready",
                    "status": "True" if ready else "False",
                    **(
                        {}
                        if ready
                        else {
                            "severity": "Warning",
                            "reason": "ScalingUp" if len(cp) < replicas else "RollingUpdateInProgress",
                        }
                    ),
                },
                {
                    "type": "Available",
                    "status": "True" if cp else "False",
                    **({} if cp else {"severity": "Info", "reason": "WaitingForKubeadmInit"}),
                },
            ],
        },
    }


def md_objects(cluster: dict[str, Any], state: dict[str, Any]) -> list[dict[str, Any]]:
    """One MachineDeployment per pool (spec.replicas desired; status.readyReplicas what is up)."""
    meta = cluster["metadata"]
    version = str(((cluster.get("spec") or {}).get("topology") or {}).get("version", ""))
    result = []
    for view in _pool_views(cluster, state, version):
        target_version = version if not any(m["version"] != version for m in state.get("cp") or []) else view["version"]
        ready = view["replicas"] == view["desired"] and view["upToDate"] == view["desired"]
        if view["replicas"] < view["desired"]:
            phase = "ScalingUp"
        elif view["replicas"] > view["desired"]:
            phase = "ScalingDown"
        else:
            phase = "Running"
        result.append(
            {
                "apiVersion": "cluster.x-k8s.io/v1beta1",
                "kind": "MachineDeployment",
                "metadata": {
                    "name": view["md"],
                    "namespace": meta.get("namespace"),
                    "labels": {
                        CLUSTER_NAME_LABEL: meta["name"],
                        "topology.cluster.x-k8s.io/owned": "",
                        "topology.cluster.x-k8s.io/deployment-name": view["name"],
                    },
                    "ownerReferences": [_owner(cluster, controller=False)],
                },
                "spec": {
                    "clusterName": meta["name"],
                    "replicas": view["desired"],
                    "selector": {
                        "matchLabels": {
                            CLUSTER_NAME_LABEL: meta["name"],
                            "topology.cluster.x-k8s.io/deployment-name": view["name"],
                        }
                    },
                    "template": {
                        "spec": {
                            "clusterName": meta["name"],
                            "version": target_version,
                            "bootstrap": {},
                            "infrastructureRef": {},
                        }
                    },
                },
                "status": {
                    "replicas": view["replicas"],
                    "readyReplicas": view["replicas"],
                    "availableReplicas": view["replicas"],
                    "updatedReplicas": view["upToDate"],
                    "unavailableReplicas": max(view["desired"] - view["replicas"], 0),
                    "phase": phase,
                    "conditions": [
                        {
                            "type": "Ready",
                            "status": "True" if ready else "False",
                            **({} if ready else {"severity": "Warning", "reason": "WaitingForAvailableMachines"}),
                        },
                        {
                            "type": "Available",
                            "status": "True" if view["replicas"] >= view["desired"] else "False",
                            **(
                                {}
                                if view["replicas"] >= view["desired"]
                                else {
                                    "severity": "Warning",
                                    "reason": "WaitingForAvailableMachines",
                                    "message": f"Minimum availability requires {view['desired']} replicas, "
                                    f"current {view['replicas']} available",
                                }
                            ),
                        },
                    ],
                },
            }
        )
    return result


def nodes(cluster: dict[str, Any], state: dict[str, Any]) -> list[dict[str, Any]]:
    """The workload cluster's Node objects (control plane first) for the simulated machines in ``state``."""
    result = []
    for role, machines in [("control-plane", state.get("cp") or [])] + [
        ("worker", pool.get("nodes") or []) for pool in (state.get("pools") or {}).values()
    ]:
        for machine in machines:
            labels = {
                "kubernetes.io/hostname": machine["name"],
                "kubernetes.io/os": "linux",
                "kubernetes.io/arch": "amd64",
            }
            if role == "control-plane":
                labels["node-role.kubernetes.io/control-plane"] = ""
            result.append(
                {
                    "apiVersion": "v1",
                    "kind": "Node",
                    "metadata": {
                        "name": machine["name"],
                        "labels": labels,
                        "creationTimestamp": machine["created"],
                        "uid": hashlib.sha256(machine["name"].encode()).hexdigest()[:32],
                    },
                    "spec": {"taints": [{"key": "node-role.kubernetes.io/control-plane", "effect": "NoSchedule"}]}
                    if role == "control-plane"
                    else {},
                    "status": {
                        "conditions": [
                            {
                                "type": "Ready",
                                "status": "True",
                                "reason": "KubeletReady",
                                "message": "kubelet is posting ready status",
                                "lastHeartbeatTime": machine["created"],
                                "lastTransitionTime": machine["created"],
                            }
                        ],
                        "nodeInfo": {
                            "kubeletVersion": machine["version"],
                            "kubeProxyVersion": machine["version"],
                            "osImage": "VMware Photon OS/Linux",
                            "operatingSystem": "linux",
                            "architecture": "amd64",
                            "containerRuntimeVersion": "containerd://1.7.13+vmware.1",
                            "kernelVersion": "6.1.90-1.ph5",
                        },
                        "addresses": [{"type": "Hostname", "address": machine["name"]}],
                    },
                }
            )
    return result


def _version_key(version: str) -> tuple[int, int, int]:
    match = re.match(r"^v?(\d+)\.(\d+)\.(\d+)", version)
    return (int(match.group(1)), int(match.group(2)), int(match.group(3))) if match else (0, 0, 0)
