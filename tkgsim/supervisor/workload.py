"""Simulated workload clusters: their kubeconfig and a minimal Kubernetes API per cluster.

Each workload cluster is served on the Supervisor's own port under ``/workload/<namespace>/<cluster>`` (a loopback
simulator cannot hand out one VIP per cluster); the kubeconfig's ``server:`` carries that path, which kubectl and the
client libraries support. Served: ``/version`` (the cluster's current control-plane Kubernetes version), ``/api``,
``/api/v1``, ``/apis`` (empty), ``/api/v1/nodes[/<name>]`` (one Node per simulated machine, control plane first).

Authentication: a per-cluster bearer token written into the kubeconfig (user ``<cluster>-admin``), or a guest SSO
token from ``/wcp/login`` (``guest_auth``: signature, audience and expiry checked; only administrators may read
nodes, as a namespace *view* user has no default binding in the cluster), or an admin's Supervisor session. The real
Supervisor writes client-certificate credentials (CN ``kubernetes-admin``); a token keeps the simulator free of a
client-certificate TLS setup while every client accepts it the same way. Only a SHA-256 digest of the token is kept
in ``world.data["k8s"]["workloads"]``; the token itself lives only in the ``<cluster>-kubeconfig`` Secret.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import secrets
from typing import Any

import yaml
from aiohttp import web

from tkgsim import auth

from . import guest_auth, status
from .context import SUPERVISOR, Supervisor
from .controllers import cluster as cluster_controller

__all__ = ["ROUTES", "kubeconfig", "server_url"]

log = logging.getLogger(__name__)

PREFIX = "/workload"


def server_url(sup: Supervisor, namespace: str, name: str) -> str:
    """The ``server:`` of a workload cluster's kubeconfig."""
    return f"{sup.world.supervisor_url.rstrip('/')}{PREFIX}/{namespace}/{name}"


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def kubeconfig(sup: Supervisor, namespace: str, name: str) -> str:
    """A fresh admin kubeconfig (YAML) for a workload cluster; rotates its token."""
    token = secrets.token_urlsafe(24)
    sup.store.data["workloads"][f"{namespace}/{name}"] = {"token_sha256": _digest(token)}
    cluster_entry: dict[str, Any] = {"server": server_url(sup, namespace, name)}
    if sup.world.ca_pem:
        cluster_entry["certificate-authority-data"] = base64.b64encode(sup.world.ca_pem.encode()).decode()
    elif cluster_entry["server"].startswith("https://"):
        cluster_entry["insecure-skip-tls-verify"] = True
    user = f"{name}-admin"
    context = f"{user}@{name}"
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": name, "cluster": cluster_entry}],
        "contexts": [{"name": context, "context": {"cluster": name, "user": user}}],
        "current-context": context,
        "preferences": {},
        "users": [{"name": user, "user": {"token": token}}],
    }
    return str(yaml.safe_dump(config, sort_keys=False))


def _json(data: Any) -> web.Response:
    return web.Response(body=json.dumps(data).encode(), content_type="application/json")


_ADMIN = guest_auth.GuestIdentity("kubernetes-admin", ("system:masters", "system:authenticated"), float("inf"))
IDENTITY = web.RequestKey("workload_identity", guest_auth.GuestIdentity)


def _identity(sup: Supervisor, namespace: str, name: str, presented: str) -> guest_auth.GuestIdentity:
    """Who the bearer token is: the kubeconfig's admin token, a guest SSO token, or an admin Supervisor session."""
    record = sup.store.data["workloads"].get(f"{namespace}/{name}")
    if record is not None and hmac.compare_digest(_digest(presented), record["token_sha256"]):
        return _ADMIN
    if presented.count(".") == 2:
        cluster = sup.store.get(sup.registry.by_kind("Cluster"), namespace, name)
        if cluster is None:
            raise status.unauthorized()
        try:
            return guest_auth.validate(sup, presented, cluster)
        except guest_auth.TokenRejected as exc:
            log.info("workload %s/%s refused a token: %s", namespace, name, exc)
            raise status.unauthorized() from exc
    # A Supervisor session of an admin user is accepted as well (older clients present it).
    user = auth.validate_token(sup.world, presented)
    if not auth.is_admin(user):
        raise status.unauthorized()
    assert user is not None
    return guest_auth.GuestIdentity(f"sso:{user['name']}", ("sso:Administrators@vsphere.local",), float("inf"))


