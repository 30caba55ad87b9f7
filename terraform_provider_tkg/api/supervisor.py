"""The Supervisor's Kubernetes API: ``/wcp/login`` token, Cluster CRUD, releases, classes, secrets, and the waits.

Why plain httpx through ``_http.HttpClient`` rather than lightkube or the official ``kubernetes`` client: the calls are
a handful of JSON requests on custom resources, the retry/re-login/logging rules of ``_http`` must hold for them exactly
as for vCenter, and authentication is a ``/wcp/login`` bearer token those libraries do not know. Both libraries are
heavier to import (the official client takes ~1 s), neither is a runtime dependency of this package, and their
dynamic-object layers would add nothing over the wire models in ``k8s_models``.

Endpoints: ``host``, ``host:443`` and ``host:6443`` all log in on ``https://host/wcp/login`` (443) and talk
Kubernetes on ``https://host:6443``, as on a real Supervisor (users copy either port from their kubeconfig or
browser); any other ``host:port`` serves both on that port (as tkg-sim does). The token is a JWT; it is renewed a
minute before its ``exp`` claim and once after a 401. It is handed to ``on_secret`` so the log filter redacts it, and
kubeconfigs read from Secrets are handed there too.

Writes to a Cluster are read-modify-write merge patches carrying ``metadata.resourceVersion``; a 409 Conflict re-reads
and re-applies (``update_cluster``), because merge patch replaces whole lists such as ``spec.topology.variables``.
"""

from __future__ import annotations

import base64
import contextlib
import json
import logging
import re
import threading
import time
import urllib.parse
from collections.abc import Callable, Mapping
from typing import Any

import httpx

from . import _http, _memo, errors, wait
from . import k8s_keys as keys
from . import k8s_models as k8s
from .releases import designates

__all__ = [
    "SupervisorClient",
    "WcpTokenAuth",
    "api_urls",
    "cluster_failure_messages",
    "cluster_status",
    "cni_of_package",
    "cni_package",
    "conditions_summary",
    "error_conditions",
    "is_terminal_failure",
    "jwt_expiry",
    "release_cnis",
    "release_sort_key",
]

log = logging.getLogger(__name__)

LOGIN_PATH = "/wcp/login"
# Waits poll soon after a change (a Cluster may be Ready within a second, e.g. when only its spec's metadata changed),
# then back off by 1.5x per poll up to 5 s: a ten-minute provisioning costs only a handful more requests than polling
# every 5 s, and a fast one is not held up for a full second.
FIRST_POLL_SECONDS = 0.1
MERGE_PATCH = "application/merge-patch+json"
KUBECONFIG_SECRET_TYPE = "cluster.x-k8s.io/secret"
# Renew the token this many seconds before it expires.
TOKEN_MARGIN = 60.0
# Without a readable ``exp`` claim, assume the documented 10 h lifetime minus a safety margin.
DEFAULT_TOKEN_LIFETIME = 9 * 3600.0
CONFLICT_RETRIES = 5
QUOTA_SUFFIX = ".storageclass.storage.k8s.io/requests.storage"


SUPERVISOR_PORTS = (443, 6443)


def api_urls(endpoint: str) -> tuple[str, str]:
    """(login base URL, Kubernetes API base URL) for a Supervisor endpoint ``host`` or ``host:port``.

    ``host``, ``host:443`` and ``host:6443`` mean the real layout (login on 443, the API on 6443); any other port
    means both on that port.
    """
    endpoint = endpoint.strip().rstrip("/")
    if "://" in endpoint:
        endpoint = endpoint.split("://", 1)[1]
    host, port = endpoint, None
    match = re.search(r":(\d+)$", endpoint)
    if match and (not endpoint.startswith("[") or "]:" in endpoint):
        host, port = endpoint[: match.start()], int(match.group(1))
    if port is None or port in SUPERVISOR_PORTS:
        return f"https://{host}", f"https://{host}:6443"
    return f"https://{endpoint}", f"https://{endpoint}"


def jwt_expiry(token: str) -> float | None:
    """The ``exp`` claim of a JWT as a UNIX time (signature not checked: only used to renew in time)."""
    try:
        payload = token.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        return float(claims["exp"])
    except (IndexError, ValueError, KeyError, TypeError):
        return None


