"""Fixtures for the simulator's own behaviour tests: a live in-process tkg-sim and httpx clients for it."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests import certs
from tkgsim import Simulator

SESSION_HEADER = "vmware-api-session-id"
SUPERVISOR = "c9ad3f1a-6c0e-4a2b-9a64-0d1a7f0e5b21"
POLICY = "aa6d5a82-1c88-45da-85d3-3d74b91a5bad"
LOCAL_LIBRARY = "1b2c3d4e-5f60-4718-92a3-b4c5d6e7f809"
SUBSCRIBED_LIBRARY = "8f2d3d5e-6a1b-4c7f-9e0a-2b3c4d5e6f70"
READONLY = ("readonly@vsphere.local", "Tanzu-Sim-RO-1!")

_names = itertools.count(1)


def unique(prefix: str) -> str:
    """A DNS-label name not used by any other test of this run."""
    return f"{prefix}-{next(_names)}"


class VcClient:
    """A logged-in vCenter REST client (httpx) for one user."""

    def __init__(self, sim: Simulator, user: str, password: str) -> None:
        self.http = httpx.Client(base_url=sim.vcenter_url, verify=certs.verify(sim.ca_file), timeout=30)
        response = self.http.post("/api/session", auth=(user, password), headers={"vmware-use-header-authn": "1"})
        assert response.status_code == 201, response.text
        self.token = response.json()
        self.http.headers[SESSION_HEADER] = self.token

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.http.get(path, **kwargs)

    def post(self, path: str, body: Any = None, **kwargs: Any) -> httpx.Response:
        return self.http.post(path, json=body, **kwargs)

    def patch(self, path: str, body: Any) -> httpx.Response:
        return self.http.patch(path, json=body)

    def put(self, path: str, body: Any) -> httpx.Response:
        return self.http.put(path, json=body)

    def delete(self, path: str) -> httpx.Response:
        return self.http.delete(path)

    def close(self) -> None:
        self.http.close()


@pytest.fixture(scope="session")
def sim() -> Iterator[Simulator]:
    """A session-wide simulator with instant transitions (delay scale 0)."""
    with Simulator(delay_scale=0) as simulator:
        yield simulator


@pytest.fixture(scope="session")
def vks_sim() -> Iterator[Simulator]:
    """A session-wide simulator answering as vSphere 9 with VKS 3.4 (the 9.x vCenter bindings)."""
    with Simulator(delay_scale=0, profile="vks-3.4") as simulator:
        yield simulator


@pytest.fixture(scope="module")
def slow_sim() -> Iterator[Simulator]:
    """A simulator whose namespace transitions take observable time (about a second each)."""
    with Simulator(delay_scale=0.5) as simulator:
        yield simulator


@pytest.fixture
def vc(sim: Simulator) -> Iterator[VcClient]:
    """An admin client of ``sim``."""
    client = VcClient(sim, sim.admin_user, sim.admin_password)
    yield client
    client.close()


@pytest.fixture
def vc_vks(vks_sim: Simulator) -> Iterator[VcClient]:
    """An admin client of ``vks_sim``."""
    client = VcClient(vks_sim, vks_sim.admin_user, vks_sim.admin_password)
    yield client
    client.close()


@pytest.fixture
def vc_readonly(sim: Simulator) -> Iterator[VcClient]:
    """A read-only client of ``sim``."""
    client = VcClient(sim, *READONLY)
    yield client
    client.close()


@pytest.fixture
def admin(sim: Simulator) -> Iterator[httpx.Client]:
    """A client of the admin endpoints (Basic auth)."""
    with httpx.Client(
        base_url=sim.vcenter_url,
        verify=certs.verify(sim.ca_file),
        auth=(sim.admin_user, sim.admin_password),
        timeout=30,
    ) as client:
        yield client


@pytest.fixture
def clean_faults(admin: httpx.Client) -> Iterator[None]:
    """Reset every fault knob after the test."""
    yield
    response = admin.patch(
        "/_sim/faults",
        json={
            "latency": 0,
            "error_rate": 0,
            "fail_next": 0,
            "token_ttl": None,
            "lost_responses": [],
            "error_kinds": ["503", "429", "reset"],
            "counters": {},
        },
    )
    assert response.status_code == 200


def namespace_body(name: str, **extra: Any) -> dict[str, Any]:
    """A valid create_v2 body."""
    return {"supervisor": SUPERVISOR, "namespace": name, "storage_specs": [{"policy": POLICY}], **extra}


def assert_vc_error(response: httpx.Response, status: int, error_type: str) -> dict[str, Any]:
    """Check a vCenter error response and return its body."""
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    assert body["error_type"] == error_type, body
    assert isinstance(body["messages"], list) and body["messages"], body
    for message in body["messages"]:
        assert set(message) == {"id", "default_message", "args"}, message
        assert all(isinstance(arg, str) for arg in message["args"])
    return body
