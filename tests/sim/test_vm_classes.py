"""VM classes: create/get/list/PATCH/delete, validation and the in-use refusal."""

from __future__ import annotations

from typing import Any

import pytest

from tests.sim.conftest import POLICY, VcClient, assert_vc_error, namespace_body, unique

CLASSES = "/api/vcenter/namespace-management/virtual-machine-classes"


def test_seeded_standard_classes(vc: VcClient) -> None:
    classes = {c["id"]: c for c in vc.get(CLASSES).json()}
    assert {"best-effort-xsmall", "best-effort-small", "guaranteed-large", "guaranteed-xlarge"} <= set(classes)
    assert classes["best-effort-small"]["cpu_count"] == 2 and classes["best-effort-small"]["memory_MB"] == 4096
    assert classes["guaranteed-xlarge"]["memory_reservation"] == 100
    for info in classes.values():
        assert {"id", "cpu_count", "memory_MB", "description", "namespaces", "vms", "config_status", "messages"} <= set(
            info
        )


def test_create_get_patch_delete(vc: VcClient) -> None:
    name = unique("cls")
    body = {
        "id": name,
        "cpu_count": 4,
        "memory_mb": 16384,  # lower-case spelling accepted, canonical emitted
        "description": "4 vCPU",
        "config_spec": {"_typeName": "VirtualMachineConfigSpec", "numCPUs": 4, "memoryMB": 16384},
    }
    assert vc.post(CLASSES, body).status_code == 204
    info = vc.get(f"{CLASSES}/{name}").json()
    assert info["memory_MB"] == 16384 and "memory_mb" not in info
    assert info["config_spec"] == body["config_spec"]
    assert info["namespaces"] == [] and info["vms"] == [] and info["config_status"] == "READY"
    assert vc.patch(f"{CLASSES}/{name}", {"cpu_count": 8, "cpu_reservation": 50}).status_code == 204
    info = vc.get(f"{CLASSES}/{name}").json()
    assert (info["cpu_count"], info["cpu_reservation"], info["memory_MB"]) == (8, 50, 16384)
    assert_vc_error(vc.post(CLASSES, body), 400, "ALREADY_EXISTS")
    assert vc.delete(f"{CLASSES}/{name}").status_code == 204
    assert_vc_error(vc.get(f"{CLASSES}/{name}"), 404, "NOT_FOUND")
    assert_vc_error(vc.delete(f"{CLASSES}/{name}"), 404, "NOT_FOUND")
    assert_vc_error(vc.patch(f"{CLASSES}/{name}", {"cpu_count": 1}), 404, "NOT_FOUND")


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"id": "Not_A_Label"}, "id"),
        ({"cpu_count": 0}, "cpu_count"),
        ({"cpu_count": "2"}, "cpu_count"),
        ({"memory_MB": 0}, "memory_MB"),
        ({"cpu_reservation": 101}, "cpu_reservation"),
        ({"memory_reservation": -1}, "memory_reservation"),
        (
            {"devices": {"vgpu_devices": [{"profile_name": "grid_a100-4c"}]}, "memory_reservation": 50},
            "memory_reservation",
        ),
        (
            {"devices": {"dynamic_direct_path_IO_devices": [{"vendor_id": 1}]}},
            "devices.dynamic_direct_path_IO_devices[0].device_id",
        ),
        ({"instance_storage": {"policy": "nope", "volumes": [{"size": 1024}]}}, "instance_storage.policy"),
        ({"instance_storage": {"policy": POLICY, "volumes": []}}, "instance_storage.volumes"),
        ({"instance_storage": {"policy": POLICY}}, "instance_storage.volumes"),
        ({"colour": "blue"}, "colour"),
    ],
)
def test_create_validation(vc: VcClient, change: dict[str, Any], field: str) -> None:
    body = {"id": unique("v"), "cpu_count": 2, "memory_MB": 2048, **change}
    error = assert_vc_error(vc.post(CLASSES, body), 400, "INVALID_ARGUMENT")
    assert field in error["messages"][0]["args"], error


def test_devices_with_full_memory_reservation_are_accepted(vc: VcClient) -> None:
    name = unique("gpu")
    body = {
        "id": name,
        "cpu_count": 8,
        "memory_MB": 65536,
        "memory_reservation": 100,
        "devices": {"vgpu_devices": [{"profile_name": "grid_a100-8c"}]},
        "instance_storage": {"policy": POLICY, "volumes": [{"size": 10240}]},
    }
    assert vc.post(CLASSES, body).status_code == 204
    info = vc.get(f"{CLASSES}/{name}").json()
    assert info["devices"] == body["devices"] and info["instance_storage"] == body["instance_storage"]
    # Lowering the reservation while devices remain is refused; the class is unchanged.
    assert_vc_error(vc.patch(f"{CLASSES}/{name}", {"memory_reservation": 0}), 400, "INVALID_ARGUMENT")
    assert vc.get(f"{CLASSES}/{name}").json()["memory_reservation"] == 100


def test_delete_refused_while_a_namespace_uses_the_class(vc: VcClient) -> None:
    name = unique("used")
    ns = unique("user")
    assert vc.post(CLASSES, {"id": name, "cpu_count": 1, "memory_MB": 1024}).status_code == 204
    body = namespace_body(ns, vm_service_spec={"vm_classes": [name]})
    assert vc.post("/api/vcenter/namespaces/instances/v2", body).status_code == 204
    assert vc.get(f"{CLASSES}/{name}").json()["namespaces"] == [ns]
    error = assert_vc_error(vc.delete(f"{CLASSES}/{name}"), 400, "RESOURCE_IN_USE")
    assert ns in error["messages"][0]["default_message"]
    patch = {"vm_service_spec": {"vm_classes": []}}
    assert vc.patch(f"/api/vcenter/namespaces/instances/{ns}", patch).status_code == 204
    assert vc.delete(f"{CLASSES}/{name}").status_code == 204
