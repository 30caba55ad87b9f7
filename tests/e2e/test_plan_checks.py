"""tkg_cluster's plan-time Supervisor checks: no false alarm on the quickstart, bounded when the Supervisor is silent.

- ``make demo``'s first plan (examples/quickstart against a fresh tkg-sim) creates the namespace and the cluster in
  one apply: the class checks cannot run yet, which is normal, so the provider reports no warning at all.
- A Supervisor that accepts TCP and never answers makes one "Supervisor checks skipped" warning per cluster, and the
  plan still succeeds: one login attempt in all (no connect-timeout retry at plan time, and the second cluster does
  not wait again).
Diagnostics are counted from ``terraform plan -json`` (the provider's own), attempts from the provider's DEBUG lines.
"""

from __future__ import annotations

import json
import re
import shutil
import socket
from collections.abc import Iterator
from typing import Any

import pytest

from tkgsim import Simulator

from . import _cluster_fixtures as fx
from .conftest import MakeTerraform
from .harness import REPO_ROOT


@pytest.fixture(scope="module")
def sim() -> Iterator[Simulator]:
    with Simulator(delay_scale=0) as simulator:
        yield simulator


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A listener whose kernel completes TCP handshakes while nobody ever reads or answers."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(16)
        yield sock.getsockname()[1]


def diagnostics(stdout: str) -> list[dict[str, Any]]:
    """Every diagnostic of a ``terraform plan -json`` run."""
    found = []
    for line in stdout.splitlines():
        message = json.loads(line)
        if message.get("type") == "diagnostic":
            found.append(message["diagnostic"])
    return found


def test_quickstart_first_plan_has_no_warnings(sim: Simulator, make_newest_tf: MakeTerraform) -> None:
    tf = make_newest_tf(env=sim.env(), trace_log=True)
    for source in (REPO_ROOT / "examples" / "quickstart").glob("*.tf"):
        shutil.copy(source, tf.workdir / source.name)
    tf.init()
    run = tf.run("plan", "-input=false", "-no-color", "-json", "-detailed-exitcode", ok=(2,))
    assert diagnostics(run.stdout) == []
    planned = [json.loads(line) for line in run.stdout.splitlines()]
    assert any(m.get("type") == "planned_change" and "tkg_cluster.this" in m["@message"] for m in planned)
    # The skipped class checks are still visible to whoever looks at the debug log.
    assert "namespace does not exist yet (created by this apply?)" in tf.read_log()


def test_silent_supervisor_makes_one_warning_per_cluster_and_the_plan_goes_on(
    sim: Simulator, make_newest_tf: MakeTerraform, silent_port: int
) -> None:
    env = {**sim.env(), "TKG_SUPERVISOR_ENDPOINT": f"127.0.0.1:{silent_port}"}
    tf = make_newest_tf(env=env, trace_log=True)
    one = fx.config_cluster("plan-a", "team-a", outputs=False)
    other = one.split(fx.PROVIDER, 1)[1].replace('"this"', '"other"').replace('"plan-a"', '"plan-b"')
    tf.write(one + other)
    tf.init()
    run = tf.run("plan", "-input=false", "-no-color", "-json", "-detailed-exitcode", ok=(2,))
    found = diagnostics(run.stdout)
    assert [d["severity"] for d in found] == ["warning", "warning"]
    assert {d["summary"] for d in found} == {"Supervisor checks skipped"}
    for diagnostic in found:
        assert f"127.0.0.1:{silent_port} (supervisor_endpoint / TKG_SUPERVISOR_ENDPOINT)" in diagnostic["detail"]
        assert "TLS handshake" in diagnostic["detail"]
    assert len(re.findall(r"POST /wcp/login .+? \d+ms attempt \d+/\d+", tf.read_log())) == 1
