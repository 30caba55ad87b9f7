"""``tkg_supervisor_namespace``: a vSphere Namespace on a Supervisor — storage policies and limits, VM classes,
content libraries, resource limits and access.

Drives vCenter ``/api/vcenter/namespaces/instances/v2`` (create, get) and ``/api/vcenter/namespaces/instances/{name}``
(PATCH, DELETE). ``name`` and ``supervisor`` force replacement; everything else is a PATCH of only what changed. A PATCH
replaces whole lists, so an emptied set is sent as ``[]`` and really empties it on the server, and a removed limit is
sent as ``<field>_unset: true`` (ResourceQuotaOptionsV1Update). Create and update wait for ``config_status`` RUNNING
(``timeouts.create``/``update``), delete waits until the namespace is gone (``timeouts.delete``).

``force_delete``: vCenter refuses to delete a namespace that still holds TKG clusters. With ``force_delete = true`` the
provider deletes those clusters through the Supervisor's Kubernetes API first and waits for them to go.

Crash safety (``ownership``): the create is recorded in the working directory's journal first, and its token rides in
the description as a marker line. ALREADY_EXISTS adopts the namespace only when it carries this directory's token
(our own create whose answer was lost); anything else fails with the import ID. The marker stays in vCenter (until the
description is next changed) and never appears in state.
"""

from __future__ import annotations

import dataclasses
import logging
from typing import TYPE_CHECKING, Any

from .. import clients, reporting
from .._naming import PROVIDER_NAME
from ..api import errors
from ..framework import inflight, validators
from ..framework import types as t
from ..framework.diagnostics import Path
from ..framework.model import from_tf, many, single, to_tf
from ..framework.resource import Context, PlanContext, Resource, Timeouts
from ..framework.schema import Attribute, Block, Schema, SetBlock, SingleBlock
from ..framework.values import known
from ..ownership import already_exists, description_token, marked_description, unmarked_description

if TYPE_CHECKING:
    from ..api import models
    from ..api.vcenter import VcenterClient
    from ..settings import ProviderSettings

__all__ = [
    "LIMITS",
    "SCHEMA",
    "TYPE_NAME",
    "WIRE_TO_TF_PATH",
    "Access",
    "Limits",
    "Model",
    "StoragePolicy",
    "SupervisorNamespaceResource",
    "from_api",
    "to_api",
    "to_api_update",
    "validate",
]

log = logging.getLogger(__name__)

TYPE_NAME = f"{PROVIDER_NAME}_supervisor_namespace"

# Terraform limit attribute → ResourceQuotaOptionsV1 field, with the unit and the Kubernetes quota it sets.
LIMITS: dict[str, tuple[str, str]] = {
    "cpu_mhz": ("cpu_limit", "CPU limit in MHz (`limits.cpu`; at least 10)"),
    "memory_mib": ("memory_limit", "memory limit in MiB (`limits.memory`)"),
    "storage_mib": ("storage_request_limit", "total storage requests of all PVCs in MiB (`requests.storage`)"),
    "pod_count": ("pod_count", "number of pods (`pods`)"),
    "cpu_limit_default_mhz": ("cpu_limit_default", "default container CPU limit in MHz (at least 10)"),
    "cpu_request_default_mhz": ("cpu_request_default", "default container CPU request in MHz (at least 10)"),
    "memory_limit_default_mib": ("memory_limit_default", "default container memory limit in MiB"),
    "memory_request_default_mib": ("memory_request_default", "default container memory request in MiB"),
    "service_count": ("service_count", "number of Services"),
    "deployment_count": ("deployment_count", "number of Deployments"),
    "daemon_set_count": ("daemon_set_count", "number of DaemonSets"),
    "replica_set_count": ("replica_set_count", "number of ReplicaSets"),
    "replication_controller_count": ("replication_controller_count", "number of ReplicationControllers"),
    "stateful_set_count": ("stateful_set_count", "number of StatefulSets"),
    "config_map_count": ("config_map_count", "number of ConfigMaps"),
    "secret_count": ("secret_count", "number of Secrets"),
    "persistent_volume_claim_count": ("persistent_volume_claim_count", "number of PersistentVolumeClaims"),
    "job_count": ("job_count", "number of Jobs"),
}
_CPU_LIMITS = frozenset({"cpu_mhz", "cpu_limit_default_mhz", "cpu_request_default_mhz"})