class WcpTokenAuth:
    """Bearer token from ``POST /wcp/login`` (HTTP Basic with the vSphere credentials), renewed before expiry."""

    def __init__(
        self,
        user: str,
        password: str,
        login_http: _http.HttpClient | None = None,
        *,
        on_secret: Callable[[str], None] | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._user = user
        self._password = password
        self._login_http = login_http
        self._on_secret = on_secret
        self._clock = clock
        self._token: str | None = None
        self._expires = 0.0
        self._lock = threading.Lock()
        self._gate = _http.LoginGate(self._lock)

    def __repr__(self) -> str:
        return f"WcpTokenAuth(user={self._user!r}, logged_in={self._token is not None})"

    def headers(self) -> dict[str, str]:
        token = self._token
        return {"Authorization": f"Bearer {token}"} if token else {}

    def _valid(self) -> bool:
        return self._token is not None and self._clock() < self._expires - TOKEN_MARGIN

    def ensure_login(self, http: _http.HttpClient) -> None:
        """Log in unless a token is held that stays valid for more than ``TOKEN_MARGIN`` seconds."""
        if self._valid():
            return
        with self._gate.turn():
            if self._valid():
                return
            login = self._login_http or http
            data = login.request(
                "POST",
                LOGIN_PATH,
                basic=(self._user, self._password),
                authenticate=False,
                json={},
            )
            token = data.get("session_id") if isinstance(data, dict) else None
            if not isinstance(token, str) or not token:
                raise errors.UnexpectedResponse(
                    "the Supervisor login answered without a session_id", operation=f"POST {LOGIN_PATH}"
                )
            if self._on_secret is not None:
                self._on_secret(token)
            expiry = jwt_expiry(token)
            self._token = token
            self._expires = expiry if expiry is not None else self._clock() + DEFAULT_TOKEN_LIFETIME
            log.debug("logged in to the Supervisor as %s", self._user)

    def invalidate(self, token_headers: Mapping[str, str]) -> None:
        """Forget the token that was rejected (unless another thread already replaced it)."""
        with self._lock:
            if token_headers.get("Authorization") == f"Bearer {self._token}":
                self._token = None


def _parse(model: type[Any], data: Any, operation: str) -> Any:
    if not isinstance(data, dict) or not data:
        raise errors.NotFound(f"{operation}: empty response", operation=operation)
    try:
        return model.model_validate(data)
    except k8s.WireError as exc:
        raise errors.UnexpectedResponse(
            f"{operation}: response does not match the {model.__name__} wire model: {errors.truncate(str(exc), 160)}",
            operation=operation,
        ) from exc


def _items(data: Any, operation: str) -> list[Any]:
    items = data.get("items") if isinstance(data, dict) else None
    if not isinstance(items, list):
        raise errors.UnexpectedResponse("expected a Kubernetes list with items", operation=operation)
    return [i for i in items if isinstance(i, dict)]


def _seg(value: str) -> str:
    return urllib.parse.quote(value, safe="")


# ---- status helpers (pure) ---------------------------------------------------------------------------------------


def conditions_summary(obj: k8s.Cluster) -> str:
    """The conditions as one line: ``Ready=False (ScalingUp: Scaling up …); InfrastructureReady=True; …``."""
    parts = []
    for c in (obj.status.conditions if obj.status else None) or []:
        text = f"{c.type}={c.status}"
        detail = ": ".join(p for p in (c.reason, c.message) if p)
        parts.append(f"{text} ({detail})" if detail else text)
    phase = obj.status.phase if obj.status and obj.status.phase else "no status yet"
    return f"phase {phase}; " + ("; ".join(parts) if parts else "no conditions")


def error_conditions(obj: k8s.Cluster) -> list[str]:
    """``Type: Reason: message`` of every condition reporting ``severity: Error``.

    Not terminal by themselves: Cluster API also reports transient problems this way (e.g. ``TopologyReconcileFailed``
    on a webhook time-out) and then recovers.
    """
    status = obj.status
    return [
        f"{c.type}: {c.reason or ''}{': ' if c.reason and c.message else ''}{c.message or ''}"
        for c in (status.conditions if status else None) or []
        if c.status == "False" and c.severity == "Error"
    ]


def is_terminal_failure(obj: k8s.Cluster) -> bool:
    """Whether the cluster reports a terminal failure (``failureReason``/``failureMessage`` or phase ``Failed``)."""
    status = obj.status
    return status is not None and bool(status.failureMessage or status.failureReason or status.phase == "Failed")


def cluster_failure_messages(obj: k8s.Cluster) -> list[str]:
    """The terminal failure message, then the messages of conditions that report an error (severity Error)."""
    status = obj.status
    if status is None:
        return []
    messages = []
    if status.failureMessage or status.failureReason:
        messages.append(f"{status.failureReason or 'Failure'}: {status.failureMessage or ''}".rstrip(": "))
    return messages + error_conditions(obj)


def cluster_status(obj: k8s.Cluster) -> str:
    """The cluster's lifecycle status word: ``Failed`` on a terminal failure, else the phase."""
    if obj.metadata.deletionTimestamp:
        return "Deleting"
    if is_terminal_failure(obj):
        return "Failed"
    return (obj.status.phase if obj.status else None) or "Pending"


def release_sort_key(version: str) -> tuple[Any, ...]:
    """Semver + build metadata ordering: numeric runs compare as numbers, others lexically (tanzu-framework)."""
    match = re.match(r"^v?(\d+)\.(\d+)\.(\d+)(.*)$", version.replace("---", "+"))
    if not match:
        return (0, 0, 0, ())
    rest = tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in re.findall(r"\d+|[A-Za-z]+", match.group(4)))
    return (int(match.group(1)), int(match.group(2)), int(match.group(3)), rest)


