"""The Terraform schema of ``tkg_virtual_machine``."""

from __future__ import annotations

from ...framework import types as t
from ...framework import validators
from ...framework.schema import Attribute, Block, ListBlock, Schema, SingleBlock
from .. import _vmservice as shared
from .model import HARDWARE_VERSIONS, POWER_STATES

__all__ = ["OUTPUT_NAMES", "SCHEMA"]

OUTPUT_NAMES = ("primary_ip", "ip_addresses", "observed_power_state", "hardware_version", "conditions")

SCHEMA = Schema(
    Block(
        description="A VM Service virtual machine (`vmoperator.vmware.com/v1alpha3` VirtualMachine) in a vSphere "
        "Namespace, with its cloud-init data and disks.",
        attributes={
            **shared.identity_attributes("VM", "; also its guest host name"),
            "vm_class": Attribute(
                t.String(),
                required=True,
                validators=(validators.dns1123_label,),
                description="A VM class bound to the namespace (wire `spec.className`). Changing it resizes the VM in "
                "place: a running VM is powered off, reconfigured and powered on again.",
            ),
            "image": Attribute(
                t.String(),
                required=True,
                requires_replace=True,
                validators=(validators.length_between(1, 255),),
                description="The image: the name of a VirtualMachineImage in the namespace or of a "
                "ClusterVirtualMachineImage, or an image's display name (`vmi-…` or e.g. "
                "`ubuntu-22.04-vmservice-v20240415`; see `data.tkg_virtual_machine_image`). Changing it replaces "
                "the VM.",
            ),
            "storage_class": Attribute(
                t.String(),
                required=True,
                requires_replace=True,
                validators=(validators.dns1123_label,),
                description="Storage class of the VM's disks; it must be one of the namespace's storage classes "
                "(or its `-latebinding` twin). Changing it replaces the VM.",
            ),
            "power_state": Attribute(
                t.String(),
                optional=True,
                computed=True,
                default="PoweredOn",
                validators=(validators.one_of(*POWER_STATES),),
                description="Desired power state: `PoweredOn` (default), `PoweredOff` or `Suspended` (not on create, "
                "and not from `PoweredOff`). Changed in place.",
            ),
            "min_hardware_version": Attribute(
                t.Number(),
                optional=True,
                validators=(validators.integer, validators.between(*HARDWARE_VERSIONS)),
                description="Minimum virtual hardware version, 13-21. Raising it on a running VM power-cycles it; "
                "it cannot be lowered.",
            ),
            "labels": Attribute(
                t.Map(t.String()),
                optional=True,
                validators=(shared.label_map,),
                description="Labels on the VirtualMachine (e.g. for `tkg_virtual_machine_service.selector`). Only "
                "these keys are managed; labels others add are left alone.",
            ),
            "annotations": Attribute(
                t.Map(t.String()),
                optional=True,
                validators=(shared.annotation_map,),
                description="Annotations on the VirtualMachine. Only these keys are managed.",
            ),
            "wait_for_ip": Attribute(
                t.Bool(),
                optional=True,
                computed=True,
                default=True,
                description="Wait for the guest's IP address after creating or powering on (default `true`).",
            ),
            "image_kind": Attribute(
                t.String(),
                computed=True,
                description="`VirtualMachineImage` or `ClusterVirtualMachineImage`: what `image` resolved to.",
            ),
            "image_resource_name": Attribute(
                t.String(), computed=True, description="The resolved image's object name (`vmi-…`)."
            ),
            "primary_ip": Attribute(t.String(), computed=True, description="The guest's primary IPv4 address."),
            "ip_addresses": Attribute(
                t.List(t.String()), computed=True, description="Every IP address the guest reports, all interfaces."
            ),
            "bios_uuid": Attribute(t.String(), computed=True, description="The VM's BIOS UUID."),
            "instance_uuid": Attribute(t.String(), computed=True, description="The VM's vCenter instance UUID."),
            "observed_power_state": Attribute(
                t.String(), computed=True, description="The power state VM Operator last observed."
            ),
            "hardware_version": Attribute(t.Number(), computed=True, description="Observed virtual hardware version."),
            "conditions": Attribute(
                t.List(shared.CONDITION), computed=True, description="The VirtualMachine's status conditions."
            ),
        },
        blocks={
            "bootstrap": SingleBlock(
                Block(
                    description="Guest customization at first boot: cloud-init, or Sysprep and/or vApp properties. "
                    "Changing it replaces the VM.",
                    attributes={
                        "cloud_init": Attribute(
                            t.String(),
                            optional=True,
                            sensitive=True,
                            validators=(validators.length_between(1, 512 * 1024),),
                            description="cloud-init user-data (e.g. `#cloud-config …`), kept in the Secret "
                            "`<name>-bootstrap` that the VM owns.",
                        ),
                        "sysprep": Attribute(
                            t.String(),
                            optional=True,
                            sensitive=True,
                            validators=(validators.length_between(1, 512 * 1024),),
                            description="A Windows sysprep answer file (`unattend.xml` text), kept in the Secret "
                            "`<name>-bootstrap` (key `unattend`). Not together with `cloud_init`.",
                        ),
                        "vapp_properties": Attribute(
                            t.Map(t.String()),
                            optional=True,
                            sensitive=True,
                            description="vApp (OVF) properties of the image to set, key → value (e.g. for appliances), "
                            "kept in the Secret `<name>-vapp`. Not together with `cloud_init`.",
                        ),
                    },
                ),
                requires_replace=True,
            ),
            "network_interface": ListBlock(
                Block(
                    description="A network interface. Without any, VM Operator adds `eth0` on the namespace's "
                    "default network. Changing the interfaces replaces the VM.",
                    attributes={
                        "name": Attribute(
                            t.String(),
                            required=True,
                            validators=(validators.matches(r"[a-z0-9]{2,15}", "2-15 lowercase letters or digits"),),
                            description="Interface name in the VM spec, e.g. `eth0`.",
                        ),
                        "network": Attribute(
                            t.String(),
                            optional=True,
                            validators=(validators.dns1123_label,),
                            description="Name of the network in the namespace (default: the namespace's network).",
                        ),
                    },
                ),
                max_items=10,
                requires_replace=True,
            ),
            "volume": ListBlock(
                Block(
                    description="A disk: a new PersistentVolumeClaim of `size` owned by the VM, or an existing "
                    "claim by `claim_name`. Volumes can be added, removed and grown in place.",
                    attributes={
                        "name": Attribute(
                            t.String(),
                            required=True,
                            validators=(validators.dns1123_label,),
                            description="Volume name in the VM spec (a DNS-1123 label).",
                        ),
                        "size": Attribute(
                            t.String(),
                            optional=True,
                            description="Size of a new claim, a Kubernetes quantity such as `20Gi` (a whole number "
                            "of MiB). May grow, never shrink.",
                        ),
                        "storage_class": Attribute(
                            t.String(),
                            optional=True,
                            validators=(validators.dns1123_label,),
                            description="Storage class of the new claim (default: the VM's `storage_class`).",
                        ),
                        "claim_name": Attribute(
                            t.String(),
                            optional=True,
                            validators=(validators.dns1123_label,),
                            description="An existing PersistentVolumeClaim in the namespace to attach instead.",
                        ),
                    },
                ),
            ),
        },
    )
)
