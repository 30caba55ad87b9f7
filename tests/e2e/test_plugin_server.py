"""The plugin server, driven the way Terraform drives it: environment, handshake, mutual TLS, shutdown.

The provider process is the real ``terraform-provider-tkg`` (``python -m terraform_provider_tkg``), started with the
variables Terraform's go-plugin client sets. Our gRPC clients are grpcio; Terraform's own client certificate is ECDSA
P-521, which grpcio cannot use, so that case is exercised with Python's ``ssl`` speaking HTTP/2's opening bytes.
"""

from __future__ import annotations

import base64
import datetime
import json
import os
import re
import signal
import socket
import ssl
import stat
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from google.protobuf import empty_pb2
from tf.gen import grpc_controller_pb2, grpc_controller_pb2_grpc, grpc_stdio_pb2_grpc, tfplugin_pb2, tfplugin_pb2_grpc

from terraform_provider_tkg.framework import server

from . import harness

pytestmark = pytest.mark.e2e

PROVIDER_COMMAND = [sys.executable, "-m", "terraform_provider_tkg"]
RPC_TIMEOUT = 10.0
EXIT_TIMEOUT = 15.0


# --------------------------------------------------------------------------------------------------------------------
# Client identities


@dataclass(frozen=True)
class Identity:
    cert_pem: bytes
    key_pem: bytes

    def write(self, directory: Path, name: str) -> tuple[Path, Path]:
        cert, key = directory / f"{name}.crt", directory / f"{name}.key"
        cert.write_bytes(self.cert_pem)
        key.write_bytes(self.key_pem)
        return cert, key


def make_identity(curve: ec.EllipticCurve | None = None) -> Identity:
    """A self-signed client certificate shaped like the one go-plugin's AutoMTLS makes (CA, both usages)."""
    key = ec.generate_private_key(curve or ec.SECP256R1())
    name = x509.Name(
        [x509.NameAttribute(NameOID.ORGANIZATION_NAME, "test"), x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]
    )
    now = datetime.datetime.now(datetime.UTC)
    digest = hashes.SHA512() if isinstance(curve, ec.SECP521R1) else hashes.SHA256()
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(seconds=30))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH, ExtendedKeyUsageOID.SERVER_AUTH]), critical=False
        )
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
        .sign(key, digest)
    )
    return Identity(
        cert_pem=cert.public_bytes(serialization.Encoding.PEM),
        key_pem=key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ),
    )


@pytest.fixture(scope="module")
def terraform_identity() -> Identity:
    return make_identity()


@pytest.fixture(scope="module")
def stranger_identity() -> Identity:
    return make_identity()


# --------------------------------------------------------------------------------------------------------------------
# The provider process


@dataclass(frozen=True)
class Handshake:
    core_version: str
    protocol_version: str
    network: str
    address: str
    protocol: str
    cert_b64: str

    @classmethod
    def parse(cls, line: str) -> Handshake:
        fields = line.rstrip("\n").split("|")
        assert len(fields) == 6, f"handshake line has {len(fields)} fields: {line!r}"
        return cls(*fields)

    @property
    def cert_der(self) -> bytes:
        return base64.b64decode(self.cert_b64 + "=" * (-len(self.cert_b64) % 4))

    @property
    def cert_pem(self) -> bytes:
        return x509.load_der_x509_certificate(self.cert_der).public_bytes(serialization.Encoding.PEM)


class PluginProcess:
    """One provider process started like Terraform starts it."""

    def __init__(self, tmp_path: Path, *, client: Identity | None, args: tuple[str, ...] = (), **env: str) -> None:
        self.home = tmp_path / "home"
        self.home.mkdir(exist_ok=True)
        self.stderr_path = tmp_path / f"provider-{time.monotonic_ns()}.stderr"
        base = {key: value for key, value in os.environ.items() if not key.startswith(("TF_", "PLUGIN_"))}
        base.update(
            HOME=str(self.home),
            PYTHONPATH=str(harness.REPO_ROOT),
            TF_PLUGIN_MAGIC_COOKIE=server.MAGIC_COOKIE_VALUE,
            PLUGIN_PROTOCOL_VERSIONS="6",
            PLUGIN_MIN_PORT="10000",
            PLUGIN_MAX_PORT="25000",
        )
        if client is not None:
            base["PLUGIN_CLIENT_CERT"] = client.cert_pem.decode()
        base.update(env)
        self.env = base
        with self.stderr_path.open("wb") as stderr:
            self.proc = subprocess.Popen(
                [*PROVIDER_COMMAND, *args], env=base, stdout=subprocess.PIPE, stderr=stderr, stdin=subprocess.DEVNULL
            )

    def read_line(self, timeout: float = 30.0) -> str:
        assert self.proc.stdout is not None
        stdout = self.proc.stdout
        result: list[bytes] = []
        reader = threading.Thread(target=lambda: result.append(stdout.readline()), daemon=True)
        reader.start()
        reader.join(timeout)
        assert result, f"no line on stdout within {timeout} s; stderr: {self.stderr()}"
        return result[0].decode()

    def handshake(self) -> Handshake:
        return Handshake.parse(self.read_line())

    def stderr(self) -> str:
        return self.stderr_path.read_text(errors="replace")

    def alive(self) -> bool:
        return self.proc.poll() is None

    def wait(self, timeout: float = EXIT_TIMEOUT) -> int:
        return self.proc.wait(timeout)

    def close(self) -> None:
        if self.alive():
            self.proc.kill()
            self.proc.wait(EXIT_TIMEOUT)
        if self.proc.stdout:
            self.proc.stdout.close()