class SupervisorClient:
    """A client of one Supervisor's Kubernetes API. Thread-safe; share one per provider process.

    ``endpoint`` is ``host`` or ``host:port``, or None to discover it lazily by calling ``discover()`` (the provider
    passes a vCenter lookup). ``on_secret`` receives every token and kubeconfig before it is used, for redaction.
    ``origin`` / ``discovered_origin`` say where the endpoint came from, for connection errors.
    """

    def __init__(
        self,
        endpoint: str | None,
        *,
        user: str,
        password: str,
        ca_file: str | None = None,
        allow_unverified_ssl: bool = False,
        api_timeout: float = 300.0,
        max_retries: int = 5,
        discover: Callable[[], str] | None = None,
        on_secret: Callable[[str], None] | None = None,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
        poll_interval: float = FIRST_POLL_SECONDS,
        origin: str = "",
        discovered_origin: str = "discovered through vCenter",
    ) -> None:
        if endpoint is None and discover is None:
            raise ValueError("a Supervisor endpoint or a discover() function is required")
        self._endpoint = endpoint
        self._discover = discover
        self._origin = origin if endpoint is not None else discovered_origin
        self._user = user
        self._password = password
        self._verify = _http.tls_verify(ca_file=ca_file, allow_unverified_ssl=allow_unverified_ssl)
        self._timeout = api_timeout
        self._max_retries = max_retries
        self._on_secret = on_secret
        self._transport = transport
        self._sleep = sleep
        self.poll_interval = poll_interval
        self._http: _http.HttpClient | None = None
        self._login_http: _http.HttpClient | None = None
        self._release_api: tuple[str, str, str] | None = None
        self._memo = _memo.Memo()
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"SupervisorClient(endpoint={self._endpoint!r})"

    @property
    def endpoint(self) -> str:
        """The Supervisor endpoint (discovered on first use when not configured)."""
        if self._endpoint is None:
            assert self._discover is not None
            self._endpoint = self._discover()
            log.info("discovered the Supervisor endpoint %s through vCenter", self._endpoint)
        return self._endpoint

    def _client(self) -> _http.HttpClient:
        if self._http is not None:
            return self._http
        with self._lock:
            if self._http is None:
                login_url, api_url = api_urls(self.endpoint)
                options: dict[str, Any] = {
                    "verify": self._verify,
                    "timeout": self._timeout,
                    "max_retries": self._max_retries,
                    "transport": self._transport,
                    "sleep": self._sleep,
                    "origin": self._origin,
                }
                http = _http.HttpClient(api_url, **options)
                login = http if login_url == api_url else _http.HttpClient(login_url, **options)
                self._login_http = login
                http.auth = WcpTokenAuth(self._user, self._password, login, on_secret=self._on_secret)
                self._http = http
        return self._http

    def close(self) -> None:
        """Close connections."""
        for http in {id(h): h for h in (self._http, self._login_http) if h is not None}.values():
            http.close()

    @staticmethod
    def time_limit(seconds: float, reason: str) -> contextlib.AbstractContextManager[None]:
        """Bound every call this thread makes inside the block (login and discovery included) to ``seconds`` in all,
        without retrying connect timeouts: for checks that must not stretch a command (see ``_http.time_limit``)."""
        return _http.time_limit(seconds, reason=reason)

    def _request(self, method: str, path: str, **kw: Any) -> Any:
        return self._client().request(method, path, **kw)

    def request(self, method: str, path: str, **kw: Any) -> Any:
        """One call on the Supervisor's Kubernetes API, for the per-area clients of this package (``vmservice``)."""
        return self._request(method, path, **kw)

    def guest_cluster_login(self, namespace: str, cluster: str) -> tuple[str, str, str | None]:
        """``kubectl vsphere login --tanzu-kubernetes-cluster-name``: log in on ``/wcp/login`` with the guest cluster's
        name and get (token, API server URL, CA PEM or None) for that cluster, as the provider's user.

        Raises ``errors.NotFound`` when the answer has no ``guest_cluster_server`` (how the Supervisor says the
        cluster does not exist), ``errors.Unauthenticated`` on bad credentials.
        """
        self._client()
        login = self._login_http
        assert login is not None
        data = login.request(
            "POST",
            LOGIN_PATH,
            basic=(self._user, self._password),
            authenticate=False,
            json={"guest_cluster_name": cluster, "guest_cluster_namespace": namespace},
        )
        token = data.get("session_id") if isinstance(data, dict) else None
        server = data.get("guest_cluster_server") if isinstance(data, dict) else None
        if not isinstance(token, str) or not token:
            raise errors.UnexpectedResponse("the guest-cluster login answered without a session_id")
        self._register(token)
        if not isinstance(server, str) or not server:
            raise errors.NotFound(f"the Supervisor knows no cluster {cluster!r} in namespace {namespace!r}")
        ca = data.get("guest_cluster_ca") if isinstance(data, dict) else None
        if isinstance(ca, str) and ca and not ca.lstrip().startswith("-----BEGIN"):
            try:
                ca = base64.b64decode(ca).decode()  # some Supervisors send the PEM base64-encoded
            except ValueError:
                pass
        return token, server, ca if isinstance(ca, str) and ca else None

    def login(self) -> None:
        """Log in now (normally done on the first call); raises ``errors.Unauthenticated`` on bad credentials."""
        http = self._client()
        assert http.auth is not None
        http.auth.ensure_login(http)

    # ---- Clusters ----------------------------------------------------------------------------------------------

    @staticmethod
    def _clusters_path(namespace: str) -> str:
        return f"/apis/{keys.CAPI_GROUP}/{keys.CAPI_VERSION}/namespaces/{_seg(namespace)}/clusters"

    def get_cluster(self, namespace: str, name: str) -> k8s.Cluster:
        """The Cluster ``namespace/name``; raises ``errors.NotFound``."""
        data = self._request("GET", f"{self._clusters_path(namespace)}/{_seg(name)}")
        cluster: k8s.Cluster = _parse(k8s.Cluster, data, f"GET cluster {namespace}/{name}")
        return cluster

    def list_clusters(self, namespace: str) -> list[k8s.Cluster]:
        """Every Cluster of a namespace (an empty list when the namespace has none or does not exist)."""
        data = self._request("GET", self._clusters_path(namespace))
        return [_parse(k8s.Cluster, i, "GET clusters") for i in _items(data, "GET clusters")]

    def create_cluster(self, cluster: k8s.Cluster) -> k8s.Cluster:
        """Create a Cluster; raises ``errors.AlreadyExists`` when the name is taken, ``Invalid``/``Forbidden`` when
        admission rejects it."""
        namespace = cluster.metadata.namespace or ""
        data = self._request("POST", self._clusters_path(namespace), json=cluster.wire())
        created: k8s.Cluster = _parse(k8s.Cluster, data, f"POST cluster {namespace}/{cluster.metadata.name}")
        return created

    def patch_cluster(self, namespace: str, name: str, patch: dict[str, Any]) -> k8s.Cluster:
        """Apply a JSON merge patch (RFC 7386) to a Cluster; raises ``errors.Conflict`` on a stale resourceVersion."""
        data = self._request(
            "PATCH",
            f"{self._clusters_path(namespace)}/{_seg(name)}",
            json=patch,
            headers={"Content-Type": MERGE_PATCH},
        )
        patched: k8s.Cluster = _parse(k8s.Cluster, data, f"PATCH cluster {namespace}/{name}")
        return patched

    def update_cluster(
        self, namespace: str, name: str, build_patch: Callable[[k8s.Cluster], dict[str, Any] | None]
    ) -> k8s.Cluster:
        """Read-modify-write: ``build_patch(current)`` returns a merge patch (None or {} = nothing to change).

        The patch is sent with the ``resourceVersion`` it was computed from; a 409 Conflict (someone changed the
        Cluster meanwhile) re-reads and re-applies, up to ``CONFLICT_RETRIES`` times. Returns the Cluster after the
        patch (or as read, when nothing changed). Raises ``errors.NotFound`` when the Cluster is gone.
        """
        for attempt in range(1, CONFLICT_RETRIES + 1):
            current = self.get_cluster(namespace, name)
            patch = build_patch(current)
            if not patch:
                return current
            metadata = dict(patch.get("metadata") or {})
            metadata["resourceVersion"] = current.metadata.resourceVersion
            try:
                return self.patch_cluster(namespace, name, {**patch, "metadata": metadata})
            except errors.Conflict:
                if attempt == CONFLICT_RETRIES:
                    raise
                log.debug("cluster %s/%s changed concurrently; re-reading (attempt %d)", namespace, name, attempt)
                self._sleep(min(2.0, 0.2 * attempt))
        raise AssertionError("unreachable")  # pragma: no cover

    def delete_cluster(self, namespace: str, name: str) -> None:
        """Start deleting a Cluster (finalizers keep it until its machines are gone); raises ``errors.NotFound``."""
        self._request("DELETE", f"{self._clusters_path(namespace)}/{_seg(name)}")

    def list_machine_deployments(self, namespace: str, cluster: str) -> list[k8s.MachineDeployment]:
        """The MachineDeployments the topology controller made for ``cluster`` (its node pools)."""
        data = self._request(
            "GET",
            f"/apis/{keys.CAPI_GROUP}/{keys.CAPI_VERSION}/namespaces/{_seg(namespace)}/machinedeployments",
            params={"labelSelector": f"{keys.CLUSTER_NAME_LABEL}={cluster}"},
        )
        return [_parse(k8s.MachineDeployment, i, "GET machinedeployments") for i in _items(data, "GET mds")]

    def list_control_planes(self, namespace: str, cluster: str) -> list[k8s.ControlPlane]:
        """The KubeadmControlPlane(s) the topology controller made for ``cluster``."""
        data = self._request(
            "GET",
            f"/apis/controlplane.cluster.x-k8s.io/v1beta1/namespaces/{_seg(namespace)}/kubeadmcontrolplanes",
            params={"labelSelector": f"{keys.CLUSTER_NAME_LABEL}={cluster}"},
        )
        return [_parse(k8s.ControlPlane, i, "GET kubeadmcontrolplanes") for i in _items(data, "GET kcps")]

    # ---- ClusterBootstrap (the CNI) ----------------------------------------------------------------------------

    @staticmethod
    def _bootstraps_path(namespace: str) -> str:
        return f"/apis/run.tanzu.vmware.com/v1alpha3/namespaces/{_seg(namespace)}/clusterbootstraps"

    def get_cluster_cni(self, namespace: str, name: str) -> str | None:
        """The CNI package a cluster runs (``antrea``, ``calico``), from its ClusterBootstrap's ``spec.cni.refName``;
        None when the ClusterBootstrap names none. Raises ``errors.NotFound`` when there is no ClusterBootstrap."""
        data = self._request("GET", f"{self._bootstraps_path(namespace)}/{_seg(name)}")
        ref = ((((data or {}).get("spec") or {}).get("cni") or {}).get("refName")) if isinstance(data, dict) else None
        return cni_of_package(str(ref)) if ref else None

    def ensure_cluster_bootstrap(self, namespace: str, name: str, cni_ref: str, release: str) -> None:
        """Create the ClusterBootstrap that makes the Supervisor install ``cni_ref`` (a package of ``release``) in the
        cluster ``name``; it must exist before the Cluster. An existing one gets this CNI."""
        body = {
            "apiVersion": "run.tanzu.vmware.com/v1alpha3",
            "kind": "ClusterBootstrap",
            "metadata": {
                "name": name,
                "namespace": namespace,
                "annotations": {ADD_MISSING_FIELDS: release},
            },
            "spec": {"cni": {"refName": cni_ref}},
        }
        try:
            self._request("POST", self._bootstraps_path(namespace), json=body)
        except errors.AlreadyExists:
            self._request(
                "PATCH",
                f"{self._bootstraps_path(namespace)}/{_seg(name)}",
                json={"spec": {"cni": {"refName": cni_ref}}},
                headers={"Content-Type": MERGE_PATCH},
            )

    # ---- Secrets -----------------------------------------------------------------------------------------------

    def get_secret(self, namespace: str, name: str) -> k8s.Secret:
        """The Secret ``namespace/name``; raises ``errors.NotFound``."""
        data = self._request("GET", f"/api/v1/namespaces/{_seg(namespace)}/secrets/{_seg(name)}")
        secret: k8s.Secret = _parse(k8s.Secret, data, f"GET secret {namespace}/{name}")
        for value in (secret.data or {}).values():
            self._register(value)
        return secret

    def apply_secret(self, secret: k8s.Secret) -> None:
        """Create the Secret, or replace its data and labels when it exists."""
        namespace = secret.metadata.namespace or ""
        base = f"/api/v1/namespaces/{_seg(namespace)}/secrets"
        try:
            self._request("POST", base, json=secret.wire())
        except errors.AlreadyExists:
            patch = {"metadata": {"labels": secret.metadata.labels}, "data": secret.data, "type": secret.type}
            self._request(
                "PATCH", f"{base}/{_seg(secret.metadata.name)}", json=patch, headers={"Content-Type": MERGE_PATCH}
            )

    def delete_secret(self, namespace: str, name: str) -> None:
        """Delete a Secret; raises ``errors.NotFound``."""
        self._request("DELETE", f"/api/v1/namespaces/{_seg(namespace)}/secrets/{_seg(name)}")

    def get_kubeconfig(self, namespace: str, cluster: str) -> str:
        """The admin kubeconfig of a workload cluster (Secret ``<cluster>-kubeconfig``, key ``value``), decoded.

        Raises ``errors.NotFound`` when the Secret does not exist yet, ``UnexpectedResponse`` when it has another
        type or no ``value``.
        """
        secret = self.get_secret(namespace, f"{cluster}-kubeconfig")
        if secret.type and secret.type != KUBECONFIG_SECRET_TYPE:
            raise errors.UnexpectedResponse(
                f"secret {cluster}-kubeconfig has type {secret.type}, expected {KUBECONFIG_SECRET_TYPE}"
            )
        encoded = (secret.data or {}).get("value")
        if not encoded:
            raise errors.UnexpectedResponse(f"secret {cluster}-kubeconfig has no 'value' key")
        try:
            text = base64.b64decode(encoded).decode()
        except ValueError as exc:
            raise errors.UnexpectedResponse(f"secret {cluster}-kubeconfig holds invalid base64") from exc
        self._register(text)
        return text

    def _register(self, secret: str) -> None:
        if self._on_secret is not None and secret:
            self._on_secret(secret)

    # ---- namespace inventory (plan-time checks) ----------------------------------------------------------------

    # Memoised for a short while (``_memo``): every cluster of a plan reads the same inventory of its namespace.

    def _inventory(self, path: str) -> Any:
        return self._memo.get(path, lambda: self._request("GET", path))

    def namespace_exists(self, namespace: str) -> bool:
        """Whether the Kubernetes Namespace (the vSphere Namespace) exists."""
        try:
            self._inventory(f"/api/v1/namespaces/{_seg(namespace)}")
        except errors.NotFound:
            return False
        return True

    def list_vm_classes(self, namespace: str) -> list[str]:
        """Names of the VirtualMachineClasses bound to a namespace."""
        data = self._inventory(
            f"/apis/vmoperator.vmware.com/v1alpha2/namespaces/{_seg(namespace)}/virtualmachineclasses"
        )
        return sorted(str((i.get("metadata") or {}).get("name")) for i in _items(data, "GET virtualmachineclasses"))

    def list_storage_classes(self, namespace: str) -> list[str]:
        """Storage classes a namespace may use: the ``<sc>.storageclass.storage.k8s.io/requests.storage`` keys of its
        ResourceQuotas (what VM Operator checks; reference §7.2)."""
        data = self._inventory(f"/api/v1/namespaces/{_seg(namespace)}/resourcequotas")
        names: set[str] = set()
        for quota in _items(data, "GET resourcequotas"):
            for key in (quota.get("spec") or {}).get("hard") or {}:
                if key.endswith(QUOTA_SUFFIX):
                    names.add(key[: -len(QUOTA_SUFFIX)])
        return sorted(names)

    def list_cluster_classes(self, namespace: str) -> list[str]:
        """Names of the ClusterClasses available in a namespace."""
        data = self._inventory(
            f"/apis/{keys.CAPI_GROUP}/{keys.CAPI_VERSION}/namespaces/{_seg(namespace)}/clusterclasses"
        )
        return sorted(str((i.get("metadata") or {}).get("name")) for i in _items(data, "GET clusterclasses"))

    def cluster_class_variables(self, namespace: str, name: str) -> list[str]:
        """The variable names a ClusterClass defines (``status.variables``, else ``spec.variables``); raises
        ``errors.NotFound``."""
        data = self._inventory(
            f"/apis/{keys.CAPI_GROUP}/{keys.CAPI_VERSION}/namespaces/{_seg(namespace)}/clusterclasses/{_seg(name)}"
        )
        found: set[str] = set()
        for part in ("status", "spec"):
            for var in ((data or {}).get(part) or {}).get("variables") or []:
                if isinstance(var, dict) and var.get("name"):
                    found.add(str(var["name"]))
        return sorted(found)

    # ---- releases ----------------------------------------------------------------------------------------------

    def _releases_api(self) -> tuple[str, str, str]:
        """KubernetesRelease (VKS) when the Supervisor serves it, else TanzuKubernetesRelease."""
        if self._release_api is None:
            try:
                self._inventory(f"/apis/{keys.KR_GROUP[0]}/{keys.KR_GROUP[1]}")
                self._release_api = keys.KR_GROUP
            except errors.NotFound:
                self._release_api = keys.TKR_GROUP
        return self._release_api

    def list_releases(self) -> list[k8s.Release]:
        """Every Kubernetes release the Supervisor offers (KR or TKR), newest first."""
        group, version, plural = self._releases_api()
        data = self._inventory(f"/apis/{group}/{version}/{plural}")
        found = [_parse(k8s.Release, i, f"GET {plural}") for i in _items(data, f"GET {plural}")]
        return sorted(found, key=lambda r: release_sort_key(r.spec.version or r.metadata.name), reverse=True)

    def list_release_names_for_os(self, os_name: str, os_version: str | None = None) -> set[str]:
        """Names of releases that have an OSImage for ``os_name`` (and ``os_version``): OSImage labels ``os-name``,
        ``os-version``."""
        selector = f"os-name={os_name}" + (f",os-version={os_version}" if os_version else "")
        data = self._request("GET", "/apis/run.tanzu.vmware.com/v1alpha3/osimages", params={"labelSelector": selector})
        return {
            str(((i.get("metadata") or {}).get("labels") or {}).get(keys.TKR_LABEL))
            for i in _items(data, "GET osimages")
        } - {"None"}

    # ---- waits -------------------------------------------------------------------------------------------------

    def _ready_status(self, obj: k8s.Cluster, pools: Mapping[str, int | None]) -> str:
        """``Ready`` when usable (Ready, endpoint, kubeconfig secret, every pool's replicas ready), else progress."""
        base = cluster_status(obj)
        if base in ("Failed", "Deleting"):
            return base
        problems = error_conditions(obj)
        if problems:
            # Logged through the status change and waited out; a persistent one ends in the timeout, quoted there.
            return f"{base}: waiting for an error condition to recover ({problems[0]})"
        status = obj.status
        ready = status.condition("Ready") if status else None
        if ready is None or ready.status != "True":
            reason = f" ({ready.reason})" if ready is not None and ready.reason else ""
            return f"{base}: waiting for Ready{reason}"
        endpoint = obj.spec.controlPlaneEndpoint
        if endpoint is None or not endpoint.host:
            return f"{base}: waiting for the control-plane endpoint"
        namespace, name = obj.metadata.namespace or "", obj.metadata.name
        try:
            self.get_secret(namespace, f"{name}-kubeconfig")
        except errors.NotFound:
            return f"{base}: waiting for the kubeconfig secret"
        waiting = self._pools_waiting(namespace, name, pools)
        if waiting:
            return f"{base}: waiting for node pools {', '.join(waiting)}"
        return "Ready"

    def _pools_waiting(self, namespace: str, name: str, pools: Mapping[str, int | None]) -> list[str]:
        if not pools:
            return []
        by_pool: dict[str, k8s.MachineDeployment] = {}
        for md in self.list_machine_deployments(namespace, name):
            pool = (md.metadata.labels or {}).get(keys.POOL_LABEL)
            if pool:
                by_pool[pool] = md
        waiting = []
        for pool, wanted in sorted(pools.items()):
            found = by_pool.get(pool)
            if found is None:
                waiting.append(f"{pool} (not created yet)")
                continue
            md = found
            desired = wanted if wanted is not None else md.spec.replicas or 0
            ready = (md.status.readyReplicas if md.status else None) or 0
            have = (md.status.replicas if md.status else None) or 0
            if ready < desired or have != desired:
                waiting.append(f"{pool} ({ready}/{desired} ready)")
        return waiting

    def wait_cluster_ready(
        self,
        namespace: str,
        name: str,
        *,
        pools: Mapping[str, int | None],
        deadline: float | None,
        stop: threading.Event | None = None,
        logger: logging.Logger | None = None,
    ) -> k8s.Cluster:
        """Wait until the cluster is usable: Ready=True, control-plane endpoint set, kubeconfig Secret present, and
        every node pool in ``pools`` (name → wanted replicas, None = whatever the autoscaler chose) fully ready.

        v1beta1's Ready ignores workers, hence the MachineDeployment check. A condition with ``severity: Error`` is
        waited out (Cluster API reports transient problems that way); only a terminal failure (``failureReason``,
        phase ``Failed``) raises ``errors.WaitFailed``. ``WaitTimeout``/``WaitCancelled`` otherwise; each carries
        ``last``, whose conditions (a persistent error among them) the caller quotes.
        """
        return self._wait(namespace, name, lambda o: self._ready_status(o, pools), deadline, stop, logger)

    def _settled_status(self, obj: k8s.Cluster, generation: int, pools: Mapping[str, int | None]) -> str:
        status = obj.status
        if status is None or (status.observedGeneration or 0) < generation:
            return f"{cluster_status(obj)}: waiting for the controller to observe generation {generation}"
        if cluster_status(obj) in ("Failed", "Deleting"):
            return cluster_status(obj)
        topology = status.condition("TopologyReconciled")
        if topology is not None and topology.status != "True" and topology.severity != "Error":
            return f"{cluster_status(obj)}: rolling out ({topology.reason or 'TopologyReconciled=False'})"
        ready = self._ready_status(obj, pools)
        if ready != "Ready":
            return ready
        # observedGeneration and TopologyReconciled can be reported before machines start rolling: compare versions.
        behind = self._versions_behind(obj)
        return f"{cluster_status(obj)}: rolling out ({behind})" if behind else "Ready"

    def _versions_behind(self, obj: k8s.Cluster) -> str:
        """What still runs another version than ``spec.topology.version`` (empty when everything is there)."""
        target = obj.spec.topology.version if obj.spec.topology else None
        if not target:
            return ""
        namespace, name = obj.metadata.namespace or "", obj.metadata.name
        for cp in self.list_control_planes(namespace, name):
            want = cp.spec.replicas or 0
            status = cp.status or k8s.ControlPlaneStatus()
            if cp.spec.version != target or status.version != target or (status.updatedReplicas or 0) < want:
                return (
                    f"control plane at {status.version or 'unknown'}, {status.updatedReplicas or 0}/{want} at {target}"
                )
            if (status.readyReplicas or 0) < want:
                return f"control plane {status.readyReplicas or 0}/{want} ready"
        for md in self.list_machine_deployments(namespace, name):
            pool = (md.metadata.labels or {}).get(keys.POOL_LABEL) or md.metadata.name
            want = md.spec.replicas or 0
            version = md.spec.template.spec.version if md.spec.template and md.spec.template.spec else None
            updated = (md.status.updatedReplicas if md.status else None) or 0
            if version != target or updated < want:
                return f"node pool {pool} at {version or 'unknown'}, {updated}/{want} at {target}"
        return ""

    def wait_cluster_settled(
        self,
        namespace: str,
        name: str,
        *,
        generation: int,
        pools: Mapping[str, int | None],
        deadline: float | None,
        stop: threading.Event | None = None,
        logger: logging.Logger | None = None,
    ) -> k8s.Cluster:
        """Wait until an update has rolled out: observedGeneration ≥ ``generation``, TopologyReconciled=True, the
        ready conditions of ``wait_cluster_ready``, and the control plane and every pool at ``spec.topology.version``
        with all their machines updated and ready (a Supervisor can report the first two before anything rolls).
        Same errors as ``wait_cluster_ready``."""
        return self._wait(namespace, name, lambda o: self._settled_status(o, generation, pools), deadline, stop, logger)

    def wait_cluster_deleted(
        self,
        namespace: str,
        name: str,
        *,
        deadline: float | None,
        stop: threading.Event | None = None,
        logger: logging.Logger | None = None,
    ) -> None:
        """Wait until the Cluster is gone (its finalizers ran). Raises ``WaitTimeout``/``WaitCancelled``."""
        wait.wait_for(
            lambda: self.get_cluster(namespace, name),
            lambda obj: "Deleting",
            pending={"Deleting"},
            target={wait.GONE},
            deadline=deadline,
            stop=stop,
            label=f"[cluster {namespace}/{name}]",
            interval=self.poll_interval,
            max_interval=max(self.poll_interval, 5.0),
            logger=logger,
        )

    def _wait(
        self,
        namespace: str,
        name: str,
        status: Callable[[k8s.Cluster], str],
        deadline: float | None,
        stop: threading.Event | None,
        logger: logging.Logger | None,
    ) -> k8s.Cluster:
        logger = logger or log
        label = f"[cluster {namespace}/{name}]"
        seen: dict[str, str] = {}

        def fetch() -> k8s.Cluster:
            obj = self.get_cluster(namespace, name)
            for c in (obj.status.conditions if obj.status else None) or []:
                text = f"{c.status} {c.reason or ''} {c.message or ''}".strip()
                if seen.get(c.type) != text:
                    seen[c.type] = text
                    logger.info("%s condition %s=%s", label, c.type, text)
            return obj

        def pending_status(obj: k8s.Cluster) -> str:
            current = status(obj)
            return current if current in ("Ready", "Failed", "Deleting") else f"Pending {current}"

        obj = wait.wait_for(
            fetch,
            pending_status,
            pending=_AnyPending(),
            target={"Ready"},
            deadline=deadline,
            stop=stop,
            label=label,
            failure_messages=lambda o: cluster_failure_messages(o) or [conditions_summary(o)],
            interval=self.poll_interval,
            max_interval=max(self.poll_interval, 5.0),
            logger=logger,
        )
        if obj is None:  # the cluster disappeared while we waited
            raise errors.NotFound(f"cluster {namespace}/{name} was deleted while waiting for it")
        return obj


