"""``data.tkg_supervisor_namespace``: a vSphere Namespace by name, with its settings and status
(``GET /api/vcenter/namespaces/instances/v2/{namespace}``)."""

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
from ..resources import supervisor_namespace as resource
from . import _lookup

if TYPE_CHECKING:
    from ..api import models

__all__ = ["SCHEMA", "TYPE_NAME", "SupervisorNamespaceDataSource", "from_api"]

TYPE_NAME = f"{PROVIDER_NAME}_supervisor_namespace"

_STORAGE = t.Object({"policy": t.String(), "limit_mib": t.Number()})
_LIMITS = t.Object({name: t.Number() for name in resource.LIMITS})
_ACCESS = t.Object({"subject": t.String(), "subject_type": t.String(), "domain": t.String(), "role": t.String()})

SCHEMA = Schema(
    Block(
        description="Reads a vSphere Namespace by name: Supervisor, storage, limits, classes, libraries and access.",
        attributes={
            "name": Attribute(
                t.String(), required=True, validators=(validators.dns1123_label,), description="Namespace name."
            ),
            "id": Attribute(t.String(), computed=True, description="The namespace id (equal to `name`)."),
            "supervisor": Attribute(t.String(), computed=True, description="Id of the Supervisor hosting it."),
            "description": Attribute(t.String(), computed=True, description="Description (may be empty)."),
            "vm_classes": Attribute(t.Set(t.String()), computed=True, description="VM class ids it may use."),
            "content_libraries": Attribute(
                t.Set(t.String()), computed=True, description="Content library ids for VM Service images."
            ),
            "storage_policy": Attribute(
                t.List(_STORAGE),
                computed=True,
                description="Storage policies, each with `policy` (id) and `limit_mib` (null = no limit).",
            ),
            "limits": Attribute(
                _LIMITS,
                computed=True,
                description="Resource limits with the same attributes as the resource's `limits` block (`cpu_mhz`, "
                "`memory_mib`, `storage_mib`, `pod_count`, …); null ones are unlimited.",
            ),
            "access": Attribute(
                t.List(_ACCESS),
                computed=True,
                description="Access entries, each with `subject`, `subject_type`, `domain` and `role`.",
            ),
            "config_status": Attribute(
                t.String(), computed=True, description="`RUNNING`, `CONFIGURING`, `REMOVING` or `ERROR`."
            ),
            "storage_classes": Attribute(
                t.List(t.String()), computed=True, description="Kubernetes storage classes the namespace exposes."
            ),
        },
    )
)


def from_api(obj: models.NamespaceInfo, *, storage_classes: list[str]) -> dict[str, Any]:
    """The data source's state: the resource's view of the namespace, with empty values spelled out."""
    model = resource.from_api(
        obj, resource.Model(description="", vm_classes=[], content_libraries=[]), storage_classes=storage_classes
    )
    state = to_tf(model)
    for key in ("force_delete", "timeouts"):
        state.pop(key, None)
    return state


class SupervisorNamespaceDataSource(DataSource):
    """Reads ``data.tkg_supervisor_namespace``."""

    type_name = TYPE_NAME
    schema = SCHEMA

    def read(self, ctx: Context, config: dict[str, Any]) -> dict[str, Any] | None:
        settings = clients.settings_or_error(ctx, self.provider_data)
        if settings is None:
            return None
        name = str(config["name"])
        client = clients.vcenter(settings)
        try:
            obj = client.get_namespace(name)
            classes = resource.supervisor_storage_classes(self.provider_data, name, None)
            return from_api(obj, storage_classes=classes)
        except errors.NotFound:
            try:
                existing = [n.namespace for n in client.list_namespaces()]
            except errors.ApiError:
                existing = []
            # Names are unique in a vCenter, so a lookup by name finds one namespace or none.
            _lookup.choose(ctx, [], what="namespace", searched=f"name {name!r}", existing=existing)
        except errors.ApiError as exc:
            reporting.report(ctx, exc, action="reading", object_id=name)
        return None
