"""Plans Terraform can trust, end to end on every Terraform version the harness finds:

- import is exact: a "kitchen-sink" configuration of each resource (every attribute and block set; ``timeouts`` and
  the provider-side switches ``wait_for_ready``/``force_delete`` at their defaults, since no API holds them) is
  applied, imported into an empty state, and plans no change;
- import never turns what other tools wrote into a deletion: an annotation someone else added is dropped from state
  only, and stays on the cluster;
- a saved plan applied after someone changed the object out of band (Terraform does not refresh a saved plan) never
  ends in "Provider produced inconsistent result": computed values the update may change were unknown in the plan,
  and what the platform adds to settings the configuration left out stays out of state.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tkgsim import Simulator

from . import _cluster_fixtures as cfx
from . import _vcenter_fixtures as vfx
from .conftest import MakeTerraform
from .harness import Terraform

PEM = "-----BEGIN CERTIFICATE-----\nMIIBkTCB+wIJAKHHIG11e2e0MA0GCSqGSIb3DQEBCwUA\n-----END CERTIFICATE-----\n"


@pytest.fixture(scope="module")
def sim() -> Iterator[Simulator]:
    with Simulator(delay_scale=0) as running:
        yield running


@pytest.fixture
def namespace(sim: Simulator, request: pytest.FixtureRequest) -> str:
    """A fresh vSphere Namespace per test and Terraform version, with VM classes and the vSAN storage class."""
    name = "ix-" + hashlib.sha1(request.node.name.encode()).hexdigest()[:10]
    cfx.create_namespace(sim, name)
    return name


def _import(make_tf: MakeTerraform, sim: Simulator, hcl: str, address: str, import_id: str, dirname: str) -> Terraform:
    """A fresh working directory with ``hcl``, the object imported into its empty state."""
    fresh = make_tf(env=sim.env(), name=dirname)
    fresh.write(hcl)
    fresh.init()
    fresh.import_(address, import_id)
    return fresh


def _clean(tf: Terraform) -> None:
    plan = tf.run("plan", "-input=false", "-no-color", "-detailed-exitcode", ok=(0, 2))
    assert plan.rc == 0, plan.stdout + plan.stderr


def _apply_saved_plan(tf: Terraform, change: Any) -> None:
    """``plan -out``, then ``change()`` behind Terraform's back, then apply the saved plan (no refresh in between)."""
    tf.run("plan", "-input=false", "-no-color", "-out=change.tfplan")
    change()
    applied = tf.run("apply", "-input=false", "-no-color", "change.tfplan", ok=(0, 1))
    assert applied.rc == 0, applied.stderr
    assert "inconsistent" not in applied.stderr


# ---- tkg_cluster ---------------------------------------------------------------------------------------------------


def test_cluster_kitchen_sink_import_plans_clean(make_tf: MakeTerraform, sim: Simulator, namespace: str) -> None:
    hcl = cluster_kitchen_sink("sink", namespace)
    tf = make_tf(env=sim.env())
    tf.write(hcl)
    tf.init()
    tf.apply()
    _clean(tf)
    _assert_kitchen_sink_applied(sim, namespace, "sink")
    fresh = _import(make_tf, sim, hcl, "tkg_cluster.this", f"{namespace}/sink", "imported")
    _clean(fresh)