def _cluster_and_state(request: web.Request) -> tuple[Supervisor, dict[str, Any], dict[str, Any]]:
    sup = request.app[SUPERVISOR]
    namespace, name = request.match_info["namespace"], request.match_info["name"]
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise status.unauthorized()
    request[IDENTITY] = _identity(sup, namespace, name, token.strip())
    cluster = sup.store.get(sup.registry.by_kind("Cluster"), namespace, name)
    state = sup.store.data["controllers"].get("clusters", {}).get(f"{namespace}/{name}")
    if cluster is None or state is None or not state.get("infra_ready"):
        raise status.KubeError(503, "ServiceUnavailable", "the workload cluster's API server is not reachable")
    return sup, cluster, state


def _require_admin(request: web.Request, verb: str, name: str | None = None) -> None:
    """Only cluster admins may read nodes: SSO users of the namespace's *view* role get no default binding."""
    identity = request[IDENTITY]
    if identity.cluster_admin or "system:masters" in identity.groups:
        return
    target = f' "{name}"' if name else ""
    raise status.KubeError(
        403,
        "Forbidden",
        f'nodes{target} is forbidden: User "{identity.username}" cannot {verb} resource "nodes" in API group "" '
        "at the cluster scope",
        {"kind": "nodes", **({"name": name} if name else {})},
    )


async def self_subject_review(request: web.Request) -> web.Response:
    """``POST …/apis/authentication.k8s.io/v1/selfsubjectreviews`` (``kubectl auth whoami``)."""
    _cluster_and_state(request)
    identity = request[IDENTITY]
    return _json(
        {
            "kind": "SelfSubjectReview",
            "apiVersion": "authentication.k8s.io/v1",
            "metadata": {"creationTimestamp": None},
            "status": {"userInfo": {"username": identity.username, "groups": list(identity.groups)}},
        }
    )


async def version(request: web.Request) -> web.Response:
    """``GET …/version``: the lowest control-plane machine version (what a rolling upgrade reports)."""
    _sup, cluster, state = _cluster_and_state(request)
    versions = sorted((m["version"] for m in state.get("cp") or []), key=cluster_controller._version_key)
    git_version = versions[0] if versions else str(cluster["spec"]["topology"]["version"])
    parts = git_version.lstrip("v").split(".")
    return _json(
        {
            "major": parts[0],
            "minor": parts[1] if len(parts) > 1 else "0",
            "gitVersion": git_version,
            "gitCommit": "0000000000000000000000000000000000000000",
            "gitTreeState": "clean",
            "buildDate": "2025-01-01T00:00:00Z",
            "goVersion": "go1.22.5",
            "compiler": "gc",
            "platform": "linux/amd64",
        }
    )


async def api_versions(request: web.Request) -> web.Response:
    _cluster_and_state(request)
    return _json(
        {
            "kind": "APIVersions",
            "versions": ["v1"],
            "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": request.host}],
        }
    )


async def api_groups(request: web.Request) -> web.Response:
    _cluster_and_state(request)
    apps = {"groupVersion": "apps/v1", "version": "v1"}
    return _json(
        {
            "kind": "APIGroupList",
            "apiVersion": "v1",
            "groups": [{"name": "apps", "versions": [apps], "preferredVersion": apps}],
        }
    )


async def apps_resources(request: web.Request) -> web.Response:
    _cluster_and_state(request)
    return _json(
        {
            "kind": "APIResourceList",
            "apiVersion": "v1",
            "groupVersion": "apps/v1",
            "resources": [
                {
                    "name": "daemonsets",
                    "singularName": "daemonset",
                    "namespaced": True,
                    "kind": "DaemonSet",
                    "verbs": ["get", "list"],
                    "shortNames": ["ds"],
                }
            ],
        }
    )


# The kube-system DaemonSet each CNI package runs (what ``kubectl -n kube-system get ds`` shows).
CNI_DAEMONSETS = {"antrea": "antrea-agent", "calico": "calico-node"}


def cni_of(sup: Supervisor, cluster: dict[str, Any]) -> str:
    """The CNI a cluster runs: the package of its ClusterBootstrap's ``spec.cni.refName`` (antrea without one)."""
    meta = cluster["metadata"]
    bootstrap = sup.store.get(sup.registry.by_kind("ClusterBootstrap"), meta["namespace"], meta["name"])
    ref = str((((bootstrap or {}).get("spec") or {}).get("cni") or {}).get("refName") or "antrea")
    return ref.split(".", 1)[0]


