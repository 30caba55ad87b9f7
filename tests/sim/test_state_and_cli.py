"""State-file persistence across restarts, and ``tkg-sim serve`` as a user runs it (subprocess, curl, SIGTERM)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.sim.conftest import VcClient, namespace_body
from tkgsim import Simulator

V2 = "/api/vcenter/namespaces/instances/v2"
CLASSES = "/api/vcenter/namespace-management/virtual-machine-classes"


def test_state_file_survives_a_restart(tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    with Simulator(delay_scale=0, state_file=state) as sim:
        vc = VcClient(sim, sim.admin_user, sim.admin_password)
        assert vc.post(V2, namespace_body("kept", description="persisted")).status_code == 204
        assert vc.post(CLASSES, {"id": "kept-class", "cpu_count": 2, "memory_MB": 2048}).status_code == 204
        assert vc.delete(f"{CLASSES}/best-effort-xsmall").status_code == 204
        token = vc.token
        vc.close()
        ca_before = Path(sim.ca_file or "").read_bytes()
    saved = json.loads(state.read_text())
    assert "kept" in saved["vcenter"]["namespaces"]
    assert token not in state.read_text()  # only token digests are stored
    assert not list(tmp_path.glob(".state.json.*.tmp"))  # atomic write left no temp file

    with Simulator(delay_scale=0, state_file=state) as sim:
        assert Path(sim.ca_file or "").read_bytes() == ca_before  # the CA clients trust is reused
        vc = VcClient(sim, sim.admin_user, sim.admin_password)
        assert vc.get(f"{V2}/kept").json()["description"] == "persisted"
        classes = {c["id"] for c in vc.get(CLASSES).json()}
        assert "kept-class" in classes and "best-effort-xsmall" not in classes
        vc.http.headers["vmware-api-session-id"] = token  # the old session is still valid
        assert vc.get("/api/session").status_code == 200
        vc.close()


def test_a_pending_transition_resumes_after_restart(tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    with Simulator(delay_scale=0.2, state_file=state) as sim:
        vc = VcClient(sim, sim.admin_user, sim.admin_password)
        assert vc.post(V2, namespace_body("resumed")).status_code == 204
        assert vc.get(f"{V2}/resumed").json()["config_status"] == "CONFIGURING"
        vc.close()
    with Simulator(delay_scale=0.2, state_file=state) as sim:
        vc = VcClient(sim, sim.admin_user, sim.admin_password)
        deadline = time.monotonic() + 30
        while vc.get(f"{V2}/resumed").json()["config_status"] != "RUNNING":
            assert time.monotonic() < deadline, "the CONFIGURING transition did not resume"
            time.sleep(0.05)
        vc.close()


def _curl(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["curl", "-sS", "--max-time", "20", "--cacert", env["VSPHERE_CA_FILE"], *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_cli_serve_prints_env_that_curl_can_use(tmp_path: Path) -> None:
    state = tmp_path / "cli-state.json"
    with Simulator.subprocess(delay_scale=0, state_file=state) as sim:
        env = sim.env()
        assert set(env) == {
            "VSPHERE_SERVER",
            "VSPHERE_USER",
            "VSPHERE_PASSWORD",
            "VSPHERE_CA_FILE",
            "TKG_SUPERVISOR_ENDPOINT",
        }
        assert "://" not in env["VSPHERE_SERVER"] and env["TKG_SUPERVISOR_ENDPOINT"].rsplit(":", 1)[1].isdigit()
        server = f"https://{env['VSPHERE_SERVER']}"
        login = _curl(
            env, "-u", f"{env['VSPHERE_USER']}:{env['VSPHERE_PASSWORD']}", "-X", "POST", f"{server}/api/session"
        )
        assert login.returncode == 0, login.stderr
        token = json.loads(login.stdout)
        header = f"vmware-api-session-id: {token}"
        create = _curl(
            env,
            "-H",
            header,
            "-H",
            "content-type: application/json",
            "-d",
            json.dumps(namespace_body("from-curl")),
            "-w",
            "%{http_code}",
            f"{server}{V2}",
        )
        assert create.stdout == "204", create.stdout + create.stderr
        got = _curl(env, "-H", header, f"{server}{V2}/from-curl")
        assert json.loads(got.stdout)["config_status"] == "RUNNING"
        code = sim.stop()
    assert code == 0
    assert "from-curl" in json.loads(state.read_text())["vcenter"]["namespaces"]


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_serve_shuts_down_cleanly_on_signals(tmp_path: Path, signum: signal.Signals) -> None:
    state = tmp_path / "state.json"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tkgsim",
            "serve",
            "--delay-scale",
            "0",
            "--state-file",
            str(state),
            "--print-env",
            "json",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        assert process.stdout is not None
        env = json.loads(process.stdout.readline())
        assert process.stdout.readline().startswith("# tkg-sim ready")
        assert env["VSPHERE_CA_FILE"].startswith(str(tmp_path))
        process.send_signal(signum)
        _, stderr = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 0, stderr
    assert "tkg-sim stopped" in stderr
    assert "Traceback" not in stderr
    assert json.loads(state.read_text())["vcenter"]["vm_classes"]


def test_python_dash_m_and_bad_arguments() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "tkgsim", "serve", "--delay-scale", "-1"], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 2 and "--delay-scale" in result.stderr
    result = subprocess.run([sys.executable, "-m", "tkgsim", "--help"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and "serve" in result.stdout


def test_seed_file_replaces_inventory(tmp_path: Path) -> None:
    seed = tmp_path / "seed.yaml"
    seed.write_text(
        "storage_policies:\n"
        "  - {policy: 11111111-2222-3333-4444-555555555555, name: only-policy, description: ''}\n"
        "users:\n"
        "  - {name: root@corp.local, password: s3cret, role: admin}\n"
    )
    with Simulator(delay_scale=0, seed=seed) as sim:
        assert sim.admin_user == "root@corp.local"
        vc = VcClient(sim, sim.admin_user, sim.admin_password)
        assert [p["name"] for p in vc.get("/api/vcenter/storage/policies").json()] == ["only-policy"]
        assert vc.get("/api/vcenter/cluster").json()[0]["cluster"] == "domain-c8"  # untouched keys keep defaults
        vc.close()
    bad = tmp_path / "bad.yaml"
    bad.write_text("storage_polices: []\n")
    with pytest.raises(ValueError, match="unknown keys"):
        Simulator(seed=bad)


def test_a_write_is_on_disk_before_it_is_acknowledged(tmp_path: Path) -> None:
    """SIGKILL right after a create (no shutdown save): the restarted simulator still has the object, like etcd."""
    state = tmp_path / "durable.json"
    sim = Simulator.subprocess(delay_scale=0, state_file=state, profile="vsphere-8.0u3").start()
    try:
        vc = VcClient(sim, sim.admin_user, sim.admin_password)  # type: ignore[arg-type]
        assert vc.post(V2, namespace_body("durable-ns")).status_code == 204
        vc.close()
        os.kill(sim.pid, signal.SIGKILL)
    finally:
        sim.stop()
    with Simulator(delay_scale=0, state_file=state) as restarted:
        vc = VcClient(restarted, restarted.admin_user, restarted.admin_password)
        assert vc.get(f"{V2}/durable-ns").status_code == 200
        vc.close()


def test_profile_from_the_command_line_and_from_the_seed(tmp_path: Path) -> None:
    seed = tmp_path / "seed.yaml"
    seed.write_text("profile: vks-3.4\n")
    with Simulator(delay_scale=0, seed=seed) as sim:
        assert sim.world.profile.name == "vks-3.4"
    with Simulator(delay_scale=0, seed=seed, profile="vsphere-8.0u2") as sim:
        assert sim.world.profile.name == "vsphere-8.0u2"
    bad = subprocess.run(
        [sys.executable, "-m", "tkgsim", "serve", "--profile", "vsphere-7"], capture_output=True, text=True, check=False
    )
    assert bad.returncode == 2 and "invalid choice: 'vsphere-7'" in bad.stderr
