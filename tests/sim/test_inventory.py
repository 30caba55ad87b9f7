"""Read-only inventory: Supervisor clusters and summaries, storage policies, vSphere clusters, content libraries."""

from __future__ import annotations

from tests.sim.conftest import LOCAL_LIBRARY, POLICY, SUBSCRIBED_LIBRARY, SUPERVISOR, VcClient, assert_vc_error
from tkgsim import Simulator


def test_namespace_management_clusters(vc: VcClient) -> None:
    (summary,) = vc.get("/api/vcenter/namespace-management/clusters").json()
    assert summary["cluster"] == "domain-c8" and summary["cluster_name"] == "Cluster-1"
    assert summary["config_status"] == "RUNNING" and summary["kubernetes_status"] == "READY"
    info = vc.get("/api/vcenter/namespace-management/clusters/domain-c8").json()
    assert info["network_provider"] == "VSPHERE_NETWORK" and info["api_servers"]
    assert_vc_error(vc.get("/api/vcenter/namespace-management/clusters/domain-c999"), 404, "NOT_FOUND")


def test_supervisor_summaries_are_wrapped_in_items(sim: Simulator, vc: VcClient) -> None:
    body = vc.get("/api/vcenter/namespace-management/supervisors/summaries").json()
    (item,) = body["items"]
    assert item["supervisor"] == SUPERVISOR
    assert "APIEndpoint" not in item["info"]  # vCenter 8 (the default profile): the field arrived with 9.1
    filtered = vc.get("/api/vcenter/namespace-management/supervisors/summaries", params={"config_status": "ERROR"})
    assert filtered.json() == {"items": []}
    one = vc.get(f"/api/vcenter/namespace-management/supervisors/{SUPERVISOR}/summary").json()
    assert one == item["info"]
    assert_vc_error(vc.get("/api/vcenter/namespace-management/supervisors/nope/summary"), 404, "NOT_FOUND")


def test_vks_profile_summaries_carry_the_api_endpoint() -> None:
    with Simulator(delay_scale=0, profile="vks-3.4") as vks:
        vc = VcClient(vks, vks.admin_user, vks.admin_password)
        (item,) = vc.get("/api/vcenter/namespace-management/supervisors/summaries").json()["items"]
        vc.close()
        assert item["info"]["APIEndpoint"] == vks.env()["TKG_SUPERVISOR_ENDPOINT"]


def test_storage_policies_and_filter(vc: VcClient) -> None:
    policies = vc.get("/api/vcenter/storage/policies").json()
    names = {p["name"] for p in policies}
    assert {"vSAN Default Storage Policy", "tkg-gold"} <= names
    assert all(set(p) == {"policy", "name", "description"} for p in policies)
    only = vc.get("/api/vcenter/storage/policies", params={"policies": POLICY}).json()
    assert [p["policy"] for p in only] == [POLICY]


def test_vsphere_clusters_and_filters(vc: VcClient) -> None:
    assert vc.get("/api/vcenter/cluster", params={"names": "Cluster-1"}).json() == [
        {"cluster": "domain-c8", "name": "Cluster-1", "ha_enabled": True, "drs_enabled": True}
    ]
    assert vc.get("/api/vcenter/cluster", params={"names": "nope"}).json() == []
    assert vc.get("/api/vcenter/cluster/domain-c8").json()["name"] == "Cluster-1"
    assert_vc_error(vc.get("/api/vcenter/cluster/domain-c1"), 404, "NOT_FOUND")


def test_content_libraries(vc: VcClient) -> None:
    ids = vc.get("/api/content/library").json()
    assert set(ids) == {LOCAL_LIBRARY, SUBSCRIBED_LIBRARY}
    subscribed = vc.get(f"/api/content/library/{SUBSCRIBED_LIBRARY}").json()
    assert subscribed["type"] == "SUBSCRIBED" and "subscription_info" in subscribed and "last_sync_time" in subscribed
    local = vc.get(f"/api/content/library/{LOCAL_LIBRARY}").json()
    assert local["type"] == "LOCAL" and local["id"] == LOCAL_LIBRARY
    assert vc.post("/api/content/library?action=find", {"name": "VM-IMAGES"}).json() == [LOCAL_LIBRARY]
    assert vc.post("/api/content/library?action=find", {"type": "SUBSCRIBED"}).json() == [SUBSCRIBED_LIBRARY]
    assert_vc_error(vc.post("/api/content/library?action=find", {"type": "CLOUD"}), 400, "INVALID_ARGUMENT")
    assert_vc_error(vc.post("/api/content/library?action=explode", {}), 404, "OPERATION_NOT_FOUND")
    assert_vc_error(vc.get("/api/content/library/nope"), 404, "NOT_FOUND")


def test_unknown_paths_and_methods_answer_in_the_vcenter_error_model(vc: VcClient) -> None:
    assert_vc_error(vc.get("/api/vcenter/nothing-here"), 404, "NOT_FOUND")
    assert_vc_error(
        vc.put("/api/vcenter/namespace-management/virtual-machine-classes/x", {}), 404, "OPERATION_NOT_FOUND"
    )
