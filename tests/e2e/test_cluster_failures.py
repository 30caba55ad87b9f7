"""tkg_cluster end to end, the unhappy paths and the kubeconfig: invalid configurations rejected at plan time with
the attribute path and no write reaching the simulator; a stuck provisioning that times out into a tainted resource
which the next apply replaces; a failed provisioning that reports its condition; a kubeconfig from the data source
that lets ``kubectl get nodes`` reach the simulated cluster; and one lifecycle with a non-zero delay scale.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tkgsim import Simulator

from . import _cluster_fixtures as fx
from .conftest import MakeTerraform

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


def _diagnostics(stdout: str) -> list[dict[str, Any]]:
    """Error diagnostics from ``validate -json`` (one document) or ``plan -json`` (one message per line)."""
    try:
        doc = json.loads(stdout)
    except ValueError:
        doc = None
    if isinstance(doc, dict) and "diagnostics" in doc:
        return [d for d in doc["diagnostics"] if d["severity"] == "error"]
    found = []
    for line in stdout.splitlines():
        if line.startswith("{"):
            message = json.loads(line)
            if message.get("type") == "diagnostic" and message["diagnostic"]["severity"] == "error":
                found.append(message["diagnostic"])
            elif "diagnostics" in message:
                found += [d for d in message["diagnostics"] if d["severity"] == "error"]
    return found


def _expected(hcl: str) -> dict[int, str]:
    """line number → case name, from ``# expect: name`` markers on the attribute each error must point at."""
    return {i: line.split(MARK)[1].strip() for i, line in enumerate(hcl.splitlines(), 1) if MARK in line}


def _assert_each_case_rejected_at_its_line(hcl: str, diagnostics: list[dict[str, Any]]) -> None:
    expected = _expected(hcl)
    lines = {d["range"]["start"]["line"] for d in diagnostics if d.get("range")}
    missing = {case: line for line, case in expected.items() if line not in lines}
    assert not missing, f"not rejected at their attribute: {missing}\n{json.dumps(diagnostics, indent=1)[:4000]}"


