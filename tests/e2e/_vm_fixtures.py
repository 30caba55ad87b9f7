"""Shared by the VM Service e2e tests: a vSphere Namespace that can run VMs, and the simulator's stored objects."""

from __future__ import annotations

import time
from typing import Any

from tkgsim import Simulator

from . import _cluster_fixtures as fx

VM_IMAGES_LIBRARY = "1b2c3d4e-5f60-4718-92a3-b4c5d6e7f809"
UBUNTU = "ubuntu-22.04-vmservice-v20240415"


def create_vm_namespace(sim: Simulator, name: str) -> None:
    """A vSphere Namespace with VM classes, the vSAN policy and the ``vm-images`` content library."""
    with fx.vcenter(sim) as client:
        response = client.post(
            "/api/vcenter/namespaces/instances/v2",
            json={
                "namespace": name,
                "supervisor": fx.SUPERVISOR_ID,
                "vm_service_spec": {"vm_classes": list(fx.VM_CLASSES), "content_libraries": [VM_IMAGES_LIBRARY]},
                "storage_specs": [{"policy": fx.VSAN}],
            },
        )
        assert response.status_code == 204, response.text
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if k8s_objects(sim, "virtualmachineimages", name) and k8s_objects(sim, "virtualmachineclasses", name):
            return
        time.sleep(0.1)
    raise AssertionError(f"namespace {name} has no VM images")


def objects_of(k8s_snapshot: dict[str, Any], plural: str, namespace: str) -> dict[str, Any]:
    """Stored objects of a kind in a namespace (name → object), from the ``k8s`` part of the admin snapshot."""
    for key, bucket in k8s_snapshot["objects"].items():
        if key.split(".")[0] == plural:
            return {k.split("/", 1)[1]: v for k, v in bucket.items() if k.startswith(f"{namespace}/")}
    return {}


def k8s_objects(sim: Simulator, plural: str, namespace: str) -> dict[str, Any]:
    """The simulator's stored objects of a kind in a namespace (name → object)."""
    return objects_of(fx.snapshot_k8s(sim), plural, namespace)
