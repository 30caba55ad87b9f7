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
"""

from __future__ import annotations

import dataclasses
import logging
import re
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from .. import clients
from .._naming import PROVIDER_NAME
from ..framework import logs, validators
from ..framework import types as t
from ..framework.diagnostics import Path
from ..framework.model import from_tf, many, single, to_tf
from ..framework.resource import Context, PlanContext, Resource, Timeouts
from ..framework.schema import Attribute, Block, ListBlock, Schema, SingleBlock
from ..framework.values import Unknown, known
from . import _vmservice as shared

if TYPE_CHECKING:
    from ..api.vmservice import VmServiceClient

__all__ = ["SCHEMA", "TYPE_NAME", "Model", "VirtualMachineResource", "from_api", "quantity_bytes", "to_api"]

log = logging.getLogger(__name__)

TYPE_NAME = f"{PROVIDER_NAME}_virtual_machine"
POWER_STATES = ("PoweredOn", "PoweredOff", "Suspended")
# vSphere 8.0 U2/U3 builds VMs up to hardware version 21; VM Operator accepts 13 and later.
HARDWARE_VERSIONS = (13, 21)
BOOTSTRAP_KEY = "user-data"
_QUANTITY = re.compile(r"([0-9]+(?:\.[0-9]+)?)(Ki|Mi|Gi|Ti|Pi|k|M|G|T|P)?")
_SUFFIX: dict[str | None, int] = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "Pi": 2**50}
_SUFFIX |= {"k": 10**3, "M": 10**6, "G": 10**9, "T": 10**12, "P": 10**15, None: 1}


# ---- model -------------------------------------------------------------------------------------------------------


@dataclasses.dataclass
class NetworkInterface:
    name: str = ""
    network: str | None = None


@dataclasses.dataclass
class Volume:
    name: str = ""
    size: str | None = None
    storage_class: str | None = None
    claim_name: str | None = None


@dataclasses.dataclass
class Bootstrap:
    cloud_init: str | None = None


@dataclasses.dataclass
class Model:
    id: str | None = None
    name: str = ""
    namespace: str = ""
    vm_class: str = ""
    image: str = ""
    storage_class: str = ""
    power_state: str | None = "PoweredOn"
    min_hardware_version: int | None = None
    labels: dict[str, str] | None = None
    annotations: dict[str, str] | None = None
    wait_for_ip: bool | None = True
    image_kind: str | None = None
    image_resource_name: str | None = None
    primary_ip: str | None = None
    ip_addresses: list[str] | None = None
    bios_uuid: str | None = None
    instance_uuid: str | None = None
    observed_power_state: str | None = None
    hardware_version: int | None = None
    conditions: list[dict[str, Any]] | None = None
    bootstrap: Bootstrap | None = single(Bootstrap)  # noqa: RUF009 (a dataclasses.field)
    network_interface: list[NetworkInterface] = many(NetworkInterface)  # noqa: RUF009 (a dataclasses.field)
    volume: list[Volume] = many(Volume)  # noqa: RUF009 (a dataclasses.field)
    timeouts: dict[str, Any] | None = None


def label(model: Model) -> str:
    return f"{model.namespace}/{model.name}"


def quantity_bytes(text: str) -> int | None:
    """``10Gi`` → bytes; None when ``text`` is not a Kubernetes quantity."""
    match = _QUANTITY.fullmatch(text.strip())
    if not match:
        return None
    try:
        return int(Decimal(match.group(1)) * _SUFFIX[match.group(2)])
    except InvalidOperation:
        return None


# ---- schema ------------------------------------------------------------------------------------------------------

_OUTPUT_NAMES = ("primary_ip", "ip_addresses", "observed_power_state", "hardware_version", "conditions")

SCHEMA = Schema(
    Block(
        description="A VM Service virtual machine (`vmoperator.vmware.com/v1alpha3` VirtualMachine) in a vSphere "
        "Namespace, with its cloud-init data and disks.",
        attributes={
            "id": Attribute(t.String(), computed=True, description="`namespace/name`."),
            "name": Attribute(
                t.String(),
                required=True,
                requires_replace=True,
                validators=(validators.dns1123_label,),
                description="Name of the VM (a DNS-1123 label; also its guest host name). Changing it replaces the VM.",
            ),
            "namespace": Attribute(
                t.String(),
                required=True,
                requires_replace=True,
                validators=(validators.dns1123_label,),
                description="The vSphere Namespace. Changing it replaces the VM.",
            ),
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
                    description="Guest customization at first boot. Changing it replaces the VM.",
                    attributes={
                        "cloud_init": Attribute(
                            t.String(),
                            required=True,
                            sensitive=True,
                            validators=(validators.length_between(1, 512 * 1024),),
                            description="cloud-init user-data (e.g. `#cloud-config …`), kept in the Secret "
                            "`<name>-bootstrap` that the VM owns.",
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


def validate(model: Model) -> list[tuple[Path, str, str]]:
    """Cross-attribute rules: (path, summary, detail); unknown values are skipped."""
    problems: list[tuple[Path, str, str]] = []
    names: set[str] = set()
    for index, volume in enumerate(model.volume):
        where: Path = ("volume", index)
        if known(volume.name) and volume.name in names:
            problems.append(((*where, "name"), "Duplicate volume name", f"volume name {volume.name!r} is used twice."))
        names.add(volume.name)
        has_size, has_claim = volume.size is not None, volume.claim_name is not None
        if has_size == has_claim and volume.size is not Unknown and volume.claim_name is not Unknown:
            problems.append(
                (
                    (*where, "claim_name") if has_claim else (*where, "name"),
                    "Invalid volume",
                    f"volume {volume.name!r} needs exactly one of size (a new disk) or claim_name (an existing claim).",
                )
            )
        if has_claim and volume.storage_class is not None:
            problems.append(
                (
                    (*where, "storage_class"),
                    "Invalid volume",
                    "storage_class applies to a new disk (size); an existing claim keeps its own storage class.",
                )
            )
        if known(volume.size):
            size = quantity_bytes(str(volume.size))
            if size is None or size <= 0:
                problems.append(
                    (
                        (*where, "size"),
                        "Invalid volume size",
                        f"{volume.size!r} is not a positive Kubernetes quantity such as `20Gi` or `512Mi`.",
                    )
                )
            elif size % 2**20:
                problems.append(
                    ((*where, "size"), "Invalid volume size", f"{volume.size!r} must be a whole number of MiB.")
                )
    seen: set[str] = set()
    for index, interface in enumerate(model.network_interface):
        if known(interface.name) and interface.name in seen:
            problems.append(
                (
                    ("network_interface", index, "name"),
                    "Duplicate interface name",
                    f"interface name {interface.name!r} is used twice.",
                )
            )
        seen.add(interface.name)
    return problems


# ---- mapping -----------------------------------------------------------------------------------------------------

WIRE_TO_TF_PATH: dict[str, Path] = {
    "metadata.name": ("name",),
    "metadata.labels": ("labels",),
    "metadata.annotations": ("annotations",),
    "spec.className": ("vm_class",),
    "spec.image": ("image",),
    "spec.imageName": ("image",),
    "spec.storageClass": ("storage_class",),
    "spec.powerState": ("power_state",),
    "spec.minHardwareVersion": ("min_hardware_version",),
    "spec.volumes": ("volume",),
    "spec.network": ("network_interface",),
    "spec.bootstrap": ("bootstrap",),
}


def bootstrap_secret(model: Model) -> str:
    return f"{model.name}-bootstrap"


def claim_name(model: Model, volume: Volume) -> str:
    """The claim a volume uses: its own ``claim_name``, or the owned claim ``<vm>-<volume>``."""
    return volume.claim_name or f"{model.name}-{volume.name}"


def _volumes_wire(model: Model) -> list[dict[str, Any]]:
    return [{"name": v.name, "persistentVolumeClaim": {"claimName": claim_name(model, v)}} for v in model.volume]


def to_api(model: Model) -> dict[str, Any]:
    """The VirtualMachine to create (only what the configuration says; the webhook fills in the rest)."""
    spec: dict[str, Any] = {
        "className": model.vm_class,
        "imageName": model.image,
        "storageClass": model.storage_class,
        "powerState": model.power_state or "PoweredOn",
    }
    if model.min_hardware_version is not None:
        spec["minHardwareVersion"] = int(model.min_hardware_version)
    if model.volume:
        spec["volumes"] = _volumes_wire(model)
    if model.network_interface:
        spec["network"] = {
            "interfaces": [
                {"name": i.name, **({"network": {"name": i.network}} if i.network else {})}
                for i in model.network_interface
            ]
        }
    if model.bootstrap is not None:
        spec["bootstrap"] = {"cloudInit": {"rawCloudConfig": {"name": bootstrap_secret(model), "key": BOOTSTRAP_KEY}}}
    metadata: dict[str, Any] = {"name": model.name, "namespace": model.namespace}
    metadata["annotations"] = {**(model.annotations or {}), shared.OWNER_ANNOTATION: shared.OWNER_VALUE}
    if model.labels:
        metadata["labels"] = dict(model.labels)
    return {"apiVersion": shared.API_VERSION, "kind": "VirtualMachine", "metadata": metadata, "spec": spec}


def claim_object(model: Model, volume: Volume, owner: dict[str, Any]) -> dict[str, Any]:
    """The PersistentVolumeClaim behind an owned volume, owned by the VM ``owner``."""
    return {
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "metadata": {
            "name": claim_name(model, volume),
            "namespace": model.namespace,
            "ownerReferences": [shared.owner_reference(owner)],
        },
        "spec": {
            "accessModes": ["ReadWriteOnce"],
            "storageClassName": volume.storage_class or model.storage_class,
            "resources": {"requests": {"storage": volume.size}},
        },
    }


def _read_volumes(
    obj: dict[str, Any], prior: Model, claims: dict[str, dict[str, Any]], importing: bool
) -> list[Volume]:
    uid = obj["metadata"].get("uid")
    before = {v.name: v for v in prior.volume}
    found = []
    for entry in (obj.get("spec") or {}).get("volumes") or []:
        name = str(entry.get("name", ""))
        claim = str((entry.get("persistentVolumeClaim") or {}).get("claimName") or "")
        live = claims.get(claim)
        owned = live is not None and any(r.get("uid") == uid for r in live["metadata"].get("ownerReferences") or [])
        was = before.get(name)
        if owned and not (was is not None and was.claim_name is not None):
            size = str(((live or {}).get("spec") or {}).get("resources", {}).get("requests", {}).get("storage", ""))
            if was is not None and known(was.size) and quantity_bytes(str(was.size)) == quantity_bytes(size):
                size = str(was.size)  # the user's spelling of the same size (1024Mi vs 1Gi)
            storage = str(((live or {}).get("spec") or {}).get("storageClassName") or "")
            # Read back when the user declared it, or when it differs from the VM's (the default the claim got).
            declared = was is not None and was.storage_class is not None
            vm_storage = str((obj.get("spec") or {}).get("storageClass") or "")
            found.append(
                Volume(name=name, size=size, storage_class=storage if declared or storage != vm_storage else None)
            )
        else:
            found.append(Volume(name=name, claim_name=claim))
    return found


def from_api(
    obj: dict[str, Any],
    prior: Model,
    *,
    claims: dict[str, dict[str, Any]] | None = None,
    cloud_init: str | None = None,
) -> Model:
    """The Terraform view of a VirtualMachine (and its claims and bootstrap data); ``prior`` decides which labels and
    annotations are managed (all non-platform ones on import)."""
    meta, spec, status = obj["metadata"], obj.get("spec") or {}, obj.get("status") or {}
    importing = not prior.vm_class
    network = status.get("network") or {}
    addresses = [
        str(a.get("address", "")).split("/")[0]
        for i in network.get("interfaces") or []
        for a in ((i.get("ip") or {}).get("addresses") or [])
        if a.get("address")
    ]
    interfaces = [
        NetworkInterface(name=str(i.get("name", "")), network=(i.get("network") or {}).get("name"))
        for i in (spec.get("network") or {}).get("interfaces") or []
    ]
    annotations = {k: v for k, v in (meta.get("annotations") or {}).items() if k != shared.OWNER_ANNOTATION}
    image_ref = spec.get("image") or {}
    bootstrap = None
    if (spec.get("bootstrap") or {}).get("cloudInit"):
        bootstrap = Bootstrap(cloud_init=cloud_init)
    return Model(
        id=f"{meta.get('namespace')}/{meta['name']}",
        name=meta["name"],
        namespace=str(meta.get("namespace", "")),
        vm_class=str(spec.get("className", "")),
        image=str(spec.get("imageName") or image_ref.get("name") or ""),
        storage_class=str(spec.get("storageClass", "")),
        power_state=str(spec.get("powerState") or "PoweredOn"),
        min_hardware_version=spec.get("minHardwareVersion"),
        labels=shared.read_map(meta.get("labels"), prior.labels, importing),
        annotations=shared.read_map(annotations, prior.annotations, importing),
        wait_for_ip=prior.wait_for_ip if prior.wait_for_ip is not None else True,
        image_kind=image_ref.get("kind"),
        image_resource_name=image_ref.get("name"),
        primary_ip=network.get("primaryIP4") or None,
        ip_addresses=addresses,
        bios_uuid=status.get("biosUUID") or spec.get("biosUUID"),
        instance_uuid=status.get("instanceUUID") or spec.get("instanceUUID"),
        observed_power_state=status.get("powerState"),
        hardware_version=status.get("hardwareVersion"),
        conditions=shared.conditions(obj),
        bootstrap=bootstrap,
        network_interface=interfaces if (prior.network_interface or (importing and len(interfaces) > 1)) else [],
        volume=_read_volumes(obj, prior, claims or {}, importing),
        timeouts=prior.timeouts,
    )


# ---- resource ----------------------------------------------------------------------------------------------------


class VirtualMachineResource(Resource):
    """CRUD and import of ``tkg_virtual_machine``."""

    type_name = TYPE_NAME
    schema = SCHEMA
    timeouts = Timeouts(create=1800, update=1800, delete=900)

    def validate(self, ctx: Context, config: dict[str, Any]) -> None:
        for path, summary, detail in validate(from_tf(Model, config)):
            ctx.diagnostics.error(summary, detail, path)

    def plan(self, ctx: PlanContext, planned: dict[str, Any]) -> dict[str, Any]:
        if known(planned.get("namespace")) and known(planned.get("name")):
            planned["id"] = f"{planned['namespace']}/{planned['name']}"
        model = from_tf(Model, planned)
        prior = from_tf(Model, ctx.prior) if ctx.prior is not None else None
        if prior is None and model.power_state == "Suspended":
            ctx.diagnostics.error(
                "Invalid value for power_state",
                "A new VM cannot be created Suspended (VM Operator refuses it); create it PoweredOn or PoweredOff.",
                ("power_state",),
            )
        if prior is not None:
            self._plan_update(ctx, prior, model, planned)
        if ctx.diagnostics.has_errors:
            return planned
        shared.live_checks_vm(ctx, self.provider_data, model, prior)
        return planned

    def _plan_update(self, ctx: PlanContext, prior: Model, model: Model, planned: dict[str, Any]) -> None:
        if prior.power_state == "PoweredOff" and model.power_state == "Suspended":
            ctx.diagnostics.error(
                "Invalid value for power_state",
                "A powered-off VM cannot be suspended; power it on first.",
                ("power_state",),
            )
        lowered = known(model.min_hardware_version) and known(prior.min_hardware_version)
        if lowered and int(model.min_hardware_version or 0) < int(prior.min_hardware_version or 0):
            ctx.diagnostics.error(
                "Invalid value for min_hardware_version",
                f"The hardware version cannot be lowered (from {prior.min_hardware_version} to "
                f"{model.min_hardware_version}); replace the VM to start over.",
                ("min_hardware_version",),
            )
        before = {v.name: v for v in prior.volume}
        for index, volume in enumerate(model.volume):
            was = before.get(volume.name)
            if was is None or not known(volume.size) or not known(was.size) or was.size is None:
                continue
            if (quantity_bytes(str(volume.size)) or 0) < (quantity_bytes(str(was.size)) or 0):
                ctx.diagnostics.error(
                    "Invalid volume size",
                    f"volume {volume.name!r} cannot shrink from {was.size} to {volume.size} (disks only grow).",
                    ("volume", index, "size"),
                )
            if volume.storage_class != was.storage_class and was.size is not None and volume.size is not None:
                ctx.requires_replace.add(("volume",))
        real = [p for p in ctx.changed if p[:1] not in (("wait_for_ip",), ("timeouts",))]
        if real and not ctx.requires_replace:
            for name in _OUTPUT_NAMES:
                planned[name] = Unknown

    # -- CRUD ---------------------------------------------------------------------------------------------------

    def _client(self, ctx: Context) -> VmServiceClient | None:
        settings = clients.settings_or_error(ctx, self.provider_data)
        return clients.vm_service(settings) if settings is not None else None

    def _want_ip(self, model: Model) -> bool:
        return bool(model.wait_for_ip) and (model.power_state or "PoweredOn") == "PoweredOn"

    def _state(self, client: VmServiceClient, obj: dict[str, Any], model: Model) -> Model:
        from ..api import errors

        claims: dict[str, dict[str, Any]] = {}
        for entry in (obj.get("spec") or {}).get("volumes") or []:
            name = (entry.get("persistentVolumeClaim") or {}).get("claimName")
            if name:
                try:
                    claims[name] = client.get("persistentvolumeclaims", model.namespace, name)
                except errors.NotFound:
                    pass
        cloud_init = None
        if (obj.get("spec") or {}).get("bootstrap"):
            cloud_init = shared.read_secret_value(client, model.namespace, bootstrap_secret(model), BOOTSTRAP_KEY)
            if cloud_init is not None:
                logs.register_secret(cloud_init)
        return from_api(obj, model, claims=claims, cloud_init=cloud_init)

    def create(self, ctx: Context, planned: dict[str, Any]) -> dict[str, Any] | None:
        from ..api import errors

        model = from_tf(Model, planned)
        with logs.resource_context(TYPE_NAME, label(model)):
            client = self._client(ctx)
            if client is None:
                return None
            try:
                obj = client.create("virtualmachines", model.namespace, to_api(model))
                log.info("[%s %s] created", TYPE_NAME, label(model))
            except errors.AlreadyExists:
                adopted = shared.adopt(ctx, client, "virtualmachines", model.namespace, model.name, ("name",))
                if adopted is None:
                    return None
                obj = adopted
            except errors.ApiError as exc:
                shared.api_error(ctx, "creating", label(model), exc, WIRE_TO_TF_PATH)
                return None
            # From here on the VM exists: every failure returns its state so Terraform records (taints) it.
            try:
                self._create_owned(client, model, obj)
            except errors.ApiError as exc:
                shared.api_error(ctx, "creating", label(model), exc, WIRE_TO_TF_PATH)
                return to_tf(from_api(obj, model, cloud_init=self._cloud_init(model)))
            return self._settle(ctx, client, model, obj, "creating")

    def _cloud_init(self, model: Model) -> str | None:
        return model.bootstrap.cloud_init if model.bootstrap is not None else None

    def _create_owned(self, client: VmServiceClient, model: Model, owner: dict[str, Any]) -> None:
        """The bootstrap Secret and the owned claims, each owned by the VM (created after it, to know its uid)."""
        if model.bootstrap is not None and model.bootstrap.cloud_init is not None:
            shared.put_secret(
                client, model.namespace, bootstrap_secret(model), {BOOTSTRAP_KEY: model.bootstrap.cloud_init}, owner
            )
        for volume in model.volume:
            if volume.size is not None:
                shared.put_claim(client, claim_object(model, volume, owner))

    def _settle(
        self, ctx: Context, client: VmServiceClient, model: Model, obj: dict[str, Any], verb: str
    ) -> dict[str, Any]:
        """Wait for the desired power state (and IP); the state to record, with an error when it did not settle."""
        from ..api import errors

        try:
            obj = client.wait_vm(
                model.namespace,
                model.name,
                want_ip=self._want_ip(model),
                deadline=ctx.deadline,
                stop=ctx.stop,
                logger=log,
            )
        except errors.WaitTimeout as exc:
            last = exc.last if isinstance(exc.last, dict) else obj
            shared.wait_error(ctx, verb, label(model), exc, "virtual machine")
            return to_tf(from_api(last, model, cloud_init=self._cloud_init(model)))
        except errors.ApiError as exc:
            shared.api_error(ctx, verb, label(model), exc, WIRE_TO_TF_PATH)
        try:
            return to_tf(self._state(client, obj, model))
        except errors.ApiError as exc:
            shared.api_error(ctx, verb, label(model), exc, WIRE_TO_TF_PATH)
            return to_tf(from_api(obj, model, cloud_init=self._cloud_init(model)))

    def read(self, ctx: Context, state: dict[str, Any]) -> dict[str, Any] | None:
        from ..api import errors

        model = from_tf(Model, state)
        with logs.resource_context(TYPE_NAME, label(model)):
            client = self._client(ctx)
            if client is None:
                return state
            try:
                obj = client.get("virtualmachines", model.namespace, model.name)
                return to_tf(self._state(client, obj, model))
            except errors.NotFound:
                shared.gone(ctx, label(model), "virtual machine")
                return None
            except errors.ApiError as exc:
                shared.api_error(ctx, "reading", label(model), exc, WIRE_TO_TF_PATH)
                return state

    def update(self, ctx: Context, prior: dict[str, Any], planned: dict[str, Any]) -> dict[str, Any] | None:
        from ..api import errors

        before, model = from_tf(Model, prior), from_tf(Model, planned)
        with logs.resource_context(TYPE_NAME, label(model)):
            client = self._client(ctx)
            if client is None:
                return prior
            try:
                obj = client.get("virtualmachines", model.namespace, model.name)
                obj = self._reconfigure(ctx, client, before, model, obj)
                obj = self._sync_volumes(client, before, model, obj)
            except errors.NotFound:
                return None
            except errors.WaitTimeout as exc:
                shared.wait_error(ctx, "updating", label(model), exc, "virtual machine")
                return prior
            except errors.ApiError as exc:
                shared.api_error(ctx, "updating", label(model), exc, WIRE_TO_TF_PATH)
                return prior
            return self._settle(ctx, client, model, obj, "updating")

    def _reconfigure(
        self, ctx: Context, client: VmServiceClient, before: Model, model: Model, obj: dict[str, Any]
    ) -> dict[str, Any]:
        """Power, class, hardware version, labels and annotations; a power cycle when the hardware must change."""
        spec: dict[str, Any] = {}
        if model.vm_class != before.vm_class:
            spec["className"] = model.vm_class
        if model.min_hardware_version != before.min_hardware_version and model.min_hardware_version is not None:
            spec["minHardwareVersion"] = int(model.min_hardware_version)
        desired = model.power_state or "PoweredOn"
        running = ((obj.get("spec") or {}).get("powerState") or "PoweredOn") != "PoweredOff"
        metadata = {
            "labels": shared.map_patch(before.labels, model.labels),
            "annotations": shared.map_patch(before.annotations, model.annotations),
        }
        metadata = {k: v for k, v in metadata.items() if v}
        if spec and running and desired != "PoweredOff":
            # The webhook refuses a new class (or hardware version) on a running VM: power off with the change,
            # wait until off, then power on again below.
            log.info("[%s %s] powering off to apply %s", TYPE_NAME, label(model), ", ".join(sorted(spec)))
            client.patch("virtualmachines", model.namespace, model.name, {"spec": {**spec, "powerState": "PoweredOff"}})
            obj = client.wait_vm(
                model.namespace, model.name, want_ip=False, deadline=ctx.deadline, stop=ctx.stop, logger=log
            )
            spec = {}
        if desired != (obj.get("spec") or {}).get("powerState"):
            spec["powerState"] = desired
        if not spec and not metadata:
            return obj
        patch: dict[str, Any] = {}
        if spec:
            patch["spec"] = spec
        if metadata:
            patch["metadata"] = metadata
        return client.patch("virtualmachines", model.namespace, model.name, patch)

    def _sync_volumes(
        self, client: VmServiceClient, before: Model, model: Model, obj: dict[str, Any]
    ) -> dict[str, Any]:
        """New owned claims first, then the VM's volume list, then grown claims, then claims no longer used."""
        from ..api import errors

        old = {v.name: v for v in before.volume}
        new = {v.name: v for v in model.volume}
        for volume in model.volume:
            if volume.size is not None and volume.name not in old:
                shared.put_claim(client, claim_object(model, volume, obj))
        if [(v.name, claim_name(model, v)) for v in model.volume] != [
            (v.name, claim_name(before, v)) for v in before.volume
        ]:
            obj = client.patch(
                "virtualmachines", model.namespace, model.name, {"spec": {"volumes": _volumes_wire(model) or None}}
            )
        for volume in model.volume:
            was_size = old[volume.name].size if volume.name in old else None
            if (
                volume.size is not None
                and was_size is not None
                and quantity_bytes(volume.size) != quantity_bytes(was_size)
            ):
                client.patch(
                    "persistentvolumeclaims",
                    model.namespace,
                    claim_name(model, volume),
                    {"spec": {"resources": {"requests": {"storage": volume.size}}}},
                )
        for name, volume in old.items():
            if volume.size is not None and name not in new:
                try:
                    client.delete("persistentvolumeclaims", model.namespace, claim_name(before, volume))
                except errors.NotFound:
                    pass
        return obj

    def delete(self, ctx: Context, state: dict[str, Any]) -> None:
        from ..api import errors

        model = from_tf(Model, state)
        with logs.resource_context(TYPE_NAME, label(model)):
            client = self._client(ctx)
            if client is None:
                return
            try:
                client.delete("virtualmachines", model.namespace, model.name)
                log.info("[%s %s] deleting", TYPE_NAME, label(model))
                client.wait_gone(
                    "virtualmachines", model.namespace, model.name, deadline=ctx.deadline, stop=ctx.stop, logger=log
                )
                # The owned claims and Secret go with the VM (owner references); wait so nothing is left behind.
                for volume in model.volume:
                    if volume.size is not None:
                        client.wait_gone(
                            "persistentvolumeclaims",
                            model.namespace,
                            claim_name(model, volume),
                            deadline=ctx.deadline,
                            stop=ctx.stop,
                            logger=log,
                        )
            except errors.NotFound:
                pass
            except errors.WaitTimeout as exc:
                ctx.diagnostics.error(
                    f"deleting {TYPE_NAME} ({label(model)}): not gone yet",
                    f"The virtual machine is still being deleted ({exc.message}). It stays in state; run terraform "
                    "destroy again to keep waiting, or raise timeouts.delete.",
                )
            except errors.ApiError as exc:
                shared.api_error(ctx, "deleting", label(model), exc, WIRE_TO_TF_PATH)

    def import_(self, ctx: Context, import_id: str) -> dict[str, Any] | None:
        parsed = shared.parse_import_id(ctx, import_id, f"{TYPE_NAME}.db demo-ns/db-1")
        if parsed is None:
            return None
        namespace, name = parsed
        return to_tf(Model(id=import_id, name=name, namespace=namespace, vm_class="", wait_for_ip=True))
