"""Reading clusters without managing them, end to end: ``data.tkg_cluster`` and the SSO mode of
``data.tkg_cluster_kubeconfig`` (the guest-cluster login of ``kubectl vsphere login``), against the real kubectl.

The SSO kubeconfig acts as the provider's vSphere user: kubectl lists nodes and ``kubectl auth whoami`` names that
user; an altered token and an expired one are refused by the workload cluster's API.
"""

from __future__ import annotations

import base64
import hashlib
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from tkgsim import Simulator

from . import _cluster_fixtures as fx
from .conftest import MakeTerraform


@pytest.fixture(scope="module")
def sim() -> Iterator[Simulator]:
    with fx.simulator(0) as running:
        yield running


@pytest.fixture
def namespace(sim: Simulator, request: pytest.FixtureRequest) -> str:
    digest = hashlib.sha1(request.node.name.encode()).hexdigest()[:6]
    name = f"access-{digest}"
    fx.create_namespace(sim, name)
    return name


def config(namespace: str) -> str:
    cluster = fx.config_cluster("shared", namespace, outputs=False)
    return f"""{cluster}
data "tkg_cluster" "shared" {{
  namespace = tkg_cluster.this.namespace
  name      = tkg_cluster.this.name
}}

data "tkg_cluster_kubeconfig" "me" {{
  namespace = tkg_cluster.this.namespace
  name      = tkg_cluster.this.name
  mode      = "sso"
}}

output "cluster" {{
  value = data.tkg_cluster.shared
}}

output "kubeconfig" {{
  value     = data.tkg_cluster_kubeconfig.me.kubeconfig
  sensitive = true
}}

output "token_expiry" {{
  value = data.tkg_cluster_kubeconfig.me.token_expiry
}}

output "username" {{
  value = data.tkg_cluster_kubeconfig.me.username
}}
"""


def _kubectl(kubeconfig: Path, *args: str) -> tuple[int, str, str]:
    import shutil
    import subprocess

    binary = shutil.which("kubectl")
    assert binary
    done = subprocess.run(
        [binary, "--kubeconfig", str(kubeconfig), *args], capture_output=True, text=True, timeout=60, check=False
    )
    return done.returncode, done.stdout, done.stderr


def _with_token(kubeconfig: str, token: str, path: Path) -> Path:
    config: dict[str, Any] = yaml.safe_load(kubeconfig)
    config["users"][0]["user"]["token"] = token
    path.write_text(yaml.safe_dump(config))
    return path


def test_cluster_data_source_and_sso_kubeconfig(
    make_tf: MakeTerraform, sim: Simulator, namespace: str, tmp_path: Path
) -> None:
    tf = make_tf(env=sim.env())
    tf.write(config(namespace))
    tf.init()
    tf.apply()

    cluster = tf.output("cluster")
    assert cluster["id"] == f"{namespace}/shared"
    assert cluster["kubernetes_version"] == fx.V130 and cluster["ready"] is True
    assert cluster["phase"] == "Provisioned" and cluster["api_endpoint"].startswith("https://")
    assert cluster["vm_class"] == "best-effort-small" and cluster["control_plane_replicas"] == 1
    assert [(p["name"], p["replicas"], p["ready_replicas"]) for p in cluster["node_pools"]] == [("np-a", 1, 1)]

    username = tf.output("username")
    assert username == sim.admin_user
    expiry = tf.output("token_expiry")
    assert time.strptime(expiry, "%Y-%m-%dT%H:%M:%SZ")
    kubeconfig_text = tf.output("kubeconfig")
    kubeconfig = tmp_path / "sso.kubeconfig"
    kubeconfig.write_text(kubeconfig_text)
    rc, out, err = _kubectl(kubeconfig, "get", "nodes", "-o", "name")
    assert rc == 0, err
    assert len(out.split()) == 2  # one control-plane node, one worker
    rc, out, err = _kubectl(kubeconfig, "auth", "whoami", "-o", "json")
    assert rc == 0, err
    assert json.loads(out)["status"]["userInfo"]["username"] == f"sso:{sim.admin_user.lower()}"

    # An altered token (claims edited, signature kept) is refused.
    token = yaml.safe_load(kubeconfig_text)["users"][0]["user"]["token"]
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["exp"] = int(time.time()) + 10 * 86400
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    rc, _out, err = _kubectl(
        _with_token(kubeconfig_text, f"{header}.{forged}.{signature}", tmp_path / "forged.kubeconfig"), "get", "nodes"
    )
    assert rc != 0 and ("Unauthorized" in err or "provide credentials" in err), err

    # An expired token is refused: with short-lived tokens, the one read by the next refresh stops working.
    fx.set_faults(sim, token_ttl=1)
    try:
        tf.apply("-refresh-only")
        short = tf.output("kubeconfig")
    finally:
        fx.set_faults(sim, token_ttl=None)
    short_path = tmp_path / "short.kubeconfig"
    short_path.write_text(short)
    short_token = yaml.safe_load(short)["users"][0]["user"]["token"]
    short_claims = json.loads(
        base64.urlsafe_b64decode(short_token.split(".")[1] + "=" * (-len(short_token.split(".")[1]) % 4))
    )
    while time.time() <= short_claims["exp"] + 0.2:
        time.sleep(0.2)
    rc, _out, err = _kubectl(short_path, "get", "nodes")
    assert rc != 0 and ("Unauthorized" in err or "provide credentials" in err), err
    tf.destroy()