class _AnyPending(frozenset[str]):
    """A pending set that holds every progress status (they start with ``Pending``)."""

    def __contains__(self, item: object) -> bool:
        return isinstance(item, str) and item.startswith("Pending")


# ---- release matching (pure) -------------------------------------------------------------------------------------


def release_matches(version: str, release: k8s.Release) -> bool:
    """Whether ``version`` (a release name, its version, its Kubernetes version, or a prefix of the name at a ``.``
    or ``-`` boundary, as the TKR resolver reads it) designates ``release``."""
    return designates(version, release.metadata.name, release.spec.version, release.spec.kubernetes.version)


CNI_PACKAGE_DOMAIN = ".tanzu.vmware.com"
# Asks the Supervisor to fill what a ClusterBootstrap leaves out (CSI, CPI … packages) from this release.
ADD_MISSING_FIELDS = "tkg.tanzu.vmware.com/add-missing-fields-from-tkr"


def cni_of_package(ref_name: str) -> str:
    """``calico.tanzu.vmware.com.3.27.3+vmware.1-tkg.1`` → ``calico``."""
    return ref_name.split(CNI_PACKAGE_DOMAIN, 1)[0]


def cni_package(release: k8s.Release, cni: str) -> str | None:
    """The full package name (``<cni>.tanzu.vmware.com.<version>``) of ``cni`` that ``release`` ships, or None."""
    for package in release.spec.bootstrapPackages or []:
        name = str(package.get("name") or "")
        if name.startswith(f"{cni}{CNI_PACKAGE_DOMAIN}."):
            return name
    return None


