"""Request shapes of ``/api/vcenter/namespaces/instances[/v2]`` (binding ``com.vmware.vcenter.namespaces_client``)."""

from __future__ import annotations

from tkgsim.vcenter import wire
from tkgsim.vcenter.wire import Struct, boolean, enum, integer, list_of, opaque, string, struct

_MOD = "com.vmware.vcenter.namespaces_client"

QUOTA_FIELDS = (
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
_CPU_FIELDS = ("cpu_limit", "cpu_limit_default", "cpu_request_default")


def _quota(name: str) -> wire.Field:
    return integer(minimum=10 if name in _CPU_FIELDS else 0)


RESOURCE_QUOTA = Struct((_MOD, "ResourceQuotaOptionsV1"), {name: _quota(name) for name in QUOTA_FIELDS})
RESOURCE_QUOTA_UPDATE = Struct(
    (_MOD, "ResourceQuotaOptionsV1Update"),
    {
        **{name: _quota(name) for name in QUOTA_FIELDS},
        **{f"{name}_unset": boolean() for name in QUOTA_FIELDS},
    },
)

ACCESS = Struct(
    (_MOD, "Instances.Access"),
    {
        "subject_type": enum("USER", "GROUP", required=True),
        "subject": string(required=True),
        "domain": string(required=True),
        "role": enum("OWNER", "EDIT", "VIEW", required=True),
        "identity_provider": string(),
    },
)
STORAGE_SPEC = Struct((_MOD, "Instances.StorageSpec"), {"policy": string(required=True), "limit": integer(minimum=0)})
VM_SERVICE_SPEC = Struct(
    (_MOD, "Instances.VMServiceSpec"),
    {"content_libraries": list_of(string()), "vm_classes": list_of(string())},
)
CONTENT_LIBRARY_SPEC = Struct(
    (_MOD, "Instances.ContentLibrarySpec"),
    {
        "content_library": string(required=True),
        "writable": boolean(),
        "allow_import": boolean(),
        "resource_naming_strategy": enum("FROM_ITEM_ID", "PREFER_ITEM_SOURCE_ID"),
    },
)
PRINCIPAL = Struct((_MOD, "Instances.Principal"), {"subject": string(required=True), "domain": string(required=True)})
VM_CLASS_ALLOCATION = Struct(
    (_MOD, "Instances.VirtualMachineClassAllocationSpec"),
    {"reserved_vm_class": string(required=True), "count": integer(required=True, minimum=0)},
)
ZONE_SPEC = Struct(
    (_MOD, "Instances.ZoneSpec"),
    {
        "name": string(required=True),
        "vm_reservations": list_of(struct(VM_CLASS_ALLOCATION)),
        "cpu_limit_MHz": integer(minimum=0),
        "cpu_reservation_MHz": integer(minimum=0),
        "memory_limit_MiB": integer(minimum=0),
        "memory_reservation_MiB": integer(minimum=0),
        "disallow_unreserved_direct_path_usage": boolean(),
    },
)

_COMMON_CREATE = {
    "namespace": string(required=True),
    "description": string(),
    "resource_spec": struct(RESOURCE_QUOTA),
    "access_list": list_of(struct(ACCESS)),
    "storage_specs": list_of(struct(STORAGE_SPEC)),
    "networks": list_of(string()),
    "vm_service_spec": struct(VM_SERVICE_SPEC),
    "content_libraries": list_of(struct(CONTENT_LIBRARY_SPEC)),
    "creator": struct(PRINCIPAL),
    "namespace_network": opaque(),
    "edges": list_of(opaque()),
    "infrastructure_policies": list_of(string()),
}

CREATE_SPEC = Struct((_MOD, "Instances.CreateSpec"), {"cluster": string(required=True), **_COMMON_CREATE})
CREATE_SPEC_V2 = Struct(
    (_MOD, "Instances.CreateSpecV2"),
    {
        "supervisor": string(required=True),
        **_COMMON_CREATE,
        "zones": list_of(struct(ZONE_SPEC)),
        "network_spec": opaque(),
    },
)

_COMMON_CHANGE = {
    "description": string(),
    "access_list": list_of(struct(ACCESS)),
    "storage_specs": list_of(struct(STORAGE_SPEC)),
    "vm_service_spec": struct(VM_SERVICE_SPEC),
    "content_libraries": list_of(struct(CONTENT_LIBRARY_SPEC)),
    "network_spec": opaque(),
    "edges": list_of(opaque()),
    "infrastructure_policies": list_of(string()),
}
UPDATE_SPEC = Struct(
    (_MOD, "Instances.UpdateSpec"),
    {**_COMMON_CHANGE, "resource_spec": struct(RESOURCE_QUOTA_UPDATE), "zones": list_of(struct(ZONE_SPEC))},
)
SET_SPEC = Struct((_MOD, "Instances.SetSpec"), {**_COMMON_CHANGE, "resource_spec": struct(RESOURCE_QUOTA)})

ALL = (
    RESOURCE_QUOTA,
    RESOURCE_QUOTA_UPDATE,
    ACCESS,
    STORAGE_SPEC,
    VM_SERVICE_SPEC,
    CONTENT_LIBRARY_SPEC,
    PRINCIPAL,
    VM_CLASS_ALLOCATION,
    ZONE_SPEC,
    CREATE_SPEC,
    CREATE_SPEC_V2,
    UPDATE_SPEC,
    SET_SPEC,
)