@pytest.fixture
def launch(tmp_path: Path) -> Iterator[Any]:
    started: list[PluginProcess] = []

    def start(*, client: Identity | None, args: tuple[str, ...] = (), **env: str) -> PluginProcess:
        plugin = PluginProcess(tmp_path, client=client, args=args, **env)
        started.append(plugin)
        return plugin

    yield start
    for plugin in started:
        plugin.close()


def mtls_channel(handshake: Handshake, identity: Identity | None) -> grpc.Channel:
    credentials = grpc.ssl_channel_credentials(
        root_certificates=handshake.cert_pem,
        private_key=identity.key_pem if identity else None,
        certificate_chain=identity.cert_pem if identity else None,
    )
    # Terraform verifies the server certificate for the name "localhost", as we do here.
    return grpc.secure_channel(
        f"unix:{handshake.address}", credentials, options=[("grpc.ssl_target_name_override", "localhost")]
    )


def get_metadata(channel: grpc.Channel) -> Any:
    return tfplugin_pb2_grpc.ProviderStub(channel).GetMetadata(tfplugin_pb2.GetMetadata.Request(), timeout=RPC_TIMEOUT)


def shutdown(channel: grpc.Channel) -> None:
    stub = grpc_controller_pb2_grpc.GRPCControllerStub(channel)
    stub.Shutdown(grpc_controller_pb2.Empty(), timeout=RPC_TIMEOUT)


HTTP2_PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + b"\x00\x00\x00\x04\x00\x00\x00\x00\x00"  # + empty SETTINGS


def raw_tls_exchange(handshake: Handshake, identity: Identity, tmp_path: Path) -> bytes:
    """Handshake with Python's OpenSSL (which, unlike grpcio, can sign with P-521) and send HTTP/2's preface.

    Returns the first bytes the server sends back (a SETTINGS frame when gRPC is behind), or raises on refusal.
    """
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.load_verify_locations(cadata=handshake.cert_pem.decode())
    cert, key = identity.write(tmp_path, f"client-{time.monotonic_ns()}")
    context.load_cert_chain(cert, key)
    context.set_alpn_protocols(["h2"])
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as raw:
        raw.settimeout(RPC_TIMEOUT)
        raw.connect(handshake.address)
        with context.wrap_socket(raw, server_hostname="localhost") as tls:
            assert tls.selected_alpn_protocol() == "h2"
            tls.sendall(HTTP2_PREFACE)
            # With TLS 1.3 the server judges the client certificate after the client's handshake completes:
            # a refusal shows up here, as an alert or a closed connection.
            data = tls.recv(9)
            if not data:
                raise ConnectionError("server closed the connection")
            return data


# --------------------------------------------------------------------------------------------------------------------
# Handshake and certificate


def test_handshake_announces_grpc_v6_on_unix_socket_with_ecdsa_certificate(
    launch: Any, terraform_identity: Identity
) -> None:
    plugin = launch(client=terraform_identity)
    handshake = plugin.handshake()
    assert (handshake.core_version, handshake.protocol_version, handshake.network, handshake.protocol) == (
        "1",
        "6",
        "unix",
        "grpc",
    )
    assert "=" not in handshake.cert_b64, "go-plugin decodes the certificate without padding"
    cert = x509.load_der_x509_certificate(handshake.cert_der)
    public_key = cert.public_key()
    assert isinstance(public_key, ec.EllipticCurvePublicKey)
    assert public_key.curve.name == "secp256r1"
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert san.get_values_for_type(x509.DNSName) == ["localhost"]
    assert cert.issuer == cert.subject
    public_key.verify(cert.signature, cert.tbs_certificate_bytes, ec.ECDSA(hashes.SHA256()))
    now = datetime.datetime.now(datetime.UTC)
    assert cert.not_valid_before_utc <= now <= cert.not_valid_after_utc