def test_cluster_invalid_configs_rejected_at_plan(make_tf: MakeTerraform, sim: Simulator, namespace: str) -> None:
    before = fx.snapshot_k8s(sim)
    tf = make_tf(env=sim.env())
    tf.write(config_static_invalid(namespace))
    tf.init()
    static = tf.run("validate", "-json", "-no-color", check=False)
    assert static.rc == 1
    _assert_each_case_rejected_at_its_line(config_static_invalid(namespace), _diagnostics(static.stdout))

    tf.write(config_live_invalid(namespace))
    live = tf.run("plan", "-json", "-no-color", "-input=false", check=False)
    assert live.rc == 1, live.stdout
    _assert_each_case_rejected_at_its_line(config_live_invalid(namespace), _diagnostics(live.stdout))
    cases = len(_expected(config_static_invalid(namespace))) + len(_expected(config_live_invalid(namespace)))
    assert cases >= 15
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
    assert tf.run("output", "-json").stdout.count('"sensitive": true') >= 2  # kubeconfig, credentials
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
        _bad("name", namespace, ok_pool).replace('name               = "name"', f'name = "Bad_Name" {MARK} name'),
        _bad("cp_replicas", namespace, f"  control_plane {{\n    replicas = 2 {MARK} replicas\n  }}\n{ok_pool}"),
        _bad(
            "dup_pool", namespace, f'{ok_pool}\n  node_pool {{\n    name = "np" {MARK} dup pool\n    replicas = 1\n  }}'
        ),
        _bad(
            "no_size",
            namespace,
            f'  node_pool {{ {MARK} no size (the path names the absent replicas)\n    name = "np"\n  }}',
        ),
        _bad(
            "both_sizes",
            namespace,
            f'  node_pool {{\n    name = "np"\n    replicas = 1 {MARK} both sizes\n'
            "    autoscaler {\n      min_size = 1\n      max_size = 2\n    }\n  }",
        ),
        _bad(
            "autoscaler",
            namespace,
            f'  node_pool {{\n    name = "np"\n    autoscaler {{\n      min_size = 5 {MARK} min>max\n'
            "      max_size = 2\n    }\n  }",
        ),
        _bad("cidr", namespace, f'  network {{\n    pods_cidr_blocks = ["10.0.0.0/33"] {MARK} cidr\n  }}\n{ok_pool}'),
        _bad(
            "overlap",
            namespace,
            '  network {\n    pods_cidr_blocks = ["10.96.0.0/11"]\n'
            f'    services_cidr_blocks = ["10.96.0.0/12"] {MARK} overlap\n  }}\n{ok_pool}',
        ),
        _bad(
            "taint",
            namespace,
            f'  node_pool {{\n    name = "np"\n    replicas = 1\n    taint {{\n      key = "k"\n'
            f'      effect = "Sometimes" {MARK} taint effect\n    }}\n  }}',
        ),
        _bad("json", namespace, f'  variables = {{ ntp = "not json" }} {MARK} json\n{ok_pool}'),
        _bad("managed_var", namespace, f'  variables = {{ vmClass = "\\"x\\"" }} {MARK} managed variable\n{ok_pool}'),
        _bad(
            "capacity",
            namespace,
            '  node_pool {\n    name = "np"\n    replicas = 1\n    volume {\n      name = "containerd"\n'
            f'      mount_path = "/var/lib/containerd"\n      capacity_gib = 0 {MARK} capacity\n    }}\n  }}',
        ),
        _bad(
            "default_sc",
            namespace,
            f'  storage {{\n    classes = ["a"]\n    default_class = "b" {MARK} default class\n  }}\n{ok_pool}',
        ),
        _bad(
            "drain",
            namespace,
            f'  control_plane {{\n    node_drain_timeout = "5 minutes" {MARK} drain\n  }}\n{ok_pool}',
        ),
        _bad("cni", namespace, f'  network {{\n    cni = "flannel" {MARK} cni\n  }}\n{ok_pool}'),
        _bad(
            "proxy",
            namespace,
            f'  network {{\n    proxy {{\n      http_proxy = "proxy:3128" {MARK} proxy url\n    }}\n  }}\n{ok_pool}',
        ),
        _bad("labels", namespace, f'  labels = {{ "bad key!" = "x" }} {MARK} label key\n{ok_pool}'),
        _bad("version", namespace, ok_pool, version="latest").replace(
            'kubernetes_version = "latest"', f'kubernetes_version = "latest" {MARK} version syntax'
        ),
    ]
    return fx.PROVIDER + "".join(cases)


def config_live_invalid(namespace: str) -> str:
    ok_pool = '  node_pool {\n    name     = "np"\n    replicas = 1\n  }'
    cases = [
        _bad("incompatible", namespace, ok_pool, version="v1.26.5---vmware.2-fips.1-tkg.1").replace(
            'kubernetes_version = "v1.26.5',
            f'kubernetes_version = "v1.26.5---vmware.2-fips.1-tkg.1" {MARK} incompatible\n  #',
        ),
        _bad("unknown_version", namespace, ok_pool, version="v1.99.0").replace(
            'kubernetes_version = "v1.99.0"', f'kubernetes_version = "v1.99.0" {MARK} unknown release'
        ),
        _bad("vm_class", namespace, ok_pool).replace(
            'vm_class           = "best-effort-small"', f'vm_class = "guaranteed-8xlarge" {MARK} vm class not bound'
        ),
        _bad("storage_class", namespace, ok_pool).replace(
            f'storage_class      = "{fx.STORAGE}"', f'storage_class = "tkg-silver" {MARK} storage class not bound'
        ),
        _bad(
            "pool_vm_class",
            namespace,
            f'  node_pool {{\n    name = "np"\n    replicas = 1\n'
            f'    vm_class = "best-effort-8xlarge" {MARK} pool vm class\n  }}',
        ),
        _bad("cluster_class", namespace, f'  cluster_class = "no-such-class" {MARK} cluster class\n{ok_pool}'),
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
