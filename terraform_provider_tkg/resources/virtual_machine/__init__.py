"""``tkg_virtual_machine``: a VM Service ``VirtualMachine`` (``vmoperator.vmware.com/v1alpha3``) in a vSphere Namespace.

What it owns besides the VirtualMachine: the Secret ``<name>-bootstrap`` holding the cloud-init user-data and one
PersistentVolumeClaim ``<name>-<volume>`` per ``volume`` block with a ``size``; both carry an owner reference to the
VM, so the Supervisor's garbage collector removes them with it. Claims named by ``claim_name`` are only attached.

In place: power state, class (resize: a powered-on VM is powered off, reconfigured and powered on again, because the
VM Operator webhook refuses a class change on a running VM), minimum hardware version (same power cycle), labels and
annotations (only declared keys), volumes added/removed/grown. Replacement: name, namespace, image, storage class,
network interfaces, bootstrap (cloud-init runs once, at first boot).

Create and update wait for the desired power state and, with ``wait_for_ip``, for the guest IP. A VM whose class,
image or bootstrap Secret is missing never gets created by VM Operator; the wait reports the condition that says so
and the VM stays in state, tainted.

The package is split like ``resources/cluster``: model, schema, validation, expand (to the API), flatten (from the
API) and resource (CRUD).
"""

from __future__ import annotations

from .expand import claim_object, to_api
from .flatten import from_api
from .model import TYPE_NAME, Model, quantity_bytes
from .resource import VirtualMachineResource
from .schema import SCHEMA
from .validation import validate

__all__ = [
    "SCHEMA",
    "TYPE_NAME",
    "Model",
    "VirtualMachineResource",
    "claim_object",
    "from_api",
    "quantity_bytes",
    "to_api",
    "validate",
]
