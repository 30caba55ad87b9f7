"""tkg_supervisor_namespace: mapping both ways, PATCH contents (emptied sets, unset limits), validation, plan hook,
CRUD paths (wait for RUNNING, ERROR, timeout → partial state, force_delete refusal) against a fake vCenter."""

from __future__ import annotations

import dataclasses
import json
import time
from typing import Any

import httpx
import pytest

from terraform_provider_tkg import clients
from terraform_provider_tkg.api import models
from terraform_provider_tkg.api.vcenter import VcenterClient
from terraform_provider_tkg.framework import plan as engine
from terraform_provider_tkg.framework.diagnostics import Diagnostics
from terraform_provider_tkg.framework.resource import Context, PlanContext
from terraform_provider_tkg.framework.values import Unknown
from terraform_provider_tkg.resources import supervisor_namespace as ns
from terraform_provider_tkg.settings import ProviderSettings

SV = "sv-1"
POLICIES = {"pol-gold": "tkg-gold", "pol-vsan": "vSAN Default Storage Policy"}

FULL = ns.Model(
    name="team-a",
    supervisor=SV,
    description="Team A",
    vm_classes=["best-effort-small", "gpu"],
    content_libraries=["lib-1"],
    force_delete=False,
    storage_policy=[ns.StoragePolicy("pol-gold", 1024), ns.StoragePolicy("pol-vsan", None)],
    limits=ns.Limits(cpu_mhz=20000, memory_mib=65536, pod_count=200),
    access=[ns.Access("devs", "GROUP", "vsphere.local", "EDIT"), ns.Access("alice", "USER", "vsphere.local", "OWNER")],
)


def info_from(spec: models.NamespaceCreateSpecV2, **extra: Any) -> models.NamespaceInfo:
    body = models.request_body(spec)
    body.pop("namespace")
    body.setdefault("description", "")
    body.setdefault("access_list", [])
    body.setdefault("storage_specs", [])
    body.update({"config_status": "RUNNING", "messages": [], "stats": {"cpu_used": 0}})
    body.update(extra)
    info = models.NamespaceInfo.model_validate(body)
    info.namespace = spec.namespace
    return info


def test_to_api_full() -> None:
    assert models.request_body(ns.to_api(FULL)) == {
        "supervisor": SV,
        "namespace": "team-a",
        "description": "Team A",
        "resource_spec": {"memory_limit": 65536, "cpu_limit": 20000, "pod_count": 200},
        "access_list": [
            {"subject": "devs", "subject_type": "GROUP", "domain": "vsphere.local", "role": "EDIT"},
            {"subject": "alice", "subject_type": "USER", "domain": "vsphere.local", "role": "OWNER"},
        ],
        "storage_specs": [{"policy": "pol-gold", "limit": 1024}, {"policy": "pol-vsan"}],
        "vm_service_spec": {"vm_classes": ["best-effort-small", "gpu"], "content_libraries": ["lib-1"]},
    }


def test_to_api_minimal() -> None:
    assert models.request_body(ns.to_api(ns.Model(name="a", supervisor=SV))) == {"supervisor": SV, "namespace": "a"}


def test_round_trip_full() -> None:
    classes = ["tanzu-raid5-latebinding", "tanzu-raid5", "vsan-default-storage-policy"]
    back = ns.from_api(info_from(ns.to_api(FULL)), FULL, storage_classes=classes)
    assert back.storage_classes == sorted(classes)  # the Supervisor's names, never derived from policy names
    assert back.config_status == "RUNNING" and back.id == "team-a"
    assert {(s.policy, s.limit_mib) for s in back.storage_policy} == {("pol-gold", 1024), ("pol-vsan", None)}
    assert {tuple(a.__dict__.values()) for a in back.access} == {tuple(a.__dict__.values()) for a in FULL.access}
    assert back.limits == FULL.limits
    assert (back.name, back.supervisor, back.description, back.vm_classes, back.content_libraries) == (
        "team-a",
        SV,
        "Team A",
        ["best-effort-small", "gpu"],
        ["lib-1"],
    )


