"""The Supervisor client over httpx.MockTransport: endpoints, /wcp/login token use and renewal, 401 re-login,
409 re-read and re-apply, kubeconfig decoding and redaction hook, status words of the waits."""

from __future__ import annotations

import base64
import json
import time
from typing import Any

import httpx
import pytest

from terraform_provider_tkg.api import errors
from terraform_provider_tkg.api import k8s_models as k8s
from terraform_provider_tkg.api import supervisor as sv


def jwt(exp: float) -> str:
    def part(data: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")

    return f"{part({'alg': 'RS256'})}.{part({'exp': exp, 'sub': 'administrator@vsphere.local'})}.sig"


class FakeSupervisor:
    """Just enough of the Supervisor for the client: login, one Cluster with resourceVersion, a kubeconfig Secret."""

    def __init__(self, *, token_lifetime: float = 3600) -> None:
        self.logins = 0
        self.token_lifetime = token_lifetime
        self.valid: set[str] = set()
        self.requests: list[tuple[str, str, str]] = []
        self.conflicts = 0
        self.cluster = {
            "metadata": {"name": "c1", "namespace": "ns", "resourceVersion": "1", "generation": 1},
            "spec": {"topology": {"class": "tanzukubernetescluster", "version": "v1.31.4+vmware.1", "variables": []}},
        }

    def handler(self, request: httpx.Request) -> httpx.Response:
        self.requests.append((request.method, f"{request.url.host}:{request.url.port or 443}", request.url.path))
        if request.url.path == "/wcp/login":
            assert request.headers["Authorization"].startswith("Basic ")
            self.logins += 1
            token = jwt(time.time() + self.token_lifetime) + str(self.logins)
            self.valid = {token}
            return httpx.Response(200, json={"session_id": token})
        bearer = request.headers.get("Authorization", "").removeprefix("Bearer ")
        if bearer not in self.valid:
            return httpx.Response(401, json={"kind": "Status", "reason": "Unauthorized", "code": 401})
        path = request.url.path
        if path.endswith("/clusters/c1") and request.method == "GET":
            return httpx.Response(200, json=self.cluster)
        if path.endswith("/clusters/c1") and request.method == "PATCH":
            assert request.headers["Content-Type"] == sv.MERGE_PATCH
            patch = json.loads(request.content)
            if self.conflicts:
                self.conflicts -= 1
                self.cluster["metadata"]["resourceVersion"] = str(int(self.cluster["metadata"]["resourceVersion"]) + 1)
            if patch["metadata"]["resourceVersion"] != self.cluster["metadata"]["resourceVersion"]:
                return httpx.Response(
                    409, json={"kind": "Status", "reason": "Conflict", "code": 409, "message": "modified"}
                )
            self.cluster["metadata"]["labels"] = patch["metadata"].get("labels")
            return httpx.Response(200, json=self.cluster)
        if path.endswith("/secrets/c1-kubeconfig"):
            value = base64.b64encode(b"apiVersion: v1\nkind: Config\n").decode()
            return httpx.Response(200, json={"type": "cluster.x-k8s.io/secret", "data": {"value": value}})
        return httpx.Response(404, json={"kind": "Status", "reason": "NotFound", "code": 404, "message": "nope"})


def client(fake: FakeSupervisor, endpoint: str = "sv.example.com:8443", **kw: Any) -> sv.SupervisorClient:
    return sv.SupervisorClient(
        endpoint,
        user="administrator@vsphere.local",
        password="pw",
        transport=httpx.MockTransport(fake.handler),
        sleep=lambda s: None,
        **kw,
    )


def test_api_urls_bare_host_uses_443_and_6443_explicit_port_serves_both() -> None:
    assert sv.api_urls("sv.example.com") == ("https://sv.example.com", "https://sv.example.com:6443")
    assert sv.api_urls("127.0.0.1:8443") == ("https://127.0.0.1:8443", "https://127.0.0.1:8443")
    assert sv.api_urls("https://sv.example.com/") == ("https://sv.example.com", "https://sv.example.com:6443")


@pytest.mark.parametrize(
    ("endpoint", "expected"),
    [
        ("10.0.0.5", ("https://10.0.0.5", "https://10.0.0.5:6443")),
        ("10.0.0.5:443", ("https://10.0.0.5", "https://10.0.0.5:6443")),
        ("10.0.0.5:6443", ("https://10.0.0.5", "https://10.0.0.5:6443")),
        ("https://sv.example.com:6443/", ("https://sv.example.com", "https://sv.example.com:6443")),
        ("[fd00::5]", ("https://[fd00::5]", "https://[fd00::5]:6443")),
        ("[fd00::5]:6443", ("https://[fd00::5]", "https://[fd00::5]:6443")),
        ("[fd00::5]:9443", ("https://[fd00::5]:9443", "https://[fd00::5]:9443")),
        ("sv.example.com:8443", ("https://sv.example.com:8443", "https://sv.example.com:8443")),
    ],
)
def test_api_urls_port_rule(endpoint: str, expected: tuple[str, str]) -> None:
    """host, host:443 and host:6443 mean login on 443 and the API on 6443; any other port serves both."""
    assert sv.api_urls(endpoint) == expected


def test_bare_host_logs_in_on_443_and_calls_6443() -> None:
    fake = FakeSupervisor()
    with_client = client(fake, "sv.example.com")
    with_client.get_cluster("ns", "c1")
    assert fake.requests[0] == ("POST", "sv.example.com:443", "/wcp/login")
    assert fake.requests[1] == (
        "GET",
        "sv.example.com:6443",
        "/apis/cluster.x-k8s.io/v1beta1/namespaces/ns/clusters/c1",
    )
    with_client.close()


def test_token_is_reused_renewed_before_expiry_and_after_401() -> None:
    fake = FakeSupervisor()
    secrets: list[str] = []
    c = client(fake, on_secret=secrets.append)
    c.get_cluster("ns", "c1")
    c.get_cluster("ns", "c1")
    assert fake.logins == 1 and len(secrets) == 1
    fake.valid = set()  # the server forgot the token: one 401, one re-login, success
    c.get_cluster("ns", "c1")
    assert fake.logins == 2
    short = FakeSupervisor(token_lifetime=30)  # inside the renewal margin: every call logs in again
    c2 = client(short)
    c2.get_cluster("ns", "c1")
    c2.get_cluster("ns", "c1")
    assert short.logins == 2
    c.close()
    c2.close()


def test_update_cluster_rereads_and_reapplies_on_conflict() -> None:
    fake = FakeSupervisor()
    fake.conflicts = 2
    c = client(fake)
    seen: list[str | None] = []

    def build(current: k8s.Cluster) -> dict[str, Any]:
        seen.append(current.metadata.resourceVersion)
        return {"metadata": {"labels": {"team": "a"}}}

    result = c.update_cluster("ns", "c1", build)
    assert result.metadata.labels == {"team": "a"}
    assert len(seen) == 3
    fake.conflicts = 99
    with pytest.raises(errors.Conflict):
        c.update_cluster("ns", "c1", build)
    c.close()


def test_not_found_and_kubeconfig_registered_as_secret() -> None:
    fake = FakeSupervisor()
    secrets: list[str] = []
    c = client(fake, on_secret=secrets.append)
    with pytest.raises(errors.NotFound):
        c.get_cluster("ns", "missing")
    text = c.get_kubeconfig("ns", "c1")
    assert "kind: Config" in text and text in secrets
    c.close()


def cluster(status: dict[str, Any], **meta: Any) -> k8s.Cluster:
    return k8s.Cluster.model_validate({"metadata": {"name": "c", **meta}, "status": status})


def test_status_words() -> None:
    assert sv.cluster_status(cluster({"phase": "Provisioning"})) == "Provisioning"
    failed = cluster(
        {
            "phase": "Provisioned",
            "conditions": [
                {
                    "type": "InfrastructureReady",
                    "status": "False",
                    "severity": "Error",
                    "reason": "X",
                    "message": "boom",
                }
            ],
        }
    )
    # severity Error alone is not terminal: Cluster API reports transient problems that way, then recovers.
    assert sv.cluster_status(failed) == "Provisioned"
    assert sv.error_conditions(failed) == ["InfrastructureReady: X: boom"]
    assert sv.cluster_failure_messages(failed) == ["InfrastructureReady: X: boom"]
    terminal = cluster({"phase": "Failed", "failureReason": "NetworkSetupFailed", "failureMessage": "no IP"})
    assert sv.cluster_status(terminal) == "Failed"
    assert sv.cluster_failure_messages(terminal) == ["NetworkSetupFailed: no IP"]
    assert sv.cluster_status(cluster({}, deletionTimestamp="2025-01-01T00:00:00Z")) == "Deleting"
    assert "InfrastructureReady=False (X: boom)" in sv.conditions_summary(failed)
