"""``data.tkg_kubernetes_releases``: the Kubernetes releases a Supervisor offers for workload clusters.

Reads ``kubernetes.vmware.com/v1alpha1`` KubernetesReleases where the Supervisor serves them (VKS), else
``run.tanzu.vmware.com/v1alpha3`` TanzuKubernetesReleases; ``os_name`` filters by the OSImages
(``run.tanzu.vmware.com/v1alpha3`` ``osimages``, label ``os-name``) each release ships.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from .. import clients
from .._naming import PROVIDER_NAME
from ..api import errors
from ..framework import logs, validators
from ..framework import types as t
from ..framework.model import from_tf, many, to_tf
from ..framework.resource import Context, DataSource
from ..framework.schema import Attribute, Block, Schema

__all__ = ["SCHEMA", "TYPE_NAME", "KubernetesReleasesDataSource", "Model", "Release", "select"]

TYPE_NAME = f"{PROVIDER_NAME}_kubernetes_releases"

_RELEASE = t.Object(
    {
        "name": t.String(),
        "version": t.String(),
        "kubernetes_version": t.String(),
        "ready": t.Bool(),
        "compatible": t.Bool(),
    }
)

SCHEMA = Schema(
    Block(
        description="Kubernetes releases (KubernetesRelease/TanzuKubernetesRelease) offered by the Supervisor.",
        attributes={
            "version_prefix": Attribute(
                t.String(),
                optional=True,
                description="Only releases whose name starts with this version, e.g. `v1.31` (`+` may be written "
                "for `---`).",
                validators=(
                    validators.matches(r"v?\d+(\.\d+){0,2}([-+.][0-9A-Za-z.+-]*)?", "use a version such as v1.31."),
                ),
            ),
            "os_name": Attribute(
                t.String(), optional=True, description="Only releases with an OS image for this OS, e.g. `ubuntu`."
            ),
            "compatible_only": Attribute(
                t.Bool(),
                optional=True,
                computed=True,
                default=True,
                description="Only releases usable for new clusters: compatible, ready, not deactivated (default true).",
            ),
            "releases": Attribute(t.List(_RELEASE), computed=True, description="Matching releases, newest first."),
            "latest": Attribute(
                t.String(), computed=True, description="Name of the newest matching release (null when none matches)."
            ),
        },
    )
)


@dataclasses.dataclass
class Release:
    """One element of ``releases``."""

    name: str | None = None
    version: str | None = None
    kubernetes_version: str | None = None
    ready: bool | None = None
    compatible: bool | None = None


@dataclasses.dataclass
class Model:
    """``data.tkg_kubernetes_releases`` in Terraform terms."""

    version_prefix: str | None = None
    os_name: str | None = None
    compatible_only: bool | None = True
    releases: list[Release] = many(Release)  # noqa: RUF009 (a field)
    latest: str | None = None


def select(
    releases: list[Any], *, version_prefix: str | None, os_releases: set[str] | None, compatible_only: bool
) -> list[Release]:
    """The ``releases`` attribute: matching releases, newest first (``releases`` is sorted newest first already)."""
    from ..api import supervisor

    out = []
    for release in releases:
        name = release.metadata.name
        if version_prefix and not supervisor.release_matches(version_prefix, release):
            continue
        if os_releases is not None and name not in os_releases:
            continue
        if compatible_only and not supervisor.release_usable(release):
            continue
        out.append(
            Release(
                name=name,
                version=release.spec.version,
                kubernetes_version=release.spec.kubernetes.version,
                ready=release.ready,
                compatible=release.compatible and not release.excluded_by,
            )
        )
    return out


class KubernetesReleasesDataSource(DataSource):
    type_name = TYPE_NAME
    schema = SCHEMA

    def read(self, ctx: Context, config: dict[str, Any]) -> dict[str, Any] | None:
        with logs.resource_context(TYPE_NAME):
            settings = clients.settings_or_error(ctx, self.provider_data)
            if settings is None:
                return None
            client = clients.supervisor(settings)
            model = from_tf(Model, config)
            model.compatible_only = True if model.compatible_only is None else bool(model.compatible_only)
            try:
                releases = client.list_releases()
                os_releases = client.list_release_names_for_os(model.os_name) if model.os_name else None
            except errors.ApiError as exc:
                ctx.diagnostics.error(f"reading {TYPE_NAME}", exc.describe())
                return None
            model.releases = select(
                releases,
                version_prefix=model.version_prefix,
                os_releases=os_releases,
                compatible_only=model.compatible_only,
            )
            model.latest = model.releases[0].name if model.releases else None
            return to_tf(model)
