"""``data.tkg_vm_class``: a VM class by name, with every attribute of the ``tkg_vm_class`` resource
(``GET /api/vcenter/namespace-management/virtual-machine-classes/{vm_class}``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .. import clients, reporting
from .._naming import PROVIDER_NAME
from ..api import errors
from ..framework import types as t
from ..framework import validators
from ..framework.model import to_tf
from ..framework.resource import Context, DataSource
from ..framework.schema import Attribute, Block, Schema
from ..resources import vm_class as resource
from . import _lookup

if TYPE_CHECKING:
    from ..api import models

__all__ = ["SCHEMA", "TYPE_NAME", "VmClassDataSource", "from_api"]

TYPE_NAME = f"{PROVIDER_NAME}_vm_class"

_DEVICE = t.Object({"vendor_id": t.Number(), "device_id": t.Number(), "custom_label": t.String()})
_STORAGE = t.Object({"storage_policy": t.String(), "volume_sizes_mib": t.List(t.Number())})

SCHEMA = Schema(
    Block(
        description="Reads a VM class (a seeded default such as `best-effort-small`, or one made elsewhere) by name.",
        attributes={
            "name": Attribute(
                t.String(),
                required=True,
                validators=(validators.dns1123_label,),
                description="Name (id) of the VM class.",
            ),
            "id": Attribute(t.String(), computed=True, description="The VM class id (equal to `name`)."),
            "cpu_count": Attribute(t.Number(), computed=True, description="Number of virtual CPUs."),
            "memory_mib": Attribute(t.Number(), computed=True, description="Memory in MiB."),
            "cpu_reservation_percent": Attribute(t.Number(), computed=True, description="CPU reservation, percent."),
            "memory_reservation_percent": Attribute(
                t.Number(), computed=True, description="Memory reservation, percent."
            ),
            "description": Attribute(t.String(), computed=True, description="Description (may be empty)."),
            "vgpu_profiles": Attribute(t.List(t.String()), computed=True, description="vGPU profile names."),
            "dynamic_direct_path_io_device": Attribute(
                t.List(_DEVICE),
                computed=True,
                description="Dynamic DirectPath I/O devices, each with `vendor_id`, `device_id` and `custom_label`.",
            ),
            "instance_storage": Attribute(
                _STORAGE,
                computed=True,
                description="Instance storage (`storage_policy`, `volume_sizes_mib`), or null.",
            ),
            "config_spec_json": Attribute(
                t.Json(), computed=True, description="The class's vSphere ConfigSpec as JSON, or null."
            ),
            "config_status": Attribute(t.String(), computed=True, description="`READY` or `REMOVING`."),
            "namespaces": Attribute(
                t.List(t.String()), computed=True, description="vSphere Namespaces that use the class."
            ),
        },
    )
)


def from_api(obj: models.VmClassInfo) -> dict[str, Any]:
    """The data source's state: the resource's view of the class, with empty values spelled out."""
    state = to_tf(resource.from_api(obj, resource.Model(description="", vgpu_profiles=[])))
    state["cpu_reservation_percent"] = obj.cpu_reservation
    state["memory_reservation_percent"] = obj.memory_reservation
    return state


class VmClassDataSource(DataSource):
    """Reads ``data.tkg_vm_class``."""

    type_name = TYPE_NAME
    schema = SCHEMA

    def read(self, ctx: Context, config: dict[str, Any]) -> dict[str, Any] | None:
        settings = clients.settings_or_error(ctx, self.provider_data)
        if settings is None:
            return None
        name = str(config["name"])
        client = clients.vcenter(settings)
        try:
            return from_api(client.get_vm_class(name))
        except errors.NotFound:
            try:
                existing = [c.id for c in client.list_vm_classes()]
            except errors.ApiError:
                existing = []
            # Ids are unique, so a lookup by name finds one class or none.
            _lookup.choose(ctx, [], what="VM class", searched=f"name {name!r}", existing=existing)
        except errors.ApiError as exc:
            reporting.report(ctx, exc, action="reading", object_id=name)
        return None
