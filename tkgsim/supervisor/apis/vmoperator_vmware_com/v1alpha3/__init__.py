"""``vmoperator.vmware.com/v1alpha3``: the VM Service kinds a vSphere 8.0 U3 Supervisor serves at this version."""

from __future__ import annotations

from .images import CLUSTER_VIRTUAL_MACHINE_IMAGE, VIRTUAL_MACHINE_IMAGE
from .services import VIRTUAL_MACHINE_SERVICE
from .virtualmachines import VIRTUAL_MACHINE

__all__ = ["CLUSTER_VIRTUAL_MACHINE_IMAGE", "VIRTUAL_MACHINE", "VIRTUAL_MACHINE_IMAGE", "VIRTUAL_MACHINE_SERVICE"]
