"""api/_http.py against real sockets on 127.0.0.1: what is retried, how often, and what the error says.

Each stand-in is a real listener (or the lack of one): a closed port, a port that accepts TCP and never answers, a
TLS server with a certificate the client does not trust or that names another address, a plain-HTTP port, and a
TLS server that never answers the request. Attempts are counted from the client's own DEBUG lines (one per attempt).
"""

from __future__ import annotations

import contextlib
import logging
import socket
import ssl
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from terraform_provider_tkg.api import _auth, _http, errors
from tkgsim import tls

ORIGIN = "vsphere_server / VSPHERE_SERVER"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


@contextlib.contextmanager
def silent_listener() -> Iterator[int]:
    """A port whose kernel completes TCP handshakes (backlog) while nobody ever reads or answers."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(16)
        yield sock.getsockname()[1]


@contextlib.contextmanager
def server(handle: str, context: ssl.SSLContext | None = None, host: str = "127.0.0.1") -> Iterator[int]:
    """A TLS (or, without ``context``, plain) server on 127.0.0.1; ``handle`` says what it does with a connection:
    ``handshake`` (TLS handshake, then silence), ``http400`` (plain HTTP answer), ``hangup`` (read, then close)."""
    listener = socket.socket()
    listener.bind((host, 0))
    listener.listen(16)
    listener.settimeout(0.2)
    stop = threading.Event()
    open_conns: list[socket.socket] = []

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except (TimeoutError, OSError):
                continue
            conn.settimeout(5)
            try:
                if context is not None:
                    conn = context.wrap_socket(conn, server_side=True)
                if handle == "http400":
                    conn.recv(4096)
                    conn.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
                    conn.close()
                elif handle == "hangup":
                    conn.recv(4096)
                    conn.close()
                else:
                    open_conns.append(conn)
            except (OSError, ssl.SSLError):
                conn.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1]
    finally:
        stop.set()
        thread.join(5)
        listener.close()
        for conn in open_conns:
            conn.close()


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> tls.Certificates:
    return tls.make_certificates(Path(tmp_path_factory.mktemp("certs")))


def attempts(caplog: pytest.LogCaptureFixture, line_start: str) -> int:
    return sum(1 for r in caplog.records if r.name == _http.__name__ and r.getMessage().startswith(line_start))


def http_client(url: str, **kw: object) -> _http.HttpClient:
    options: dict[str, object] = {"max_retries": 5, "origin": ORIGIN, "sleep": lambda s: None}
    options.update(kw)
    return _http.HttpClient(url, **options)  # type: ignore[arg-type]


@pytest.fixture(autouse=True)
def debug_log(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger=_http.__name__)


def test_refused_gets_two_quick_retries_and_names_the_address_and_setting(caplog: pytest.LogCaptureFixture) -> None:
    port = free_port()
    with pytest.raises(errors.Refused) as info:
        http_client(f"https://127.0.0.1:{port}").request("GET", "/api/x")
    assert attempts(caplog, "GET /api/x connection refused") == 3
    message = str(info.value)
    assert f"cannot connect to 127.0.0.1:{port} ({ORIGIN}): connection refused (3 attempts)" in message


def test_refused_with_max_retries_zero_is_one_attempt(caplog: pytest.LogCaptureFixture) -> None:
    with pytest.raises(errors.Refused):
        http_client(f"https://127.0.0.1:{free_port()}", max_retries=0).request("GET", "/api/x")
    assert attempts(caplog, "GET /api/x ") == 1


def test_unknown_host_is_not_retried(caplog: pytest.LogCaptureFixture) -> None:
    with pytest.raises(errors.Unreachable) as info:
        http_client("https://nonexistent.invalid").request("GET", "/api/x")
    assert attempts(caplog, "GET /api/x host name not resolved") == 1
    message = str(info.value)
    assert "cannot resolve the host name 'nonexistent.invalid'" in message and ORIGIN in message
    assert "Not retried" in message


def test_untrusted_certificate_is_not_retried_and_says_what_to_set(
    certs: tls.Certificates, caplog: pytest.LogCaptureFixture
) -> None:
    with server("handshake", tls.server_context(certs)) as port, pytest.raises(errors.Unreachable) as info:
        # The system trust store does not hold the simulator's freshly made CA.
        http_client(f"https://127.0.0.1:{port}").request("GET", "/api/x")
    assert attempts(caplog, "GET /api/x TLS certificate not trusted") == 1
    message = str(info.value)
    assert f"the TLS certificate of 127.0.0.1:{port} ({ORIGIN}) is not trusted" in message
    assert "ca_file" in message and "VSPHERE_CA_FILE" in message and "allow_unverified_ssl" in message
    assert "issued by 'CN=tkg-sim" in message and "127.0.0.1" in message.split("It presented", 1)[1]


def test_certificate_for_another_address_is_not_retried(
    certs: tls.Certificates, caplog: pytest.LogCaptureFixture
) -> None:
    trusting = ssl.create_default_context(cafile=str(certs.ca_file))
    # The certificate names 127.0.0.1, localhost and ::1 only; 127.0.0.2 is another loopback address.
    with (
        server("handshake", tls.server_context(certs), host="127.0.0.2") as port,
        pytest.raises(errors.Unreachable) as info,
    ):
        http_client(f"https://127.0.0.2:{port}", verify=trusting).request("GET", "/api/x")
    assert attempts(caplog, "GET /api/x ") == 1
    assert "does not match its address" in str(info.value) and "valid for" in str(info.value)


def test_a_port_without_tls_is_not_retried(caplog: pytest.LogCaptureFixture) -> None:
    with server("http400") as port, pytest.raises(errors.Unreachable) as info:
        http_client(f"https://127.0.0.1:{port}").request("GET", "/api/x")
    assert attempts(caplog, "GET /api/x ") == 1
    assert "does not speak TLS" in str(info.value)


def test_silent_listener_times_out_in_the_tls_handshake_with_one_retry(caplog: pytest.LogCaptureFixture) -> None:
    with silent_listener() as port, pytest.raises(errors.CallTimeout) as info:
        http_client(f"https://127.0.0.1:{port}", connect_timeout=0.2).request("GET", "/api/x")
    assert attempts(caplog, "GET /api/x TLS handshake timeout") == _http.CONNECT_TIMEOUT_RETRIES + 1 == 2
    assert info.value.phase == "TLS handshake"
    assert f"127.0.0.1:{port} ({ORIGIN}) did not complete the TLS handshake within 0.2s" in str(info.value)


def test_time_limit_does_not_retry_connect_timeouts(caplog: pytest.LogCaptureFixture) -> None:
    with (
        silent_listener() as port,
        _http.time_limit(5, reason="the plan-time check limit"),
        pytest.raises(errors.CallTimeout),
    ):
        http_client(f"https://127.0.0.1:{port}", connect_timeout=0.2).request("GET", "/api/x")
    assert attempts(caplog, "GET /api/x ") == 1


def test_api_timeout_shorter_than_the_handshake_timeout_bounds_the_call(caplog: pytest.LogCaptureFixture) -> None:
    with silent_listener() as port, pytest.raises(errors.CallTimeout) as info:
        http_client(f"https://127.0.0.1:{port}", timeout=0.3).request("GET", "/api/x")
    assert attempts(caplog, "GET /api/x ") == 1
    assert info.value.phase == "TLS handshake"
    assert "timed out in the TLS handshake (api_timeout = 0.3s, the bound of a call including its retries" in str(
        info.value
    )


def test_a_server_that_never_answers_times_out_waiting_for_the_response(
    certs: tls.Certificates, caplog: pytest.LogCaptureFixture
) -> None:
    trusting = ssl.create_default_context(cafile=str(certs.ca_file))
    with server("handshake", tls.server_context(certs)) as port, pytest.raises(errors.CallTimeout) as info:
        http_client(f"https://127.0.0.1:{port}", verify=trusting, timeout=0.5).request("GET", "/api/x")
    assert attempts(caplog, "GET /api/x timeout waiting for the response") == 1
    assert info.value.phase == "waiting for the response"


def test_a_login_inside_a_call_shares_the_call_budget(certs: tls.Certificates) -> None:
    class SlowLogin:
        def headers(self) -> dict[str, str]:
            return {}

        def ensure_login(self, http: _http.HttpClient) -> None:
            http.request("POST", "/login", authenticate=False)

        def invalidate(self, token_headers: object) -> None:
            pass

    trusting = ssl.create_default_context(cafile=str(certs.ca_file))
    with server("handshake", tls.server_context(certs)) as port:
        http = http_client(f"https://127.0.0.1:{port}", verify=trusting, timeout=0.5)
        http.auth = SlowLogin()
        with pytest.raises(errors.CallTimeout) as info:
            http.request("GET", "/api/x")
    # The login used up the call's budget: the call itself was never sent.
    assert info.value.operation == "POST /login"


def test_connections_reset_mid_request_are_retried_up_to_max_retries(
    certs: tls.Certificates, caplog: pytest.LogCaptureFixture
) -> None:
    trusting = ssl.create_default_context(cafile=str(certs.ca_file))
    with server("hangup", tls.server_context(certs)) as port, pytest.raises(errors.Transient) as info:
        http_client(f"https://127.0.0.1:{port}", verify=trusting, max_retries=3).request("GET", "/api/x")
    assert type(info.value) is errors.Transient
    assert attempts(caplog, "GET /api/x ") == 4


def test_threads_queued_behind_a_failed_login_share_its_error(caplog: pytest.LogCaptureFixture) -> None:
    outcomes: list[BaseException] = []

    def call(http: _http.HttpClient) -> None:
        try:
            http.request("GET", "/api/x")
        except errors.ApiError as exc:
            outcomes.append(exc)

    with silent_listener() as port:
        http = http_client(f"https://127.0.0.1:{port}", connect_timeout=0.3)
        http.auth = _auth.SessionAuth("user", "pw")
        threads = [threading.Thread(target=call, args=(http,)) for _ in range(3)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
    assert len(outcomes) == 3 and all(isinstance(o, errors.CallTimeout) for o in outcomes)
    # One login with its one retry, not one per thread.
    assert attempts(caplog, "POST /api/session TLS handshake timeout") == 2
