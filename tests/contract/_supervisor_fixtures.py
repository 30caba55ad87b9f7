"""Fixtures for the Supervisor contract tests: a live tkg-sim, a vSphere Namespace made through vCenter REST, a
token from ``/wcp/login`` and a kubeconfig for kubectl / the official ``kubernetes`` client.

Imported by the ``test_supervisor*``, ``test_kubectl*`` and ``test_kubernetes_client*`` modules (kept apart from the
shared ``conftest.py``).
"""

from __future__ import annotations

import base64
import os
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from tests import certs
from tkgsim import Simulator

SUPERVISOR_ID = "c9ad3f1a-6c0e-4a2b-9a64-0d1a7f0e5b21"
VSAN_POLICY = "aa6d5a82-1c88-45da-85d3-3d74b91a5bad"
GOLD_POLICY = "4d5f673c-536f-11e6-beb8-9e71128cae77"
CLUSTERS = "/apis/cluster.x-k8s.io/v1beta1/namespaces/{ns}/clusters"
GROUP, VERSION, PLURAL = "cluster.x-k8s.io", "v1beta1", "clusters"


@dataclass
class SupervisorEnv:
    """A running simulator plus ready-made credentials for the Supervisor side."""

    sim: Simulator
    ca_file: str
    token: str
    readonly_token: str
    kubeconfig: Path
    namespace: str
    workdir: Path

    @property
    def url(self) -> str:
        return self.sim.supervisor_url

    def client(self, token: str | None = None) -> httpx.Client:
        """An httpx client for the Supervisor with the admin (or given) bearer token."""
        return httpx.Client(
            base_url=self.url,
            verify=certs.verify(self.ca_file),
            headers={"Authorization": f"Bearer {token or self.token}"},
            timeout=30,
        )

    def kubectl(
        self,
        *args: str,
        kubeconfig: Path | None = None,
        timeout: float = 60,
        check: bool = True,
        stdin: str | None = None,
    ) -> subprocess.CompletedProcess[str]:
        """Run the kubectl on PATH against this simulator."""
        env = {**os.environ, "KUBECONFIG": str(kubeconfig or self.kubeconfig), "HOME": str(self.workdir)}
        result = subprocess.run(
            ["kubectl", *args], capture_output=True, text=True, timeout=timeout, env=env, input=stdin, check=False
        )
        if check and result.returncode != 0:
            raise AssertionError(f"kubectl {' '.join(args)} failed ({result.returncode}): {result.stderr[-2000:]}")
        return result

    def api_client(self, token: str | None = None) -> Any:
        """An official ``kubernetes`` ApiClient for the Supervisor."""
        from kubernetes import client

        configuration = client.Configuration()
        configuration.host = self.url
        configuration.ssl_ca_cert = self.ca_file
        configuration.api_key = {"authorization": f"Bearer {token or self.token}"}
        return client.ApiClient(configuration)

    def wait_for(self, predicate: Callable[[], Any], *, timeout: float = 60, what: str = "condition") -> Any:
        """Poll until ``predicate()`` is truthy (a deadline, not a timing assertion)."""
        deadline = time.monotonic() + timeout
        while True:
            value = predicate()
            if value:
                return value
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting for {what}")
            time.sleep(0.05)

    def status_of(self, path: str) -> int:
        """The HTTP status of a GET with the admin token."""
        with self.client() as http:
            return http.get(path).status_code

    def get_cluster(self, name: str) -> dict[str, Any] | None:
        with self.client() as http:
            response = http.get(CLUSTERS.format(ns=self.namespace) + f"/{name}")
        if response.status_code == 404:
            return None
        response.raise_for_status()
        data: dict[str, Any] = response.json()
        return data

    def workload_kubeconfig(self, cluster: str) -> Path:
        """Decode ``<cluster>-kubeconfig`` into a file."""
        with self.client() as http:
            secret = http.get(f"/api/v1/namespaces/{self.namespace}/secrets/{cluster}-kubeconfig").json()
        path = self.workdir / f"{cluster}.kubeconfig"
        path.write_bytes(base64.b64decode(secret["data"]["value"]))
        return path


def vcenter_call(sim: Simulator, method: str, path: str, body: Any = None) -> httpx.Response:
    """One vCenter REST call as the admin user (``POST /api/session`` first, like a user would)."""
    with httpx.Client(base_url=sim.vcenter_url, verify=certs.verify(sim.ca_file), timeout=30) as http:
        token = http.post("/api/session", auth=(sim.admin_user, sim.admin_password)).json()
        return http.request(method, path, json=body, headers={"vmware-api-session-id": token})


def create_vsphere_namespace(sim: Simulator, name: str, *, vm_classes: list[str], policies: list[str]) -> None:
    """Create a vSphere Namespace through vCenter REST, as a user would."""
    body = {
        "namespace": name,
        "supervisor": SUPERVISOR_ID,
        "storage_specs": [{"policy": p} for p in policies],
        "vm_service_spec": {"vm_classes": vm_classes},
    }
    response = vcenter_call(sim, "POST", "/api/vcenter/namespaces/instances/v2", body)
    assert response.status_code == 204, response.text


