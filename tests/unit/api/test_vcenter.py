"""api/vcenter.py against an httpx MockTransport fake: paths, wire names, bodies, v1 fallback, waits, lookups."""

from __future__ import annotations

import json
import time
from typing import Any

import httpx
import pytest

from terraform_provider_tkg.api import errors, models, vcenter

SUPERVISOR = "sv-1"


def vc_error(status: int, error_type: str, message: str) -> httpx.Response:
    body = {"error_type": error_type, "messages": [{"id": "m", "default_message": message, "args": []}]}
    return httpx.Response(status, json=body)


class Fake:
    """Just enough of vCenter: records requests, answers from a route table."""

    def __init__(self, *, v2: bool = True, topology: bool = True) -> None:
        self.v2 = v2
        self.topology = topology
        self.requests: list[tuple[str, str, Any]] = []
        self.namespaces: dict[str, dict[str, Any]] = {}
        self.statuses: list[str] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content) if request.content else None
        path = request.url.path
        self.requests.append((request.method, str(request.url).removeprefix("https://vc.test"), body))
        m = request.method
        if path == "/api/session":
            return httpx.Response(201, json="tok")
        if path.startswith("/api/vcenter/namespaces/instances/v2") and not self.v2:
            return vc_error(404, "OPERATION_NOT_FOUND", "Operation not found")
        if m == "GET" and path.startswith("/api/vcenter/namespaces/instances/"):
            name = path.rsplit("/", 1)[-1]
            if name not in self.namespaces:
                return vc_error(404, "NOT_FOUND", f"Namespace {name} not found.")
            ns = dict(self.namespaces[name])
            if self.statuses:
                status = self.statuses.pop(0)
                if status == "GONE":
                    del self.namespaces[name]
                    return vc_error(404, "NOT_FOUND", f"Namespace {name} not found.")
                ns["config_status"] = status
            if path.startswith("/api/vcenter/namespaces/instances/v2"):
                ns.pop("cluster", None)
            else:
                ns.pop("supervisor", None)
            return httpx.Response(200, json=ns)
        if m == "POST" and path in ("/api/vcenter/namespaces/instances", "/api/vcenter/namespaces/instances/v2"):
            self.namespaces[body["namespace"]] = {
                "supervisor": body.get("supervisor", SUPERVISOR),
                "cluster": body.get("cluster", "domain-c8"),
                "config_status": "CONFIGURING",
                "messages": [],
                "description": body.get("description", ""),
                "access_list": body.get("access_list", []),
                "storage_specs": body.get("storage_specs", []),
                "unknown_future_field": {"x": 1},
            }
            return httpx.Response(204)
        if path == f"/api/vcenter/namespace-management/supervisors/{SUPERVISOR}/topology":
            if not self.topology:
                return httpx.Response(404)
            return httpx.Response(200, json=[{"zone": "z1", "clusters": ["domain-c8"]}])
        if path == "/api/vcenter/namespace-management/supervisors/summaries":
            info = {"name": "sv", "APIEndpoint": "10.0.0.1", "config_status": "RUNNING", "kubernetes_status": "READY"}
            return httpx.Response(200, json={"items": [{"supervisor": SUPERVISOR, "info": info}]})
        if path == "/api/vcenter/namespace-management/clusters":
            return httpx.Response(200, json=[{"cluster": "domain-c8", "cluster_name": "Cluster-1"}])
        if m == "GET" and path == "/api/vcenter/namespace-management/virtual-machine-classes/gpu":
            return httpx.Response(
                200,
                json={
                    "id": "gpu",
                    "cpu_count": 4,
                    "memory_mb": 8192,
                    "description": "",
                    "devices": {"vgpu_devices": [{"profile_name": "grid"}], "dynamic_direct_path_io_devices": []},
                    "namespaces": [],
                    "vms": [],
                    "config_status": "READY",
                    "messages": [],
                },
            )
        if path == "/api/content/library" and request.url.params.get("action") == "find":
            return httpx.Response(200, json=["lib-1"])
        if path == "/api/content/library":
            return httpx.Response(200, json=["lib-1", "lib-gone"])
        if path == "/api/content/library/lib-1":
            return httpx.Response(200, json={"name": "images", "type": "LOCAL", "description": ""})
        if path == "/api/content/library/lib-gone":
            return vc_error(404, "NOT_FOUND", "gone")
        return httpx.Response(204)


