"""The typed model of ``tkg_cluster``: one dataclass field per attribute, nested blocks as nested dataclasses
(values may be ``Unknown`` at plan time). Built with ``framework.model.from_tf`` / ``to_tf``.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from ..._naming import PROVIDER_NAME
from ...framework.model import group, many, single
from .wire import DEFAULT_CLUSTER_CLASS

__all__ = [
    "TYPE_NAME",
    "Autoscaler",
    "ControlPlane",
    "Model",
    "Network",
    "NodePool",
    "Proxy",
    "Storage",
    "Taint",
    "TrustedCa",
    "Volume",
    "label",
]

TYPE_NAME = f"{PROVIDER_NAME}_cluster"


@dataclasses.dataclass
class Volume:
    name: str = ""
    mount_path: str = ""
    capacity_gib: int = 0
    storage_class: str | None = None


@dataclasses.dataclass
class Taint:
    key: str = ""
    value: str | None = None
    effect: str = ""


@dataclasses.dataclass
class Autoscaler:
    min_size: int = 0
    max_size: int = 0


@dataclasses.dataclass
class ControlPlane:
    replicas: int | None = 1
    vm_class: str | None = None
    storage_class: str | None = None
    node_drain_timeout: str | None = None
    os_name: str | None = None
    os_version: str | None = None
    volume: list[Volume] = many(Volume)  # noqa: RUF009 (a dataclasses.field)


@dataclasses.dataclass
class NodePool:
    name: str = ""
    replicas: int | None = None
    vm_class: str | None = None
    storage_class: str | None = None
    failure_domain: str | None = None
    os_name: str | None = None
    os_version: str | None = None
    labels: dict[str, str] | None = None
    autoscaler: Autoscaler | None = single(Autoscaler)  # noqa: RUF009 (a dataclasses.field)
    taint: list[Taint] = many(Taint)  # noqa: RUF009 (a dataclasses.field)
    volume: list[Volume] = many(Volume)  # noqa: RUF009 (a dataclasses.field)


@dataclasses.dataclass
class Proxy:
    http_proxy: str | None = None
    https_proxy: str | None = None
    no_proxy: list[str] | None = None


@dataclasses.dataclass
class TrustedCa:
    name: str = ""
    pem: str = ""


@dataclasses.dataclass
class Network:
    pods_cidr_blocks: list[str] | None = None
    services_cidr_blocks: list[str] | None = None
    service_domain: str | None = None
    cni: str | None = None
    proxy: Proxy | None = single(Proxy)  # noqa: RUF009 (a dataclasses.field)
    trusted_ca: list[TrustedCa] = many(TrustedCa)  # noqa: RUF009 (a dataclasses.field)


@dataclasses.dataclass
class Storage:
    classes: list[str] | None = None
    default_class: str | None = None


@dataclasses.dataclass
class Model:
    id: str | None = None
    name: str = ""
    namespace: str = ""
    cluster_class: str | None = DEFAULT_CLUSTER_CLASS
    cluster_class_namespace: str | None = None
    kubernetes_version: str | None = None
    vm_class: str | None = None
    storage_class: str | None = None
    labels: dict[str, str] | None = None
    annotations: dict[str, str] | None = None
    variables: dict[str, str] | None = None
    wait_for_ready: bool | None = True
    phase: str | None = None
    ready: bool | None = None
    api_endpoint: str | None = None
    conditions: list[dict[str, Any]] | None = None
    kubeconfig: str | None = None
    control_plane: ControlPlane = group(ControlPlane)  # noqa: RUF009 (a dataclasses.field)
    node_pool: list[NodePool] = many(NodePool)  # noqa: RUF009 (a dataclasses.field)
    network: Network | None = single(Network)  # noqa: RUF009 (a dataclasses.field)
    storage: Storage | None = single(Storage)  # noqa: RUF009 (a dataclasses.field)
    timeouts: dict[str, Any] | None = None


def label(model: Model) -> str:
    """``namespace/name``: the cluster's id, import ID and name in messages."""
    return f"{model.namespace}/{model.name}"
