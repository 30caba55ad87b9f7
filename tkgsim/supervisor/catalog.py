"""The explicit list of kinds the Supervisor serves (no auto-discovery, no import side effects)."""

from __future__ import annotations

from .api import v1 as core_v1
from .api.v1 import persistentvolumeclaims as core_v1_claims
from .apis.cluster_x_k8s_io import v1beta1 as capi_v1beta1
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
    kr_v1alpha1.KUBERNETES_RELEASE,
    vmop_v1alpha2.VIRTUAL_MACHINE_CLASS,
    # The VM Service kinds at the version a vSphere 8.0 U3 Supervisor serves them (VM classes stay at v1alpha2).
    core_v1_claims.PERSISTENT_VOLUME_CLAIM,
    vmop_v1alpha3.VIRTUAL_MACHINE,
    vmop_v1alpha3.VIRTUAL_MACHINE_IMAGE,
    vmop_v1alpha3.CLUSTER_VIRTUAL_MACHINE_IMAGE,
    vmop_v1alpha3.VIRTUAL_MACHINE_SERVICE,
)


def registry() -> Registry:
    """A registry of every served kind."""
    return Registry(RESOURCE_TYPES)
