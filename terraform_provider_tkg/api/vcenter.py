"""The vCenter REST client: vSphere Namespaces, VM classes, Supervisors and the inventory lookups they need.

Why a hand-written client: the official SDK speaks JSON-RPC to ``/api`` (reference §0.1) and pulls in a large
runtime; the provider needs a dozen calls on the ``/api`` REST surface, typed with ``models``. This module knows
nothing about Terraform. Per object kind it offers ``get_x`` (raises ``errors.NotFound``), ``list_xs``,
``create_x``, ``update_x``, ``delete_x``, ``x_status(obj)`` and ``wait_x_<state>()``.

Namespaces use the v2 (Supervisor-based) operations. A vCenter that lacks them answers 404 OPERATION_NOT_FOUND (or a
404 without a vCenter error body); the client then falls back to the v1 operations, which address the Supervisor by
its cluster (``get_supervisor_clusters``), and remembers that for the rest of the process.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import quote

import httpx
import pydantic

from . import _auth, _http, _memo, errors, models, wait

__all__ = ["NAMESPACE_PENDING", "VcenterClient", "storage_class_name"]

log = logging.getLogger(__name__)

M = TypeVar("M", bound=pydantic.BaseModel)

_NAMESPACES = "/api/vcenter/namespaces/instances"
_NAMESPACES_V2 = "/api/vcenter/namespaces/instances/v2"
_VM_CLASSES = "/api/vcenter/namespace-management/virtual-machine-classes"
_NM_CLUSTERS = "/api/vcenter/namespace-management/clusters"
_SUPERVISORS = "/api/vcenter/namespace-management/supervisors"
_STORAGE_POLICIES = "/api/vcenter/storage/policies"
_CLUSTERS = "/api/vcenter/cluster"
_LIBRARIES = "/api/content/library"

# Namespace config_status values while an operation is in flight.
NAMESPACE_PENDING = frozenset({"CONFIGURING"})


def _seg(value: str) -> str:
    return quote(value, safe="")


def storage_class_name(policy_name: str) -> str:
    """The Kubernetes storage class vSphere creates for a storage policy: its name as a DNS-1123 subdomain
    (lower-cased, runs of other characters turned into ``-``), e.g. "vSAN Default Storage Policy" →
    "vsan-default-storage-policy"."""
    name = re.sub(r"[^a-z0-9.-]+", "-", policy_name.lower()).strip("-.")
    return name[:253]


def _parse(model: type[M], data: Any, operation: str) -> M:
    if data is None or data == {} or data == []:
        raise errors.NotFound("the server returned an empty response", operation=operation)
    try:
        return model.model_validate(data)
    except pydantic.ValidationError as exc:
        raise errors.UnexpectedResponse(
            f"unexpected response shape from vCenter ({exc.error_count()} problem(s), first at "
            f"{'.'.join(str(p) for p in exc.errors()[0]['loc'])}: {exc.errors()[0]['msg']})",
            operation=operation,
        ) from exc


def _parse_list(model: type[M], data: Any, operation: str) -> list[M]:
    if data is None:
        return []
    if not isinstance(data, list):
        raise errors.UnexpectedResponse("expected a JSON array", operation=operation)
    return [_parse(model, item, operation) for item in data]


def _operation_missing(exc: errors.NotFound) -> bool:
    """A 404 for the operation itself (an older vCenter without it), not for the object asked about."""
    return exc.error_type in ("OPERATION_NOT_FOUND", "")


class VcenterClient:
    """A logged-in (lazily, on the first call) vCenter REST client. Thread-safe; share one per provider process."""

    def __init__(
        self,
        server: str,
        *,
        user: str,
        password: str,
        ca_file: str | None = None,
        allow_unverified_ssl: bool = False,
        api_timeout: float = 300.0,
        max_retries: int = 5,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
        scheme: str = "https",
        origin: str = "",
    ) -> None:
        self.server = server
        self.http = _http.HttpClient(
            f"{scheme}://{server}",
            verify=_http.tls_verify(ca_file=ca_file, allow_unverified_ssl=allow_unverified_ssl),
            timeout=api_timeout,
            max_retries=max_retries,
            transport=transport,
            sleep=sleep,
            origin=origin,
        )
        self._auth = _auth.SessionAuth(user, password)
        self.http.auth = self._auth
        self._v2: bool | None = None
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"VcenterClient(server={self.server!r})"

    def close(self) -> None:
        """End the session (best effort) and close connections."""
        self._auth.logout(self.http)
        self.http.close()

    def _write(self, method: str, path: str, **kw: Any) -> Any:
        """A request that changes namespaces or VM classes: the Supervisor inventory memoised in this process is
        forgotten (``_memo``), even when the request failed (it may have been applied)."""
        try:
            return self.http.request(method, path, **kw)
        finally:
            _memo.inventory_changed()

    # ---- namespaces --------------------------------------------------------------------------------------------

    def get_namespace(self, name: str) -> models.NamespaceInfo:
        """The namespace ``name`` (InfoV2, or v1 Info on older vCenters); raises ``errors.NotFound``."""
        data: Any = None
        if self._v2 is not False:
            try:
                data = self.http.request("GET", f"{_NAMESPACES_V2}/{_seg(name)}")
                self._v2 = True
            except errors.NotFound as exc:
                if self._v2 or not _operation_missing(exc):
                    raise
                self._v2 = False
        if self._v2 is False:
            data = self.http.request("GET", f"{_NAMESPACES}/{_seg(name)}")
        info = _parse(models.NamespaceInfo, data, f"GET namespace {name}")
        info.namespace = name
        if info.supervisor is None and info.cluster is not None:
            info.supervisor = self._supervisor_of_cluster(info.cluster)
        return info

    def list_namespaces(self) -> list[models.NamespaceSummary]:
        """Every namespace of this vCenter (summaries)."""
        if self._v2 is not False:
            try:
                data = self.http.request("GET", _NAMESPACES_V2)
                self._v2 = True
                return _parse_list(models.NamespaceSummary, data, "GET namespaces")
            except errors.NotFound as exc:
                if self._v2 or not _operation_missing(exc):
                    raise
                self._v2 = False
        return _parse_list(models.NamespaceSummary, self.http.request("GET", _NAMESPACES), "GET namespaces")

    def create_namespace(self, spec: models.NamespaceCreateSpecV2) -> None:
        """Start creating a namespace (it is CONFIGURING until ``wait_namespace_running``)."""
        if self._v2 is not False:
            try:
                self._write("POST", _NAMESPACES_V2, json=models.request_body(spec))
                self._v2 = True
                return
            except errors.NotFound as exc:
                if self._v2 or not _operation_missing(exc):
                    raise
                self._v2 = False
                log.info("this vCenter has no v2 namespace API; using v1 (cluster-based) operations")
        clusters = self.get_supervisor_clusters(spec.supervisor)
        body = models.request_body(spec)
        body.pop("supervisor")
        v1 = models.NamespaceCreateSpec(cluster=clusters[0], **body)
        self._write("POST", _NAMESPACES, json=models.request_body(v1))

    def update_namespace(self, name: str, spec: models.NamespaceUpdateSpec) -> None:
        """PATCH the namespace: fields absent from ``spec`` stay unchanged."""
        self._write("PATCH", f"{_NAMESPACES}/{_seg(name)}", json=models.request_body(spec))

    def delete_namespace(self, name: str) -> None:
        """Start deleting the namespace (REMOVING until ``wait_namespace_deleted``); raises ``errors.NotFound``."""
        self._write("DELETE", f"{_NAMESPACES}/{_seg(name)}")

    @staticmethod
    def namespace_status(obj: models.NamespaceInfo) -> str:
        """The namespace's ``config_status``."""
        return obj.config_status

    @staticmethod
    def namespace_messages(obj: models.NamespaceInfo) -> list[str]:
        """The namespace's own messages (why it is in ERROR), as text."""
        return [
            f"{m.severity}: {m.details.default_message}" if m.details else m.severity
            for m in obj.messages
            if m.details is not None or m.severity != "INFO"
        ]

    def wait_namespace_running(
        self, name: str, *, deadline: float | None, stop: threading.Event | None = None, label: str | None = None
    ) -> models.NamespaceInfo:
        """Wait until the namespace is RUNNING; raises ``errors.WaitFailed`` on ERROR (with its messages),
        ``errors.WaitTimeout`` at the deadline (``last`` = the last Info) and ``errors.NotFound`` if it vanishes."""
        label = label or f"[namespace {name}]"
        result = wait.wait_for(
            lambda: self.get_namespace(name),
            self.namespace_status,
            pending=NAMESPACE_PENDING,
            target={"RUNNING"},
            deadline=deadline,
            stop=stop,
            label=label,
            failure_messages=self.namespace_messages,
            interval=0.2,
        )
        if result is None:
            raise errors.NotFound(f"{label} disappeared while being configured")
        return result

    def wait_namespace_deleted(
        self, name: str, *, deadline: float | None, stop: threading.Event | None = None, label: str | None = None
    ) -> None:
        """Wait until the namespace is gone (GET answers 404)."""
        wait.wait_for(
            lambda: self.get_namespace(name),
            self.namespace_status,
            pending={"REMOVING", "RUNNING", "CONFIGURING", "ERROR"},
            target={wait.GONE},
            deadline=deadline,
            stop=stop,
            label=label or f"[namespace {name}]",
            interval=0.2,
        )

    # ---- VM classes --------------------------------------------------------------------------------------------

    def get_vm_class(self, vm_class: str) -> models.VmClassInfo:
        """The VM class ``vm_class``; raises ``errors.NotFound``."""
        data = self.http.request("GET", f"{_VM_CLASSES}/{_seg(vm_class)}")
        return _parse(models.VmClassInfo, data, f"GET VM class {vm_class}")

    def list_vm_classes(self) -> list[models.VmClassInfo]:
        """Every VM class (full Info objects)."""
        return _parse_list(models.VmClassInfo, self.http.request("GET", _VM_CLASSES), "GET VM classes")

    def create_vm_class(self, spec: models.VmClassCreateSpec) -> None:
        """Create a VM class (synchronous); raises ``errors.AlreadyExists`` when the id is taken."""
        self._write("POST", _VM_CLASSES, json=models.request_body(spec))

    def update_vm_class(self, vm_class: str, spec: models.VmClassUpdateSpec) -> None:
        """PATCH the VM class: fields absent from ``spec`` stay unchanged."""
        self._write("PATCH", f"{_VM_CLASSES}/{_seg(vm_class)}", json=models.request_body(spec))

    def delete_vm_class(self, vm_class: str) -> None:
        """Delete the VM class; raises ``errors.NotFound``, or ``errors.Conflict`` while a namespace uses it."""
        self._write("DELETE", f"{_VM_CLASSES}/{_seg(vm_class)}")

    @staticmethod
    def vm_class_status(obj: models.VmClassInfo) -> str:
        """The VM class's ``config_status`` (READY or REMOVING)."""
        return obj.config_status

    # ---- Supervisors and clusters ------------------------------------------------------------------------------

    def list_supervisors(self) -> list[models.SupervisorSummary]:
        """Every Supervisor with its summary (``{"items": [{supervisor, info}]}`` flattened)."""
        data = self.http.request("GET", f"{_SUPERVISORS}/summaries")
        items = data.get("items") if isinstance(data, dict) else None
        if not isinstance(items, list):
            raise errors.UnexpectedResponse('expected {"items": [...]}', operation="GET supervisor summaries")
        flat = [{"supervisor": i.get("supervisor"), **(i.get("info") or {})} for i in items if isinstance(i, dict)]
        return [_parse(models.SupervisorSummary, item, "GET supervisor summaries") for item in flat]

    def get_supervisor(self, supervisor: str) -> models.SupervisorSummary:
        """The Supervisor ``supervisor``; raises ``errors.NotFound``."""
        data = self.http.request("GET", f"{_SUPERVISORS}/{_seg(supervisor)}/summary")
        return _parse(models.SupervisorSummary, {"supervisor": supervisor, **(data or {})}, "GET supervisor")

    def get_supervisor_clusters(self, supervisor: str) -> list[str]:
        """Ids of the vSphere clusters a Supervisor runs on.

        From ``GET …/supervisors/{id}/topology`` where the vCenter has it. Without it (404), a Supervisor is matched
        to a Supervisor-enabled cluster: one whose id equals the Supervisor id (vSphere 7 addresses Supervisors by
        cluster), or the only one when the vCenter has exactly one Supervisor and one enabled cluster. Raises
        ``errors.NotFound`` when no cluster can be determined.
        """
        try:
            data = self.http.request("GET", f"{_SUPERVISORS}/{_seg(supervisor)}/topology")
            zones = _parse_list(models.SupervisorTopologyZone, data, "GET supervisor topology")
            clusters = [c for z in zones for c in z.clusters]
            if clusters:
                return clusters
        except errors.NotFound:
            # Older vCenters (and tkg-sim) have no topology call; an unknown Supervisor fails the matching below too.
            pass
        enabled = [c.cluster for c in self.list_supervisor_clusters()]
        if supervisor in enabled:
            return [supervisor]
        if len(enabled) == 1:
            supervisors = self.list_supervisors()
            if len(supervisors) == 1 and supervisors[0].supervisor == supervisor:
                return enabled
        raise errors.NotFound(f"cannot tell which cluster Supervisor {supervisor} runs on")

    def _supervisor_of_cluster(self, cluster: str) -> str:
        try:
            for sv in self.list_supervisors():
                if cluster in self.get_supervisor_clusters(sv.supervisor):
                    return sv.supervisor
        except errors.NotFound:
            pass
        return cluster

    def list_supervisor_clusters(self) -> list[models.SupervisorClusterSummary]:
        """Supervisor-enabled clusters (``namespace-management/clusters``)."""
        data = self.http.request("GET", _NM_CLUSTERS)
        return _parse_list(models.SupervisorClusterSummary, data, "GET namespace-management clusters")

    def supervisor_endpoint(self, supervisor: models.SupervisorSummary) -> str | None:
        """A Supervisor's API address: ``APIEndpoint`` (vSphere API 9.1+), else the ``api_server_cluster_endpoint``
        of the cluster it runs on (vCenter 8 summaries have no ``APIEndpoint``); None when neither is known."""
        if supervisor.APIEndpoint:
            return supervisor.APIEndpoint
        try:
            clusters = self.get_supervisor_clusters(supervisor.supervisor)
        except errors.NotFound:
            return None
        for cluster in clusters:
            try:
                endpoint = self.get_supervisor_cluster(cluster).api_server_cluster_endpoint
            except errors.NotFound:
                continue
            if endpoint:
                return endpoint
        return None

    def discover_supervisor_endpoint(self, namespace: str | None = None) -> str:
        """The endpoint of the only Supervisor, or of the one hosting ``namespace`` when there are several.

        Raises ``errors.NotFound`` naming what was found when no single Supervisor can be chosen.
        """
        supervisors = self.list_supervisors()
        if namespace is not None and len(supervisors) > 1:
            hosting = self.get_namespace(namespace).supervisor
            supervisors = [s for s in supervisors if s.supervisor == hosting] or supervisors
        endpoints = sorted({e for e in (self.supervisor_endpoint(s) for s in supervisors) if e})
        if len(endpoints) == 1:
            return endpoints[0]
        where = f" for namespace {namespace!r}" if namespace else ""
        raise errors.NotFound(
            f"cannot discover the Supervisor endpoint{where}: vCenter lists {len(endpoints)} Supervisor endpoints "
            f"({', '.join(endpoints) or 'none'}); set supervisor_endpoint in the provider block"
        )

    def get_supervisor_cluster(self, cluster: str) -> models.SupervisorClusterInfo:
        """Supervisor details of an enabled cluster (endpoint, status); raises ``errors.NotFound``."""
        data = self.http.request("GET", f"{_NM_CLUSTERS}/{_seg(cluster)}")
        return _parse(models.SupervisorClusterInfo, data, f"GET namespace-management cluster {cluster}")

    def list_clusters(self, *, names: list[str] | None = None) -> list[models.ClusterSummary]:
        """vSphere clusters, optionally filtered by name (``?names=``)."""
        data = self.http.request("GET", _CLUSTERS, params={"names": names} if names else None)
        return _parse_list(models.ClusterSummary, data, "GET clusters")

    # ---- inventory ---------------------------------------------------------------------------------------------

    def list_storage_policies(self) -> list[models.StoragePolicy]:
        """Every storage policy visible to the user."""
        return _parse_list(models.StoragePolicy, self.http.request("GET", _STORAGE_POLICIES), "GET storage policies")

    def get_content_library(self, library_id: str) -> models.ContentLibrary:
        """The content library ``library_id``; raises ``errors.NotFound``."""
        data = self.http.request("GET", f"{_LIBRARIES}/{_seg(library_id)}")
        library = _parse(models.ContentLibrary, data, f"GET content library {library_id}")
        library.id = library.id or library_id
        return library

    def find_content_libraries(self, *, name: str) -> list[str]:
        """Ids of the libraries named ``name`` (the server matches case-insensitively)."""
        data = self.http.request("POST", _LIBRARIES, params={"action": "find"}, json={"name": name})
        if not isinstance(data, list):
            raise errors.UnexpectedResponse("expected a JSON array of ids", operation="POST content library find")
        return [str(i) for i in data]

    def list_content_libraries(self) -> list[models.ContentLibrary]:
        """Every content library (ids from the list call, then each library)."""
        ids = self.http.request("GET", _LIBRARIES) or []
        libraries = []
        for library_id in ids:
            try:
                libraries.append(self.get_content_library(str(library_id)))
            except errors.NotFound:
                continue  # deleted between the two calls
        return libraries
