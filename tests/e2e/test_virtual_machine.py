"""tkg_virtual_machine and tkg_virtual_machine_service end to end: real Terraform (every version the harness finds)
against a live tkg-sim.

The lifecycle walks create (a VM with cloud-init and a disk behind a LoadBalancer service; waits for the IP and the
load-balancer address) → no-op plan → power off/on → class resize → another disk → drift made with kubectl (exit 2,
then repaired) → import into an empty state (clean plan) → out-of-band delete (planned as create) → destroy, after
which the simulator holds none of the objects. Invalid configurations are rejected at plan time, at their attribute,
without a write.
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
from ._vm_fixtures import UBUNTU, create_vm_namespace
from ._vm_fixtures import k8s_objects as _k8s
from .conftest import MakeTerraform
from .harness import Terraform

MARK = "# expect:"


@pytest.fixture(scope="module")
def sim() -> Iterator[Simulator]:
    with fx.simulator(0) as running:
        yield running


@pytest.fixture
def namespace(sim: Simulator, request: pytest.FixtureRequest) -> str:
    raw = request.node.name.replace("test_vm_", "").replace("[", "-").replace("]", "").replace(".", "")
    digest = hashlib.sha1(request.node.name.encode()).hexdigest()[:6]
    name = "".join(ch if ch.isalnum() else "-" for ch in raw.lower())[:30].strip("-") + "-" + digest
    create_vm_namespace(sim, name)
    return name


def config_vm(
    namespace: str,
    *,
    vm_class: str = "best-effort-small",
    power: str = "PoweredOn",
    volumes: tuple[tuple[str, str], ...] = (("data", "2Gi"),),
    labels: str = '{ app = "web", tier = "frontend" }',
    service: bool = True,
) -> str:
    disks = "".join(f'\n  volume {{\n    name = "{n}"\n    size = "{s}"\n  }}\n' for n, s in volumes)
    lb = f"""
resource "tkg_virtual_machine_service" "web" {{
  name      = "web-lb"
  namespace = "{namespace}"
  type      = "LoadBalancer"
  selector  = {{ app = "web" }}

  port {{
    name        = "http"
    port        = 80
    target_port = 8080
  }}
}}
"""
    return f"""{fx.PROVIDER}
data "tkg_virtual_machine_image" "ubuntu" {{
  namespace  = "{namespace}"
  name       = "{UBUNTU}"
  os_name    = "ubuntu"
  os_version = "22.04"
}}