def test_every_process_gets_a_fresh_certificate(launch: Any, terraform_identity: Identity) -> None:
    first = launch(client=terraform_identity).handshake()
    second = launch(client=terraform_identity).handshake()
    assert first.cert_der != second.cert_der
    first_key = x509.load_der_x509_certificate(first.cert_der).public_key()
    second_key = x509.load_der_x509_certificate(second.cert_der).public_key()
    assert first_key != second_key


def test_certificate_and_key_are_not_written_to_disk(launch: Any, terraform_identity: Identity, tmp_path: Path) -> None:
    plugin = launch(client=terraform_identity)
    handshake = plugin.handshake()
    with mtls_channel(handshake, terraform_identity) as channel:
        get_metadata(channel)
        written = [path for path in plugin.home.rglob("*") if path.is_file()]
        assert written == [], f"the provider wrote under HOME: {written}"
        assert not (plugin.home / ".cache" / "tf-python-provider").exists()
        # The socket directory holds sockets only: no certificate or key file beside them.
        socket_dir = Path(handshake.address).parent
        assert all(stat.S_ISSOCK(entry.stat().st_mode) for entry in socket_dir.iterdir())
        shutdown(channel)
    plugin.wait()


# --------------------------------------------------------------------------------------------------------------------
# Mutual TLS


def test_expected_client_certificate_is_served(launch: Any, terraform_identity: Identity) -> None:
    plugin = launch(client=terraform_identity)
    handshake = plugin.handshake()
    with mtls_channel(handshake, terraform_identity) as channel:
        metadata = get_metadata(channel)
        assert not [d for d in metadata.diagnostics if d.severity == tfplugin_pb2.Diagnostic.ERROR]
        schema = tfplugin_pb2_grpc.ProviderStub(channel).GetProviderSchema(
            tfplugin_pb2.GetProviderSchema.Request(), timeout=RPC_TIMEOUT
        )
        assert "password" in {attribute.name for attribute in schema.provider.block.attributes}


def test_terraforms_p521_client_certificate_is_accepted(launch: Any, tmp_path: Path) -> None:
    # go-plugin's AutoMTLS client key is ECDSA P-521: the certificate Terraform really presents.
    terraform_p521 = make_identity(ec.SECP521R1())
    plugin = launch(client=terraform_p521)
    frame = raw_tls_exchange(plugin.handshake(), terraform_p521, tmp_path)
    assert frame[3] == 0x04, f"expected the gRPC server's HTTP/2 SETTINGS frame, got {frame!r}"


def test_other_client_certificate_is_refused(
    launch: Any, terraform_identity: Identity, stranger_identity: Identity, tmp_path: Path
) -> None:
    plugin = launch(client=terraform_identity)
    handshake = plugin.handshake()
    with mtls_channel(handshake, stranger_identity) as channel, pytest.raises(grpc.RpcError) as refused:
        get_metadata(channel)
    assert refused.value.code() in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED)
    with pytest.raises((ssl.SSLError, ConnectionError, OSError)):
        raw_tls_exchange(handshake, make_identity(ec.SECP521R1()), tmp_path)
    # Still serving the rightful client afterwards.
    with mtls_channel(handshake, terraform_identity) as channel:
        get_metadata(channel)


def test_connection_without_client_certificate_is_refused(launch: Any, terraform_identity: Identity) -> None:
    plugin = launch(client=terraform_identity)
    handshake = plugin.handshake()
    with mtls_channel(handshake, None) as channel, pytest.raises(grpc.RpcError) as refused:
        get_metadata(channel)
    assert refused.value.code() in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED)
    with grpc.insecure_channel(f"unix:{handshake.address}") as plaintext, pytest.raises(grpc.RpcError):
        get_metadata(plaintext)


def test_refusals_are_logged_when_tf_log_is_set(
    launch: Any, terraform_identity: Identity, stranger_identity: Identity
) -> None:
    plugin = launch(client=terraform_identity, TF_LOG="WARN")
    handshake = plugin.handshake()
    with mtls_channel(handshake, stranger_identity) as channel, pytest.raises(grpc.RpcError):
        get_metadata(channel)
    deadline = time.monotonic() + RPC_TIMEOUT
    while "refused a plugin connection" not in plugin.stderr() and time.monotonic() < deadline:
        time.sleep(0.05)
    refusal = next(json.loads(line) for line in plugin.stderr().splitlines() if "refused a plugin" in line)
    assert refusal["@level"] == "warn"


