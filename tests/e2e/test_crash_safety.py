"""kill -9 in the middle of a create, for each resource: the server made the object, Terraform never heard of it.

Resources: ``tkg_vm_class``, ``tkg_supervisor_namespace``, ``tkg_cluster``, ``tkg_virtual_machine`` (with the
cloud-init Secret and the disk claim it owns, created after the VM) and ``tkg_virtual_machine_service``.

The simulator handles the create and holds its answer (``lost_responses``); the test kills the whole ``terraform``
process group (provider included) while the answer is held. Then:

- a second working directory with the same configuration fails with "already exists" and the import ID, and leaves
  the object alone (it is someone else's unfinished create);
- a new ``terraform apply`` in the first directory converges without a human: no "already exists", one object, a
  clean plan, and after ``terraform destroy`` nothing left behind (checked through the simulator's admin snapshot).
"""

from __future__ import annotations

import dataclasses
import json
import os
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from terraform_provider_tkg.framework import inflight
from tkgsim import Simulator

from . import _cluster_fixtures as fx
from . import _vcenter_fixtures as vfx
from . import _vm_fixtures as vmfx
from .conftest import MakeTerraform
from .harness import Terraform

NAMESPACE = "crash"  # made out of band, for the clusters
VM_NAMESPACE = "crash-vm"  # made out of band, with VM images, for the VMs and VM services
CLUSTERS = "clusters.cluster.x-k8s.io"


@pytest.fixture(scope="module")
def sim() -> Iterator[Simulator]:
    with fx.simulator(0.02) as running:
        fx.create_namespace(running, NAMESPACE)
        vmfx.create_vm_namespace(running, VM_NAMESPACE)
        yield running


@dataclasses.dataclass(frozen=True)
class Case:
    type_name: str
    object_id: Callable[[str], str]  # Terraform's import ID, also the journal key
    create_path: Callable[[str], str]  # regular expression of the create request's path
    config: Callable[[str], str]
    count: Callable[[dict[str, Any], str], int]  # objects of that name in the admin snapshot


def _vm_class_config(name: str) -> str:
    return f"""{vfx.PROLOGUE}
resource "tkg_vm_class" "this" {{
  name        = "{name}"
  cpu_count   = 2
  memory_mib  = 2048
  description = "crash test"
}}
"""


def _namespace_config(name: str) -> str:
    return f"""{vfx.PROLOGUE}
resource "tkg_supervisor_namespace" "this" {{
  name        = "{name}"
  supervisor  = "{vfx.SUPERVISOR_ID}"
  description = "crash test"
  vm_classes  = ["best-effort-small"]
  storage_policy {{
    policy = "{vfx.VSAN}"
  }}
}}
"""


def _clusters_named(snapshot: dict[str, Any], name: str) -> int:
    objects = snapshot["k8s"]["objects"].get(CLUSTERS, {})
    return sum(1 for key in objects if key == f"{NAMESPACE}/{name}")


def _vm_config(name: str) -> str:
    return f"""{fx.PROVIDER}
resource "tkg_virtual_machine" "this" {{
  name          = "{name}"
  namespace     = "{VM_NAMESPACE}"
  vm_class      = "best-effort-small"
  image         = "{vmfx.UBUNTU}"
  storage_class = "{fx.STORAGE}"

  bootstrap {{
    cloud_init = "#cloud-config"
  }}
  volume {{
    name = "data"
    size = "1Gi"
  }}
}}
"""


def _vm_service_config(name: str) -> str:
    return f"""{fx.PROVIDER}
resource "tkg_virtual_machine_service" "this" {{
  name      = "{name}"
  namespace = "{VM_NAMESPACE}"
  selector  = {{ app = "{name}" }}

  port {{
    name        = "http"
    port        = 80
    target_port = 8080
  }}
}}
"""


def _vm_objects(plural: str) -> Callable[[dict[str, Any], str], int]:
    return lambda snap, name: int(name in vmfx.objects_of(snap["k8s"], plural, VM_NAMESPACE))


