"""The portable launcher ``install`` writes: its bytes, and the rule by which /bin/sh finds the interpreter."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from terraform_provider_tkg.framework import install

NAMES = {
    "program": "terraform-provider-x",
    "module": "provider_x",
    "python_variable": "X_PYTHON",
    "version_variable": "X_LAUNCHER_VERSION",
}


def fake_python(path: Path, label: str) -> Path:
    """An executable that prints which one ran, its arguments and the version the launcher exported."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f'#!/bin/sh\necho "{label} $* $X_LAUNCHER_VERSION"\n')
    os.chmod(path, 0o755)
    return path


def launch(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    launcher = tmp_path / "launcher"
    launcher.write_text(install.portable_launcher_script(version="1.2.0", **NAMES))
    os.chmod(launcher, 0o755)
    base = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path / "home")}
    return subprocess.run(
        [str(launcher), "--debug"], env={**base, **env}, capture_output=True, text=True, timeout=30, check=False
    )


def test_script_depends_only_on_names_and_version() -> None:
    script = install.portable_launcher_script(version="1.2.0", **NAMES)
    assert script == install.portable_launcher_script(version="1.2", **NAMES)  # the same semantic version
    assert script != install.portable_launcher_script(version="1.3.0", **NAMES)
    assert "/home" not in script and "/usr" not in script and script.startswith("#!/bin/sh\n")


def test_environment_variable_wins(tmp_path: Path) -> None:
    env_python = fake_python(tmp_path / "env" / "python", "env")
    install.record_interpreter(
        NAMES["program"],
        "1.2.0",
        str(fake_python(tmp_path / "rec" / "python", "recorded")),
        env={"HOME": str(tmp_path / "home")},
    )
    done = launch(tmp_path, X_PYTHON=str(env_python))
    assert done.stdout == "env -P -m provider_x --debug 1.2.0\n"


def test_recorded_interpreter_comes_next_and_xdg_config_home_is_honoured(tmp_path: Path) -> None:
    recorded = fake_python(tmp_path / "venv dir" / "bin" / "python", "recorded")
    record = install.record_interpreter(
        NAMES["program"], "1.2.0", str(recorded), env={"XDG_CONFIG_HOME": str(tmp_path / "cfg")}
    )
    assert record == tmp_path / "cfg" / "terraform-provider-x" / "1.2.0" / "python"
    bin_dir = tmp_path / "bin"
    fake_python(bin_dir / "terraform-provider-x", "on-path")
    done = launch(tmp_path, XDG_CONFIG_HOME=str(tmp_path / "cfg"), PATH=f"{bin_dir}:/usr/bin:/bin")
    assert done.stdout == "recorded -P -m provider_x --debug 1.2.0\n"


def test_console_script_on_path_is_the_last_resort(tmp_path: Path) -> None:
    bin_dir = tmp_path / "bin"
    fake_python(bin_dir / "terraform-provider-x", "on-path")
    # A recorded interpreter that no longer exists (the virtualenv was deleted) is skipped.
    install.record_interpreter(
        NAMES["program"], "1.2.0", str(tmp_path / "gone" / "python"), env={"HOME": str(tmp_path / "home")}
    )
    done = launch(tmp_path, PATH=f"{bin_dir}:/usr/bin:/bin")
    assert done.stdout == "on-path --debug 1.2.0\n"


def test_the_working_directory_cannot_shadow_the_provider_or_its_dependencies(tmp_path: Path) -> None:
    # Terraform starts the provider in the configuration's directory: a json.py there (or a grpc/ package) must not
    # replace the module the real interpreter imports.
    workdir = tmp_path / "config"
    workdir.mkdir()
    (workdir / "json.py").write_text("print('shadowed')\n")
    launcher = tmp_path / "launcher"
    launcher.write_text(install.portable_launcher_script(version="1.2.0", **{**NAMES, "module": "json.tool"}))
    os.chmod(launcher, 0o755)
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path / "home"), "X_PYTHON": sys.executable}
    done = subprocess.run(
        [str(launcher)], input='{"a": 1}', cwd=workdir, env=env, capture_output=True, text=True, timeout=30
    )
    assert (done.returncode, done.stdout) == (0, '{\n    "a": 1\n}\n'), done.stderr


def test_nothing_found_explains_on_stdout_and_stderr(tmp_path: Path) -> None:
    done = launch(tmp_path)
    assert done.returncode == 1
    assert done.stdout.startswith("terraform-provider-x 1.2.0: no Python environment found")
    assert "set X_PYTHON" in done.stdout and done.stderr == done.stdout


@pytest.mark.parametrize("python", ["relative/python", "/a\nb"])
def test_record_rejects_what_the_launcher_could_not_read(tmp_path: Path, python: str) -> None:
    with pytest.raises(ValueError):
        install.record_interpreter("p", "1.0.0", python, env={"HOME": str(tmp_path)})