def test_socket_directory_is_private_to_the_user(launch: Any, terraform_identity: Identity) -> None:
    plugin = launch(client=terraform_identity)
    handshake = plugin.handshake()
    socket_path = Path(handshake.address)
    assert stat.S_ISSOCK(socket_path.stat().st_mode)
    directory = socket_path.parent.stat()
    assert stat.S_IMODE(directory.st_mode) == 0o700
    assert directory.st_uid == os.getuid()
    assert socket_path.parent != Path("/tmp")


def test_socket_directory_honours_plugin_unix_socket_dir(
    launch: Any, terraform_identity: Identity, tmp_path: Path
) -> None:
    parent = tmp_path / "sockets"
    parent.mkdir()
    handshake = launch(client=terraform_identity, PLUGIN_UNIX_SOCKET_DIR=str(parent)).handshake()
    assert Path(handshake.address).parent.parent == parent


def test_without_client_certificate_serves_plaintext_like_go_providers(launch: Any) -> None:
    # TF_DISABLE_PLUGIN_TLS makes Terraform start providers without PLUGIN_CLIENT_CERT; Go providers then serve
    # without TLS and leave the handshake's certificate field empty.
    plugin = launch(client=None)
    handshake = plugin.handshake()
    assert handshake.cert_b64 == ""
    with grpc.insecure_channel(f"unix:{handshake.address}") as channel:
        get_metadata(channel)
        shutdown(channel)
    assert plugin.wait() == 0


def test_unparseable_client_certificate_fails_closed(launch: Any) -> None:
    plugin = launch(client=None, PLUGIN_CLIENT_CERT="not a certificate")
    assert plugin.wait() == 1
    assert "PLUGIN_CLIENT_CERT" in plugin.stderr()
    assert plugin.read_line() == ""


# --------------------------------------------------------------------------------------------------------------------
# go-plugin services and lifecycle


def test_stop_provider_does_not_stop_the_server(launch: Any, terraform_identity: Identity) -> None:
    plugin = launch(client=terraform_identity)
    with mtls_channel(plugin.handshake(), terraform_identity) as channel:
        stub = tfplugin_pb2_grpc.ProviderStub(channel)
        response = stub.StopProvider(tfplugin_pb2.StopProvider.Request(), timeout=RPC_TIMEOUT)
        assert response.Error == ""
        time.sleep(0.3)
        assert plugin.alive()
        get_metadata(channel)


def test_controller_shutdown_ends_the_process_and_removes_the_socket(launch: Any, terraform_identity: Identity) -> None:
    plugin = launch(client=terraform_identity)
    handshake = plugin.handshake()
    with mtls_channel(handshake, terraform_identity) as channel:
        get_metadata(channel)
        shutdown(channel)
    assert plugin.wait() == 0
    assert not Path(handshake.address).parent.exists()
    assert "Traceback" not in plugin.stderr()


def test_sigterm_ends_the_process_quietly(launch: Any, terraform_identity: Identity) -> None:
    plugin = launch(client=terraform_identity, TF_LOG="TRACE")
    handshake = plugin.handshake()
    plugin.proc.send_signal(signal.SIGTERM)
    assert plugin.wait() == 0
    assert not Path(handshake.address).parent.exists()
    assert "Traceback" not in plugin.stderr()


def test_sigint_is_ignored_like_go_providers(launch: Any, terraform_identity: Identity) -> None:
    # Ctrl-C reaches the whole process group; Terraform then calls StopProvider and waits for the provider.
    plugin = launch(client=terraform_identity)
    handshake = plugin.handshake()
    plugin.proc.send_signal(signal.SIGINT)
    time.sleep(0.3)
    assert plugin.alive()
    with mtls_channel(handshake, terraform_identity) as channel:
        get_metadata(channel)
        shutdown(channel)
    assert plugin.wait() == 0


