"""50 concurrent clients against the vCenter endpoint: every request must succeed (failures are counted)."""

from __future__ import annotations

import concurrent.futures
from collections import Counter

import httpx

from tests import certs
from tests.sim.conftest import namespace_body, unique
from tkgsim import Simulator

CLIENTS = 50


def _client_session(sim: Simulator, index: int) -> Counter[str]:
    outcomes: Counter[str] = Counter()
    name = unique(f"conc{index}")
    with httpx.Client(base_url=sim.vcenter_url, verify=certs.verify(sim.ca_file), timeout=60) as http:

        def record(response: httpx.Response, expected: int) -> None:
            outcomes["ok" if response.status_code == expected else f"{response.status_code}"] += 1

        login = http.post("/api/session", auth=(sim.admin_user, sim.admin_password))
        record(login, 201)
        if login.status_code != 201:
            return outcomes
        http.headers["vmware-api-session-id"] = login.json()
        record(http.post("/api/vcenter/namespaces/instances/v2", json=namespace_body(name)), 204)
        for _ in range(3):
            record(http.get(f"/api/vcenter/namespaces/instances/v2/{name}"), 200)
            record(http.get("/api/vcenter/namespace-management/virtual-machine-classes"), 200)
            record(http.get("/api/vcenter/namespaces/instances/v2"), 200)
        record(http.patch(f"/api/vcenter/namespaces/instances/{name}", json={"description": "x"}), 204)
        record(http.delete(f"/api/vcenter/namespaces/instances/{name}"), 204)
        record(http.delete("/api/session"), 204)
    return outcomes


def test_fifty_concurrent_clients_without_errors(sim: Simulator) -> None:
    totals: Counter[str] = Counter()
    with concurrent.futures.ThreadPoolExecutor(max_workers=CLIENTS) as pool:
        futures = [pool.submit(_client_session, sim, index) for index in range(CLIENTS)]
        for future in concurrent.futures.as_completed(futures):
            try:
                totals.update(future.result())
            except httpx.HTTPError as exc:
                totals[f"transport:{type(exc).__name__}"] += 1
    failures = {key: count for key, count in totals.items() if key != "ok"}
    assert failures == {}, failures
    assert totals["ok"] == CLIENTS * 14