def _assert_kitchen_sink_applied(sim: Simulator, namespace: str, name: str) -> None:
    """Every setting reached the Supervisor in the shape the ClusterClass expects (reference §3.2)."""
    with cfx.supervisor_client(sim) as client:
        obj = client.get_cluster(namespace, name)
        secret = client.get_secret(namespace, f"{name}-user-trusted-ca-secret")
    assert obj.variable("proxy") == {
        "httpProxy": "http://proxy.example.com:3128",
        "httpsProxy": "http://proxy.example.com:3128",
        "noProxy": ["10.0.0.0/8", ".svc.cluster.local"],
    }
    assert obj.variable("trust") == {"additionalTrustedCAs": [{"name": "harbor-ca"}]}
    assert base64.b64decode(base64.b64decode((secret.data or {})["harbor-ca"])).decode() == PEM
    assert obj.variable("storageClasses") == [cfx.STORAGE] and obj.variable("defaultStorageClass") == cfx.STORAGE
    assert obj.variable("controlPlaneVolumes") == [
        {"name": "etcd", "mountPath": "/var/lib/etcd", "capacity": {"storage": "4Gi"}, "storageClass": cfx.STORAGE}
    ]
    # (not ntp/user: the Supervisor injects those into every cluster, so import never reads them back)
    assert obj.variable("kubeAPIServerFQDNs") == ["k8s.example.com"]
    assert obj.variable("defaultRegistrySecret") == {"name": "regcred", "namespace": "default"}
    topology = obj.spec.topology
    assert topology is not None and topology.workers is not None
    pools = {md.name: md for md in topology.workers.machineDeployments or []}
    autoscaled = pools["np-b"]
    assert autoscaled.replicas is None and autoscaled.metadata is not None
    assert autoscaled.metadata.annotations == {
        "cluster.x-k8s.io/cluster-api-autoscaler-node-group-min-size": "1",
        "cluster.x-k8s.io/cluster-api-autoscaler-node-group-max-size": "3",
    }
    pool_vars = pools["np-a"].variables
    overrides = {v.name: v.value for v in ((pool_vars.overrides if pool_vars else None) or [])}
    assert overrides["nodePoolVolumes"] == [
        {
            "name": "containerd",
            "mountPath": "/var/lib/containerd",
            "capacity": {"storage": "50Gi"},
            "storageClass": cfx.STORAGE,
        }
    ]
    assert overrides["nodePoolTaints"] == [{"key": "dedicated", "value": "web", "effect": "NoSchedule"}]
    assert overrides["nodePoolLabels"] == [{"key": "tier", "value": "web"}]
    assert pools["np-a"].failureDomain == "zone-a" and pools["np-a"].replicas == 2


def test_cluster_control_plane_with_defaults_imports_clean_written_or_left_out(
    make_tf: MakeTerraform, sim: Simulator, namespace: str
) -> None:
    written = cluster_minimal("cp1", namespace, "control_plane {\n    replicas = 1\n  }")
    tf = make_tf(env=sim.env())
    tf.write(written)
    tf.init()
    tf.apply()
    _clean(_import(make_tf, sim, written, "tkg_cluster.this", f"{namespace}/cp1", "written"))
    left_out = cluster_minimal("cp1", namespace, "")
    _clean(_import(make_tf, sim, left_out, "tkg_cluster.this", f"{namespace}/cp1", "left-out"))


def test_cluster_import_keeps_keys_other_tools_wrote(
    make_tf: MakeTerraform, sim: Simulator, namespace: str, tmp_path: Path
) -> None:
    hcl = cluster_minimal("ops", namespace, "")
    tf = make_tf(env=sim.env())
    tf.write(hcl)
    tf.init()
    tf.apply()
    kubeconfig = cfx.supervisor_kubeconfig(sim, tmp_path / "sv.kubeconfig", namespace)
    cfx.kubectl(kubeconfig, "annotate", "clusters.cluster.x-k8s.io", "ops", "example.com/added-by-ops=yes")

    fresh = _import(make_tf, sim, hcl, "tkg_cluster.this", f"{namespace}/ops", "imported")
    plan = fresh.run("plan", "-input=false", "-no-color", "-detailed-exitcode", ok=(2,))
    text = " ".join((plan.stdout + plan.stderr).split())
    assert "Imported annotations not in the configuration" in text and "example.com/added-by-ops" in text
    fresh.apply()
    with cfx.supervisor_client(sim) as client:
        annotations = client.get_cluster(namespace, "ops").metadata.annotations or {}
    assert annotations.get("example.com/added-by-ops") == "yes"  # the cluster keeps it
    state = fresh.resource("tkg_cluster.this")
    assert state is not None and "example.com/added-by-ops" not in (state["annotations"] or {})
    _clean(fresh)


def test_cluster_saved_plan_survives_platform_additions(make_tf: MakeTerraform, sim: Simulator, namespace: str) -> None:
    tf = make_tf(env=sim.env())
    tf.write(cluster_minimal("saved", namespace, ""))
    tf.init()
    tf.apply()
    tf.write(cluster_minimal("saved", namespace, "", replicas=2))

    def add_proxy_and_annotation() -> None:
        def patch(current: Any) -> dict[str, Any]:
            variables = [v.wire() for v in current.spec.topology.variables or []]
            variables.append({"name": "proxy", "value": {"httpProxy": "http://platform.example.com:3128"}})
            return {
                "metadata": {"annotations": {"platform.example.com/injected": "yes"}},
                "spec": {"topology": {"variables": variables}},
            }

        with cfx.supervisor_client(sim) as client:
            client.update_cluster(namespace, "saved", patch)

    _apply_saved_plan(tf, add_proxy_and_annotation)
    state = tf.resource("tkg_cluster.this")
    assert state is not None and state["network"] is None and state["annotations"] is None
    assert state["node_pool"][0]["replicas"] == 2
    _clean(tf)
    with cfx.supervisor_client(sim) as client:
        obj = client.get_cluster(namespace, "saved")
    # what the configuration never declared is neither in state nor removed from the cluster
    assert obj.variable("proxy") == {"httpProxy": "http://platform.example.com:3128"}
    assert (obj.metadata.annotations or {}).get("platform.example.com/injected") == "yes"