def test_orphaned_provider_exits(tmp_path: Path, terraform_identity: Identity) -> None:
    # Terraform killed with SIGKILL never calls Shutdown: the provider notices its parent is gone.
    env = {key: value for key, value in os.environ.items() if not key.startswith(("TF_", "PLUGIN_"))}
    env.update(
        PYTHONPATH=str(harness.REPO_ROOT),
        HOME=str(tmp_path),
        TF_PLUGIN_MAGIC_COOKIE=server.MAGIC_COOKIE_VALUE,
        PLUGIN_CLIENT_CERT=terraform_identity.cert_pem.decode(),
    )
    parent = (
        "import subprocess, sys\n"
        f"child = subprocess.Popen({PROVIDER_COMMAND!r}, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)\n"
        "child.stdout.readline()\n"
        "print(child.pid, flush=True)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", parent], env=env, capture_output=True, text=True, timeout=60, check=True
    )
    pid = int(done.stdout)
    deadline = time.monotonic() + EXIT_TIMEOUT
    while _running(pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _running(pid), "the orphaned provider kept running"


def _running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state not in ("Z", "X")


def test_health_and_stdio_services_answer(launch: Any, terraform_identity: Identity) -> None:
    plugin = launch(client=terraform_identity)
    with mtls_channel(plugin.handshake(), terraform_identity) as channel:
        check = channel.unary_unary("/grpc.health.v1.Health/Check")
        assert check(b"\x0a\x06plugin", timeout=RPC_TIMEOUT) == b"\x08\x01"  # service "plugin" → SERVING
        stream = grpc_stdio_pb2_grpc.GRPCStdioStub(channel).StreamStdio(empty_pb2.Empty(), timeout=RPC_TIMEOUT)
        assert list(stream) == []


def test_without_magic_cookie_explains_and_exits(launch: Any) -> None:
    plugin = launch(client=None, TF_PLUGIN_MAGIC_COOKIE="")
    assert plugin.wait() == 1
    assert plugin.read_line() == ""
    assert "This binary is a plugin" in plugin.stderr()


def test_debug_mode_prints_reattach_configuration(launch: Any) -> None:
    plugin = launch(client=None, args=("--debug",), TF_PLUGIN_MAGIC_COOKIE="")
    lines = [plugin.read_line() for _ in range(3)]
    exported = next(line for line in lines if "TF_REATTACH_PROVIDERS=" in line)
    reattach = json.loads(re.search(r"TF_REATTACH_PROVIDERS='(.*)'", exported).group(1))  # type: ignore[union-attr]
    entry = reattach["registry.terraform.io/tkg-oss/tkg"]
    assert entry["Protocol"] == "grpc" and entry["ProtocolVersion"] == 6 and entry["Pid"] == plugin.proc.pid
    with grpc.insecure_channel(f"unix:{entry['Addr']['String']}") as channel:
        get_metadata(channel)
    plugin.proc.send_signal(signal.SIGINT)  # a human's Ctrl-C ends a debug session
    assert plugin.wait() == 0


# --------------------------------------------------------------------------------------------------------------------
# Logs


TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$")


def test_logs_are_hclog_json_lines_when_tf_log_is_set(launch: Any, terraform_identity: Identity) -> None:
    plugin = launch(client=terraform_identity, TF_LOG="TRACE")
    with mtls_channel(plugin.handshake(), terraform_identity) as channel:
        get_metadata(channel)
        shutdown(channel)
    plugin.wait()
    lines = [line for line in plugin.stderr().splitlines() if line.strip()]
    assert lines, "TF_LOG=TRACE produced no provider log"
    for line in lines:
        entry = json.loads(line)
        assert entry["@level"] in ("trace", "debug", "info", "warn", "error")
        assert isinstance(entry["@message"], str)
        assert TIMESTAMP.match(entry["@timestamp"]), entry["@timestamp"]
    assert any(json.loads(line)["@message"] == "plugin server listening" for line in lines)


def test_nothing_is_logged_without_tf_log(launch: Any, terraform_identity: Identity) -> None:
    plugin = launch(client=terraform_identity)
    with mtls_channel(plugin.handshake(), terraform_identity) as channel:
        get_metadata(channel)
        shutdown(channel)
    plugin.wait()
    assert plugin.stderr() == ""


def test_connections_made_before_the_grpc_backend_starts_wait_for_it(terraform_identity: Identity) -> None:
    # The handshake goes out before grpcio and the provider are loaded; Terraform may connect at once.
    from terraform_provider_tkg.provider import new_servicer

    plugin = server.PluginServer(new_servicer, environ={"PLUGIN_CLIENT_CERT": terraform_identity.cert_pem.decode()})
    try:
        handshake = Handshake.parse(plugin.start())
        assert plugin.servicer is None  # nothing of the provider was built before the handshake
        answers: list[Any] = []
        with mtls_channel(handshake, terraform_identity) as channel:
            caller = threading.Thread(target=lambda: answers.append(get_metadata(channel)))
            caller.start()
            caller.join(0.3)
            assert not answers  # there is no backend yet to answer
            plugin.start_backend()
            caller.join(RPC_TIMEOUT)
        assert answers and {r.type_name for r in answers[0].resources} >= {"tkg_cluster"}
        assert plugin.servicer is not None
    finally:
        plugin.close()
