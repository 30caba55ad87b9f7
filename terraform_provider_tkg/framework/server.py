"""Serve a tfplugin6 provider the way go-plugin plugins do, hardened.

Terraform launches a provider as a child process and talks to it over gRPC after a one-line handshake on stdout
(``CORE|APP|NETWORK|ADDRESS|PROTOCOL|SERVER_CERT``). This module is our own server on top of grpcio and the generated
stubs in ``tf.gen``; it replaces ``tf.runner`` because that runner (a) caches a 7-day RSA-1024 certificate under
``$HOME``, (b) ignores the client certificate Terraform passes, so anyone who can reach the socket can drive the
provider, and (c) kills the whole server on StopProvider (Ctrl-C) instead of letting in-flight work wind down.

What a Go provider does (go-plugin ``server.go``), and what we therefore do:

* ``TF_PLUGIN_MAGIC_COOKIE`` must carry Terraform's cookie, else a human ran the binary: explain and exit 1.
* ``PLUGIN_CLIENT_CERT`` set (Terraform's AutoMTLS, the default): generate a fresh server key pair in memory, require
  and verify exactly that client certificate on every connection, and send our certificate's DER, base64 without
  padding, as the last handshake field. Terraform's client key is ECDSA P-521, which grpcio's BoringSSL refuses in
  TLS, so TLS is terminated by Python's ``ssl`` (OpenSSL) and relayed to grpcio on a second socket in the same
  private directory. Unset (``TF_DISABLE_PLUGIN_TLS`` makes Terraform omit it): serve plaintext
  and leave the field empty. Go servers decide on ``PLUGIN_CLIENT_CERT`` alone, and so do we.
* A unix socket; ours lives in a fresh directory of mode 0700 (so other local users cannot even connect), removed at
  exit. ``PLUGIN_UNIX_SOCKET_DIR`` chooses the parent directory, as in newer go-plugin.
* SIGINT is ignored: Ctrl-C in a terminal reaches every process in Terraform's process group, and Terraform answers it
  by calling StopProvider and waiting; a provider that died on SIGINT would lose the object being created.
  SIGTERM stops the server.
* ``plugin.GRPCController/Shutdown`` stops the server and the process; Terraform waits only 2 s before killing it.
* ``plugin.GRPCStdio/StreamStdio`` is served (an empty stream) and ``grpc.health.v1.Health/Check`` answers SERVING
  (go-plugin's ``Ping``).

StopProvider belongs to the servicer; the server never reacts to it. On SIGTERM or Shutdown the server sets the
servicer's ``stop_requested`` event, when it has one, so that waits in flight return early.
"""

from __future__ import annotations

import base64
import gc
import logging
import os
import signal
import sys
import threading
import types
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from types import FrameType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # grpc and the stubs are imported when serving starts, not when this module is imported
    import asyncio
    import ssl

    import grpc

__all__ = [
    "CORE_PROTOCOL_VERSION",
    "MAGIC_COOKIE_KEY",
    "MAGIC_COOKIE_VALUE",
    "PROTOCOL_VERSION",
    "NotLaunchedByTerraform",
    "PluginServer",
    "ServerCertificate",
    "generate_certificate",
    "handshake_line",
    "launched_by_terraform",
    "serve",
]

logger = logging.getLogger(__name__)

MAGIC_COOKIE_KEY = "TF_PLUGIN_MAGIC_COOKIE"
# Terraform's handshake cookie (a UX check, not a secret): the same value for every Terraform provider.
MAGIC_COOKIE_VALUE = "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2"
CORE_PROTOCOL_VERSION = 1
PROTOCOL_VERSION = 6
# Terraform's own gRPC clients allow 256 MiB messages; grpcio's default of 4 MiB breaks large plans and states.
MAX_MESSAGE_BYTES = 256 << 20
# How long in-flight RPCs may take to finish after Shutdown (Terraform kills us after 2 s) or SIGTERM.
SHUTDOWN_GRACE_SECONDS = 0.25
SIGNAL_GRACE_SECONDS = 1.0

NOT_A_PLUGIN_MESSAGE = (
    "This binary is a plugin. These are not meant to be executed directly.\n"
    "Please execute the program that consumes these plugins, which will\n"
    "load any plugins automatically\n"
)

_HEALTH_SERVING = b"\x08\x01"  # grpc.health.v1.HealthCheckResponse{status: SERVING}, encoded by hand


