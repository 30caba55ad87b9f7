"""VM classes: ``/api/vcenter/namespace-management/virtual-machine-classes[/{vm_class}]``.

Stored fields are the Create/Update spec fields plus ``config_status`` and ``messages``; ``namespaces`` is computed
from the namespaces whose ``vm_service_spec.vm_classes`` lists the class, ``vms`` is always empty (the simulator runs
no VM Service VMs). Delete is refused with RESOURCE_IN_USE while a namespace uses the class.
"""

from __future__ import annotations

import copy
import dataclasses
import logging
from typing import Any

from aiohttp import web

from tkgsim import world as world_mod
from tkgsim.vcenter import _http, errors, paths, releases, store, wire
from tkgsim.vcenter.namespaces import instances
from tkgsim.vcenter.wire import Struct, integer, list_of, opaque, string, struct
from tkgsim.world import World

__all__ = ["CREATE_SPEC", "ROUTES", "SHAPES", "UPDATE_SPEC", "emit_class", "info"]

logger = logging.getLogger(__name__)

_MOD = "com.vmware.vcenter.namespace_management_client"

VGPU_DEVICE = Struct((_MOD, "VirtualMachineClasses.VGPUDevice"), {"profile_name": string(required=True)})
DIRECT_PATH_DEVICE = Struct(
    (_MOD, "VirtualMachineClasses.DynamicDirectPathIODevice"),
    {"vendor_id": integer(required=True), "device_id": integer(required=True), "custom_label": string()},
)
VIRTUAL_DEVICES = Struct(
    (_MOD, "VirtualMachineClasses.VirtualDevices"),
    {
        "vgpu_devices": list_of(struct(VGPU_DEVICE)),
        "dynamic_direct_path_IO_devices": list_of(struct(DIRECT_PATH_DEVICE)),
    },
)
INSTANCE_STORAGE_VOLUME = Struct(
    (_MOD, "VirtualMachineClasses.InstanceStorageVolume"), {"size": integer(required=True, minimum=1)}
)
INSTANCE_STORAGE = Struct(
    (_MOD, "VirtualMachineClasses.InstanceStorage"),
    {"policy": string(required=True), "volumes": list_of(struct(INSTANCE_STORAGE_VOLUME), required=True)},
)
_SPEC_FIELDS = {
    "cpu_count": integer(required=True, minimum=1),
    "memory_MB": integer(required=True, minimum=1),
    "cpu_reservation": integer(minimum=0, maximum=100),
    "memory_reservation": integer(minimum=0, maximum=100),
    "description": string(),
    "devices": struct(VIRTUAL_DEVICES),
    "instance_storage": struct(INSTANCE_STORAGE),
    "config_spec": opaque(),
}
CREATE_SPEC = Struct((_MOD, "VirtualMachineClasses.CreateSpec"), {"id": string(required=True), **_SPEC_FIELDS})
UPDATE_SPEC = Struct(
    (_MOD, "VirtualMachineClasses.UpdateSpec"),
    {name: dataclasses.replace(field, required=False) for name, field in _SPEC_FIELDS.items()},
)
SHAPES = (
    VGPU_DEVICE,
    DIRECT_PATH_DEVICE,
    VIRTUAL_DEVICES,
    INSTANCE_STORAGE_VOLUME,
    INSTANCE_STORAGE,
    CREATE_SPEC,
    UPDATE_SPEC,
)

_STORED = tuple(CREATE_SPEC.fields)


def info(world: World, class_id: str, stored: dict[str, Any]) -> dict[str, Any]:
    """The Info wire view of a stored class."""
    out = {key: copy.deepcopy(stored[key]) for key in _STORED if key in stored}
    out.setdefault("description", "")
    out["namespaces"] = instances.vm_class_users(world, class_id)
    out["vms"] = []
    out["config_status"] = stored.get("config_status", "READY")
    out["messages"] = copy.deepcopy(stored.get("messages", []))
    return out


def emit_class(world: World, class_id: str) -> None:
    """Tell listeners the class changed (or is gone)."""
    stored = store.vm_classes(world).get(class_id)
    world.emit(world_mod.VM_CLASS, class_id, None if stored is None else info(world, class_id, stored))


def _lookup(world: World, class_id: str) -> dict[str, Any]:
    stored = store.vm_classes(world).get(class_id)
    if stored is None:
        raise errors.not_found(f"VM class {class_id} not found.", class_id, message_id="vcenter.wcp.vmclass.notfound")
    return stored