def make(fake: Fake) -> vcenter.VcenterClient:
    return vcenter.VcenterClient(
        "vc.test", user="u", password="p", transport=httpx.MockTransport(fake), sleep=lambda s: None
    )


def non_session(fake: Fake) -> list[tuple[str, str, Any]]:
    return [r for r in fake.requests if r[1] != "/api/session"]


def test_vm_class_create_sends_exact_wire_names_and_only_set_fields() -> None:
    fake = Fake()
    spec = models.VmClassCreateSpec(
        id="gpu",
        cpu_count=4,
        memory_MB=8192,
        memory_reservation=100,
        devices=models.VirtualDevices(
            dynamic_direct_path_IO_devices=[models.DynamicDirectPathIODevice(vendor_id=1, device_id=2)]
        ),
    )
    make(fake).create_vm_class(spec)
    assert non_session(fake) == [
        (
            "POST",
            "/api/vcenter/namespace-management/virtual-machine-classes",
            {
                "id": "gpu",
                "cpu_count": 4,
                "memory_MB": 8192,
                "memory_reservation": 100,
                "devices": {"dynamic_direct_path_IO_devices": [{"vendor_id": 1, "device_id": 2}]},
            },
        )
    ]


def test_vm_class_update_sends_explicit_empty_lists() -> None:
    fake = Fake()
    spec = models.VmClassUpdateSpec(devices=models.VirtualDevices(vgpu_devices=[], dynamic_direct_path_IO_devices=[]))
    make(fake).update_vm_class("gpu", spec)
    assert non_session(fake) == [
        (
            "PATCH",
            "/api/vcenter/namespace-management/virtual-machine-classes/gpu",
            {"devices": {"vgpu_devices": [], "dynamic_direct_path_IO_devices": []}},
        )
    ]


def test_vm_class_get_reads_lowercased_spellings() -> None:
    info = make(Fake()).get_vm_class("gpu")
    assert info.memory_MB == 8192
    assert info.devices is not None and info.devices.vgpu_devices == [models.VGPUDevice(profile_name="grid")]
    assert info.devices.dynamic_direct_path_IO_devices == []


def test_request_models_forbid_unknown_fields() -> None:
    with pytest.raises(ValueError):
        models.VmClassUpdateSpec(memory_mb=1)  # type: ignore[call-arg]


def test_namespace_update_unset_flags() -> None:
    fake = Fake()
    spec = models.NamespaceUpdateSpec(
        resource_spec=models.ResourceQuotaOptionsV1Update(cpu_limit=30000, memory_limit_unset=True),
        storage_specs=[],
        vm_service_spec=models.VMServiceSpec(vm_classes=[], content_libraries=["lib-1"]),
    )
    make(fake).update_namespace("team-a", spec)
    assert non_session(fake) == [
        (
            "PATCH",
            "/api/vcenter/namespaces/instances/team-a",
            {
                "resource_spec": {"cpu_limit": 30000, "memory_limit_unset": True},
                "storage_specs": [],
                "vm_service_spec": {"vm_classes": [], "content_libraries": ["lib-1"]},
            },
        )
    ]


def test_namespace_create_v2_get_and_wait_running() -> None:
    fake = Fake()
    client = make(fake)
    client.create_namespace(models.NamespaceCreateSpecV2(supervisor=SUPERVISOR, namespace="team-a", storage_specs=[]))
    assert non_session(fake)[0] == (
        "POST",
        "/api/vcenter/namespaces/instances/v2",
        {"supervisor": SUPERVISOR, "namespace": "team-a", "storage_specs": []},
    )
    fake.statuses = ["CONFIGURING", "CONFIGURING", "RUNNING"]
    info = client.wait_namespace_running("team-a", deadline=time.monotonic() + 5)
    assert info.config_status == "RUNNING" and info.namespace == "team-a" and info.supervisor == SUPERVISOR
    assert [r[1] for r in non_session(fake)[1:]] == ["/api/vcenter/namespaces/instances/v2/team-a"] * 3