# ---- model -------------------------------------------------------------------------------------------------------


@dataclasses.dataclass
class StoragePolicy:
    """One ``storage_policy`` block."""

    policy: str | None = None
    limit_mib: int | None = None


@dataclasses.dataclass
class Limits:
    """The ``limits`` block: one optional number per ResourceQuotaOptionsV1 field (the keys of ``LIMITS``)."""

    cpu_mhz: int | None = None
    memory_mib: int | None = None
    storage_mib: int | None = None
    pod_count: int | None = None
    cpu_limit_default_mhz: int | None = None
    cpu_request_default_mhz: int | None = None
    memory_limit_default_mib: int | None = None
    memory_request_default_mib: int | None = None
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


@dataclasses.dataclass
class Access:
    """One ``access`` block."""

    subject: str | None = None
    subject_type: str | None = None
    domain: str | None = None
    role: str | None = None


@dataclasses.dataclass
class Model:
    """``tkg_supervisor_namespace`` in Terraform terms (values may be ``Unknown`` at plan time)."""

    name: str | None = None
    supervisor: str | None = None
    description: str | None = None
    vm_classes: list[str] | None = None
    content_libraries: list[str] | None = None
    force_delete: bool | None = None
    id: str | None = None
    config_status: str | None = None
    storage_classes: list[str] | None = None
    storage_policy: list[StoragePolicy] = many(StoragePolicy)  # noqa: RUF009 (a field)
    limits: Limits | None = single(Limits)  # noqa: RUF009 (a field)
    access: list[Access] = many(Access)  # noqa: RUF009 (a field)
    timeouts: dict[str, Any] | None = None


# ---- schema ------------------------------------------------------------------------------------------------------


def _limit_attribute(name: str, text: str) -> Attribute:
    low = 10 if name in _CPU_LIMITS else 0
    return Attribute(
        t.Number(),
        optional=True,
        validators=(validators.integer, validators.between(low, None)),
        description=f"{text[0].upper()}{text[1:]}. Removing it removes the limit.",
    )