resource "tkg_virtual_machine" "web" {{
  name          = "web-1"
  namespace     = "{namespace}"
  vm_class      = "{vm_class}"
  image         = data.tkg_virtual_machine_image.ubuntu.display_name
  storage_class = "{fx.STORAGE}"
  power_state   = "{power}"
  labels        = {labels}

  bootstrap {{
    cloud_init = <<-EOT
      #cloud-config
      packages: [nginx]
    EOT
  }}
{disks}}}
{lb if service else ""}"""


def _state(tf: Terraform, address: str) -> dict[str, Any]:
    found = tf.resource(address)
    assert found is not None, f"{address} not in state"
    return found


def _vm(sim: Simulator, namespace: str, name: str = "web-1") -> dict[str, Any] | None:
    return _k8s(sim, "virtualmachines", namespace).get(name)


def test_vm_lifecycle(make_tf: MakeTerraform, sim: Simulator, namespace: str, tmp_path: Path) -> None:
    tf = make_tf(env=sim.env())
    tf.write(config_vm(namespace))
    tf.init()
    created = tf.apply()
    assert "packages: [nginx]" not in created.stdout + created.stderr  # the user-data is sensitive
    vm = _state(tf, "tkg_virtual_machine.web")
    assert vm["id"] == f"{namespace}/web-1"
    assert vm["primary_ip"] and vm["observed_power_state"] == "PoweredOn"
    assert vm["image_kind"] == "VirtualMachineImage" and vm["image_resource_name"].startswith("vmi-")
    assert vm["bios_uuid"] and vm["instance_uuid"]
    assert _state(tf, "tkg_virtual_machine_service.web")["load_balancer_address"]
    claims = _k8s(sim, "persistentvolumeclaims", namespace)
    assert claims["web-1-data"]["spec"]["resources"]["requests"]["storage"] == "2Gi"
    secret = _k8s(sim, "secrets", namespace)["web-1-bootstrap"]
    assert secret["metadata"]["ownerReferences"][0]["kind"] == "VirtualMachine"
    assert tf.plan().rc == 0, tf.history[-1].stdout

    # power off and on again, in place
    tf.write(config_vm(namespace, power="PoweredOff"))
    tf.apply()
    vm = _state(tf, "tkg_virtual_machine.web")
    assert vm["observed_power_state"] == "PoweredOff" and vm["primary_ip"] is None
    assert tf.plan().rc == 0
    tf.write(config_vm(namespace))
    tf.apply()
    assert _state(tf, "tkg_virtual_machine.web")["primary_ip"]

    # resize: a running VM is powered off, given the new class and powered on again
    uid = (_vm(sim, namespace) or {})["metadata"]["uid"]
    tf.write(config_vm(namespace, vm_class="best-effort-medium"))
    resized = tf.apply()
    assert "must be replaced" not in resized.stdout
    live = _vm(sim, namespace) or {}
    assert live["metadata"]["uid"] == uid
    assert live["status"]["class"]["name"] == "best-effort-medium" and live["status"]["powerState"] == "PoweredOn"
    assert tf.plan().rc == 0

    # another disk, added in place
    two = (("data", "2Gi"), ("logs", "1Gi"))
    tf.write(config_vm(namespace, vm_class="best-effort-medium", volumes=two))
    tf.apply()
    assert {v["name"] for v in (_vm(sim, namespace) or {})["spec"]["volumes"]} == {"data", "logs"}
    assert "web-1-logs" in _k8s(sim, "persistentvolumeclaims", namespace)
    assert tf.plan().rc == 0

    # drift from kubectl: a managed label changed, an unmanaged one added, the service's port changed
    kubeconfig = fx.supervisor_kubeconfig(sim, tmp_path / "sv.kubeconfig", namespace)
    patch = json.dumps({"metadata": {"labels": {"tier": "backend", "not-managed": "x"}}})
    fx.kubectl(kubeconfig, "patch", "virtualmachines.vmoperator.vmware.com", "web-1", "--type=merge", "-p", patch)
    ports = json.dumps({"spec": {"ports": [{"name": "http", "protocol": "TCP", "port": 81, "targetPort": 8080}]}})
    fx.kubectl(
        kubeconfig, "patch", "virtualmachineservices.vmoperator.vmware.com", "web-lb", "--type=merge", "-p", ports
    )
    drift = tf.plan()
    assert drift.rc == 2, drift.stdout
    assert '"backend" -> "frontend"' in drift.stdout and "81 -> 80" in drift.stdout
    assert "not-managed" not in drift.stdout
    tf.apply()
    assert tf.plan().rc == 0
    fx.kubectl(kubeconfig, "label", "virtualmachines.vmoperator.vmware.com", "web-1", "not-managed-")

    # import both into an empty state: the same configuration plans no change
    other = make_tf(env=sim.env(), name="imported")
    other.write(config_vm(namespace, vm_class="best-effort-medium", volumes=two))
    other.init()
    other.import_("tkg_virtual_machine.web", f"{namespace}/web-1")
    other.import_("tkg_virtual_machine_service.web", f"{namespace}/web-lb")
    assert other.plan().rc == 0, other.history[-1].stdout

    # power state changed with kubectl: drift on power_state, repaired
    off = json.dumps({"spec": {"powerState": "PoweredOff"}})
    fx.kubectl(kubeconfig, "patch", "virtualmachines.vmoperator.vmware.com", "web-1", "--type=merge", "-p", off)
    drift = tf.plan()
    assert drift.rc == 2 and '"PoweredOff" -> "PoweredOn"' in drift.stdout, drift.stdout
    tf.apply()
    assert (_vm(sim, namespace) or {})["status"]["powerState"] == "PoweredOn"

    # deleted outside Terraform (the VM takes its claims and Secret with it): planned as creates
    fx.kubectl(kubeconfig, "delete", "virtualmachineservices.vmoperator.vmware.com", "web-lb")
    fx.kubectl(kubeconfig, "delete", "virtualmachines.vmoperator.vmware.com", "web-1", "--wait=true")
    gone = tf.plan()
    assert gone.rc == 2, gone.stdout
    assert "tkg_virtual_machine_service.web will be created" in gone.stdout
    assert "tkg_virtual_machine.web will be created" in gone.stdout
    tf.apply()
    assert _state(tf, "tkg_virtual_machine.web")["primary_ip"]
    assert {"web-1-data", "web-1-logs"} <= set(_k8s(sim, "persistentvolumeclaims", namespace))
    assert tf.plan().rc == 0

    tf.destroy()
    for plural in ("virtualmachines", "virtualmachineservices", "persistentvolumeclaims", "secrets"):
        assert _k8s(sim, plural, namespace) == {}, f"{plural} left behind"


def config_static_invalid(namespace: str) -> str:
    """One mistake per resource, each marked on the line the error must point at."""
    vm = """
