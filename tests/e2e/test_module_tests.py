"""``terraform test`` of ``examples/modules/workload-cluster`` against tkg-sim, with the newest Terraform (the test
command needs 1.6+): the module's ``.tftest.hcl`` runs apply a namespace and a cluster and assert on the outputs,
its variable validations are expected to fail, and everything the runs created is destroyed afterwards."""

from __future__ import annotations

import re
import shutil

from tkgsim import Simulator

from . import _vcenter_fixtures as fx
from .conftest import MakeTerraform
from .harness import REPO_ROOT

MODULE = REPO_ROOT / "examples" / "modules" / "workload-cluster"


def test_workload_cluster_module_tests_pass_against_tkg_sim(make_newest_tf: MakeTerraform) -> None:
    with Simulator(delay_scale=0) as sim:
        tf = make_newest_tf(env=sim.env())
        assert tf.binary.at_least(1, 6), f"terraform test needs Terraform 1.6+, the newest found is {tf.version}"
        shutil.copytree(MODULE, tf.workdir, dirs_exist_ok=True)
        tf.init()
        run = tf.run("test", "-no-color")

        results = dict(re.findall(r'^\s*run "([a-z_]+)"\.\.\. (\w+)$', run.stdout, re.MULTILINE))
        assert results == {
            "setup": "pass",
            "creates_a_ready_cluster": "pass",
            "rejects_an_even_control_plane": "pass",
            "rejects_a_name_that_is_not_a_dns_label": "pass",
            "rejects_a_minor_version_without_its_v": "pass",
            "rejects_a_pool_without_replicas": "pass",
        }, run.stdout
        assert "Success! 6 passed, 0 failed." in run.stdout

        # terraform test destroyed what its runs created: no namespace, no cluster left in the simulator.
        snapshot = fx.snapshot(sim)  # (this simulator served nothing else)
        assert snapshot["vcenter"]["namespaces"] == {}
        assert not snapshot["k8s"]["objects"].get("clusters.cluster.x-k8s.io")