SCHEMA = Schema(
    Block(
        description="A vSphere Namespace on a Supervisor: where TKG clusters and VM Service VMs run.",
        attributes={
            "name": Attribute(
                t.String(),
                required=True,
                requires_replace=True,
                validators=(validators.dns1123_label,),
                description="Namespace name: a DNS-1123 label of at most 63 characters, unique in the vCenter. "
                "Changing it replaces the namespace.",
            ),
            "supervisor": Attribute(
                t.String(),
                required=True,
                requires_replace=True,
                validators=(validators.length_between(1, 255),),
                description="Id of the Supervisor that hosts the namespace (`data.tkg_supervisor.<name>.id`). "
                "Changing it replaces the namespace.",
            ),
            "description": Attribute(t.String(), optional=True, description="Free-form description."),
            "vm_classes": Attribute(
                t.Set(t.String()),
                optional=True,
                computed=True,
                stable=True,
                validators=(validators.each(validators.dns1123_label),),
                description="VM classes the namespace may use (ids, e.g. `tkg_vm_class.<name>.id`). `[]` removes "
                "every class; leaving the attribute out keeps whatever the namespace has.",
            ),
            "content_libraries": Attribute(
                t.Set(t.String()),
                optional=True,
                computed=True,
                stable=True,
                validators=(validators.each(validators.length_between(1, 255)),),
                description="Content library ids for VM Service images (`data.tkg_content_library.<name>.id`). `[]` "
                "removes every library; leaving the attribute out keeps whatever the namespace has.",
            ),
            "force_delete": Attribute(
                t.Bool(),
                optional=True,
                computed=True,
                default=False,
                description="When true, destroying the namespace first deletes the TKG clusters it still holds "
                "(through the Supervisor) and waits for them to go. When false (default), deleting a namespace that "
                "holds clusters fails with an error that names them.",
            ),
            "id": Attribute(t.String(), computed=True, stable=True, description="The namespace id (equal to `name`)."),
            "config_status": Attribute(
                t.String(), computed=True, description="`RUNNING` once configured (`CONFIGURING`, `REMOVING`, `ERROR`)."
            ),
            "storage_classes": Attribute(
                t.List(t.String()),
                computed=True,
                description="Kubernetes storage classes the namespace exposes to clusters, as the Supervisor names "
                "them (its ResourceQuota): one or more per storage policy, e.g. `vsan-default-storage-policy` and its "
                "`vsan-default-storage-policy-latebinding` (WaitForFirstConsumer) twin. Names may differ from the "
                "policy names (an admin can rename a class), so use these rather than deriving them. Empty while the "
                "Supervisor cannot be reached.",
            ),
        },
        blocks={
            "storage_policy": SetBlock(
                Block(
                    description="A storage policy the namespace may use, with an optional limit.",
                    attributes={
                        "policy": Attribute(
                            t.String(),
                            required=True,
                            validators=(validators.length_between(1, 255),),
                            description="Storage policy id (`data.tkg_storage_policy.<name>.id`).",
                        ),
                        "limit_mib": Attribute(
                            t.Number(),
                            optional=True,
                            validators=(validators.integer, validators.between(0, None)),
                            description="Storage the namespace may claim with this policy, in MiB (unset = no limit).",
                        ),
                    },
                )
            ),
            "limits": SingleBlock(
                Block(
                    description="Resource limits of the namespace (ResourceQuotaOptionsV1). An unset attribute, or no "
                    "block, means no limit.",
                    attributes={name: _limit_attribute(name, text) for name, (_, text) in LIMITS.items()},
                )
            ),
            "access": SetBlock(
                Block(
                    description="A user or group and its role in the namespace.",
                    attributes={
                        "subject": Attribute(
                            t.String(),
                            required=True,
                            validators=(validators.length_between(1, 255),),
                            description="User or group name, e.g. `devops`.",
                        ),
                        "subject_type": Attribute(
                            t.String(),
                            required=True,
                            validators=(validators.one_of("USER", "GROUP"),),
                            description="`USER` or `GROUP`.",
                        ),
                        "domain": Attribute(
                            t.String(),
                            required=True,
                            validators=(validators.length_between(1, 255),),
                            description="SSO domain, e.g. `vsphere.local`.",
                        ),
                        "role": Attribute(
                            t.String(),
                            required=True,
                            validators=(validators.one_of("OWNER", "EDIT", "VIEW"),),
                            description="`OWNER` (modify and delete), `EDIT` (modify) or `VIEW` (read only).",
                        ),
                    },
                )
            ),
        },
    )
)


def validate(model: Model) -> list[tuple[str, str, Path]]:
    """Cross-attribute rules: (summary, detail, path) for each violation; unknown values are skipped."""
    problems: list[tuple[str, str, Path]] = []
    seen: set[Any] = set()
    for storage in model.storage_policy:
        if known(storage.policy) and storage.policy in seen:
            problems.append(
                (
                    "Invalid storage_policy",
                    f"storage policy {storage.policy!r} is listed twice; each policy may appear once.",
                    ("storage_policy",),
                )
            )
        seen.add(storage.policy)
    subjects: set[Any] = set()
    for entry in model.access:
        key = (entry.subject_type, str(entry.subject).lower(), str(entry.domain).lower())
        if all(known(v) for v in (entry.subject, entry.subject_type, entry.domain)) and key in subjects:
            problems.append(
                (
                    "Invalid access",
                    f"{entry.subject_type} {entry.subject}@{entry.domain} has more than one access block; give each "
                    "subject one role.",
                    ("access",),
                )
            )
        subjects.add(key)
    limits = model.limits
    if limits is not None:
        for low, high in (
            ("cpu_request_default_mhz", "cpu_limit_default_mhz"),
            ("memory_request_default_mib", "memory_limit_default_mib"),
        ):
            a, b = getattr(limits, low), getattr(limits, high)
            if known(a) and known(b) and a > b:
                problems.append(
                    (
                        f"Invalid value for limits.{low}",
                        f"limits.{low} ({a}) must not exceed limits.{high} ({b}).",
                        ("limits", low),
                    )
                )
    return problems


