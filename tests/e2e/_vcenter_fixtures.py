"""Helpers for the vCenter resource and data source e2e tests: a simulator per module, out-of-band REST access (drift,
disappears), existence checks through the provider's own ``VcenterClient``, a recorder of write requests, and the
HCL prologue."""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Iterator
from typing import Any

import httpx

from terraform_provider_tkg.api.vcenter import VcenterClient
from tests import certs
from tkgsim import Simulator

SUPERVISOR_ID = "c9ad3f1a-6c0e-4a2b-9a64-0d1a7f0e5b21"
VSAN = "aa6d5a82-1c88-45da-85d3-3d74b91a5bad"
GOLD = "4d5f673c-536f-11e6-beb8-9e71128cae77"
VM_IMAGES = "1b2c3d4e-5f60-4718-92a3-b4c5d6e7f809"

PROLOGUE = """
terraform {
  required_providers {
    tkg = { source = "tkg-oss/tkg" }
  }
}

provider "tkg" {}
"""


def prefix(version: str) -> str:
    """A name prefix unique per Terraform version (tests of both versions share one simulator)."""
    return "e2e-" + version.replace(".", "")[:4]


@contextlib.contextmanager
def rest(sim: Simulator) -> Iterator[httpx.Client]:
    """An authenticated vCenter REST client for out-of-band changes (a session token, like any other client)."""
    with httpx.Client(base_url=sim.vcenter_url, verify=certs.verify(sim.ca_file), timeout=30) as client:
        token = client.post("/api/session", auth=(sim.admin_user, sim.admin_password)).json()
        client.headers["vmware-api-session-id"] = token
        yield client


@contextlib.contextmanager
def api_client(sim: Simulator) -> Iterator[VcenterClient]:
    """The provider's own vCenter client pointed at the simulator (existence checks, like AWS's finders)."""
    server = sim.vcenter_url.removeprefix("https://")
    client = VcenterClient(server, user=sim.admin_user, password=sim.admin_password, ca_file=sim.ca_file)
    try:
        yield client
    finally:
        client.close()


def snapshot(sim: Simulator) -> dict[str, Any]:
    """The admin snapshot of every simulated object."""
    with httpx.Client(base_url=sim.vcenter_url, verify=certs.verify(sim.ca_file), timeout=30) as client:
        response = client.get("/_sim/snapshot", auth=(sim.admin_user, sim.admin_password))
        response.raise_for_status()
        return dict(response.json())


class WriteRecorder(logging.Handler):
    """Records every non-GET request the in-process simulator's vCenter app serves (from its request log)."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.writes: list[str] = []
        self._lock2 = threading.Lock()

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        method = message.split(" ", 1)[0]
        if method in ("POST", "PUT", "PATCH", "DELETE") and not message.startswith("POST /api/session"):
            with self._lock2:
                self.writes.append(message)


@contextlib.contextmanager
def record_writes() -> Iterator[WriteRecorder]:
    logger = logging.getLogger("tkgsim.vcenter.app")
    recorder = WriteRecorder()
    old_level = logger.level
    logger.setLevel(logging.DEBUG)
    logger.addHandler(recorder)
    try:
        yield recorder
    finally:
        logger.removeHandler(recorder)
        logger.setLevel(old_level)
