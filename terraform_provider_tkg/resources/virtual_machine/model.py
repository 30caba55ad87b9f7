"""The typed model of ``tkg_virtual_machine`` (values may be ``Unknown`` at plan time) and its constants."""

from __future__ import annotations

import dataclasses
import re
from decimal import Decimal, InvalidOperation
from typing import Any

from ..._naming import PROVIDER_NAME
from ...framework.model import many, single

__all__ = [
    "BOOTSTRAP_KEY",
    "HARDWARE_VERSIONS",
    "POWER_STATES",
    "SYSPREP_KEY",
    "TYPE_NAME",
    "Bootstrap",
    "Model",
    "NetworkInterface",
    "Volume",
    "label",
    "quantity_bytes",
]

TYPE_NAME = f"{PROVIDER_NAME}_virtual_machine"
POWER_STATES = ("PoweredOn", "PoweredOff", "Suspended")
# vSphere 8.0 U2/U3 builds VMs up to hardware version 21; VM Operator accepts 13 and later.
HARDWARE_VERSIONS = (13, 21)
# Keys in the bootstrap Secret ``<name>-bootstrap``; vApp properties get a Secret of their own (``<name>-vapp``),
# because VM Operator turns every key of a ``rawProperties`` Secret into a vApp property.
BOOTSTRAP_KEY = "user-data"
SYSPREP_KEY = "unattend"
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
    sysprep: str | None = None
    vapp_properties: dict[str, str] | None = None


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
