"""Which request and response fields each modelled vCenter REST release knows.

The shapes in ``namespaces/shapes.py`` and ``virtual_machine_classes.py`` follow the 9.x bindings (the union). A
vCenter 8.0 (U2 and U3 ship the same namespace bindings) knows fewer fields: its bindings reject the others like any
unknown field, and its responses never carry them. ``FIELDS_8_0`` lists, per binding structure, the field names of the
vCenter 8.0 U2 bindings (``com.vmware.vcenter.namespaces_client`` and ``namespace_management_client``, vSphere
Automation SDK bindings 4.2.0); a structure missing from the table (``Instances.ZoneSpec``,
``Instances.VirtualMachineClassAllocationSpec``) does not exist in 8.0 U2 and is only reachable through fields it lacks.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from tkgsim.vcenter.wire import Field, Struct

__all__ = ["FIELDS_8_0", "INFO_FIELDS_8_0", "for_api", "info_view"]

_QUOTA = (
    "memory_limit",
    "memory_limit_default",
    "memory_request_default",
    "cpu_limit",
    "cpu_limit_default",
    "cpu_request_default",
    "storage_request_limit",
    "pod_count",
    "service_count",
    "deployment_count",
    "daemon_set_count",
    "replica_set_count",
    "replication_controller_count",
    "stateful_set_count",
    "config_map_count",
    "secret_count",
    "persistent_volume_claim_count",
    "job_count",
)
_VM_CLASS_SPEC = (
    "cpu_count",
    "cpu_reservation",
    "memory_MB",
    "memory_reservation",
    "description",
    "devices",
    "instance_storage",
    "config_spec",
)

# Request structures: binding class name -> its fields in the 8.0 U2 bindings.
FIELDS_8_0: dict[str, frozenset[str]] = {
    # com.vmware.vcenter.namespaces_client (8.0 U2)
    # ResourceQuotaOptionsV1 / ResourceQuotaOptionsV1Update: same quota fields as 9.x.
    "ResourceQuotaOptionsV1": frozenset(_QUOTA),
    "ResourceQuotaOptionsV1Update": frozenset((*_QUOTA, *(f"{name}_unset" for name in _QUOTA))),
    # Instances.Access: identity_provider is already there in 8.0 U2.
    "Instances.Access": frozenset(("subject_type", "subject", "domain", "role", "identity_provider")),
    "Instances.StorageSpec": frozenset(("policy", "limit")),
    "Instances.VMServiceSpec": frozenset(("content_libraries", "vm_classes")),
    # Instances.ContentLibrarySpec: no allow_import, no resource_naming_strategy before 9.x.
    "Instances.ContentLibrarySpec": frozenset(("content_library", "writable")),
    "Instances.Principal": frozenset(("subject", "domain")),
    # Instances.CreateSpec / CreateSpecV2: no edges, infrastructure_policies, zones or network_spec.
    "Instances.CreateSpec": frozenset(
        (
            "cluster",
            "namespace",
            "description",
            "resource_spec",
            "access_list",
            "storage_specs",
            "networks",
            "vm_service_spec",
            "content_libraries",
            "creator",
            "namespace_network",
        )
    ),
    "Instances.CreateSpecV2": frozenset(
        (
            "supervisor",
            "namespace",
            "description",
            "resource_spec",
            "access_list",
            "storage_specs",
            "networks",
            "vm_service_spec",
            "content_libraries",
            "creator",
            "namespace_network",
        )
    ),
    # Instances.UpdateSpec / SetSpec: no network_spec, edges, infrastructure_policies or zones.
    "Instances.UpdateSpec": frozenset(
        ("description", "resource_spec", "access_list", "storage_specs", "vm_service_spec", "content_libraries")
    ),
    "Instances.SetSpec": frozenset(
        ("description", "resource_spec", "access_list", "storage_specs", "vm_service_spec", "content_libraries")
    ),
    # com.vmware.vcenter.namespace_management_client (8.0 U2): VM classes already have every field the 9.x shapes
    # accept.
    "VirtualMachineClasses.CreateSpec": frozenset(("id", *_VM_CLASS_SPEC)),
    "VirtualMachineClasses.UpdateSpec": frozenset(_VM_CLASS_SPEC),
    "VirtualMachineClasses.VirtualDevices": frozenset(("vgpu_devices", "dynamic_direct_path_IO_devices")),
    "VirtualMachineClasses.VGPUDevice": frozenset(("profile_name",)),
    "VirtualMachineClasses.DynamicDirectPathIODevice": frozenset(("vendor_id", "device_id", "custom_label")),
    "VirtualMachineClasses.InstanceStorage": frozenset(("policy", "volumes")),
    "VirtualMachineClasses.InstanceStorageVolume": frozenset(("size",)),
}

# Response structures: Instances.Info / InfoV2 of the 8.0 U2 bindings (no zones, network_spec, edges or
# infrastructure_policies; their content_libraries are Instances.ContentLibrarySpec).
INFO_FIELDS_8_0: frozenset[str] = frozenset(
    (
        "cluster",
        "supervisor",
        "config_status",
        "messages",
        "stats",
        "description",
        "resource_spec",
        "access_list",
        "storage_specs",
        "networks",
        "vm_service_spec",
        "content_libraries",
        "creator",
        "self_service_namespace",
    )
)


def _knows_union(api: tuple[int, int]) -> bool:
    return api >= (9, 0)


_RESTRICTED: dict[tuple[str, str], Struct] = {}


def _restricted(shape: Struct) -> Struct:
    cached = _RESTRICTED.get(shape.binding)
    if cached is None:
        known = FIELDS_8_0[shape.binding[1]]
        fields = {name: _restrict_field(field) for name, field in shape.fields.items() if name in known}
        cached = _RESTRICTED[shape.binding] = Struct(shape.binding, fields)
    return cached


def _restrict_field(field: Field) -> Field:
    if field.struct is not None:
        return dataclasses.replace(field, struct=_restricted(field.struct))
    if field.item is not None:
        return dataclasses.replace(field, item=_restrict_field(field.item))
    return field


def for_api(shape: Struct, api: tuple[int, int]) -> Struct:
    """``shape`` as the vCenter REST release ``api`` accepts it (fields that release lacks are unknown fields)."""
    return shape if _knows_union(api) else _restricted(shape)


def info_view(info: dict[str, Any], api: tuple[int, int]) -> dict[str, Any]:
    """A namespace Info / InfoV2 body without the fields release ``api`` does not return (mutates and returns it)."""
    if _knows_union(api):
        return info
    for key in [key for key in info if key not in INFO_FIELDS_8_0]:
        del info[key]
    if "content_libraries" in info:
        known = FIELDS_8_0["Instances.ContentLibrarySpec"]
        info["content_libraries"] = [
            {key: value for key, value in spec.items() if key in known} for spec in info["content_libraries"]
        ]
    return info
