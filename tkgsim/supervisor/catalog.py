"""The explicit list of kinds the Supervisor serves (no auto-discovery, no import side effects)."""

from __future__ import annotations

import dataclasses

from tkgsim.profiles import Profile

from .api import v1 as core_v1
from .api.v1 import persistentvolumeclaims as core_v1_claims
from .apis.cluster_x_k8s_io import v1beta1 as capi_v1beta1
from .apis.cluster_x_k8s_io.v1beta1.clusters import cluster_schema
from .apis.cluster_x_k8s_io.v1beta1.platform import inject_platform_variables
from .apis.controlplane_cluster_x_k8s_io import v1beta1 as kcp_v1beta1
from .apis.kubernetes_vmware_com import v1alpha1 as kr_v1alpha1
from .apis.run_tanzu_vmware_com import v1alpha3 as tkr_v1alpha3
from .apis.storage_k8s_io import v1 as storage_v1
from .apis.vmoperator_vmware_com import v1alpha2 as vmop_v1alpha2
from .apis.vmoperator_vmware_com import v1alpha3 as vmop_v1alpha3
from .resources import Registry, ResourceType

__all__ = ["RESOURCE_TYPES", "registry"]

RESOURCE_TYPES: tuple[ResourceType, ...] = (
    core_v1.NAMESPACE,
    core_v1.SECRET,
    core_v1.RESOURCE_QUOTA,
    storage_v1.STORAGE_CLASS,
    capi_v1beta1.CLUSTER,
    capi_v1beta1.CLUSTER_CLASS,
    capi_v1beta1.MACHINE_DEPLOYMENT,
    kcp_v1beta1.KUBEADM_CONTROL_PLANE,
    tkr_v1alpha3.TANZU_KUBERNETES_RELEASE,
    tkr_v1alpha3.OSIMAGE,
    tkr_v1alpha3.CLUSTER_BOOTSTRAP,
    kr_v1alpha1.KUBERNETES_RELEASE,
    vmop_v1alpha2.VIRTUAL_MACHINE_CLASS,
    # The VM Service kinds at the version a vSphere 8.0 U3 Supervisor serves them (VM classes stay at v1alpha2).
    core_v1_claims.PERSISTENT_VOLUME_CLAIM,
    vmop_v1alpha3.VIRTUAL_MACHINE,
    vmop_v1alpha3.VIRTUAL_MACHINE_IMAGE,
    vmop_v1alpha3.CLUSTER_VIRTUAL_MACHINE_IMAGE,
    vmop_v1alpha3.VIRTUAL_MACHINE_SERVICE,
)


def _for_profile(rt: ResourceType, profile: Profile | None) -> ResourceType:
    """``rt`` as ``profile``'s Supervisor serves it (the Cluster schema and webhooks differ by release)."""
    if profile is None or rt is not capi_v1beta1.CLUSTER:
        return rt
    return dataclasses.replace(
        rt, schema=cluster_schema(profile.cluster_api), admit=(inject_platform_variables, *rt.admit)
    )


def registry(profile: Profile | None = None) -> Registry:
    """A registry of every served kind (as ``profile`` serves it; None: the permissive classic schema)."""
    return Registry(_for_profile(rt, profile) for rt in RESOURCE_TYPES)
