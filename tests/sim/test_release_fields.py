"""Per-release request fields: a vCenter 8.0 (U2 and U3) rejects the fields its bindings lack like unknown fields.

The namespace shapes follow the 9.x bindings; on the ``vsphere-8.0u2`` / ``vsphere-8.0u3`` profiles a field the 8.0 U2
bindings lack (``zones``, ``edges``, ``network_spec``, ``infrastructure_policies``, ``ContentLibrarySpec.allow_import``
and ``resource_naming_strategy``) gets the same INVALID_ARGUMENT as a misspelt field, and responses never carry them.
``vks-3.4`` accepts and returns them.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.sim.conftest import LOCAL_LIBRARY, POLICY, VcClient, assert_vc_error, namespace_body, unique
from tkgsim import Simulator

V2 = "/api/vcenter/namespaces/instances/v2"
V1 = "/api/vcenter/namespaces/instances"
VM_CLASSES = "/api/vcenter/namespace-management/virtual-machine-classes"
RELEASES_8_0 = ("vsphere-8.0u2", "vsphere-8.0u3")

WRITABLE_IMPORT = {"content_library": LOCAL_LIBRARY, "writable": True, "allow_import": True}
NAMING = {"content_library": LOCAL_LIBRARY, "resource_naming_strategy": "PREFER_ITEM_SOURCE_ID"}

# (operation, body fields, the field path the error must name)
NINE_ONLY: list[tuple[str, dict[str, Any], str]] = [
    ("create_v2", {"zones": [{"name": "zone-a"}]}, "zones"),
    ("create_v2", {"infrastructure_policies": ["policy-1"]}, "infrastructure_policies"),
    ("create_v2", {"edges": [{"edge": "edge-1"}]}, "edges"),
    ("create_v2", {"network_spec": {"network_provider": "VSPHERE_NETWORK"}}, "network_spec"),
    ("create_v2", {"content_libraries": [WRITABLE_IMPORT]}, "content_libraries[0].allow_import"),
    ("create_v2", {"content_libraries": [NAMING]}, "content_libraries[0].resource_naming_strategy"),
    ("create", {"infrastructure_policies": ["policy-1"]}, "infrastructure_policies"),
    ("create", {"edges": [{"edge": "edge-1"}]}, "edges"),
    ("update", {"zones": [{"name": "zone-a"}]}, "zones"),
    ("update", {"network_spec": {"network_provider": "VSPHERE_NETWORK"}}, "network_spec"),
    ("update", {"content_libraries": [WRITABLE_IMPORT]}, "content_libraries[0].allow_import"),
    ("set", {"infrastructure_policies": ["policy-1"]}, "infrastructure_policies"),
    ("set", {"edges": [{"edge": "edge-1"}]}, "edges"),
    ("set", {"content_libraries": [NAMING]}, "content_libraries[0].resource_naming_strategy"),
]


@pytest.fixture(scope="module", params=[*RELEASES_8_0, "vks-3.4"])
def release(request: pytest.FixtureRequest) -> Iterator[tuple[str, VcClient]]:
    with Simulator(delay_scale=0, profile=request.param) as simulator:
        client = VcClient(simulator, simulator.admin_user, simulator.admin_password)
        yield request.param, client
        client.close()


def _send(vc: VcClient, operation: str, fields: dict[str, Any]) -> Any:
    if operation == "create_v2":
        return vc.post(V2, namespace_body(unique("rel"), **fields))
    if operation == "create":
        return vc.post(V1, {"cluster": "domain-c8", "namespace": unique("rel"), **fields})
    name = unique("rel")
    assert vc.post(V2, namespace_body(name)).status_code == 204
    if operation == "update":
        return vc.patch(f"{V1}/{name}", fields)
    return vc.put(f"{V1}/{name}", {"storage_specs": [{"policy": POLICY}], **fields})


def _unknown_field_error(vc: VcClient, operation: str, fields: dict[str, Any], path: str) -> dict[str, Any]:
    """The error the same request gets when the field is replaced by a name no release knows."""
    misspelt = {**fields}
    top = path.split(".")[0].split("[")[0]
    if top == path:
        misspelt["no_such_field"] = misspelt.pop(top)
        expected_path = "no_such_field"
    else:
        leaf = path.rsplit(".", 1)[1]
        library = dict(misspelt["content_libraries"][0])
        library["no_such_field"] = library.pop(leaf)
        misspelt["content_libraries"] = [library]
        expected_path = "content_libraries[0].no_such_field"
    body = assert_vc_error(_send(vc, operation, misspelt), 400, "INVALID_ARGUMENT")
    assert expected_path in body["messages"][0]["args"], body
    return body


@pytest.mark.parametrize(("operation", "fields", "path"), NINE_ONLY, ids=[f"{o}:{p}" for o, _, p in NINE_ONLY])
def test_nine_only_field_is_an_unknown_field_on_8_0(
    release: tuple[str, VcClient], operation: str, fields: dict[str, Any], path: str
) -> None:
    profile, vc = release
    response = _send(vc, operation, fields)
    if profile not in RELEASES_8_0:
        assert response.status_code == 204, response.text
        return
    body = assert_vc_error(response, 400, "INVALID_ARGUMENT")
    unknown = _unknown_field_error(vc, operation, fields, path)
    assert body["messages"][0]["args"] == [path]
    assert body["messages"][0]["id"] == unknown["messages"][0]["id"] == "vapi.bindings.typeconverter.unexpected.field"
    assert body["messages"][0]["default_message"] == unknown["messages"][0]["default_message"].replace(
        unknown["messages"][0]["args"][0], path
    )


def test_responses_carry_only_the_release_fields(release: tuple[str, VcClient]) -> None:
    profile, vc = release
    name = unique("relinfo")
    library = {"content_library": LOCAL_LIBRARY, "writable": True}
    assert vc.post(V2, namespace_body(name, content_libraries=[library])).status_code == 204
    for path in (f"{V2}/{name}", f"{V1}/{name}"):
        info = vc.get(path).json()
        if profile in RELEASES_8_0:
            assert info["content_libraries"] == [library]
        else:
            assert info["content_libraries"] == [
                {**library, "allow_import": False, "resource_naming_strategy": "FROM_ITEM_ID"}
            ]


def test_vm_class_fields_are_the_same_on_every_release(release: tuple[str, VcClient]) -> None:
    _, vc = release
    class_id = unique("relclass")
    body = {"id": class_id, "cpu_count": 2, "memory_MB": 2048, "config_spec": {"_typeName": "VirtualMachineConfigSpec"}}
    assert vc.post(VM_CLASSES, body).status_code == 204
    assert vc.patch(f"{VM_CLASSES}/{class_id}", {"cpu_reservation": 10}).status_code == 204
    error = assert_vc_error(vc.patch(f"{VM_CLASSES}/{class_id}", {"zones": []}), 400, "INVALID_ARGUMENT")
    assert error["messages"][0]["args"] == ["zones"]
