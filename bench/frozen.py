"""Start-up of the self-contained release (``make dist``) next to the virtualenv launcher (``install``).

Both are launched the way Terraform launches a provider (magic cookie, a client certificate in
``PLUGIN_CLIENT_CERT``, a private HOME), interleaved launch by launch so that machine noise hits both alike, and timed
from spawn to the go-plugin handshake line on stdout: what Terraform waits for, 3 to 5 times per command.
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

from terraform_provider_tkg import __version__
from terraform_provider_tkg.framework import install

ROOT = Path(__file__).resolve().parents[1]
MAGIC_COOKIE = ("TF_PLUGIN_MAGIC_COOKIE", "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2")


def release_zip(dist: Path) -> Path:
    version = install.semver(__version__)
    path = dist / f"terraform-provider-tkg_{version}_{install.terraform_platform()}.zip"
    if not path.exists():
        raise SystemExit(f"{path} is missing: run `make dist` first")
    return path


def unpack(zip_path: Path, target: Path) -> Path:
    """Unpack like Terraform does (file modes kept); returns the executable."""
    with zipfile.ZipFile(zip_path) as archive:
        for info in archive.infolist():
            archive.extract(info, target)
            os.chmod(target / info.filename, (info.external_attr >> 16) & 0o777 or 0o644)
    (executable,) = target.glob("terraform-provider-tkg_v*")
    return executable


def install_launcher(root: Path) -> Path:
    """The virtualenv launcher, installed with the provider's own ``install`` command (HOME = ``root``)."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(("TKG_", "XDG_CONFIG_HOME"))}
    command = ["install", "--mirror", str(root / "mirror"), "--hostname", "registry.terraform.io"]
    subprocess.run(
        [sys.executable, "-m", "terraform_provider_tkg", *command],
        check=True,
        capture_output=True,
        env={**env, "HOME": str(root)},
    )
    (launcher,) = (root / "mirror").rglob("terraform-provider-tkg_v*")
    return launcher


def plugin_env(root: Path) -> dict[str, str]:
    from tkgsim.tls import make_certificates  # any valid certificate does as the client's

    certs = make_certificates(root / "certs")
    env = {key: value for key, value in os.environ.items() if not key.startswith(("TF_", "PLUGIN_", "TKG_"))}
    env.update(
        {
            MAGIC_COOKIE[0]: MAGIC_COOKIE[1],
            "PLUGIN_CLIENT_CERT": certs.ca_file.read_text(),
            "PLUGIN_PROTOCOL_VERSIONS": "6",
            "PLUGIN_MIN_PORT": "10000",
            "PLUGIN_MAX_PORT": "25000",
            "HOME": str(root),
        }
    )
    return env


def time_handshake(executable: Path, env: dict[str, str]) -> float:
    """Milliseconds from spawning ``executable`` to its handshake line; the process is then stopped."""
    start = time.perf_counter()
    process = subprocess.Popen([str(executable)], env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    assert process.stdout is not None
    line = process.stdout.readline().decode()
    elapsed = (time.perf_counter() - start) * 1000
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    process.stdout.close()
    if not line.startswith("1|6|"):
        raise RuntimeError(f"no handshake from {executable}: {line!r}")
    return elapsed


def main(argv: list[str] | None = None) -> int:
    """Measure and print the table."""
    parser = argparse.ArgumentParser(prog="python -m bench.frozen", description=__doc__.split("\n\n")[0])
    parser.add_argument("--launches", type=int, default=20, help="launches of each (default 20)")
    parser.add_argument("--dist", type=Path, default=ROOT / "dist", help="where `make dist` wrote the release")
    options = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="tkg-bench-frozen-") as scratch:
        root = Path(scratch)
        frozen = unpack(release_zip(options.dist), root / "frozen")
        candidates = {
            "self-contained release (PyInstaller one-dir)": frozen,
            "virtualenv launcher (`install`)": install_launcher(root),
        }
        env = plugin_env(root)
        samples: dict[str, list[float]] = {name: [] for name in candidates}
        for executable in candidates.values():  # warm the page cache and bytecode; not counted
            time_handshake(executable, env)
        for _ in range(max(1, options.launches)):
            for name, executable in candidates.items():
                samples[name].append(time_handshake(executable, env))

    print(f"Provider start → handshake, {options.launches} launches each, interleaved (milliseconds):\n")
    print(f"  {'':<48} {'median':>8} {'min':>7} {'max':>7}")
    for name, values in samples.items():
        print(f"  {name:<48} {statistics.median(values):8.1f} {min(values):7.1f} {max(values):7.1f}")
    (frozen_ms, venv_ms) = (statistics.median(values) for values in samples.values())
    faster, slower = ("release", "launcher") if frozen_ms < venv_ms else ("launcher", "release")
    print(
        f"\nThe {faster} hands over {abs(venv_ms - frozen_ms):.1f} ms sooner per launch (the {slower} takes "
        f"{max(frozen_ms, venv_ms) / min(frozen_ms, venv_ms):.2f}x as long); an apply starts the provider 4 times."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
