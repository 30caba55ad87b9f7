"""``tkg_virtual_machine_service``: a VM Service ``VirtualMachineService`` (``vmoperator.vmware.com/v1alpha3``) that
exposes ports of the VMs its selector matches, behind a load balancer (``LoadBalancer``) or a cluster IP
(``ClusterIP``).

The type is immutable in the API, so changing it (like name and namespace) replaces the service; ports, selector,
source ranges, labels and annotations change in place. With ``wait_for_load_balancer`` a LoadBalancer service is
created and updated only once the load balancer has an address (``load_balancer_address``).
"""

from __future__ import annotations

import dataclasses
import logging
from typing import TYPE_CHECKING, Any

from .. import clients
from .._naming import PROVIDER_NAME
from ..framework import inflight, logs, validators
from ..framework import types as t
from ..framework.diagnostics import Path
from ..framework.model import from_tf, many, to_tf
from ..framework.resource import Context, PlanContext, Resource, Timeouts
from ..framework.schema import Attribute, Block, ListBlock, Schema
from ..framework.values import Unknown, known
from ..ownership import CREATE_TOKEN_ANNOTATION
from . import _vmservice as shared

if TYPE_CHECKING:
    from ..api.vmservice import VmServiceClient

__all__ = ["SCHEMA", "TYPE_NAME", "Model", "VirtualMachineServiceResource", "from_api", "to_api"]

log = logging.getLogger(__name__)

TYPE_NAME = f"{PROVIDER_NAME}_virtual_machine_service"
TYPES = ("LoadBalancer", "ClusterIP")
PROTOCOLS = ("TCP", "UDP", "SCTP")


@dataclasses.dataclass
class Port:
    name: str = ""
    protocol: str | None = "TCP"
    port: int = 0
    target_port: int = 0


@dataclasses.dataclass
class Model:
    id: str | None = None
    name: str = ""
    namespace: str = ""
    type: str = "LoadBalancer"
    selector: dict[str, str] | None = None
    load_balancer_ip: str | None = None
    load_balancer_source_ranges: list[str] | None = None
    labels: dict[str, str] | None = None
    annotations: dict[str, str] | None = None
    wait_for_load_balancer: bool | None = True
    load_balancer_address: str | None = None
    port: list[Port] = many(Port)  # noqa: RUF009 (a dataclasses.field)
    timeouts: dict[str, Any] | None = None


def label(model: Model) -> str:
    return f"{model.namespace}/{model.name}"


def _cidr(value: Any) -> str | None:
    import ipaddress

    try:
        ipaddress.ip_network(str(value).strip(), strict=False)
    except ValueError:
        return f"{value!r} is not a CIDR block such as 10.0.0.0/16."
    return None


def _ip(value: Any) -> str | None:
    import ipaddress

    try:
        ipaddress.ip_address(str(value))
    except ValueError:
        return f"{value!r} is not an IP address."
    return None


_PORT_NUMBER = (validators.integer, validators.between(1, 65535))