CASES = {
    "vm_class": Case(
        "tkg_vm_class",
        lambda name: name,
        lambda name: r"/namespace-management/virtual-machine-classes$",
        _vm_class_config,
        lambda snap, name: int(name in snap["vcenter"]["vm_classes"]),
    ),
    "supervisor_namespace": Case(
        "tkg_supervisor_namespace",
        lambda name: name,
        lambda name: r"/namespaces/instances/v2$",
        _namespace_config,
        lambda snap, name: int(name in snap["vcenter"]["namespaces"]),
    ),
    "cluster": Case(
        "tkg_cluster",
        lambda name: f"{NAMESPACE}/{name}",
        lambda name: rf"/namespaces/{NAMESPACE}/clusters$",
        lambda name: fx.config_cluster(name, NAMESPACE, outputs=False),
        _clusters_named,
    ),
    "virtual_machine": Case(
        "tkg_virtual_machine",
        lambda name: f"{VM_NAMESPACE}/{name}",
        lambda name: rf"/namespaces/{VM_NAMESPACE}/virtualmachines$",
        _vm_config,
        _vm_objects("virtualmachines"),
    ),
    "virtual_machine_service": Case(
        "tkg_virtual_machine_service",
        lambda name: f"{VM_NAMESPACE}/{name}",
        lambda name: rf"/namespaces/{VM_NAMESPACE}/virtualmachineservices$",
        _vm_service_config,
        _vm_objects("virtualmachineservices"),
    ),
}
# The resources whose object is a Kubernetes object: (namespace, plural) where the snapshot keeps it.
KUBERNETES_OBJECTS = {
    "cluster": (NAMESPACE, CLUSTERS.split(".")[0]),
    "virtual_machine": (VM_NAMESPACE, "virtualmachines"),
    "virtual_machine_service": (VM_NAMESPACE, "virtualmachineservices"),
}


def _owned_by_vm(snap: dict[str, Any], name: str) -> dict[str, list[str]]:
    """Secrets and claims of the VM namespace whose names start with the VM's (``<vm>-bootstrap``, ``<vm>-data``),
    by kind, each with the uids of its owners."""
    found: dict[str, list[str]] = {}
    for plural in ("secrets", "persistentvolumeclaims"):
        for key, obj in vmfx.objects_of(snap["k8s"], plural, VM_NAMESPACE).items():
            if key.startswith(f"{name}-"):
                owners = ",".join(r["uid"] for r in obj["metadata"].get("ownerReferences") or [])
                found.setdefault(plural, []).append(f"{key}<-{owners}")
    return found


def journal_dir(tf: Terraform) -> Path:
    return tf.workdir / ".terraform" / inflight.DIRECTORY / "default"


