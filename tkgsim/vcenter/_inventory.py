"""Numbers and endpoints the read-only inventory views share (capacity of the simulated cluster, Supervisor address)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from tkgsim.vcenter import store
from tkgsim.world import World

CAPACITY = {"cpu_capacity": 90000, "memory_capacity": 524288, "storage_capacity": 4194304}


def stats(world: World) -> dict[str, int]:
    """``Clusters.Stats`` / ``Summary.Stats``: fixed capacity, usage from the namespaces' limits."""
    namespaces = store.namespaces(world).values()
    cpu = sum(int(ns.get("resource_spec", {}).get("cpu_limit", 0)) for ns in namespaces) // 10
    memory = sum(int(ns.get("resource_spec", {}).get("memory_limit", 0)) for ns in namespaces) // 10
    return {
        "cpu_used": 5000 + cpu,
        "cpu_capacity": CAPACITY["cpu_capacity"],
        "memory_used": 40960 + memory,
        "memory_capacity": CAPACITY["memory_capacity"],
        "storage_used": 102400,
        "storage_capacity": CAPACITY["storage_capacity"],
    }


def supervisor_endpoint(world: World, supervisor: dict[str, Any]) -> str:
    """The Supervisor's API endpoint as ``host:port`` (the seed's ``endpoint`` wins over the live URL)."""
    if supervisor.get("endpoint"):
        return str(supervisor["endpoint"])
    parts = urlsplit(world.supervisor_url)
    return parts.netloc or "127.0.0.1"


def cluster_endpoint(world: World, supervisor: dict[str, Any]) -> str:
    """``api_server_cluster_endpoint``: a bare address on a real vCenter (login on 443, the API on 6443).

    The simulator serves both on one unprivileged port, so it appends that port unless it is 443 or 6443 (a client
    that reads ``host:port`` as "both on this port" then finds it). A seed ``endpoint`` is reported as given.
    """
    endpoint = supervisor_endpoint(world, supervisor)
    host, _, port = endpoint.rpartition(":")
    if host and port in ("443", "6443"):
        return host
    return endpoint
