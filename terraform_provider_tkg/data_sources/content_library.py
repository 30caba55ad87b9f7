"""``data.tkg_content_library``: a content library by name (``POST /api/content/library?action=find``, then
``GET /api/content/library/{id}``), for a namespace's ``content_libraries``."""

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

__all__ = ["SCHEMA", "TYPE_NAME", "ContentLibraryDataSource", "Model", "from_api"]

TYPE_NAME = f"{PROVIDER_NAME}_content_library"

SCHEMA = Schema(
    Block(
        description="Looks up a vSphere content library by name (matched case-insensitively, as vCenter does).",
        attributes={
            "name": Attribute(
                t.String(),
                required=True,
                validators=(validators.length_between(1, 255),),
                description="Name of the content library, e.g. `Kubernetes Service Content Library`.",
            ),
            "id": Attribute(t.String(), computed=True, description="The library id (a UUID)."),
            "type": Attribute(t.String(), computed=True, description="`LOCAL` or `SUBSCRIBED`."),
            "description": Attribute(t.String(), computed=True, description="The library's description."),
        },
    )
)


@dataclasses.dataclass
class Model:
    """``data.tkg_content_library`` in Terraform terms."""

    name: str | None = None
    id: str | None = None
    type: str | None = None
    description: str | None = None


def from_api(obj: models.ContentLibrary, name: str) -> Model:
    """The data source's state for a library (``name`` as configured, so the state matches the configuration)."""
    return Model(name=name, id=obj.id, type=obj.type, description=obj.description)


class ContentLibraryDataSource(DataSource):
    """Reads ``data.tkg_content_library``."""

    type_name = TYPE_NAME
    schema = SCHEMA

    def read(self, ctx: Context, config: dict[str, Any]) -> dict[str, Any] | None:
        settings = clients.settings_or_error(ctx, self.provider_data)
        if settings is None:
            return None
        name = str(from_tf(Model, config).name)
        client = clients.vcenter(settings)
        try:
            libraries = [client.get_content_library(i) for i in client.find_content_libraries(name=name)]
            matches = [lib for lib in libraries if lib.name.lower() == name.lower()]
            existing = [lib.name for lib in client.list_content_libraries()] if len(matches) != 1 else []
        except errors.ApiError as exc:
            reporting.report(ctx, exc, action="reading", object_id=name)
            return None
        found = _lookup.choose(
            ctx,
            matches,
            what="content library",
            plural="content libraries",
            searched=f"name {name!r}",
            existing=existing,
            describe=[lib.id for lib in matches],
        )
        return to_tf(from_api(found, name)) if found else None
