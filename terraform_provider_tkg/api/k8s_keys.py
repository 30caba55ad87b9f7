"""Well-known names on the Supervisor's Kubernetes objects: API groups, label and annotation keys.

Plain strings in a module of their own, so that code loaded at provider start-up can name them without importing
the wire models (``k8s_models``) or httpx (``supervisor``).
"""

from __future__ import annotations

__all__ = [
    "AUTOSCALER_MAX",
    "AUTOSCALER_MIN",
    "CAPI_GROUP",
    "CAPI_VERSION",
    "CLUSTER_NAME_LABEL",
    "KR_GROUP",
    "POOL_LABEL",
    "RESOLVE_OS_IMAGE",
    "TKR_GROUP",
    "TKR_LABEL",
]

CAPI_GROUP = "cluster.x-k8s.io"
CAPI_VERSION = "v1beta1"
TKR_GROUP = ("run.tanzu.vmware.com", "v1alpha3", "tanzukubernetesreleases")
KR_GROUP = ("kubernetes.vmware.com", "v1alpha1", "kubernetesreleases")
# The release the TKR resolver picked for a Cluster.
TKR_LABEL = "run.tanzu.vmware.com/tkr"
CLUSTER_NAME_LABEL = "cluster.x-k8s.io/cluster-name"
POOL_LABEL = "topology.cluster.x-k8s.io/deployment-name"
# OSImage selector (``os-name=ubuntu[,os-version=22.04]``) on the control plane's or a pool's topology metadata.
RESOLVE_OS_IMAGE = "run.tanzu.vmware.com/resolve-os-image"
# Node-group bounds read by the cluster autoscaler from a MachineDeployment topology's metadata.
AUTOSCALER_MIN = "cluster.x-k8s.io/cluster-api-autoscaler-node-group-min-size"
AUTOSCALER_MAX = "cluster.x-k8s.io/cluster-api-autoscaler-node-group-max-size"