def _daemonsets(sup: Supervisor, cluster: dict[str, Any], state: dict[str, Any]) -> list[dict[str, Any]]:
    count = len(cluster_controller.nodes(cluster, state))
    cni = cni_of(sup, cluster)
    name = CNI_DAEMONSETS.get(cni, f"{cni}-agent")
    return [
        {
            "apiVersion": "apps/v1",
            "kind": "DaemonSet",
            "metadata": {
                "name": name,
                "namespace": "kube-system",
                "labels": {"app": cni, "component": name},
                "uid": hashlib.sha256(f"{cluster['metadata'].get('uid')}/{name}".encode()).hexdigest()[:32],
                "creationTimestamp": cluster["metadata"].get("creationTimestamp"),
            },
            "spec": {"selector": {"matchLabels": {"component": name}}},
            "status": {
                "desiredNumberScheduled": count,
                "currentNumberScheduled": count,
                "numberReady": count,
                "numberAvailable": count,
                "updatedNumberScheduled": count,
                "numberMisscheduled": 0,
            },
        }
    ]


async def daemonsets(request: web.Request) -> web.Response:
    """``GET …/apis/apps/v1[/namespaces/<ns>]/daemonsets``: the CNI's DaemonSet in kube-system."""
    sup, cluster, state = _cluster_and_state(request)
    namespace = request.match_info.get("ns")
    items = [d for d in _daemonsets(sup, cluster, state) if namespace in (None, d["metadata"]["namespace"])]
    rv = str(sup.store.resource_version)
    return _json(
        {"kind": "DaemonSetList", "apiVersion": "apps/v1", "metadata": {"resourceVersion": rv}, "items": items}
    )


async def core_resources(request: web.Request) -> web.Response:
    _cluster_and_state(request)
    return _json(
        {
            "kind": "APIResourceList",
            "apiVersion": "v1",
            "groupVersion": "v1",
            "resources": [
                {
                    "name": "nodes",
                    "singularName": "node",
                    "namespaced": False,
                    "kind": "Node",
                    "verbs": ["get", "list"],
                    "shortNames": ["no"],
                }
            ],
        }
    )


def _node_table(items: list[dict[str, Any]], version: str) -> dict[str, Any]:
    from .tables import human_age

    rows = []
    for node in items:
        roles = "control-plane" if "node-role.kubernetes.io/control-plane" in node["metadata"]["labels"] else "<none>"
        rows.append(
            {
                "cells": [
                    node["metadata"]["name"],
                    "Ready",
                    roles,
                    human_age(node["metadata"]["creationTimestamp"]),
                    node["status"]["nodeInfo"]["kubeletVersion"],
                ],
                "object": {
                    "kind": "PartialObjectMetadata",
                    "apiVersion": "meta.k8s.io/v1",
                    "metadata": node["metadata"],
                },
            }
        )
    return {
        "kind": "Table",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": {"resourceVersion": version},
        "columnDefinitions": [
            {"name": "Name", "type": "string", "format": "name", "description": "", "priority": 0},
            {"name": "Status", "type": "string", "format": "", "description": "", "priority": 0},
            {"name": "Roles", "type": "string", "format": "", "description": "", "priority": 0},
            {"name": "Age", "type": "string", "format": "", "description": "", "priority": 0},
            {"name": "Version", "type": "string", "format": "", "description": "", "priority": 0},
        ],
        "rows": rows,
    }


async def nodes(request: web.Request) -> web.Response:
    """``GET …/api/v1/nodes``."""
    sup, cluster, state = _cluster_and_state(request)
    _require_admin(request, "list")
    items = cluster_controller.nodes(cluster, state)
    rv = str(sup.store.resource_version)
    if "as=Table" in request.headers.get("Accept", ""):
        return _json(_node_table(items, rv))
    return _json({"kind": "NodeList", "apiVersion": "v1", "metadata": {"resourceVersion": rv}, "items": items})


async def node(request: web.Request) -> web.Response:
    """``GET …/api/v1/nodes/<name>``."""
    _sup, cluster, state = _cluster_and_state(request)
    _require_admin(request, "get", request.match_info["node"])
    for item in cluster_controller.nodes(cluster, state):
        if item["metadata"]["name"] == request.match_info["node"]:
            return _json(item)
    raise status.not_found("nodes", "", request.match_info["node"])


_BASE = PREFIX + "/{namespace}/{name}"
ROUTES = [
    web.get(_BASE + "/version", version),
    web.get(_BASE + "/api", api_versions),
    web.get(_BASE + "/apis", api_groups),
    web.get(_BASE + "/api/v1", core_resources),
    web.get(_BASE + "/api/v1/nodes", nodes),
    web.get(_BASE + "/api/v1/nodes/{node}", node),
    web.post(_BASE + "/apis/authentication.k8s.io/v1/selfsubjectreviews", self_subject_review),
    web.get(_BASE + "/apis/apps/v1", apps_resources),
    web.get(_BASE + "/apis/apps/v1/daemonsets", daemonsets),
    web.get(_BASE + "/apis/apps/v1/namespaces/{ns}/daemonsets", daemonsets),
]
