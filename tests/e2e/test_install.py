"""``terraform-provider-tkg install``: a launcher in a filesystem mirror that ``terraform init`` uses offline."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from terraform_provider_tkg.framework import install

from . import harness

pytestmark = pytest.mark.e2e

CONFIG = """
terraform {
  required_providers {
    tkg = { source = "tkg-oss/tkg" }
  }
}
"""

# A provider block that configures without remote calls, so `validate` proves the launcher really starts the provider.
PROVIDER = """
provider "tkg" {
  vsphere_server = "vcenter.example.com"
  user           = "administrator@vsphere.local"
  password       = "not-used"
}
"""


def run_install(*args: str, home: Path) -> subprocess.CompletedProcess[str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("TF_")}
    env.update(HOME=str(home), PYTHONPATH=str(harness.REPO_ROOT))
    return subprocess.run(
        [sys.executable, "-m", "terraform_provider_tkg", "install", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )


def test_install_then_init_offline_with_the_printed_block(
    terraform_binary: harness.TerraformBinary, tmp_path: Path
) -> None:
    mirror = tmp_path / "mirror"
    done = run_install("--mirror", str(mirror), home=tmp_path / "home")
    version = harness.provider_version()

    launcher = mirror / "registry.terraform.io/tkg-oss/tkg" / version / install.terraform_platform()
    launcher = launcher / f"terraform-provider-tkg_v{version}"
    assert launcher.is_file() and os.access(launcher, os.X_OK)
    script = launcher.read_text()
    assert script.startswith("#!/bin/sh\n") and f"exec {sys.executable} -m terraform_provider_tkg" in script
    assert str(launcher) in done.stderr

    # stdout is exactly the block: it can be appended to a CLI configuration file as is.
    assert done.stdout.startswith("provider_installation {")
    cli_config = tmp_path / "cli.tfrc"
    cli_config.write_text(done.stdout)
    tf = harness.Terraform(terraform_binary, tmp_path / "work", cli_config=cli_config, home=tmp_path / "home")
    tf.write(CONFIG + PROVIDER)
    init = tf.init()
    assert f"Installed tkg-oss/tkg v{version}" in init.stdout
    lock = (tf.workdir / ".terraform.lock.hcl").read_text()
    assert 'provider "registry.terraform.io/tkg-oss/tkg"' in lock
    assert f'version = "{version}"' in lock
    assert "h1:" in lock
    tf.validate()


def test_default_mirror_is_terraforms_implied_local_mirror(
    terraform_binary: harness.TerraformBinary, tmp_path: Path
) -> None:
    home = tmp_path / "home"
    done = run_install(home=home)
    assert f'path    = "{home}/.terraform.d/plugins"' in done.stdout
    assert (home / ".terraform.d/plugins/registry.terraform.io/tkg-oss/tkg").is_dir()
    # No provider_installation block at all: Terraform finds the provider in its implied mirror by itself.
    cli_config = tmp_path / "empty.tfrc"
    cli_config.write_text("disable_checkpoint = true\n")
    tf = harness.Terraform(terraform_binary, tmp_path / "work", cli_config=cli_config, home=home)
    tf.write(CONFIG)
    tf.init()
    assert 'provider "registry.terraform.io/tkg-oss/tkg"' in (tf.workdir / ".terraform.lock.hcl").read_text()


def test_reinstall_replaces_the_launcher(tmp_path: Path) -> None:
    mirror = tmp_path / "mirror"
    run_install("--mirror", str(mirror), home=tmp_path)
    run_install("--mirror", str(mirror), home=tmp_path)
    launchers = [path for path in mirror.rglob("*") if path.is_file()]
    assert len(launchers) == 1, launchers


def test_version_flag_prints_the_package_version(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "terraform_provider_tkg", "--version"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
        env={**os.environ, "PYTHONPATH": str(harness.REPO_ROOT)},
    )
    assert done.stdout.strip() == f"terraform-provider-tkg {harness.provider_version()}"


# --------------------------------------------------------------------------------------------------------------------
# The pieces install is made of


@pytest.mark.parametrize(
    ("system", "machine", "expected"),
    [
        ("linux", "x86_64", "linux_amd64"),
        ("linux", "aarch64", "linux_arm64"),
        ("darwin", "arm64", "darwin_arm64"),
        ("darwin", "x86_64", "darwin_amd64"),
        ("freebsd14", "amd64", "freebsd_amd64"),
        ("linux", "armv7l", "linux_arm"),
    ],
)
def test_terraform_platform_uses_go_names(system: str, machine: str, expected: str) -> None:
    assert install.terraform_platform(system, machine) == expected


@pytest.mark.parametrize(
    ("version", "expected"),
    [
        ("0.1.0", "0.1.0"),
        ("1.2", "1.2.0"),
        ("1.2.0rc1", "1.2.0-rc1"),
        ("1.2.0.dev3", "1.2.0-dev3"),
        ("1.2.0+g1234.dirty", "1.2.0"),
    ],
)
def test_semver_from_python_versions(version: str, expected: str) -> None:
    assert install.semver(version) == expected


def test_launcher_quotes_paths_and_environment(tmp_path: Path) -> None:
    target = install.install_launcher(
        tmp_path / "mirror dir",
        hostname="example.com",
        namespace="ns",
        type_name="thing",
        version="1.0.0",
        command=[str(tmp_path / "py thon"), "-m", "pkg"],
        env={"PYTHONPATH": "/a b/$HOME"},
    )
    script = target.read_text()
    assert f"exec '{tmp_path}/py thon' -m pkg \"$@\"" in script
    assert "PYTHONPATH='/a b/$HOME'; export PYTHONPATH" in script
    assert target.name == "terraform-provider-thing_v1.0.0"


def test_hcl_strings_escape_quotes_and_templates() -> None:
    assert install.hcl_string('a"b\\c${x}%{y}') == '"a\\"b\\\\c$${x}%%{y}"'
