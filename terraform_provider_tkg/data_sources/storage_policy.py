"""``data.tkg_storage_policy``: a vSphere storage policy by name (``GET /api/vcenter/storage/policies``), for the
namespace's ``storage_policy`` blocks and a VM class's ``instance_storage``."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

from .. import clients, reporting
from .._naming import PROVIDER_NAME
from ..api import errors
from ..framework import types as t
from ..framework import validators
from ..framework.model import from_tf, to_tf
from ..framework.resource import Context, DataSource
from ..framework.schema import Attribute, Block, Schema
from . import _lookup

if TYPE_CHECKING:
    from ..api import models

__all__ = ["SCHEMA", "TYPE_NAME", "Model", "StoragePolicyDataSource", "from_api"]

TYPE_NAME = f"{PROVIDER_NAME}_storage_policy"

SCHEMA = Schema(
    Block(
        description="Looks up a vSphere storage policy by its exact name.",
        attributes={
            "name": Attribute(
                t.String(),
                required=True,
                validators=(validators.length_between(1, 255),),
                description="Exact name of the storage policy, e.g. `vSAN Default Storage Policy`.",
            ),
            "id": Attribute(t.String(), computed=True, description="The storage policy id (a UUID)."),
            "description": Attribute(t.String(), computed=True, description="The policy's description."),
        },
    )
)


@dataclasses.dataclass
class Model:
    """``data.tkg_storage_policy`` in Terraform terms."""

    name: str | None = None
    id: str | None = None
    description: str | None = None


def from_api(obj: models.StoragePolicy) -> Model:
    """The data source's state for a policy."""
    return Model(name=obj.name, id=obj.policy, description=obj.description)


class StoragePolicyDataSource(DataSource):
    """Reads ``data.tkg_storage_policy``."""

    type_name = TYPE_NAME
    schema = SCHEMA

    def read(self, ctx: Context, config: dict[str, Any]) -> dict[str, Any] | None:
        settings = clients.settings_or_error(ctx, self.provider_data)
        if settings is None:
            return None
        name = str(from_tf(Model, config).name)
        try:
            policies = clients.vcenter(settings).list_storage_policies()
        except errors.ApiError as exc:
            reporting.report(ctx, exc, action="reading", object_id=name)
            return None
        found = _lookup.choose(
            ctx,
            [p for p in policies if p.name == name],
            what="storage policy",
            plural="storage policies",
            searched=f"name {name!r}",
            existing=[p.name for p in policies],
            describe=[p.policy for p in policies if p.name == name],
        )
        return to_tf(from_api(found)) if found else None