def test_namespace_wait_error_carries_messages() -> None:
    fake = Fake()
    client = make(fake)
    client.create_namespace(models.NamespaceCreateSpecV2(supervisor=SUPERVISOR, namespace="team-a"))
    fake.namespaces["team-a"]["messages"] = [
        {"severity": "ERROR", "details": {"id": "x", "default_message": "Storage quota too small.", "args": []}}
    ]
    fake.statuses = ["ERROR"]
    with pytest.raises(errors.WaitFailed) as info:
        client.wait_namespace_running("team-a", deadline=None, label="[tkg_supervisor_namespace team-a]")
    assert info.value.messages == ["ERROR: Storage quota too small."]
    assert info.value.last.config_status == "ERROR"


def test_namespace_wait_deleted() -> None:
    fake = Fake()
    client = make(fake)
    client.create_namespace(models.NamespaceCreateSpecV2(supervisor=SUPERVISOR, namespace="team-a"))
    fake.statuses = ["REMOVING", "GONE"]
    client.wait_namespace_deleted("team-a", deadline=time.monotonic() + 5)
    with pytest.raises(errors.NotFound):
        client.get_namespace("team-a")


def test_get_missing_namespace_is_not_found_and_not_a_v1_fallback() -> None:
    fake = Fake()
    with pytest.raises(errors.NotFound):
        make(fake).get_namespace("nope")
    assert [r[1] for r in non_session(fake)] == ["/api/vcenter/namespaces/instances/v2/nope"]


def test_v1_fallback_when_v2_operations_are_missing() -> None:
    fake = Fake(v2=False)
    client = make(fake)
    client.create_namespace(models.NamespaceCreateSpecV2(supervisor=SUPERVISOR, namespace="team-a", description="d"))
    posts = [r for r in non_session(fake) if r[0] == "POST"]
    assert posts[-1] == (
        "POST",
        "/api/vcenter/namespaces/instances",
        {"cluster": "domain-c8", "namespace": "team-a", "description": "d"},
    )
    info = client.get_namespace("team-a")
    assert info.cluster == "domain-c8" and info.supervisor == SUPERVISOR
    # Remembered: no further v2 attempts.
    assert non_session(fake)[-1][1] != "/api/vcenter/namespaces/instances/v2/team-a"


def test_supervisor_clusters_from_topology_or_the_only_enabled_cluster() -> None:
    assert make(Fake()).get_supervisor_clusters(SUPERVISOR) == ["domain-c8"]
    assert make(Fake(topology=False)).get_supervisor_clusters(SUPERVISOR) == ["domain-c8"]
    with pytest.raises(errors.NotFound):
        make(Fake(topology=False)).get_supervisor_clusters("other")


def test_supervisor_summaries_are_flattened() -> None:
    [sv] = make(Fake()).list_supervisors()
    assert (sv.supervisor, sv.name, sv.APIEndpoint, sv.kubernetes_status) == (SUPERVISOR, "sv", "10.0.0.1", "READY")


def test_content_libraries() -> None:
    client = make(Fake())
    assert client.find_content_libraries(name="images") == ["lib-1"]
    [library] = client.list_content_libraries()
    assert (library.id, library.name, library.type) == ("lib-1", "images", "LOCAL")


def test_unexpected_shape_is_reported_as_such() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/api/session":
            return httpx.Response(201, json="t")
        return httpx.Response(200, json={"id": "x"})  # no cpu_count

    client = vcenter.VcenterClient("vc.test", user="u", password="p", transport=httpx.MockTransport(handler))
    with pytest.raises(errors.UnexpectedResponse) as info:
        client.get_vm_class("x")
    assert "cpu_count" in str(info.value)


def test_storage_class_name() -> None:
    assert vcenter.storage_class_name("vSAN Default Storage Policy") == "vsan-default-storage-policy"
    assert vcenter.storage_class_name("tkg-gold") == "tkg-gold"
    assert vcenter.storage_class_name("  Gold (tier 1)!") == "gold-tier-1"


def test_repr_and_errors_never_show_the_password() -> None:
    client = vcenter.VcenterClient("vc.test", user="u", password="s3cret-pw", transport=httpx.MockTransport(Fake()))
    assert "s3cret-pw" not in repr(client) and "s3cret-pw" not in repr(client.http.auth)
