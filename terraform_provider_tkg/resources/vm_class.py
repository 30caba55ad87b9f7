"""``tkg_vm_class``: a VM Service VM class, a reusable VM hardware shape.

Drives vCenter ``/api/vcenter/namespace-management/virtual-machine-classes[/{vm_class}]`` (create, get, PATCH,
delete). The class id is its name, so ``name`` forces replacement; everything else updates in place with a PATCH of
only what changed. Two things the API cannot clear once set (its UpdateSpec has no "unset" for them): removing the
``instance_storage`` block or ``config_spec_json`` replaces the class. Unsetting a reservation sends 0 %, which is what
an absent reservation means.

Adoption on create: an ALREADY_EXISTS answer (e.g. a retried create whose first response was lost) adopts the class
only when every configurable attribute of the existing class equals the configuration — what our own lost create
would have left. Anything else is reported as a conflict with a hint to import.
"""

from __future__ import annotations

import dataclasses
import json
import logging
from typing import TYPE_CHECKING, Any

from .. import clients, reporting
from .._naming import PROVIDER_NAME
from ..api import errors
from ..framework import types as t
from ..framework import validators
from ..framework.diagnostics import Path
from ..framework.model import from_tf, many, single, to_tf
from ..framework.resource import Context, PlanContext, Resource
from ..framework.schema import Attribute, Block, ListBlock, Schema, SingleBlock
from ..framework.types import Json
from ..framework.values import Unknown

if TYPE_CHECKING:
    from ..api import models

__all__ = [
    "SCHEMA",
    "TYPE_NAME",
    "WIRE_TO_TF_PATH",
    "DirectPathDevice",
    "InstanceStorage",
    "Model",
    "VmClassResource",
    "from_api",
    "to_api",
    "to_api_update",
    "validate",
]

log = logging.getLogger(__name__)

TYPE_NAME = f"{PROVIDER_NAME}_vm_class"


# ---- model -------------------------------------------------------------------------------------------------------


@dataclasses.dataclass
class DirectPathDevice:
    """One ``dynamic_direct_path_io_device`` block."""

    vendor_id: int | None = None
    device_id: int | None = None
    custom_label: str | None = None


@dataclasses.dataclass
class InstanceStorage:
    """The ``instance_storage`` block."""

    storage_policy: str | None = None
    volume_sizes_mib: list[int] | None = None


@dataclasses.dataclass
class Model:
    """``tkg_vm_class`` in Terraform terms (values may be ``Unknown`` at plan time)."""

    name: str | None = None
    cpu_count: int | None = None
    memory_mib: int | None = None
    cpu_reservation_percent: int | None = None
    memory_reservation_percent: int | None = None
    description: str | None = None
    vgpu_profiles: list[str] | None = None
    config_spec_json: str | None = None
    id: str | None = None
    config_status: str | None = None
    namespaces: list[str] | None = None
    dynamic_direct_path_io_device: list[DirectPathDevice] = many(DirectPathDevice)  # noqa: RUF009 (a field)
    instance_storage: InstanceStorage | None = single(InstanceStorage)  # noqa: RUF009 (a field)


# ---- schema ------------------------------------------------------------------------------------------------------

_PERCENT = (validators.integer, validators.between(0, 100))