class NotLaunchedByTerraform(Exception):
    """The process was not started by Terraform (no magic cookie) and not in debug mode."""


def launched_by_terraform(environ: Mapping[str, str] | None = None) -> bool:
    """Whether the environment carries Terraform's plugin magic cookie."""
    env = os.environ if environ is None else environ
    return env.get(MAGIC_COOKIE_KEY) == MAGIC_COOKIE_VALUE


# --------------------------------------------------------------------------------------------------------------------
# Certificate


@dataclass(frozen=True)
class ServerCertificate:
    """A server key pair that exists only in this process's memory."""

    cert_pem: bytes
    key_pem: bytes
    cert_der: bytes


def generate_certificate(*, lifetime_seconds: int = 365 * 24 * 3600) -> ServerCertificate:
    """Make a fresh self-signed ECDSA P-256 certificate for ``localhost``.

    Terraform pins exactly this certificate (it arrives in the handshake) and verifies it with the server name
    ``localhost``; Go ignores the common name, so the name must be in the subject alternative names. The certificate
    is its own CA and allows both server and client authentication, like the one Terraform presents to us.

    The key comes from ``cryptography``; the certificate around it and the key's encodings are fixed templates
    encoded here in DER from the key's numbers, because importing ``cryptography.x509`` or
    ``cryptography.hazmat.primitives.serialization`` costs more (about 10 ms each) than everything else this function
    does, and Terraform starts a provider 3 to 5 times per command.
    """
    import time

    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec

    key = ec.generate_private_key(ec.SECP256R1())
    private = key.private_numbers()
    public = private.public_numbers
    point = b"\x04" + public.x.to_bytes(32, "big") + public.y.to_bytes(32, "big")  # uncompressed (SEC 1)
    algorithm = _seq(_oid("1.2.840.10045.2.1"), _oid("1.2.840.10045.3.1.7"))  # id-ecPublicKey, prime256v1
    spki = _seq(algorithm, _der(0x03, b"\x00" + point))  # RFC 5480 SubjectPublicKeyInfo
    now = int(time.time())
    name = _seq(_der(0x31, _seq(_oid("2.5.4.3"), _der(0x0C, b"localhost"))))  # CN=localhost
    ecdsa_with_sha256 = _seq(_oid("1.2.840.10045.4.3.2"))
    extensions = _seq(
        _extension("2.5.29.19", _seq(_der(0x01, b"\xff")), critical=True),  # basicConstraints: CA
        # keyUsage: digitalSignature, keyAgreement, keyCertSign (bits 0, 4, 5; the 2 unused trailing bits declared)
        _extension("2.5.29.15", _der(0x03, b"\x02\x8c"), critical=True),
        _extension("2.5.29.37", _seq(_oid("1.3.6.1.5.5.7.3.1"), _oid("1.3.6.1.5.5.7.3.2"))),  # serverAuth, clientAuth
        _extension("2.5.29.17", _seq(_der(0x82, b"localhost"))),  # subjectAltName: dNSName localhost
    )
    tbs = _seq(
        _der(0xA0, _der(0x02, b"\x02")),  # version: v3
        _der(0x02, _unsigned(int.from_bytes(os.urandom(16), "big") >> 1 | 1)),  # positive, non-zero serial
        ecdsa_with_sha256,
        name,
        # A minute of slack for clock differences; the key dies with the process anyway.
        _seq(_time(now - 60), _time(now + lifetime_seconds)),
        name,
        spki,
        _der(0xA3, extensions),
    )
    signature = key.sign(tbs, ec.ECDSA(hashes.SHA256()))
    cert_der = _seq(tbs, ecdsa_with_sha256, _der(0x03, b"\x00" + signature))
    # PKCS #8 PrivateKeyInfo around an RFC 5915 ECPrivateKey (version 1, the 32-byte secret, the public key).
    ec_private_key = _seq(
        _der(0x02, b"\x01"),
        _der(0x04, private.private_value.to_bytes(32, "big")),
        _der(0xA1, _der(0x03, b"\x00" + point)),
    )
    key_der = _seq(_der(0x02, b"\x00"), algorithm, _der(0x04, ec_private_key))
    return ServerCertificate(
        cert_pem=_pem("CERTIFICATE", cert_der), key_pem=_pem("PRIVATE KEY", key_der), cert_der=cert_der
    )