SCHEMA = Schema(
    Block(
        description="A VM Service VirtualMachineService: a load balancer or cluster IP in front of VMs selected by "
        "labels.",
        attributes={
            **shared.identity_attributes("service"),
            "type": Attribute(
                t.String(),
                optional=True,
                computed=True,
                default="LoadBalancer",
                requires_replace=True,
                validators=(validators.one_of(*TYPES),),
                description="`LoadBalancer` (default) or `ClusterIP`. The API does not allow changing it, so a change "
                "replaces the service.",
            ),
            "selector": Attribute(
                t.Map(t.String()),
                required=True,
                validators=(validators.length_between(1, 64), shared.label_map),
                description="Labels of the VMs to send traffic to (e.g. `tkg_virtual_machine.web.labels`).",
            ),
            "load_balancer_ip": Attribute(
                t.String(),
                optional=True,
                validators=(_ip,),
                description="Ask the load balancer for this address (LoadBalancer only; the provider may ignore it).",
            ),
            "load_balancer_source_ranges": Attribute(
                t.List(t.String()),
                optional=True,
                validators=(validators.each(_cidr),),
                description="Client CIDR blocks allowed through the load balancer (LoadBalancer only).",
            ),
            "labels": Attribute(
                t.Map(t.String()),
                optional=True,
                validators=(shared.label_map,),
                description="Labels on the service. Only these keys are managed.",
            ),
            "annotations": Attribute(
                t.Map(t.String()),
                optional=True,
                validators=(shared.annotation_map,),
                description="Annotations on the service. Only these keys are managed.",
            ),
            "wait_for_load_balancer": Attribute(
                t.Bool(),
                optional=True,
                computed=True,
                default=True,
                description="For a LoadBalancer service, wait until it has an address (default `true`).",
            ),
            "load_balancer_address": Attribute(
                t.String(), computed=True, description="The load balancer's ingress IP (or host name)."
            ),
        },
        blocks={
            "port": ListBlock(
                Block(
                    description="A port to expose.",
                    attributes={
                        "name": Attribute(
                            t.String(),
                            required=True,
                            validators=(validators.dns1123_label,),
                            description="Port name (a DNS-1123 label), unique in the service.",
                        ),
                        "protocol": Attribute(
                            t.String(),
                            optional=True,
                            computed=True,
                            default="TCP",
                            validators=(validators.one_of(*PROTOCOLS),),
                            description="`TCP` (default), `UDP` or `SCTP`.",
                        ),
                        "port": Attribute(
                            t.Number(), required=True, validators=_PORT_NUMBER, description="Port exposed, 1-65535."
                        ),
                        "target_port": Attribute(
                            t.Number(),
                            required=True,
                            validators=_PORT_NUMBER,
                            description="Port on the VMs, 1-65535.",
                        ),
                    },
                ),
                min_items=1,
            ),
        },
    )
)


def validate(model: Model) -> list[tuple[Path, str, str]]:
    problems: list[tuple[Path, str, str]] = []
    names: set[str] = set()
    pairs: set[tuple[Any, Any]] = set()
    for index, port in enumerate(model.port):
        if known(port.name) and port.name in names:
            problems.append((("port", index, "name"), "Duplicate port name", f"port name {port.name!r} is used twice."))
        names.add(port.name)
        pair = (port.protocol, port.port)
        if known(port.protocol) and known(port.port) and pair in pairs:
            problems.append(
                (("port", index, "port"), "Duplicate port", f"{port.protocol} port {port.port} is exposed twice.")
            )
        pairs.add(pair)
    if model.type == "ClusterIP":
        for name in ("load_balancer_ip", "load_balancer_source_ranges"):
            if getattr(model, name) not in (None, Unknown):
                problems.append(
                    ((name,), f"Invalid {name}", f"{name} applies to LoadBalancer services only (type is ClusterIP).")
                )
    return problems


WIRE_TO_TF_PATH: dict[str, Path] = {
    "metadata.name": ("name",),
    "spec.type": ("type",),
    "spec.ports": ("port",),
    "spec.selector": ("selector",),
    "spec.loadBalancerIP": ("load_balancer_ip",),
    "spec.loadBalancerSourceRanges": ("load_balancer_source_ranges",),
}


def _spec(model: Model) -> dict[str, Any]:
    return {
        "type": model.type,
        "selector": dict(model.selector or {}),
        "ports": [
            {"name": p.name, "protocol": p.protocol or "TCP", "port": int(p.port), "targetPort": int(p.target_port)}
            for p in model.port
        ],
        "loadBalancerIP": model.load_balancer_ip,
        "loadBalancerSourceRanges": list(model.load_balancer_source_ranges or []) or None,
    }


def to_api(model: Model, create_token: str | None = None) -> dict[str, Any]:
    """The VirtualMachineService to create, carrying ``create_token`` in an annotation (``ownership``)."""
    spec = {k: v for k, v in _spec(model).items() if v is not None}
    metadata: dict[str, Any] = {"name": model.name, "namespace": model.namespace}
    annotations = {**(model.annotations or {}), **({CREATE_TOKEN_ANNOTATION: create_token} if create_token else {})}
    if annotations:
        metadata["annotations"] = annotations
    if model.labels:
        metadata["labels"] = dict(model.labels)
    return {"apiVersion": shared.API_VERSION, "kind": "VirtualMachineService", "metadata": metadata, "spec": spec}


