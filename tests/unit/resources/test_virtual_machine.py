"""Pure logic of tkg_virtual_machine, tkg_virtual_machine_service, the image lookup and the node-OS annotation:
mapping both ways, validation, status words."""

from __future__ import annotations

from typing import Any

import pytest

from terraform_provider_tkg.api import vmservice
from terraform_provider_tkg.data_sources import virtual_machine_image as image_ds
from terraform_provider_tkg.framework.model import from_tf
from terraform_provider_tkg.resources import virtual_machine as vm
from terraform_provider_tkg.resources import virtual_machine_service as svc
from terraform_provider_tkg.resources._vmservice import annotation_map, map_patch, owned_by, read_map
from terraform_provider_tkg.resources.cluster.expand import os_selector, parse_os_selector


def _model(**kw: Any) -> vm.Model:
    base: dict[str, Any] = {
        "name": "web-1",
        "namespace": "ns",
        "vm_class": "small",
        "image": "ubuntu-22.04",
        "storage_class": "gold",
        "power_state": "PoweredOn",
        "labels": {"app": "web"},
        "wait_for_ip": True,
    }
    base.update(kw)
    return from_tf(vm.Model, base)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("1Gi", 2**30), ("512Mi", 512 * 2**20), ("1.5Gi", 3 * 2**29), ("1000k", 10**6), ("10", 10), ("lots", None)],
)
def test_quantity_bytes(text: str, expected: int | None) -> None:
    assert vm.quantity_bytes(text) == expected


def test_to_api_writes_only_what_is_configured_and_references_owned_objects() -> None:
    model = _model(
        bootstrap={"cloud_init": "#cloud-config"},
        volume=[{"name": "data", "size": "2Gi"}, {"name": "old", "claim_name": "existing"}],
    )
    obj = vm.to_api(model)
    assert obj["apiVersion"] == "vmoperator.vmware.com/v1alpha3"
    assert obj["spec"] == {
        "className": "small",
        "imageName": "ubuntu-22.04",
        "storageClass": "gold",
        "powerState": "PoweredOn",
        "volumes": [
            {"name": "data", "persistentVolumeClaim": {"claimName": "web-1-data"}},
            {"name": "old", "persistentVolumeClaim": {"claimName": "existing"}},
        ],
        "bootstrap": {"cloudInit": {"rawCloudConfig": {"name": "web-1-bootstrap", "key": "user-data"}}},
    }
    assert obj["metadata"]["labels"] == {"app": "web"}
    claim = vm.claim_object(model, model.volume[0], {"metadata": {"name": "web-1", "uid": "u-1"}})
    assert claim["metadata"]["ownerReferences"][0]["uid"] == "u-1"
    assert claim["spec"]["storageClassName"] == "gold" and claim["spec"]["resources"]["requests"]["storage"] == "2Gi"


def _server_vm(**spec: Any) -> dict[str, Any]:
    return {
        "metadata": {
            "name": "web-1",
            "namespace": "ns",
            "uid": "u-1",
            "labels": {"app": "web", "vmoperator.vmware.com/x": "y", "other": "z"},
            "annotations": {"tkg-oss.io/create-token": "0123456789abcdef0123456789abcdef"},
        },
        "spec": {
            "className": "small",
            "imageName": "ubuntu-22.04",
            "image": {"kind": "VirtualMachineImage", "name": "vmi-1"},
            "storageClass": "gold",
            "powerState": "PoweredOn",
            "biosUUID": "b",
            "instanceUUID": "i",
            "network": {"interfaces": [{"name": "eth0"}]},
            **spec,
        },
        "status": {
            "powerState": "PoweredOn",
            "network": {
                "primaryIP4": "10.0.0.5",
                "interfaces": [{"name": "eth0", "ip": {"addresses": [{"address": "10.0.0.5/24"}]}}],
            },
        },
    }


def test_from_api_manages_declared_labels_and_ignores_platform_defaults() -> None:
    state = vm.from_api(_server_vm(), _model())
    assert state.labels == {"app": "web"}  # "other" is not managed, the platform label never
    assert state.network_interface == []  # the default eth0 is not drift
    assert state.primary_ip == "10.0.0.5" and state.ip_addresses == ["10.0.0.5"]
    assert (state.image_kind, state.image_resource_name) == ("VirtualMachineImage", "vmi-1")
    assert state.annotations is None


def test_from_api_on_import_reads_user_labels_and_owned_claims() -> None:
    claims = {
        "web-1-data": {
            "metadata": {"ownerReferences": [{"uid": "u-1"}]},
            "spec": {"storageClassName": "gold", "resources": {"requests": {"storage": "2Gi"}}},
        },
        "shared": {"metadata": {}, "spec": {}},
    }
    volumes = [
        {"name": "data", "persistentVolumeClaim": {"claimName": "web-1-data"}},
        {"name": "s", "persistentVolumeClaim": {"claimName": "shared"}},
    ]
    imported = vm.from_api(_server_vm(volumes=volumes), vm.Model(name="web-1", namespace="ns"), claims=claims)
    assert imported.labels == {"app": "web", "other": "z"}
    assert [(v.name, v.size, v.storage_class, v.claim_name) for v in imported.volume] == [
        ("data", "2Gi", None, None),
        ("s", None, None, "shared"),
    ]


