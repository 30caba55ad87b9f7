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


def run_install(*args: str, home: Path, python: str = sys.executable) -> subprocess.CompletedProcess[str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("TF_", "TKG_", "XDG_CONFIG_HOME"))}
    env.update(HOME=str(home), PYTHONPATH=str(harness.REPO_ROOT))
    return subprocess.run(
        [python, "-m", "terraform_provider_tkg", "install", *args],
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

    package = Path("tkg-oss/tkg") / version / install.terraform_platform() / f"terraform-provider-tkg_v{version}"
    launcher = mirror / "registry.terraform.io" / package
    assert launcher.is_file() and os.access(launcher, os.X_OK)
    script = launcher.read_bytes()
    # Nothing of this machine in the package Terraform hashes; OpenTofu's host gets the very same file.
    assert script.startswith(b"#!/bin/sh\n") and str(tmp_path).encode() not in script
    assert sys.prefix.encode() not in script and str(harness.REPO_ROOT).encode() not in script
    assert (mirror / "registry.opentofu.org" / package).read_bytes() == script
    assert str(launcher) in done.stderr
    # The interpreter is recorded outside the mirror, under the user's configuration directory.
    record = tmp_path / "home/.config/terraform-provider-tkg" / version / "python"
    assert record.read_text() == sys.executable + "\n"

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

    # OpenTofu's source address (its registry host) is installed from the same mirror and block.
    tofu = harness.Terraform(terraform_binary, tmp_path / "tofu", cli_config=cli_config, home=tmp_path / "home")
    tofu.write(CONFIG.replace('"tkg-oss/tkg"', '"registry.opentofu.org/tkg-oss/tkg"') + PROVIDER)
    tofu.init()
    assert 'provider "registry.opentofu.org/tkg-oss/tkg"' in (tofu.workdir / ".terraform.lock.hcl").read_text()
    tofu.validate()


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


def test_reinstall_replaces_the_launchers(tmp_path: Path) -> None:
    mirror = tmp_path / "mirror"
    run_install("--mirror", str(mirror), home=tmp_path)
    run_install("--mirror", str(mirror), home=tmp_path)
    launchers = sorted(str(path.relative_to(mirror)) for path in mirror.rglob("*") if path.is_file())
    version = harness.provider_version()
    package = f"tkg-oss/tkg/{version}/{install.terraform_platform()}/terraform-provider-tkg_v{version}"
    assert launchers == [f"registry.opentofu.org/{package}", f"registry.terraform.io/{package}"]


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
# Portable lock files: the package Terraform hashes is the same on every machine


def make_virtualenv(path: Path) -> str:
    """A new virtual environment at ``path`` that sees this checkout and its dependencies; returns its python.

    No pip install (the tests stay offline and fast): a ``.pth`` file adds the project environment's site-packages
    (whose own ``.pth`` files, e.g. the editable install, are processed too) and the repository root.
    """
    import site
    import venv

    venv.EnvBuilder(with_pip=False, symlinks=True).create(path)
    python = path / "bin" / "python"
    purelib = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    project_site = next(p for p in site.getsitepackages() if p.startswith(sys.prefix))
    Path(purelib, "project-under-test.pth").write_text(
        f"import site; site.addsitedir({project_site!r})\n{harness.REPO_ROOT}\n"
    )
    return str(python)


def lock_hashes(workdir: Path) -> str:
    return (workdir / ".terraform.lock.hcl").read_text()


def test_lock_file_from_one_machine_passes_init_on_another(
    terraform_binary: harness.TerraformBinary, tmp_path: Path
) -> None:
    version = harness.provider_version()
    machines = {}
    for name, prefix in (("laptop", "home/alice/src/infra"), ("ci", "builds/runner 7/_work/venv-cache")):
        root = tmp_path / name
        python = make_virtualenv(root / prefix / ".venv")
        done = run_install("--mirror", str(root / "plugins"), home=root / "home", python=python)
        cli_config = root / "cli.tfrc"
        cli_config.write_text(done.stdout)
        tf = harness.Terraform(terraform_binary, root / "work", cli_config=cli_config, home=root / "home")
        tf.write(CONFIG + PROVIDER)
        machines[name] = (root, python, tf)
        assert (root / f"home/.config/terraform-provider-tkg/{version}/python").read_text() == python + "\n"

    platform_dir = install.terraform_platform()
    package = f"registry.terraform.io/tkg-oss/tkg/{version}/{platform_dir}/terraform-provider-tkg_v{version}"
    laptop_root, _, laptop = machines["laptop"]
    ci_root, _, ci = machines["ci"]
    assert (laptop_root / "plugins" / package).read_bytes() == (ci_root / "plugins" / package).read_bytes()

    laptop.init()
    laptop.validate()  # the launcher found the laptop's environment and the provider served
    committed = lock_hashes(laptop.workdir)
    (ci.workdir / ".terraform.lock.hcl").write_text(committed)
    ci.init()  # verifies the CI's package against the laptop's checksums: they match
    assert lock_hashes(ci.workdir) == committed
    ci.validate()


def test_providers_lock_for_several_platforms_passes_init(
    terraform_binary: harness.TerraformBinary, tmp_path: Path
) -> None:
    mirror = tmp_path / "mirror"
    done = run_install(
        "--mirror", str(mirror), "--platform", "linux_amd64", "--platform", "darwin_arm64", home=tmp_path / "home"
    )
    locker = harness.Terraform(terraform_binary, tmp_path / "lock", cli_config=Path(os.devnull), home=tmp_path / "home")
    locker.write(CONFIG)
    locker.run(
        "providers", "lock", "-no-color", f"-fs-mirror={mirror}", "-platform=linux_amd64", "-platform=darwin_arm64"
    )
    lock = lock_hashes(locker.workdir)
    assert lock.count("h1:") == 1  # one package for every platform: one checksum

    # Another machine, another install path: the lock file passes init there unchanged.
    other = tmp_path / "other"
    run_install("--mirror", str(other / "mirror"), home=other / "home")
    cli_config = other / "cli.tfrc"
    cli_config.write_text(done.stdout.replace(str(mirror), str(other / "mirror")))
    tf = harness.Terraform(terraform_binary, other / "work", cli_config=cli_config, home=other / "home")
    tf.write(CONFIG)
    (tf.workdir / ".terraform.lock.hcl").write_text(lock)
    tf.init()
    assert lock_hashes(tf.workdir) == lock


def test_launcher_explains_a_missing_or_mismatched_environment(
    terraform_binary: harness.TerraformBinary, tmp_path: Path
) -> None:
    mirror = tmp_path / "mirror"
    done = run_install("--mirror", str(mirror), home=tmp_path / "home")
    cli_config = tmp_path / "cli.tfrc"
    cli_config.write_text(done.stdout)
    tf = harness.Terraform(terraform_binary, tmp_path / "work", cli_config=cli_config, home=tmp_path / "home")
    tf.write(CONFIG + PROVIDER)
    tf.init()

    # The environment was removed and nothing else provides the provider: Terraform's error says what to do.
    (tmp_path / f"home/.config/terraform-provider-tkg/{harness.provider_version()}/python").unlink()
    venv_bin = os.path.dirname(sys.executable)
    path = os.pathsep.join(d for d in os.environ["PATH"].split(os.pathsep) if os.path.realpath(d) != venv_bin)
    failed = tf.run("validate", "-no-color", ok=(1,), env={"PATH": path})
    output = " ".join((failed.stderr + failed.stdout).split())  # Terraform wraps the plugin's message
    assert (
        f"Unrecognized remote plugin message: terraform-provider-tkg {harness.provider_version()}: no Python" in output
    )
    assert "set TKG_PROVIDER_PYTHON" in output

    # An environment holding another version than the launcher's (upgraded without re-running install).
    stale = install.write_package(
        mirror,
        hostnames=["registry.terraform.io"],
        namespace="tkg-oss",
        type_name="tkg",
        version="0.0.1",
        platforms=[install.terraform_platform()],
        executable=(mirror / f"registry.terraform.io/tkg-oss/tkg/{harness.provider_version()}")
        .joinpath(install.terraform_platform(), f"terraform-provider-tkg_v{harness.provider_version()}")
        .read_text()
        .replace(harness.provider_version(), "0.0.1"),
    )
    assert stale
    old = harness.Terraform(terraform_binary, tmp_path / "old", cli_config=cli_config, home=tmp_path / "home")
    old.write(CONFIG.replace('source = "tkg-oss/tkg"', 'source = "tkg-oss/tkg", version = "0.0.1"') + PROVIDER)
    old.init()
    failed = old.run("validate", "-no-color", ok=(1,), env={"TKG_PROVIDER_PYTHON": sys.executable})
    output = " ".join((failed.stderr + failed.stdout).split())  # Terraform wraps the plugin's message
    assert "terraform-provider-tkg: the launcher Terraform started is for version 0.0.1" in output
    assert f"({sys.executable}) has {harness.provider_version()}" in output


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