# ---- mapping -----------------------------------------------------------------------------------------------------

WIRE_TO_TF_PATH: dict[str, Path] = {
    "namespace": ("name",),
    "supervisor": ("supervisor",),
    "description": ("description",),
    "storage_specs": ("storage_policy",),
    "vm_service_spec.vm_classes": ("vm_classes",),
    "vm_service_spec.content_libraries": ("content_libraries",),
    "content_libraries": ("content_libraries",),
    "access_list": ("access",),
    "resource_spec": ("limits",),
    **{f"resource_spec.{wire}": ("limits", name) for name, (wire, _) in LIMITS.items()},
}


def _storage_specs(model: Model) -> list[models.StorageSpec]:
    from ..api import models

    specs = []
    for s in sorted(model.storage_policy, key=lambda s: str(s.policy)):
        spec = models.StorageSpec(policy=str(s.policy))
        if s.limit_mib is not None:
            spec.limit = int(s.limit_mib)
        specs.append(spec)
    return specs


def _access_list(model: Model) -> list[models.Access]:
    from ..api import models

    return [
        models.Access(subject=str(a.subject), subject_type=str(a.subject_type), domain=str(a.domain), role=str(a.role))
        for a in sorted(model.access, key=lambda a: (str(a.subject_type), str(a.domain), str(a.subject)))
    ]


def _listed(values: Any) -> list[str]:
    """A set attribute's elements; null or not yet known (optional + computed, left out of the config) is none."""
    return sorted(values) if isinstance(values, list) else []


def _vm_service_spec(model: Model) -> models.VMServiceSpec:
    from ..api import models

    return models.VMServiceSpec(
        vm_classes=_listed(model.vm_classes), content_libraries=_listed(model.content_libraries)
    )


def _limit_values(limits: Any) -> dict[str, int]:
    if limits is None:
        return {}
    return {wire: int(getattr(limits, name)) for name, (wire, _) in LIMITS.items() if getattr(limits, name) is not None}


def to_api(model: Model) -> models.NamespaceCreateSpecV2:
    """The create spec (v2) for ``model``: only what is set."""
    from ..api import models

    spec = models.NamespaceCreateSpecV2(supervisor=str(model.supervisor), namespace=str(model.name))
    if model.description is not None:
        spec.description = model.description
    limits = _limit_values(model.limits)
    if limits:
        spec.resource_spec = models.ResourceQuotaOptionsV1(**limits)
    if model.access:
        spec.access_list = _access_list(model)
    if model.storage_policy:
        spec.storage_specs = _storage_specs(model)
    if _listed(model.vm_classes) or _listed(model.content_libraries):
        spec.vm_service_spec = _vm_service_spec(model)
    return spec


def to_api_update(prior: Model, planned: Model) -> models.NamespaceUpdateSpec:
    """The PATCH from ``prior`` to ``planned``: changed fields only. Lists are replaced whole (an emptied set is sent
    as ``[]``); a removed limit is sent as ``<field>_unset: true``."""
    from ..api import models

    spec = models.NamespaceUpdateSpec()
    if planned.description != prior.description:
        spec.description = planned.description or ""
    before, after = _limit_values(prior.limits), _limit_values(planned.limits)
    if before != after:
        update: dict[str, Any] = {}
        for wire in models.QUOTA_FIELDS:
            if wire in after and after[wire] != before.get(wire):
                update[wire] = after[wire]
            elif wire in before and wire not in after:
                update[f"{wire}_unset"] = True
        spec.resource_spec = models.ResourceQuotaOptionsV1Update(**update)
    if _key_set(prior.access) != _key_set(planned.access):
        spec.access_list = _access_list(planned)
    if _key_set(prior.storage_policy) != _key_set(planned.storage_policy):
        spec.storage_specs = _storage_specs(planned)
    classes = planned.vm_classes if isinstance(planned.vm_classes, list) else prior.vm_classes
    libraries = planned.content_libraries if isinstance(planned.content_libraries, list) else prior.content_libraries
    planned = dataclasses.replace(planned, vm_classes=classes, content_libraries=libraries)
    if set(prior.vm_classes or []) != set(classes or []) or set(prior.content_libraries or []) != set(libraries or []):
        # VMServiceSpec is replaced as a whole: always send both sets.
        spec.vm_service_spec = _vm_service_spec(planned)
    return spec


