# ruff: noqa: F811  (pytest fixtures are imported from _supervisor_fixtures and requested by name)
"""The VM Service half of tkg-sim (``vmoperator.vmware.com/v1alpha3`` VirtualMachine, images, VirtualMachineService
and core PersistentVolumeClaims) against the real kubectl and the official ``kubernetes`` client."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from typing import Any

import pytest
import yaml

from ._supervisor_fixtures import SupervisorEnv, supervisor, vcenter_call  # noqa: F401

pytestmark = pytest.mark.contract

GROUP, VERSION = "vmoperator.vmware.com", "v1alpha3"
VM_IMAGES_LIBRARY = "1b2c3d4e-5f60-4718-92a3-b4c5d6e7f809"
UBUNTU = "ubuntu-22.04-vmservice-v20240415"


_CLIENTS: dict[int, Any] = {}


@pytest.fixture(scope="module")
def vm_env(supervisor: SupervisorEnv) -> Iterator[SupervisorEnv]:
    """The contract Supervisor with the ``vm-images`` content library associated with its namespace."""
    body = {
        "vm_service_spec": {
            "vm_classes": ["best-effort-small", "guaranteed-medium"],
            "content_libraries": [VM_IMAGES_LIBRARY],
        }
    }
    response = vcenter_call(supervisor.sim, "PATCH", f"/api/vcenter/namespaces/instances/{supervisor.namespace}", body)
    assert response.status_code == 204, response.text
    _CLIENTS[id(supervisor)] = supervisor.api_client()
    supervisor.wait_for(lambda: _images(supervisor), what="namespace VM images")
    yield supervisor
    _CLIENTS.pop(id(supervisor)).close()


def _images(env: SupervisorEnv) -> list[dict[str, Any]]:
    api = _custom(env)
    items: list[dict[str, Any]] = api.list_namespaced_custom_object(
        GROUP, VERSION, env.namespace, "virtualmachineimages"
    )["items"]
    return items


def _custom(env: SupervisorEnv) -> Any:
    from kubernetes import client

    return client.CustomObjectsApi(_CLIENTS[id(env)])


def _vm(name: str, **spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": f"{GROUP}/{VERSION}",
        "kind": "VirtualMachine",
        "metadata": {"name": name, "labels": {"app": name}},
        "spec": {
            "className": "best-effort-small",
            "imageName": UBUNTU,
            "storageClass": "vsan-default-storage-policy",
            **spec,
        },
    }


def _get_vm(env: SupervisorEnv, name: str) -> dict[str, Any]:
    obj: dict[str, Any] = _custom(env).get_namespaced_custom_object(
        GROUP, VERSION, env.namespace, "virtualmachines", name
    )
    return obj


def _ip(env: SupervisorEnv, name: str) -> str | None:
    ip: str | None = ((_get_vm(env, name).get("status") or {}).get("network") or {}).get("primaryIP4")
    return ip


def _patch_vm(env: SupervisorEnv, name: str, spec: dict[str, Any]) -> dict[str, Any]:
    obj: dict[str, Any] = _custom(env).patch_namespaced_custom_object(
        GROUP, VERSION, env.namespace, "virtualmachines", name, {"spec": spec}
    )
    return obj


def _reason(exc: Any) -> tuple[int, list[str]]:
    body = json.loads(exc.body)
    return exc.status, [c["field"] for c in (body.get("details") or {}).get("causes") or []]


def test_images_cluster_and_namespace_scoped(vm_env: SupervisorEnv) -> None:
    table = vm_env.kubectl("get", "vmi").stdout
    assert table.splitlines()[0].split()[:3] == ["NAME", "DISPLAY", "NAME"]
    assert UBUNTU in table
    cluster_images = _custom(vm_env).list_cluster_custom_object(GROUP, VERSION, "clustervirtualmachineimages")["items"]
    # Every OS image a release names is a ClusterVirtualMachineImage of that name.
    osimages = _custom(vm_env).list_cluster_custom_object("run.tanzu.vmware.com", "v1alpha3", "osimages")["items"]
    refs = {o["spec"]["image"]["ref"]["name"] for o in osimages}
    assert refs <= {c["metadata"]["name"] for c in cluster_images}
    assert all(c["status"]["osInfo"]["version"] for c in cluster_images)
    assert "photon" in vm_env.kubectl("get", "cvmi", "-o", "wide").stdout


def test_images_are_read_only_for_users(vm_env: SupervisorEnv) -> None:
    from kubernetes.client.rest import ApiException

    name = _images(vm_env)[0]["metadata"]["name"]
    with pytest.raises(ApiException) as caught:
        _custom(vm_env).patch_namespaced_custom_object(
            GROUP, VERSION, vm_env.namespace, "virtualmachineimages", name, {"metadata": {"labels": {"x": "y"}}}
        )
    assert caught.value.status == 403


def test_vm_created_by_display_name_powers_on_and_gets_an_ip(vm_env: SupervisorEnv) -> None:
    path = vm_env.workdir / "vm-web.yaml"
    path.write_text(yaml.safe_dump(_vm("vm-web")))
    assert "created" in vm_env.kubectl("apply", "-f", str(path)).stdout
    obj = _get_vm(vm_env, "vm-web")
    # The mutating webhook resolved the display name and filled the defaults.
    assert obj["spec"]["image"]["kind"] == "VirtualMachineImage"
    assert obj["spec"]["image"]["name"].startswith("vmi-")
    assert obj["spec"]["powerState"] == "PoweredOn"
    assert obj["spec"]["biosUUID"] and obj["spec"]["instanceUUID"]
    assert obj["spec"]["network"]["interfaces"] == [{"name": "eth0"}]
    vm_env.wait_for(lambda: _ip(vm_env, "vm-web"), what="guest IP")
    out = vm_env.kubectl("wait", "--for=condition=Ready", "vm/vm-web", "--timeout=30s").stdout
    assert "condition met" in out
    wide = vm_env.kubectl("get", "vm", "vm-web", "-o", "wide").stdout
    assert "PoweredOn" in wide and str(_ip(vm_env, "vm-web")) in wide
    status = _get_vm(vm_env, "vm-web")["status"]
    assert status["biosUUID"] == obj["spec"]["biosUUID"]
    assert status["uniqueID"].startswith("vm-")
    assert "vmoperator.vmware.com/virtualmachine" in _get_vm(vm_env, "vm-web")["metadata"]["finalizers"]


def test_power_off_drops_guest_network_and_resize_needs_power_off(vm_env: SupervisorEnv) -> None:
    from kubernetes.client.rest import ApiException

    _custom(vm_env).create_namespaced_custom_object(
        GROUP, VERSION, vm_env.namespace, "virtualmachines", _vm("vm-resize")
    )
    vm_env.wait_for(lambda: _ip(vm_env, "vm-resize"), what="guest IP")
    with pytest.raises(ApiException) as caught:
        _patch_vm(vm_env, "vm-resize", {"className": "guaranteed-medium"})
    assert _reason(caught.value) == (422, ["spec.className"])
    assert "not allowed when VM power is on" in json.loads(caught.value.body)["message"]
    _patch_vm(vm_env, "vm-resize", {"className": "guaranteed-medium", "powerState": "PoweredOff"})
    vm_env.wait_for(
        lambda: _get_vm(vm_env, "vm-resize")["status"].get("powerState") == "PoweredOff", what="powered off"
    )
    status = _get_vm(vm_env, "vm-resize")["status"]
    assert "network" not in status
    assert status["class"]["name"] == "guaranteed-medium"
    with pytest.raises(ApiException) as caught:
        _patch_vm(vm_env, "vm-resize", {"powerState": "Suspended"})
    assert _reason(caught.value) == (422, ["spec.powerState"])
    _patch_vm(vm_env, "vm-resize", {"powerState": "PoweredOn"})
    vm_env.wait_for(lambda: _ip(vm_env, "vm-resize"), what="guest IP after power on")


@pytest.mark.parametrize(
    ("spec", "fields"),
    [
        ({"storageClass": "tkg-silver"}, ["spec.storageClass"]),
        ({"powerState": "Suspended"}, ["spec.powerState"]),
        ({"className": ""}, ["spec.className"]),
        ({"minHardwareVersion": 22}, ["spec.minHardwareVersion"]),
        ({"image": {"kind": "Template", "name": "x"}, "imageName": None}, ["spec.image.kind"]),
        (
            {"volumes": [{"name": "Data", "persistentVolumeClaim": {"claimName": "c"}}]},
            ["spec.volumes[0].name"],
        ),
    ],
)
def test_vm_admission_rejects_with_field_causes(vm_env: SupervisorEnv, spec: dict[str, Any], fields: list[str]) -> None:
    from kubernetes.client.rest import ApiException

    manifest = _vm("vm-bad")
    manifest["spec"].update(spec)
    manifest["spec"] = {k: v for k, v in manifest["spec"].items() if v is not None}
    with pytest.raises(ApiException) as caught:
        _custom(vm_env).create_namespaced_custom_object(GROUP, VERSION, vm_env.namespace, "virtualmachines", manifest)
    assert _reason(caught.value) == (422, fields)


def test_unknown_display_name_is_denied_by_the_mutating_webhook(vm_env: SupervisorEnv) -> None:
    path = vm_env.workdir / "vm-noimage.yaml"
    path.write_text(yaml.safe_dump(_vm("vm-noimage", imageName="windows-95")))
    result = vm_env.kubectl("apply", "-f", str(path), check=False)
    assert result.returncode != 0
    assert 'no VM image exists for "windows-95"' in result.stderr


def test_missing_class_is_admitted_but_never_created(vm_env: SupervisorEnv) -> None:
    _custom(vm_env).create_namespaced_custom_object(
        GROUP, VERSION, vm_env.namespace, "virtualmachines", _vm("vm-noclass", className="best-effort-xlarge")
    )

    def condition() -> dict[str, Any] | None:
        for cond in (_get_vm(vm_env, "vm-noclass").get("status") or {}).get("conditions") or []:
            if cond["type"] == "VirtualMachineClassReady":
                return dict(cond)
        return None

    found = vm_env.wait_for(condition, what="class condition")
    assert (found["status"], found["reason"]) == ("False", "NotFound")
    assert "powerState" not in _get_vm(vm_env, "vm-noclass")["status"]
    vm_env.kubectl("delete", "vm", "vm-noclass", "--timeout=30s")


def test_claim_binds_attaches_and_is_protected_while_in_use(vm_env: SupervisorEnv) -> None:
    from kubernetes import client

    core = client.CoreV1Api(_CLIENTS[id(vm_env)])
    claim = client.V1PersistentVolumeClaim(
        metadata=client.V1ObjectMeta(name="vm-disk-data"),
        spec=client.V1PersistentVolumeClaimSpec(
            access_modes=["ReadWriteOnce"],
            storage_class_name="vsan-default-storage-policy",
            resources=client.V1VolumeResourceRequirements(requests={"storage": "2Gi"}),
        ),
    )
    core.create_namespaced_persistent_volume_claim(vm_env.namespace, claim)
    vm_env.wait_for(
        lambda: core.read_namespaced_persistent_volume_claim("vm-disk-data", vm_env.namespace).status.phase == "Bound",
        what="claim bound",
    )
    _custom(vm_env).create_namespaced_custom_object(
        GROUP,
        VERSION,
        vm_env.namespace,
        "virtualmachines",
        _vm("vm-disk", volumes=[{"name": "data", "persistentVolumeClaim": {"claimName": "vm-disk-data"}}]),
    )

    def attached() -> bool:
        volumes = (_get_vm(vm_env, "vm-disk").get("status") or {}).get("volumes") or []
        return bool(volumes and volumes[0].get("attached"))

    vm_env.wait_for(attached, what="volume attached")
    assert "vm-disk-data" in vm_env.kubectl("get", "pvc").stdout
    core.delete_namespaced_persistent_volume_claim("vm-disk-data", vm_env.namespace)
    terminating = core.read_namespaced_persistent_volume_claim("vm-disk-data", vm_env.namespace)
    assert terminating.metadata.deletion_timestamp is not None  # kept by kubernetes.io/pvc-protection
    vm_env.kubectl("delete", "vm", "vm-disk", "--timeout=30s")
    vm_env.wait_for(
        lambda: "vm-disk-data" not in vm_env.kubectl("get", "pvc", "-o", "name").stdout, what="claim released"
    )


def test_claim_in_a_foreign_storage_class_and_shrinking_are_refused(vm_env: SupervisorEnv) -> None:
    from kubernetes import client
    from kubernetes.client.rest import ApiException

    core = client.CoreV1Api(_CLIENTS[id(vm_env)])

    def claim(name: str, size: str, storage_class: str) -> Any:
        return client.V1PersistentVolumeClaim(
            metadata=client.V1ObjectMeta(name=name),
            spec=client.V1PersistentVolumeClaimSpec(
                access_modes=["ReadWriteOnce"],
                storage_class_name=storage_class,
                resources=client.V1VolumeResourceRequirements(requests={"storage": size}),
            ),
        )

    with pytest.raises(ApiException) as caught:
        core.create_namespaced_persistent_volume_claim(vm_env.namespace, claim("pvc-silver", "1Gi", "tkg-silver"))
    assert _reason(caught.value) == (422, ["spec.storageClassName"])
    core.create_namespaced_persistent_volume_claim(
        vm_env.namespace, claim("pvc-grow", "1Gi", "vsan-default-storage-policy")
    )
    core.patch_namespaced_persistent_volume_claim(
        "pvc-grow", vm_env.namespace, {"spec": {"resources": {"requests": {"storage": "3Gi"}}}}
    )
    with pytest.raises(ApiException) as caught:
        core.patch_namespaced_persistent_volume_claim(
            "pvc-grow", vm_env.namespace, {"spec": {"resources": {"requests": {"storage": "1Gi"}}}}
        )
    assert _reason(caught.value) == (422, ["spec.resources.requests.storage"])
    vm_env.wait_for(
        lambda: (
            (core.read_namespaced_persistent_volume_claim("pvc-grow", vm_env.namespace).status.capacity or {}).get(
                "storage"
            )
            == "3Gi"
        ),
        what="expanded",
    )


def test_load_balancer_service_gets_an_address(vm_env: SupervisorEnv) -> None:
    from kubernetes.client.rest import ApiException

    service = {
        "apiVersion": f"{GROUP}/{VERSION}",
        "kind": "VirtualMachineService",
        "metadata": {"name": "web-lb"},
        "spec": {
            "type": "LoadBalancer",
            "selector": {"app": "vm-web"},
            "ports": [{"name": "http", "protocol": "TCP", "port": 80, "targetPort": 8080}],
        },
    }
    path = vm_env.workdir / "web-lb.yaml"
    path.write_text(yaml.safe_dump(service))
    vm_env.kubectl("apply", "-f", str(path))

    def address() -> str | None:
        obj = _custom(vm_env).get_namespaced_custom_object(
            GROUP, VERSION, vm_env.namespace, "virtualmachineservices", "web-lb"
        )
        ingress = ((obj.get("status") or {}).get("loadBalancer") or {}).get("ingress") or []
        return str(ingress[0]["ip"]) if ingress else None

    ip = vm_env.wait_for(address, what="load balancer address")
    assert ip in vm_env.kubectl("get", "vmservice", "web-lb").stdout
    with pytest.raises(ApiException) as caught:
        _custom(vm_env).patch_namespaced_custom_object(
            GROUP, VERSION, vm_env.namespace, "virtualmachineservices", "web-lb", {"spec": {"type": "ClusterIP"}}
        )
    assert _reason(caught.value) == (422, ["spec.type"])
    bad = {
        **service,
        "metadata": {"name": "bad-lb"},
        "spec": {
            "type": "LoadBalancer",
            "ports": [
                {"name": "a", "protocol": "TCP", "port": 80, "targetPort": 0},
                {"name": "a", "protocol": "HTTP", "port": 80, "targetPort": 80},
            ],
        },
    }
    with pytest.raises(ApiException) as caught:
        _custom(vm_env).create_namespaced_custom_object(GROUP, VERSION, vm_env.namespace, "virtualmachineservices", bad)
    status, fields = _reason(caught.value)
    assert status == 422
    assert {"spec.ports[0].targetPort", "spec.ports[1].name", "spec.ports[1].protocol"} <= set(fields)


def test_bootstrap_secret_and_deletion_collects_owned_objects(vm_env: SupervisorEnv) -> None:
    from kubernetes import client

    core = client.CoreV1Api(_CLIENTS[id(vm_env)])
    vm = _custom(vm_env).create_namespaced_custom_object(
        GROUP,
        VERSION,
        vm_env.namespace,
        "virtualmachines",
        _vm("vm-boot", bootstrap={"cloudInit": {"rawCloudConfig": {"name": "vm-boot-cloud-init", "key": "user-data"}}}),
    )

    def bootstrap_blocked() -> bool:
        conds = (_get_vm(vm_env, "vm-boot").get("status") or {}).get("conditions") or []
        return any(c["type"] == "VirtualMachineBootstrapReady" and c["status"] == "False" for c in conds)

    vm_env.wait_for(bootstrap_blocked, what="bootstrap waiting for its Secret")
    owner = client.V1OwnerReference(
        api_version=f"{GROUP}/{VERSION}", kind="VirtualMachine", name="vm-boot", uid=vm["metadata"]["uid"]
    )
    core.create_namespaced_secret(
        vm_env.namespace,
        client.V1Secret(
            metadata=client.V1ObjectMeta(name="vm-boot-cloud-init", owner_references=[owner]),
            data={"user-data": base64.b64encode(b"#cloud-config\n").decode()},
        ),
    )
    vm_env.wait_for(lambda: _ip(vm_env, "vm-boot"), what="guest IP once bootstrapped")
    vm_env.kubectl("delete", "vm", "vm-boot", "--timeout=30s")
    vm_env.wait_for(
        lambda: "vm-boot-cloud-init" not in vm_env.kubectl("get", "secrets", "-o", "name").stdout,
        what="owned Secret garbage-collected",
    )