def from_api(obj: dict[str, Any], prior: Model) -> Model:
    from ..api import vmservice

    meta, spec = obj["metadata"], obj.get("spec") or {}
    importing = not prior.selector
    annotations = {k: v for k, v in (meta.get("annotations") or {}).items() if k != CREATE_TOKEN_ANNOTATION}
    ranges = spec.get("loadBalancerSourceRanges") or None
    return Model(
        id=f"{meta.get('namespace')}/{meta['name']}",
        name=meta["name"],
        namespace=str(meta.get("namespace", "")),
        type=str(spec.get("type", "")),
        selector=dict(spec.get("selector") or {}),
        load_balancer_ip=spec.get("loadBalancerIP") or None,
        load_balancer_source_ranges=ranges if ranges or prior.load_balancer_source_ranges is None else [],
        labels=shared.read_map(meta.get("labels"), prior.labels, importing),
        annotations=shared.read_map(annotations, prior.annotations, importing),
        wait_for_load_balancer=prior.wait_for_load_balancer if prior.wait_for_load_balancer is not None else True,
        load_balancer_address=vmservice.service_address(obj),
        port=[
            Port(
                name=str(p.get("name", "")),
                protocol=str(p.get("protocol") or "TCP"),
                port=int(p.get("port") or 0),
                target_port=int(p.get("targetPort") or 0),
            )
            for p in spec.get("ports") or []
        ],
        timeouts=prior.timeouts,
    )