resource "tkg_virtual_machine" "{name}" {{
  name          = {vm_name}
  namespace     = "{ns}"
  vm_class      = "best-effort-small"
  image         = "{image}"
  storage_class = "{sc}"
  {extra}
}}
"""

    def one(name: str, *, vm_name: str = "", extra: str = "") -> str:
        return vm.format(
            name=name,
            vm_name=vm_name or f'"{name.replace("_", "-")}"',
            ns=namespace,
            image=UBUNTU,
            sc=fx.STORAGE,
            extra=extra,
        )

    service = """
resource "tkg_virtual_machine_service" "{name}" {{
  name      = "{name_dash}"
  namespace = "{ns}"
  {extra}
}}
"""

    def svc(name: str, extra: str) -> str:
        return service.format(name=name, name_dash=name.replace("_", "-"), ns=namespace, extra=extra)

    return fx.PROVIDER + "".join(
        [
            one("bad_name", vm_name='"Web_1" ' + MARK + " name"),
            one("bad_power", extra='power_state = "Hibernate" ' + MARK + " power"),
            one("bad_hw", extra="min_hardware_version = 22 " + MARK + " hardware"),
            one("bad_labels", extra='labels = { "bad key!" = "x" } ' + MARK + " labels"),
            one("bad_annotation", extra='annotations = { "tkg-oss.io/create-token" = "me" } ' + MARK + " owner"),
            one("bad_size", extra='volume {\n    name = "data"\n    size = "lots" ' + MARK + " size\n  }"),
            one("bad_mib", extra='volume {\n    name = "data"\n    size = "1000k" ' + MARK + " mib\n  }"),
            one(
                "bad_volume_both",
                extra='volume {\n    name       = "data"\n    size       = "1Gi"\n'
                '    claim_name = "existing" ' + MARK + " both\n  }",
            ),
            one("bad_volume_name", extra='volume {\n    name = "Data" ' + MARK + ' volname\n    size = "1Gi"\n  }'),
            one(
                "bad_duplicate",
                extra='volume {\n    name = "a"\n    size = "1Gi"\n  }\n  volume {\n    name = "a" '
                + MARK
                + ' dup\n    size = "1Gi"\n  }',
            ),
            one("bad_nic", extra='network_interface {\n    name = "Eth-0" ' + MARK + " nic\n  }"),
            svc(
                "bad_type",
                'type = "NodePort" ' + MARK + ' type\n  selector = { app = "x" }\n'
                '  port {\n    name = "http"\n    port = 80\n    target_port = 80\n  }',
            ),
            svc(
                "bad_port",
                'selector = { app = "x" }\n  port {\n    name = "http"\n    port = 70000 '
                + MARK
                + " port\n    target_port = 80\n  }",
            ),
            svc(
                "bad_protocol",
                'selector = { app = "x" }\n  port {\n    name = "http"\n    protocol = "HTTP" '
                + MARK
                + " protocol\n    port = 80\n    target_port = 80\n  }",
            ),
            svc(
                "bad_cidr",
                'selector = { app = "x" }\n  load_balancer_source_ranges = ["10.0.0.0/33"] '
                + MARK
                + ' cidr\n  port {\n    name = "http"\n    port = 80\n    target_port = 80\n  }',
            ),
            svc(
                "bad_cluster_ip",
                'type = "ClusterIP"\n  selector = { app = "x" }\n  load_balancer_ip = "10.0.0.1" '
                + MARK
                + ' lbip\n  port {\n    name = "http"\n    port = 80\n    target_port = 80\n  }',
            ),
        ]
    )


def config_live_invalid(namespace: str) -> str:
    """Valid on their own, wrong for this namespace: only the Supervisor can tell, at plan time."""
    body = """
