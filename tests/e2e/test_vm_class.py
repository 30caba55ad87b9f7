"""tkg_vm_class end to end: real Terraform (each version the harness finds) against an in-process tkg-sim.

One lifecycle test per Terraform version covers create → no-op plan → in-place update (emptying the device list,
unsetting a reservation and the description) → replacement on ``name`` → import into a fresh state with a clean plan →
drift (REST PATCH) → out-of-band delete → destroy, checking the simulator through the provider's own client and the
admin snapshot at each step.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from terraform_provider_tkg.api import errors
from terraform_provider_tkg.api.vcenter import VcenterClient
from tkgsim import Simulator

from . import _vcenter_fixtures as fx
from .conftest import MakeTerraform


@pytest.fixture(scope="module")
def sim() -> Iterator[Simulator]:
    with Simulator(delay_scale=0) as simulator:
        yield simulator


def test_vm_class_lifecycle(sim: Simulator, make_tf: MakeTerraform) -> None:
    with fx.api_client(sim) as client:
        lifecycle(sim, make_tf, client)


def lifecycle(sim: Simulator, make_tf: MakeTerraform, client: VcenterClient) -> None:
    tf = make_tf(env=sim.env())
    name = f"{fx.prefix(tf.version)}-gpu"

    # create
    tf.write(config_vm_class(name, gpu=True, description="GPU nodes"))
    tf.init()
    tf.apply()
    obj = client.get_vm_class(name)
    # The description carries the create-token marker line (docs/reliability.md) after the configured text.
    assert (obj.cpu_count, obj.memory_MB, obj.memory_reservation) == (4, 16384, 100)
    assert obj.description.startswith("GPU nodes\n[tkg-create-token:")
    assert obj.devices is not None and obj.devices.vgpu_devices and obj.config_spec == {"numCPUs": 4, "x": {"a": 1}}
    state = tf.resource("tkg_vm_class.this")
    assert state is not None and state["id"] == name and state["config_status"] == "READY"
    assert state["vgpu_profiles"] == ["grid_a100-4c"]
    assert tf.plan().rc == 0

    # update in place: devices emptied, reservation and description unset, CPU changed
    tf.write(config_vm_class(name, gpu=False, cpus=8))
    plan = tf.plan()
    assert plan.rc == 2 and "will be updated in-place" in plan.stdout and "must be replaced" not in plan.stdout
    assert "config_spec_json" not in plan.stdout
    tf.apply()
    obj = client.get_vm_class(name)
    assert obj.cpu_count == 8 and obj.description == "" and obj.memory_reservation == 0
    assert obj.devices is not None
    assert obj.devices.vgpu_devices == [] and obj.devices.dynamic_direct_path_IO_devices == []
    assert tf.plan().rc == 0

    # replacement on name
    renamed = f"{name}-b"
    tf.write(config_vm_class(renamed, gpu=False, cpus=8))
    plan = tf.plan()
    assert "must be replaced" in plan.stdout and "forces replacement" in plan.stdout
    tf.apply()
    with pytest.raises(errors.NotFound):
        client.get_vm_class(name)
    assert client.get_vm_class(renamed).cpu_count == 8

    # import into a fresh state: a plan right after shows no changes
    fresh = make_tf(env=sim.env(), name="imported")
    fresh.write(config_vm_class(renamed, gpu=False, cpus=8))
    fresh.init()
    fresh.import_("tkg_vm_class.this", renamed)
    assert fresh.plan().rc == 0
    fresh.run("state", "rm", "tkg_vm_class.this")

    # drift: an out-of-band PATCH shows as a change and apply restores it
    with fx.rest(sim) as rest:
        rest.patch(f"/api/vcenter/namespace-management/virtual-machine-classes/{renamed}", json={"cpu_count": 2})
        plan = tf.plan()
        assert plan.rc == 2 and "cpu_count" in plan.stdout
        tf.apply()
        assert client.get_vm_class(renamed).cpu_count == 8

        # disappears: deleted out of band → removed from state with a warning, planned for creation, no error
        rest.delete(f"/api/vcenter/namespace-management/virtual-machine-classes/{renamed}")
    plan = tf.plan()
    assert plan.rc == 2 and "will be created" in plan.stdout
    assert "The VM class was deleted outside Terraform" in " ".join((plan.stdout + plan.stderr).split())
    tf.apply()
    assert client.get_vm_class(renamed).cpu_count == 8

    # destroy leaves nothing behind
    tf.destroy()
    classes = fx.snapshot(sim)["vcenter"]["vm_classes"]
    assert not [c for c in classes if c.startswith(fx.prefix(tf.version))]


def test_vm_class_errors_quote_vcenter(sim: Simulator, make_tf: MakeTerraform) -> None:
    """A name vCenter already has (a seeded default class with another shape) fails create with the server's words."""
    tf = make_tf(env=sim.env())
    tf.write(config_vm_class("best-effort-small", gpu=False, cpus=7))
    tf.init()
    run = tf.run("apply", "-input=false", "-no-color", "-auto-approve", ok=(1,))
    text = run.stderr + run.stdout
    assert "creating tkg_vm_class (best-effort-small)" in text
    assert "VM class best-effort-small already exists." in text and "ALREADY_EXISTS" in text
    assert "terraform import" in text
    with fx.api_client(sim) as client:
        assert client.get_vm_class("best-effort-small").cpu_count == 2


# ---- HCL builders ------------------------------------------------------------------------------------------------


def config_vm_class(name: str, *, gpu: bool, cpus: int = 4, description: str | None = None) -> str:
    lines = [
        f'  name      = "{name}"',
        f"  cpu_count = {cpus}",
        "  memory_mib = 16384",
        "  config_spec_json = jsonencode({ numCPUs = 4, x = { a = 1 } })",
    ]
    if description is not None:
        lines.append(f'  description = "{description}"')
    if gpu:
        lines += [
            "  memory_reservation_percent = 100",
            '  vgpu_profiles = ["grid_a100-4c"]',
            "  dynamic_direct_path_io_device {",
            "    vendor_id = 4318",
            "    device_id = 8754",
            '    custom_label = "nic"',
            "  }",
        ]
    body = "\n".join(lines)
    return fx.PROLOGUE + f'\nresource "tkg_vm_class" "this" {{\n{body}\n}}\n'
