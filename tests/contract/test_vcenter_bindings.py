"""The simulated vCenter REST API against the official ``vmware-vcenter`` bindings (the wheel's own metadata).

- every served operation: HTTP method, ``url_template`` (under ``/api``) and ``?action=`` dispatch equal the REST
  metadata of its ``_XxxStub``, and the body parameter exists exactly when the simulator reads a body;
- every request shape the simulator accepts: each field exists with that spelling in the binding's StructType, with a
  compatible kind, the same required-ness, and only enum values the binding allows;
- every response of a live simulator (rich objects created first), walked recursively against the operation's
  output type, and every error body against ``com.vmware.vapi.std.errors.Error``; error types an operation answers
  are among the errors its binding declares.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from vmware.vapi.bindings import type as vtype

from tests import certs
from tests.contract import vcenter_bindings as vb
from tkgsim import Simulator
from tkgsim.content import library
from tkgsim.vcenter import app as vcenter_app
from tkgsim.vcenter import releases, wire
from tkgsim.vcenter._http import Route
from tkgsim.vcenter.namespace_management import virtual_machine_classes
from tkgsim.vcenter.namespaces import shapes

pytestmark = pytest.mark.contract

ROUTES = vcenter_app.ROUTES
SHAPES: list[wire.Struct] = [*shapes.ALL, *virtual_machine_classes.SHAPES, library.FIND_SPEC]
# Operations whose handlers read a JSON body.
BODY_OPERATIONS = {"create", "create_v2", "update", "set", "find"}


def _route_id(route: Route) -> str:
    return f"{route.method} {route.path}{'?action=' + route.action if route.action else ''}"


def _op(route: Route) -> vb.BindingOperation:
    return vb.operation(route.operation.module, route.operation.interface, route.operation.name)


@pytest.mark.parametrize("route", ROUTES, ids=_route_id)
def test_route_matches_binding_rest_metadata(route: Route) -> None:
    op = _op(route)
    template, _, query = op.url_template.partition("?")
    assert route.method == op.http_method
    assert vb.normalize_template(route.path) == vb.normalize_template("/api" + template)
    expected_dispatch = dict(op.dispatch_parameters)
    if query:
        expected_dispatch.update(dict(part.split("=", 1) for part in query.split("&")))
    assert ({"action": route.action} if route.action else {}) == expected_dispatch
    assert (op.request_body_parameter is not None) == (
        route.operation.name in BODY_OPERATIONS and route.operation.module != "com.vmware.cis_client"
    )
    assert set(op.path_variables.values()) == set(_path_variables(op.url_template))
    assert len(_path_variables(route.path)) == len(op.path_variables)


def _path_variables(path: str) -> list[str]:
    import re

    return re.findall(r"\{([^}]+)\}", path)


def test_every_binding_operation_is_served_once() -> None:
    keys = [(r.operation.module, r.operation.interface, r.operation.name) for r in ROUTES]
    assert len(keys) == len(set(keys))


def _kind_matches(kind: str, binding: vtype.BindingType) -> bool:
    if kind == "string":
        return isinstance(binding, vtype.StringType | vtype.IdType | vtype.SecretType | vtype.URIType)
    if kind == "integer":
        return isinstance(binding, vtype.IntegerType)
    if kind == "boolean":
        return isinstance(binding, vtype.BooleanType)
    if kind == "enum":
        return isinstance(binding, vtype.EnumType)
    if kind == "list":
        return isinstance(binding, vtype.ListType | vtype.SetType)
    if kind == "struct":
        return isinstance(binding, vtype.StructType)
    return kind == "opaque"


@pytest.mark.parametrize("shape", SHAPES, ids=lambda s: s.binding[1])
def test_request_shape_fields_exist_in_binding(shape: wire.Struct) -> None:
    binding = vb.struct_type(*shape.binding)
    binding_fields = set(binding.get_field_names())
    assert set(shape.fields) <= binding_fields, f"not in {binding.name}: {set(shape.fields) - binding_fields}"
    for name, field in shape.fields.items():
        field_type, optional = vb.unwrap_optional(binding.get_field(name))
        assert _kind_matches(field.kind, field_type), f"{name}: {field.kind} vs {type(field_type).__name__}"
        assert field.required == (not optional), f"{name}: required={field.required}, binding optional={optional}"
        if field.kind == "enum":
            assert isinstance(field_type, vtype.EnumType)
            assert set(field.values) <= vb.enum_values(field_type), name
        if field.kind == "list" and field.item is not None:
            element = vb.resolve(field_type.element_type)  # type: ignore[attr-defined]
            assert _kind_matches(field.item.kind, element), f"{name}[]: {field.item.kind} vs {type(element).__name__}"
            if field.item.struct is not None:
                assert element.name == vb.struct_type(*field.item.struct.binding).name, name
        if field.kind == "struct" and field.struct is not None and not isinstance(field_type, vtype.DynamicStructType):
            assert field_type.name == vb.struct_type(*field.struct.binding).name, name


# Binding fields the simulator deliberately does not accept, with the reason (everything else must be accepted).
NOT_ACCEPTED: dict[str, str] = {}


@pytest.mark.parametrize("shape", SHAPES, ids=lambda s: s.binding[1])
def test_request_shapes_accept_every_binding_field(shape: wire.Struct) -> None:
    binding = vb.struct_type(*shape.binding)
    missing = {f"{shape.binding[1]}.{name}" for name in binding.get_field_names()} - {
        f"{shape.binding[1]}.{name}" for name in shape.fields
    }
    assert missing <= set(NOT_ACCEPTED), sorted(missing)


def _reachable(shape: wire.Struct) -> list[wire.Struct]:
    found = [shape]
    for field in shape.fields.values():
        while field.item is not None:
            field = field.item
        if field.struct is not None:
            found += _reachable(field.struct)
    return found


@pytest.mark.parametrize(
    "shape", [s for s in SHAPES if s.binding[1] in releases.FIELDS_8_0], ids=lambda s: s.binding[1]
)
def test_release_fields_8_0_are_binding_fields_and_all_accepted(shape: wire.Struct) -> None:
    """The 8.0 U2 table names real binding fields, and the 8.0 profiles accept each of them (and nothing else)."""
    binding_fields = set(vb.struct_type(*shape.binding).get_field_names())
    known = releases.FIELDS_8_0[shape.binding[1]]
    assert known <= binding_fields, sorted(known - binding_fields)
    assert set(releases.for_api(shape, (8, 0)).fields) == known
    assert releases.for_api(shape, (9, 1)) is shape


@pytest.mark.parametrize(
    "shape",
    [
        shapes.CREATE_SPEC,
        shapes.CREATE_SPEC_V2,
        shapes.UPDATE_SPEC,
        shapes.SET_SPEC,
        virtual_machine_classes.CREATE_SPEC,
        virtual_machine_classes.UPDATE_SPEC,
    ],
    ids=lambda s: s.binding[1],
)
def test_release_fields_8_0_cover_every_reachable_structure(shape: wire.Struct) -> None:
    """Every structure an 8.0 body can reach has an 8.0 field set, and each of its fields is the 8.0 one."""
    for inner in _reachable(releases.for_api(shape, (8, 0))):
        assert set(inner.fields) == releases.FIELDS_8_0[inner.binding[1]], inner.binding[1]


# ---- live responses ---------------------------------------------------------------------------------------------

POLICY = "aa6d5a82-1c88-45da-85d3-3d74b91a5bad"
LOCAL_LIBRARY = "1b2c3d4e-5f60-4718-92a3-b4c5d6e7f809"
SUBSCRIBED_LIBRARY = "8f2d3d5e-6a1b-4c7f-9e0a-2b3c4d5e6f70"
SUPERVISOR = "c9ad3f1a-6c0e-4a2b-9a64-0d1a7f0e5b21"


@pytest.fixture(scope="module")
def http(vcenter_sim: Simulator) -> Any:
    with httpx.Client(base_url=vcenter_sim.vcenter_url, verify=certs.verify(vcenter_sim.ca_file), timeout=30) as client:
        token = client.post("/api/session", auth=(vcenter_sim.admin_user, vcenter_sim.admin_password)).json()
        client.headers["vmware-api-session-id"] = token
        _populate(client)
        yield client


def _populate(client: httpx.Client) -> None:
    vm_class = {
        "id": "contract-gpu",
        "cpu_count": 8,
        "memory_MB": 65536,
        "cpu_reservation": 50,
        "memory_reservation": 100,
        "description": "gpu",
        "devices": {
            "vgpu_devices": [{"profile_name": "grid_a100-8c"}],
            "dynamic_direct_path_IO_devices": [{"vendor_id": 4318, "device_id": 8711, "custom_label": "nic"}],
        },
        "instance_storage": {"policy": POLICY, "volumes": [{"size": 10240}]},
        "config_spec": {"_typeName": "VirtualMachineConfigSpec", "numCPUs": 8},
    }
    assert client.post("/api/vcenter/namespace-management/virtual-machine-classes", json=vm_class).status_code == 204
    namespace = {
        "supervisor": SUPERVISOR,
        "namespace": "contract-ns",
        "description": "everything set",
        "access_list": [{"subject_type": "USER", "subject": "alice", "domain": "vsphere.local", "role": "OWNER"}],
        "storage_specs": [{"policy": POLICY, "limit": 204800}],
        "resource_spec": {"cpu_limit": 20000, "memory_limit": 65536, "pod_count": 200},
        "vm_service_spec": {"vm_classes": ["contract-gpu"], "content_libraries": [SUBSCRIBED_LIBRARY]},
        "content_libraries": [{"content_library": LOCAL_LIBRARY, "writable": True, "allow_import": True}],
        "zones": [{"name": "zone-a", "cpu_limit_MHz": 20000}],
        "creator": {"subject": "alice", "domain": "vsphere.local"},
        "networks": ["primary"],
        "infrastructure_policies": ["policy-1"],
    }
    assert client.post("/api/vcenter/namespaces/instances/v2", json=namespace).status_code == 204
    v1 = {"cluster": "domain-c8", "namespace": "contract-v1"}
    assert client.post("/api/vcenter/namespaces/instances", json=v1).status_code == 204


# Concrete requests for each data-returning route (path variables filled with live objects).
LIVE_CALLS: list[tuple[str, str, str, Any]] = [
    ("Session.get", "GET", "/api/session", None),
    ("Instances.get", "GET", "/api/vcenter/namespaces/instances/contract-ns", None),
    ("Instances.get_v2", "GET", "/api/vcenter/namespaces/instances/v2/contract-ns", None),
    ("Instances.list", "GET", "/api/vcenter/namespaces/instances", None),
    ("Instances.list_v2", "GET", "/api/vcenter/namespaces/instances/v2", None),
    (
        "VirtualMachineClasses.get",
        "GET",
        "/api/vcenter/namespace-management/virtual-machine-classes/contract-gpu",
        None,
    ),
    ("VirtualMachineClasses.list", "GET", "/api/vcenter/namespace-management/virtual-machine-classes", None),
    ("Clusters.list", "GET", "/api/vcenter/namespace-management/clusters", None),
    ("Clusters.get", "GET", "/api/vcenter/namespace-management/clusters/domain-c8", None),
    ("Summary.list", "GET", "/api/vcenter/namespace-management/supervisors/summaries", None),
    ("Summary.get", "GET", f"/api/vcenter/namespace-management/supervisors/{SUPERVISOR}/summary", None),
    ("Topology.get", "GET", f"/api/vcenter/namespace-management/supervisors/{SUPERVISOR}/topology", None),
    ("Policies.list", "GET", "/api/vcenter/storage/policies", None),
    ("Cluster.list", "GET", "/api/vcenter/cluster", None),
    ("Cluster.get", "GET", "/api/vcenter/cluster/domain-c8", None),
    ("Library.list", "GET", "/api/content/library", None),
    ("Library.get", "GET", f"/api/content/library/{SUBSCRIBED_LIBRARY}", None),
    ("Library.get", "GET", f"/api/content/library/{LOCAL_LIBRARY}", None),
    ("Library.find", "POST", "/api/content/library?action=find", {"type": "LOCAL"}),
]


def _route_by_op(key: str) -> Route:
    interface, name = key.split(".")
    return next(r for r in ROUTES if r.operation.interface == interface and r.operation.name == name)


def test_live_calls_cover_every_data_route() -> None:
    data_ops = {f"{r.operation.interface}.{r.operation.name}" for r in ROUTES}
    data_ops = {
        key for key in data_ops if not isinstance(vb.resolve(_op(_route_by_op(key)).output_type), vtype.VoidType)
    }
    data_ops.discard("Session.create")  # checked in test_session_create_output
    assert data_ops == {key for key, *_ in LIVE_CALLS}


@pytest.mark.parametrize(("key", "method", "path", "body"), LIVE_CALLS, ids=[f"{c[0]}:{c[2]}" for c in LIVE_CALLS])
def test_live_response_matches_binding_output_type(
    http: httpx.Client, key: str, method: str, path: str, body: Any
) -> None:
    response = http.request(method, path, json=body)
    assert response.status_code == 200, response.text
    op = _op(_route_by_op(key))
    problems: list[str] = []
    seen: set[str] = set()
    vb.check_value(op.output_type, response.json(), key, problems, seen)
    assert problems == []


def test_rich_namespace_exercises_optional_fields(http: httpx.Client) -> None:
    op = _op(_route_by_op("Instances.get_v2"))
    seen: set[str] = set()
    problems: list[str] = []
    vb.check_value(
        op.output_type, http.get("/api/vcenter/namespaces/instances/v2/contract-ns").json(), "ns", problems, seen
    )
    assert problems == []
    info = "com.vmware.vcenter.namespaces.instances.info_v2"
    for field in ("resource_spec", "vm_service_spec", "content_libraries", "zones", "creator", "networks"):
        assert f"{info}.{field}" in seen


def test_session_create_output(vcenter_sim: Simulator) -> None:
    op = _op(_route_by_op("Session.create"))
    with httpx.Client(verify=certs.verify(vcenter_sim.ca_file)) as client:
        response = client.post(
            f"{vcenter_sim.vcenter_url}/api/session", auth=(vcenter_sim.admin_user, vcenter_sim.admin_password)
        )
    assert response.status_code == 201
    problems: list[str] = []
    vb.check_value(op.output_type, response.json(), "token", problems, set())
    assert problems == []


# Error scenarios: (binding op, method, path, body, expected error_type).
ERROR_CALLS: list[tuple[str, str, str, Any, str]] = [
    ("Instances.get", "GET", "/api/vcenter/namespaces/instances/nope", None, "NOT_FOUND"),
    ("Instances.get_v2", "GET", "/api/vcenter/namespaces/instances/v2/nope", None, "NOT_FOUND"),
    (
        "Instances.create_v2",
        "POST",
        "/api/vcenter/namespaces/instances/v2",
        {"supervisor": SUPERVISOR, "namespace": "contract-ns"},
        "ALREADY_EXISTS",
    ),
    (
        "Instances.create_v2",
        "POST",
        "/api/vcenter/namespaces/instances/v2",
        {"supervisor": SUPERVISOR, "namespace": "BAD"},
        "INVALID_ARGUMENT",
    ),
    (
        "Instances.create",
        "POST",
        "/api/vcenter/namespaces/instances",
        {"cluster": "domain-c1", "namespace": "x"},
        "INVALID_ARGUMENT",
    ),
    ("Instances.update", "PATCH", "/api/vcenter/namespaces/instances/nope", {}, "NOT_FOUND"),
    (
        "Instances.update",
        "PATCH",
        "/api/vcenter/namespaces/instances/contract-ns",
        {"storage_specs": [{"policy": "x"}]},
        "INVALID_ARGUMENT",
    ),
    ("Instances.set", "PUT", "/api/vcenter/namespaces/instances/nope", {}, "NOT_FOUND"),
    ("Instances.delete", "DELETE", "/api/vcenter/namespaces/instances/nope", None, "NOT_FOUND"),
    (
        "VirtualMachineClasses.create",
        "POST",
        "/api/vcenter/namespace-management/virtual-machine-classes",
        {"id": "contract-gpu", "cpu_count": 1, "memory_MB": 1},
        "ALREADY_EXISTS",
    ),
    (
        "VirtualMachineClasses.create",
        "POST",
        "/api/vcenter/namespace-management/virtual-machine-classes",
        {"id": "x", "cpu_count": 0, "memory_MB": 1},
        "INVALID_ARGUMENT",
    ),
    (
        "VirtualMachineClasses.get",
        "GET",
        "/api/vcenter/namespace-management/virtual-machine-classes/nope",
        None,
        "NOT_FOUND",
    ),
    (
        "VirtualMachineClasses.update",
        "PATCH",
        "/api/vcenter/namespace-management/virtual-machine-classes/contract-gpu",
        {"memory_reservation": 1},
        "INVALID_ARGUMENT",
    ),
    (
        "VirtualMachineClasses.delete",
        "DELETE",
        "/api/vcenter/namespace-management/virtual-machine-classes/contract-gpu",
        None,
        "RESOURCE_IN_USE",
    ),
    (
        "VirtualMachineClasses.delete",
        "DELETE",
        "/api/vcenter/namespace-management/virtual-machine-classes/nope",
        None,
        "NOT_FOUND",
    ),
    ("Clusters.get", "GET", "/api/vcenter/namespace-management/clusters/nope", None, "NOT_FOUND"),
    ("Summary.get", "GET", "/api/vcenter/namespace-management/supervisors/nope/summary", None, "NOT_FOUND"),
    ("Cluster.get", "GET", "/api/vcenter/cluster/nope", None, "NOT_FOUND"),
    ("Library.get", "GET", "/api/content/library/nope", None, "NOT_FOUND"),
    ("Library.find", "POST", "/api/content/library?action=find", {"type": "NOPE"}, "INVALID_ARGUMENT"),
]

_ERROR_TYPE = vb.struct_type("com.vmware.vapi.std.errors_client", "Error")


@pytest.mark.parametrize(
    ("key", "method", "path", "body", "error_type"), ERROR_CALLS, ids=[f"{c[0]}:{c[4]}" for c in ERROR_CALLS]
)
def test_error_bodies_match_binding_error_type(
    http: httpx.Client, key: str, method: str, path: str, body: Any, error_type: str
) -> None:
    response = http.request(method, path, json=body)
    payload = response.json()
    assert payload.get("error_type") == error_type, payload
    problems: list[str] = []
    vb.check_value(_ERROR_TYPE, payload, "error", problems, set())
    assert problems == []
    op = _op(_route_by_op(key))
    assert error_type in op.error_types, f"{key} declares {sorted(op.error_types)}"
    statuses = {"NOT_FOUND": 404, "UNAUTHENTICATED": 401, "UNAUTHORIZED": 403}
    assert response.status_code == statuses.get(error_type, 400)


def test_unauthenticated_and_unauthorized_are_declared_by_every_write(vcenter_sim: Simulator) -> None:
    for route in ROUTES:
        op = _op(route)
        if route.operation.interface in ("Session",) or route.operation.module == "com.vmware.content_client":
            continue
        assert "UNAUTHENTICATED" in op.error_types, _route_id(route)
        assert "UNAUTHORIZED" in op.error_types, _route_id(route)


def test_the_walker_catches_spelling_enum_and_missing_field_drift() -> None:
    op = _op(_route_by_op("VirtualMachineClasses.get"))
    drifted = {
        "id": "x",
        "cpu_count": 1,
        "memory_mb": 1024,  # wrong spelling: the binding says memory_MB
        "description": "",
        "namespaces": [],
        "vms": [],
        "config_status": "DONE",  # not a ConfigStatus value
    }  # messages missing
    problems: list[str] = []
    vb.check_value(op.output_type, drifted, "vm_class", problems, set())
    text = "\n".join(problems)
    assert "memory_mb: not a field" in text
    assert "'DONE' is not a value" in text
    assert "required field 'memory_MB'" in text and "required field 'messages'" in text