def test_cluster_node_os_choice(make_tf: MakeTerraform, sim: Simulator, namespace: str) -> None:
    """os_name/os_version become the resolve-os-image annotation; an OS the release lacks is refused at plan time."""
    tf = make_tf(env=sim.env())
    pools = fx.pool("np-photon", 1) + fx.pool("np-gpu", 1, extra='os_name = "ubuntu"\n    os_version = "22.04"')
    control_plane = 'control_plane {\n    os_name = "photon"\n  }'
    tf.write(fx.config_cluster("os-choice", namespace, pools=pools, extra=control_plane, outputs=False))
    tf.init()
    tf.apply()
    with fx.supervisor_client(sim) as client:
        topology = client.get_cluster(namespace, "os-choice").spec.topology
    assert topology is not None and topology.controlPlane is not None and topology.workers is not None
    selector = "run.tanzu.vmware.com/resolve-os-image"
    assert (topology.controlPlane.metadata.annotations or {})[selector] == "os-name=photon"  # type: ignore[union-attr]
    by_pool = {
        md.name: (md.metadata.annotations if md.metadata else None) or {}
        for md in topology.workers.machineDeployments or []
    }
    assert by_pool["np-gpu"][selector] == "os-name=ubuntu,os-version=22.04"
    assert selector not in by_pool["np-photon"]
    assert tf.plan().rc == 0, tf.history[-1].stdout

    # Dropping the choice on the control plane removes the annotation in place.
    plain = "control_plane {\n    replicas = 1\n  }"
    tf.write(fx.config_cluster("os-choice", namespace, pools=pools, extra=plain, outputs=False))
    tf.apply()
    with fx.supervisor_client(sim) as client:
        cp = client.get_cluster(namespace, "os-choice").spec.topology.controlPlane  # type: ignore[union-attr]
    assert selector not in ((cp.metadata.annotations if cp and cp.metadata else None) or {})
    assert tf.plan().rc == 0

    # An OS the release has no image for is refused at plan time, on the pool's os_name.
    bad = fx.pool("np-photon", 1) + fx.pool("np-gpu", 1, extra='os_name = "windows"')
    tf.write(fx.config_cluster("os-choice", namespace, pools=bad, extra=plain, outputs=False))
    failed = tf.run("plan", "-no-color", check=False)
    assert failed.rc == 1 and "Node OS not offered by the release" in failed.stderr, failed.stderr
    assert "os_name" in failed.stderr
    tf.write(fx.config_cluster("os-choice", namespace, pools=pools, extra=plain, outputs=False))
    tf.destroy()
