"""vCenter REST wire models (pydantic v2), with the API's exact field names.

Why pydantic here and nowhere else: a response that does not match these shapes is API drift or a bug, and must be
reported as such ("unexpected response"), never blamed on a Terraform attribute. Response models ignore unknown
fields (newer vCenters add some) and accept the lower-cased spellings of the mixed-case keys (``memory_mb``) that some
documentation shows; request models forbid unknown fields and are sent with ``exclude_unset`` (``request_body``), so
only what the caller set goes on the wire, including explicit empty lists that clear a setting.

Names follow the bindings (``com.vmware.vcenter.namespaces_client``, ``…namespace_management_client``,
``…storage_client``, ``com.vmware.content_client``); see ``shared/reference/vcenter-rest.md``.
"""

from __future__ import annotations

from typing import Any

from pydantic import AliasChoices, BaseModel, ConfigDict, Field

__all__ = [
    "QUOTA_FIELDS",
    "Access",
    "ClusterSummary",
    "ContentLibrary",
    "DynamicDirectPathIODevice",
    "InstanceStorage",
    "InstanceStorageVolume",
    "LocalizableMessage",
    "Message",
    "NamespaceCreateSpec",
    "NamespaceCreateSpecV2",
    "NamespaceInfo",
    "NamespaceSummary",
    "NamespaceUpdateSpec",
    "ResourceQuotaOptionsV1",
    "ResourceQuotaOptionsV1Update",
    "StoragePolicy",
    "StorageSpec",
    "SupervisorClusterInfo",
    "SupervisorClusterSummary",
    "SupervisorSummary",
    "SupervisorTopologyZone",
    "VGPUDevice",
    "VMServiceSpec",
    "VirtualDevices",
    "VmClassCreateSpec",
    "VmClassInfo",
    "VmClassUpdateSpec",
    "request_body",
]

# The 18 quota fields of ResourceQuotaOptionsV1 (PATCH adds "<field>_unset" for each).
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


class _Response(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)


