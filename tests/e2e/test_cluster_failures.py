"""tkg_cluster end to end, the unhappy paths and the kubeconfig: invalid configurations rejected at plan time with
the attribute path and no write reaching the simulator; a stuck provisioning that times out into a tainted resource
which the next apply replaces; a failed provisioning that reports its condition; a kubeconfig from the data source
that lets ``kubectl get nodes`` reach the simulated cluster; and one lifecycle with a non-zero delay scale.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tkgsim import Simulator

from . import _cluster_fixtures as fx
from .conftest import MakeTerraform
from .harness import error_diagnostics

MARK = "# expect:"


@pytest.fixture(scope="module")
def sim() -> Iterator[Simulator]:
    with fx.simulator(0) as running:
        yield running


@pytest.fixture
def namespace(sim: Simulator, request: pytest.FixtureRequest) -> str:
    raw = request.node.name.replace("test_cluster_", "").replace("[", "-").replace("]", "").replace(".", "")
    digest = hashlib.sha1(request.node.name.encode()).hexdigest()[:6]
    name = "".join(ch if ch.isalnum() else "-" for ch in raw.lower())[:30].strip("-") + "-" + digest
    fx.create_namespace(sim, name)
    return name


def _expected(hcl: str) -> dict[int, str]:
    """line number → the summary the provider's error must have there, from ``# expect: <summary>`` markers on the
    attribute each error must point at."""
    return {i: line.split(MARK)[1].strip() for i, line in enumerate(hcl.splitlines(), 1) if MARK in line}


def _assert_each_case_rejected_at_its_line(hcl: str, diagnostics: list[dict[str, Any]]) -> None:
    """Every case has its own error, with the expected summary, at its line; and the provider reported nothing else
    (so the number of cases is counted from the provider's diagnostics, not from this file)."""
    expected = _expected(hcl)
    found = sorted((d["range"]["start"]["line"], d["summary"]) for d in diagnostics if d.get("range"))
    missing = {line: summary for line, summary in expected.items() if (line, summary) not in found}
    assert not missing, f"not rejected at their attribute: {missing}\n{json.dumps(found, indent=1)[:4000]}"
    assert len(found) == len(diagnostics) == len(expected), json.dumps(found, indent=1)


def test_cluster_invalid_configs_rejected_at_plan(make_tf: MakeTerraform, sim: Simulator, namespace: str) -> None:
    before = fx.snapshot_k8s(sim)
    tf = make_tf(env=sim.env())
    tf.write(config_static_invalid(namespace))
    tf.init()
    static = tf.run("validate", "-json", "-no-color", check=False)
    assert static.rc == 1
    _assert_each_case_rejected_at_its_line(config_static_invalid(namespace), error_diagnostics(static.stdout))

    tf.write(config_live_invalid(namespace))
    live = tf.run("plan", "-json", "-no-color", "-input=false", check=False)
    assert live.rc == 1, live.stdout
    _assert_each_case_rejected_at_its_line(config_live_invalid(namespace), error_diagnostics(live.stdout))
    assert fx.snapshot_k8s(sim) == before, "an invalid configuration reached the simulator"


def test_cluster_stuck_times_out_tainted_then_replaced_and_failure_reported(
    make_newest_tf: MakeTerraform, sim: Simulator, namespace: str
) -> None:
    tf = make_newest_tf(env=sim.env())
    name = "stuck"
    fx.set_faults(sim, stuck_provisioning=True)
    try:
        tf.write(fx.config_cluster(name, namespace, timeouts='timeouts {\n    create = "3s"\n  }'))
        tf.init()
        failed = tf.run("apply", "-no-color", "-auto-approve", "-input=false", check=False)
        assert failed.rc == 1 and "timed out" in failed.stderr, failed.stderr
        assert "InfrastructureReady" in failed.stderr  # the error quotes the conditions
    finally:
        fx.set_faults(sim, stuck_provisioning=False)
    assert "tainted" in tf.run("show", "-no-color").stdout
    replan = tf.plan()
    assert replan.rc == 2 and "is tainted, so must be replaced" in replan.stdout
    tf.apply()
    assert tf.resource("tkg_cluster.this")["ready"] is True  # type: ignore[index]
    tf.destroy()

    fx.set_faults(sim, failed_provisioning="NetworkSetupFailed")
    try:
        tf.write(fx.config_cluster("failing", namespace))
        failed = tf.run("apply", "-no-color", "-auto-approve", "-input=false", check=False)
        assert failed.rc == 1 and "provisioning failed" in failed.stderr, failed.stderr
        assert "simulated provisioning failure: NetworkSetupFailed" in failed.stderr
    finally:
        fx.set_faults(sim, failed_provisioning=None)
    assert "tainted" in tf.run("show", "-no-color").stdout
    tf.destroy()


def test_cluster_wait_for_ready_false_returns_before_the_cluster_is_ready(
    make_newest_tf: MakeTerraform, sim: Simulator, namespace: str
) -> None:
    """With ``wait_for_ready = false`` a create whose cluster never becomes ready still succeeds (nothing waits)."""
    tf = make_newest_tf(env=sim.env())
    fx.set_faults(sim, stuck_provisioning=True)
    try:
        tf.write(fx.config_cluster("nowait", namespace, extra="wait_for_ready = false", outputs=False))
        tf.init()
        tf.apply()
        state = tf.resource("tkg_cluster.this")
        assert state is not None and state["ready"] is False and state["wait_for_ready"] is False
        assert fx.cluster_exists(sim, namespace, "nowait")
        assert tf.plan().rc == 0
    finally:
        fx.set_faults(sim, stuck_provisioning=False)
    tf.destroy()


def test_cluster_token_expiring_during_the_wait_is_renewed(
    make_newest_tf: MakeTerraform, sim: Simulator, namespace: str
) -> None:
    """The Supervisor token expires while create waits for the cluster: the provider logs in again and finishes."""
    tf = make_newest_tf(env=sim.env(), trace_log=True)
    name = "token"
    tf.write(fx.config_cluster(name, namespace, outputs=False))
    tf.init()
    fx.set_faults(sim, stuck_provisioning=True)
    try:
        apply = subprocess.Popen(
            [tf.binary.path, "apply", "-input=false", "-no-color", "-auto-approve"],
            cwd=tf.workdir,
            env=tf.command_env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        try:
            for _ in range(600):  # until the provider waits for the submitted cluster
                if fx.cluster_exists(sim, namespace, name):
                    break
                time.sleep(0.1)
            else:
                pytest.fail("the cluster was never submitted")
            time.sleep(1.0)
            fx.set_faults(sim, token_ttl=0.5)  # every token issued more than 0.5 s ago is now expired
            time.sleep(1.0)
            fx.set_faults(sim, token_ttl=None, stuck_provisioning=False)
            stdout, stderr = apply.communicate(timeout=300)
        except subprocess.TimeoutExpired as exc:
            os.killpg(apply.pid, signal.SIGKILL)
            out, err = apply.communicate()
            raise AssertionError(f"terraform did not finish:\n{out}\n{err}") from exc
    finally:
        fx.set_faults(sim, token_ttl=None, stuck_provisioning=False)
    assert apply.returncode == 0, stdout + stderr
    assert tf.resource("tkg_cluster.this")["ready"] is True  # type: ignore[index]
    assert tf.read_log().count("logged in to the Supervisor") >= 2  # the expired token was replaced
    tf.destroy()


def test_cluster_update_whose_wait_times_out_or_fails_keeps_the_cluster(
    make_newest_tf: MakeTerraform, sim: Simulator, namespace: str
) -> None:
    tf = make_newest_tf(env=sim.env())
    name = "upd-fail"
    tf.write(fx.config_cluster(name, namespace, outputs=False))
    tf.init()
    tf.apply()
    fx.set_faults(sim, stuck_provisioning=True)
    try:
        tf.write(
            fx.config_cluster(
                name, namespace, pools=fx.pool("np-a", 2), timeouts='timeouts {\n    update = "3s"\n  }', outputs=False
            )
        )
        failed = tf.run("apply", "-no-color", "-auto-approve", "-input=false", check=False)
        assert failed.rc == 1 and "updating tkg_cluster" in failed.stderr and "timed out" in failed.stderr
    finally:
        fx.set_faults(sim, stuck_provisioning=False)
    state = tf.resource("tkg_cluster.this")
    assert state is not None and state["node_pool"][0]["replicas"] == 2  # what was sent stays in state

    fx.set_faults(sim, failed_provisioning="MachineQuotaExceeded")
    try:
        tf.write(fx.config_cluster(name, namespace, pools=fx.pool("np-a", 3), outputs=False))
        failed = tf.run("apply", "-no-color", "-auto-approve", "-input=false", check=False)
        assert failed.rc == 1 and "provisioning failed" in failed.stderr
        assert "simulated provisioning failure: MachineQuotaExceeded" in failed.stderr
    finally:
        fx.set_faults(sim, failed_provisioning=None)
    assert fx.cluster_exists(sim, namespace, name)
    tf.apply()  # the cause is gone: the next apply settles the cluster
    assert tf.resource("tkg_cluster.this")["ready"] is True  # type: ignore[index]
    assert tf.plan().rc == 0
    tf.destroy()


def test_cluster_kubeconfig_reaches_the_workload_cluster(
    make_tf: MakeTerraform, sim: Simulator, namespace: str, tmp_path: Path
) -> None:
    tf = make_tf(env=sim.env())
    pools = fx.pool("np-a", 2) + fx.pool("np-b", 1)
    tf.write(fx.config_cluster("kc", namespace, pools=pools, outputs=False) + config_kubeconfig_data())
    tf.init()
    tf.apply()
    kubeconfig = tmp_path / "kc.kubeconfig"
    kubeconfig.write_text(tf.output("kubeconfig"))
    assert tf.output("host").startswith("https://")
    # the provider marks every credential sensitive (its own schema, not this test's outputs) ...
    schema = json.loads(tf.run("providers", "schema", "-json").stdout)
    tkg = next(v for k, v in schema["provider_schemas"].items() if k.endswith("tkg-oss/tkg"))
    data = tkg["data_source_schemas"]["tkg_cluster_kubeconfig"]["block"]["attributes"]
    secret = ("kubeconfig", "cluster_ca_certificate", "client_certificate", "client_key", "token")
    assert {name for name, a in data.items() if a.get("sensitive")} == set(secret)
    resource = tkg["resource_schemas"]["tkg_cluster"]["block"]
    assert resource["attributes"]["kubeconfig"].get("sensitive") is True
    assert resource["block_types"]["network"]["block"]["block_types"]["trusted_ca"]["block"]["attributes"]["pem"][
        "sensitive"
    ]
    # ... so Terraform never prints them
    shown = tf.run("show", "-no-color").stdout
    assert "BEGIN RSA PRIVATE KEY" not in shown and "client-key-data" not in shown and "(sensitive value)" in shown
    nodes = fx.kubectl(kubeconfig, "get", "nodes", "-o", "name").split()
    assert len(nodes) == 1 + 2 + 1, nodes
    releases = tf.output("releases")
    assert releases["latest"] == fx.V131
    assert all(r["ready"] and r["compatible"] for r in releases["releases"])
    tf.destroy()


def test_cluster_lifecycle_with_delays(make_newest_tf: MakeTerraform) -> None:
    """Real waits: provisioning steps take (scaled) time, so create, scale and destroy each poll until done."""
    with fx.simulator(0.05) as slow:
        fx.create_namespace(slow, "slow")
        tf = make_newest_tf(env=slow.env())
        tf.write(fx.config_cluster("slow", "slow", pools=fx.pool("np-a", 1)))
        tf.init()
        tf.apply()
        assert tf.resource("tkg_cluster.this")["ready"] is True  # type: ignore[index]
        tf.write(fx.config_cluster("slow", "slow", pools=fx.pool("np-a", 2)))
        tf.apply()
        with fx.supervisor_client(slow) as client:
            mds = client.list_machine_deployments("slow", "slow")
        assert [(md.status.readyReplicas if md.status else None) for md in mds] == [2]
        assert tf.plan().rc == 0
        tf.destroy()
        assert not fx.cluster_exists(slow, "slow", "slow")


# ---- HCL builders --------------------------------------------------------------------------------------------------


def _bad(label: str, namespace: str, body: str, *, version: str = fx.V130) -> str:
    return f"""
resource "tkg_cluster" "{label}" {{
  name               = "{label.replace("_", "-")}"
  namespace          = "{namespace}"
  kubernetes_version = "{version}"
  vm_class           = "best-effort-small"
  storage_class      = "{fx.STORAGE}"
{body}
}}
"""


def config_static_invalid(namespace: str) -> str:
    ok_pool = '  node_pool {\n    name     = "np"\n    replicas = 1\n  }'
    cases = [
        _bad("name", namespace, ok_pool).replace(
            'name               = "name"', f'name = "Bad_Name" {MARK} Invalid value for name'
        ),
        _bad(
            "cp_replicas",
            namespace,
            f"  control_plane {{\n    replicas = 2 {MARK} Invalid value for control_plane.replicas\n  }}\n{ok_pool}",
        ),
        _bad(
            "dup_pool",
            namespace,
            f'{ok_pool}\n  node_pool {{\n    name = "np" {MARK} Duplicate node pool name\n    replicas = 1\n  }}',
        ),
        _bad(
            "no_size",
            namespace,
            f'  node_pool {{ {MARK} Missing node pool size\n    name = "np"\n  }}',
        ),
        _bad(
            "both_sizes",
            namespace,
            f'  node_pool {{\n    name = "np"\n    replicas = 1 {MARK} Conflicting node pool sizing\n'
            "    autoscaler {\n      min_size = 1\n      max_size = 2\n    }\n  }",
        ),
        _bad(
            "autoscaler",
            namespace,
            f'  node_pool {{\n    name = "np"\n    autoscaler {{\n      min_size = 5 {MARK} Invalid autoscaler bounds\n'
            "      max_size = 2\n    }\n  }",
        ),
        _bad(
            "cidr",
            namespace,
            f'  network {{\n    pods_cidr_blocks = ["10.0.0.0/33"] {MARK} Invalid value for network.pods_cidr_blocks\n'
            f"  }}\n{ok_pool}",
        ),
        _bad(
            "overlap",
            namespace,
            '  network {\n    pods_cidr_blocks = ["10.96.0.0/11"]\n'
            f'    services_cidr_blocks = ["10.96.0.0/12"] {MARK} Overlapping cluster networks\n  }}\n{ok_pool}',
        ),
        _bad(
            "taint",
            namespace,
            f'  node_pool {{\n    name = "np"\n    replicas = 1\n    taint {{\n      key = "k"\n'
            f'      effect = "Sometimes" {MARK} Invalid value for node_pool[0].taint[0].effect\n    }}\n  }}',
        ),
        _bad("json", namespace, f'  variables = {{ ntp = "not json" }} {MARK} Invalid value for variables\n{ok_pool}'),
        _bad(
            "managed_var",
            namespace,
            f'  variables = {{ vmClass = "\\"x\\"" }} {MARK} Variable managed by a typed attribute\n{ok_pool}',
        ),
        _bad(
            "capacity",
            namespace,
            '  node_pool {\n    name = "np"\n    replicas = 1\n    volume {\n      name = "containerd"\n'
            f'      mount_path = "/var/lib/containerd"\n'
            f"      capacity_gib = 0 {MARK} Invalid value for node_pool[0].volume[0].capacity_gib\n    }}\n  }}",
        ),
        _bad(
            "default_sc",
            namespace,
            f'  storage {{\n    classes = ["a"]\n'
            f'    default_class = "b" {MARK} Default storage class not offered\n  }}\n{ok_pool}',
        ),
        _bad(
            "drain",
            namespace,
            f"  control_plane {{\n"
            f'    node_drain_timeout = "5 minutes" {MARK} Invalid value for control_plane.node_drain_timeout\n'
            f"  }}\n{ok_pool}",
        ),
        _bad(
            "cni", namespace, f'  network {{\n    cni = "flannel" {MARK} Invalid value for network.cni\n  }}\n{ok_pool}'
        ),
        _bad(
            "proxy",
            namespace,
            f"  network {{\n    proxy {{\n"
            f'      http_proxy = "proxy:3128" {MARK} Invalid value for network.proxy.http_proxy\n'
            f"    }}\n  }}\n{ok_pool}",
        ),
        _bad("labels", namespace, f'  labels = {{ "bad key!" = "x" }} {MARK} Invalid value for labels\n{ok_pool}'),
        _bad("version", namespace, ok_pool, version="latest").replace(
            'kubernetes_version = "latest"',
            f'kubernetes_version = "latest" {MARK} Invalid value for kubernetes_version',
        ),
    ]
    return fx.PROVIDER + "".join(cases)


def config_live_invalid(namespace: str) -> str:
    ok_pool = '  node_pool {\n    name     = "np"\n    replicas = 1\n  }'
    cases = [
        _bad("incompatible", namespace, ok_pool, version="v1.26.5---vmware.2-fips.1-tkg.1").replace(
            'kubernetes_version = "v1.26.5',
            f'kubernetes_version = "v1.26.5---vmware.2-fips.1-tkg.1" {MARK} Kubernetes release not available\n  #',
        ),
        _bad("unknown_version", namespace, ok_pool, version="v1.99.0").replace(
            'kubernetes_version = "v1.99.0"', f'kubernetes_version = "v1.99.0" {MARK} Kubernetes release not available'
        ),
        _bad("vm_class", namespace, ok_pool).replace(
            'vm_class           = "best-effort-small"',
            f'vm_class = "guaranteed-8xlarge" {MARK} VM class not available in namespace {namespace}',
        ),
        _bad("storage_class", namespace, ok_pool).replace(
            f'storage_class      = "{fx.STORAGE}"',
            f'storage_class = "tkg-silver" {MARK} Storage class not available in namespace {namespace}',
        ),
        _bad(
            "pool_vm_class",
            namespace,
            f'  node_pool {{\n    name = "np"\n    replicas = 1\n'
            f'    vm_class = "best-effort-8xlarge" {MARK} VM class not available in namespace {namespace}\n  }}',
        ),
        _bad("cluster_class", namespace, f'  cluster_class = "no-such-class" {MARK} Unknown ClusterClass\n{ok_pool}'),
    ]
    return fx.PROVIDER + "".join(cases)


def config_kubeconfig_data() -> str:
    return """
data "tkg_cluster_kubeconfig" "this" {
  namespace = tkg_cluster.this.namespace
  name      = tkg_cluster.this.name
}

data "tkg_kubernetes_releases" "all" {}

output "kubeconfig" {
  value     = data.tkg_cluster_kubeconfig.this.kubeconfig
  sensitive = true
}

output "host" {
  value = data.tkg_cluster_kubeconfig.this.host
}

output "token" {
  value     = data.tkg_cluster_kubeconfig.this.token
  sensitive = true
}

output "client_certificate" {
  value     = data.tkg_cluster_kubeconfig.this.client_certificate
  sensitive = true
}

output "releases" {
  value = data.tkg_kubernetes_releases.all
}
"""