resource "tkg_virtual_machine" "{name}" {{
  name          = "{dash}"
  namespace     = "{ns}"
  vm_class      = "{vm_class}"{class_mark}
  image         = "{image}"{image_mark}
  storage_class = "{sc}"{sc_mark}
  {extra}
}}
"""

    def one(name: str, **kw: str) -> str:
        values = {
            "ns": namespace,
            "vm_class": "best-effort-small",
            "image": UBUNTU,
            "sc": fx.STORAGE,
            "extra": "",
            "class_mark": "",
            "image_mark": "",
            "sc_mark": "",
        }
        values.update(kw)
        return body.format(name=name, dash=name.replace("_", "-"), **values)

    return fx.PROVIDER + "".join(
        [
            one("live_class", vm_class="guaranteed-xlarge", class_mark=f" {MARK} class"),
            one("live_image", image="windows-95", image_mark=f" {MARK} image"),
            one("live_sc", sc="tkg-gold", sc_mark=f" {MARK} sc"),
            one(
                "live_volume_sc",
                extra=f'volume {{\n    name          = "data"\n    size          = "1Gi"\n'
                f'    storage_class = "tkg-silver" {MARK} volsc\n  }}',
            ),
            one(
                "live_claim",
                extra=f'volume {{\n    name       = "data"\n    claim_name = "missing-claim" {MARK} claim\n  }}',
            ),
            one("live_suspended", extra=f'power_state = "Suspended" {MARK} suspended'),
        ]
    )


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
    return found


def _check(hcl: str, diagnostics: list[dict[str, Any]]) -> None:
    expected = {i: line.split(MARK)[1].strip() for i, line in enumerate(hcl.splitlines(), 1) if MARK in line}
    lines = {d["range"]["start"]["line"] for d in diagnostics if d.get("range")}
    missing = {case: line for line, case in expected.items() if line not in lines}
    assert not missing, f"not rejected at their attribute: {missing}\n{json.dumps(diagnostics, indent=1)[:4000]}"


def test_vm_invalid_configs_rejected_at_plan(make_tf: MakeTerraform, sim: Simulator, namespace: str) -> None:
    before = fx.snapshot_k8s(sim)["objects"]
    tf = make_tf(env=sim.env())
    tf.write(config_static_invalid(namespace))
    tf.init()
    static = tf.run("validate", "-json", "-no-color", check=False)
    assert static.rc == 1
    static_diags = _diagnostics(static.stdout)
    _check(config_static_invalid(namespace), static_diags)

    tf.write(config_live_invalid(namespace))
    live = tf.run("plan", "-json", "-no-color", "-input=false", check=False)
    assert live.rc == 1, live.stdout
    live_diags = _diagnostics(live.stdout)
    _check(config_live_invalid(namespace), live_diags)
    # The provider's own diagnostics, each with a source range (an attribute path Terraform could place).
    placed = [d for d in static_diags + live_diags if d.get("range")]
    assert len(placed) >= 15, json.dumps(static_diags + live_diags, indent=1)[:3000]
    assert fx.snapshot_k8s(sim)["objects"] == before, "an invalid configuration reached the simulator"

    # A namespace that does not exist yet may be created by the same apply: a warning, not an error.
    ahead = config_live_invalid("created-later").split('resource "tkg_virtual_machine" "live_image"')[0]
    tf.write(ahead)
    pending = tf.plan()
    assert pending.rc == 2 and "Not checked: vSphere Namespace not found" in pending.stdout, pending.stdout


def config_appliance(namespace: str) -> str:
    return f"""{fx.PROVIDER}