# Minimal DER (X.690) encoders for the certificate template above.


def _der(tag: int, content: bytes) -> bytes:
    size = len(content)
    if size < 0x80:
        return bytes((tag, size)) + content
    length = size.to_bytes((size.bit_length() + 7) // 8, "big")
    return bytes((tag, 0x80 | len(length))) + length + content


def _seq(*parts: bytes) -> bytes:
    return _der(0x30, b"".join(parts))


def _unsigned(value: int) -> bytes:
    # Two's complement, minimal, with a leading zero byte when the top bit is set (the value stays positive).
    return value.to_bytes(value.bit_length() // 8 + 1, "big")


def _oid(dotted: str) -> bytes:
    first, second, *rest = (int(arc) for arc in dotted.split("."))
    body = bytearray()
    for arc in (40 * first + second, *rest):
        chunk = [arc & 0x7F]
        arc >>= 7
        while arc:
            chunk.append(0x80 | (arc & 0x7F))
            arc >>= 7
        body.extend(reversed(chunk))
    return _der(0x06, bytes(body))


def _time(epoch_seconds: int) -> bytes:
    import time

    moment = time.gmtime(epoch_seconds)
    if moment.tm_year < 2050:  # RFC 5280: UTCTime through 2049, GeneralizedTime from 2050
        return _der(0x17, time.strftime("%y%m%d%H%M%SZ", moment).encode())
    return _der(0x18, time.strftime("%Y%m%d%H%M%SZ", moment).encode())


def _extension(oid: str, value: bytes, *, critical: bool = False) -> bytes:
    return _seq(_oid(oid), _der(0x01, b"\xff") if critical else b"", _der(0x04, value))


def _pem(label: str, der: bytes) -> bytes:
    body = base64.b64encode(der)
    lines = [body[i : i + 64] for i in range(0, len(body), 64)]
    return b"-----BEGIN %s-----\n%s\n-----END %s-----\n" % (label.encode(), b"\n".join(lines), label.encode())


def handshake_line(socket_path: str, cert_der: bytes | None) -> str:
    """The go-plugin handshake line (with newline) announcing a gRPC tfplugin6 server on a unix socket."""
    # go-plugin decodes the certificate with RawStdEncoding, which rejects padding.
    cert = base64.b64encode(cert_der).decode("ascii").rstrip("=") if cert_der else ""
    return f"{CORE_PROTOCOL_VERSION}|{PROTOCOL_VERSION}|unix|{socket_path}|grpc|{cert}\n"


def _looks_like_pem_certificate(text: str) -> bool:
    return "-----BEGIN CERTIFICATE-----" in text and "-----END CERTIFICATE-----" in text


# --------------------------------------------------------------------------------------------------------------------
# Server


class PluginServer:
    """One go-plugin gRPC server: ``start()`` returns the handshake line, ``start_backend()`` completes the start-up,
    ``wait()`` blocks until shutdown.

    ``serve()`` is the usual entry point; this class exists so that the steps can be driven (and tested) one by one.
    ``servicer`` is the tfplugin6 servicer, or a function without arguments that builds it when gRPC starts.
    """

    def __init__(
        self,
        servicer: Any,
        *,
        debug: bool = False,
        environ: Mapping[str, str] | None = None,
        max_workers: int = 16,
        certificate: Callable[[], ServerCertificate] = generate_certificate,
    ) -> None:
        builds = isinstance(servicer, types.FunctionType | types.MethodType)
        self.servicer: Any = None if builds else servicer
        self._build_servicer: Callable[[], Any] | None = servicer if builds else None
        self._make_certificate = certificate
        self.debug = debug
        self._environ = os.environ if environ is None else environ
        self._max_workers = max_workers
        # Terraform, as it was when we started: it may die (SIGKILL) before wait() runs, and must still be noticed.
        self._parent = os.getppid()
        self._stop = threading.Event()
        self._stop_reason = ""
        self._grace = SHUTDOWN_GRACE_SECONDS
        self._server: grpc.Server | None = None
        self._terminator: _TlsTerminator | None = None
        self._backend_path: str | None = None
        self.socket_dir: str | None = None
        self.socket_path: str | None = None
        self.certificate: ServerCertificate | None = None

    # -- lifecycle ---------------------------------------------------------------------------------------------------

    def start(self) -> str:
        """Bind the public socket and return the handshake line to print.

        With mutual TLS (what Terraform asks for unless ``TF_DISABLE_PLUGIN_TLS`` is set) only the TLS terminator
        starts here: the gRPC server behind it (grpcio, the generated stubs and the servicer, most of a start-up)
        waits for ``start_backend()``, which the caller runs right after printing the handshake, while Terraform
        connects and shakes hands with the terminator; the terminator holds connections until the backend is up.
        Without TLS, gRPC itself listens on the public socket, so everything starts here.
        """
        client_cert = "" if self.debug else self._environ.get("PLUGIN_CLIENT_CERT", "")
        if client_cert and not _looks_like_pem_certificate(client_cert):
            raise ValueError("PLUGIN_CLIENT_CERT does not hold a PEM certificate; refusing to serve without mTLS")

        self.socket_dir = _private_directory(self._environ.get("PLUGIN_UNIX_SOCKET_DIR") or None)
        self.socket_path = os.path.join(self.socket_dir, "plugin.sock")
        try:
            if client_cert:
                # grpcio's BoringSSL cannot verify Terraform's client certificate (ECDSA P-521, which BoringSSL dropped
                # from TLS), so TLS is terminated by Python's OpenSSL in front of a gRPC server that listens on a
                # second socket in the same private directory.
                self.certificate = self._make_certificate()
                self._backend_path = os.path.join(self.socket_dir, "grpc.sock")
                self._terminator = _TlsTerminator(
                    self.socket_path, self._backend_path, _server_tls_context(self.certificate, client_cert)
                )
                self._terminator.start()
            else:
                self._start_grpc(f"unix:{self.socket_path}")
        except BaseException:
            self.close()
            raise
        logger.debug(
            "plugin server listening",
            extra={"network": "unix", "address": self.socket_path, "mtls": bool(client_cert)},
        )
        return handshake_line(self.socket_path, self.certificate.cert_der if self.certificate else None)

    def start_backend(self) -> None:
        """Start the gRPC server behind the TLS terminator and let the connections waiting there through.

        Does nothing when ``start()`` already serves gRPC (no TLS) or after a previous call.
        """
        if self._server is not None or self._terminator is None or self._backend_path is None:
            return
        self._start_grpc(f"unix:{self._backend_path}")
        self._terminator.backend_started()

    def _start_grpc(self, address: str) -> None:
        import grpc
        from tf.gen import grpc_controller_pb2_grpc, grpc_stdio_pb2_grpc, tfplugin_pb2_grpc

        if self.servicer is None and self._build_servicer is not None:
            self.servicer = self._build_servicer()
            if self._stop.is_set():  # a signal arrived while the servicer was being built
                self.request_shutdown(self._stop_reason, grace=self._grace)

        from concurrent import futures

        server = grpc.server(
            futures.ThreadPoolExecutor(max_workers=self._max_workers, thread_name_prefix="tfplugin"),
            options=[
                ("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
                ("grpc.max_send_message_length", MAX_MESSAGE_BYTES),
            ],
        )
        tfplugin_pb2_grpc.add_ProviderServicer_to_server(self.servicer, server)
        grpc_controller_pb2_grpc.add_GRPCControllerServicer_to_server(_controller(self.request_shutdown), server)
        grpc_stdio_pb2_grpc.add_GRPCStdioServicer_to_server(_stdio(), server)
        server.add_generic_rpc_handlers((_health_handler(),))
        try:
            server.add_insecure_port(address)
            server.start()
        except BaseException:
            server.stop(None)
            raise
        self._server = server

    def request_shutdown(self, reason: str, *, grace: float = SHUTDOWN_GRACE_SECONDS) -> None:
        """Ask the server to stop (thread- and signal-safe); ``wait()`` returns soon after."""
        if not self._stop.is_set():
            self._stop_reason = reason
            self._grace = grace
        stop_requested = getattr(self.servicer, "stop_requested", None)
        if isinstance(stop_requested, threading.Event):
            stop_requested.set()
        self._stop.set()

    def wait(self, *, watch_parent: bool = True) -> str:
        """Block until shutdown is requested, then stop the server and remove the socket. Returns the reason.

        With ``watch_parent``, a parent that disappears without calling Shutdown (Terraform killed with SIGKILL) also
        stops the server, rather than leaving an orphan process behind.
        """
        while not self._stop.wait(1.0):
            if watch_parent and os.getppid() != self._parent:
                self.request_shutdown("parent process exited")
        logger.debug("plugin server stopping", extra={"reason": self._stop_reason})
        self.close(grace=self._grace)
        return self._stop_reason

    def close(self, *, grace: float = 0.0) -> None:
        """Stop serving (letting RPCs in flight finish for up to ``grace`` seconds) and remove the socket directory."""
        # gRPC first: its replies in flight (Shutdown's own included) still travel through the TLS relay.
        if self._server is not None:
            self._server.stop(grace).wait(grace + 1.0)
            self._server = None
        if self._terminator is not None:
            self._terminator.close(drain_seconds=0.5)
            self._terminator = None
        if self.socket_dir is not None:
            _remove_directory(self.socket_dir)
            self.socket_dir = None


def _private_directory(parent: str | None) -> str:
    """Create a fresh directory only the current user can enter (mode 0700) for the sockets."""
    # tempfile.mkdtemp would do, but importing tempfile (and shutil, bz2, lzma behind it) costs start-up time.
    base = parent or os.environ.get("TMPDIR") or "/tmp"
    for _ in range(100):
        path = os.path.join(base, f"tfplugin-{os.urandom(6).hex()}")
        try:
            os.mkdir(path, 0o700)
        except FileExistsError:
            continue
        os.chmod(path, 0o700)  # exactly 0700, whatever the umask
        return path
    raise FileExistsError(f"could not create a private directory in {base}")


def _remove_directory(path: str) -> None:
    """Remove the socket directory; it only ever holds our sockets, so no recursive walk is needed."""
    try:
        for name in os.listdir(path):
            os.unlink(os.path.join(path, name))
        os.rmdir(path)
    except FileNotFoundError:
        pass
    except OSError as exc:
        logger.debug("could not remove %s: %s", path, exc)


def _server_tls_context(certificate: ServerCertificate, client_cert_pem: str) -> ssl.SSLContext:
    """TLS 1.2+ server context that presents ``certificate`` and accepts only the client certificate(s) given."""
    import ssl

    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.verify_mode = ssl.CERT_REQUIRED
    # Terraform's certificate is self-signed and is its own CA: trusting exactly it admits exactly its holder.
    context.load_verify_locations(cadata=client_cert_pem)
    # gRPC clients (grpc-go >= 1.67 insists) negotiate HTTP/2 through ALPN.
    context.set_alpn_protocols(["h2"])
    _load_chain_from_memory(context, certificate.cert_pem, certificate.key_pem)
    return context


def _load_chain_from_memory(context: ssl.SSLContext, cert_pem: bytes, key_pem: bytes) -> None:
    # OpenSSL loads a key pair only from paths. Each PEM goes through a pipe opened by its /dev/fd path, so the private
    # key never touches a filesystem. (A PEM is far smaller than a pipe buffer, so the writes cannot block.)
    descriptors: list[int] = []
    try:
        paths = []
        for data in (cert_pem, key_pem):
            read_end, write_end = os.pipe()
            descriptors.append(read_end)
            try:
                os.write(write_end, data)
            finally:
                os.close(write_end)
            paths.append(f"/dev/fd/{read_end}")
        context.load_cert_chain(paths[0], paths[1])
    finally:
        for descriptor in descriptors:
            os.close(descriptor)


class _TlsTerminator:
    """Accepts mutually authenticated TLS connections on ``public_path`` and relays them to ``backend_path``.

    Runs an asyncio loop in one daemon thread: OpenSSL objects are not safe to drive from two threads at once, and
    asyncio's memory-BIO TLS keeps both directions of a connection in one place. A connection that has shaken hands
    before ``backend_started()`` waits for it, so the terminator may listen before the backend exists.
    """

    HANDSHAKE_TIMEOUT_SECONDS = 10.0

    def __init__(self, public_path: str, backend_path: str, context: ssl.SSLContext) -> None:
        import asyncio

        self.public_path = public_path
        self.backend_path = backend_path
        self._context = context
        self._loop = asyncio.new_event_loop()
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._connections: set[asyncio.Task[None]] = set()
        self._backend_up = asyncio.Event()
        self._thread = threading.Thread(target=self._loop.run_forever, name="tfplugin-tls", daemon=True)

    def start(self) -> None:
        """Listen on the public socket (returns once it is bound)."""
        import asyncio

        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._listen(), self._loop).result(timeout=30)

    def backend_started(self) -> None:
        """The backend accepts connections now: let every waiting and future connection through (thread-safe)."""
        self._loop.call_soon_threadsafe(self._backend_up.set)

    def close(self, *, drain_seconds: float = 0.0) -> None:
        """Stop listening, end every relayed connection and the loop's thread.

        Connections get ``drain_seconds`` to finish on their own first: once the gRPC server behind has stopped,
        each relay delivers the last replies (such as the answer to Shutdown) and then sees the backend close.
        """
        import asyncio

        async def shut() -> None:
            if self._server is not None:
                self._server.close()
            if self._connections and drain_seconds > 0:
                await asyncio.wait(list(self._connections), timeout=drain_seconds)
            for writer in list(self._writers):
                writer.close()
            # Connections still waiting for a backend that never started end here.
            waiting = [task for task in self._connections if task is not asyncio.current_task()]
            for task in waiting:
                task.cancel()
            if waiting:
                await asyncio.wait(waiting, timeout=1.0)

        if self._thread.is_alive():
            try:
                asyncio.run_coroutine_threadsafe(shut(), self._loop).result(timeout=5)
            finally:
                self._loop.call_soon_threadsafe(self._loop.stop)
                self._thread.join(timeout=5)
        if not self._loop.is_running() and not self._loop.is_closed():
            self._loop.close()  # its self-pipe sockets

    async def _listen(self) -> None:
        import asyncio

        self._server = await asyncio.start_unix_server(self._accept, path=self.public_path)

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        import asyncio
        import ssl

        self._writers.add(writer)
        task = asyncio.current_task()
        if task is not None:
            self._connections.add(task)
        try:
            try:
                # Handshake here rather than in start_unix_server(ssl=...), which would swallow a refused
                # certificate silently; a refusal deserves a log line.
                await writer.start_tls(self._context, ssl_handshake_timeout=self.HANDSHAKE_TIMEOUT_SECONDS)
            except (TimeoutError, ssl.SSLError, OSError) as exc:
                logger.warning("refused a plugin connection: TLS handshake failed: %s", exc)
                return
            await self._backend_up.wait()
            try:
                backend_reader, backend_writer = await asyncio.open_unix_connection(self.backend_path)
            except OSError as exc:
                logger.error("plugin gRPC backend unreachable: %s", exc)
                return
            self._writers.add(backend_writer)
            try:
                await asyncio.gather(_relay(reader, backend_writer), _relay(backend_reader, writer))
            finally:
                self._writers.discard(backend_writer)
        finally:
            self._writers.discard(writer)
            if task is not None:
                self._connections.discard(task)
            writer.close()


async def _relay(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
    import ssl

    try:
        while data := await source.read(1 << 16):
            sink.write(data)
            await sink.drain()
    except (OSError, ssl.SSLError, EOFError):  # the peer went away: end both directions
        pass
    finally:
        # TLS cannot half-close, and gRPC has no use for it: closing the sink ends the opposite relay too.
        sink.close()
        try:
            await sink.wait_closed()  # lets the last bytes out before the connection goes
        except (OSError, ssl.SSLError):
            pass


def _controller(on_shutdown: Callable[[str], None]) -> Any:
    from tf.gen import grpc_controller_pb2, grpc_controller_pb2_grpc

    class Controller(grpc_controller_pb2_grpc.GRPCControllerServicer):  # type: ignore[misc]
        def Shutdown(self, request: Any, context: Any) -> Any:
            # The reply goes out during the server's stop grace; Terraform waits for the process to exit.
            on_shutdown("GRPCController.Shutdown")
            return grpc_controller_pb2.Empty()

    return Controller()


def _stdio() -> Any:
    from tf.gen import grpc_stdio_pb2_grpc

    class Stdio(grpc_stdio_pb2_grpc.GRPCStdioServicer):  # type: ignore[misc]
        def StreamStdio(self, request: Any, context: Any) -> Iterator[Any]:
            # Our stdout/stderr reach Terraform directly (stderr as log lines), so there is nothing to relay; an
            # ended stream makes go-plugin's reader stop quietly instead of holding a worker thread forever.
            return iter(())

    return Stdio()


def _health_handler() -> grpc.GenericRpcHandler:
    import grpc

    def check(request: bytes, context: Any) -> bytes:
        return _HEALTH_SERVING

    # Raw bytes in and out (no serializers): the reply is a constant, so no health proto module is needed.
    return grpc.method_handlers_generic_handler(
        "grpc.health.v1.Health", {"Check": grpc.unary_unary_rpc_method_handler(check)}
    )


# --------------------------------------------------------------------------------------------------------------------
# Entry point


def serve(
    servicer: Any,
    *,
    full_name: str,
    debug: bool = False,
    exit_process: bool = True,
    certificate: Callable[[], ServerCertificate] | None = None,
) -> None:
    """Serve ``servicer`` (a ``tfplugin6`` ``ProviderServicer``) to Terraform until it shuts us down.

    ``servicer`` may also be a function without arguments that returns the servicer: it is then called only after
    the handshake is out (with TLS; see ``PluginServer.start``), so that importing and building the provider overlaps
    with Terraform connecting instead of delaying the handshake.

    ``full_name`` is the provider's source address (``registry.terraform.io/ns/name``), used by ``debug`` mode, which
    serves without TLS and prints a ``TF_REATTACH_PROVIDERS`` value for a human to export instead of the handshake.
    Outside debug mode the process must have been launched by Terraform (magic cookie), else a short explanation goes
    to stderr and the process exits with status 1.

    With ``exit_process`` (the default) the process ends with ``os._exit`` once the server has stopped: a worker thread
    still blocked in a remote call must not keep a finished provider alive, and Terraform kills providers that do not
    exit within 2 seconds of Shutdown.

    ``certificate`` supplies the server certificate (default: a fresh one from ``generate_certificate``).
    """
    if not debug and not launched_by_terraform():
        sys.stderr.write(NOT_A_PLUGIN_MESSAGE)
        sys.stderr.flush()
        if exit_process:
            os._exit(1)
        raise NotLaunchedByTerraform(NOT_A_PLUGIN_MESSAGE)

    plugin = PluginServer(servicer, debug=debug, certificate=certificate or generate_certificate)
    handshake_fd: int | None = None
    if not debug:
        # The handshake must be the first line on stdout; anything a library prints from now on goes to stderr,
        # where Terraform logs it, instead of corrupting the handshake.
        sys.stdout.flush()
        handshake_fd = os.dup(1)
        os.dup2(2, 1)

    def on_signal(signum: int, frame: FrameType | None) -> None:
        if signum == signal.SIGINT and not debug:
            logger.log(5, "plugin received interrupt signal, ignoring")
            return
        plugin.request_shutdown(signal.Signals(signum).name, grace=SIGNAL_GRACE_SECONDS)

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    status = 0
    try:
        try:
            line = plugin.start()
            if handshake_fd is not None:
                os.write(handshake_fd, line.encode())
            else:
                _print_reattach(full_name, plugin.socket_path or "")
            # Terraform connects while the rest starts (see PluginServer.start).
            plugin.start_backend()
        except Exception as exc:
            logger.error("plugin server failed to start: %s", exc)
            sys.stderr.write(f"plugin server failed to start: {exc}\n")
            status = 1
            if not exit_process:
                raise
            return
        # What start-up built lives as long as the process: keep it out of every later collection, and turn the
        # collector back on in case the caller paused it to start faster.
        gc.freeze()
        gc.enable()
        plugin.wait(watch_parent=not debug)
    finally:
        plugin.close()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        if exit_process:
            logging.shutdown()
            for stream in (sys.stdout, sys.stderr):
                try:
                    stream.flush()
                except (OSError, ValueError):  # a closed pipe: Terraform has gone
                    pass
            os._exit(status)


def _print_reattach(full_name: str, socket_path: str) -> None:
    import json

    reattach = {
        full_name: {
            "Protocol": "grpc",
            "ProtocolVersion": PROTOCOL_VERSION,
            "Pid": os.getpid(),
            "Test": True,
            "Addr": {"Network": "unix", "String": socket_path},
        }
    }
    value = json.dumps(reattach, separators=(",", ":"))
    sys.stdout.write(
        "Provider started. To attach Terraform, set TF_REATTACH_PROVIDERS in the shell that runs terraform:\n\n"
        f"\texport TF_REATTACH_PROVIDERS='{value}'\n\n"
        "Stop the provider with Ctrl-C when done.\n"
    )
    sys.stdout.flush()