def _key_set(items: list[Any]) -> set[tuple[Any, ...]]:
    return {tuple(dataclasses.astuple(i)) for i in items}


def _set_like(values: list[str] | None) -> list[str]:
    """A server list as a Terraform set value (optional + computed: an absent list reads as empty)."""
    return sorted(values or [])


def from_api(obj: models.NamespaceInfo, prior: Model | None = None, *, storage_classes: list[str]) -> Model:
    """The Terraform view of a namespace. ``storage_classes`` are the Supervisor's names for the namespace's classes;
    ``prior`` keeps the user's spelling of empty values and ``force_delete`` (not a server setting)."""
    prior = prior or Model()
    # Without a prior supervisor (import, the data source) everything the server holds is read; otherwise only what
    # the configuration declared, so that a value the platform adds never lands in an attribute the user left out.
    importing = prior.supervisor is None
    service = obj.vm_service_spec
    values = obj.resource_spec.model_dump() if obj.resource_spec is not None else {}
    declared = prior.limits or Limits()
    limits = Limits(
        **{
            name: values.get(wire) if importing or getattr(declared, name) is not None else None
            for name, (wire, _) in LIMITS.items()
        }
    )
    has_limits = any(v is not None for v in dataclasses.astuple(limits))
    description = unmarked_description(obj.description)
    return Model(
        name=obj.namespace,
        supervisor=obj.supervisor,
        description=description if (importing and description) or prior.description is not None else None,
        vm_classes=_set_like(service.vm_classes if service else None),
        content_libraries=_set_like(service.content_libraries if service else None),
        force_delete=prior.force_delete if isinstance(prior.force_delete, bool) else False,
        id=obj.namespace,
        config_status=obj.config_status,
        storage_classes=sorted(storage_classes),
        storage_policy=[StoragePolicy(s.policy, s.limit) for s in obj.storage_specs],
        limits=limits if (importing and has_limits) or prior.limits is not None else None,
        access=[Access(a.subject, a.subject_type, a.domain, a.role) for a in obj.access_list],
        timeouts=prior.timeouts,
    )


def supervisor_storage_classes(provider_data: Any, namespace: str, prior: list[str] | None) -> list[str]:
    """The namespace's storage classes as the Supervisor names them (ResourceQuota keys, late-binding twins included).

    Never derived from policy names: an admin may rename a class. When the Supervisor cannot be reached the prior
    value is kept (empty on first read) and a warning is logged, so a vCenter-only read still works.
    """
    from ..settings import ProviderSettings

    kept = list(prior) if isinstance(prior, list) else []  # a planned (unknown) value counts as none
    if not isinstance(provider_data, ProviderSettings):
        return kept
    try:
        return clients.supervisor(provider_data, namespace).list_storage_classes(namespace)
    except errors.ApiError as exc:
        log.warning("[%s %s] storage classes not read from the Supervisor: %s", TYPE_NAME, namespace, exc.describe())
        return kept


# ---- resource ----------------------------------------------------------------------------------------------------


