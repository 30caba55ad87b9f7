"""The vCenter data sources: from_api mappings, and lookups that match none or several (errors that say what was
searched and what exists), driven through a fake vCenter."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from terraform_provider_tkg import clients
from terraform_provider_tkg.api import models
from terraform_provider_tkg.api.vcenter import VcenterClient
from terraform_provider_tkg.data_sources import (
    content_library,
    storage_policy,
    supervisor,
    supervisor_namespace,
    vm_class,
)
from terraform_provider_tkg.framework.diagnostics import Diagnostics
from terraform_provider_tkg.framework.model import to_tf
from terraform_provider_tkg.framework.resource import Context
from terraform_provider_tkg.settings import ProviderSettings

POLICIES = [
    {"policy": "p-1", "name": "gold", "description": "Gold"},
    {"policy": "p-2", "name": "silver", "description": ""},
    {"policy": "p-3", "name": "silver", "description": "again"},
]
SUPERVISORS = {
    "items": [
        {
            "supervisor": "sv-1",
            "info": {
                "name": "sv",
                "APIEndpoint": "10.0.0.1:6443",
                "config_status": "RUNNING",
                "kubernetes_status": "READY",
            },
        },
        {"supervisor": "sv-2", "info": {"name": "twin", "config_status": "RUNNING", "kubernetes_status": "WARNING"}},
        {"supervisor": "sv-3", "info": {"name": "twin", "config_status": "RUNNING", "kubernetes_status": "READY"}},
    ]
}
TOPOLOGY = {"sv-1": ["domain-c8"], "sv-2": ["domain-c9"], "sv-3": ["domain-c10"]}
LIBRARIES = {
    "lib-1": {"name": "Kubernetes Service Content Library", "type": "SUBSCRIBED", "description": "TKRs"},
    "lib-2": {"name": "images", "type": "LOCAL", "description": ""},
    "lib-3": {"name": "Images", "type": "LOCAL", "description": "dup"},
}
VM_CLASS = {
    "id": "gpu",
    "cpu_count": 4,
    "memory_MB": 8192,
    "cpu_reservation": 0,
    "memory_reservation": 100,
    "description": "",
    "devices": {
        "vgpu_devices": [{"profile_name": "grid"}],
        "dynamic_direct_path_IO_devices": [{"vendor_id": 1, "device_id": 2}],
    },
    "instance_storage": {"policy": "p-1", "volumes": [{"size": 10}]},
    "namespaces": ["b", "a"],
    "vms": [],
    "config_status": "READY",
    "messages": [],
}
NAMESPACE = {
    "supervisor": "sv-1",
    "config_status": "RUNNING",
    "messages": [],
    "description": "",
    "access_list": [{"subject": "devs", "subject_type": "GROUP", "domain": "vsphere.local", "role": "EDIT"}],
    "storage_specs": [{"policy": "p-1", "limit": 100}],
    "resource_spec": {"cpu_limit": 1000},
    "vm_service_spec": {"vm_classes": ["gpu"]},
}


def handler(request: httpx.Request) -> httpx.Response:
    path = request.url.path
    if path == "/api/session":
        return httpx.Response(201, json="t")
    if path == "/api/vcenter/storage/policies":
        return httpx.Response(200, json=POLICIES)
    if path == "/api/vcenter/namespace-management/supervisors/summaries":
        return httpx.Response(200, json=SUPERVISORS)
    if path.endswith("/topology"):
        return httpx.Response(200, json=[{"zone": "z", "clusters": TOPOLOGY[path.split("/")[-2]]}])
    if path == "/api/vcenter/cluster":
        names = {"domain-c8": "Cluster-1", "domain-c9": "Cluster-2", "domain-c10": "Cluster-3"}
        return httpx.Response(200, json=[{"cluster": k, "name": v} for k, v in names.items()])
    if path == "/api/content/library" and request.url.params.get("action") == "find":
        wanted = json.loads(request.content)["name"].lower()
        return httpx.Response(200, json=[k for k, v in LIBRARIES.items() if v["name"].lower() == wanted])
    if path == "/api/content/library":
        return httpx.Response(200, json=list(LIBRARIES))
    if path.startswith("/api/content/library/"):
        return httpx.Response(200, json=LIBRARIES[path.rsplit("/", 1)[-1]])
    if path == "/api/vcenter/namespace-management/virtual-machine-classes/gpu":
        return httpx.Response(200, json=VM_CLASS)
    if path == "/api/vcenter/namespace-management/virtual-machine-classes":
        return httpx.Response(200, json=[VM_CLASS])
    if path == "/api/vcenter/namespaces/instances/v2/team-a":
        return httpx.Response(200, json=NAMESPACE)
    if path == "/api/vcenter/namespaces/instances/v2":
        return httpx.Response(200, json=[{"namespace": "team-a", "supervisor": "sv-1"}])
    return httpx.Response(404, json={"error_type": "NOT_FOUND", "messages": [{"default_message": "not found"}]})


@pytest.fixture
def settings() -> Any:
    settings = ProviderSettings(vsphere_server="vc.ds-unit", user="u", password="p")
    clients._vcenter[settings] = VcenterClient(
        "vc.ds-unit", user="u", password="p", transport=httpx.MockTransport(handler)
    )
    yield settings
    clients._vcenter.pop(settings, None)


def read(cls: Any, settings: ProviderSettings, **config: Any) -> tuple[Any, Diagnostics]:
    diags = Diagnostics()
    full = cls.schema.block.normalize(config)
    state = cls(settings).read(Context(diags, cls.type_name), full)
    return state, diags


def test_storage_policy_found(settings: ProviderSettings) -> None:
    state, diags = read(storage_policy.StoragePolicyDataSource, settings, name="gold")
    assert state == {"name": "gold", "id": "p-1", "description": "Gold"} and not diags.has_errors


def test_storage_policy_none_and_many(settings: ProviderSettings) -> None:
    state, diags = read(storage_policy.StoragePolicyDataSource, settings, name="bronze")
    [d] = list(diags)
    assert state is None and "no storage policy matches name 'bronze'" in d.summary
    assert "'gold', 'silver', 'silver'" in d.detail
    state, diags = read(storage_policy.StoragePolicyDataSource, settings, name="silver")
    [d] = list(diags)
    assert "2 storage policies match name 'silver'" in d.summary
    assert "p-2" in d.detail and "p-3" in d.detail


def test_content_library_found_none_many(settings: ProviderSettings) -> None:
    state, _ = read(content_library.ContentLibraryDataSource, settings, name="Kubernetes Service Content Library")
    assert state == {
        "name": "Kubernetes Service Content Library",
        "id": "lib-1",
        "type": "SUBSCRIBED",
        "description": "TKRs",
    }
    state, diags = read(content_library.ContentLibraryDataSource, settings, name="nope")
    assert state is None and "'images'" in next(iter(diags)).detail
    state, diags = read(content_library.ContentLibraryDataSource, settings, name="images")
    assert state is None and "lib-2" in next(iter(diags)).detail and "lib-3" in next(iter(diags)).detail


def test_supervisor_by_name_and_by_cluster(settings: ProviderSettings) -> None:
    expected = {
        "name": "sv",
        "cluster": "Cluster-1",
        "id": "sv-1",
        "cluster_id": "domain-c8",
        "config_status": "RUNNING",
        "kubernetes_status": "READY",
        "api_endpoint": "10.0.0.1:6443",
    }
    assert read(supervisor.SupervisorDataSource, settings, name="sv")[0] == expected
    assert read(supervisor.SupervisorDataSource, settings, cluster="Cluster-1")[0] == expected
    state, _ = read(supervisor.SupervisorDataSource, settings, cluster="Cluster-2")
    assert state["id"] == "sv-2" and state["name"] == "twin"


def test_supervisor_none_and_many(settings: ProviderSettings) -> None:
    state, diags = read(supervisor.SupervisorDataSource, settings, name="nope")
    assert state is None and "'sv', 'twin', 'twin'" in next(iter(diags)).detail
    state, diags = read(supervisor.SupervisorDataSource, settings, name="twin")
    [d] = list(diags)
    assert state is None and "sv-2" in d.detail and "sv-3" in d.detail and "by cluster" in d.detail
    state, diags = read(supervisor.SupervisorDataSource, settings, cluster="Cluster-9")
    assert state is None and "'Cluster-1'" in next(iter(diags)).detail


def test_supervisor_needs_exactly_one_key() -> None:
    for config in ({}, {"name": "a", "cluster": "b"}):
        diags = Diagnostics()
        block = supervisor.SCHEMA.block
        supervisor.SupervisorDataSource(None).validate(Context(diags, supervisor.TYPE_NAME), block.normalize(config))
        assert [d.path for d in diags] == [("name",)]


def test_vm_class(settings: ProviderSettings) -> None:
    state, diags = read(vm_class.VmClassDataSource, settings, name="gpu")
    assert not diags.has_errors
    assert state["memory_mib"] == 8192 and state["cpu_reservation_percent"] == 0
    assert state["memory_reservation_percent"] == 100 and state["description"] == ""
    assert state["vgpu_profiles"] == ["grid"] and state["namespaces"] == ["a", "b"]
    assert state["dynamic_direct_path_io_device"] == [{"vendor_id": 1, "device_id": 2, "custom_label": None}]
    assert state["instance_storage"] == {"storage_policy": "p-1", "volume_sizes_mib": [10]}
    assert set(state) == set(vm_class.SCHEMA.block.attributes)
    state, diags = read(vm_class.VmClassDataSource, settings, name="nope")
    assert state is None and "'gpu'" in next(iter(diags)).detail


def test_supervisor_namespace(settings: ProviderSettings) -> None:
    state, diags = read(supervisor_namespace.SupervisorNamespaceDataSource, settings, name="team-a")
    assert not diags.has_errors
    assert set(state) == set(supervisor_namespace.SCHEMA.block.attributes)
    assert state["storage_policy"] == [{"policy": "p-1", "limit_mib": 100}]
    assert state["limits"]["cpu_mhz"] == 1000 and state["limits"]["memory_mib"] is None
    # Storage classes come from the Supervisor, which this vCenter-only fake does not serve: none are guessed.
    assert state["vm_classes"] == ["gpu"] and state["content_libraries"] == [] and state["storage_classes"] == []
    assert state["access"] == [{"subject": "devs", "subject_type": "GROUP", "domain": "vsphere.local", "role": "EDIT"}]
    state, diags = read(supervisor_namespace.SupervisorNamespaceDataSource, settings, name="nope")
    [d] = list(diags)
    assert state is None and "no namespace matches name 'nope'" in d.summary and "'team-a'" in d.detail


def test_from_api_pure_mappings() -> None:
    assert to_tf(storage_policy.from_api(models.StoragePolicy(policy="p", name="n"))) == {
        "name": "n",
        "id": "p",
        "description": "",
    }
    lib = models.ContentLibrary(id="l", name="N", type="LOCAL")
    assert to_tf(content_library.from_api(lib, "n")) == {"name": "n", "id": "l", "type": "LOCAL", "description": ""}
    sv = models.SupervisorSummary(supervisor="s", name="n", config_status="RUNNING", kubernetes_status="READY")
    assert supervisor.from_api(sv, cluster_id=None, cluster_name=None, endpoint=None).api_endpoint is None
