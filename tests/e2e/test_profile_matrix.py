"""The full tkg_cluster lifecycle on every production profile of tkg-sim (vSphere 8.0 U2, 8.0 U3, VKS 3.4), with the
newest Terraform and no ``TKG_SUPERVISOR_ENDPOINT`` (the provider finds the Supervisor through vCenter):

create with every typed attribute (Calico through a ClusterBootstrap, a renamed storage class, trusted CAs, proxy,
volumes, taints, autoscaler …) → clean plan → scale → upgrade (done only when every machine runs the new version, even
though the Supervisor reports the generation reconciled first) → import into an empty state with a clean plan →
destroy. The Supervisor prunes, injects platform variables and reports transient ``TopologyReconcileFailed`` errors
throughout. On 8.0 U2 (Cluster API 1.5) the control-plane overrides cannot be stored: the provider says so, naming
the attribute, instead of leaving a perpetual diff.
"""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import pytest

from tkgsim import Simulator

from . import _cluster_fixtures as fx
from .conftest import MakeTerraform

RENAMED_POLICY = "0b6f0d34-8c6e-4f6e-9a3e-7f1d2c3b4a50"  # its StorageClass was renamed "tanzu-raid5"
NAMESPACE = "matrix"


def _namespace(sim: Simulator) -> None:
    with fx.vcenter(sim) as client:
        response = client.post(
            "/api/vcenter/namespaces/instances/v2",
            json={
                "namespace": NAMESPACE,
                "supervisor": fx.SUPERVISOR_ID,
                "vm_service_spec": {"vm_classes": list(fx.VM_CLASSES)},
                "storage_specs": [{"policy": fx.VSAN}, {"policy": RENAMED_POLICY}],
            },
        )
        assert response.status_code == 204, response.text
    with fx.supervisor_client(sim) as sup:
        deadline = time.monotonic() + 60
        while "tanzu-raid5" not in sup.list_storage_classes(NAMESPACE):
            assert time.monotonic() < deadline, "namespace never mirrored"
            time.sleep(0.1)


def _config(version: str, replicas: int, pem: str, *, control_plane_overrides: bool) -> str:
    overrides = (
        """
    vm_class           = "guaranteed-large"
    storage_class      = "tanzu-raid5\""""
        if control_plane_overrides
        else ""
    )
    return f"""{fx.PROVIDER}
resource "tkg_cluster" "this" {{
  name               = "matrix-1"
  namespace          = "{NAMESPACE}"
  cluster_class      = "tanzukubernetescluster"
  kubernetes_version = "{version}"
  vm_class           = "best-effort-small"
  storage_class      = "tanzu-raid5"
  labels             = {{ team = "payments" }}
  annotations        = {{ "example.com/owner" = "alice" }}
  variables          = {{ kubeAPIServerFQDNs = jsonencode(["k8s.example.com"]) }}

  control_plane {{
    replicas           = 1{overrides}
    node_drain_timeout = "5m"
    volume {{
      name         = "etcd"
      mount_path   = "/var/lib/etcd"
      capacity_gib = 4
    }}
  }}

  node_pool {{
    name          = "np-a"
    replicas      = {replicas}
    vm_class      = "best-effort-medium"
    storage_class = "vsan-default-storage-policy"
    labels        = {{ tier = "web" }}
    taint {{
      key    = "dedicated"
      value  = "web"
      effect = "NoSchedule"
    }}
    volume {{
      name         = "containerd"
      mount_path   = "/var/lib/containerd"
      capacity_gib = 20
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
    cni                  = "calico"
    proxy {{
      http_proxy  = "http://proxy.example.com:3128"
      https_proxy = "http://proxy.example.com:3128"
      no_proxy    = ["10.0.0.0/8", ".local"]
    }}
    trusted_ca {{
      name = "corp-ca"
      pem  = <<-EOT
{pem}
EOT
    }}
  }}

  storage {{
    classes       = ["tanzu-raid5", "vsan-default-storage-policy"]
    default_class = "tanzu-raid5"
  }}
}}

output "kubeconfig" {{
  value     = tkg_cluster.this.kubeconfig
  sensitive = true
}}
"""