def test_from_api_import_of_an_empty_namespace_gives_nulls() -> None:
    info = info_from(ns.to_api(ns.Model(name="a", supervisor=SV)))
    model = ns.from_api(info, None, storage_classes=[])
    assert model.description is None and model.vm_classes == [] and model.content_libraries == []
    assert model.limits is None and model.storage_policy == [] and model.access == []
    assert model.force_delete is False and model.storage_classes == []


def test_from_api_keeps_empty_sets_and_empty_limits_block() -> None:
    prior = ns.Model(name="a", supervisor=SV, vm_classes=[], content_libraries=[], limits=ns.Limits(), description="")
    model = ns.from_api(info_from(ns.to_api(prior)), prior, storage_classes=[])
    assert model.vm_classes == [] and model.content_libraries == [] and model.description == ""
    assert model.limits == ns.Limits()


def test_from_api_keeps_force_delete_from_state() -> None:
    prior = ns.Model(name="a", supervisor=SV, force_delete=True)
    assert ns.from_api(info_from(ns.to_api(prior)), prior, storage_classes=[]).force_delete is True


def test_update_patch_only_changes() -> None:
    new = ns.Model(**{**FULL.__dict__, "description": "new"})
    assert models.request_body(ns.to_api_update(FULL, new)) == {"description": "new"}
    assert models.request_body(ns.to_api_update(FULL, FULL)) == {}


def test_update_emptying_sets_and_unsetting_limits() -> None:
    new = ns.Model(
        **{
            **FULL.__dict__,
            "vm_classes": [],
            "storage_policy": [],
            "access": [],
            "limits": ns.Limits(cpu_mhz=30000, pod_count=200),
            "description": None,
        }
    )
    assert models.request_body(ns.to_api_update(FULL, new)) == {
        "description": "",
        "resource_spec": {"cpu_limit": 30000, "memory_limit_unset": True},
        "access_list": [],
        "storage_specs": [],
        "vm_service_spec": {"vm_classes": [], "content_libraries": ["lib-1"]},
    }


def test_update_removing_the_limits_block_unsets_every_limit() -> None:
    new = ns.Model(**{**FULL.__dict__, "limits": None})
    assert models.request_body(ns.to_api_update(FULL, new)) == {
        "resource_spec": {"memory_limit_unset": True, "cpu_limit_unset": True, "pod_count_unset": True}
    }


def test_update_set_order_is_no_change() -> None:
    new = ns.Model(**{**FULL.__dict__, "vm_classes": ["gpu", "best-effort-small"], "access": FULL.access[::-1]})
    assert models.request_body(ns.to_api_update(FULL, new)) == {}


def test_storage_limit_change_replaces_the_storage_list() -> None:
    new = ns.Model(**{**FULL.__dict__, "storage_policy": [ns.StoragePolicy("pol-gold", 2048)]})
    assert models.request_body(ns.to_api_update(FULL, new)) == {
        "storage_specs": [{"policy": "pol-gold", "limit": 2048}]
    }


def config(**overrides: Any) -> dict[str, Any]:
    base = {"name": "team-a", "supervisor": SV}
    base.update(overrides)
    return ns.SCHEMA.block.normalize(base)  # type: ignore[no-any-return]


def errors_for(cfg: dict[str, Any]) -> list[Any]:
    diags = Diagnostics()
    engine.validate(ns.SCHEMA.block, cfg, diags)
    if not diags.has_errors:
        ns.SupervisorNamespaceResource(None).validate(Context(diags, ns.TYPE_NAME), cfg)
    return [d.path for d in diags if d.severity == "error"]


