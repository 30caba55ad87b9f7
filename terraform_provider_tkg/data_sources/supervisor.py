"""``data.tkg_supervisor``: a Supervisor by name or by the name of the vSphere cluster it runs on.

Reads ``GET /api/vcenter/namespace-management/supervisors/summaries``, the Supervisor's clusters
(``…/supervisors/{id}/topology``, see ``VcenterClient.get_supervisor_clusters``) and ``GET /api/vcenter/cluster`` for
cluster names; the API endpoint comes from the summary (``APIEndpoint``) or, on older vCenters, from
``namespace-management/clusters/{cluster}``.
"""

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
    from ..api.vcenter import VcenterClient

__all__ = ["SCHEMA", "TYPE_NAME", "Model", "SupervisorDataSource", "from_api"]

TYPE_NAME = f"{PROVIDER_NAME}_supervisor"

SCHEMA = Schema(
    Block(
        description="Looks up a Supervisor by its name or by the name of its vSphere cluster (set exactly one).",
        attributes={
            "name": Attribute(
                t.String(),
                optional=True,
                computed=True,
                validators=(validators.length_between(1, 255),),
                description="Name of the Supervisor, e.g. `supervisor-1`.",
            ),
            "cluster": Attribute(
                t.String(),
                optional=True,
                computed=True,
                validators=(validators.length_between(1, 255),),
                description="Name of the vSphere cluster the Supervisor runs on, e.g. `Cluster-1`.",
            ),
            "id": Attribute(t.String(), computed=True, description="The Supervisor id (`supervisor` of namespaces)."),
            "cluster_id": Attribute(t.String(), computed=True, description="Id of that cluster, e.g. `domain-c8`."),
            "config_status": Attribute(
                t.String(), computed=True, description="`RUNNING`, `CONFIGURING`, `REMOVING` or `ERROR`."
            ),
            "kubernetes_status": Attribute(t.String(), computed=True, description="`READY`, `WARNING` or `ERROR`."),
            "api_endpoint": Attribute(
                t.String(), computed=True, description="The Supervisor's Kubernetes API endpoint (host or host:port)."
            ),
        },
    )
)


@dataclasses.dataclass
class Model:
    """``data.tkg_supervisor`` in Terraform terms."""

    name: str | None = None
    cluster: str | None = None
    id: str | None = None
    cluster_id: str | None = None
    config_status: str | None = None
    kubernetes_status: str | None = None
    api_endpoint: str | None = None


def from_api(
    obj: models.SupervisorSummary, *, cluster_id: str | None, cluster_name: str | None, endpoint: str | None
) -> Model:
    """The data source's state for a Supervisor."""
    return Model(
        name=obj.name,
        cluster=cluster_name,
        id=obj.supervisor,
        cluster_id=cluster_id,
        config_status=obj.config_status,
        kubernetes_status=obj.kubernetes_status,
        api_endpoint=endpoint,
    )


def _clusters_of(client: VcenterClient, supervisor: str) -> list[str]:
    try:
        return client.get_supervisor_clusters(supervisor)
    except errors.NotFound:
        return []


class SupervisorDataSource(DataSource):
    """Reads ``data.tkg_supervisor``."""

    type_name = TYPE_NAME
    schema = SCHEMA

    def validate(self, ctx: Context, config: dict[str, Any]) -> None:
        wanted = from_tf(Model, config)
        if (wanted.name is None) == (wanted.cluster is None):
            ctx.diagnostics.error(
                f"Invalid {TYPE_NAME} lookup",
                "Set exactly one of name (the Supervisor's name) or cluster (the name of its vSphere cluster).",
                ("name",),
            )

    def read(self, ctx: Context, config: dict[str, Any]) -> dict[str, Any] | None:
        settings = clients.settings_or_error(ctx, self.provider_data)
        if settings is None:
            return None
        client = clients.vcenter(settings)
        wanted = from_tf(Model, config)
        name, cluster = wanted.name, wanted.cluster
        searched = f"name {name!r}" if name is not None else f"cluster {cluster!r}"
        try:
            supervisors = client.list_supervisors()
            cluster_names = {c.cluster: c.name for c in client.list_clusters()}
            if name is not None:
                matches = [s for s in supervisors if s.name == name]
                existing = [s.name for s in supervisors]
            else:
                ids = {cid for cid, cname in cluster_names.items() if cname == cluster}
                matches = [s for s in supervisors if ids & set(_clusters_of(client, s.supervisor))]
                existing = [cluster_names.get(c, c) for s in supervisors for c in _clusters_of(client, s.supervisor)]
            found = _lookup.choose(
                ctx,
                matches,
                what="Supervisor",
                searched=searched,
                existing=existing,
                describe=[f"{s.name} ({s.supervisor})" for s in matches],
                hint="Look it up by cluster instead." if name is not None else "",
            )
            if found is None:
                return None
            cluster_ids = _clusters_of(client, found.supervisor)
            cluster_id = cluster_ids[0] if cluster_ids else None
            endpoint = found.APIEndpoint
            if not endpoint and cluster_id:
                try:
                    endpoint = client.get_supervisor_cluster(cluster_id).api_server_cluster_endpoint
                except errors.NotFound:
                    endpoint = None  # not configured yet (or a vCenter without the clusters API)
        except errors.ApiError as exc:
            reporting.report(ctx, exc, action="reading", object_id=str(name or cluster))
            return None
        return to_tf(
            from_api(
                found,
                cluster_id=cluster_id,
                cluster_name=cluster_names.get(cluster_id) if cluster_id else None,
                endpoint=endpoint,
            )
        )