def _workload(tmp: Path, kubeconfig: str, *args: str) -> str:
    path = tmp / "workload.kubeconfig"
    path.write_text(kubeconfig)
    done = subprocess.run(
        ["kubectl", "--kubeconfig", str(path), *args], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.mark.parametrize("profile", ["vsphere-8.0u2", "vsphere-8.0u3", "vks-3.4"])
def test_cluster_lifecycle_on_every_profile(profile: str, make_newest_tf: MakeTerraform, tmp_path: Path) -> None:
    with Simulator(delay_scale=0, profile=profile) as sim:
        _namespace(sim)
        env = sim.env()
        del env["TKG_SUPERVISOR_ENDPOINT"]  # discovered through vCenter (8.0: no APIEndpoint in the summaries)
        pem = Path(str(sim.ca_file)).read_text().strip()
        overrides = profile != "vsphere-8.0u2"
        tf = make_newest_tf(env=env)

        if not overrides:
            # Cluster API 1.5 has no topology.controlPlane.variables: the Supervisor drops the overrides silently.
            tf.write(_config(fx.V130, 1, pem, control_plane_overrides=True))
            tf.init()
            failed = tf.run("apply", "-auto-approve", "-input=false", "-no-color", check=False)
            assert failed.rc == 1
            assert "control_plane.vm_class not supported by this Supervisor" in failed.stderr, failed.stderr
            assert "control_plane.storage_class not supported by this Supervisor" in failed.stderr

        # create with every typed attribute the release can store
        tf.write(_config(fx.V130, 1, pem, control_plane_overrides=overrides))
        tf.init()
        tf.apply()
        assert tf.plan().rc == 0
        kubeconfig = str(tf.output("kubeconfig"))
        daemonsets = _workload(tmp_path, kubeconfig, "-n", "kube-system", "get", "ds", "-o", "name").split()
        assert daemonsets == ["daemonset.apps/calico-node"]

        # scale
        tf.write(_config(fx.V130, 2, pem, control_plane_overrides=overrides))
        tf.apply()
        assert tf.plan().rc == 0
        with fx.supervisor_client(sim) as sup:
            pools = {
                (md.metadata.labels or {}).get("topology.cluster.x-k8s.io/deployment-name"): md
                for md in sup.list_machine_deployments(NAMESPACE, "matrix-1")
            }
        assert pools["np-a"].status is not None and pools["np-a"].status.readyReplicas == 2

        # upgrade: apply returns only once every node runs the new version
        tf.write(_config(fx.V131, 2, pem, control_plane_overrides=overrides))
        tf.apply()
        versions = _workload(
            tmp_path, kubeconfig, "get", "nodes", "-o", "jsonpath={.items[*].status.nodeInfo.kubeletVersion}"
        ).split()
        assert len(versions) == 4 and set(versions) == {"v1.31.4+vmware.1-fips"}
        assert tf.plan().rc == 0

        # import into an empty state: a clean plan
        fresh = make_newest_tf(env=env, name="imported")
        fresh.write(
            _config(fx.V131, 2, pem, control_plane_overrides=overrides)
            + f'\nimport {{\n  to = tkg_cluster.this\n  id = "{NAMESPACE}/matrix-1"\n}}\n'
        )
        fresh.init()
        plan = fresh.plan()
        assert "1 to import, 0 to add, 0 to change, 0 to destroy" in plan.stdout, plan.stdout
        fresh.apply()
        assert fresh.plan().rc == 0
        fresh.run("state", "rm", "tkg_cluster.this")

        # destroy
        tf.destroy()
        assert not fx.cluster_exists(sim, NAMESPACE, "matrix-1")


def _class_config(cluster_class: str, class_namespace: str | None, pool_extra: str = "") -> str:
    where = f'\n  cluster_class_namespace = "{class_namespace}"' if class_namespace else ""
    return f"""{fx.PROVIDER}
resource "tkg_cluster" "this" {{
  name               = "classy"
  namespace          = "{NAMESPACE}"
  cluster_class      = "{cluster_class}"{where}
  kubernetes_version = "{fx.V131}"
  vm_class           = "best-effort-small"
  storage_class      = "tanzu-raid5"

  node_pool {{
    name     = "np-a"
    replicas = 1
    {pool_extra}
  }}
}}
"""


def test_vks_versioned_class_from_the_public_namespace(make_newest_tf: MakeTerraform) -> None:
    with Simulator(delay_scale=0, profile="vks-3.4") as sim:
        _namespace(sim)
        env = sim.env()
        del env["TKG_SUPERVISOR_ENDPOINT"]
        tf = make_newest_tf(env=env)

        # the versioned class is not in the user's namespace: the plan says where it is
        tf.write(_class_config("builtin-generic-v3.4.0", None))
        tf.init()
        missing = tf.run("plan", "-input=false", "-no-color", check=False)
        assert missing.rc == 1 and "Unknown ClusterClass" in missing.stderr
        assert "vmware-system-vks-public" in missing.stderr

        # an attribute the v3.4 class has no variable for is a plan-time error naming class and attribute
        tf.write(_class_config("builtin-generic-v3.4.0", "vmware-system-vks-public", 'labels = { tier = "web" }'))
        refused = tf.run("plan", "-input=false", "-no-color", check=False)
        assert refused.rc == 1 and "Not expressible with ClusterClass builtin-generic-v3.4.0" in refused.stderr
        assert "node_pool[0].labels sets the ClusterClass variable 'nodePoolLabels'" in refused.stderr

        tf.write(_class_config("builtin-generic-v3.4.0", "vmware-system-vks-public"))
        tf.apply()
        with fx.supervisor_client(sim) as sup:
            topology = sup.get_cluster(NAMESPACE, "classy").spec.topology
        assert topology is not None and topology.classNamespace == "vmware-system-vks-public"
        assert tf.plan().rc == 0
        tf.destroy()


def test_class_namespace_on_a_supervisor_without_the_field(make_newest_tf: MakeTerraform) -> None:
    with Simulator(delay_scale=0, profile="vsphere-8.0u3") as sim:
        _namespace(sim)
        tf = make_newest_tf(env=sim.env())
        tf.write(_class_config("tanzukubernetescluster", NAMESPACE))
        tf.init()
        failed = tf.run("apply", "-auto-approve", "-input=false", "-no-color", check=False)
        assert failed.rc == 1
        assert "cluster_class_namespace not supported by this Supervisor" in failed.stderr, failed.stderr
