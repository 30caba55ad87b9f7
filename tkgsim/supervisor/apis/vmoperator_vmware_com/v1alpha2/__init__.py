"""``vmoperator.vmware.com/v1alpha2`` VirtualMachineClass, namespaced (one copy per bound vSphere Namespace)."""

from __future__ import annotations

from ....columns import path
from ....resources import Column, ResourceType

__all__ = ["VIRTUAL_MACHINE_CLASS"]

VIRTUAL_MACHINE_CLASS = ResourceType(
    group="vmoperator.vmware.com",
    version="v1alpha2",
    kind="VirtualMachineClass",
    plural="virtualmachineclasses",
    namespaced=True,
    short_names=("vmclass",),
    columns=(
        Column("CPU", "integer", lambda o: path(o, "spec.hardware.cpus")),
        Column("Memory", "string", lambda o: path(o, "spec.hardware.memory")),
    ),
)