@pytest.mark.parametrize(
    ("volumes", "path"),
    [
        ([{"name": "a", "size": "1Gi"}, {"name": "a", "size": "1Gi"}], ("volume", 1, "name")),
        ([{"name": "a"}], ("volume", 0, "name")),
        ([{"name": "a", "size": "1Gi", "claim_name": "c"}], ("volume", 0, "claim_name")),
        ([{"name": "a", "claim_name": "c", "storage_class": "gold"}], ("volume", 0, "storage_class")),
        ([{"name": "a", "size": "0"}], ("volume", 0, "size")),
        ([{"name": "a", "size": "1000k"}], ("volume", 0, "size")),
    ],
)
def test_volume_rules(volumes: list[dict[str, Any]], path: tuple[Any, ...]) -> None:
    problems = vm.validate(_model(volume=volumes))
    assert [p[0] for p in problems] == [path]


def test_vm_status_words() -> None:
    obj: dict[str, Any] = {"spec": {"powerState": "PoweredOn"}, "status": {}}
    assert vmservice.vm_status(obj, want_ip=True) == "Creating"
    obj["status"] = {"powerState": "PoweredOff"}
    assert vmservice.vm_status(obj, want_ip=True) == "PoweringOn"
    obj["status"] = {"powerState": "PoweredOn"}
    assert vmservice.vm_status(obj, want_ip=True) == "WaitingForIP"
    assert vmservice.vm_status(obj, want_ip=False) == "Ready"
    obj["status"]["conditions"] = [{"type": "VirtualMachineClassReady", "status": "False", "reason": "NotFound"}]
    assert vmservice.vm_status(obj, want_ip=False) == "Blocked"
    assert vmservice.vm_failure_messages(obj) == ["VirtualMachineClassReady: NotFound"]


def _image(kind: str, name: str, display: str, os_version: str = "22.04", namespace: str | None = "ns") -> Any:
    return vmservice.Image(
        kind=kind,
        name=name,
        namespace=namespace if kind == "VirtualMachineImage" else None,
        display_name=display,
        os_id="ubuntu64Guest",
        os_type="Linux",
        os_version=os_version,
        product=f"Ubuntu {os_version}",
        image_version=os_version,
        hardware_version=19,
        firmware="efi",
        capabilities=("cloud-init",),
        ready=True,
    )


def test_image_resolution_order_and_latest() -> None:
    images = [
        _image("VirtualMachineImage", "vmi-a", "ubuntu-22"),
        _image("ClusterVirtualMachineImage", "vmi-b", "ubuntu-22"),
        _image("ClusterVirtualMachineImage", "vmi-a", "other"),
        _image("VirtualMachineImage", "vmi-c", "ubuntu-24", "24.04"),
    ]
    assert [i.name for i in vmservice.resolve_image(images, "vmi-a", "ns")] == ["vmi-a"]
    assert vmservice.resolve_image(images, "vmi-a", "ns")[0].kind == "VirtualMachineImage"
    assert len(vmservice.resolve_image(images, "ubuntu-22", "ns")) == 2  # ambiguous display name
    query = image_ds.Model(namespace="ns", os_name="Ubuntu", os_version="2*")
    assert image_ds.newest_first(image_ds.matching(images, query))[0].name == "vmi-c"


def test_map_patch_and_read_map() -> None:
    assert map_patch({"a": "1", "b": "2"}, {"a": "1", "c": "3"}) == {"b": None, "c": "3"}
    assert read_map({"a": "1", "x": "2"}, {"a": "0"}, importing=False) == {"a": "1"}
    assert read_map({"a": "1", "topology.cluster.x-k8s.io/x": "2"}, None, importing=True) == {"a": "1"}


def test_service_mapping_and_rules() -> None:
    model = from_tf(
        svc.Model,
        {
            "name": "web",
            "namespace": "ns",
            "type": "ClusterIP",
            "selector": {"app": "web"},
            "load_balancer_ip": "10.0.0.1",
            "port": [
                {"name": "http", "protocol": "TCP", "port": 80, "target_port": 8080},
                {"name": "http", "protocol": "TCP", "port": 80, "target_port": 8081},
            ],
        },
    )
    paths = [p[0] for p in svc.validate(model)]
    assert paths == [("port", 1, "name"), ("port", 1, "port"), ("load_balancer_ip",)]
    wire = svc.to_api(model)["spec"]
    assert wire["ports"][0] == {"name": "http", "protocol": "TCP", "port": 80, "targetPort": 8080}
    back = svc.from_api({"metadata": {"name": "web", "namespace": "ns"}, "spec": wire}, model)
    assert (back.type, back.selector, back.port[0].target_port) == ("ClusterIP", {"app": "web"}, 8080)