def _check(world: World, merged: dict[str, Any]) -> None:
    devices = merged.get("devices", {})
    has_devices = bool(devices.get("vgpu_devices") or devices.get("dynamic_direct_path_IO_devices"))
    if has_devices and merged.get("memory_reservation") != 100:
        raise errors.invalid_argument(
            "Invalid value for field 'memory_reservation': must be 100 when the class has vGPU or DirectPath devices.",
            "memory_reservation",
            message_id="vcenter.wcp.vmclass.memory.reservation",
        )
    instance_storage = merged.get("instance_storage")
    if instance_storage is not None:
        if store.storage_policy(world, instance_storage["policy"]) is None:
            raise errors.invalid_argument(
                f"Invalid value for field 'instance_storage.policy': storage policy {instance_storage['policy']} "
                "does not exist.",
                "instance_storage.policy",
                instance_storage["policy"],
            )
        if not instance_storage["volumes"]:
            raise errors.invalid_argument(
                "Invalid value for field 'instance_storage.volumes': at least one volume is required.",
                "instance_storage.volumes",
            )
    if "config_spec" in merged and not isinstance(merged["config_spec"], dict):
        raise errors.invalid_argument("Invalid value for field 'config_spec': expected a JSON object.", "config_spec")


async def create(request: web.Request) -> web.Response:
    """POST .../virtual-machine-classes."""
    world = _http.world_of(request)
    _http.require_admin(request)
    spec = wire.parse(releases.for_api(CREATE_SPEC, world.profile.vcenter_api), await _http.read_json(request))
    class_id = spec["id"]
    if not wire.is_dns_label(class_id):
        raise errors.invalid_argument(
            f"Invalid value for field 'id': '{class_id}' is not a valid DNS-1123 label.",
            "id",
            class_id,
            message_id="vcenter.wcp.vmclass.invalid.name",
        )
    _check(world, spec)
    classes = store.vm_classes(world)
    if class_id in classes:
        raise errors.already_exists(
            f"VM class {class_id} already exists.", class_id, message_id="vcenter.wcp.vmclass.already.exists"
        )
    classes[class_id] = {**spec, "config_status": "READY", "messages": []}
    logger.info("[vm_class %s] created", class_id)
    emit_class(world, class_id)
    return _http.no_content()


async def get(request: web.Request) -> web.Response:
    """GET .../virtual-machine-classes/{vm_class}."""
    world = _http.world_of(request)
    _http.require_user(request)
    class_id = request.match_info["vm_class"]
    return _http.json_response(info(world, class_id, _lookup(world, class_id)))


async def list_(request: web.Request) -> web.Response:
    """GET .../virtual-machine-classes — full Info objects."""
    world = _http.world_of(request)
    _http.require_user(request)
    return _http.json_response([info(world, cid, stored) for cid, stored in sorted(store.vm_classes(world).items())])


async def update(request: web.Request) -> web.Response:
    """PATCH .../virtual-machine-classes/{vm_class} — absent fields stay unchanged."""
    world = _http.world_of(request)
    _http.require_admin(request)
    class_id = request.match_info["vm_class"]
    spec = wire.parse(releases.for_api(UPDATE_SPEC, world.profile.vcenter_api), await _http.read_json(request))
    stored = _lookup(world, class_id)
    if stored.get("config_status") == "REMOVING":
        raise errors.not_allowed_in_current_state(f"VM class {class_id} is being removed.", class_id)
    merged = {**stored, **spec}
    _check(world, merged)
    stored.update(spec)
    logger.info("[vm_class %s] updated", class_id)
    emit_class(world, class_id)
    return _http.no_content()


async def delete(request: web.Request) -> web.Response:
    """DELETE .../virtual-machine-classes/{vm_class} — refused (RESOURCE_IN_USE) while a namespace uses it."""
    world = _http.world_of(request)
    _http.require_admin(request)
    class_id = request.match_info["vm_class"]
    _lookup(world, class_id)
    users = instances.vm_class_users(world, class_id)
    if users:
        raise errors.resource_in_use(
            f"VM class {class_id} is in use by namespaces: {', '.join(users)}.",
            class_id,
            ",".join(users),
            message_id="vcenter.wcp.vmclass.in.use",
        )
    del store.vm_classes(world)[class_id]
    logger.info("[vm_class %s] deleted", class_id)
    emit_class(world, class_id)
    return _http.no_content()


def _op(name: str) -> _http.Operation:
    return _http.Operation(_MOD, "VirtualMachineClasses", name)


ROUTES = [
    _http.Route("POST", paths.VM_CLASSES, create, _op("create")),
    _http.Route("GET", paths.VM_CLASSES, list_, _op("list")),
    _http.Route("GET", paths.VM_CLASS, get, _op("get")),
    _http.Route("PATCH", paths.VM_CLASS, update, _op("update")),
    _http.Route("DELETE", paths.VM_CLASS, delete, _op("delete")),
]
