"""Namespaces v1/v2: lifecycle, validation, PATCH vs PUT, errors."""

from __future__ import annotations

import time
from typing import Any

import pytest

from tests.sim.conftest import (
    LOCAL_LIBRARY,
    POLICY,
    SUBSCRIBED_LIBRARY,
    SUPERVISOR,
    VcClient,
    assert_vc_error,
    namespace_body,
    unique,
)
from tkgsim import Simulator

V2 = "/api/vcenter/namespaces/instances/v2"
V1 = "/api/vcenter/namespaces/instances"


def _wait_for(check: Any, what: str, timeout: float = 30.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.05)


def test_lifecycle_configuring_running_removing_gone(slow_sim: Simulator) -> None:
    vc = VcClient(slow_sim, slow_sim.admin_user, slow_sim.admin_password)
    name = unique("life")
    assert vc.post(V2, namespace_body(name)).status_code == 204
    first = vc.get(f"{V2}/{name}").json()
    assert first["config_status"] == "CONFIGURING"
    _wait_for(lambda: vc.get(f"{V2}/{name}").json()["config_status"] == "RUNNING", "RUNNING")
    assert vc.delete(f"{V1}/{name}").status_code == 204
    assert vc.get(f"{V2}/{name}").json()["config_status"] == "REMOVING"
    # Changing a namespace that is being removed is refused.
    assert_vc_error(vc.patch(f"{V1}/{name}", {"description": "x"}), 400, "NOT_ALLOWED_IN_CURRENT_STATE")
    _wait_for(lambda: vc.get(f"{V2}/{name}").status_code == 404, "removal")
    assert_vc_error(vc.get(f"{V1}/{name}"), 404, "NOT_FOUND")
    vc.close()


def test_delay_scale_zero_is_running_by_the_next_get(vc: VcClient) -> None:
    name = unique("instant")
    assert vc.post(V2, namespace_body(name)).status_code == 204
    assert vc.get(f"{V2}/{name}").json()["config_status"] == "RUNNING"
    assert vc.delete(f"{V1}/{name}").status_code == 204
    assert vc.get(f"{V2}/{name}").status_code == 404


def test_v1_and_v2_views_of_one_namespace(vc: VcClient) -> None:
    name = unique("views")
    body = {
        "cluster": "domain-c8",
        "namespace": name,
        "description": "team a",
        "access_list": [{"subject_type": "USER", "subject": "alice", "domain": "vsphere.local", "role": "OWNER"}],
        "resource_spec": {"cpu_limit": 20000, "memory_limit": 65536},
        "vm_service_spec": {"vm_classes": ["best-effort-small"], "content_libraries": [LOCAL_LIBRARY]},
    }
    assert vc.post(V1, body).status_code == 204
    v1 = vc.get(f"{V1}/{name}").json()
    v2 = vc.get(f"{V2}/{name}").json()
    assert v1["cluster"] == "domain-c8" and "supervisor" not in v1
    assert v2["supervisor"] == SUPERVISOR and "cluster" not in v2
    for info in (v1, v2):
        assert info["description"] == "team a"
        assert info["messages"] == [] and info["storage_specs"] == []
        assert set(info["stats"]) == {"cpu_used", "memory_used", "storage_used"}
        assert info["resource_spec"] == {"cpu_limit": 20000, "memory_limit": 65536}
        assert info["access_list"][0]["role"] == "OWNER"
    listing = {item["namespace"]: item for item in vc.get(V1).json()}
    assert listing[name]["cluster"] == "domain-c8"
    listing_v2 = {item["namespace"]: item for item in vc.get(V2).json()}
    assert listing_v2[name]["supervisor"] == SUPERVISOR
    assert set(listing_v2[name]) >= {"supervisor", "namespace", "config_status", "stats", "description"}