class SupervisorNamespaceResource(Resource):
    """CRUD and import of ``tkg_supervisor_namespace``."""

    type_name = TYPE_NAME
    schema = SCHEMA
    timeouts = Timeouts(create=600, update=600, delete=600)

    def validate(self, ctx: Context, config: dict[str, Any]) -> None:
        for summary, detail, path in validate(from_tf(Model, config)):
            ctx.diagnostics.error(summary, detail, path)

    def plan(self, ctx: PlanContext, planned: dict[str, Any]) -> dict[str, Any]:
        if ctx.is_create:
            if isinstance(planned.get("name"), str):
                planned["id"] = planned["name"]
            return planned
        return planned

    def _label(self, name: str) -> str:
        return f"[{TYPE_NAME} {name}]"

    def _state(self, obj: models.NamespaceInfo, model: Model) -> dict[str, Any]:
        classes = supervisor_storage_classes(self.provider_data, obj.namespace, model.storage_classes)
        return to_tf(from_api(obj, model, storage_classes=classes))

    def _wait_running(
        self, ctx: Context, client: VcenterClient, model: Model, action: str
    ) -> tuple[dict[str, Any], bool]:
        """Wait for RUNNING; returns (state, ok). On failure the state is what was last seen, with an error added."""
        name = str(model.name)
        try:
            obj = client.wait_namespace_running(name, deadline=ctx.deadline, stop=ctx.stop, label=self._label(name))
        except errors.WaitTimeout as exc:
            last = exc.last
            if isinstance(exc, errors.WaitFailed):
                detail = "vCenter reports the namespace in ERROR: " + "; ".join(exc.messages)
            elif isinstance(exc, errors.WaitCancelled):
                detail = f"Interrupted while the namespace was {exc.last_status or 'configuring'}."
            else:
                detail = (
                    f"The namespace was still {exc.last_status or 'configuring'} after {ctx.timeout:.0f}s "
                    "(timeouts). It is kept in the state as tainted; the next apply replaces it."
                )
            ctx.diagnostics.error(f"{action} {TYPE_NAME} ({name})", detail)
            partial = dataclasses.replace(model, id=name, config_status=exc.last_status or None)
            if last is not None:
                return self._state(last, model), False
            return to_tf(partial), False
        except errors.ApiError as exc:
            reporting.report(ctx, exc, action=f"waiting for {action}", object_id=name)
            return to_tf(dataclasses.replace(model, id=name)), False
        return self._state(obj, model), True

    def create(self, ctx: Context, planned: dict[str, Any]) -> dict[str, Any] | None:
        settings = clients.settings_or_error(ctx, self.provider_data)
        if settings is None:
            return None
        model = from_tf(Model, planned)
        name = str(model.name)
        client = clients.vcenter(settings)
        spec = to_api(model)
        token = inflight.journal().begin(TYPE_NAME, name)
        spec.description = marked_description(model.description, token)
        try:
            client.create_namespace(spec)
        except errors.AlreadyExists as exc:
            if not self._adopt(ctx, client, model, token, exc):
                return None
        except errors.ApiError as exc:
            reporting.report(ctx, exc, action="creating", object_id=name, wire_to_tf=WIRE_TO_TF_PATH)
            return None
        state, _ = self._wait_running(ctx, client, model, "creating")
        return state

    def _adopt(
        self, ctx: Context, client: VcenterClient, model: Model, token: str, refusal: errors.AlreadyExists
    ) -> bool:
        """Adopt the existing namespace only when it carries this directory's create token; bring it to ``model``."""
        from ..api import models

        name = str(model.name)
        try:
            existing = client.get_namespace(name)
        except errors.ApiError as exc:
            reporting.report(ctx, exc, action="creating", object_id=name)
            return False
        if description_token(existing.description) != token:
            already_exists(ctx, object_id=name, what="vSphere Namespace", import_id=name, server=refusal)
            return False
        log.info("%s finishing this directory's interrupted create: adopting the namespace", self._label(name))
        spec = to_api_update(from_api(existing, model, storage_classes=[]), model)
        if models.request_body(spec):
            try:
                client.update_namespace(name, spec)
            except errors.ApiError as exc:
                reporting.report(ctx, exc, action="creating", object_id=name, wire_to_tf=WIRE_TO_TF_PATH)
                return False
        return True

    def read(self, ctx: Context, state: dict[str, Any]) -> dict[str, Any] | None:
        settings = clients.settings_or_error(ctx, self.provider_data)
        if settings is None:
            return state
        model = from_tf(Model, state)
        name = str(model.name or model.id)
        client = clients.vcenter(settings)
        try:
            obj = client.get_namespace(name)
        except errors.NotFound:
            inflight.journal().settle(TYPE_NAME, name)
            reporting.gone(ctx, name, "namespace")
            return None
        except errors.ApiError as exc:
            reporting.report(ctx, exc, action="reading", object_id=name)
            return state
        # The state holds this namespace now: its create is no longer in flight.
        inflight.journal().settle(TYPE_NAME, name)
        return self._state(obj, model)

    def update(self, ctx: Context, prior: dict[str, Any], planned: dict[str, Any]) -> dict[str, Any] | None:
        settings = clients.settings_or_error(ctx, self.provider_data)
        if settings is None:
            return prior
        from ..api import models

        old, new = from_tf(Model, prior), from_tf(Model, planned)
        name = str(old.name)
        client = clients.vcenter(settings)
        spec = to_api_update(old, new)
        if not models.request_body(spec):
            # Only provider-side settings changed (force_delete): nothing to send.
            try:
                return self._state(client.get_namespace(name), new)
            except errors.NotFound:
                return None
            except errors.ApiError as exc:
                reporting.report(ctx, exc, action="reading", object_id=name)
                return prior
        try:
            client.update_namespace(name, spec)
        except errors.NotFound:
            return None
        except errors.ApiError as exc:
            reporting.report(ctx, exc, action="updating", object_id=name, wire_to_tf=WIRE_TO_TF_PATH)
            return prior
        state, _ = self._wait_running(ctx, client, new, "updating")
        return state

    def delete(self, ctx: Context, state: dict[str, Any]) -> None:
        settings = clients.settings_or_error(ctx, self.provider_data)
        if settings is None:
            return
        model = from_tf(Model, state)
        name = str(model.name or model.id)
        client = clients.vcenter(settings)
        try:
            try:
                client.delete_namespace(name)
            except errors.Conflict as exc:
                if not model.force_delete:
                    reporting.report(
                        ctx,
                        exc,
                        action="deleting",
                        object_id=name,
                        hint="Delete the TKG clusters in the namespace first, or set `force_delete = true` (and "
                        "apply) to let the provider delete them before the namespace.",
                    )
                    return
                if not self._delete_clusters(ctx, settings, name, exc):
                    return
                client.delete_namespace(name)
            client.wait_namespace_deleted(name, deadline=ctx.deadline, stop=ctx.stop, label=self._label(name))
            inflight.journal().settle(TYPE_NAME, name)
        except errors.NotFound:
            inflight.journal().settle(TYPE_NAME, name)
            return
        except errors.WaitTimeout as exc:
            ctx.diagnostics.error(
                f"deleting {TYPE_NAME} ({name})",
                f"The namespace was still {exc.last_status or 'being removed'} when the wait ended ({exc.message}). "
                "It stays in the state; run terraform destroy again.",
            )
        except errors.ApiError as exc:
            reporting.report(ctx, exc, action="deleting", object_id=name)

    def _delete_clusters(self, ctx: Context, settings: ProviderSettings, name: str, refusal: errors.ApiError) -> bool:
        """force_delete: delete the TKG clusters of namespace ``name`` through the Supervisor and wait for them."""
        try:
            supervisor = clients.supervisor(settings, name)
            clusters = [c.metadata.name for c in supervisor.list_clusters(name) if c.metadata.name]
            log.info("%s force_delete: deleting TKG clusters %s first", self._label(name), ", ".join(clusters))
            for cluster in clusters:
                supervisor.delete_cluster(name, cluster)
            for cluster in clusters:
                supervisor.wait_cluster_deleted(name, cluster, deadline=ctx.deadline, stop=ctx.stop)
        except errors.ApiError as exc:
            ctx.diagnostics.error(
                f"deleting {TYPE_NAME} ({name})",
                f"force_delete is set, but deleting the TKG clusters in the namespace through the Supervisor failed: "
                f"{exc.describe()}\n\nvCenter refused the namespace delete with: {refusal.describe()}",
            )
            return False
        return True

    def import_(self, ctx: Context, import_id: str) -> dict[str, Any] | None:
        if validators.dns1123_label(import_id):
            ctx.diagnostics.error(
                f"importing {TYPE_NAME}: invalid id {import_id!r}",
                f"Expected the namespace name, a DNS-1123 label such as `team-a`: "
                f"terraform import {TYPE_NAME}.<address> <name>",
            )
            return None
        return {"name": import_id, "id": import_id, "force_delete": False}
