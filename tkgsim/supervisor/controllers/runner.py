"""Runs the pure controllers: a work queue keyed by object, woken by store events, paced by ``requeue_after``.

Everything happens on the event loop, so a reconcile sees a consistent store. With ``delay_scale`` 0 each step still
goes through the store (and therefore watches), one step per loop iteration.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import logging
import time
from typing import Any

from .. import releases, status
from ..context import Supervisor
from ..store import Event
from . import cluster as cluster_controller
from . import namespace as namespace_controller

__all__ = ["DEFAULT_TIMINGS", "Runner"]

log = logging.getLogger(__name__)

# Seconds per simulated step before ``delay_scale``; override any of them with ``world.model["supervisor_timings"]``.
DEFAULT_TIMINGS = {
    "reconcile": 1.0,
    "infrastructure": 5.0,
    "control_plane_machine": 4.0,
    "worker_machine": 3.0,
    "deletion_step": 2.0,
}


# Real seconds the transient-error and upgrade-race windows last at least.
MIN_WINDOW = 1.0

# The CNI the Supervisor picks when no ClusterBootstrap was created before the Cluster.
DEFAULT_CNI = "antrea.tanzu.vmware.com"


class Runner:
    """The controller manager."""

    def __init__(self, sup: Supervisor) -> None:
        self.sup = sup
        self.due: dict[tuple[str, str], float] = {}
        self.wakeup = asyncio.Event()
        self.cluster_rt = sup.registry.by_kind("Cluster")
        self.namespace_rt = sup.registry.by_kind("Namespace")
        sup.store.listeners.append(self.on_event)
        self.state: dict[str, Any] = sup.store.data["controllers"].setdefault("clusters", {})
        for obj in sup.store.list(self.cluster_rt):
            self.enqueue("cluster", _key(obj))
        for obj in sup.store.list(self.namespace_rt):
            if obj["metadata"].get("deletionTimestamp"):
                self.enqueue("namespace", obj["metadata"]["name"])

    # ------------------------------------------------------------------ queue

    def enqueue(self, kind: str, key: str, delay: float = 0.0) -> None:
        when = time.monotonic() + delay
        current = self.due.get((kind, key))
        if current is None or when < current:
            self.due[(kind, key)] = when
        self.wakeup.set()

    def on_event(self, event: Event) -> None:
        meta = event.obj["metadata"]
        if event.type_key == self.cluster_rt.key:
            self.enqueue("cluster", _key(event.obj))
        elif event.type_key == self.namespace_rt.key:
            if meta.get("deletionTimestamp"):
                self.enqueue("namespace", meta["name"])
        elif meta.get("namespace"):
            namespace = self.sup.store.get(self.namespace_rt, None, meta["namespace"])
            if namespace is not None and namespace["metadata"].get("deletionTimestamp"):
                self.enqueue("namespace", meta["namespace"])
        if event.type_key in ("tanzukubernetesreleases.run.tanzu.vmware.com",):
            for obj in self.sup.store.list(self.cluster_rt):
                self.enqueue("cluster", _key(obj))

    async def run(self) -> None:
        """Process the queue forever (cancelled by the core at shutdown)."""
        while True:
            now = time.monotonic()
            ready = [item for item, when in self.due.items() if when <= now]
            if not ready:
                self.wakeup.clear()
                timeout = min(self.due.values()) - now if self.due else None
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.wakeup.wait(), timeout)
                continue
            for item in ready:
                self.due.pop(item, None)
                try:
                    if item[0] == "cluster":
                        self.reconcile_cluster(item[1])
                    else:
                        self.reconcile_namespace(item[1])
                except Exception:
                    log.exception("[%s %s] reconcile failed", *item)
                    self.enqueue(*item, delay=1.0)
                await asyncio.sleep(0)

    # ------------------------------------------------------------------ clusters

    def settings(self, cluster: dict[str, Any]) -> cluster_controller.Settings:
        world = self.sup.world
        timings = {**DEFAULT_TIMINGS, **(world.model.get("supervisor_timings") or {})}
        scale = max(float(world.delay_scale), 0.0)
        host = "127.0.0.1"
        port = 6443
        url = world.supervisor_url
        if "://" in url:
            authority = url.split("://", 1)[1].split("/", 1)[0]
            if authority.startswith("["):
                host = authority[1 : authority.index("]")]
                rest = authority[authority.index("]") + 1 :]
                port = int(rest[1:]) if rest.startswith(":") else 443
            else:
                host, _, raw_port = authority.partition(":")
                port = int(raw_port) if raw_port else 443
        return cluster_controller.Settings(
            reconcile=timings["reconcile"] * scale,
            infrastructure=timings["infrastructure"] * scale,
            control_plane_machine=timings["control_plane_machine"] * scale,
            worker_machine=timings["worker_machine"] * scale,
            deletion_step=timings["deletion_step"] * scale,
            stuck=bool(world.faults.stuck_provisioning),
            failed_reason=world.faults.failed_provisioning,
            endpoint_host=host,
            endpoint_port=port,
            updates_available=tuple(self._updates(cluster)),
            poll=max(0.05, min(1.0, timings["reconcile"] * scale or 0.05)),
            topology_errors=world.faults.topology_errors,
            # At least a real second, so a client polling a fast (delay_scale 0) simulator still meets them.
            transient_error=max(world.faults.transient_error_seconds * scale, MIN_WINDOW),
            upgrade_race=world.profile.upgrade_race,
            race_window=max(timings["reconcile"] * scale, MIN_WINDOW),
        )

    def _updates(self, cluster: dict[str, Any]) -> list[str]:
        """Newer ready, compatible releases of the same or next minor (the ``UpdatesAvailable`` condition)."""
        version = str(((cluster.get("spec") or {}).get("topology") or {}).get("version", ""))
        current = releases.semver_key(version)
        found = []
        for release in self.sup.store.list(self.sup.registry.by_kind("TanzuKubernetesRelease")):
            labels = release["metadata"].get("labels") or {}
            conditions = {c["type"]: c["status"] for c in (release.get("status") or {}).get("conditions") or []}
            if any(x in labels for x in releases.EXCLUDING_LABELS) or conditions.get("Ready") != "True":
                continue
            candidate = releases.semver_key(release["spec"]["kubernetes"]["version"])
            if (
                candidate[:3] > current[:3]
                and candidate[0] == current[0]
                and candidate[1] in (current[1], current[1] + 1)
            ):
                found.append(release["spec"]["version"])
        return sorted(found, key=releases.semver_key)

    def reconcile_cluster(self, key: str) -> None:
        store = self.sup.store
        namespace, name = key.split("/", 1)
        cluster = store.get(self.cluster_rt, namespace, name)
        if cluster is None:
            self._forget(namespace, name)
            return
        settings = self.settings(cluster)
        outcome = cluster_controller.reconcile(cluster, time.time(), state=self.state.get(key), settings=settings)
        previous_state = self.state.get(key)
        self.state[key] = outcome.state
        if outcome.patch:
            updated = _merge(cluster, outcome.patch)
            cluster = store.update(self.cluster_rt, updated, check_rv=False)
            if store.get(self.cluster_rt, namespace, name) is None:
                log.info("[cluster %s] deleted", key)
                self._forget(namespace, name)
                return
        if outcome.status is not None and outcome.status != cluster.get("status"):
            old_phase = (cluster.get("status") or {}).get("phase")
            cluster["status"] = outcome.status
            cluster = store.update(self.cluster_rt, cluster, subresource="status", check_rv=False)
            if old_phase != outcome.status["phase"]:
                log.info("[cluster %s] phase %s", key, outcome.status["phase"])
        if outcome.state != previous_state:
            self.sup.world.on_change()
        if outcome.state.get("started") and not cluster["metadata"].get("deletionTimestamp"):
            self._ensure_bootstrap(cluster)
        self._sync_children(cluster, outcome.state)
        if outcome.requeue_after is not None:
            self.enqueue("cluster", key, outcome.requeue_after)

    def _forget(self, namespace: str, name: str) -> None:
        """A Cluster is gone: drop its progress record, workload endpoint and ClusterBootstrap."""
        key = f"{namespace}/{name}"
        self.state.pop(key, None)
        self.sup.store.data["workloads"].pop(key, None)
        with contextlib.suppress(status.KubeError):
            self.sup.store.delete(self.sup.registry.by_kind("ClusterBootstrap"), namespace, name)

    def _ensure_bootstrap(self, cluster: dict[str, Any]) -> None:
        """The ClusterBootstrap of a Cluster: the user's (created first) or one with the default CNI, resolved."""
        store = self.sup.store
        rt = self.sup.registry.by_kind("ClusterBootstrap")
        meta = cluster["metadata"]
        tkr = str((meta.get("labels") or {}).get(releases.TKR_LABEL) or "")
        live = store.get(rt, meta["namespace"], meta["name"])
        if live is None:
            live = store.create(
                rt,
                {
                    "metadata": {
                        "name": meta["name"],
                        "namespace": meta["namespace"],
                        "ownerReferences": [
                            {
                                "apiVersion": cluster["apiVersion"],
                                "kind": cluster["kind"],
                                "name": meta["name"],
                                "uid": meta.get("uid", ""),
                            }
                        ],
                    },
                    "spec": {"cni": {"refName": self._default_cni(tkr)}},
                },
            )
            log.info("[cluster %s/%s] ClusterBootstrap created with the default CNI", meta["namespace"], meta["name"])
        if (live.get("status") or {}).get("resolvedTKR") != tkr:
            live["status"] = {"resolvedTKR": tkr}
            store.update(rt, live, subresource="status", check_rv=False)

    def _default_cni(self, tkr: str) -> str:
        """The release's Antrea package (``antrea.tanzu.vmware.com.<version>``), as the Supervisor picks it."""
        release = self.sup.store.get(self.sup.registry.by_kind("TanzuKubernetesRelease"), None, tkr) if tkr else None
        for package in ((release or {}).get("spec") or {}).get("bootstrapPackages") or []:
            if str(package.get("name", "")).startswith(DEFAULT_CNI + "."):
                return str(package["name"])
        return DEFAULT_CNI

    def _sync_children(self, cluster: dict[str, Any], state: dict[str, Any]) -> None:
        store = self.sup.store
        meta = cluster["metadata"]
        if not state.get("started") or (
            meta.get("deletionTimestamp") and not state.get("cp") and not state.get("pools")
        ):
            return
        kcp = cluster_controller.kcp_object(cluster, state)
        kcp_live = self._upsert(kcp)
        live_mds = {
            o["metadata"]["name"]: o
            for o in store.list(self.sup.registry.by_kind("MachineDeployment"), meta["namespace"])
            if (o["metadata"].get("labels") or {}).get(cluster_controller.CLUSTER_NAME_LABEL) == meta["name"]
        }
        wanted = cluster_controller.md_objects(cluster, state)
        for md in wanted:
            self._upsert(md)
        wanted_names = {md["metadata"]["name"] for md in wanted}
        for md_name in set(live_mds) - wanted_names:
            with contextlib.suppress(status.KubeError):
                store.delete(self.sup.registry.by_kind("MachineDeployment"), meta["namespace"], md_name)
        if state.get("infra_ready") and kcp_live is not None and not meta.get("deletionTimestamp"):
            self._ensure_kubeconfig(cluster, kcp_live)

    def _upsert(self, desired: dict[str, Any]) -> dict[str, Any] | None:
        store = self.sup.store
        rt = self.sup.registry.by_gvk(desired["apiVersion"], desired["kind"])
        assert rt is not None
        meta = desired["metadata"]
        live = store.get(rt, meta.get("namespace"), meta["name"])
        wanted_status = desired.pop("status", None)
        if live is None:
            try:
                live = store.create(rt, desired)
            except status.KubeError as exc:
                log.debug("could not create %s %s: %s", rt.kind, meta["name"], exc)
                return None
        elif live.get("spec") != desired.get("spec") or live["metadata"].get("labels") != meta.get("labels"):
            live["spec"] = desired.get("spec")
            live["metadata"]["labels"] = meta.get("labels")
            live = store.update(rt, live, check_rv=False)
        if wanted_status is not None and live.get("status") != wanted_status:
            live["status"] = wanted_status
            live = store.update(rt, live, subresource="status", check_rv=False)
        return live

    def _ensure_kubeconfig(self, cluster: dict[str, Any], kcp: dict[str, Any]) -> None:
        from .. import workload

        store = self.sup.store
        meta = cluster["metadata"]
        secret_rt = self.sup.registry.by_kind("Secret")
        name = f"{meta['name']}-kubeconfig"
        key = f"{meta['namespace']}/{meta['name']}"
        if store.get(secret_rt, meta["namespace"], name) is not None and key in store.data["workloads"]:
            return
        value = workload.kubeconfig(self.sup, meta["namespace"], meta["name"])
        secret = {
            "apiVersion": "v1",
            "kind": "Secret",
            "type": "cluster.x-k8s.io/secret",
            "metadata": {
                "name": name,
                "namespace": meta["namespace"],
                "labels": {cluster_controller.CLUSTER_NAME_LABEL: meta["name"]},
                "ownerReferences": [
                    {
                        "apiVersion": kcp["apiVersion"],
                        "kind": kcp["kind"],
                        "name": kcp["metadata"]["name"],
                        "uid": kcp["metadata"]["uid"],
                        "controller": True,
                        "blockOwnerDeletion": True,
                    }
                ],
            },
            "data": {"value": _b64(value)},
        }
        with contextlib.suppress(status.KubeError):
            store.delete(secret_rt, meta["namespace"], name)
        store.create(secret_rt, secret)
        log.info("[cluster %s] kubeconfig Secret %s written", key, name)

    # ------------------------------------------------------------------ namespaces

    def reconcile_namespace(self, name: str) -> None:
        store = self.sup.store
        namespace = store.get(self.namespace_rt, None, name)
        if namespace is None:
            return
        contents: list[tuple[str, dict[str, Any]]] = []
        by_key = {rt.key: rt for rt in self.sup.registry.types}
        for rt in self.sup.registry.types:
            if rt.namespaced:
                contents.extend((rt.key, obj) for obj in store.list(rt, name))
        to_delete, finalize = namespace_controller.reconcile(namespace, contents)
        for type_key, obj_name in to_delete:
            with contextlib.suppress(status.KubeError):
                store.delete(by_key[type_key], name, obj_name)
        if finalize:
            namespace["spec"] = {**(namespace.get("spec") or {}), "finalizers": []}
            store.update(self.namespace_rt, namespace, check_rv=False)
            log.info("[namespace %s] deleted", name)
        elif contents:
            self.enqueue("namespace", name, 0.5)


def _key(obj: dict[str, Any]) -> str:
    return f"{obj['metadata'].get('namespace')}/{obj['metadata']['name']}"


def _merge(target: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    result = copy.deepcopy(target)
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        elif isinstance(value, dict) and isinstance(result.get(key), dict):
            result[key] = _merge(result[key], value)
        else:
            result[key] = copy.deepcopy(value)
    return result


def _b64(text: str) -> str:
    import base64

    return base64.b64encode(text.encode()).decode()
