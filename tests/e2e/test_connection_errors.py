"""A wrong, unreachable or silent endpoint fails fast with a message that says what to fix (real Terraform).

Stand-ins on 127.0.0.1: a port with no listener, a listener that accepts TCP and never answers (a bounded socket in
this test), tkg-sim with a CA the provider does not trust, and a host name that cannot resolve. Each test counts the
provider's attempts from its DEBUG lines in Terraform's log (one line per attempt: ``METHOD path outcome ms attempt
n/N``). One Terraform version is enough: the behaviour is the provider's, Terraform only relays the diagnostic.
"""

from __future__ import annotations

import re
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from tkgsim import Simulator, tls

from . import _vcenter_fixtures as fx
from .conftest import MakeTerraform

READ_SUPERVISOR = fx.PROLOGUE + 'data "tkg_supervisor" "this" {\n  name = "supervisor-1"\n}\n'
READ_RELEASES = fx.PROLOGUE + 'data "tkg_kubernetes_releases" "this" {}\n'


@pytest.fixture(scope="module")
def sim() -> Iterator[Simulator]:
    with Simulator(delay_scale=0) as simulator:
        yield simulator


@pytest.fixture
def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A listener whose kernel completes TCP handshakes while nobody ever reads or answers (a hung proxy)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(16)
        yield sock.getsockname()[1]


def attempts(log: str, call: str) -> list[str]:
    """The outcome of each logged attempt of ``call`` (e.g. "POST /api/session"), in order."""
    return re.findall(rf"{re.escape(call)} (.+?) \d+ms attempt \d+/\d+", log)


def failing_plan(make_tf: MakeTerraform, env: dict[str, str], config: str = READ_SUPERVISOR) -> tuple[str, str]:
    """Run ``terraform plan`` that must fail; returns (its output, the trace log)."""
    tf = make_tf(env=env, trace_log=True)
    tf.write(config)
    tf.init()
    run = tf.run("plan", "-input=false", "-no-color", ok=(1,))
    return " ".join((run.stdout + run.stderr).split()), tf.read_log()


def test_wrong_password_is_one_attempt(sim: Simulator, make_newest_tf: MakeTerraform) -> None:
    output, log = failing_plan(make_newest_tf, {**sim.env(), "VSPHERE_PASSWORD": "wrong"})
    assert attempts(log, "POST /api/session") == ["401"]
    assert "Check the provider's user and password" in output


def test_port_without_listener_gets_two_quick_retries(
    sim: Simulator, make_newest_tf: MakeTerraform, closed_port: int
) -> None:
    output, log = failing_plan(make_newest_tf, {**sim.env(), "VSPHERE_SERVER": f"127.0.0.1:{closed_port}"})
    assert attempts(log, "POST /api/session") == ["connection refused"] * 3
    assert (
        f"cannot connect to 127.0.0.1:{closed_port} (vsphere_server / VSPHERE_SERVER): connection refused "
        "(3 attempts)" in output
    )


def test_supervisor_port_without_listener_names_supervisor_endpoint(
    sim: Simulator, make_newest_tf: MakeTerraform, closed_port: int
) -> None:
    env = {**sim.env(), "TKG_SUPERVISOR_ENDPOINT": f"127.0.0.1:{closed_port}"}
    output, log = failing_plan(make_newest_tf, env, READ_RELEASES)
    assert attempts(log, "POST /wcp/login") == ["connection refused"] * 3
    assert f"127.0.0.1:{closed_port} (supervisor_endpoint / TKG_SUPERVISOR_ENDPOINT)" in output


def test_untrusted_ca_is_not_retried_and_names_the_settings(
    sim: Simulator, make_newest_tf: MakeTerraform, tmp_path: Path
) -> None:
    other_ca = tls.make_certificates(tmp_path / "other-ca").ca_file
    output, log = failing_plan(make_newest_tf, {**sim.env(), "VSPHERE_CA_FILE": str(other_ca)})
    assert attempts(log, "POST /api/session") == ["TLS certificate not trusted"]
    server = sim.env()["VSPHERE_SERVER"]
    assert f"the TLS certificate of {server} (vsphere_server / VSPHERE_SERVER) is not trusted" in output
    assert "ca_file (or VSPHERE_CA_FILE)" in output and "allow_unverified_ssl = true" in output
    assert "issued by 'CN=tkg-sim CA" in output


def test_unknown_host_is_not_retried(sim: Simulator, make_newest_tf: MakeTerraform) -> None:
    # The harness points proxies at a dead port for anything not on loopback; let this name be resolved directly.
    no_proxy = ".invalid,localhost,127.0.0.1"
    env = {**sim.env(), "VSPHERE_SERVER": "nonexistent.invalid", "NO_PROXY": no_proxy, "no_proxy": no_proxy}
    output, log = failing_plan(make_newest_tf, env)
    assert attempts(log, "POST /api/session") == ["host name not resolved"]
    assert "cannot resolve the host name 'nonexistent.invalid' (vsphere_server / VSPHERE_SERVER)" in output


def test_silent_listener_times_out_in_the_tls_handshake(
    sim: Simulator, make_newest_tf: MakeTerraform, silent_port: int
) -> None:
    output, log = failing_plan(make_newest_tf, {**sim.env(), "VSPHERE_SERVER": f"127.0.0.1:{silent_port}"})
    assert attempts(log, "POST /api/session") == ["TLS handshake timeout"] * 2
    assert (
        f"127.0.0.1:{silent_port} (vsphere_server / VSPHERE_SERVER) did not complete the TLS handshake within 10s "
        "(TLS handshake timeout, 2 attempts)" in output
    )


def test_api_timeout_bounds_a_plan_against_a_silent_listener(
    sim: Simulator, make_newest_tf: MakeTerraform, silent_port: int
) -> None:
    config = READ_SUPERVISOR.replace('provider "tkg" {}', 'provider "tkg" {\n  api_timeout = "10s"\n}')
    output, log = failing_plan(make_newest_tf, {**sim.env(), "VSPHERE_SERVER": f"127.0.0.1:{silent_port}"}, config)
    assert attempts(log, "POST /api/session") == ["TLS handshake timeout"]
    assert "timed out in the TLS handshake (api_timeout = 10s, the bound of a call including its retries" in output
