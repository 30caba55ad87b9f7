"""Two ``terraform apply`` runs at once, in two working directories against one simulator: each builds its own
namespace and cluster, both read the same shared VM class through a data source, and both converge."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator

import pytest

from tkgsim import Simulator

from . import _cluster_fixtures as fx
from . import _vcenter_fixtures as vfx
from .conftest import MakeTerraform

SHARED_CLASS = "best-effort-small"


@pytest.fixture(scope="module")
def sim() -> Iterator[Simulator]:
    with fx.simulator(0.02) as running:
        yield running


def config(namespace: str) -> str:
    return f"""{vfx.PROLOGUE}
data "tkg_vm_class" "shared" {{
  name = "{SHARED_CLASS}"
}}

resource "tkg_supervisor_namespace" "this" {{
  name       = "{namespace}"
  supervisor = "{vfx.SUPERVISOR_ID}"
  vm_classes = [data.tkg_vm_class.shared.id]
  storage_policy {{
    policy = "{vfx.VSAN}"
  }}
}}

resource "tkg_cluster" "this" {{
  name               = "app"
  namespace          = tkg_supervisor_namespace.this.name
  kubernetes_version = "{fx.V130}"
  vm_class           = data.tkg_vm_class.shared.id
  storage_class      = sort(tkg_supervisor_namespace.this.storage_classes)[0] # the class, before its -latebinding twin
  node_pool {{
    name     = "np-a"
    replicas = 1
  }}
}}
"""


def test_two_workspaces_apply_at_once_and_both_converge(sim: Simulator, make_newest_tf: MakeTerraform) -> None:
    workspaces = {name: make_newest_tf(env=sim.env(), name=name) for name in ("team-red", "team-blue")}
    for namespace, tf in workspaces.items():
        tf.write(config(namespace))
        tf.init()
    runs = {
        namespace: subprocess.Popen(
            [tf.binary.path, "apply", "-input=false", "-no-color", "-auto-approve"],
            cwd=tf.workdir,
            env=tf.command_env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for namespace, tf in workspaces.items()
    }
    outputs = {namespace: run.communicate(timeout=600) for namespace, run in runs.items()}  # wait for both first
    for namespace, run in runs.items():
        out, err = outputs[namespace]
        assert run.returncode == 0, f"{namespace}:\n{out}\n{err}"
    snap = vfx.snapshot(sim)
    for namespace, tf in workspaces.items():
        assert tf.plan().rc == 0, namespace
        assert SHARED_CLASS in snap["vcenter"]["namespaces"][namespace]["vm_service_spec"]["vm_classes"]
        assert f"{namespace}/app" in snap["k8s"]["objects"]["clusters.cluster.x-k8s.io"]
    for tf in workspaces.values():
        tf.destroy()
    snap = vfx.snapshot(sim)
    assert not set(workspaces) & set(snap["vcenter"]["namespaces"])
    assert SHARED_CLASS in snap["vcenter"]["vm_classes"], "the shared class must outlive both workspaces"