def kill_mid_create(sim: Simulator, tf: Terraform, case: Case, name: str) -> None:
    """Start ``terraform apply``; once the server has made the object (its answer held back), kill -9 the group."""
    rule = {"method": "POST", "path": case.create_path(name), "times": 1, "hold": 30}
    fx.set_faults(sim, lost_responses=[rule])
    apply = subprocess.Popen(
        [tf.binary.path, "apply", "-input=false", "-no-color", "-auto-approve"],
        cwd=tf.workdir,
        env=tf.command_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 120
        while case.count(vfx.snapshot(sim), name) == 0:
            assert apply.poll() is None, "terraform ended before the create reached the server"
            assert time.monotonic() < deadline, "the create never reached the server"
            time.sleep(0.1)
    finally:
        os.killpg(apply.pid, signal.SIGKILL)
        apply.wait(timeout=60)
        fx.set_faults(sim, lost_responses=[])


@pytest.mark.parametrize("kind", list(CASES))
def test_kill_9_mid_create_then_apply_converges_and_nobody_else_adopts(
    sim: Simulator, make_tf: MakeTerraform, kind: str
) -> None:
    case = CASES[kind]
    tf = make_tf(env=sim.env())
    name = f"crash-{kind.replace('_', '-')}-{tf.version.replace('.', '')}"
    tf.write(case.config(name))
    tf.init()

    kill_mid_create(sim, tf, case, name)
    assert tf.resource(f"{case.type_name}.this") is None, "Terraform recorded nothing: the answer never came"
    # The journal, written before the create was sent, is in Terraform's data directory of the working directory:
    # that is where the provider process runs.
    entries = [p.name for p in journal_dir(tf).iterdir()]
    assert entries == [f"{case.type_name}.{case.object_id(name).replace('/', '%2F')}.json"]

    # Another working directory, same configuration: must not take over the unfinished object.
    other = make_tf(env=sim.env(), name="other")
    other.write(case.config(name))
    other.init()
    refused = other.run("apply", "-input=false", "-no-color", "-auto-approve", ok=(1,))
    assert f"creating {case.type_name} ({case.object_id(name)}): already exists" in refused.stderr
    assert f"terraform import {case.type_name}.<address> {case.object_id(name)}" in refused.stderr
    assert other.resource(f"{case.type_name}.this") is None

    # The interrupted directory finishes its own create. For the VM, the configuration was edited meanwhile (a new
    # class, an in-place change): the adopted VM is brought to it rather than recorded as the killed run made it.
    if kind == "virtual_machine":
        tf.write(case.config(name).replace('"best-effort-small"', '"best-effort-medium"'))
    done = tf.apply()
    assert "already exists" not in done.stdout + done.stderr
    assert tf.resource(f"{case.type_name}.this") is not None
    snap = vfx.snapshot(sim)
    assert case.count(snap, name) == 1
    if kind in KUBERNETES_OBJECTS:
        namespace, plural = KUBERNETES_OBJECTS[kind]
        made = vmfx.objects_of(snap["k8s"], plural, namespace)[name]
        assert "tkg-oss.io/create-token" in made["metadata"]["annotations"]
        state = tf.resource(f"{case.type_name}.this") or {}
        assert "tkg-oss.io/create-token" not in (state.get("annotations") or {})
    else:
        section = "vm_classes" if kind == "vm_class" else "namespaces"
        # The create marker stays in vCenter; the state shows the configured description only.
        assert snap["vcenter"][section][name]["description"].startswith("crash test\n[tkg-create-token:")
        assert tf.resource(f"{case.type_name}.this")["description"] == "crash test"  # type: ignore[index]
    if kind == "virtual_machine":
        # The Secret and the claim the VM owns were made after the kill, once: one each, owned by the one VM.
        assert made["spec"]["className"] == "best-effort-medium"
        uid = made["metadata"]["uid"]
        assert _owned_by_vm(snap, name) == {
            "secrets": [f"{name}-bootstrap<-{uid}"],
            "persistentvolumeclaims": [f"{name}-data<-{uid}"],
        }
    assert tf.plan().rc == 0
    # State holds the object: the refresh above settled the journal entry.
    assert list(journal_dir(tf).iterdir()) == []

    tf.destroy()
    after = vfx.snapshot(sim)
    assert case.count(after, name) == 0, "an object was left behind"
    if kind == "virtual_machine":
        assert _owned_by_vm(after, name) == {}, "the VM's Secret or claim was left behind"


def _pem(label: str) -> str:
    return f"-----BEGIN CERTIFICATE-----\\nMIIB{label}e2e0MA0GCSqGSIb3DQEBCwUA\\n-----END CERTIFICATE-----\\n"


def test_another_directory_never_overwrites_the_trusted_ca_secret_of_an_existing_cluster(
    sim: Simulator, make_newest_tf: MakeTerraform
) -> None:
    name = "crash-trust"
    owner = make_newest_tf(env=sim.env(), name="owner")
    trust = 'network {{\n    trusted_ca {{\n      name = "corp-ca"\n      pem  = "{pem}"\n    }}\n  }}'
    owner.write(fx.config_cluster(name, NAMESPACE, outputs=False, extra=trust.format(pem=_pem("owner"))))
    owner.init()
    owner.apply()
    secret_name = f"{name}-user-trusted-ca-secret"
    with fx.supervisor_client(sim) as client:
        before = client.get_secret(NAMESPACE, secret_name).data

    other = make_newest_tf(env=sim.env(), name="intruder")
    other.write(fx.config_cluster(name, NAMESPACE, outputs=False, extra=trust.format(pem=_pem("other"))))
    other.init()
    refused = other.run("apply", "-input=false", "-no-color", "-auto-approve", ok=(1,))
    assert f"creating tkg_cluster ({NAMESPACE}/{name}): already exists" in refused.stderr
    with fx.supervisor_client(sim) as client:
        assert client.get_secret(NAMESPACE, secret_name).data == before
    assert owner.plan().rc == 0
    owner.destroy()


def test_a_vm_never_takes_over_a_claim_or_secret_of_another_owner(
    sim: Simulator, make_newest_tf: MakeTerraform, tmp_path: Path
) -> None:
    """Owned object names are ``<vm>-<volume>`` and ``<vm>-bootstrap``: VM ``clash`` with volume ``1-data`` would
    create the claim that VM ``clash-1`` (another workspace's) owns, and a Secret made by hand may hold the name of a
    new VM's bootstrap Secret. Both are refused at plan time, on the attribute, and left untouched."""
    owner = make_newest_tf(env=sim.env(), name="owner")
    owner.write(_vm_config("clash-1"))
    owner.init()
    owner.apply()
    kubeconfig = fx.supervisor_kubeconfig(sim, tmp_path / "sv.kubeconfig", VM_NAMESPACE)
    fx.kubectl(kubeconfig, "create", "secret", "generic", "handmade-bootstrap", "--from-literal=user-data=#mine")
    before = vmfx.objects_of(vfx.snapshot(sim)["k8s"], "persistentvolumeclaims", VM_NAMESPACE)["clash-1-data"]
    secret = vmfx.objects_of(vfx.snapshot(sim)["k8s"], "secrets", VM_NAMESPACE)["handmade-bootstrap"]

    other = make_newest_tf(env=sim.env(), name="other")
    other.write(
        _vm_config("clash").replace('name = "data"', 'name = "1-data"')
        + _vm_config("handmade").replace(fx.PROVIDER, "").replace('"this"', '"handmade"')
    )
    other.init()
    refused = other.run("plan", "-json", "-no-color", "-input=false", ok=(1,))
    errors = [
        json.loads(line)["diagnostic"]
        for line in refused.stdout.splitlines()
        if '"diagnostic"' in line and json.loads(line)["diagnostic"]["severity"] == "error"
    ]
    found = {(d["summary"], d["address"], d["range"]["start"]["line"]) for d in errors}
    hcl = (other.workdir / "main.tf").read_text().splitlines()
    size_line = next(i for i, line in enumerate(hcl, 1) if 'size = "1Gi"' in line)
    bootstrap_line = [i for i, line in enumerate(hcl, 1) if "cloud_init =" in line][1]
    assert found == {
        ("PersistentVolumeClaim name already taken", "tkg_virtual_machine.this", size_line),
        ("Secret name already taken", "tkg_virtual_machine.handmade", bootstrap_line),
    }
    after = vfx.snapshot(sim)["k8s"]
    assert vmfx.objects_of(after, "persistentvolumeclaims", VM_NAMESPACE)["clash-1-data"] == before
    assert vmfx.objects_of(after, "secrets", VM_NAMESPACE)["handmade-bootstrap"] == secret
    assert "clash" not in vmfx.objects_of(after, "virtualmachines", VM_NAMESPACE)
    assert owner.plan().rc == 0
    owner.destroy()
    fx.kubectl(kubeconfig, "delete", "secret", "handmade-bootstrap")
