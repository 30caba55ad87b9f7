"""``data.tkg_virtual_machine_image``: one VM Service image (``vmoperator.vmware.com/v1alpha3`` VirtualMachineImage in
a namespace, or ClusterVirtualMachineImage) found by name, display name or guest OS.

Without ``namespace`` only cluster-wide images are searched (the OS images of the Kubernetes releases); with it, the
namespace's images (from its content libraries) come first, as VM Operator resolves them. ``latest`` picks the newest
(OS version, then image version, then display name) when several match.
"""

from __future__ import annotations

import dataclasses
import re
from typing import TYPE_CHECKING, Any

from .. import clients
from .._naming import PROVIDER_NAME
from ..api import errors
from ..framework import types as t
from ..framework import validators
from ..framework.model import from_tf, to_tf
from ..framework.resource import Context, DataSource
from ..framework.schema import Attribute, Block, Schema
from . import _lookup

if TYPE_CHECKING:
    from ..api.vmservice import Image

__all__ = ["SCHEMA", "TYPE_NAME", "Model", "VirtualMachineImageDataSource", "matching", "newest_first"]

TYPE_NAME = f"{PROVIDER_NAME}_virtual_machine_image"


@dataclasses.dataclass
class Model:
    namespace: str | None = None
    name: str | None = None
    os_name: str | None = None
    os_version: str | None = None
    latest: bool | None = False
    id: str | None = None
    kind: str | None = None
    resource_name: str | None = None
    display_name: str | None = None
    os_id: str | None = None
    os_type: str | None = None
    product: str | None = None
    image_version: str | None = None
    hardware_version: int | None = None
    firmware: str | None = None
    capabilities: list[str] | None = None


SCHEMA = Schema(
    Block(
        description="Finds one VM Service image by name, display name or OS, in a namespace and cluster-wide.",
        attributes={
            "namespace": Attribute(
                t.String(),
                optional=True,
                validators=(validators.dns1123_label,),
                description="vSphere Namespace whose images (from its content libraries) are searched too; without "
                "it only cluster-wide images are.",
            ),
            "name": Attribute(
                t.String(),
                optional=True,
                validators=(validators.length_between(1, 255),),
                description="Image object name (`vmi-…`) or display name (e.g. `ubuntu-22.04-vmservice-v20240415`).",
            ),
            "os_name": Attribute(
                t.String(),
                optional=True,
                validators=(validators.length_between(1, 64),),
                description="Guest OS, matched case-insensitively against the start of the guest OS id "
                "(`ubuntu64Guest`) or of the product name (`Ubuntu 22.04`), e.g. `ubuntu` or `photon`.",
            ),
            "os_version": Attribute(
                t.String(),
                optional=True,
                computed=True,
                validators=(validators.length_between(1, 32),),
                description="OS version, exactly (`22.04`) or as a prefix ending in `.` or `*` (`9.`, `22*`); when "
                "not set, the found image's OS version.",
            ),
            "latest": Attribute(
                t.Bool(),
                optional=True,
                description="When several images match, take the newest instead of failing (default `false`).",
            ),
            "id": Attribute(t.String(), computed=True, description="`<kind>/<resource_name>`."),
            "kind": Attribute(
                t.String(), computed=True, description="`VirtualMachineImage` or `ClusterVirtualMachineImage`."
            ),
            "resource_name": Attribute(t.String(), computed=True, description="The image's object name (`vmi-…`)."),
            "display_name": Attribute(t.String(), computed=True, description="The content library item's name."),
            "os_id": Attribute(t.String(), computed=True, description="Guest OS id, e.g. `ubuntu64Guest`."),
            "os_type": Attribute(t.String(), computed=True, description="OS type, e.g. `Linux`."),
            "product": Attribute(t.String(), computed=True, description="Product name, e.g. `Ubuntu 22.04`."),
            "image_version": Attribute(t.String(), computed=True, description="The image's product version."),
            "hardware_version": Attribute(t.Number(), computed=True, description="Virtual hardware version."),
            "firmware": Attribute(t.String(), computed=True, description="`bios` or `efi`."),
            "capabilities": Attribute(
                t.List(t.String()), computed=True, description="Capabilities, e.g. `cloud-init`."
            ),
        },
    )
)


def _version_key(text: str | None) -> tuple[Any, ...]:
    return tuple(int(p) if p.isdigit() else p for p in re.split(r"[.\-+]", text or ""))


def newest_first(images: list[Image]) -> list[Image]:
    """Newest first: OS version, then image version, then display name."""
    return sorted(
        images,
        key=lambda i: (_version_key(i.os_version), _version_key(i.image_version), i.display_name or ""),
        reverse=True,
    )


def _os_matches(image: Image, os_name: str) -> bool:
    wanted = os_name.lower()
    return any(str(v or "").lower().startswith(wanted) for v in (image.os_id, image.product, image.display_name))


def _version_matches(image: Image, version: str) -> bool:
    have = str(image.os_version or "")
    if version.endswith("*"):
        return have.startswith(version[:-1])
    if version.endswith("."):
        return have.startswith(version)
    return have == version


def matching(images: list[Image], query: Model) -> list[Image]:
    """The images a query selects (by name as VM Operator resolves it, then OS filters)."""
    from ..api import vmservice

    found = images
    if query.name:
        found = vmservice.resolve_image(images, query.name, query.namespace)
    if query.os_name:
        found = [i for i in found if _os_matches(i, query.os_name)]
    if query.os_version:
        found = [i for i in found if _version_matches(i, query.os_version)]
    return found


class VirtualMachineImageDataSource(DataSource):
    """Reads ``data.tkg_virtual_machine_image``."""

    type_name = TYPE_NAME
    schema = SCHEMA

    def validate(self, ctx: Context, config: dict[str, Any]) -> None:
        if all(config.get(k) is None for k in ("name", "os_name", "os_version")):
            ctx.diagnostics.error(
                "Missing image criteria",
                "Set at least one of name, os_name or os_version to select an image.",
            )

    def read(self, ctx: Context, config: dict[str, Any]) -> dict[str, Any] | None:
        settings = clients.settings_or_error(ctx, self.provider_data)
        if settings is None:
            return None
        query = from_tf(Model, config)
        try:
            images = clients.vm_service(settings).list_images(query.namespace)
        except errors.ApiError as exc:
            ctx.diagnostics.error(f"reading {TYPE_NAME}", f"The Supervisor said: {exc.describe()}")
            return None
        found = newest_first(matching(images, query))
        if query.latest and found:
            found = found[:1]
        searched = ", ".join(
            f"{k} {getattr(query, k)!r}" for k in ("name", "os_name", "os_version") if getattr(query, k)
        ) + (f" in namespace {query.namespace!r} and cluster-wide" if query.namespace else " cluster-wide")
        image = _lookup.choose(
            ctx,
            found,
            what="VM image",
            searched=searched,
            existing=[str(i.display_name) for i in images],
            describe=[f"{i.display_name} ({i.name})" for i in found],
            hint="Narrow it with os_version or name, or set latest = true.",
        )
        if image is None:
            return None
        result = dataclasses.replace(
            query,
            id=f"{image.kind}/{image.name}",
            kind=image.kind,
            resource_name=image.name,
            display_name=image.display_name,
            os_id=image.os_id,
            # Terraform keeps a configured value as written; only an unset one is filled in.
            os_version=query.os_version or image.os_version,
            os_type=image.os_type,
            product=image.product,
            image_version=image.image_version,
            hardware_version=image.hardware_version,
            firmware=image.firmware,
            capabilities=list(image.capabilities or []),
        )
        return to_tf(result)
