"""No secret reaches Terraform's log: the vCenter password, session tokens and kubeconfigs stay out of TF_LOG=trace."""

from __future__ import annotations

import base64
import re
from collections.abc import Iterator

import pytest
import yaml

from tkgsim import Simulator, auth

from . import _cluster_fixtures as fx
from .conftest import MakeTerraform


@pytest.fixture(scope="module")
def sim() -> Iterator[Simulator]:
    with fx.simulator(0) as running:
        fx.create_namespace(running, "secrets")
        yield running


def test_provider_secrets_never_reach_the_trace_log(sim: Simulator, make_tf: MakeTerraform) -> None:
    tf = make_tf(env=sim.env(), trace_log=True)
    name = "sec-" + tf.version.replace(".", "")
    tf.write(fx.config_cluster(name, "secrets"))
    tf.init()
    tf.apply()
    kubeconfig = yaml.safe_load(tf.output("kubeconfig"))
    user = kubeconfig["users"][0]["user"]
    credentials = [v for k, v in user.items() if k in ("token", "client-key-data", "client-certificate-data")]
    assert credentials, "the kubeconfig carries no credential to look for"
    tf.destroy()

    log = tf.read_log()
    assert "[DEBUG] provider" in log or "provider.terraform-provider-tkg" in log  # provider lines are in the log
    assert "GET /apis/cluster.x-k8s.io" in log or "/apis/cluster.x-k8s.io/" in log  # requests were logged
    assert sim.admin_password not in log
    assert base64.b64encode(f"{sim.admin_user}:{sim.admin_password}".encode()).decode() not in log
    for secret in credentials:
        assert secret not in log
    # Session tokens (vCenter and /wcp/login) are 32 hex digits; none that the simulator issued may appear.
    issued = sim.call(lambda world: len(world.data["vcenter"]["sessions"]))
    assert issued > 0
    candidates = set(re.findall(r"(?<![0-9a-f])[0-9a-f]{32}(?![0-9a-f])", log))
    assert not sim.call(lambda world: [c for c in candidates if auth.token_record(world, c)])
