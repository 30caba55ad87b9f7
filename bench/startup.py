"""Start-up benchmark: how long Terraform waits for ``terraform-provider-tkg`` each time it launches it.

Terraform starts a provider 3 times per plan, 4 per apply and 5 per destroy, so start-up is paid over and over. We
install the provider with its own ``install`` command into a scratch mirror, then launch the installed launcher the
way Terraform does (magic cookie, an ECDSA P-521 ``PLUGIN_CLIENT_CERT`` like go-plugin's AutoMTLS, a private HOME)
and time, per launch:

- start → handshake line on stdout (what the issue budgets: median ≤ 150 ms);
- start → first GetProviderSchema answered over mutual TLS (what Terraform really waits for before its first call
  returns; measured with a P-256 client key, because grpcio cannot sign with P-521);

next to two baselines measured in the same run, interleaved launch by launch so that machine noise hits all alike:
``python3 -c pass`` (the floor: the same interpreter the launcher runs) and ``terraform version`` (a Go binary's
start-up).
"""

from __future__ import annotations

import argparse
import base64
import datetime
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

BUDGET_MS = 150.0
MAGIC_COOKIE = ("TF_PLUGIN_MAGIC_COOKIE", "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2")


@dataclass
class Series:
    """Wall-clock samples of one measured command, in milliseconds."""

    name: str
    samples: list[float] = field(default_factory=list)

    @property
    def median(self) -> float:
        return statistics.median(self.samples)

    def quantile(self, q: float) -> float:
        ordered = sorted(self.samples)
        return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


@dataclass(frozen=True)
class Identity:
    cert_pem: bytes
    key_pem: bytes


def client_identity(curve_name: str) -> Identity:
    """A self-signed client certificate like the one Terraform's go-plugin client makes."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    curve: ec.EllipticCurve = ec.SECP521R1() if curve_name == "P-521" else ec.SECP256R1()
    key = ec.generate_private_key(curve)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=1))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH, ExtendedKeyUsageOID.SERVER_AUTH]), critical=False
        )
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
        .sign(key, hashes.SHA512() if curve_name == "P-521" else hashes.SHA256())
    )
    return Identity(
        cert.public_bytes(serialization.Encoding.PEM),
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()),
    )


def install_provider(root: Path) -> Path:
    """Install with the provider's own ``install`` command; return the launcher Terraform would run."""
    mirror = root / "mirror"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "terraform_provider_tkg",
            "install",
            "--mirror",
            str(mirror),
            "--hostname",
            "registry.terraform.io",
        ],
        check=True,
        capture_output=True,
        env={**os.environ, "HOME": str(root)},
    )
    (launcher,) = (path for path in mirror.rglob("terraform-provider-tkg_v*") if path.is_file())
    return launcher


def plugin_env(home: Path, identity: Identity) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("TF_", "PLUGIN_"))}
    env.update(
        {
            MAGIC_COOKIE[0]: MAGIC_COOKIE[1],
            "PLUGIN_CLIENT_CERT": identity.cert_pem.decode(),
            "PLUGIN_PROTOCOL_VERSIONS": "6",
            "PLUGIN_MIN_PORT": "10000",
            "PLUGIN_MAX_PORT": "25000",
            "HOME": str(home),
        }
    )
    return env


