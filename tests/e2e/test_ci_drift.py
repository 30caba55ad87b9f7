"""``examples/ci/detect-drift.py`` against tkg-sim, with each Terraform version: a clean run exits 0, an out-of-band
change exits 2 and names the resource and attribute (both directions), a failing plan exits 1."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator

import pytest

from tkgsim import Simulator

from . import _vcenter_fixtures as fx
from .conftest import MakeTerraform
from .harness import REPO_ROOT, Terraform

SCRIPT = REPO_ROOT / "examples" / "ci" / "detect-drift.py"


@pytest.fixture(scope="module")
def sim() -> Iterator[Simulator]:
    with Simulator(delay_scale=0) as simulator:
        yield simulator


def detect_drift(tf: Terraform, **env: str) -> subprocess.CompletedProcess[str]:
    """Run the script as a CI job would, in the working directory's environment, with this Terraform."""
    return subprocess.run(
        [sys.executable, str(SCRIPT), "--chdir", str(tf.workdir)],
        env=tf.command_env({"TERRAFORM": tf.binary.path, **env}),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_drift_script_tells_drift_from_errors(sim: Simulator, make_tf: MakeTerraform) -> None:
    tf = make_tf(env=sim.env())
    name = f"{fx.prefix(tf.version)}-drift"
    tf.write(
        fx.PROLOGUE
        + f'\nresource "tkg_vm_class" "this" {{\n  name       = "{name}"\n  cpu_count  = 4\n  memory_mib = 8192\n}}\n'
    )
    tf.init()
    tf.apply()

    clean = detect_drift(tf)
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert clean.stdout.startswith("No drift")

    with fx.rest(sim) as rest:
        response = rest.patch(
            f"/api/vcenter/namespace-management/virtual-machine-classes/{name}", json={"cpu_count": 2}
        )
        assert response.status_code == 204, response.text
    drift = detect_drift(tf)
    assert drift.returncode == 2, drift.stdout + drift.stderr
    lines = drift.stdout.splitlines()
    assert lines[0] == "DRIFT: 1 resource(s) differ from the configuration."
    planned = lines.index("Terraform would change:")
    would_change = lines[planned + 1 :]
    assert would_change[:1] == ["  tkg_vm_class.this (update)"]
    assert "      cpu_count: 2 -> 4" in would_change
    # Besides the drifted attribute, only computed values the update may change (unknown until apply) are listed.
    others = [line for line in would_change[1:] if line != "      cpu_count: 2 -> 4"]
    assert all(line.endswith(" -> (known after apply)") for line in others), others
    if tf.binary.at_least(1, 2):  # Terraform 1.2+ lists only the drift that the plan acts on; 1.0/1.1 list it all
        assert lines[1:planned] == [
            "Changed outside Terraform:",
            "  tkg_vm_class.this (update)",
            "      cpu_count: 4 -> 2",
        ]

    print(drift.stdout)
    failed = detect_drift(tf, VSPHERE_PASSWORD="wrong-password")
    assert failed.returncode == 1, failed.stdout + failed.stderr
    assert "ERROR: terraform plan failed (exit status 1); drift was not checked." in failed.stdout
    assert "wrong-password" not in failed.stdout + failed.stderr
