# ruff: noqa: F811  (pytest fixtures are imported from _supervisor_fixtures and requested by name)
"""Guest-cluster SSO tokens (``kubectl vsphere login --tanzu-kubernetes-cluster-name``) against the real kubectl: the
workload API knows the user, refuses altered, foreign and expired tokens, and gives view-only users no node access."""

from __future__ import annotations

import base64
import json
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from tests import certs

from ._supervisor_fixtures import CLUSTERS, SupervisorEnv, cluster_manifest, is_ready, supervisor  # noqa: F401

pytestmark = pytest.mark.contract


def _guest_login(env: SupervisorEnv, cluster: str, user: str, password: str) -> dict[str, Any]:
    with httpx.Client(verify=certs.verify(env.ca_file), timeout=30) as http:
        response = http.post(
            f"{env.url}/wcp/login",
            auth=(user, password),
            json={"guest_cluster_name": cluster, "guest_cluster_namespace": env.namespace},
        )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _kubeconfig(env: SupervisorEnv, login: dict[str, Any], name: str) -> Path:
    path = env.workdir / f"{name}.kubeconfig"
    ca = env.workdir / "guest-ca.pem"
    ca.write_text(login["guest_cluster_ca"])
    path.write_text(
        yaml.safe_dump(
            {
                "apiVersion": "v1",
                "kind": "Config",
                "clusters": [
                    {
                        "name": "g",
                        "cluster": {"server": login["guest_cluster_server"], "certificate-authority": str(ca)},
                    }
                ],
                "users": [{"name": "u", "user": {"token": login["session_id"]}}],
                "contexts": [{"name": "c", "context": {"cluster": "g", "user": "u"}}],
                "current-context": "c",
            }
        )
    )
    return path


def _claims(token: str) -> dict[str, Any]:
    payload = token.split(".")[1]
    claims: dict[str, Any] = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    return claims


@pytest.fixture(scope="module")
def guest(supervisor: SupervisorEnv) -> str:
    with supervisor.client() as http:
        response = http.post(
            CLUSTERS.format(ns=supervisor.namespace), json=cluster_manifest("sso-guest", supervisor.namespace)
        )
        assert response.status_code == 201, response.text
    supervisor.wait_for(lambda: is_ready(supervisor.get_cluster("sso-guest")), what="sso-guest Ready")
    return "sso-guest"


def _readonly(env: SupervisorEnv) -> tuple[str, str]:
    user = next(u for u in env.sim.world.model["users"] if u["role"] == "read-only")
    return str(user["name"]), str(user["password"])


def test_guest_token_names_the_user_and_lists_nodes(supervisor: SupervisorEnv, guest: str) -> None:
    login = _guest_login(supervisor, guest, supervisor.sim.admin_user, supervisor.sim.admin_password)
    cluster = supervisor.get_cluster(guest)
    assert cluster is not None
    claims = _claims(login["session_id"])
    assert claims["aud"] == f"vmware-tes:vc:vns:k8s:{cluster['metadata']['uid']}"
    assert claims["exp"] > time.time()
    kubeconfig = _kubeconfig(supervisor, login, "sso-admin")
    whoami = supervisor.kubectl("auth", "whoami", "-o", "json", kubeconfig=kubeconfig).stdout
    assert json.loads(whoami)["status"]["userInfo"]["username"] == f"sso:{supervisor.sim.admin_user.lower()}"
    nodes = supervisor.kubectl("get", "nodes", "-o", "name", kubeconfig=kubeconfig).stdout.split()
    assert len(nodes) == 2


def test_view_only_user_is_authenticated_but_forbidden(supervisor: SupervisorEnv, guest: str) -> None:
    login = _guest_login(supervisor, guest, *_readonly(supervisor))
    kubeconfig = _kubeconfig(supervisor, login, "sso-view")
    whoami = json.loads(supervisor.kubectl("auth", "whoami", "-o", "json", kubeconfig=kubeconfig).stdout)
    assert whoami["status"]["userInfo"]["username"] == f"sso:{_readonly(supervisor)[0].lower()}"
    result = supervisor.kubectl("get", "nodes", kubeconfig=kubeconfig, check=False)
    assert result.returncode != 0
    assert "forbidden" in result.stderr.lower()


def test_altered_and_foreign_tokens_are_refused(supervisor: SupervisorEnv, guest: str) -> None:
    login = _guest_login(supervisor, guest, *_readonly(supervisor))
    header, _payload, signature = login["session_id"].split(".")
    claims = _claims(login["session_id"])
    claims["group_names"] = ["Administrators@vsphere.local"]
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    altered = {**login, "session_id": f"{header}.{forged}.{signature}"}
    result = supervisor.kubectl("get", "nodes", kubeconfig=_kubeconfig(supervisor, altered, "sso-forged"), check=False)
    assert result.returncode != 0
    assert "Unauthorized" in result.stderr or "provide credentials" in result.stderr
    # A token for another cluster is not accepted here.
    with supervisor.client() as http:
        http.post(CLUSTERS.format(ns=supervisor.namespace), json=cluster_manifest("sso-other", supervisor.namespace))
    supervisor.wait_for(lambda: is_ready(supervisor.get_cluster("sso-other")), what="sso-other Ready")
    other = _guest_login(supervisor, "sso-other", supervisor.sim.admin_user, supervisor.sim.admin_password)
    foreign = {**login, "session_id": other["session_id"]}
    result = supervisor.kubectl("get", "nodes", kubeconfig=_kubeconfig(supervisor, foreign, "sso-foreign"), check=False)
    assert result.returncode != 0
    assert "Unauthorized" in result.stderr or "provide credentials" in result.stderr


def test_expired_token_is_refused(supervisor: SupervisorEnv, guest: str) -> None:
    supervisor.sim.call(lambda world: setattr(world.faults, "token_ttl", 1.0))
    try:
        login = _guest_login(supervisor, guest, supervisor.sim.admin_user, supervisor.sim.admin_password)
    finally:
        supervisor.sim.call(lambda world: setattr(world.faults, "token_ttl", None))
    kubeconfig = _kubeconfig(supervisor, login, "sso-expiring")
    supervisor.wait_for(lambda: time.time() > _claims(login["session_id"])["exp"] + 0.2, what="token expiry")
    result = supervisor.kubectl("get", "nodes", kubeconfig=kubeconfig, check=False)
    assert result.returncode != 0
    assert "Unauthorized" in result.stderr or "provide credentials" in result.stderr
