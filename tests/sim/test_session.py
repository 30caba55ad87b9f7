"""``/api/session`` and authentication/authorization over real HTTP."""

from __future__ import annotations

import httpx

from tests import certs
from tests.sim.conftest import READONLY, SESSION_HEADER, VcClient, assert_vc_error, namespace_body, unique
from tkgsim import Simulator


def _client(sim: Simulator) -> httpx.Client:
    return httpx.Client(base_url=sim.vcenter_url, verify=certs.verify(sim.ca_file), timeout=30)


def test_login_returns_201_and_a_bare_json_string_token(sim: Simulator) -> None:
    with _client(sim) as http:
        response = http.post("/api/session", auth=(sim.admin_user, sim.admin_password))
        assert response.status_code == 201
        token = response.json()
        assert isinstance(token, str) and len(token) == 32
        # Without vmware-use-header-authn the token is also set as a cookie, which authenticates by itself.
        assert response.cookies.get(SESSION_HEADER) == token
        info = http.get("/api/session")
        assert info.status_code == 200
        assert set(info.json()) == {"user", "created_time", "last_accessed_time"}
        assert info.json()["user"] == sim.admin_user


def test_login_with_header_authn_sets_no_cookie(sim: Simulator) -> None:
    with _client(sim) as http:
        response = http.post(
            "/api/session", auth=(sim.admin_user, sim.admin_password), headers={"vmware-use-header-authn": "x"}
        )
        assert response.status_code == 201
        assert SESSION_HEADER not in response.cookies


def test_wrong_password_and_missing_token_are_401_unauthenticated(sim: Simulator) -> None:
    with _client(sim) as http:
        assert_vc_error(http.post("/api/session", auth=(sim.admin_user, "wrong")), 401, "UNAUTHENTICATED")
        assert_vc_error(http.post("/api/session"), 401, "UNAUTHENTICATED")
        body = assert_vc_error(http.get("/api/vcenter/namespaces/instances"), 401, "UNAUTHENTICATED")
        assert body["messages"][0]["id"] == "com.vmware.vapi.endpoint.method.authentication.required"
        assert_vc_error(
            http.get("/api/vcenter/namespaces/instances", headers={SESSION_HEADER: "0" * 32}), 401, "UNAUTHENTICATED"
        )


def test_delete_session_invalidates_the_token(vc: VcClient) -> None:
    assert vc.get("/api/session").status_code == 200
    assert vc.delete("/api/session").status_code == 204
    assert_vc_error(vc.get("/api/session"), 401, "UNAUTHENTICATED")
    assert_vc_error(vc.delete("/api/session"), 401, "UNAUTHENTICATED")


def test_read_only_user_reads_but_gets_403_on_writes(vc_readonly: VcClient) -> None:
    assert vc_readonly.get("/api/vcenter/namespaces/instances").status_code == 200
    assert vc_readonly.get("/api/vcenter/namespace-management/virtual-machine-classes").status_code == 200
    name = unique("ro")
    assert_vc_error(vc_readonly.post("/api/vcenter/namespaces/instances/v2", namespace_body(name)), 403, "UNAUTHORIZED")
    assert_vc_error(
        vc_readonly.post(
            "/api/vcenter/namespace-management/virtual-machine-classes", {"id": name, "cpu_count": 1, "memory_MB": 512}
        ),
        403,
        "UNAUTHORIZED",
    )
    assert_vc_error(
        vc_readonly.delete("/api/vcenter/namespace-management/virtual-machine-classes/best-effort-small"),
        403,
        "UNAUTHORIZED",
    )
    assert vc_readonly.get("/api/session").json()["user"] == READONLY[0]