def release_cnis(release: k8s.Release) -> list[str]:
    """The CNIs a release ships (packages named ``antrea.tanzu.vmware.com.…``, ``calico.…``)."""
    names = [str(p.get("name") or "") for p in release.spec.bootstrapPackages or []]
    return sorted({cni_of_package(n) for n in names if n.split(CNI_PACKAGE_DOMAIN, 1)[0] in ("antrea", "calico")})


def matching_releases(version: str, releases: list[k8s.Release]) -> list[k8s.Release]:
    """The releases ``version`` designates, newest first."""
    found = [r for r in releases if release_matches(version, r)]
    return sorted(found, key=lambda r: release_sort_key(r.spec.version or r.metadata.name), reverse=True)


def release_usable(release: k8s.Release) -> bool:
    """Ready, compatible, and not labelled incompatible/deactivated/invalid."""
    return release.ready and release.compatible and not release.excluded_by


def release_problem(release: k8s.Release) -> str:
    """Why a release cannot be used (empty when it can)."""
    problems = [f"labelled {label}" for label in release.excluded_by]
    if not release.compatible and "incompatible" not in release.excluded_by:
        problems.append("not compatible with this Supervisor")
    if not release.ready:
        conditions = release.status.conditions if release.status else None
        ready = next((c for c in conditions or [] if c.type == "Ready"), None)
        reason = f" ({ready.reason})" if ready is not None and ready.reason else ""
        problems.append(f"not ready{reason}")
    return ", ".join(problems)