resource "tkg_virtual_machine" "appliance" {{
  name          = "appliance-1"
  namespace     = "{namespace}"
  vm_class      = "best-effort-small"
  image         = "photon-5-vmservice-v20240501"
  storage_class = "{fx.STORAGE}"

  bootstrap {{
    sysprep         = "<unattend><settings pass='oobeSystem'/></unattend>"
    vapp_properties = {{ "guestinfo.hostname" = "appliance-1", "guestinfo.password" = "s3cret!" }}
  }}
}}
"""


def test_vm_sysprep_and_vapp_bootstrap(make_tf: MakeTerraform, sim: Simulator, namespace: str) -> None:
    tf = make_tf(env=sim.env())
    tf.write(config_appliance(namespace))
    tf.init()
    applied = tf.apply()
    assert "s3cret!" not in applied.stdout + applied.stderr
    spec = (_vm(sim, namespace, "appliance-1") or {})["spec"]["bootstrap"]
    assert spec == {
        "sysprep": {"rawSysprep": {"name": "appliance-1-bootstrap", "key": "unattend"}},
        "vAppConfig": {"rawProperties": "appliance-1-vapp"},
    }
    secrets = _k8s(sim, "secrets", namespace)
    assert set(secrets["appliance-1-vapp"]["data"]) == {"guestinfo.hostname", "guestinfo.password"}
    assert tf.plan().rc == 0, tf.history[-1].stdout

    other = make_tf(env=sim.env(), name="imported")
    other.write(config_appliance(namespace))
    other.init()
    other.import_("tkg_virtual_machine.appliance", f"{namespace}/appliance-1")
    assert other.plan().rc == 0, other.history[-1].stdout

    tf.destroy()
    assert _k8s(sim, "secrets", namespace) == {}


def test_vm_image_lookup_errors(make_tf: MakeTerraform, sim: Simulator, namespace: str) -> None:
    """None and several matches are errors that list what exists; latest picks the newest; no namespace = cluster."""
    tf = make_tf(env=sim.env())
    tf.write(
        f"""{fx.PROVIDER}
data "tkg_virtual_machine_image" "none" {{
  namespace = "{namespace}"
  name      = "windows-95"
}}
"""
    )
    tf.init()
    none = tf.run("plan", "-no-color", check=False)
    assert none.rc == 1 and "no VM image matches name 'windows-95'" in none.stderr, none.stderr
    assert UBUNTU in none.stderr  # what exists is listed
    tf.write(
        f"""{fx.PROVIDER}
data "tkg_virtual_machine_image" "many" {{
  namespace  = "{namespace}"
  os_name    = "ubuntu"
}}
"""
    )
    many = tf.run("plan", "-no-color", check=False)
    assert many.rc == 1 and "VM images match os_name 'ubuntu'" in many.stderr and "latest = true" in many.stderr
    tf.write(
        f"""{fx.PROVIDER}
data "tkg_virtual_machine_image" "newest" {{
  namespace  = "{namespace}"
  os_name    = "ubuntu"
  latest     = true
}}

data "tkg_virtual_machine_image" "node" {{
  os_name    = "photon"
  os_version = "5"
  latest     = true
}}

output "newest" {{
  value = data.tkg_virtual_machine_image.newest
}}

output "node" {{
  value = data.tkg_virtual_machine_image.node
}}
"""
    )
    tf.apply()
    newest = tf.output("newest")
    assert (newest["display_name"], newest["os_version"]) == ("ubuntu-24.04-vmservice-v20250110", "24.04")
    node = tf.output("node")
    assert node["kind"] == "ClusterVirtualMachineImage" and node["display_name"].startswith("ob-photon-5-")