def login(sim: Simulator, user: str, password: str) -> str:
    with httpx.Client(base_url=sim.supervisor_url, verify=certs.verify(sim.ca_file)) as http:
        response = http.post("/wcp/login", auth=(user, password))
        assert response.status_code == 200, response.text
        token: str = response.json()["session_id"]
        return token


def _readonly(sim: Simulator) -> tuple[str, str]:
    for user in sim.world.model["users"]:
        if user["role"] == "read-only":
            return user["name"], user["password"]
    raise AssertionError("the seed has no read-only user")


def start_env(
    tmp: Path, *, delay_scale: float, namespace: str = "demo-ns", profile: str | None = None
) -> Iterator[SupervisorEnv]:
    """Start a simulator (of ``profile``) with one vSphere Namespace and yield the environment."""
    with Simulator(delay_scale=delay_scale, profile=profile) as sim:
        ca_file = sim.ca_file
        assert ca_file, "the simulator should serve TLS by default"
        pem = Path(ca_file).read_text()
        sim.call(lambda world: None if world.ca_pem else setattr(world, "ca_pem", pem))
        create_vsphere_namespace(
            sim, namespace, vm_classes=["best-effort-small", "guaranteed-medium"], policies=[VSAN_POLICY, GOLD_POLICY]
        )
        token = login(sim, sim.admin_user, sim.admin_password)
        readonly_token = login(sim, *_readonly(sim))
        kubeconfig = tmp / "supervisor.kubeconfig"
        kubeconfig.write_text(
            yaml.safe_dump(
                {
                    "apiVersion": "v1",
                    "kind": "Config",
                    "clusters": [
                        {"name": "tkg-sim", "cluster": {"server": sim.supervisor_url, "certificate-authority": ca_file}}
                    ],
                    "users": [{"name": "admin", "user": {"token": token}}],
                    "contexts": [
                        {"name": namespace, "context": {"cluster": "tkg-sim", "user": "admin", "namespace": namespace}}
                    ],
                    "current-context": namespace,
                }
            )
        )
        env = SupervisorEnv(sim, ca_file, token, readonly_token, kubeconfig, namespace, tmp)
        env.wait_for(lambda: env.status_of(f"/api/v1/namespaces/{namespace}") == 200, what="namespace mirror")
        yield env


@pytest.fixture(scope="module")
def supervisor(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SupervisorEnv]:
    """tkg-sim with instant controllers (delay_scale 0) and namespace ``demo-ns``."""
    yield from start_env(tmp_path_factory.mktemp("supervisor"), delay_scale=0)


@pytest.fixture(scope="module")
def slow_supervisor(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SupervisorEnv]:
    """tkg-sim with a small non-zero delay scale (0.02: seconds become tens of milliseconds)."""
    yield from start_env(tmp_path_factory.mktemp("slow-supervisor"), delay_scale=0.02)


def cluster_manifest(
    name: str,
    namespace: str,
    *,
    version: str = "v1.30.8---vmware.1-fips-vkr.1",
    control_plane: int = 1,
    pools: dict[str, int] | None = None,
    vm_class: str = "best-effort-small",
    storage_class: str = "vsan-default-storage-policy",
    cluster_class: str = "tanzukubernetescluster",
) -> dict[str, Any]:
    """A TKG Cluster (v1beta1, topology) as a user would write it."""
    pools = {"np-1": 1} if pools is None else pools
    return {
        "apiVersion": "cluster.x-k8s.io/v1beta1",
        "kind": "Cluster",
        "metadata": {"name": name, "namespace": namespace, "labels": {"team": "payments"}},
        "spec": {
            "clusterNetwork": {
                "pods": {"cidrBlocks": ["192.168.0.0/16"]},
                "services": {"cidrBlocks": ["10.96.0.0/12"]},
                "serviceDomain": "cluster.local",
            },
            "topology": {
                "class": cluster_class,
                "version": version,
                "controlPlane": {"replicas": control_plane},
                "workers": {
                    "machineDeployments": [
                        {"class": "node-pool", "name": pool, "replicas": n} for pool, n in pools.items()
                    ]
                },
                "variables": [{"name": "vmClass", "value": vm_class}, {"name": "storageClass", "value": storage_class}],
            },
        },
    }


def condition(obj: dict[str, Any] | None, kind: str) -> dict[str, Any] | None:
    for cond in ((obj or {}).get("status") or {}).get("conditions") or []:
        if cond.get("type") == kind:
            return dict(cond)
    return None


def is_ready(obj: dict[str, Any] | None) -> bool:
    """v1beta1 Ready=True and every pool's workers ready and up to date (reference §4.2 step 5)."""
    ready = condition(obj, "Ready")
    if not ready or ready["status"] != "True":
        return False
    status = (obj or {}).get("status") or {}
    if status.get("observedGeneration") != (obj or {})["metadata"].get("generation"):
        return False
    workers = (status.get("v1beta2") or {}).get("workers") or {}
    return bool(workers.get("readyReplicas") == workers.get("desiredReplicas") == workers.get("upToDateReplicas"))