# ---- tkg_vm_class --------------------------------------------------------------------------------------------------


def test_vm_class_kitchen_sink_import_plans_clean(make_tf: MakeTerraform, sim: Simulator) -> None:
    tf = make_tf(env=sim.env())
    name = f"{vfx.prefix(tf.version)}-sink"
    hcl = vm_class_kitchen_sink(name)
    tf.write(hcl)
    tf.init()
    tf.apply()
    _clean(tf)
    _clean(_import(make_tf, sim, hcl, "tkg_vm_class.this", name, "imported"))
    tf.destroy()


def test_vm_class_saved_plan_survives_a_new_namespace_and_a_config_spec(make_tf: MakeTerraform, sim: Simulator) -> None:
    tf = make_tf(env=sim.env())
    name = f"{vfx.prefix(tf.version)}-saved"
    tf.write(vm_class_minimal(name, "first"))
    tf.init()
    tf.apply()
    tf.write(vm_class_minimal(name, "second"))
    binder = f"{vfx.prefix(tf.version)}-binds"

    def bind_and_patch() -> None:
        with vfx.rest(sim) as rest:
            created = rest.post(
                "/api/vcenter/namespaces/instances/v2",
                json={
                    "namespace": binder,
                    "supervisor": vfx.SUPERVISOR_ID,
                    "vm_service_spec": {"vm_classes": [name]},
                    "storage_specs": [{"policy": vfx.VSAN}],
                },
            )
            assert created.status_code == 204, created.text
            patched = rest.patch(
                f"/api/vcenter/namespace-management/virtual-machine-classes/{name}",
                json={"config_spec": {"numCPUs": 2}},
            )
            assert patched.status_code == 204, patched.text

    _apply_saved_plan(tf, bind_and_patch)
    state = tf.resource("tkg_vm_class.this")
    assert state is not None and state["description"] == "second"
    assert binder in state["namespaces"] and state["config_spec_json"] is None
    _clean(tf)
    with vfx.rest(sim) as rest:
        assert rest.delete(f"/api/vcenter/namespaces/instances/{binder}").status_code == 204


# ---- tkg_supervisor_namespace --------------------------------------------------------------------------------------


def test_namespace_kitchen_sink_import_plans_clean(make_tf: MakeTerraform, sim: Simulator) -> None:
    tf = make_tf(env=sim.env())
    name = f"{vfx.prefix(tf.version)}-sink"
    hcl = namespace_kitchen_sink(name, "Team sink")
    tf.write(hcl)
    tf.init()
    tf.apply()
    _clean(tf)
    _clean(_import(make_tf, sim, hcl, "tkg_supervisor_namespace.this", name, "imported"))


# ---- HCL builders --------------------------------------------------------------------------------------------------


def cluster_kitchen_sink(name: str, namespace: str) -> str:
    sc = cfx.STORAGE
    pem = PEM.replace("\n", "\\n")
    return f"""{cfx.PROVIDER}
resource "tkg_cluster" "this" {{
  name               = "{name}"
  namespace          = "{namespace}"
  cluster_class      = "tanzukubernetescluster"
  kubernetes_version = "{cfx.V130}"
  vm_class           = "best-effort-small"
  storage_class      = "{sc}"
  labels             = {{ team = "payments", env = "prod" }}
  annotations        = {{ "example.com/owner" = "alice" }}
  variables = {{
    kubeAPIServerFQDNs    = jsonencode(["k8s.example.com"])
    defaultRegistrySecret = jsonencode({{ name = "regcred", namespace = "default" }})
  }}
  wait_for_ready = true

  control_plane {{
    replicas           = 1
    vm_class           = "best-effort-medium"
    storage_class      = "{sc}"
    node_drain_timeout = "5m"
    volume {{
      name          = "etcd"
      mount_path    = "/var/lib/etcd"
      capacity_gib  = 4
      storage_class = "{sc}"
    }}
  }}

  node_pool {{
    name           = "np-a"
    replicas       = 2
    vm_class       = "best-effort-medium"
    storage_class  = "{sc}"
    failure_domain = "zone-a"
    labels         = {{ tier = "web" }}
    taint {{
      key    = "dedicated"
      value  = "web"
      effect = "NoSchedule"
    }}
    volume {{
      name          = "containerd"
      mount_path    = "/var/lib/containerd"
      capacity_gib  = 50
      storage_class = "{sc}"
    }}
  }}

  node_pool {{
    name = "np-b"
    autoscaler {{
      min_size = 1
      max_size = 3
    }}
  }}

  network {{
    pods_cidr_blocks     = ["192.168.0.0/16"]
    services_cidr_blocks = ["10.96.0.0/12"]
    service_domain       = "cluster.local"
    cni                  = "antrea"
    proxy {{
      http_proxy  = "http://proxy.example.com:3128"
      https_proxy = "http://proxy.example.com:3128"
      no_proxy    = ["10.0.0.0/8", ".svc.cluster.local"]
    }}
    trusted_ca {{
      name = "harbor-ca"
      pem  = "{pem}"
    }}
  }}

  storage {{
    classes       = ["{sc}"]
    default_class = "{sc}"
  }}
}}
"""