def test_patch_merges_and_can_empty_vm_classes(vc: VcClient) -> None:
    name = unique("patch")
    body = namespace_body(
        name,
        description="before",
        vm_service_spec={"vm_classes": ["best-effort-small", "guaranteed-small"]},
        resource_spec={"cpu_limit": 20000, "memory_limit": 4096},
    )
    assert vc.post(V2, body).status_code == 204
    small = "/api/vcenter/namespace-management/virtual-machine-classes/best-effort-small"
    assert name in vc.get(small).json()["namespaces"]
    patch = {"vm_service_spec": {"vm_classes": []}, "resource_spec": {"cpu_limit": 30000, "memory_limit_unset": True}}
    assert vc.patch(f"{V1}/{name}", patch).status_code == 204
    info = vc.get(f"{V2}/{name}").json()
    assert info["vm_service_spec"]["vm_classes"] == []
    assert info["resource_spec"] == {"cpu_limit": 30000}
    assert info["description"] == "before"  # absent in the PATCH: unchanged
    assert info["storage_specs"] == [{"policy": POLICY}]
    assert name not in vc.get(small).json()["namespaces"]


def test_put_replaces_and_clears_absent_fields(vc: VcClient) -> None:
    name = unique("put")
    assert vc.post(V2, namespace_body(name, description="d", resource_spec={"pod_count": 10})).status_code == 204
    assert vc.put(f"{V1}/{name}", {"description": "new"}).status_code == 204
    info = vc.get(f"{V2}/{name}").json()
    assert info["description"] == "new"
    assert info["storage_specs"] == [] and info["access_list"] == []
    assert "resource_spec" not in info


def test_mixed_case_zone_fields_accept_both_spellings(vc_vks: VcClient) -> None:
    vc = vc_vks  # zones exist from the 9.x bindings on
    name = unique("zones")
    body = namespace_body(name, zones=[{"name": "zone-a", "cpu_limit_mhz": 1000, "memory_limit_MiB": 2048}])
    assert vc.post(V2, body).status_code == 204
    assert vc.get(f"{V2}/{name}").json()["zones"] == [
        {"zone": "zone-a", "type": "WORKLOAD", "marked_for_removal": False}
    ]


def test_content_library_rules_and_defaults(vc_vks: VcClient) -> None:
    vc = vc_vks  # allow_import and resource_naming_strategy exist from the 9.x bindings on
    name = unique("libs")
    bad = namespace_body(name, content_libraries=[{"content_library": SUBSCRIBED_LIBRARY, "writable": True}])
    body = assert_vc_error(vc.post(V2, bad), 400, "INVALID_ARGUMENT")
    assert "content_libraries[0].writable" in body["messages"][0]["args"]
    bad = namespace_body(name, content_libraries=[{"content_library": LOCAL_LIBRARY, "allow_import": True}])
    body = assert_vc_error(vc.post(V2, bad), 400, "INVALID_ARGUMENT")
    assert "content_libraries[0].allow_import" in body["messages"][0]["args"]
    good = namespace_body(name, content_libraries=[{"content_library": LOCAL_LIBRARY, "writable": True}])
    assert vc.post(V2, good).status_code == 204
    info = vc.get(f"{V2}/{name}").json()
    assert info["content_libraries"] == [
        {
            "content_library": LOCAL_LIBRARY,
            "writable": True,
            "allow_import": False,
            "resource_naming_strategy": "FROM_ITEM_ID",
        }
    ]
    # Top-level (VM Image Service) libraries also show in vm_service_spec.content_libraries.
    assert info["vm_service_spec"]["content_libraries"] == [LOCAL_LIBRARY]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"namespace": "Bad_Name"}, "namespace"),
        ({"namespace": "-x"}, "namespace"),
        ({"namespace": "a" * 64}, "namespace"),
        ({"supervisor": "no-such-supervisor"}, "supervisor"),
        ({"storage_specs": [{"policy": "nope"}]}, "storage_specs[0].policy"),
        ({"storage_specs": [{"policy": POLICY, "limit": -1}]}, "storage_specs[0].limit"),
        ({"vm_service_spec": {"vm_classes": ["nope"]}}, "vm_service_spec.vm_classes[0]"),
        ({"vm_service_spec": {"content_libraries": ["nope"]}}, "vm_service_spec.content_libraries[0]"),
        ({"access_list": [{"subject_type": "ROBOT", "subject": "a", "domain": "d", "role": "VIEW"}]}, None),
        ({"resource_spec": {"cpu_limit": 5}}, "resource_spec.cpu_limit"),
        ({"resource_spec": {"no_such_quota": 5}}, "resource_spec.no_such_quota"),
        ({"unknown_field": 1}, "unknown_field"),
        ({"description": 7}, "description"),
    ],
)
def test_create_validation_names_the_field(vc: VcClient, change: dict[str, Any], field: str | None) -> None:
    body = {**namespace_body(unique("bad")), **change}
    error = assert_vc_error(vc.post(V2, body), 400, "INVALID_ARGUMENT")
    if field is not None:
        assert field in error["messages"][0]["args"], error


