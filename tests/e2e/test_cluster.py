"""tkg_cluster end to end: real Terraform (every version the harness finds) against a live tkg-sim.

One simulator per module (delay scale 0) with one vSphere Namespace per Terraform version; the main lifecycle walks
create → Ready → no-op plan → scale → add/remove pools → upgrade → labels/taints → drift from ``kubectl patch`` →
import into a fresh state → replace on a network change → out-of-band delete → destroy, in one test per Terraform
version so each step builds on the last.
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
from .harness import Terraform


@pytest.fixture(scope="module")
def sim() -> Iterator[Simulator]:
    with fx.simulator(0) as running:
        yield running


@pytest.fixture
def namespace(sim: Simulator, request: pytest.FixtureRequest) -> str:
    """A fresh vSphere Namespace per test (named after the test and the Terraform version)."""
    raw = request.node.name.replace("test_cluster_", "").replace("[", "-").replace("]", "").replace(".", "")
    digest = hashlib.sha1(request.node.name.encode()).hexdigest()[:6]
    name = "".join(ch if ch.isalnum() else "-" for ch in raw.lower())[:30].strip("-") + "-" + digest
    fx.create_namespace(sim, name)
    return name


def _tf(make_tf: MakeTerraform, sim: Simulator, name: str = "work") -> Terraform:
    return make_tf(env=sim.env(), name=name)


def _state(tf: Terraform, address: str = "tkg_cluster.this") -> dict[str, Any]:
    found = tf.resource(address)
    assert found is not None, f"{address} not in state"
    return found


def _pools(sim: Simulator, namespace: str, name: str) -> dict[str, int | None]:
    with fx.supervisor_client(sim) as client:
        obj = client.get_cluster(namespace, name)
    topology = obj.spec.topology
    assert topology is not None and topology.workers is not None
    return {md.name: md.replicas for md in topology.workers.machineDeployments or []}


def test_cluster_basic_lifecycle(make_tf: MakeTerraform, sim: Simulator, namespace: str, tmp_path: Path) -> None:
    tf = _tf(make_tf, sim)
    name = "life"
    pools = fx.pool("np-a", 1, extra='labels = { tier = "web" }') + fx.pool("np-b", 1)
    tf.write(fx.config_cluster(name, namespace, pools=pools))
    tf.init()
    tf.apply()
    state = _state(tf)
    assert state["ready"] is True and state["phase"] == "Provisioned"
    assert state["id"] == f"{namespace}/{name}"
    assert state["api_endpoint"].startswith("https://")
    assert "kind: Config" in state["kubeconfig"] or '"kind": "Config"' in state["kubeconfig"]
    assert state["kubernetes_version"] == fx.V130
    assert tf.plan().rc == 0, tf.history[-1].stdout


def test_cluster_update_import_drift_replace_delete(
    make_tf: MakeTerraform, sim: Simulator, namespace: str, tmp_path: Path
) -> None:
    tf = _tf(make_tf, sim)
    name = "upd"
    tf.write(fx.config_cluster(name, namespace, pools=fx.pool("np-a", 1) + fx.pool("np-b", 1)))
    tf.init()
    tf.apply()

    # scale a pool
    tf.write(fx.config_cluster(name, namespace, pools=fx.pool("np-a", 2) + fx.pool("np-b", 1)))
    tf.apply()
    assert _pools(sim, namespace, name) == {"np-a": 2, "np-b": 1}
    assert tf.plan().rc == 0

    # add one pool, remove another
    tf.write(fx.config_cluster(name, namespace, pools=fx.pool("np-a", 2) + fx.pool("np-c", 1)))
    tf.apply()
    assert _pools(sim, namespace, name) == {"np-a": 2, "np-c": 1}

    # upgrade one minor version; a downgrade is refused at plan time
    pools = fx.pool("np-a", 2) + fx.pool("np-c", 1)
    tf.write(fx.config_cluster(name, namespace, version=fx.V131, pools=pools))
    tf.apply()
    state = _state(tf)
    assert state["kubernetes_version"] == fx.V131 and state["ready"] is True
    with fx.supervisor_client(sim) as client:
        assert client.get_cluster(namespace, name).spec.topology.version.startswith("v1.31.4")  # type: ignore[union-attr]
    tf.write(fx.config_cluster(name, namespace, version=fx.V130, pools=pools))
    failed = tf.run("plan", "-no-color", check=False)
    assert failed.rc == 1 and "Kubernetes version cannot be lowered" in failed.stderr

    # labels and taints
    pools = fx.pool(
        "np-a", 2, extra='taint {\n      key = "dedicated"\n      value = "gpu"\n      effect = "NoSchedule"\n    }'
    ) + fx.pool("np-c", 1)
    tf.write(
        fx.config_cluster(name, namespace, version=fx.V131, pools=pools, labels='{ team = "billing", env = "prod" }')
    )
    tf.apply()
    assert tf.plan().rc == 0
    with fx.supervisor_client(sim) as client:
        obj = client.get_cluster(namespace, name)
    assert (obj.metadata.labels or {}).get("team") == "billing"

    # drift from kubectl patch (managed label changed, unmanaged label added): exit 2, apply restores
    kubeconfig = fx.supervisor_kubeconfig(sim, tmp_path / "sv.kubeconfig", namespace)
    patch = json.dumps({"metadata": {"labels": {"team": "ops", "not-managed": "x"}}})
    fx.kubectl(kubeconfig, "patch", "clusters.cluster.x-k8s.io", name, "--type=merge", "-p", patch)
    drift = tf.plan()
    assert drift.rc == 2 and '"ops" -> "billing"' in drift.stdout, drift.stdout
    assert "not-managed" not in drift.stdout
    tf.apply()
    assert tf.plan().rc == 0

    # import into a fresh state: import reads every label the platform did not add, including the one nobody
    # manages; the configuration does not declare it, so the first plan drops it from the state only (a warning
    # says so), applying leaves it on the cluster, and then the plan is clean
    labels = '{ team = "billing", env = "prod" }'
    other = _tf(make_tf, sim, name="imported")
    other.write(fx.config_cluster(name, namespace, version=fx.V131, pools=pools, labels=labels, outputs=False))
    other.init()
    other.import_("tkg_cluster.this", f"{namespace}/{name}")
    first = other.plan()
    assert first.rc == 2 and "Imported labels not in the configuration" in first.stdout + first.stderr
    other.apply()
    with fx.supervisor_client(sim) as client:
        assert (client.get_cluster(namespace, name).metadata.labels or {}).get("not-managed") == "x"
    assert other.plan().rc == 0, other.history[-1].stdout
    fx.kubectl(kubeconfig, "label", "clusters.cluster.x-k8s.io", name, "not-managed-")
    bad = other.run("import", "-no-color", "tkg_cluster.this", "no-slash", check=False)
    assert bad.rc == 1 and "<namespace>/<name>" in bad.stderr

    # a network change replaces the cluster
    network = 'network {\n    pods_cidr_blocks = ["192.168.0.0/16"]\n  }'
    tf.write(
        fx.config_cluster(
            name, namespace, version=fx.V131, pools=pools, labels='{ team = "billing", env = "prod" }', extra=network
        )
    )
    replace = tf.plan()
    assert replace.rc == 2 and "must be replaced" in replace.stdout, replace.stdout
    tf.apply()
    assert _state(tf)["ready"] is True
    assert tf.plan().rc == 0

    # deleted out of band: plan wants to create it again; apply does
    with fx.supervisor_client(sim) as client:
        client.delete_cluster(namespace, name)
        client.wait_cluster_deleted(namespace, name, deadline=None)
    gone = tf.plan()
    assert gone.rc == 2 and "will be created" in gone.stdout
    assert "The cluster was deleted outside Terraform" in " ".join((gone.stdout + gone.stderr).split())
    tf.apply()
    assert fx.cluster_exists(sim, namespace, name)

    # destroy waits until the cluster is gone
    tf.destroy()
    assert not fx.cluster_exists(sim, namespace, name)
