"""Ctrl-C during a long wait: Terraform calls StopProvider, the provider stops waiting at once and records what it
created (tainted) instead of orphaning it; the plugin server keeps serving until Terraform shuts it down."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Iterator

import pytest

from tkgsim import Simulator

from . import _cluster_fixtures as fx
from .conftest import MakeTerraform


@pytest.fixture(scope="module")
def sim() -> Iterator[Simulator]:
    with fx.simulator(0) as running:
        fx.create_namespace(running, "interrupt")
        yield running


def test_interrupt_cancels_the_wait_and_keeps_the_cluster_in_state(sim: Simulator, make_tf: MakeTerraform) -> None:
    tf = make_tf(env=sim.env())
    name = "ctrl-c-" + tf.version.replace(".", "")
    # The default create timeout (60m) is far beyond this test's limits: only StopProvider can end the wait.
    tf.write(fx.config_cluster(name, "interrupt"))
    tf.init()
    fx.set_faults(sim, stuck_provisioning=True)
    try:
        apply = subprocess.Popen(
            [tf.binary.path, "apply", "-input=false", "-no-color", "-auto-approve"],
            cwd=tf.workdir,
            env=tf.command_env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        try:
            for _ in range(600):  # wait until the Cluster was submitted and the provider is waiting for it
                if fx.cluster_exists(sim, "interrupt", name):
                    break
                time.sleep(0.1)
            else:
                pytest.fail("the cluster was never submitted")
            # Like Ctrl-C in a terminal: the whole process group gets SIGINT (Terraform 1.0 ignores it in its
            # panicwrap parent and acts in the child; the provider ignores it and waits for StopProvider).
            os.killpg(apply.pid, signal.SIGINT)
            stdout, stderr = apply.communicate(timeout=120)
        except subprocess.TimeoutExpired as exc:
            os.killpg(apply.pid, signal.SIGKILL)
            out, err = apply.communicate()
            raise AssertionError(f"terraform did not stop:\n{out}\n{err}") from exc
    finally:
        fx.set_faults(sim, stuck_provisioning=False)

    assert apply.returncode == 1, stdout + stderr
    assert "Interrupt received" in stdout
    assert "interrupted" in stderr.lower() or "stopped" in stderr.lower() or "cancel" in stderr.lower(), stderr
    state = tf.resource("tkg_cluster.this")
    assert state is not None, "the submitted cluster was forgotten"
    assert state["ready"] is not True
    plan = tf.plan()
    assert plan.rc == 2 and "tainted" in plan.stdout
    tf.destroy()
    assert not fx.cluster_exists(sim, "interrupt", name)