def test_node_os_selector_round_trip() -> None:
    assert os_selector("ubuntu", "22.04") == {
        "run.tanzu.vmware.com/resolve-os-image": "os-name=ubuntu,os-version=22.04"
    }
    assert os_selector(None, "22.04") == {}
    assert parse_os_selector(os_selector("photon", None)) == ("photon", None)
    assert parse_os_selector({}) == (None, None)


@pytest.mark.parametrize(
    ("bootstrap", "path"),
    [
        ({}, ("bootstrap",)),
        ({"cloud_init": "x", "sysprep": "y"}, ("bootstrap", "sysprep")),
        ({"cloud_init": "x", "vapp_properties": {"a": "b"}}, ("bootstrap", "vapp_properties")),
    ],
)
def test_bootstrap_rules(bootstrap: dict[str, Any], path: tuple[Any, ...]) -> None:
    assert [p[0] for p in vm.validate(_model(bootstrap=bootstrap))] == [path]


def test_sysprep_and_vapp_go_to_their_secrets() -> None:
    model = _model(bootstrap={"sysprep": "<unattend/>", "vapp_properties": {"k": "v"}})
    assert vm.to_api(model)["spec"]["bootstrap"] == {
        "sysprep": {"rawSysprep": {"name": "web-1-bootstrap", "key": "unattend"}},
        "vAppConfig": {"rawProperties": "web-1-vapp"},
    }
    from terraform_provider_tkg.resources.virtual_machine.expand import bootstrap_secrets

    assert bootstrap_secrets(model) == {"web-1-bootstrap": {"unattend": "<unattend/>"}, "web-1-vapp": {"k": "v"}}


def test_version_problem_names_what_the_supervisor_serves() -> None:
    assert vmservice.version_problem(["v1alpha1", "v1alpha2", "v1alpha3"]) is None
    problem = vmservice.version_problem(["v1alpha1", "v1alpha2"])
    assert problem is not None and "vmoperator.vmware.com/v1alpha3" in problem and "v1alpha1, v1alpha2" in problem
    assert "no VM Service" in (vmservice.version_problem([]) or "")


def test_the_create_token_rides_in_an_annotation_and_never_reaches_state() -> None:
    model = _model()
    token = "0123456789abcdef0123456789abcdef"
    assert vm.to_api(model, create_token=token)["metadata"]["annotations"] == {"tkg-oss.io/create-token": token}
    assert "annotations" not in vm.to_api(model)["metadata"]  # no fixed ownership mark any more
    assert vm.from_api(_server_vm(), _model(annotations={"a": "1"})).annotations == {}
    assert "tkg-oss.io/create-token" not in (vm.from_api(_server_vm(), vm.Model()).annotations or {})  # import
    service = from_tf(svc.Model, {"name": "web", "namespace": "ns", "selector": {"app": "web"}, "port": []})
    wire = svc.to_api(service, create_token=token)
    assert wire["metadata"]["annotations"] == {"tkg-oss.io/create-token": token}
    assert svc.from_api(wire, svc.Model()).annotations is None
    assert annotation_map({"tkg-oss.io/create-token": "x"}) == (
        "key 'tkg-oss.io/create-token' is reserved for the provider (the create token of docs/reliability.md)."
    )
    assert annotation_map({"tkg-oss.io/managed-by": "x"}) is None  # no longer special


def _owned(*refs: dict[str, str]) -> dict[str, Any]:
    return {"metadata": {"name": "web-1-bootstrap", "ownerReferences": list(refs)}}


def test_owned_objects_belong_to_the_vm_by_uid_or_to_its_deleted_predecessor_only() -> None:
    owner = {"apiVersion": "vmoperator.vmware.com/v1alpha3", "metadata": {"name": "web-1", "uid": "u-2"}}
    vm_ref = {"apiVersion": "vmoperator.vmware.com/v1alpha3", "kind": "VirtualMachine", "name": "web-1"}
    assert owned_by(_owned({**vm_ref, "uid": "u-2"}), owner)
    # The VM this one replaced (names are unique, so that uid is gone): its Secret awaits garbage collection.
    assert owned_by(_owned({**vm_ref, "uid": "u-1"}), owner)
    assert not owned_by(_owned(), owner)  # made by hand
    assert not owned_by(_owned({**vm_ref, "name": "web-2", "uid": "u-9"}), owner)  # another VM's
    assert not owned_by(_owned({**vm_ref, "apiVersion": "kubevirt.io/v1", "uid": "u-9"}), owner)  # another API's
