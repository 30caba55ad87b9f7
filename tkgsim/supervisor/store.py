"""The Supervisor's object store: plain JSON in ``world.data["k8s"]`` plus an in-memory watch log.

Layout of ``world.data["k8s"]`` (persisted by the core through ``world.on_change``; keys of ``objects`` are the
group-qualified plurals, keys inside are ``<namespace>/<name>`` or ``<name>`` for cluster-scoped kinds)::

    {
      "resourceVersion": 1234,                       # global, monotonically increasing (etcd-like)
      "objects": {"clusters.cluster.x-k8s.io": {"demo-ns/prod-1": {...}}, "storageclasses.storage.k8s.io": {...}},
      "controllers": {...},                          # fake-controller progress (see controllers/)
      "mirror": {...},                               # what was mirrored from vCenter (see mirror.py)
      "workloads": {"demo-ns/prod-1": {"token": ...}} # workload-cluster credentials (see workload.py)
    }

Every method is synchronous and runs on the event loop thread, so each one is atomic with respect to the others.
The store applies API-server semantics that hold for every kind: uid/creationTimestamp/resourceVersion, generation
bumped on spec changes only, the status subresource kept apart from spec, finalizers and ``deletionTimestamp``,
owner-reference garbage collection, and no-op writes that do not bump ``resourceVersion``.
"""

from __future__ import annotations

import asyncio
import builtins
import collections
import copy
import logging
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from tkgsim.world import World

from . import status
from .resources import Registry, ResourceType

__all__ = ["Event", "Store", "Watcher", "now_iso", "obj_key"]

log = logging.getLogger(__name__)

# How many events a watch can replay; older resourceVersions get 410 Gone (etcd compaction stand-in).
WATCH_LOG_SIZE = 5000


