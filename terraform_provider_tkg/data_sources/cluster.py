"""``data.tkg_cluster``: an existing TKG cluster read by ``namespace``/``name``, for configurations that use a
cluster without managing it (``GET /apis/cluster.x-k8s.io/v1beta1/namespaces/{ns}/clusters/{name}`` and its
MachineDeployments)."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

from .. import clients
from .._naming import PROVIDER_NAME
from ..api import errors
from ..api.k8s_keys import POOL_LABEL, TKR_LABEL
from ..framework import types as t
from ..framework import validators
from ..framework.model import to_tf
from ..framework.resource import Context, DataSource
from ..framework.schema import Attribute, Block, Schema

if TYPE_CHECKING:
    from ..api import k8s_models as k8s

__all__ = ["SCHEMA", "TYPE_NAME", "ClusterDataSource", "Model", "from_api"]

TYPE_NAME = f"{PROVIDER_NAME}_cluster"

_POOL = t.Object(
    {
        "name": t.String(),
        "replicas": t.Number(),
        "ready_replicas": t.Number(),
        "vm_class": t.String(),
        "min_size": t.Number(),
        "max_size": t.Number(),
    }
)
_CONDITION = t.Object({"type": t.String(), "status": t.String(), "reason": t.String(), "message": t.String()})


@dataclasses.dataclass
class Model:
    namespace: str = ""
    name: str = ""
    id: str | None = None
    kubernetes_version: str | None = None
    kubernetes_server_version: str | None = None
    cluster_class: str | None = None
    phase: str | None = None
    ready: bool | None = None
    api_endpoint: str | None = None
    vm_class: str | None = None
    storage_class: str | None = None
    control_plane_replicas: int | None = None
    labels: dict[str, str] | None = None
    node_pools: list[dict[str, Any]] | None = None
    conditions: list[dict[str, Any]] | None = None


SCHEMA = Schema(
    Block(
        description="Reads an existing TKG workload cluster (one this configuration does not manage).",
        attributes={
            "namespace": Attribute(
                t.String(), required=True, validators=(validators.dns1123_label,), description="Its vSphere Namespace."
            ),
            "name": Attribute(
                t.String(), required=True, validators=(validators.dns1123_label,), description="The cluster's name."
            ),
            "id": Attribute(t.String(), computed=True, description="`namespace/name`."),
            "kubernetes_version": Attribute(
                t.String(),
                computed=True,
                description="The release the cluster runs, as `tkg_cluster.kubernetes_version` names it "
                "(e.g. `v1.30.8---vmware.1-fips-vkr.1`).",
            ),
            "kubernetes_server_version": Attribute(
                t.String(), computed=True, description="The topology version, e.g. `v1.30.8+vmware.1-fips`."
            ),
            "cluster_class": Attribute(t.String(), computed=True, description="The ClusterClass."),
            "phase": Attribute(t.String(), computed=True, description="Cluster API phase (e.g. `Provisioned`)."),
            "ready": Attribute(t.Bool(), computed=True, description="Whether the `Ready` condition is true."),
            "api_endpoint": Attribute(t.String(), computed=True, description="`https://host:port` of its API."),
            "vm_class": Attribute(t.String(), computed=True, description="The cluster-wide `vmClass` variable."),
            "storage_class": Attribute(t.String(), computed=True, description="The `storageClass` variable."),
            "control_plane_replicas": Attribute(t.Number(), computed=True, description="Control-plane nodes."),
            "labels": Attribute(t.Map(t.String()), computed=True, description="Labels of the Cluster object."),
            "node_pools": Attribute(
                t.List(_POOL),
                computed=True,
                description="Node pools in spec order: `name`, `replicas` (null when autoscaled), `ready_replicas`, "
                "`vm_class` (the pool's override or the cluster's), `min_size`/`max_size` (autoscaler bounds or null).",
            ),
            "conditions": Attribute(t.List(_CONDITION), computed=True, description="The Cluster's conditions."),
        },
    )
)


def _variable(variables: list[k8s.ClusterVariable] | None, name: str) -> Any:
    for var in variables or []:
        if var.name == name:
            return var.value
    return None


def from_api(obj: k8s.Cluster, deployments: list[k8s.MachineDeployment]) -> Model:
    """The data source's view of a Cluster and its MachineDeployments."""
    from ..api.k8s_keys import AUTOSCALER_MAX, AUTOSCALER_MIN

    topology = obj.spec.topology
    status = obj.status
    ready_by_pool = {
        (md.metadata.labels or {}).get(POOL_LABEL): (md.status.readyReplicas if md.status else None) or 0
        for md in deployments
    }
    cluster_vm_class = str(_variable(topology.variables if topology else None, "vmClass") or "") or None
    pools = []
    for md in (topology.workers.machineDeployments if topology and topology.workers else None) or []:
        annotations = (md.metadata.annotations if md.metadata else None) or {}
        override = _variable(md.variables.overrides if md.variables else None, "vmClass")
        pools.append(
            {
                "name": md.name,
                "replicas": md.replicas,
                "ready_replicas": ready_by_pool.get(md.name, 0),
                "vm_class": override or cluster_vm_class,
                "min_size": int(annotations[AUTOSCALER_MIN]) if AUTOSCALER_MIN in annotations else None,
                "max_size": int(annotations[AUTOSCALER_MAX]) if AUTOSCALER_MAX in annotations else None,
            }
        )
    endpoint = obj.spec.controlPlaneEndpoint
    conditions = [
        {"type": c.type, "status": c.status, "reason": c.reason or "", "message": c.message or ""}
        for c in (status.conditions if status else None) or []
    ]
    return Model(
        namespace=obj.metadata.namespace or "",
        name=obj.metadata.name,
        id=f"{obj.metadata.namespace}/{obj.metadata.name}",
        kubernetes_version=(obj.metadata.labels or {}).get(TKR_LABEL) or (topology.version if topology else None),
        kubernetes_server_version=topology.version if topology else None,
        cluster_class=topology.class_ if topology else None,
        phase=status.phase if status else None,
        ready=any(c["type"] == "Ready" and c["status"] == "True" for c in conditions),
        api_endpoint=f"https://{endpoint.host}:{endpoint.port}" if endpoint and endpoint.host else None,
        vm_class=cluster_vm_class,
        storage_class=str(_variable(topology.variables if topology else None, "storageClass") or "") or None,
        control_plane_replicas=(topology.controlPlane.replicas if topology and topology.controlPlane else None),
        labels=dict(obj.metadata.labels or {}),
        node_pools=pools,
        conditions=conditions,
    )


class ClusterDataSource(DataSource):
    """Reads ``data.tkg_cluster``."""

    type_name = TYPE_NAME
    schema = SCHEMA

    def read(self, ctx: Context, config: dict[str, Any]) -> dict[str, Any] | None:
        settings = clients.settings_or_error(ctx, self.provider_data)
        if settings is None:
            return None
        namespace, name = str(config["namespace"]), str(config["name"])
        client = clients.supervisor(settings)
        try:
            obj = client.get_cluster(namespace, name)
            deployments = client.list_machine_deployments(namespace, name)
        except errors.NotFound:
            try:
                existing = [c.metadata.name for c in client.list_clusters(namespace)]
            except errors.ApiError:
                existing = []
            ctx.diagnostics.error(
                f"reading {TYPE_NAME}: cluster {namespace}/{name} not found",
                f"No cluster {name!r} in namespace {namespace!r}. Existing: {', '.join(sorted(existing)) or 'none'}.",
                ("name",),
            )
            return None
        except errors.ApiError as exc:
            ctx.diagnostics.error(f"reading {TYPE_NAME} ({namespace}/{name})", f"The Supervisor said: {exc.describe()}")
            return None
        return to_tf(from_api(obj, deployments))