SCHEMA = Schema(
    Block(
        description="A VM Service VM class: CPU, memory, devices and storage of the VMs and TKG nodes built from it.",
        attributes={
            "name": Attribute(
                t.String(),
                required=True,
                requires_replace=True,
                validators=(validators.dns1123_label,),
                description="Name (and id) of the VM class: a DNS-1123 label of at most 63 characters. Changing it "
                "replaces the class.",
            ),
            "cpu_count": Attribute(
                t.Number(),
                required=True,
                validators=(validators.integer, validators.between(1, None)),
                description="Number of virtual CPUs (at least 1).",
            ),
            "memory_mib": Attribute(
                t.Number(),
                required=True,
                validators=(validators.integer, validators.between(1, None)),
                description="Memory in MiB (at least 1; wire field `memory_MB`).",
            ),
            "cpu_reservation_percent": Attribute(
                t.Number(),
                optional=True,
                validators=_PERCENT,
                description="Share of the CPU reserved for each VM, 0-100 (unset = no reservation).",
            ),
            "memory_reservation_percent": Attribute(
                t.Number(),
                optional=True,
                validators=_PERCENT,
                description="Share of the memory reserved for each VM, 0-100. Must be 100 when `vgpu_profiles` or a "
                "`dynamic_direct_path_io_device` is set.",
            ),
            "description": Attribute(t.String(), optional=True, description="Free-form description."),
            "vgpu_profiles": Attribute(
                t.List(t.String()),
                optional=True,
                validators=(validators.each(validators.length_between(1, 255)),),
                description="NVIDIA vGPU profile names, one per vGPU device "
                "(wire: `devices.vgpu_devices[].profile_name`).",
            ),
            "config_spec_json": Attribute(
                t.Json(),
                optional=True,
                validators=(validators.json_object,),
                description="A raw vSphere `VirtualMachineConfigSpec` as a JSON object (e.g. from `jsonencode`), "
                "compared semantically: key order and whitespace make no difference. Removing it replaces the class.",
            ),
            "id": Attribute(t.String(), computed=True, stable=True, description="The VM class id (equal to `name`)."),
            "config_status": Attribute(
                t.String(), computed=True, description="`READY`, or `REMOVING` while the class is being deleted."
            ),
            "namespaces": Attribute(
                t.List(t.String()), computed=True, description="Names of the vSphere Namespaces that use the class."
            ),
        },
        blocks={
            "dynamic_direct_path_io_device": ListBlock(
                Block(
                    description="A Dynamic DirectPath I/O PCI device passed through to each VM.",
                    attributes={
                        "vendor_id": Attribute(
                            t.Number(),
                            required=True,
                            validators=(validators.integer, validators.between(0, 65535)),
                            description="PCI vendor id (0-65535, e.g. 4318 for 0x10de).",
                        ),
                        "device_id": Attribute(
                            t.Number(),
                            required=True,
                            validators=(validators.integer, validators.between(0, 65535)),
                            description="PCI device id (0-65535).",
                        ),
                        "custom_label": Attribute(
                            t.String(), optional=True, description="Label that selects among identical devices."
                        ),
                    },
                ),
                max_items=16,
            ),
            "instance_storage": SingleBlock(
                Block(
                    description="Instance storage: local volumes each VM gets. Removing the block replaces the class.",
                    attributes={
                        "storage_policy": Attribute(
                            t.String(),
                            required=True,
                            validators=(validators.length_between(1, 255),),
                            description="Storage policy id for the volumes (see `data.tkg_storage_policy`); it must "
                            "also be a storage policy of the namespaces using the class.",
                        ),
                        "volume_sizes_mib": Attribute(
                            t.List(t.Number()),
                            required=True,
                            validators=(
                                validators.length_between(1, 64),
                                validators.each(validators.integer, validators.between(1, None)),
                            ),
                            description="Size of each volume in MiB (at least one volume, each at least 1).",
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
    has_devices = bool(model.dynamic_direct_path_io_device) or (
        isinstance(model.vgpu_profiles, list) and len(model.vgpu_profiles) > 0
    )
    reservation = model.memory_reservation_percent
    if has_devices and reservation is not Unknown and reservation != 100:
        problems.append(
            (
                "Invalid value for memory_reservation_percent",
                "memory_reservation_percent must be 100 when vgpu_profiles or a dynamic_direct_path_io_device is set "
                f"(vSphere reserves all memory of VMs with passthrough devices); it is {reservation}.",
                ("memory_reservation_percent",),
            )
        )
    return problems


# ---- mapping -----------------------------------------------------------------------------------------------------

# Wire field (indexes dropped) → Terraform attribute path, for Invalid errors that name a field.
WIRE_TO_TF_PATH: dict[str, Path] = {
    "id": ("name",),
    "cpu_count": ("cpu_count",),
    "memory_MB": ("memory_mib",),
    "cpu_reservation": ("cpu_reservation_percent",),
    "memory_reservation": ("memory_reservation_percent",),
    "description": ("description",),
    "devices.vgpu_devices": ("vgpu_profiles",),
    "devices.dynamic_direct_path_IO_devices": ("dynamic_direct_path_io_device",),
    "instance_storage": ("instance_storage",),
    "instance_storage.policy": ("instance_storage", "storage_policy"),
    "instance_storage.volumes": ("instance_storage", "volume_sizes_mib"),
    "config_spec": ("config_spec_json",),
}


def _devices(model: Model) -> models.VirtualDevices:
    from ..api import models

    return models.VirtualDevices(
        vgpu_devices=[models.VGPUDevice(profile_name=p) for p in model.vgpu_profiles or []],
        dynamic_direct_path_IO_devices=[
            models.DynamicDirectPathIODevice(
                vendor_id=int(d.vendor_id or 0),
                device_id=int(d.device_id or 0),
                **({"custom_label": d.custom_label} if d.custom_label is not None else {}),
            )
            for d in model.dynamic_direct_path_io_device
        ],
    )


def _instance_storage(storage: InstanceStorage) -> models.InstanceStorage:
    from ..api import models

    return models.InstanceStorage(
        policy=storage.storage_policy or "",
        volumes=[models.InstanceStorageVolume(size=int(s)) for s in storage.volume_sizes_mib or []],
    )


def to_api(model: Model) -> models.VmClassCreateSpec:
    """The create spec for ``model``: only the attributes that are set."""
    from ..api import models

    spec = models.VmClassCreateSpec(
        id=str(model.name), cpu_count=int(model.cpu_count or 0), memory_MB=int(model.memory_mib or 0)
    )
    if model.cpu_reservation_percent is not None:
        spec.cpu_reservation = int(model.cpu_reservation_percent)
    if model.memory_reservation_percent is not None:
        spec.memory_reservation = int(model.memory_reservation_percent)
    if model.description is not None:
        spec.description = model.description
    if model.vgpu_profiles or model.dynamic_direct_path_io_device:
        spec.devices = _devices(model)
    if model.instance_storage is not None:
        spec.instance_storage = _instance_storage(model.instance_storage)
    if model.config_spec_json is not None:
        spec.config_spec = json.loads(model.config_spec_json)
    return spec


def to_api_update(prior: Model, planned: Model) -> models.VmClassUpdateSpec:
    """The PATCH for going from ``prior`` to ``planned``: only changed fields; unset values are sent as "empty"
    (0 % reservation, "" description, empty device lists)."""
    from ..api import models

    spec = models.VmClassUpdateSpec()
    if planned.cpu_count != prior.cpu_count:
        spec.cpu_count = int(planned.cpu_count or 0)
    if planned.memory_mib != prior.memory_mib:
        spec.memory_MB = int(planned.memory_mib or 0)
    if planned.cpu_reservation_percent != prior.cpu_reservation_percent:
        spec.cpu_reservation = int(planned.cpu_reservation_percent or 0)
    if planned.memory_reservation_percent != prior.memory_reservation_percent:
        spec.memory_reservation = int(planned.memory_reservation_percent or 0)
    if planned.description != prior.description:
        spec.description = planned.description or ""
    if (planned.vgpu_profiles or []) != (prior.vgpu_profiles or []) or (
        planned.dynamic_direct_path_io_device != prior.dynamic_direct_path_io_device
    ):
        spec.devices = _devices(planned)
    if planned.instance_storage is not None and planned.instance_storage != prior.instance_storage:
        spec.instance_storage = _instance_storage(planned.instance_storage)
    if planned.config_spec_json is not None and (
        prior.config_spec_json is None or json.loads(planned.config_spec_json) != json.loads(prior.config_spec_json)
    ):
        spec.config_spec = json.loads(planned.config_spec_json)
    return spec


def _contains(actual: Any, wanted: Any) -> bool:
    """``actual`` holds everything ``wanted`` says (dicts may have extra keys, e.g. defaults vCenter fills in)."""
    if isinstance(wanted, dict):
        return isinstance(actual, dict) and all(k in actual and _contains(actual[k], v) for k, v in wanted.items())
    if isinstance(wanted, list):
        return (
            isinstance(actual, list)
            and len(actual) == len(wanted)
            and all(_contains(a, w) for a, w in zip(actual, wanted, strict=True))
        )
    return bool(actual == wanted)


def _unset_or(value: Any, prior: Any, empty: Any) -> Any:
    """The server's ``value``, except that its "empty" form stays null (or whatever empty form) the prior state had."""
    if value in (None, empty) and prior in (None, empty):
        return prior
    return value


def from_api(obj: models.VmClassInfo, prior: Model | None = None) -> Model:
    """The Terraform view of a VM class; ``prior`` keeps the user's spelling of empty values (null vs 0/""/[]).

    Without a prior ``cpu_count`` (import, the data source) every setting the server holds is read; otherwise only
    the settings the configuration declared, so that what vCenter adds to a setting the user left out (a default
    ``config_spec``, a device) never lands in state.
    """
    prior = prior or Model()
    importing = prior.cpu_count is None
    devices = obj.devices
    vgpu = [d.profile_name for d in (devices.vgpu_devices or [])] if devices else []
    passthrough = (devices.dynamic_direct_path_IO_devices or []) if devices else []
    prior_devices = prior.dynamic_direct_path_io_device
    if not importing and not prior_devices:
        passthrough = []
    config_json = prior.config_spec_json if obj.config_spec is not None else None
    if obj.config_spec is not None and (importing or prior.config_spec_json is not None):
        wanted = json.loads(prior.config_spec_json) if isinstance(prior.config_spec_json, str) else None
        if wanted is None or not _contains(obj.config_spec, wanted):
            config_json = Json.encode(obj.config_spec)
    storage = None
    if obj.instance_storage is not None and (importing or prior.instance_storage is not None):
        storage = InstanceStorage(obj.instance_storage.policy, [v.size for v in obj.instance_storage.volumes])

    def declared(value: Any, prior_value: Any, empty: Any) -> Any:
        return _unset_or(value, prior_value, empty) if importing or prior_value is not None else None

    return Model(
        name=obj.id,
        cpu_count=obj.cpu_count,
        memory_mib=obj.memory_MB,
        cpu_reservation_percent=declared(obj.cpu_reservation, prior.cpu_reservation_percent, 0),
        memory_reservation_percent=declared(obj.memory_reservation, prior.memory_reservation_percent, 0),
        description=declared(obj.description, prior.description, ""),
        vgpu_profiles=vgpu if (importing and vgpu) or prior.vgpu_profiles is not None else None,
        config_spec_json=config_json,
        id=obj.id,
        config_status=obj.config_status,
        namespaces=sorted(obj.namespaces),
        dynamic_direct_path_io_device=[
            DirectPathDevice(
                d.vendor_id,
                d.device_id,
                _unset_or(d.custom_label, prior_devices[i].custom_label if i < len(prior_devices) else None, ""),
            )
            for i, d in enumerate(passthrough)
        ],
        instance_storage=storage,
    )


# ---- resource ----------------------------------------------------------------------------------------------------


class VmClassResource(Resource):
    """CRUD and import of ``tkg_vm_class``."""

    type_name = TYPE_NAME
    schema = SCHEMA

    def validate(self, ctx: Context, config: dict[str, Any]) -> None:
        for summary, detail, path in validate(from_tf(Model, config)):
            ctx.diagnostics.error(summary, detail, path)

    def plan(self, ctx: PlanContext, planned: dict[str, Any]) -> dict[str, Any]:
        if ctx.is_create:
            if isinstance(planned.get("name"), str):
                planned["id"] = planned["name"]
            return planned
        prior = ctx.prior or {}
        # The UpdateSpec cannot clear these once set: removing them needs a new class.
        for name in ("instance_storage", "config_spec_json"):
            if prior.get(name) is not None and planned.get(name) is None:
                ctx.requires_replace.add((name,))
        return planned

    def create(self, ctx: Context, planned: dict[str, Any]) -> dict[str, Any] | None:
        settings = clients.settings_or_error(ctx, self.provider_data)
        if settings is None:
            return None
        model = from_tf(Model, planned)
        name = str(model.name)
        client = clients.vcenter(settings)
        spec = to_api(model)
        try:
            client.create_vm_class(spec)
        except errors.AlreadyExists as exc:
            if not self._adopt(ctx, client, model, exc):
                return None
        except errors.ApiError as exc:
            reporting.report(ctx, exc, action="creating", object_id=name, wire_to_tf=WIRE_TO_TF_PATH)
            return None
        try:
            obj = client.get_vm_class(name)
        except errors.ApiError as exc:
            # The class exists: keep it in state (tainted) with what we know, rather than orphaning it.
            reporting.report(ctx, exc, action="reading after creating", object_id=name)
            return to_tf(dataclasses.replace(model, id=name))
        return to_tf(from_api(obj, model))

    def _adopt(self, ctx: Context, client: Any, model: Model, exc: errors.AlreadyExists) -> bool:
        name = str(model.name)
        try:
            existing = client.get_vm_class(name)
        except errors.ApiError:
            existing = None
        if existing is not None:
            from ..api import models

            if models.request_body(to_api(from_api(existing, model))) == models.request_body(to_api(model)):
                log.info("[%s %s] already exists with this exact configuration; adopting it", TYPE_NAME, name)
                return True
        reporting.report(
            ctx,
            exc,
            action="creating",
            object_id=name,
            hint=f"A VM class named {name!r} already exists and differs from this configuration. Import it with "
            f"`terraform import {TYPE_NAME}.<address> {name}` to manage it, or choose another name.",
        )
        return False

    def read(self, ctx: Context, state: dict[str, Any]) -> dict[str, Any] | None:
        settings = clients.settings_or_error(ctx, self.provider_data)
        if settings is None:
            return state
        model = from_tf(Model, state)
        name = str(model.name or model.id)
        try:
            obj = clients.vcenter(settings).get_vm_class(name)
        except errors.NotFound:
            reporting.gone(ctx, name, "VM class")
            return None
        except errors.ApiError as exc:
            reporting.report(ctx, exc, action="reading", object_id=name)
            return state
        return to_tf(from_api(obj, model))

    def update(self, ctx: Context, prior: dict[str, Any], planned: dict[str, Any]) -> dict[str, Any] | None:
        settings = clients.settings_or_error(ctx, self.provider_data)
        if settings is None:
            return prior
        from ..api import models

        old, new = from_tf(Model, prior), from_tf(Model, planned)
        name = str(old.name)
        client = clients.vcenter(settings)
        spec = to_api_update(old, new)
        try:
            if models.request_body(spec):
                client.update_vm_class(name, spec)
            obj = client.get_vm_class(name)
        except errors.NotFound:
            return None
        except errors.ApiError as exc:
            reporting.report(ctx, exc, action="updating", object_id=name, wire_to_tf=WIRE_TO_TF_PATH)
            return prior
        return to_tf(from_api(obj, new))

    def delete(self, ctx: Context, state: dict[str, Any]) -> None:
        settings = clients.settings_or_error(ctx, self.provider_data)
        if settings is None:
            return
        model = from_tf(Model, state)
        name = str(model.name or model.id)
        try:
            clients.vcenter(settings).delete_vm_class(name)
        except errors.NotFound:
            return
        except errors.Conflict as exc:
            reporting.report(
                ctx,
                exc,
                action="deleting",
                object_id=name,
                hint="The VM class is still used by a vSphere Namespace. Remove it from the namespaces' `vm_classes` "
                "first (Terraform does this in the right order when the namespace refers to this resource).",
            )
        except errors.ApiError as exc:
            reporting.report(ctx, exc, action="deleting", object_id=name)

    def import_(self, ctx: Context, import_id: str) -> dict[str, Any] | None:
        if validators.dns1123_label(import_id):
            ctx.diagnostics.error(
                f"importing {TYPE_NAME}: invalid id {import_id!r}",
                f"Expected the VM class name, a DNS-1123 label such as `gpu-large`: "
                f"terraform import {TYPE_NAME}.<address> <name>",
            )
            return None
        return {"name": import_id, "id": import_id}
