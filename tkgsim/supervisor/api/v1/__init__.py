"""Core ``v1`` kinds served by the Supervisor: Namespace, Secret, ResourceQuota (``/api/v1/...``)."""

from __future__ import annotations

from ...columns import path
from ...resources import Column, ResourceType

__all__ = ["NAMESPACE", "RESOURCE_QUOTA", "SECRET"]

NAMESPACE = ResourceType(
    group="",
    version="v1",
    kind="Namespace",
    plural="namespaces",
    namespaced=False,
    short_names=("ns",),
    builtin=True,
    columns=(Column("Status", "string", lambda o: path(o, "status.phase")),),
)

SECRET = ResourceType(
    group="",
    version="v1",
    kind="Secret",
    plural="secrets",
    namespaced=True,
    builtin=True,
    status_subresource=False,
    columns=(
        Column("Type", "string", lambda o: o.get("type", "Opaque")),
        Column("Data", "integer", lambda o: len(o.get("data") or {})),
    ),
)

RESOURCE_QUOTA = ResourceType(
    group="",
    version="v1",
    kind="ResourceQuota",
    plural="resourcequotas",
    namespaced=True,
    short_names=("quota",),
    builtin=True,
)