@pytest.mark.parametrize(
    ("overrides", "path"),
    [
        ({"name": "Team_A"}, ("name",)),
        ({"name": "-a"}, ("name",)),
        ({"supervisor": ""}, ("supervisor",)),
        ({"vm_classes": ["Not A Class"]}, ("vm_classes",)),
        ({"content_libraries": [""]}, ("content_libraries",)),
        ({"storage_policy": [{"policy": "p", "limit_mib": -1}]}, ("storage_policy", "limit_mib")),
        ({"storage_policy": [{"policy": "p", "limit_mib": 1}, {"policy": "p", "limit_mib": 2}]}, ("storage_policy",)),
        ({"limits": {"cpu_mhz": 5}}, ("limits", "cpu_mhz")),
        ({"limits": {"memory_mib": -1}}, ("limits", "memory_mib")),
        ({"limits": {"pod_count": 1.5}}, ("limits", "pod_count")),
        (
            {"limits": {"cpu_request_default_mhz": 500, "cpu_limit_default_mhz": 100}},
            ("limits", "cpu_request_default_mhz"),
        ),
        (
            {"access": [{"subject": "a", "subject_type": "ROBOT", "domain": "d", "role": "EDIT"}]},
            ("access", "subject_type"),
        ),
        ({"access": [{"subject": "a", "subject_type": "USER", "domain": "d", "role": "ADMIN"}]}, ("access", "role")),
        (
            {
                "access": [
                    {"subject": "a", "subject_type": "USER", "domain": "d", "role": "EDIT"},
                    {"subject": "A", "subject_type": "USER", "domain": "d", "role": "VIEW"},
                ]
            },
            ("access",),
        ),
        ({"timeouts": {"create": "soon"}}, ("timeouts", "create")),
    ],
)
def test_plan_time_validation_with_paths(overrides: dict[str, Any], path: tuple[Any, ...]) -> None:
    block = ns.SupervisorNamespaceResource.full_schema().block
    cfg = block.normalize({"name": "team-a", "supervisor": SV, **overrides})
    diags = Diagnostics()
    engine.validate(block, cfg, diags)
    if not diags.has_errors:
        ns.SupervisorNamespaceResource(None).validate(Context(diags, ns.TYPE_NAME), cfg)
    assert [d.path for d in diags if d.severity == "error"] == [path]


def plan(prior: dict[str, Any] | None, cfg: dict[str, Any]) -> tuple[PlanContext, dict[str, Any]]:
    block = ns.SupervisorNamespaceResource.full_schema().block
    replace: set[Any] = set()
    # Terraform's config holds null for computed-only attributes; its proposed state holds their prior values.
    computed_only = {n for n, a in block.attributes.items() if a.computed and not a.optional}
    config = {n: None if n in computed_only else v for n, v in cfg.items()}
    planned, changed = engine.plan_change(block, prior, cfg, config, replace, local_only=("timeouts",))
    ctx = PlanContext(Diagnostics(), ns.TYPE_NAME, config=cfg, prior=prior, changed=changed, requires_replace=replace)
    return ctx, ns.SupervisorNamespaceResource(None).plan(ctx, planned)


def state(**overrides: Any) -> dict[str, Any]:
    block = ns.SupervisorNamespaceResource.full_schema().block
    base = {
        "name": "team-a",
        "supervisor": SV,
        "id": "team-a",
        "config_status": "RUNNING",
        "force_delete": False,
        "storage_classes": [],
    }
    return block.normalize({**base, **overrides})  # type: ignore[no-any-return]


def test_plan_replace_only_on_name_and_supervisor() -> None:
    ctx, _ = plan(state(), state(name="team-b"))
    assert ctx.requires_replace == {("name",)}
    ctx, _ = plan(state(), state(supervisor="other"))
    assert ctx.requires_replace == {("supervisor",)}
    ctx, _ = plan(state(), state(description="x", vm_classes=["a"], limits={"cpu_mhz": 100}))
    assert ctx.requires_replace == set()


def test_plan_of_a_change_makes_the_computed_status_unknown_but_keeps_the_id() -> None:
    for change in ({"storage_policy": [{"policy": "p", "limit_mib": None}]}, {"description": "x"}):
        _ctx, planned = plan(state(), state(**change))
        assert planned["storage_classes"] is Unknown and planned["config_status"] is Unknown
        assert planned["id"] == "team-a"  # stable: an update never changes it
    _ctx, planned = plan(state(), state(timeouts={"create": "1m"}))  # a provider-side setting: nothing to refresh
    assert planned["storage_classes"] == [] and planned["config_status"] == "RUNNING"
    _ctx, planned = plan(state(), state())
    assert planned["storage_classes"] == [] and planned["config_status"] == "RUNNING"


def test_plan_create_defaults() -> None:
    _ctx, planned = plan(None, config())
    assert planned["id"] == "team-a" and planned["force_delete"] is False and planned["config_status"] is Unknown


# ---- CRUD against a fake vCenter --------------------------------------------------------------------------------