def now_iso() -> str:
    """The current time in the API server's RFC 3339 form (second precision, ``Z``)."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def obj_key(namespace: str | None, name: str) -> str:
    return f"{namespace}/{name}" if namespace else name


@dataclass(frozen=True)
class Event:
    """One change: ``type`` is ADDED, MODIFIED or DELETED; ``obj`` is a private copy."""

    rv: int
    type_key: str
    type: str
    obj: dict[str, Any]
    old: dict[str, Any] | None = None


@dataclass(eq=False)
class Watcher:
    """A live subscription to one type (optionally one namespace)."""

    type_key: str
    namespace: str | None
    queue: asyncio.Queue[Event] = field(default_factory=asyncio.Queue)


def _blocking_finalizers(rt: ResourceType, obj: dict[str, Any]) -> list[str]:
    """Finalizers that keep a deleted object around (a Namespace also waits for ``spec.finalizers``)."""
    found = list(obj["metadata"].get("finalizers") or [])
    if rt.kind == "Namespace":
        found += list((obj.get("spec") or {}).get("finalizers") or [])
    return found


def _spec_part(obj: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in obj.items() if k not in ("metadata", "status", "apiVersion", "kind")}


class Store:
    """CRUD with API-server semantics over ``world.data["k8s"]``."""

    def __init__(self, world: World, registry: Registry) -> None:
        self.world = world
        self.registry = registry
        data = world.data.setdefault("k8s", {})
        data.setdefault("resourceVersion", 1)
        data.setdefault("objects", {})
        data.setdefault("controllers", {})
        data.setdefault("mirror", {})
        data.setdefault("workloads", {})
        self.data: dict[str, Any] = data
        self._log: collections.deque[Event] = collections.deque()
        self._log_floor = int(data["resourceVersion"])
        self._watchers: list[Watcher] = []
        # Synchronous listeners (controllers use them to get woken up).
        self.listeners: list[Any] = []

    # ------------------------------------------------------------------ reading

    @property
    def resource_version(self) -> int:
        return int(self.data["resourceVersion"])

    def _bucket(self, rt: ResourceType) -> dict[str, dict[str, Any]]:
        objects: dict[str, dict[str, dict[str, Any]]] = self.data["objects"]
        return objects.setdefault(rt.key, {})

    def get(self, rt: ResourceType, namespace: str | None, name: str) -> dict[str, Any] | None:
        """A copy of the object, or None."""
        obj = self._bucket(rt).get(obj_key(namespace if rt.namespaced else None, name))
        return copy.deepcopy(obj) if obj is not None else None

    def require(self, rt: ResourceType, namespace: str | None, name: str) -> dict[str, Any]:
        """A copy of the object, or 404 NotFound."""
        obj = self.get(rt, namespace, name)
        if obj is None:
            raise status.not_found(rt.plural, rt.group, name)
        return obj

    def list(self, rt: ResourceType, namespace: str | None = None) -> list[dict[str, Any]]:
        """Copies of all objects of the type (in one namespace if given), sorted by namespace/name."""
        bucket = self._bucket(rt)
        items = [
            copy.deepcopy(obj)
            for key, obj in sorted(bucket.items())
            if namespace is None or not rt.namespaced or obj["metadata"].get("namespace") == namespace
        ]
        return items

    # ------------------------------------------------------------------ writing

    def _next_rv(self) -> int:
        self.data["resourceVersion"] = int(self.data["resourceVersion"]) + 1
        return int(self.data["resourceVersion"])

    def _check_namespace(self, rt: ResourceType, namespace: str | None, *, creating: bool) -> None:
        if not rt.namespaced:
            return
        if not namespace:
            raise status.bad_request("the server could not find the requested resource: namespace is required")
        ns = self._bucket(self.registry.by_kind("Namespace")).get(namespace)
        if ns is None:
            raise status.not_found("namespaces", "", namespace)
        if creating and ns["metadata"].get("deletionTimestamp"):
            raise status.KubeError(
                403,
                "Forbidden",
                f"{rt.key} is forbidden: unable to create new content in namespace {namespace} "
                "because it is being terminated",
                {"name": namespace, "kind": "namespaces"},
            )

    def create(self, rt: ResourceType, obj: dict[str, Any], *, dry_run: bool = False) -> dict[str, Any]:
        """Store a new object; 409 AlreadyExists if the name is taken. Returns a copy of what was stored."""
        obj = copy.deepcopy(obj)
        meta = obj.setdefault("metadata", {})
        name = meta.get("name")
        if not name and meta.get("generateName"):
            name = meta["generateName"] + uuid.uuid4().hex[:5]
            meta["name"] = name
        if not name:
            raise status.invalid(
                rt.kind,
                rt.group,
                "",
                [
                    status.Cause(
                        "metadata.name", "Required value: name or generateName is required", "FieldValueRequired"
                    )
                ],
            )
        namespace = meta.get("namespace") if rt.namespaced else None
        if not rt.namespaced:
            meta.pop("namespace", None)
        self._check_namespace(rt, namespace, creating=True)
        bucket = self._bucket(rt)
        key = obj_key(namespace, name)
        if key in bucket:
            raise status.already_exists(rt.plural, rt.group, name)
        obj["apiVersion"] = rt.api_version
        obj["kind"] = rt.kind
        meta["uid"] = str(uuid.uuid4())
        meta["creationTimestamp"] = now_iso()
        for transient in ("deletionTimestamp", "deletionGracePeriodSeconds", "selfLink"):
            meta.pop(transient, None)
        if not rt.builtin:
            meta["generation"] = 1
        if dry_run:
            meta["resourceVersion"] = str(self.resource_version)
            return obj
        meta["resourceVersion"] = str(self._next_rv())
        bucket[key] = obj
        self._emit(rt, "ADDED", obj, None)
        return copy.deepcopy(obj)

    def update(
        self,
        rt: ResourceType,
        new: dict[str, Any],
        *,
        subresource: str | None = None,
        dry_run: bool = False,
        check_rv: bool = True,
    ) -> dict[str, Any]:
        """Replace an object (PUT semantics) or its status (``subresource="status"``).

        A ``metadata.resourceVersion`` in ``new`` that is not the stored one gives 409 Conflict. Writes that change
        nothing return the stored object without a new resourceVersion.
        """
        meta = new.get("metadata") or {}
        name = meta.get("name", "")
        namespace = meta.get("namespace") if rt.namespaced else None
        bucket = self._bucket(rt)
        key = obj_key(namespace, name)
        old = bucket.get(key)
        if old is None:
            raise status.not_found(rt.plural, rt.group, name)
        sent_rv = meta.get("resourceVersion")
        if check_rv and sent_rv and str(sent_rv) != old["metadata"]["resourceVersion"]:
            raise status.conflict(rt.plural, rt.group, name)
        if subresource == "status":
            result = copy.deepcopy(old)
            if "status" in new:
                result["status"] = copy.deepcopy(new["status"])
            else:
                result.pop("status", None)
        else:
            result = copy.deepcopy(new)
            result["apiVersion"] = rt.api_version
            result["kind"] = rt.kind
            rmeta = result.setdefault("metadata", {})
            for system in ("uid", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds", "generation"):
                if system in old["metadata"]:
                    rmeta[system] = old["metadata"][system]
                else:
                    rmeta.pop(system, None)
            if rt.namespaced:
                rmeta["namespace"] = namespace
            if rt.status_subresource:
                if "status" in old:
                    result["status"] = copy.deepcopy(old["status"])
                else:
                    result.pop("status", None)
            if not rt.builtin and _spec_part(result) != _spec_part(old):
                rmeta["generation"] = int(old["metadata"].get("generation", 1)) + 1
            if old["metadata"].get("deletionTimestamp"):
                # Finalizers may only be removed once deletion started (the API server forbids adding new ones).
                added = set(rmeta.get("finalizers") or []) - set(old["metadata"].get("finalizers") or [])
                if added:
                    raise status.invalid(
                        rt.kind,
                        rt.group,
                        name,
                        [
                            status.Cause(
                                "metadata.finalizers",
                                "Forbidden: no new finalizers can be added if the object is being deleted",
                                "FieldValueForbidden",
                            )
                        ],
                    )
        result["metadata"]["resourceVersion"] = old["metadata"]["resourceVersion"]
        if result == old:
            return copy.deepcopy(old)
        if dry_run:
            return result
        result["metadata"]["resourceVersion"] = str(self._next_rv())
        bucket[key] = result
        if result["metadata"].get("deletionTimestamp") and not _blocking_finalizers(rt, result):
            self._remove(rt, key, result)
        else:
            self._emit(rt, "MODIFIED", result, old)
        return copy.deepcopy(result)

    def delete(
        self,
        rt: ResourceType,
        namespace: str | None,
        name: str,
        *,
        dry_run: bool = False,
        precondition_rv: str | None = None,
        precondition_uid: str | None = None,
        propagation: str = "Background",
    ) -> dict[str, Any]:
        """Delete: with finalizers only mark ``deletionTimestamp``; otherwise remove (and collect dependents)."""
        namespace = namespace if rt.namespaced else None
        bucket = self._bucket(rt)
        key = obj_key(namespace, name)
        found = bucket.get(key)
        if found is None:
            raise status.not_found(rt.plural, rt.group, name)
        old = found
        if precondition_rv and precondition_rv != old["metadata"]["resourceVersion"]:
            raise status.conflict(
                rt.plural,
                rt.group,
                name,
                f"the ResourceVersion in the precondition ({precondition_rv}) does not match the ResourceVersion in "
                f"record ({old['metadata']['resourceVersion']}). The object might have been modified",
            )
        if precondition_uid and precondition_uid != old["metadata"]["uid"]:
            raise status.conflict(
                rt.plural,
                rt.group,
                name,
                f"the UID in the precondition ({precondition_uid}) does not match the UID in record "
                f"({old['metadata']['uid']}). The object might have been deleted and then recreated",
            )
        finalizers = list(old["metadata"].get("finalizers") or [])
        if propagation == "Foreground" and "foregroundDeletion" not in finalizers and self._dependents(old):
            finalizers.append("foregroundDeletion")
        if propagation == "Orphan" and "orphan" not in finalizers:
            finalizers.append("orphan")
        if not finalizers and not _blocking_finalizers(rt, old):
            if dry_run:
                return copy.deepcopy(old)
            return self._remove(rt, key, copy.deepcopy(old), bump=True)
        if old["metadata"].get("deletionTimestamp"):
            return copy.deepcopy(old)
        result = copy.deepcopy(old)
        result["metadata"]["deletionTimestamp"] = now_iso()
        result["metadata"]["deletionGracePeriodSeconds"] = 0
        if finalizers:
            result["metadata"]["finalizers"] = finalizers
        if rt.kind == "Namespace":
            result.setdefault("status", {})["phase"] = "Terminating"
        if dry_run:
            return result
        result["metadata"]["resourceVersion"] = str(self._next_rv())
        bucket[key] = result
        self._emit(rt, "MODIFIED", result, old)
        self._process_builtin_finalizers(rt, key)
        return copy.deepcopy(result)

    def _dependents(self, owner: dict[str, Any]) -> builtins.list[tuple[ResourceType, str]]:
        uid = owner["metadata"].get("uid")
        found: builtins.list[tuple[ResourceType, str]] = []
        for rt in self.registry.types:
            for key, obj in list(self._bucket(rt).items()):
                refs = obj["metadata"].get("ownerReferences") or []
                if any(ref.get("uid") == uid for ref in refs):
                    found.append((rt, key))
        return found

    def _process_builtin_finalizers(self, rt: ResourceType, key: str) -> None:
        """The garbage collector's finalizers: ``orphan`` and ``foregroundDeletion``."""
        obj = self._bucket(rt).get(key)
        if obj is None:
            return
        finalizers = list(obj["metadata"].get("finalizers") or [])
        if "orphan" in finalizers:
            for dep_rt, dep_key in self._dependents(obj):
                dep = copy.deepcopy(self._bucket(dep_rt)[dep_key])
                dep["metadata"]["ownerReferences"] = [
                    r for r in dep["metadata"].get("ownerReferences", []) if r.get("uid") != obj["metadata"]["uid"]
                ]
                self.update(dep_rt, dep, check_rv=False)
            finalizers.remove("orphan")
        if "foregroundDeletion" in finalizers:
            deps = self._dependents(obj)
            for dep_rt, dep_key in deps:
                pending = self._bucket(dep_rt).get(dep_key)
                if pending is not None and not pending["metadata"].get("deletionTimestamp"):
                    self.delete(
                        dep_rt,
                        pending["metadata"].get("namespace"),
                        pending["metadata"]["name"],
                        propagation="Foreground",
                    )
            if not self._dependents(obj):
                finalizers.remove("foregroundDeletion")
        if finalizers != obj["metadata"].get("finalizers"):
            new = copy.deepcopy(obj)
            new["metadata"]["finalizers"] = finalizers
            self.update(rt, new, check_rv=False)

    def _remove(self, rt: ResourceType, key: str, obj: dict[str, Any], *, bump: bool = False) -> dict[str, Any]:
        bucket = self._bucket(rt)
        bucket.pop(key, None)
        if bump:
            obj["metadata"]["resourceVersion"] = str(self._next_rv())
        self._emit(rt, "DELETED", obj, None)
        # Background garbage collection of dependents (owner references by uid).
        for dep_rt, dep_key in self._dependents(obj):
            dep = self._bucket(dep_rt).get(dep_key)
            if dep is None:
                continue
            remaining = [
                r for r in dep["metadata"].get("ownerReferences", []) if r.get("uid") != obj["metadata"]["uid"]
            ]
            if remaining:
                new = copy.deepcopy(dep)
                new["metadata"]["ownerReferences"] = remaining
                self.update(dep_rt, new, check_rv=False)
            else:
                self.delete(dep_rt, dep["metadata"].get("namespace"), dep["metadata"]["name"])
        # Foreground owners waiting for this dependent.
        for owner_ref in obj["metadata"].get("ownerReferences") or []:
            for owner_rt in self.registry.types:
                for owner_key, owner in list(self._bucket(owner_rt).items()):
                    if owner["metadata"].get("uid") == owner_ref.get("uid"):
                        self._process_builtin_finalizers(owner_rt, owner_key)
        return copy.deepcopy(obj)

    # ------------------------------------------------------------------ watching

    def _emit(self, rt: ResourceType, kind: str, obj: dict[str, Any], old: dict[str, Any] | None) -> None:
        event = Event(
            int(obj["metadata"]["resourceVersion"]),
            rt.key,
            kind,
            copy.deepcopy(obj),
            copy.deepcopy(old) if old else None,
        )
        self._log.append(event)
        while len(self._log) > WATCH_LOG_SIZE:
            dropped = self._log.popleft()
            self._log_floor = dropped.rv
        namespace = obj["metadata"].get("namespace")
        for watcher in list(self._watchers):
            if watcher.type_key == rt.key and (watcher.namespace is None or watcher.namespace == namespace):
                watcher.queue.put_nowait(event)
        for listener in list(self.listeners):
            try:
                listener(event)
            except Exception:  # a controller bug must not break the API
                log.exception("store listener failed for %s %s", kind, rt.key)
        self.world.on_change()

    def watch(
        self, rt: ResourceType, namespace: str | None, since_rv: int | None
    ) -> tuple[builtins.list[Event], Watcher]:
        """Subscribe; returns the events after ``since_rv`` still in the log. 410 Expired if it is too old."""
        backlog: builtins.list[Event] = []
        if since_rv is not None:
            if since_rv < self._log_floor:
                raise status.expired(f"too old resource version: {since_rv} ({self._log_floor})")
            backlog = [
                e
                for e in self._log
                if e.rv > since_rv
                and e.type_key == rt.key
                and (namespace is None or e.obj["metadata"].get("namespace") == namespace)
            ]
        watcher = Watcher(rt.key, namespace if rt.namespaced else None)
        self._watchers.append(watcher)
        return backlog, watcher

    def unwatch(self, watcher: Watcher) -> None:
        if watcher in self._watchers:
            self._watchers.remove(watcher)