class _Request(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class _Both(BaseModel):
    """A structure used in requests and responses alike (unknown fields ignored when reading)."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)


def request_body(spec: BaseModel) -> dict[str, Any]:
    """The JSON body of a request: only the fields that were set, with their wire names."""
    return spec.model_dump(mode="json", exclude_unset=True, by_alias=True)


# ---- common ----------------------------------------------------------------------------------------------------


class LocalizableMessage(_Response):
    id: str = ""
    default_message: str = ""
    args: list[str] = []


class Message(_Response):
    """``Message`` of namespaces, VM classes and clusters."""

    severity: str = "INFO"
    details: LocalizableMessage | None = None


# ---- VM classes ------------------------------------------------------------------------------------------------


class VGPUDevice(_Both):
    profile_name: str


class DynamicDirectPathIODevice(_Both):
    vendor_id: int
    device_id: int
    custom_label: str | None = None


class VirtualDevices(_Both):
    vgpu_devices: list[VGPUDevice] | None = None
    dynamic_direct_path_IO_devices: list[DynamicDirectPathIODevice] | None = Field(
        default=None,
        validation_alias=AliasChoices("dynamic_direct_path_IO_devices", "dynamic_direct_path_io_devices"),
    )


class InstanceStorageVolume(_Both):
    size: int


class InstanceStorage(_Both):
    policy: str
    volumes: list[InstanceStorageVolume]


class VmClassCreateSpec(_Request):
    id: str
    cpu_count: int
    memory_MB: int
    cpu_reservation: int | None = None
    memory_reservation: int | None = None
    description: str | None = None
    devices: VirtualDevices | None = None
    instance_storage: InstanceStorage | None = None
    config_spec: dict[str, Any] | None = None


class VmClassUpdateSpec(_Request):
    cpu_count: int | None = None
    memory_MB: int | None = None
    cpu_reservation: int | None = None
    memory_reservation: int | None = None
    description: str | None = None
    devices: VirtualDevices | None = None
    instance_storage: InstanceStorage | None = None
    config_spec: dict[str, Any] | None = None


class VmClassInfo(_Response):
    id: str
    cpu_count: int
    memory_MB: int = Field(validation_alias=AliasChoices("memory_MB", "memory_mb"))
    cpu_reservation: int | None = None
    memory_reservation: int | None = None
    description: str = ""
    devices: VirtualDevices | None = None
    instance_storage: InstanceStorage | None = None
    config_spec: dict[str, Any] | None = None
    namespaces: list[str] = []
    vms: list[str] = []
    config_status: str = ""
    messages: list[Message] = []


# ---- namespaces ------------------------------------------------------------------------------------------------


class Access(_Both):
    subject_type: str
    subject: str
    domain: str
    role: str
    identity_provider: str | None = None


class StorageSpec(_Both):
    policy: str
    limit: int | None = None


class VMServiceSpec(_Both):
    content_libraries: list[str] | None = None
    vm_classes: list[str] | None = None


class ResourceQuotaOptionsV1(_Both):
    """Limits as create and get carry them; an absent field is "no limit"."""

    memory_limit: int | None = None
    memory_limit_default: int | None = None
    memory_request_default: int | None = None
    cpu_limit: int | None = None
    cpu_limit_default: int | None = None
    cpu_request_default: int | None = None
    storage_request_limit: int | None = None
    pod_count: int | None = None
    service_count: int | None = None
    deployment_count: int | None = None
    daemon_set_count: int | None = None
    replica_set_count: int | None = None
    replication_controller_count: int | None = None
    stateful_set_count: int | None = None
    config_map_count: int | None = None
    secret_count: int | None = None
    persistent_volume_claim_count: int | None = None
    job_count: int | None = None


class ResourceQuotaOptionsV1Update(ResourceQuotaOptionsV1):
    """Limits in a PATCH: ``<field>_unset: true`` removes a limit; absent fields stay as they are."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    memory_limit_unset: bool | None = None
    memory_limit_default_unset: bool | None = None
    memory_request_default_unset: bool | None = None
    cpu_limit_unset: bool | None = None
    cpu_limit_default_unset: bool | None = None
    cpu_request_default_unset: bool | None = None
    storage_request_limit_unset: bool | None = None
    pod_count_unset: bool | None = None
    service_count_unset: bool | None = None
    deployment_count_unset: bool | None = None
    daemon_set_count_unset: bool | None = None
    replica_set_count_unset: bool | None = None
    replication_controller_count_unset: bool | None = None
    stateful_set_count_unset: bool | None = None
    config_map_count_unset: bool | None = None
    secret_count_unset: bool | None = None
    persistent_volume_claim_count_unset: bool | None = None
    job_count_unset: bool | None = None


class NamespaceCreateSpecV2(_Request):
    """``CreateSpecV2``: a namespace on a Supervisor (``POST …/instances/v2``)."""

    supervisor: str
    namespace: str
    description: str | None = None
    resource_spec: ResourceQuotaOptionsV1 | None = None
    access_list: list[Access] | None = None
    storage_specs: list[StorageSpec] | None = None
    vm_service_spec: VMServiceSpec | None = None


class NamespaceCreateSpec(_Request):
    """``CreateSpec`` (v1): a namespace on a Supervisor-enabled cluster, for vCenters without the v2 API."""

    cluster: str
    namespace: str
    description: str | None = None
    resource_spec: ResourceQuotaOptionsV1 | None = None
    access_list: list[Access] | None = None
    storage_specs: list[StorageSpec] | None = None
    vm_service_spec: VMServiceSpec | None = None


class NamespaceUpdateSpec(_Request):
    """``UpdateSpec`` (PATCH): absent fields stay unchanged; an empty list clears that list."""

    description: str | None = None
    resource_spec: ResourceQuotaOptionsV1Update | None = None
    access_list: list[Access] | None = None
    storage_specs: list[StorageSpec] | None = None
    vm_service_spec: VMServiceSpec | None = None


class NamespaceInfo(_Response):
    """``InfoV2`` (``supervisor``) or v1 ``Info`` (``cluster``); ``namespace`` is filled in by the client."""

    namespace: str = ""
    supervisor: str | None = None
    cluster: str | None = None
    config_status: str
    messages: list[Message] = []
    description: str = ""
    resource_spec: ResourceQuotaOptionsV1 | None = None
    access_list: list[Access] = []
    storage_specs: list[StorageSpec] = []
    vm_service_spec: VMServiceSpec | None = None
    self_service_namespace: bool | None = None


class NamespaceSummary(_Response):
    """``SummaryV2`` (``supervisor``) or v1 ``Summary`` (``cluster``)."""

    namespace: str
    supervisor: str | None = None
    cluster: str | None = None
    config_status: str = ""
    description: str = ""


# ---- Supervisors, clusters and inventory -----------------------------------------------------------------------


class SupervisorSummary(_Response):
    """An item of ``GET …/supervisors/summaries`` flattened: the id plus ``Summary.Info``."""

    supervisor: str
    name: str
    APIEndpoint: str | None = Field(default=None, validation_alias=AliasChoices("APIEndpoint", "api_endpoint"))
    config_status: str = ""
    kubernetes_status: str = ""
    messages: list[dict[str, Any]] = []


class SupervisorTopologyZone(_Response):
    """An item of ``GET …/supervisors/{supervisor}/topology``: a vSphere Zone and its clusters."""

    zone: str | None = None
    clusters: list[str] = []


class SupervisorClusterSummary(_Response):
    """``namespace-management/clusters`` list item: a Supervisor-enabled cluster."""

    cluster: str
    cluster_name: str = ""
    config_status: str = ""
    kubernetes_status: str = ""


class SupervisorClusterInfo(_Response):
    """The parts of ``namespace-management/clusters/{cluster}`` Info this provider reads."""

    api_server_cluster_endpoint: str | None = None
    config_status: str = ""
    kubernetes_status: str = ""


class ClusterSummary(_Response):
    """``GET /api/vcenter/cluster`` item."""

    cluster: str
    name: str


class StoragePolicy(_Response):
    """``GET /api/vcenter/storage/policies`` item."""

    policy: str
    name: str
    description: str = ""


class ContentLibrary(_Response):
    """``LibraryModel`` (the parts read here); ``id`` is filled in by the client when the server omits it."""

    id: str = ""
    name: str = ""
    description: str = ""
    type: str = ""