class FakeVcenter:
    def __init__(self) -> None:
        self.namespaces: dict[str, dict[str, Any]] = {}
        self.statuses: list[str] = []
        self.writes: list[tuple[str, str, Any]] = []
        self.clusters_in: dict[str, list[str]] = {}
        self.error_messages: list[dict[str, Any]] = []
        self.lose_next_create = False

    def __call__(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path == "/api/session":
            return httpx.Response(201, json="t")
        if path == "/api/vcenter/storage/policies":
            return httpx.Response(200, json=[{"policy": k, "name": v, "description": ""} for k, v in POLICIES.items()])
        body = json.loads(request.content) if request.content else None
        name = path.rsplit("/", 1)[-1]
        if request.method != "GET":
            self.writes.append((request.method, path, body))
        if request.method == "POST":
            if body["namespace"] in self.namespaces:
                return error(400, "ALREADY_EXISTS", f"Namespace {body['namespace']} already exists.")
            data = {k: v for k, v in body.items() if k != "namespace"}
            self.namespaces[body["namespace"]] = {
                "description": "",
                "access_list": [],
                "storage_specs": [],
                "messages": [],
                **data,
                "config_status": "CONFIGURING",
            }
            if self.lose_next_create:  # made, but the answer never arrives (the client sees a 503 and retries)
                self.lose_next_create = False
                return error(503, "SERVICE_UNAVAILABLE", "lost")
            return httpx.Response(204)
        if name not in self.namespaces:
            return error(404, "NOT_FOUND", f"Namespace {name} not found.")
        current = self.namespaces[name]
        if request.method == "GET":
            if self.statuses:
                current["config_status"] = self.statuses.pop(0)
            elif current["config_status"] == "CONFIGURING":
                current["config_status"] = "RUNNING"
            if current["config_status"] == "ERROR":
                current["messages"] = self.error_messages
            if current["config_status"] == "GONE":
                del self.namespaces[name]
                return error(404, "NOT_FOUND", f"Namespace {name} not found.")
            return httpx.Response(200, json=current)
        if request.method == "PATCH":
            current.update(body)
            current["config_status"] = "CONFIGURING"
            return httpx.Response(204)
        if request.method == "DELETE":
            if self.clusters_in.get(name):
                return error(
                    400,
                    "NOT_ALLOWED_IN_CURRENT_STATE",
                    f"Namespace {name} still contains Tanzu Kubernetes clusters: {', '.join(self.clusters_in[name])}.",
                )
            current["config_status"] = "REMOVING"
            self.statuses = ["REMOVING", "GONE"]
        return httpx.Response(204)


def error(status: int, error_type: str, message: str) -> httpx.Response:
    return httpx.Response(status, json={"error_type": error_type, "messages": [{"default_message": message}]})


@pytest.fixture
def fake() -> Any:
    fake = FakeVcenter()
    settings = ProviderSettings(vsphere_server="vc.ns-unit", user="u", password="p")
    clients._vcenter[settings] = VcenterClient(
        "vc.ns-unit", user="u", password="p", transport=httpx.MockTransport(fake)
    )
    yield fake, ns.SupervisorNamespaceResource(settings)
    clients._vcenter.pop(settings, None)


def ctx(timeout: float | None = 5.0) -> Context:
    return Context(
        Diagnostics(), ns.TYPE_NAME, deadline=time.monotonic() + timeout if timeout else None, timeout=timeout
    )


def test_create_waits_running_then_update_and_delete(fake: Any) -> None:
    server, res = fake
    server.statuses = ["CONFIGURING", "CONFIGURING", "RUNNING"]
    c = ctx()
    planned = state(
        vm_classes=["gpu"],
        storage_policy=[{"policy": "pol-gold", "limit_mib": None}],
        config_status=None,
        storage_classes=None,
    )
    s = res.create(c, planned)
    assert not c.diagnostics.has_errors, list(c.diagnostics)
    assert s["config_status"] == "RUNNING" and s["storage_classes"] == []  # no Supervisor in this fake
    new = {**s, "vm_classes": [], "limits": None}
    s2 = res.update(ctx(), s, new)
    assert server.writes[-1] == (
        "PATCH",
        "/api/vcenter/namespaces/instances/team-a",
        {"vm_service_spec": {"vm_classes": [], "content_libraries": []}},
    )
    assert s2["vm_classes"] == []
    c = ctx()
    res.delete(c, s2)
    assert not c.diagnostics.has_errors and "team-a" not in server.namespaces


def test_create_error_status_fails_with_messages_and_keeps_state(fake: Any) -> None:
    server, res = fake
    server.statuses = ["ERROR"]

    server.error_messages = [{"severity": "ERROR", "details": {"default_message": "Failed to apply storage quota."}}]
    c = ctx()
    s = res.create(c, state(config_status=None))
    [d] = list(c.diagnostics)
    assert d.summary == "creating tkg_supervisor_namespace (team-a)"
    assert "Failed to apply storage quota." in d.detail
    assert s is not None and s["config_status"] == "ERROR"  # returned with the error → Terraform taints it


def test_create_timeout_returns_partial_state_with_error(fake: Any) -> None:
    server, res = fake
    server.statuses = ["CONFIGURING"] * 1000
    c = ctx(timeout=0.3)
    s = res.create(c, state(config_status=None))
    [d] = list(c.diagnostics)
    assert "still CONFIGURING" in d.detail and "tainted" in d.detail
    assert s is not None and s["name"] == "team-a" and s["config_status"] == "CONFIGURING"


def test_delete_with_clusters_refused_without_force(fake: Any) -> None:
    server, res = fake
    s = res.create(ctx(), state(config_status=None))
    server.clusters_in["team-a"] = ["prod-1", "prod-2"]
    c = ctx()
    res.delete(c, s)
    [d] = list(c.diagnostics)
    assert "prod-1, prod-2" in d.detail and "force_delete" in d.detail
    assert "team-a" in server.namespaces


def test_read_gone_is_removed_with_warning(fake: Any) -> None:
    _server, res = fake
    c = ctx()
    assert res.read(c, state()) is None
    assert [d.severity for d in c.diagnostics] == ["warning"]


def test_invalid_argument_is_attached_to_the_attribute(fake: Any) -> None:
    _server, res = fake

    def reject(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/api/session":
            return httpx.Response(201, json="t")
        return error(
            400,
            "INVALID_ARGUMENT",
            "Invalid value for field 'vm_service_spec.vm_classes[0]': VM class nope does not exist.",
        )

    res.provider_data = ProviderSettings(vsphere_server="vc.reject", user="u", password="p")
    clients._vcenter[res.provider_data] = VcenterClient(
        "vc.reject", user="u", password="p", transport=httpx.MockTransport(reject)
    )
    try:
        c = ctx()
        assert res.create(c, state(vm_classes=["nope"])) is None
        [d] = list(c.diagnostics)
        assert d.path == ("vm_classes",) and "VM class nope does not exist." in d.detail
    finally:
        clients._vcenter.pop(res.provider_data, None)


def test_a_lost_create_answer_is_finished_by_adopting_our_own_namespace(fake: Any) -> None:
    server, res = fake
    server.lose_next_create = True
    c = ctx()
    s = res.create(c, state(description="x", config_status=None))
    assert not c.diagnostics.has_errors and s["config_status"] == "RUNNING" and s["description"] == "x"
    assert [method for method, _path, _body in server.writes] == ["POST", "POST"]
    # vCenter keeps the create marker; state shows only what the configuration says.
    assert server.namespaces["team-a"]["description"].startswith("x\n[tkg-create-token:")


def test_create_never_adopts_a_namespace_it_did_not_make(fake: Any) -> None:
    _server, res = fake
    res.create(ctx(), state(description="x", config_status=None))  # another workspace, same configuration
    c = ctx()
    assert res.create(c, state(description="x", config_status=None)) is None
    [d] = list(c.diagnostics)
    assert d.summary == "creating tkg_supervisor_namespace (team-a): already exists"
    assert "terraform import tkg_supervisor_namespace.<address> team-a" in d.detail


def test_limits_model_schema_and_wire_table_name_the_same_limits() -> None:
    schema_names = list(ns.SCHEMA.block.blocks["limits"].block.attributes)
    assert [f.name for f in dataclasses.fields(ns.Limits)] == list(ns.LIMITS) == schema_names
