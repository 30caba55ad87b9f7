"""Without ``TKG_SUPERVISOR_ENDPOINT``, on every production profile of tkg-sim (vCenter 8.0 U2 / 8.0 U3 summaries have
no ``APIEndpoint``): the provider finds the Supervisor through vCenter, reads the namespace's storage classes as the
Supervisor names them (a renamed class and the late-binding twins), and with several Supervisors picks the one that
hosts the namespace."""

from __future__ import annotations

import pytest

from tkgsim import Simulator
from tkgsim.model import default_model

from . import _vcenter_fixtures as fx
from .conftest import MakeTerraform

RENAMED = "0b6f0d34-8c6e-4f6e-9a3e-7f1d2c3b4a50"  # "vSAN ESA Default Policy - RAID5", class renamed "tanzu-raid5"
OTHER_SUPERVISOR = "7f0e0c2a-1111-4b7e-9d1c-2b3a4c5d6e7f"


def config(name: str, supervisor: str) -> str:
    return (
        fx.PROLOGUE
        + f"""
resource "tkg_supervisor_namespace" "this" {{
  name       = "{name}"
  supervisor = "{supervisor}"
  storage_policy {{
    policy = "{RENAMED}"
  }}
  storage_policy {{
    policy = "{fx.VSAN}"
  }}
}}

output "classes" {{
  value = tkg_supervisor_namespace.this.storage_classes
}}
"""
    )


def _env_without_endpoint(sim: Simulator) -> dict[str, str]:
    env = sim.env()
    del env["TKG_SUPERVISOR_ENDPOINT"]
    return env


@pytest.mark.parametrize("profile", ["vsphere-8.0u2", "vsphere-8.0u3", "vks-3.4"])
def test_discovery_and_real_storage_class_names(profile: str, make_newest_tf: MakeTerraform) -> None:
    with Simulator(delay_scale=0, profile=profile) as sim:
        tf = make_newest_tf(env=_env_without_endpoint(sim))
        tf.write(config("disc-ns", fx.SUPERVISOR_ID) + RELEASES)
        tf.init()
        tf.apply()
        assert tf.output("classes") == [
            "tanzu-raid5",
            "tanzu-raid5-latebinding",
            "vsan-default-storage-policy",
            "vsan-default-storage-policy-latebinding",
        ]
        assert "v1.31.4---vmware.1-fips-vkr.3" in tf.output("releases")
        assert tf.plan().rc == 0
        tf.destroy()


RELEASES = """
data "tkg_kubernetes_releases" "all" {}

output "releases" {
  value = [for r in data.tkg_kubernetes_releases.all.releases : r.name]
}
"""


def test_several_supervisors_the_one_hosting_the_namespace(make_newest_tf: MakeTerraform) -> None:
    model = default_model()
    seed = {
        "clusters": [*model["clusters"], {"cluster": "domain-c9", "name": "Cluster-2"}],
        "supervisors": [
            *model["supervisors"],
            # A second Supervisor nobody can reach: picking it would leave storage_classes empty.
            {"supervisor": OTHER_SUPERVISOR, "name": "supervisor-2", "cluster": "domain-c9", "endpoint": "127.0.0.1:9"},
        ],
    }
    with Simulator(delay_scale=0, profile="vsphere-8.0u3", seed=seed) as sim:
        tf = make_newest_tf(env=_env_without_endpoint(sim))
        tf.write(config("multi-ns", fx.SUPERVISOR_ID))
        tf.init()
        tf.apply()
        assert tf.output("classes") == [
            "tanzu-raid5",
            "tanzu-raid5-latebinding",
            "vsan-default-storage-policy",
            "vsan-default-storage-policy-latebinding",
        ]
        tf.destroy()