def test_missing_required_field_and_bad_json(vc: VcClient) -> None:
    body = assert_vc_error(vc.post(V2, {"namespace": unique("x")}), 400, "INVALID_ARGUMENT")
    assert body["messages"][0]["args"] == ["supervisor"]
    response = vc.http.post(V2, content=b"{not json", headers={"content-type": "application/json"})
    assert_vc_error(response, 400, "INVALID_ARGUMENT")
    assert_vc_error(vc.post(V1, namespace_body(unique("v1"))), 400, "INVALID_ARGUMENT")  # v1 needs cluster


def test_duplicate_is_already_exists_and_unknown_is_not_found(vc: VcClient) -> None:
    name = unique("dup")
    assert vc.post(V2, namespace_body(name)).status_code == 204
    body = assert_vc_error(vc.post(V2, namespace_body(name)), 400, "ALREADY_EXISTS")
    assert body["messages"][0]["args"] == [name]
    for method, path in (("GET", f"{V1}/nope"), ("GET", f"{V2}/nope"), ("DELETE", f"{V1}/nope")):
        assert_vc_error(vc.http.request(method, path), 404, "NOT_FOUND")
    assert_vc_error(vc.patch(f"{V1}/nope", {}), 404, "NOT_FOUND")
    assert_vc_error(vc.put(f"{V1}/nope", {}), 404, "NOT_FOUND")


def test_delete_refused_while_clusters_live_in_the_namespace(sim: Simulator, vc: VcClient) -> None:
    name = unique("busy")
    assert vc.post(V2, namespace_body(name)).status_code == 204
    original = sim.world.clusters_in_namespace

    def install(world: Any) -> None:
        world.clusters_in_namespace = lambda ns: ["prod-1", "prod-2"] if ns == name else original(ns)

    sim.call(install)
    try:
        body = assert_vc_error(vc.delete(f"{V1}/{name}"), 400, "NOT_ALLOWED_IN_CURRENT_STATE")
        assert "prod-1" in body["messages"][0]["default_message"]
        assert vc.get(f"{V2}/{name}").json()["config_status"] == "RUNNING"
    finally:
        sim.call(lambda world: setattr(world, "clusters_in_namespace", original))
    assert vc.delete(f"{V1}/{name}").status_code == 204


def test_events_reach_world_listeners(sim: Simulator, vc: VcClient) -> None:
    seen: list[tuple[str, str, str | None]] = []

    def listener(kind: str, key: str, obj: dict[str, Any] | None) -> None:
        seen.append((kind, key, None if obj is None else obj.get("config_status")))

    sim.call(lambda world: world.subscribe(listener))
    name = unique("events")
    try:
        body = namespace_body(name, vm_service_spec={"vm_classes": ["best-effort-xsmall"]})
        assert vc.post(V2, body).status_code == 204
        assert vc.delete(f"{V1}/{name}").status_code == 204
    finally:
        sim.call(lambda world: world.listeners.remove(listener))
    mine = [event for event in seen if event[1] == name]
    assert [status for _, _, status in mine] == ["CONFIGURING", "RUNNING", "REMOVING", None]
    assert ("vm_class", "best-effort-xsmall", "READY") in seen
