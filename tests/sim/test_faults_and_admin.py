"""Fault injection (503, 429, connection reset, latency, token TTL) and the admin endpoints."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests import certs
from tests.sim.conftest import VcClient, assert_vc_error, namespace_body, unique
from tkgsim import Simulator


@pytest.fixture
def faulty(clean_faults: None) -> Iterator[None]:
    yield


def test_admin_endpoints_need_admin_basic_auth(sim: Simulator) -> None:
    with httpx.Client(base_url=sim.vcenter_url, verify=certs.verify(sim.ca_file)) as http:
        assert http.get("/_sim/faults").status_code == 401
        assert http.get("/_sim/faults", auth=("readonly@vsphere.local", "Tanzu-Sim-RO-1!")).status_code == 403
        assert http.get("/_sim/snapshot", auth=(sim.admin_user, "wrong")).status_code == 401


def test_patch_faults_validates(admin: httpx.Client, faulty: None) -> None:
    assert admin.patch("/_sim/faults", json={"error_rate": 2}).status_code == 400
    assert admin.patch("/_sim/faults", json={"nope": 1}).status_code == 400
    assert admin.patch("/_sim/faults", json={"error_kinds": ["418"]}).status_code == 400
    knobs = admin.patch("/_sim/faults", json={"stuck_provisioning": True, "failed_provisioning": "NoCapacity"}).json()
    assert knobs["stuck_provisioning"] is True and knobs["failed_provisioning"] == "NoCapacity"
    assert admin.get("/_sim/faults").json()["failed_provisioning"] == "NoCapacity"


def test_injected_503_and_429_are_counted_and_shaped(admin: httpx.Client, vc: VcClient, faulty: None) -> None:
    assert admin.patch("/_sim/faults", json={"error_kinds": ["503"], "fail_next": 2, "counters": {}}).status_code == 200
    for _ in range(2):
        assert_vc_error(vc.get("/api/vcenter/namespaces/instances"), 503, "SERVICE_UNAVAILABLE")
    assert vc.get("/api/vcenter/namespaces/instances").status_code == 200
    assert (
        admin.patch("/_sim/faults", json={"error_kinds": ["429"], "retry_after": 3, "fail_next": 1}).status_code == 200
    )
    limited = vc.get("/api/vcenter/namespaces/instances")
    assert limited.status_code == 429 and limited.headers["Retry-After"] == "3"
    counters = admin.get("/_sim/faults").json()["counters"]
    assert counters["503"] == 2 and counters["429"] == 1


def test_error_rate_one_fails_everything_but_admin(sim: Simulator, admin: httpx.Client, faulty: None) -> None:
    assert (
        admin.patch("/_sim/faults", json={"error_rate": 1.0, "error_kinds": ["503"], "counters": {}}).status_code == 200
    )
    with httpx.Client(base_url=sim.vcenter_url, verify=certs.verify(sim.ca_file)) as http:
        statuses = [http.get("/api/vcenter/storage/policies").status_code for _ in range(5)]
    assert statuses == [503] * 5
    assert admin.get("/_sim/faults").json()["counters"]["503"] == 5


def test_connection_reset_is_a_transport_error(sim: Simulator, admin: httpx.Client, faulty: None) -> None:
    assert (
        admin.patch("/_sim/faults", json={"error_kinds": ["reset"], "fail_next": 1, "counters": {}}).status_code == 200
    )
    with httpx.Client(base_url=sim.vcenter_url, verify=certs.verify(sim.ca_file)) as http:
        with pytest.raises(httpx.TransportError):
            http.get("/api/vcenter/storage/policies")
        assert_vc_error(http.get("/api/vcenter/storage/policies"), 401, "UNAUTHENTICATED")  # next one is served
    assert admin.get("/_sim/faults").json()["counters"]["reset"] == 1


def test_latency_is_applied_and_counted(admin: httpx.Client, vc: VcClient, faulty: None) -> None:
    assert admin.patch("/_sim/faults", json={"latency": 0.05, "counters": {}}).status_code == 200
    assert vc.get("/api/vcenter/storage/policies").status_code == 200
    assert admin.get("/_sim/faults").json()["counters"]["delayed"] >= 1


def test_token_ttl_expiry_forces_a_new_login(sim: Simulator, admin: httpx.Client, vc: VcClient, faulty: None) -> None:
    assert vc.get("/api/session").status_code == 200
    assert admin.patch("/_sim/faults", json={"token_ttl": 0}).status_code == 200
    assert_vc_error(vc.get("/api/session"), 401, "UNAUTHENTICATED")
    assert_vc_error(vc.get("/api/vcenter/namespaces/instances"), 401, "UNAUTHENTICATED")
    assert admin.patch("/_sim/faults", json={"token_ttl": 3600}).status_code == 200
    fresh = VcClient(sim, sim.admin_user, sim.admin_password)
    assert fresh.get("/api/vcenter/namespaces/instances").status_code == 200
    fresh.close()


def test_snapshot_lists_objects_of_both_halves(admin: httpx.Client, vc: VcClient) -> None:
    name = unique("snap")
    assert vc.post("/api/vcenter/namespaces/instances/v2", namespace_body(name)).status_code == 204
    snapshot = admin.get("/_sim/snapshot").json()
    assert set(snapshot) == {"vcenter", "k8s", "faults"}
    assert snapshot["vcenter"]["namespaces"][name]["config_status"] == "RUNNING"
    assert "best-effort-small" in snapshot["vcenter"]["vm_classes"]


def test_reset_restores_the_seed() -> None:
    with Simulator(delay_scale=0) as sim:
        vc = VcClient(sim, sim.admin_user, sim.admin_password)
        assert vc.post("/api/vcenter/namespaces/instances/v2", namespace_body("gone-soon")).status_code == 204
        assert (
            vc.delete("/api/vcenter/namespace-management/virtual-machine-classes/guaranteed-8xlarge").status_code == 204
        )
        with httpx.Client(verify=certs.verify(sim.ca_file), auth=(sim.admin_user, sim.admin_password)) as http:
            snapshot = http.post(f"{sim.vcenter_url}/_sim/reset").json()
        assert snapshot["vcenter"]["namespaces"] == {}
        assert "guaranteed-8xlarge" in snapshot["vcenter"]["vm_classes"]
        assert vc.get("/api/vcenter/namespaces/instances").json() == []  # the session survived the reset
        vc.close()


def test_request_counters_count_calls_by_kind_and_reset(sim: Simulator, admin: httpx.Client, vc: VcClient) -> None:
    assert admin.delete("/_sim/requests").json() == {"total": 0, "requests": {}}
    for _ in range(3):
        assert vc.get("/api/vcenter/namespace-management/supervisors/summaries").status_code == 200
    assert vc.get("/api/vcenter/namespaces/instances/v2/no-such-namespace").status_code == 404
    counted = admin.get("/_sim/requests").json()
    assert counted["requests"] == {
        "GET /api/vcenter/namespace-management/supervisors/summaries": 3,
        "GET /api/vcenter/namespaces/instances/v2/{namespace}": 1,
    }
    assert counted["total"] == 4  # the admin calls themselves are not counted
    assert admin.delete("/_sim/requests").json() == {"total": 0, "requests": {}}


def test_request_counters_name_kubernetes_calls_without_object_names(sim: Simulator, admin: httpx.Client) -> None:
    admin.delete("/_sim/requests")
    with httpx.Client(base_url=sim.supervisor_url, verify=certs.verify(sim.ca_file), timeout=30) as http:
        token = http.post("/wcp/login", auth=(sim.admin_user, sim.admin_password)).json()["session_id"]
        http.headers["Authorization"] = f"Bearer {token}"
        clusters = "/apis/cluster.x-k8s.io/v1beta1/namespaces/{}/clusters"
        for namespace, name in (("a", "one"), ("b", "two")):
            assert http.get(f"{clusters.format(namespace)}/{name}").status_code == 404
        assert http.get("/api/v1/namespaces/a").status_code in (200, 404)
        assert http.get(clusters.format("a"), params={"watch": "true", "timeoutSeconds": "1"}).status_code == 200
    assert admin.get("/_sim/requests").json()["requests"] == {
        "POST /wcp/login": 1,
        "GET /apis/cluster.x-k8s.io/v1beta1/namespaces/{namespace}/clusters/{name}": 2,
        "GET /api/v1/namespaces/{name}": 1,
        "WATCH /apis/cluster.x-k8s.io/v1beta1/namespaces/{namespace}/clusters": 1,
    }


def test_lost_response_makes_the_change_but_never_answers(
    sim: Simulator, admin: httpx.Client, vc: VcClient, faulty: None
) -> None:
    name = unique("lost")
    rule = {"method": "POST", "path": "/namespace-management/virtual-machine-classes$", "times": 1}
    assert admin.patch("/_sim/faults", json={"lost_responses": [rule], "counters": {}}).status_code == 200
    body = {"id": name, "cpu_count": 1, "memory_MB": 512}
    with pytest.raises(httpx.TransportError):
        vc.post("/api/vcenter/namespace-management/virtual-machine-classes", body)
    # The class was made although the client never heard so; the rule was used up, so the retry gets the truth.
    assert vc.get(f"/api/vcenter/namespace-management/virtual-machine-classes/{name}").status_code == 200
    retry = vc.post("/api/vcenter/namespace-management/virtual-machine-classes", body)
    assert_vc_error(retry, 400, "ALREADY_EXISTS")
    knobs = admin.get("/_sim/faults").json()
    assert knobs["counters"]["lost"] == 1 and knobs["lost_responses"] == []
    assert vc.delete(f"/api/vcenter/namespace-management/virtual-machine-classes/{name}").status_code == 204


def test_lost_response_rules_are_validated(admin: httpx.Client, faulty: None) -> None:
    for bad in ({"path": "x"}, {"method": "POST", "path": "("}, {"method": "POST", "path": "x", "times": 0}):
        response = admin.patch("/_sim/faults", json={"lost_responses": [bad]})
        assert response.status_code == 400 and "lost_responses" in response.json()["error"], response.text
