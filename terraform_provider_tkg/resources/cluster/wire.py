"""The Cluster API vocabulary this resource writes and reads: ClusterClass variable names and the keys of the labels
and annotations it sets or skips. Terraform names live in ``model``/``schema``; this module holds only wire names.
"""

from __future__ import annotations

import re
from typing import Any

# The token of the create that made the Cluster (``framework.inflight``): a create whose response was lost adopts an
# existing Cluster only when it carries the token this working directory's journal recorded; any other Cluster of the
# same name belongs to someone else and must be imported explicitly.
from ...ownership import CREATE_TOKEN_ANNOTATION

__all__ = [
    "CNI_ANNOTATION",
    "CP_OVERRIDES",
    "CREATE_TOKEN_ANNOTATION",
    "DEFAULTED_VARIABLES",
    "DEFAULT_CLUSTER_CLASS",
    "DEFAULT_CNI",
    "MANAGED_VARIABLES",
    "NODE_POOL_CLASS",
    "OWNER_ANNOTATION",
    "OWNER_VALUE",
    "PLATFORM_VARIABLES",
    "SYSTEM_KEY",
    "SYSTEM_VARIABLES",
    "TRUST_SECRET_SUFFIX",
]

DEFAULT_CLUSTER_CLASS = "tanzukubernetescluster"
NODE_POOL_CLASS = "node-pool"

# ClusterClass variables (reference §3.2, the schema of ``tanzukubernetescluster`` / ``builtin-generic-v3.1.0``).
VAR_VM_CLASS = "vmClass"
VAR_STORAGE_CLASS = "storageClass"
VAR_CP_VOLUMES = "controlPlaneVolumes"
VAR_POOL_VOLUMES = "nodePoolVolumes"
VAR_POOL_LABELS = "nodePoolLabels"
VAR_POOL_TAINTS = "nodePoolTaints"
VAR_STORAGE_CLASSES = "storageClasses"
VAR_DEFAULT_STORAGE_CLASS = "defaultStorageClass"
VAR_PROXY = "proxy"
VAR_TRUST = "trust"
VAR_TKR_DATA = "TKR_DATA"
# Cluster-level variables this resource writes from typed attributes (the ``variables`` map may not name them).
MANAGED_VARIABLES = (
    VAR_VM_CLASS,
    VAR_STORAGE_CLASS,
    VAR_CP_VOLUMES,
    VAR_STORAGE_CLASSES,
    VAR_DEFAULT_STORAGE_CLASS,
    VAR_PROXY,
    VAR_TRUST,
)
CP_OVERRIDES = (VAR_VM_CLASS, VAR_STORAGE_CLASS)
# Variables the server adds or defaults by itself: never imported into ``variables``.
SYSTEM_VARIABLES = (VAR_TKR_DATA,)
# Variables the Supervisor's webhook injects into every new Cluster of the ``tanzukubernetescluster`` /
# ``builtin-generic-v3.1.0`` classes (VMware lists them for GitOps tools to ignore). A user may still declare them;
# import never takes them (their values are the platform's, and ``clusterEncryptionConfigYaml`` holds a key).
PLATFORM_VARIABLES = ("user", "ntp", "extensionCert", "clusterEncryptionConfigYaml")
# Values the Supervisor's defaulting gives a variable the Cluster left out (reference §3.2): import skips a variable
# that holds exactly its default, since nobody wrote it.
DEFAULTED_VARIABLES: dict[str, Any] = {
    "controlPlaneCertificateRotation": {"activate": True, "daysBefore": 90},
    "podSecurityStandard": {
        "enforce": "baseline",
        "enforceVersion": "latest",
        "audit": "restricted",
        "auditVersion": "latest",
        "warn": "restricted",
        "warnVersion": "latest",
        "deactivated": False,
        "exemptions": {"namespaces": []},
    },
}

# Set on the trusted-CA Secret, and on Clusters by provider versions before the create token; only informational
# (never a reason to adopt), and hidden from ``annotations``.
OWNER_ANNOTATION = "tkg-oss.io/managed-by"
OWNER_VALUE = "terraform-provider-tkg"
# The CNI choice. The Supervisor selects a CNI through the cluster's ClusterBootstrap (``spec.cni.refName``), which
# this provider creates before the Cluster; without one the Supervisor installs its default, Antrea. The annotation
# records that the configuration named a CNI (import then reports it even when it is the default), and is what is
# read when no ClusterBootstrap can be.
CNI_ANNOTATION = "tkg-oss.io/cni"
DEFAULT_CNI = "antrea"
TRUST_SECRET_SUFFIX = "-user-trusted-ca-secret"
# Label/annotation keys the platform sets: never imported into ``labels``/``annotations``.
SYSTEM_KEY = re.compile(
    r"^(run\.tanzu\.vmware\.com/|cluster\.x-k8s\.io/|topology\.cluster\.x-k8s\.io/|kubernetes\.vmware\.com/|"
    r"kubectl\.kubernetes\.io/|tkg-oss\.io/|tkg\.tanzu\.vmware\.com/)"
)
