"""``tkg_cluster``: a TKG workload cluster, i.e. a Cluster API ``cluster.x-k8s.io/v1beta1`` Cluster on a ClusterClass
topology, managed through the Supervisor's Kubernetes API (``/apis/cluster.x-k8s.io/v1beta1/namespaces/{ns}/clusters``).

One module per concern, like the AWS provider's ``internal/service/<svc>/``:

- ``wire``: ClusterClass variable names and the label/annotation keys this resource writes or skips;
- ``model``: the typed model (one dataclass field per attribute);
- ``schema``: the Terraform schema; ``validation``: attribute validators and cross-field rules;
- ``expand``: model → Cluster manifest; ``flatten``: Cluster → model; ``patch``: the merge patch of an update;
- ``checks``: plan-time checks (version moves, and what the Supervisor offers);
- ``resource``: the CRUD of ``ClusterResource``.
"""

from __future__ import annotations

from .expand import to_api, trust_secret
from .flatten import WIRE_TO_TF_PATH, from_api, tf_path, trusted_ca_pems
from .model import (
    TYPE_NAME,
    Autoscaler,
    ControlPlane,
    Model,
    Network,
    NodePool,
    Proxy,
    Storage,
    Taint,
    TrustedCa,
    Volume,
)
from .patch import update_patch
from .resource import ClusterResource
from .schema import SCHEMA
from .validation import validate

__all__ = [
    "SCHEMA",
    "TYPE_NAME",
    "WIRE_TO_TF_PATH",
    "Autoscaler",
    "ClusterResource",
    "ControlPlane",
    "Model",
    "Network",
    "NodePool",
    "Proxy",
    "Storage",
    "Taint",
    "TrustedCa",
    "Volume",
    "from_api",
    "tf_path",
    "to_api",
    "trust_secret",
    "trusted_ca_pems",
    "update_patch",
    "validate",
]