class VirtualMachineServiceResource(Resource):
    """CRUD and import of ``tkg_virtual_machine_service``."""

    type_name = TYPE_NAME
    schema = SCHEMA
    timeouts = Timeouts(create=900, update=900, delete=600)

    def validate(self, ctx: Context, config: dict[str, Any]) -> None:
        for path, summary, detail in validate(from_tf(Model, config)):
            ctx.diagnostics.error(summary, detail, path)

    def plan(self, ctx: PlanContext, planned: dict[str, Any]) -> dict[str, Any]:
        shared.plan_id(planned)
        if ctx.prior is not None:
            changed = [p for p in ctx.changed if p[:1] not in (("wait_for_load_balancer",), ("timeouts",))]
            if any(p[:1] in (("load_balancer_ip",),) for p in changed) and not ctx.requires_replace:
                planned["load_balancer_address"] = Unknown
        if ctx.prior is None and planned.get("type") == "ClusterIP":
            planned["load_balancer_address"] = None
        if not ctx.diagnostics.has_errors and ctx.prior is None:
            shared.live_checks_service(ctx, self.provider_data, planned.get("namespace"))
        return planned

    def _client(self, ctx: Context) -> VmServiceClient | None:
        settings = clients.settings_or_error(ctx, self.provider_data)
        return clients.vm_service(settings) if settings is not None else None

    def _settle(self, ctx: Context, client: VmServiceClient, model: Model, obj: dict[str, Any], verb: str) -> Model:
        from ..api import errors, vmservice

        if model.type != "LoadBalancer" or not model.wait_for_load_balancer:
            return from_api(obj, model)
        try:
            obj = client.wait_until(
                "virtualmachineservices",
                model.namespace,
                model.name,
                lambda o: vmservice.service_address(o) is not None,
                what="load balancer address",
                deadline=ctx.deadline,
                stop=ctx.stop,
                logger=log,
            )
        except errors.WaitTimeout as exc:
            shared.wait_error(ctx, verb, label(model), exc, "load balancer")
            return from_api(exc.last if isinstance(exc.last, dict) else obj, model)
        except errors.ApiError as exc:
            shared.api_error(ctx, verb, label(model), exc, WIRE_TO_TF_PATH)
        return from_api(obj, model)

    def create(self, ctx: Context, planned: dict[str, Any]) -> dict[str, Any] | None:
        from ..api import errors

        model = from_tf(Model, planned)
        with logs.resource_context(TYPE_NAME, label(model)):
            client = self._client(ctx)
            if client is None:
                return None
            # Recorded in the journal before the create is sent, and written onto the service (``ownership``).
            token = inflight.journal().begin(TYPE_NAME, label(model))
            try:
                obj = client.create("virtualmachineservices", model.namespace, to_api(model, create_token=token))
            except errors.AlreadyExists as exc:
                found = shared.adopt_own(
                    ctx, client, "virtualmachineservices", model.namespace, model.name, token, "VM service", exc
                )
                if found is None:
                    return None
                obj = client.patch("virtualmachineservices", model.namespace, model.name, {"spec": _spec(model)})
            except errors.ApiError as exc:
                shared.api_error(ctx, "creating", label(model), exc, WIRE_TO_TF_PATH)
                return None
            return to_tf(self._settle(ctx, client, model, obj, "creating"))

    def read(self, ctx: Context, state: dict[str, Any]) -> dict[str, Any] | None:
        from ..api import errors

        model = from_tf(Model, state)
        with logs.resource_context(TYPE_NAME, label(model)):
            client = self._client(ctx)
            if client is None:
                return state
            try:
                obj = client.get("virtualmachineservices", model.namespace, model.name)
            except errors.NotFound:
                inflight.journal().settle(TYPE_NAME, label(model))
                shared.gone(ctx, label(model), "virtual machine service")
                return None
            except errors.ApiError as exc:
                shared.api_error(ctx, "reading", label(model), exc, WIRE_TO_TF_PATH)
                return state
            # The state holds this service now: its create is no longer in flight.
            inflight.journal().settle(TYPE_NAME, label(model))
            return to_tf(from_api(obj, model))

    def update(self, ctx: Context, prior: dict[str, Any], planned: dict[str, Any]) -> dict[str, Any] | None:
        from ..api import errors

        before, model = from_tf(Model, prior), from_tf(Model, planned)
        with logs.resource_context(TYPE_NAME, label(model)):
            client = self._client(ctx)
            if client is None:
                return prior
            patch: dict[str, Any] = {"spec": _spec(model)}
            # A merge patch replaces maps key by key: remove selector keys the configuration dropped.
            for key in before.selector or {}:
                if key not in (model.selector or {}):
                    patch["spec"]["selector"][key] = None
            metadata = {
                "labels": shared.map_patch(before.labels, model.labels),
                "annotations": shared.map_patch(before.annotations, model.annotations),
            }
            metadata = {k: v for k, v in metadata.items() if v}
            if metadata:
                patch["metadata"] = metadata
            try:
                obj = client.patch("virtualmachineservices", model.namespace, model.name, patch)
            except errors.NotFound:
                return None
            except errors.ApiError as exc:
                shared.api_error(ctx, "updating", label(model), exc, WIRE_TO_TF_PATH)
                return prior
            return to_tf(self._settle(ctx, client, model, obj, "updating"))

    def delete(self, ctx: Context, state: dict[str, Any]) -> None:
        from ..api import errors

        model = from_tf(Model, state)
        with logs.resource_context(TYPE_NAME, label(model)):
            client = self._client(ctx)
            if client is None:
                return
            try:
                client.delete("virtualmachineservices", model.namespace, model.name)
                client.wait_gone(
                    "virtualmachineservices",
                    model.namespace,
                    model.name,
                    deadline=ctx.deadline,
                    stop=ctx.stop,
                    logger=log,
                )
            except errors.NotFound:
                pass
            except errors.ApiError as exc:
                shared.api_error(ctx, "deleting", label(model), exc, WIRE_TO_TF_PATH)
                return
            inflight.journal().settle(TYPE_NAME, label(model))

    def import_(self, ctx: Context, import_id: str) -> dict[str, Any] | None:
        parsed = shared.parse_import_id(ctx, import_id, f"{TYPE_NAME}.web demo-ns/web")
        if parsed is None:
            return None
        namespace, name = parsed
        return to_tf(Model(id=import_id, name=name, namespace=namespace, wait_for_load_balancer=True))
