"""Helpers for the tkg_cluster e2e tests: a simulator with a vSphere Namespace ready for clusters, out-of-band access
through the provider's own Supervisor client (existence checks) and through ``kubectl`` (drift), and HCL builders.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx

from terraform_provider_tkg.api import errors
from terraform_provider_tkg.api.supervisor import SupervisorClient
from tests import certs
from tkgsim import Simulator

SUPERVISOR_ID = "c9ad3f1a-6c0e-4a2b-9a64-0d1a7f0e5b21"
VSAN = "aa6d5a82-1c88-45da-85d3-3d74b91a5bad"
GOLD = "4d5f673c-536f-11e6-beb8-9e71128cae77"
VM_CLASSES = ("best-effort-small", "best-effort-medium", "guaranteed-large")
STORAGE = "vsan-default-storage-policy"
V130 = "v1.30.8---vmware.1-fips-vkr.1"
V131 = "v1.31.4---vmware.1-fips-vkr.3"
V129 = "v1.29.4---vmware.3-fips.1-tkg.1"


@contextlib.contextmanager
def simulator(delay_scale: float) -> Iterator[Simulator]:
    with Simulator(delay_scale=delay_scale) as sim:
        yield sim


@contextlib.contextmanager
def vcenter(sim: Simulator) -> Iterator[httpx.Client]:
    """An authenticated vCenter REST client (session token)."""
    with httpx.Client(base_url=sim.vcenter_url, verify=certs.verify(sim.ca_file), timeout=30) as client:
        token = client.post("/api/session", auth=(sim.admin_user, sim.admin_password)).json()
        client.headers["vmware-api-session-id"] = token
        yield client


@contextlib.contextmanager
def supervisor_client(sim: Simulator) -> Iterator[SupervisorClient]:
    """The provider's own Supervisor client, pointed at the simulator."""
    client = SupervisorClient(
        sim.env()["TKG_SUPERVISOR_ENDPOINT"],
        user=sim.admin_user,
        password=sim.admin_password,
        ca_file=sim.ca_file,
        poll_interval=0.1,
    )
    try:
        yield client
    finally:
        client.close()


def create_namespace(sim: Simulator, name: str, *, vm_classes: tuple[str, ...] = VM_CLASSES) -> None:
    """A vSphere Namespace with VM classes and the vSAN policy, created through vCenter; waits for its mirror on the
    Supervisor (Namespace, VirtualMachineClasses, storage quota)."""
    with vcenter(sim) as client:
        response = client.post(
            "/api/vcenter/namespaces/instances/v2",
            json={
                "namespace": name,
                "supervisor": SUPERVISOR_ID,
                "vm_service_spec": {"vm_classes": list(vm_classes)},
                "storage_specs": [{"policy": VSAN}],
            },
        )
        assert response.status_code == 204, response.text
    with supervisor_client(sim) as sup:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if sup.namespace_exists(name) and sup.list_vm_classes(name) and sup.list_storage_classes(name):
                return
            time.sleep(0.2)
    raise AssertionError(f"namespace {name} never appeared on the Supervisor")


def set_faults(sim: Simulator, **knobs: Any) -> None:
    with httpx.Client(base_url=sim.vcenter_url, verify=certs.verify(sim.ca_file), timeout=30) as client:
        response = client.patch("/_sim/faults", json=knobs, auth=(sim.admin_user, sim.admin_password))
        assert response.status_code == 200, response.text


def snapshot_k8s(sim: Simulator) -> Any:
    with httpx.Client(base_url=sim.vcenter_url, verify=certs.verify(sim.ca_file), timeout=30) as client:
        return client.get("/_sim/snapshot", auth=(sim.admin_user, sim.admin_password)).json()["k8s"]


def cluster_exists(sim: Simulator, namespace: str, name: str) -> bool:
    with supervisor_client(sim) as client:
        try:
            client.get_cluster(namespace, name)
        except errors.NotFound:
            return False
    return True


def supervisor_kubeconfig(sim: Simulator, path: Path, namespace: str) -> Path:
    """A kubeconfig for the Supervisor itself (bearer token from /wcp/login), for kubectl-made drift."""
    login = httpx.post(
        f"{sim.supervisor_url}/wcp/login",
        auth=(sim.admin_user, sim.admin_password),
        verify=certs.verify(sim.ca_file),
        timeout=30,
    )
    token = login.json()["session_id"]
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": "sv", "cluster": {"server": sim.supervisor_url, "certificate-authority": sim.ca_file}}],
        "users": [{"name": "admin", "user": {"token": token}}],
        "contexts": [{"name": "sv", "context": {"cluster": "sv", "user": "admin", "namespace": namespace}}],
        "current-context": "sv",
    }
    path.write_text(json.dumps(config))
    return path


def kubectl(kubeconfig: Path, *args: str) -> str:
    binary = shutil.which("kubectl")
    assert binary, "kubectl is not on PATH"
    done = subprocess.run(
        [binary, "--kubeconfig", str(kubeconfig), *args], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, f"kubectl {' '.join(args)}: {done.stdout}{done.stderr}"
    return done.stdout


# ---- HCL builders --------------------------------------------------------------------------------------------------

PROVIDER = """
terraform {
  required_providers {
    tkg = { source = "tkg-oss/tkg" }
  }
}

provider "tkg" {}
"""


def pool(name: str, replicas: int | None = 1, *, extra: str = "") -> str:
    size = f"replicas = {replicas}" if replicas is not None else ""
    return f"""
  node_pool {{
    name = "{name}"
    {size}
    {extra}
  }}"""


def config_cluster(
    name: str,
    namespace: str,
    *,
    version: str = V130,
    pools: str = "",
    labels: str = '{ team = "payments" }',
    extra: str = "",
    timeouts: str = "",
    outputs: bool = True,
) -> str:
    pools = pools or pool("np-a", 1)
    out = (
        """
output "phase" {
  value = tkg_cluster.this.phase
}

output "kubeconfig" {
  value     = tkg_cluster.this.kubeconfig
  sensitive = true
}
"""
        if outputs
        else ""
    )
    return f"""{PROVIDER}
resource "tkg_cluster" "this" {{
  name               = "{name}"
  namespace          = "{namespace}"
  kubernetes_version = "{version}"
  vm_class           = "best-effort-small"
  storage_class      = "{STORAGE}"
  labels             = {labels}
  {extra}
  {pools}
  {timeouts}
}}
{out}"""