def time_handshake(launcher: Path, env: dict[str, str]) -> tuple[float, subprocess.Popen[bytes], str]:
    """Milliseconds from spawning the launcher to reading its handshake line; the process is left running."""
    start = time.perf_counter()
    process = subprocess.Popen([str(launcher)], env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    assert process.stdout is not None
    line = process.stdout.readline().decode()
    elapsed = (time.perf_counter() - start) * 1000
    if not line.startswith("1|6|unix|"):
        process.kill()
        raise RuntimeError(f"no handshake from {launcher}: {line!r}")
    return elapsed, process, line


def stop(process: subprocess.Popen[bytes]) -> None:
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    if process.stdout:
        process.stdout.close()


def time_first_answer(launcher: Path, env: dict[str, str], identity: Identity) -> float:
    """Milliseconds from spawning the launcher to a GetProviderSchema answer over mutual TLS."""
    import grpc
    from tf.gen import tfplugin_pb2, tfplugin_pb2_grpc

    start = time.perf_counter()
    _, process, line = time_handshake(launcher, env)
    try:
        address, cert_b64 = line.rstrip("\n").split("|")[3], line.rstrip("\n").split("|")[5]
        der = base64.b64decode(cert_b64 + "=" * (-len(cert_b64) % 4))
        body = base64.encodebytes(der).decode()
        server_pem = f"-----BEGIN CERTIFICATE-----\n{body}-----END CERTIFICATE-----\n".encode()
        credentials = grpc.ssl_channel_credentials(server_pem, identity.key_pem, identity.cert_pem)
        options = [("grpc.ssl_target_name_override", "localhost")]
        with grpc.secure_channel(f"unix:{address}", credentials, options=options) as channel:
            stub = tfplugin_pb2_grpc.ProviderStub(channel)
            stub.GetProviderSchema(tfplugin_pb2.GetProviderSchema.Request(), timeout=30)
        return (time.perf_counter() - start) * 1000
    finally:
        stop(process)


def time_command(argv: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    return (time.perf_counter() - start) * 1000


def find_terraform() -> str | None:
    # The Terraform on PATH, not the venv's PyPI wrapper script (a Python start of its own before exec).
    venv_bin = os.path.realpath(os.path.dirname(sys.executable))
    dirs = [d for d in os.environ.get("PATH", "").split(os.pathsep) if d and os.path.realpath(d) != venv_bin]
    return shutil.which("terraform", path=os.pathsep.join(dirs))


def run(launches: int) -> dict[str, Series]:
    """Measure everything, interleaved; returns the series by key."""
    with tempfile.TemporaryDirectory(prefix="tkg-bench-") as scratch:
        root = Path(scratch)
        launcher = install_provider(root)
        terraform_like = plugin_env(root, client_identity("P-521"))
        grpc_client = client_identity("P-256")
        grpc_env = plugin_env(root, grpc_client)
        # The interpreter the launcher execs (the environment's python3): a PATH lookup could find a pyenv shim,
        # which is a shell script costing more than the interpreter itself.
        python3 = sys.executable
        terraform = find_terraform()
        terraform_env = {**os.environ, "CHECKPOINT_DISABLE": "1", "TF_CLI_CONFIG_FILE": os.devnull, "HOME": scratch}

        series = {
            "handshake": Series("terraform-provider-tkg: start → handshake"),
            "answer": Series("terraform-provider-tkg: start → GetProviderSchema answered (mTLS)"),
            "python": Series(f"python3 -c pass ({python3})"),
        }
        steps: list[tuple[str, Callable[[], float]]] = [
            ("python", lambda: time_command([python3, "-c", "pass"], os.environ.copy())),
            ("handshake", lambda: _handshake_only(launcher, terraform_like)),
            ("answer", lambda: time_first_answer(launcher, grpc_env, grpc_client)),
        ]
        if terraform:
            series["terraform"] = Series(f"terraform version ({terraform})")
            steps.append(("terraform", lambda: time_command([terraform, "version"], terraform_env)))

        for _, step in steps:  # warm the page cache and .pyc files; not counted
            step()
        for _ in range(launches):
            for key, step in steps:
                series[key].samples.append(step())
        return series


def _handshake_only(launcher: Path, env: dict[str, str]) -> float:
    elapsed, process, _ = time_handshake(launcher, env)
    stop(process)
    return elapsed


def report(series: dict[str, Series], launches: int, load: float | None = None) -> str:
    handshake = series["handshake"].median
    rows = [f"Start-up, {launches} launches each, interleaved (milliseconds):", ""]
    rows.append(f"  {'':<78} {'median':>8} {'min':>7} {'p90':>7}  handshake / this")
    for key in ("handshake", "answer", "python", "terraform"):
        if key not in series:
            continue
        item = series[key]
        ratio = f"{handshake / item.median:6.2f}x"
        rows.append(f"  {item.name:<78} {item.median:8.1f} {min(item.samples):7.1f} {item.quantile(0.9):7.1f}  {ratio}")
    verdict = "OK" if handshake <= BUDGET_MS else "OVER BUDGET"
    rows += ["", f"Budget: median start → handshake ≤ {BUDGET_MS:.0f} ms: {handshake:.1f} ms, {verdict}"]
    if load is not None:
        rows.append(
            f"Load average when the run started: {load:.2f} on {os.cpu_count()} cores "
            "(other work slows every row alike: the ratios stay comparable, the milliseconds do not)."
        )
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    """Run the start-up benchmark and print the table; ``--check`` exits 1 when the budget is exceeded."""
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--launches", type=int, default=25, help="launches per measured command (default 25)")
    parser.add_argument("--json", type=Path, help="also write the samples to this JSON file")
    parser.add_argument("--check", action="store_true", help="exit with status 1 when over the 150 ms budget")
    options = parser.parse_args(argv)
    if options.launches < 1:
        parser.error("--launches must be at least 1")

    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    series = run(options.launches)
    print(report(series, options.launches, load))
    if options.json:
        options.json.write_text(
            json.dumps({key: {"name": s.name, "samples_ms": s.samples} for key, s in series.items()}, indent=2)
        )
    return 1 if options.check and series["handshake"].median > BUDGET_MS else 0


if __name__ == "__main__":
    import sys

    sys.exit(main())
