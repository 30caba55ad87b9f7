"""``vmoperator.vmware.com/v1alpha3`` VirtualMachineService and its validating webhook.

Rules from vm-operator's ``webhooks/virtualmachineservice/validation``: ``spec.type`` required and one of
``ClusterIP``/``LoadBalancer``/``ExternalName``; ports required (unless headless or ExternalName), each with a valid
name (required when there are several), protocol ``TCP``/``UDP``/``SCTP``, port and targetPort 1-65535, no
duplicate (protocol, port); ``loadBalancerSourceRanges`` only on LoadBalancer and each a CIDR; ``spec.type`` is
immutable like ``spec.clusterIp``.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Any

from .... import status
from ....columns import path
from ....resources import AdmissionRequest, Column, ResourceType

__all__ = ["SERVICE_TYPES", "VIRTUAL_MACHINE_SERVICE"]

GROUP = "vmoperator.vmware.com"
VALIDATING = "default.validating.virtualmachineservice.v1alpha3.vmoperator.vmware.com"
SERVICE_TYPES = ("ClusterIP", "ExternalName", "LoadBalancer")
PROTOCOLS = ("SCTP", "TCP", "UDP")
_PORT_NAME = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_STRING = {"type": "string"}

SERVICE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "spec": {
            "type": "object",
            "properties": {
                "type": _STRING,
                "ports": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {
                            "name": _STRING,
                            "protocol": _STRING,
                            "port": {"type": "integer"},
                            "targetPort": {"type": "integer"},
                        },
                    },
                },
                "selector": {"type": "object", "additionalProperties": _STRING},
                "loadBalancerIP": _STRING,
                "loadBalancerSourceRanges": {"type": "array", "items": _STRING},
                "clusterIp": _STRING,
                "externalName": _STRING,
                "ipFamilies": {"type": "array", "items": _STRING},
                "ipFamilyPolicy": _STRING,
            },
        },
        "status": {"type": "object", "x-kubernetes-preserve-unknown-fields": True},
    },
}


def _cause(field: str, message: str, reason: str = "FieldValueInvalid") -> status.Cause:
    return status.Cause(field, message, reason)


def _port_causes(spec: dict[str, Any]) -> list[status.Cause]:
    causes: list[status.Cause] = []
    ports = spec.get("ports") or []
    headless = spec.get("clusterIp") == "None"
    if not ports and not headless and spec.get("type") != "ExternalName":
        causes.append(_cause("spec.ports", "Required value", "FieldValueRequired"))
    names: set[str] = set()
    pairs: set[tuple[str, int]] = set()
    for index, port in enumerate(ports):
        field = f"spec.ports[{index}]"
        name = str(port.get("name") or "")
        if len(ports) > 1 and not name:
            causes.append(_cause(f"{field}.name", "Required value", "FieldValueRequired"))
        elif name and (not _PORT_NAME.match(name) or len(name) > 63):
            causes.append(
                _cause(
                    f"{field}.name",
                    f'Invalid value: "{name}": a lowercase RFC 1123 label must consist of lower case alphanumeric '
                    "characters or '-', and must start and end with an alphanumeric character",
                )
            )
        elif name in names:
            causes.append(_cause(f"{field}.name", f'Duplicate value: "{name}"', "FieldValueDuplicate"))
        names.add(name)
        protocol = str(port.get("protocol") or "")
        if protocol not in PROTOCOLS:
            causes.append(
                _cause(
                    f"{field}.protocol",
                    f'Unsupported value: "{protocol}": supported values: "SCTP", "TCP", "UDP"',
                    "FieldValueNotSupported",
                )
            )
        for key in ("port", "targetPort"):
            value = port.get(key)
            if not isinstance(value, int) or not 1 <= value <= 65535:
                causes.append(
                    _cause(f"{field}.{key}", f"Invalid value: {value}: must be between 1 and 65535, inclusive")
                )
        pair = (protocol, int(port.get("port") or 0))
        if pair in pairs:
            causes.append(
                _cause(field, f'Duplicate value: {{"protocol": "{pair[0]}", "port": {pair[1]}}}', "FieldValueDuplicate")
            )
        pairs.add(pair)
    return causes


def admit_virtual_machine_service(req: AdmissionRequest) -> list[str]:
    """Validate a VirtualMachineService write (raises ``KubeError`` with field causes)."""
    obj = req.obj
    meta = obj.get("metadata") or {}
    name = str(meta.get("name", ""))
    if meta.get("deletionTimestamp"):
        return []
    spec = obj.setdefault("spec", {})
    causes: list[status.Cause] = []
    kind = spec.get("type")
    if not kind:
        causes.append(_cause("spec.type", "Required value", "FieldValueRequired"))
    elif kind not in SERVICE_TYPES:
        allowed = ", ".join(f'"{t}"' for t in SERVICE_TYPES)
        causes.append(
            _cause("spec.type", f'Unsupported value: "{kind}": supported values: {allowed}', "FieldValueNotSupported")
        )
    if kind == "LoadBalancer" and spec.get("clusterIp") == "None":
        causes.append(
            _cause("spec.clusterIP", "Invalid value: \"None\": may not be set to 'None' for LoadBalancer services")
        )
    if kind == "ExternalName" and not spec.get("externalName"):
        causes.append(_cause("spec.externalName", "Required value", "FieldValueRequired"))
    causes.extend(_port_causes(spec))
    for index, cidr in enumerate(spec.get("loadBalancerSourceRanges") or []):
        if kind != "LoadBalancer":
            causes.append(
                _cause(
                    "spec.loadBalancerSourceRanges",
                    "Forbidden: may only be used when `type` is 'LoadBalancer'",
                    "FieldValueForbidden",
                )
            )
            break
        try:
            ipaddress.ip_network(str(cidr).strip(), strict=False)
        except ValueError:
            causes.append(
                _cause(
                    f"spec.loadBalancerSourceRanges[{index}]",
                    f'Invalid value: "{cidr}": must be compatible with https://pkg.go.dev/net#ParseCIDR',
                )
            )
    if req.operation == "UPDATE" and req.old is not None:
        old_kind = (req.old.get("spec") or {}).get("type")
        if old_kind and kind != old_kind:
            causes.append(_cause("spec.type", "Forbidden: field is immutable", "FieldValueForbidden"))
    if causes:
        raise status.invalid("VirtualMachineService", GROUP, name, causes, webhook=VALIDATING)
    return []


VIRTUAL_MACHINE_SERVICE = ResourceType(
    group=GROUP,
    version="v1alpha3",
    kind="VirtualMachineService",
    plural="virtualmachineservices",
    namespaced=True,
    short_names=("vmservice",),
    schema=SERVICE_SCHEMA,
    admit=(admit_virtual_machine_service,),
    columns=(
        Column("Type", "string", lambda o: path(o, "spec.type")),
        Column(
            "External-IP",
            "string",
            lambda o: ",".join(i.get("ip", "") for i in path(o, "status.loadBalancer.ingress") or []) or "<none>",
        ),
    ),
)
