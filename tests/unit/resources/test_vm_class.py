"""tkg_vm_class: mapping Terraform ⇄ wire both ways, PATCH contents, plan-time validation, plan hook, CRUD paths."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from terraform_provider_tkg import clients
from terraform_provider_tkg.api import models
from terraform_provider_tkg.api.vcenter import VcenterClient
from terraform_provider_tkg.framework import plan as engine
from terraform_provider_tkg.framework.diagnostics import Diagnostics
from terraform_provider_tkg.framework.resource import Context, PlanContext
from terraform_provider_tkg.resources import vm_class as vc
from terraform_provider_tkg.settings import ProviderSettings

FULL = vc.Model(
    name="gpu-large",
    cpu_count=8,
    memory_mib=65536,
    cpu_reservation_percent=50,
    memory_reservation_percent=100,
    description="GPU nodes",
    vgpu_profiles=["grid_a100-8c"],
    config_spec_json='{"numCPUs": 8, "_typeName": "VirtualMachineConfigSpec"}',
    dynamic_direct_path_io_device=[vc.DirectPathDevice(4318, 8754, "nic"), vc.DirectPathDevice(1, 2, None)],
    instance_storage=vc.InstanceStorage("pol-1", [1024, 2048]),
)


def info_from(spec: models.VmClassCreateSpec, **extra: Any) -> models.VmClassInfo:
    """What vCenter answers for a class created with ``spec``."""
    body = models.request_body(spec)
    body.setdefault("description", "")
    body.update({"namespaces": ["ns-b", "ns-a"], "vms": [], "config_status": "READY", "messages": []})
    body.update(extra)
    return models.VmClassInfo.model_validate(body)


def test_to_api_full_uses_exact_wire_names() -> None:
    assert models.request_body(vc.to_api(FULL)) == {
        "id": "gpu-large",
        "cpu_count": 8,
        "memory_MB": 65536,
        "cpu_reservation": 50,
        "memory_reservation": 100,
        "description": "GPU nodes",
        "devices": {
            "vgpu_devices": [{"profile_name": "grid_a100-8c"}],
            "dynamic_direct_path_IO_devices": [
                {"vendor_id": 4318, "device_id": 8754, "custom_label": "nic"},
                {"vendor_id": 1, "device_id": 2},
            ],
        },
        "instance_storage": {"policy": "pol-1", "volumes": [{"size": 1024}, {"size": 2048}]},
        "config_spec": {"numCPUs": 8, "_typeName": "VirtualMachineConfigSpec"},
    }


def test_to_api_minimal_sends_only_what_is_set() -> None:
    model = vc.Model(name="small", cpu_count=1, memory_mib=512)
    assert models.request_body(vc.to_api(model)) == {"id": "small", "cpu_count": 1, "memory_MB": 512}


def test_round_trip_full() -> None:
    back = vc.from_api(info_from(vc.to_api(FULL)), FULL)
    assert back.config_status == "READY" and back.namespaces == ["ns-a", "ns-b"] and back.id == "gpu-large"
    expected = vc.Model(
        **{**FULL.__dict__, "id": "gpu-large", "config_status": "READY", "namespaces": ["ns-a", "ns-b"]}
    )
    assert back == expected


def test_from_api_import_of_minimal_class_gives_nulls() -> None:
    info = models.VmClassInfo.model_validate(
        {
            "id": "c",
            "cpu_count": 2,
            "memory_MB": 2048,
            "cpu_reservation": 0,
            "memory_reservation": 0,
            "description": "",
            "namespaces": [],
            "vms": [],
            "config_status": "READY",
            "messages": [],
        }
    )
    model = vc.from_api(info, None)
    assert model.cpu_reservation_percent is None and model.memory_reservation_percent is None
    assert model.description is None and model.vgpu_profiles is None and model.config_spec_json is None
    assert model.dynamic_direct_path_io_device == [] and model.instance_storage is None
    assert model.name == "c" and model.memory_mib == 2048


def test_from_api_keeps_the_users_empty_spelling() -> None:
    info = models.VmClassInfo.model_validate(
        {
            "id": "c",
            "cpu_count": 2,
            "memory_MB": 2048,
            "cpu_reservation": 0,
            "description": "",
            "config_status": "READY",
        }
    )
    prior = vc.Model(cpu_reservation_percent=0, description="", vgpu_profiles=[])
    model = vc.from_api(info, prior)
    assert (model.cpu_reservation_percent, model.description, model.vgpu_profiles) == (0, "", [])


def test_from_api_shows_drift() -> None:
    info = info_from(vc.to_api(FULL), cpu_count=16, description="changed")
    model = vc.from_api(info, FULL)
    assert model.cpu_count == 16 and model.description == "changed"


def test_config_spec_compared_semantically_and_tolerates_server_defaults() -> None:
    info = info_from(vc.to_api(FULL), config_spec={"_typeName": "VirtualMachineConfigSpec", "numCPUs": 8, "extra": 1})
    assert vc.from_api(info, FULL).config_spec_json == FULL.config_spec_json
    changed = info_from(vc.to_api(FULL), config_spec={"_typeName": "VirtualMachineConfigSpec", "numCPUs": 4})
    assert json.loads(vc.from_api(changed, FULL).config_spec_json or "") == {
        "_typeName": "VirtualMachineConfigSpec",
        "numCPUs": 4,
    }


def test_update_patches_only_changes() -> None:
    new = vc.Model(**{**FULL.__dict__, "cpu_count": 16})
    assert models.request_body(vc.to_api_update(FULL, new)) == {"cpu_count": 16}
    assert models.request_body(vc.to_api_update(FULL, FULL)) == {}


def test_update_sends_empty_values_for_removed_settings() -> None:
    new = vc.Model(
        **{
            **FULL.__dict__,
            "cpu_reservation_percent": None,
            "description": None,
            "vgpu_profiles": None,
            "dynamic_direct_path_io_device": [],
        }
    )
    assert models.request_body(vc.to_api_update(FULL, new)) == {
        "cpu_reservation": 0,
        "description": "",
        "devices": {"vgpu_devices": [], "dynamic_direct_path_IO_devices": []},
    }


def test_update_json_key_order_is_no_change() -> None:
    new = vc.Model(**{**FULL.__dict__, "config_spec_json": '{"_typeName":"VirtualMachineConfigSpec","numCPUs":8}'})
    assert models.request_body(vc.to_api_update(FULL, new)) == {}


def config(**overrides: Any) -> dict[str, Any]:
    base = {"name": "gpu", "cpu_count": 2, "memory_mib": 1024}
    base.update(overrides)
    return vc.SCHEMA.block.normalize(base)  # type: ignore[no-any-return]


def errors_for(cfg: dict[str, Any]) -> list[tuple[Any, str]]:
    diags = Diagnostics()
    engine.validate(vc.SCHEMA.block, cfg, diags)
    if not diags.has_errors:
        vc.VmClassResource(None).validate(Context(diags, vc.TYPE_NAME), cfg)
    return [(d.path, d.detail) for d in diags if d.severity == "error"]


@pytest.mark.parametrize(
    ("overrides", "path"),
    [
        ({"name": "Bad_Name"}, ("name",)),
        ({"name": "x" * 64}, ("name",)),
        ({"cpu_count": 0}, ("cpu_count",)),
        ({"cpu_count": 1.5}, ("cpu_count",)),
        ({"memory_mib": 0}, ("memory_mib",)),
        ({"cpu_reservation_percent": 101}, ("cpu_reservation_percent",)),
        ({"memory_reservation_percent": -1}, ("memory_reservation_percent",)),
        ({"config_spec_json": "[1, 2]"}, ("config_spec_json",)),
        ({"config_spec_json": "{not json"}, ("config_spec_json",)),
        ({"vgpu_profiles": [""]}, ("vgpu_profiles",)),
        (
            {"dynamic_direct_path_io_device": [{"vendor_id": 70000, "device_id": 1}]},
            ("dynamic_direct_path_io_device", 0, "vendor_id"),
        ),
        (
            {"instance_storage": {"storage_policy": "p", "volume_sizes_mib": []}},
            ("instance_storage", "volume_sizes_mib"),
        ),
        (
            {"instance_storage": {"storage_policy": "p", "volume_sizes_mib": [0]}},
            ("instance_storage", "volume_sizes_mib"),
        ),
        ({"vgpu_profiles": ["grid"], "memory_reservation_percent": 50}, ("memory_reservation_percent",)),
        ({"vgpu_profiles": ["grid"]}, ("memory_reservation_percent",)),
    ],
)
def test_plan_time_validation_with_paths(overrides: dict[str, Any], path: tuple[Any, ...]) -> None:
    found = errors_for(config(**overrides))
    assert [p for p, _ in found] == [path], found


def test_valid_gpu_class_passes() -> None:
    assert errors_for(config(vgpu_profiles=["grid"], memory_reservation_percent=100)) == []


def plan_ctx(prior: dict[str, Any] | None, cfg: dict[str, Any]) -> tuple[PlanContext, dict[str, Any]]:
    replace: set[Any] = set()
    planned, _ = engine.plan_change(vc.SCHEMA.block, prior, cfg, cfg, replace)
    ctx = PlanContext(Diagnostics(), vc.TYPE_NAME, config=cfg, prior=prior, requires_replace=replace)
    return ctx, planned


def test_plan_removing_instance_storage_or_config_spec_replaces() -> None:
    prior = config(instance_storage={"storage_policy": "p", "volume_sizes_mib": [1]}, config_spec_json="{}", id="gpu")
    ctx, planned = plan_ctx(prior, config())
    vc.VmClassResource(None).plan(ctx, planned)
    assert ctx.requires_replace == {("instance_storage",), ("config_spec_json",)}


def test_plan_name_change_replaces_and_id_known_at_create() -> None:
    ctx, planned = plan_ctx(config(id="gpu"), config(name="gpu2"))
    vc.VmClassResource(None).plan(ctx, planned)
    assert ("name",) in ctx.requires_replace
    ctx, planned = plan_ctx(None, config())
    assert vc.VmClassResource(None).plan(ctx, planned)["id"] == "gpu"


# ---- CRUD against a fake vCenter --------------------------------------------------------------------------------


class FakeVcenter:
    def __init__(self) -> None:
        self.classes: dict[str, dict[str, Any]] = {}
        self.writes: list[tuple[str, str, Any]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path == "/api/session":
            return httpx.Response(201, json="t")
        body = json.loads(request.content) if request.content else None
        name = path.rsplit("/", 1)[-1]
        if request.method != "GET":
            self.writes.append((request.method, path, body))
        if request.method == "POST":
            if body["id"] in self.classes:
                return error(400, "ALREADY_EXISTS", f"VM class {body['id']} already exists.")
            self.classes[body["id"]] = {**body, "description": body.get("description", "")}
            return httpx.Response(204)
        if name not in self.classes:
            return error(404, "NOT_FOUND", f"VM class {name} not found.")
        if request.method == "GET":
            return httpx.Response(200, json={**self.classes[name], "namespaces": [], "config_status": "READY"})
        if request.method == "PATCH":
            self.classes[name].update(body)
            return httpx.Response(204)
        if request.method == "DELETE":
            if self.classes[name].get("in_use"):
                return error(400, "RESOURCE_IN_USE", f"VM class {name} is in use by namespaces: ns-a.")
            del self.classes[name]
        return httpx.Response(204)


def error(status: int, error_type: str, message: str) -> httpx.Response:
    return httpx.Response(status, json={"error_type": error_type, "messages": [{"default_message": message}]})


@pytest.fixture
def fake() -> Any:
    fake = FakeVcenter()
    settings = ProviderSettings(vsphere_server="vc.unit", user="u", password="p")
    clients._vcenter[settings] = VcenterClient("vc.unit", user="u", password="p", transport=httpx.MockTransport(fake))
    yield fake, vc.VmClassResource(settings)
    clients._vcenter.pop(settings, None)


def ctx() -> Context:
    return Context(Diagnostics(), vc.TYPE_NAME)


def test_crud_cycle(fake: Any) -> None:
    server, res = fake
    planned = config(description="d")
    c = ctx()
    state = res.create(c, planned)
    assert not c.diagnostics.has_errors and state["id"] == "gpu" and state["config_status"] == "READY"
    new = {**state, "cpu_count": 4, "description": None}
    state2 = res.update(ctx(), state, new)
    assert server.writes[-1] == (
        "PATCH",
        "/api/vcenter/namespace-management/virtual-machine-classes/gpu",
        {"cpu_count": 4, "description": ""},
    )
    assert state2["cpu_count"] == 4 and state2["description"] is None
    res.delete(ctx(), state2)
    c = ctx()
    assert res.read(c, state2) is None
    assert [d.severity for d in c.diagnostics] == ["warning"]
    c = ctx()
    res.delete(c, state2)  # already gone: success
    assert not c.diagnostics.has_errors


def test_create_adopts_identical_existing_class(fake: Any) -> None:
    _server, res = fake
    res.create(ctx(), config())
    c = ctx()
    state = res.create(c, config())
    assert not c.diagnostics.has_errors and state["id"] == "gpu"


def test_create_refuses_a_different_existing_class(fake: Any) -> None:
    _server, res = fake
    res.create(ctx(), config(cpu_count=8))
    c = ctx()
    assert res.create(c, config()) is None
    [d] = list(c.diagnostics)
    assert d.summary == "creating tkg_vm_class (gpu)"
    assert (
        "VM class gpu already exists." in d.detail and "ALREADY_EXISTS" in d.detail and "terraform import" in d.detail
    )


def test_delete_in_use_quotes_the_server(fake: Any) -> None:
    server, res = fake
    state = res.create(ctx(), config())
    server.classes["gpu"]["in_use"] = True
    c = ctx()
    res.delete(c, state)
    [d] = list(c.diagnostics)
    assert "in use by namespaces: ns-a" in d.detail and "RESOURCE_IN_USE" in d.detail


def test_unconfigured_provider_gets_one_clear_error() -> None:
    c = ctx()
    assert vc.VmClassResource(None).create(c, config()) is None
    [d] = list(c.diagnostics)
    assert "provider not configured" in d.summary


def test_import_checks_the_id_format() -> None:
    c = ctx()
    assert vc.VmClassResource(None).import_(c, "Bad Name") is None
    assert "Expected the VM class name" in next(iter(c.diagnostics)).detail
    assert vc.VmClassResource(None).import_(ctx(), "gpu") == {"name": "gpu", "id": "gpu"}