def cluster_minimal(name: str, namespace: str, extra: str, *, replicas: int = 1) -> str:
    return cfx.config_cluster(
        name, namespace, labels="null", extra=extra, pools=cfx.pool("np-a", replicas), outputs=False
    )


def vm_class_kitchen_sink(name: str) -> str:
    return (
        vfx.PROLOGUE
        + f"""
data "tkg_storage_policy" "vsan" {{
  name = "vSAN Default Storage Policy"
}}

resource "tkg_vm_class" "this" {{
  name                       = "{name}"
  cpu_count                  = 4
  memory_mib                 = 16384
  cpu_reservation_percent    = 50
  memory_reservation_percent = 100
  description                = "every attribute"
  vgpu_profiles              = ["grid_a100-4c"]
  config_spec_json           = jsonencode({{ numCPUs = 4, extraConfig = [{{ key = "a<b", value = "1" }}] }})

  dynamic_direct_path_io_device {{
    vendor_id    = 4318
    device_id    = 8754
    custom_label = "nic"
  }}

  instance_storage {{
    storage_policy   = data.tkg_storage_policy.vsan.id
    volume_sizes_mib = [1024, 2048]
  }}
}}
"""
    )


def vm_class_minimal(name: str, description: str) -> str:
    return (
        vfx.PROLOGUE
        + f"""
resource "tkg_vm_class" "this" {{
  name        = "{name}"
  cpu_count   = 2
  memory_mib  = 4096
  description = "{description}"
}}
"""
    )


NAMESPACE_DATA = """
data "tkg_supervisor" "sv" {
  name = "supervisor-1"
}

data "tkg_storage_policy" "gold" {
  name = "tkg-gold"
}

data "tkg_storage_policy" "vsan" {
  name = "vSAN Default Storage Policy"
}

data "tkg_content_library" "images" {
  name = "vm-images"
}
"""


def namespace_kitchen_sink(name: str, description: str) -> str:
    return (
        vfx.PROLOGUE
        + NAMESPACE_DATA
        + f"""
resource "tkg_supervisor_namespace" "this" {{
  name              = "{name}"
  supervisor        = data.tkg_supervisor.sv.id
  description       = "{description}"
  vm_classes        = ["best-effort-small", "best-effort-medium"]
  content_libraries = [data.tkg_content_library.images.id]
  force_delete      = false

  storage_policy {{
    policy    = data.tkg_storage_policy.gold.id
    limit_mib = 10240
  }}

  storage_policy {{
    policy = data.tkg_storage_policy.vsan.id
  }}

  limits {{
    cpu_mhz                       = 20000
    memory_mib                    = 65536
    storage_mib                   = 204800
    pod_count                     = 200
    cpu_limit_default_mhz         = 1000
    cpu_request_default_mhz       = 500
    memory_limit_default_mib      = 1024
    memory_request_default_mib    = 512
    service_count                 = 50
    deployment_count              = 40
    daemon_set_count              = 10
    replica_set_count             = 80
    replication_controller_count  = 5
    stateful_set_count            = 20
    config_map_count              = 100
    secret_count                  = 100
    persistent_volume_claim_count = 60
    job_count                     = 30
  }}

  access {{
    subject      = "devs"
    subject_type = "GROUP"
    domain       = "vsphere.local"
    role         = "EDIT"
  }}

  access {{
    subject      = "alice"
    subject_type = "USER"
    domain       = "vsphere.local"
    role         = "VIEW"
  }}
}}
"""
    )
