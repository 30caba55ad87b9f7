"""``make dist``: freeze the provider into a self-contained release for this machine's OS and architecture.

Writes into ``dist/`` (or ``--out``):

- ``terraform-provider-tkg_<version>_<os>_<arch>.zip``: the registry's package format. PyInstaller's one-dir build:
  the executable ``terraform-provider-tkg_v<version>`` and its ``_internal/`` directory (an interpreter, the provider
  and its dependencies). It runs without any Python installation or virtualenv on the machine;
- ``terraform-provider-tkg_<version>_manifest.json`` (protocol version 6) and
  ``terraform-provider-tkg_<version>_SHA256SUMS``;
- ``mirror/``: a provider network mirror (``index.json``, ``<version>.json`` with ``h1:`` and ``zh:`` hashes) for
  ``registry.terraform.io`` and ``registry.opentofu.org``, with the zips beside, which any static web server can serve
  and which is also a packed ``filesystem_mirror``.

The build is skipped when the zip exists and nothing it is built from changed (sources, this script, the installed
packages): ``make test`` runs ``make dist`` and the release test reuses its output.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from terraform_provider_tkg import __main__ as cli  # noqa: E402
from terraform_provider_tkg import __version__  # noqa: E402
from terraform_provider_tkg.framework import install, release  # noqa: E402

# Installed in the build environment for other reasons (tests, the simulator, type checking) but never imported by
# the provider: left out of the frozen build.
EXCLUDED_MODULES = (
    "tkgsim",
    "aiohttp",
    "kubernetes",
    "vmware",
    "com.vmware",
    "pytest",
    "_pytest",
    "mypy",
    "pygments",
    "tkinter",
    "IPython",
    "PyInstaller",
)


def build_inputs() -> str:
    """A digest of everything the frozen build is made from."""
    digest = hashlib.sha256()
    for path in sorted(
        [*(ROOT / "terraform_provider_tkg").rglob("*.py"), Path(__file__), ROOT / "scripts" / "frozen_entry.py"]
    ):
        digest.update(path.relative_to(ROOT).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    for dist in sorted(metadata.distributions(), key=lambda d: d.metadata["Name"] or ""):
        digest.update(f"{dist.metadata['Name']}=={dist.version}\n".encode())
    digest.update(sys.version.encode())
    return digest.hexdigest()


def freeze(version: str, work: Path) -> Path:
    """Run PyInstaller (one-dir); returns the directory holding ``terraform-provider-tkg_v<version>``."""
    name = f"terraform-provider-{cli.TYPE_NAME}_v{version}"
    command = [
        sys.executable,
        "-m",
        "PyInstaller",
        "--noconfirm",
        "--clean",
        "--log-level=WARN",
        "--onedir",
        f"--name={name}",
        f"--distpath={work / 'dist'}",
        f"--workpath={work / 'build'}",
        f"--specpath={work}",
        # The provider imports some modules by name (api clients, resources): take the whole package.
        "--collect-submodules=terraform_provider_tkg",
        *(f"--exclude-module={module}" for module in EXCLUDED_MODULES),
        str(ROOT / "scripts" / "frozen_entry.py"),
    ]
    env = {**os.environ, "PYTHONHASHSEED": "0", "SOURCE_DATE_EPOCH": "315532800"}
    subprocess.run(command, check=True, cwd=ROOT, env=env)
    built = work / "dist" / name
    done = subprocess.run([str(built / name), "--version"], capture_output=True, text=True, check=True)
    if done.stdout.strip() != f"{cli.DIST_NAME} {__version__}":
        raise SystemExit(f"the frozen build reports {done.stdout.strip()!r}")
    return built


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="scripts/dist.py", description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--out", type=Path, default=ROOT / "dist", help="output directory (default: dist/)")
    parser.add_argument("--force", action="store_true", help="rebuild even when nothing changed")
    options = parser.parse_args(argv)

    version = install.semver(__version__)
    platform_dir = install.terraform_platform()
    out: Path = options.out.absolute()
    product = cli.DIST_NAME
    zip_path = out / f"{product}_{version}_{platform_dir}.zip"
    stamp = out / f".{zip_path.name}.inputs"
    inputs = build_inputs()
    if not options.force and zip_path.exists() and stamp.exists() and stamp.read_text() == inputs:
        print(f"{zip_path} is up to date")
    else:
        work = ROOT / "build" / "pyinstaller"
        shutil.rmtree(work, ignore_errors=True)
        built = freeze(version, work)
        release.pack(built, zip_path)
        stamp.write_text(inputs)
        shutil.rmtree(work, ignore_errors=True)
        print(f"built {zip_path} ({zip_path.stat().st_size / 1e6:.1f} MB)")

    manifest = out / f"{product}_{version}_manifest.json"
    manifest.write_text(json.dumps({"version": 1, "metadata": {"protocol_versions": ["6.0"]}}, indent=2) + "\n")
    sums = release.write_sha256sums(out, product, version)
    archives = {
        p.name.removeprefix(f"{product}_{version}_").removesuffix(".zip"): p
        for p in out.glob(f"{product}_{version}_*.zip")
    }
    release.write_network_mirror(
        out / "mirror",
        hostnames=cli.HOSTNAMES,
        namespace=cli.NAMESPACE,
        type_name=cli.TYPE_NAME,
        version=version,
        archives=archives,
    )
    print(f"wrote {sums.name}, {manifest.name} and the network mirror in {out / 'mirror'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
