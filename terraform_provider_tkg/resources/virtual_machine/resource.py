"""``tkg_virtual_machine`` CRUD: plan checks, create / read / update / delete / import against the Supervisor."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from ... import clients
from ...framework import inflight, logs
from ...framework.model import from_tf, to_tf
from ...framework.resource import Context, PlanContext, Resource, Timeouts
from ...framework.values import Unknown, known
from .. import _vmservice as shared
from .expand import (
    WIRE_TO_TF_PATH,
    bootstrap_secret,
    bootstrap_secrets,
    claim_name,
    claim_object,
    to_api,
    vapp_secret,
    volumes_wire,
)
from .flatten import from_api
from .model import BOOTSTRAP_KEY, SYSPREP_KEY, TYPE_NAME, Bootstrap, Model, label, quantity_bytes
from .schema import OUTPUT_NAMES, SCHEMA
from .validation import validate

if TYPE_CHECKING:
    from ...api.vmservice import VmServiceClient

__all__ = ["VirtualMachineResource"]

log = logging.getLogger(__name__)


class VirtualMachineResource(Resource):
    """CRUD and import of ``tkg_virtual_machine``."""

    type_name = TYPE_NAME
    schema = SCHEMA
    timeouts = Timeouts(create=1800, update=1800, delete=900)

    def validate(self, ctx: Context, config: dict[str, Any]) -> None:
        for path, summary, detail in validate(from_tf(Model, config)):
            ctx.diagnostics.error(summary, detail, path)

    def plan(self, ctx: PlanContext, planned: dict[str, Any]) -> dict[str, Any]:
        shared.plan_id(planned)
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
            for name in OUTPUT_NAMES:
                planned[name] = Unknown

    # -- CRUD ---------------------------------------------------------------------------------------------------

    def _client(self, ctx: Context) -> VmServiceClient | None:
        settings = clients.settings_or_error(ctx, self.provider_data)
        return clients.vm_service(settings) if settings is not None else None

    def _want_ip(self, model: Model) -> bool:
        return bool(model.wait_for_ip) and (model.power_state or "PoweredOn") == "PoweredOn"

    def _state(self, client: VmServiceClient, obj: dict[str, Any], model: Model) -> Model:
        from ...api import errors

        claims: dict[str, dict[str, Any]] = {}
        for entry in (obj.get("spec") or {}).get("volumes") or []:
            name = (entry.get("persistentVolumeClaim") or {}).get("claimName")
            if name:
                try:
                    claims[name] = client.get("persistentvolumeclaims", model.namespace, name)
                except errors.NotFound:
                    pass
        return from_api(obj, model, claims=claims, bootstrap=self._read_bootstrap(client, obj, model))

    def _read_bootstrap(self, client: VmServiceClient, obj: dict[str, Any], model: Model) -> Bootstrap | None:
        """The bootstrap data the VM's spec points at, read from its Secrets (registered for log redaction)."""
        wire = (obj.get("spec") or {}).get("bootstrap") or {}
        if not wire:
            return None
        found = Bootstrap()
        secret = bootstrap_secret(model)
        if wire.get("cloudInit"):
            found.cloud_init = shared.read_secret_value(client, model.namespace, secret, BOOTSTRAP_KEY)
        if wire.get("sysprep"):
            found.sysprep = shared.read_secret_value(client, model.namespace, secret, SYSPREP_KEY)
        if wire.get("vAppConfig"):
            found.vapp_properties = shared.read_secret_data(client, model.namespace, vapp_secret(model))
        for value in (found.cloud_init, found.sysprep, *(found.vapp_properties or {}).values()):
            if value:
                logs.register_secret(value)
        return found

    def create(self, ctx: Context, planned: dict[str, Any]) -> dict[str, Any] | None:
        from ...api import errors

        model = from_tf(Model, planned)
        with logs.resource_context(TYPE_NAME, label(model)):
            client = self._client(ctx)
            if client is None:
                return None
            # Recorded in the journal before the create is sent, and written onto the VM (``ownership``).
            token = inflight.journal().begin(TYPE_NAME, label(model))
            adopted = None
            try:
                obj = client.create("virtualmachines", model.namespace, to_api(model, create_token=token))
                log.info("[%s %s] created", TYPE_NAME, label(model))
            except errors.AlreadyExists as exc:
                adopted = shared.adopt_own(
                    ctx, client, "virtualmachines", model.namespace, model.name, token, "virtual machine", exc
                )
                if adopted is None:
                    return None
                obj = adopted
            except errors.ApiError as exc:
                shared.api_error(ctx, "creating", label(model), exc, WIRE_TO_TF_PATH)
                return None
            # From here on the VM exists: every failure returns its state so Terraform records (taints) it.
            try:
                self._create_owned(client, model, obj)
                if adopted is not None:
                    # Our interrupted create, made from the configuration of that run: bring what changes in place
                    # (class, power, hardware version, labels, annotations) to this one, once its Secrets exist.
                    obj = self._reconfigure(ctx, client, from_api(obj, model), model, obj)
            except errors.AlreadyExists as exc:
                # A Secret or claim of the VM's naming scheme that this VM does not own: never taken over.
                ctx.diagnostics.error(
                    f"creating {TYPE_NAME} ({label(model)}): an object the VM needs already exists",
                    f"The Supervisor said: {exc.describe()}\n\nIt is not owned by this virtual machine, so Terraform "
                    "leaves it alone. The VM is kept in state and marked tainted; delete or rename that object, then "
                    "apply again.",
                )
                return to_tf(from_api(obj, model, bootstrap=model.bootstrap))
            except errors.ApiError as exc:
                shared.api_error(ctx, "creating", label(model), exc, WIRE_TO_TF_PATH)
                return to_tf(from_api(obj, model, bootstrap=model.bootstrap))
            return self._settle(ctx, client, model, obj, "creating")

    def _create_owned(self, client: VmServiceClient, model: Model, owner: dict[str, Any]) -> None:
        """The bootstrap Secret and the owned claims, each owned by the VM (created after it, to know its uid)."""
        for name, data in bootstrap_secrets(model).items():
            shared.put_secret(client, model.namespace, name, data, owner)
        for volume in model.volume:
            if volume.size is not None:
                shared.put_claim(client, claim_object(model, volume, owner))

    def _settle(
        self, ctx: Context, client: VmServiceClient, model: Model, obj: dict[str, Any], verb: str
    ) -> dict[str, Any]:
        """Wait for the desired power state (and IP); the state to record, with an error when it did not settle."""
        from ...api import errors

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
            return to_tf(from_api(last, model, bootstrap=model.bootstrap))
        except errors.ApiError as exc:
            shared.api_error(ctx, verb, label(model), exc, WIRE_TO_TF_PATH)
        try:
            return to_tf(self._state(client, obj, model))
        except errors.ApiError as exc:
            shared.api_error(ctx, verb, label(model), exc, WIRE_TO_TF_PATH)
            return to_tf(from_api(obj, model, bootstrap=model.bootstrap))

    def read(self, ctx: Context, state: dict[str, Any]) -> dict[str, Any] | None:
        from ...api import errors

        model = from_tf(Model, state)
        with logs.resource_context(TYPE_NAME, label(model)):
            client = self._client(ctx)
            if client is None:
                return state
            try:
                obj = client.get("virtualmachines", model.namespace, model.name)
                # The state holds this VM now: its create is no longer in flight.
                inflight.journal().settle(TYPE_NAME, label(model))
                return to_tf(self._state(client, obj, model))
            except errors.NotFound:
                inflight.journal().settle(TYPE_NAME, label(model))
                shared.gone(ctx, label(model), "virtual machine")
                return None
            except errors.ApiError as exc:
                shared.api_error(ctx, "reading", label(model), exc, WIRE_TO_TF_PATH)
                return state

    def update(self, ctx: Context, prior: dict[str, Any], planned: dict[str, Any]) -> dict[str, Any] | None:
        from ...api import errors

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
        from ...api import errors

        old = {v.name: v for v in before.volume}
        new = {v.name: v for v in model.volume}
        for volume in model.volume:
            if volume.size is not None and volume.name not in old:
                shared.put_claim(client, claim_object(model, volume, obj))
        if [(v.name, claim_name(model, v)) for v in model.volume] != [
            (v.name, claim_name(before, v)) for v in before.volume
        ]:
            obj = client.patch(
                "virtualmachines", model.namespace, model.name, {"spec": {"volumes": volumes_wire(model) or None}}
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
                claim = claim_name(before, volume)
                try:
                    # Only this VM's own claim: a claim of that name owned by anything else is not ours to delete.
                    if shared.owned_by(client.get("persistentvolumeclaims", model.namespace, claim), obj):
                        client.delete("persistentvolumeclaims", model.namespace, claim)
                except errors.NotFound:
                    pass
        return obj

    def delete(self, ctx: Context, state: dict[str, Any]) -> None:
        from ...api import errors

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
                return
            except errors.ApiError as exc:
                shared.api_error(ctx, "deleting", label(model), exc, WIRE_TO_TF_PATH)
                return
            inflight.journal().settle(TYPE_NAME, label(model))

    def import_(self, ctx: Context, import_id: str) -> dict[str, Any] | None:
        parsed = shared.parse_import_id(ctx, import_id, f"{TYPE_NAME}.db demo-ns/db-1")
        if parsed is None:
            return None
        namespace, name = parsed
        return to_tf(Model(id=import_id, name=name, namespace=namespace, vm_class="", wait_for_ip=True))
