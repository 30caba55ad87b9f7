"""The HTTP plumbing under every API client: the only code that catches ``httpx`` exceptions and retries.

Why one place: retry policy, re-login, timeouts and the "never log a body or a token" rule must hold for every call,
and a second retry loop elsewhere would multiply attempts. Callers get decoded JSON or an ``errors.ApiError``.

What is retried is what can heal; a mistake in a setting fails at once with a message that says what to fix:

- never retried: a certificate that does not verify or does not match the host name, a host name that does not
  resolve, a port that does not speak TLS (``errors.Unreachable``), and 4xx answers other than 429;
- connection refused (or no route): at most ``REFUSED_RETRIES`` quick retries, then ``errors.Refused``;
- no TCP connection, or no TLS handshake, within ``CONNECT_TIMEOUT`` (each phase has its own): at most
  ``CONNECT_TIMEOUT_RETRIES`` retry, then ``errors.CallTimeout`` naming the phase;
- 429 (honouring ``Retry-After``), 502/503/504 and connections reset mid-request: exponential backoff with jitter,
  at most ``max_retries`` times, then ``errors.Transient``.

``timeout`` (the provider's ``api_timeout``) bounds one call *including* its retries, back-off sleeps and the login it
may need; the read timeout of an attempt is what is left of it. Once connected, an attempt's read and write
timeouts are cut to what is left of it. ``time_limit()`` tightens the bound for a block of calls (plan-time checks).
One DEBUG line per attempt: ``METHOD path outcome ms attempt n/N``. Never bodies, headers or query values.
"""

from __future__ import annotations

import contextlib
import email.utils
import logging
import random
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from typing import Any, Protocol
from urllib.parse import urlsplit

import httpx

from . import errors

__all__ = [
    "CONNECT_TIMEOUT",
    "CONNECT_TIMEOUT_RETRIES",
    "REFUSED_RETRIES",
    "RETRY_STATUSES",
    "Auth",
    "HttpClient",
    "LoginGate",
    "time_limit",
    "tls_verify",
]

log = logging.getLogger(__name__)

RETRY_STATUSES = frozenset({429, 502, 503, 504})
MAX_RETRY_AFTER = 60.0
# Seconds for the TCP connection, and again for the TLS handshake (httpcore applies the connect timeout to each).
CONNECT_TIMEOUT = 10.0
# A refused connection heals only when a service (re)starts: a couple of quick retries, not a minute of them.
REFUSED_RETRIES = 2
# A silent endpoint (firewall dropping packets, hung proxy) rarely heals within a call: one more try.
CONNECT_TIMEOUT_RETRIES = 1

# What an attempt was doing, from httpcore's trace events: names the phase that timed out.
_PHASES = {
    "connection.connect_tcp": "TCP connect",
    "connection.start_tls": "TLS handshake",
    "http11.send_request_headers": "sending the request",
    "http11.send_request_body": "sending the request",
    "http11.receive_response_headers": "waiting for the response",
    "http11.receive_response_body": "reading the response",
}

# How a timeout message says where it happened.
_DURING = {
    "TCP connect": "in the TCP connect",
    "TLS handshake": "in the TLS handshake",
    "sending the request": "while sending the request",
    "waiting for the response": "waiting for the response",
    "reading the response": "while reading the response",
}

# The deadline of the call in progress on this thread: a login inside a call, and every call inside ``time_limit``,
# share it instead of starting their own.
_current = threading.local()


class Auth(Protocol):
    """How a client authenticates: headers for each call, a login, and forgetting a rejected token."""

    def headers(self) -> dict[str, str]: ...

    def ensure_login(self, http: HttpClient) -> None: ...

    def invalidate(self, token_headers: Mapping[str, str]) -> None: ...


def tls_verify(*, ca_file: str | None, allow_unverified_ssl: bool) -> ssl.SSLContext | bool:
    """The ``verify`` value for httpx: a context trusting ``ca_file``, False for unverified labs, else True."""
    if allow_unverified_ssl:
        return False
    if ca_file:
        return ssl.create_default_context(cafile=ca_file)
    return True


@contextlib.contextmanager
def time_limit(seconds: float, *, reason: str = "the time limit of this check") -> Iterator[None]:
    """Bound all calls made by this thread inside the block to ``seconds`` together (retries included).

    A connect or TLS-handshake timeout is not retried inside the block: for checks worth a few seconds at most
    (plan-time lookups), never a minute. ``reason`` names the limit in a timeout error.
    """
    saved = (getattr(_current, "deadline", None), getattr(_current, "bound", ""), getattr(_current, "limited", False))
    deadline = time.monotonic() + seconds
    if saved[0] is None or deadline < saved[0]:
        _current.deadline, _current.bound = deadline, f"{reason}, {_seconds(seconds)}"
    _current.limited = True
    try:
        yield
    finally:
        _current.deadline, _current.bound, _current.limited = saved


class LoginGate:
    """Lets one thread at a time log in, and hands a failed login's error to the threads that waited for it.

    Why: Terraform reads data sources in parallel. Without this, N threads queued behind a login to a silent endpoint
    would each time out in turn (N times the connect timeouts), and N logins with a wrong password could lock the
    account; with it they all fail with the first error.
    """

    def __init__(self, lock: threading.Lock) -> None:
        self._lock = lock
        self._failed: tuple[float, errors.ApiError] | None = None

    @contextlib.contextmanager
    def turn(self) -> Iterator[None]:
        """Hold the login lock; raise the error of a login that failed while this thread was waiting."""
        queued = time.monotonic()
        with self._lock:
            failed = self._failed
            if failed is not None and failed[0] >= queued:
                raise failed[1]
            try:
                yield
            except errors.ApiError as exc:
                self._failed = (time.monotonic(), exc)
                raise


class HttpClient:
    """A JSON-over-HTTPS client with retries, re-login and request logging.

    ``origin`` says where the address came from (e.g. the setting that holds it); connection errors quote it so the
    user knows what to fix.
    """

    def __init__(
        self,
        base_url: str,
        *,
        verify: ssl.SSLContext | bool = True,
        timeout: float = 300.0,
        max_retries: int = 5,
        transport: httpx.BaseTransport | None = None,
        backoff_base: float = 0.5,
        backoff_max: float = 30.0,
        sleep: Callable[[float], None] = time.sleep,
        origin: str = "",
        connect_timeout: float = CONNECT_TIMEOUT,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.max_retries = max(0, int(max_retries))
        self.timeout = float(timeout)
        self.connect_timeout = float(connect_timeout)
        self.origin = origin
        self.auth: Auth | None = None
        self._verify = verify
        self._backoff_base = backoff_base
        self._backoff_max = backoff_max
        self._sleep = sleep
        self._client = httpx.Client(
            base_url=self.base_url,
            verify=verify,
            timeout=timeout,
            transport=transport,
            headers={"Accept": "application/json"},
            follow_redirects=False,
        )
        self._closed = threading.Event()

    @property
    def address(self) -> str:
        """``host:port`` of the server, for messages."""
        url = urlsplit(self.base_url)
        return url.netloc or self.base_url

    def close(self) -> None:
        """Close the connection pool."""
        if not self._closed.is_set():
            self._closed.set()
            self._client.close()

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        basic: tuple[str, str] | None = None,
        authenticate: bool = True,
        headers: Mapping[str, str] | None = None,
    ) -> Any:
        """Send one call (with retries and one re-login) and return the decoded JSON body, or None when empty.

        The whole call, its retries and a login it needs, ends within ``timeout`` seconds (or the enclosing
        ``time_limit``). Raises an ``errors.ApiError`` subclass for any failure.
        """
        saved = (getattr(_current, "deadline", None), getattr(_current, "bound", ""))
        own = time.monotonic() + self.timeout
        if saved[0] is None or own < saved[0]:
            _current.deadline = own
            _current.bound = f"api_timeout = {_seconds(self.timeout)}, the bound of a call including its retries"
        try:
            return self._request(
                method, path, params=params, json=json, basic=basic, authenticate=authenticate, headers=headers
            )
        finally:
            _current.deadline, _current.bound = saved

    def _request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None,
        json: Any,
        basic: tuple[str, str] | None,
        authenticate: bool,
        headers: Mapping[str, str] | None,
    ) -> Any:
        operation = f"{method} {path}"
        relogged = False
        while True:
            call_headers = dict(headers or {})
            if authenticate and self.auth is not None:
                self.auth.ensure_login(self)
                token_headers = self.auth.headers()
                call_headers.update(token_headers)
            response = self._send(method, path, params=params, json=json, basic=basic, headers=call_headers)
            if response.status_code == 401 and authenticate and self.auth is not None and not relogged:
                log.debug("%s: session rejected; logging in again", operation)
                self.auth.invalidate(token_headers)
                relogged = True
                continue
            return _decode(response, operation)

    def _send(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None,
        json: Any,
        basic: tuple[str, str] | None,
        headers: dict[str, str],
    ) -> httpx.Response:
        deadline: float = _current.deadline
        operation = f"{method} {path}"
        attempts = self.max_retries + 1
        retries: dict[str, int] = {}
        for attempt in range(1, attempts + 1):
            started = time.monotonic()
            remaining = deadline - started
            if remaining <= 0:
                raise self._budget_spent(operation, attempt - 1)
            phase: list[str] = []
            connect_timeout = min(self.connect_timeout, remaining)
            try:
                response = self._client.request(
                    method,
                    path,
                    params=_query(params),
                    json=json,
                    headers=headers,
                    auth=httpx.BasicAuth(*basic) if basic else None,
                    timeout=httpx.Timeout(remaining, connect=connect_timeout),
                    extensions={"trace": _phase_recorder(phase, deadline)},
                )
            except httpx.HTTPError as exc:
                elapsed = (time.monotonic() - started) * 1000
                failure = _classify(exc, phase[0] if phase else "")
                if failure.kind == "connect_timeout" and connect_timeout < self.connect_timeout:
                    failure.kind = "timeout"  # cut short by the call's time budget, not the connect timeout
                log.debug("%s %s %s %.0fms attempt %d/%d", method, path, failure.label, elapsed, attempt, attempts)
                limit = self._retry_limit(failure.kind)
                retries[failure.kind] = used = retries.get(failure.kind, 0) + 1
                delay = self._backoff(used)
                if used > limit or attempt >= attempts or time.monotonic() + delay >= deadline:
                    raise self._connection_error(exc, failure, operation, attempt) from exc
                self._sleep(delay)
                continue
            elapsed = (time.monotonic() - started) * 1000
            log.debug("%s %s %d %.0fms attempt %d/%d", method, path, response.status_code, elapsed, attempt, attempts)
            if response.status_code in RETRY_STATUSES and attempt < attempts:
                after = _retry_after(response) if response.status_code in (429, 503) else None
                pause = after if after is not None else self._backoff(attempt)
                if time.monotonic() + pause >= deadline:
                    log.debug("%s: no retry, the call's time budget would run out", operation)
                    return response
                self._sleep(pause)
                continue
            return response
        raise AssertionError("unreachable")  # pragma: no cover

    def _retry_limit(self, kind: str) -> int:
        if kind == "permanent" or kind == "timeout":
            return 0
        if kind == "refused":
            return min(REFUSED_RETRIES, self.max_retries)
        if kind == "connect_timeout":
            limited = getattr(_current, "limited", False)
            return 0 if limited else min(CONNECT_TIMEOUT_RETRIES, self.max_retries)
        return self.max_retries

    def _where(self) -> str:
        where = f"{self.address} ({self.origin})" if self.origin else self.address
        proxy = _proxy_for(self.base_url)
        return f"{where} through the proxy {proxy} (HTTPS_PROXY)" if proxy else where

    def _budget_spent(self, operation: str, attempts: int) -> errors.CallTimeout:
        return errors.CallTimeout(
            f"{operation} to {self._where()} did not complete within {_current.bound} ({_plural(attempts, 'attempt')})",
            operation=operation,
            phase="retrying",
        )

    def _connection_error(
        self, exc: httpx.HTTPError, failure: _Failure, operation: str, attempts: int
    ) -> errors.ApiError:
        where = self._where()
        tries = _plural(attempts, "attempt")
        if failure.kind == "permanent":
            detail = failure.describe(self, where)
            return errors.Unreachable(f"{detail}. Not retried: this cannot heal on its own.", operation=operation)
        if failure.kind == "refused":
            return errors.Refused(
                f"cannot connect to {where}: {failure.reason} ({tries}). Nothing accepts connections on that "
                "address: check the host and port, or whether the service is running.",
                operation=operation,
            )
        if failure.kind == "connect_timeout":
            what = "complete the TLS handshake" if failure.phase == "TLS handshake" else "accept a TCP connection"
            hint = (
                "it accepts TCP but never answers TLS: is it the HTTPS port, or is a proxy or firewall holding it?"
                if failure.phase == "TLS handshake"
                else "a firewall may be dropping the packets, or the address is wrong"
            )
            return errors.CallTimeout(
                f"{where} did not {what} within {_seconds(self.connect_timeout)} ({failure.phase} timeout, {tries}); "
                f"{hint}",
                operation=operation,
                phase=failure.phase,
            )
        if failure.kind == "timeout":
            phase = failure.phase or "waiting for the response"
            return errors.CallTimeout(
                f"{operation} to {where} timed out {_DURING[phase]} ({_current.bound}; {tries})",
                operation=operation,
                phase=phase,
            )
        return errors.Transient(
            f"cannot reach {where}: {failure.label}: {errors.truncate(str(exc), 120)} ({tries})",
            operation=operation,
        )

    def _backoff(self, attempt: int) -> float:
        """Exponential backoff with jitter: a random delay in [cap/2, cap], cap = base * 2^(attempt-1)."""
        cap = min(self._backoff_max, self._backoff_base * 2.0 ** (attempt - 1))
        jitter: float = random.uniform(0, cap / 2)
        return cap / 2 + jitter


def _query(params: Mapping[str, Any] | None) -> list[tuple[str, str | int | float | bool | None]] | None:
    """Query pairs; a list value becomes a repeated key (``?names=a&names=b``), as the vCenter REST surface expects."""
    if not params:
        return None
    pairs: list[tuple[str, str | int | float | bool | None]] = []
    for key, value in params.items():
        if value is None:
            continue
        values = value if isinstance(value, list | tuple | set | frozenset) else [value]
        pairs += [(key, str(v)) for v in values]
    return pairs


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After")
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        seconds = when.timestamp() - time.time()
    return min(MAX_RETRY_AFTER, max(0.0, seconds))


def _decode(response: httpx.Response, operation: str) -> Any:
    body: Any = None
    if response.content:
        try:
            body = response.json()
        except ValueError as exc:
            if response.is_success:
                raise errors.UnexpectedResponse(
                    f"the server answered HTTP {response.status_code} with a body that is not JSON",
                    status=response.status_code,
                    operation=operation,
                ) from exc
            body = None
    if response.is_success:
        return body
    raise errors.error_from_response(response.status_code, body, operation=operation)


def _proxy_for(url: str) -> str:
    """The proxy httpx sends ``url`` through (from the environment), or "" when it connects directly."""
    import urllib.request

    host = urlsplit(url).hostname or ""
    proxy = urllib.request.getproxies_environment().get(urlsplit(url).scheme, "")
    if not proxy or urllib.request.proxy_bypass(host):
        return ""
    return urlsplit(proxy).netloc or proxy


def _seconds(value: float) -> str:
    """A duration for messages: ``10s``, ``1m30s``, ``5m``."""
    minutes, seconds = divmod(round(value), 60)
    if not minutes:
        return f"{value:g}s"
    return f"{minutes}m{seconds}s" if seconds else f"{minutes}m"


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def _phase_recorder(phase: list[str], deadline: float) -> Callable[[str, Any], None]:
    """An httpcore trace hook that keeps, in ``phase[0]``, what the attempt was doing last.

    Once connected it also shortens the read and write timeouts to what is left of the call's budget, so the time
    spent connecting does not stretch the call (httpcore reads them from the request when it sends and receives).
    """

    def trace(event: str, info: Any) -> None:
        name, _, state = event.rpartition(".")
        if state != "started" or name not in _PHASES:
            return
        phase[:] = [_PHASES[name]]
        timeouts = getattr(info.get("request"), "extensions", {}).get("timeout") if isinstance(info, dict) else None
        if name.startswith("http11.") and isinstance(timeouts, dict):
            left = max(0.001, deadline - time.monotonic())
            timeouts.update(read=left, write=left)

    return trace


class _Failure:
    """What went wrong with one attempt: ``kind`` decides the retries, ``label`` goes to the attempt's log line.

    Kinds: ``permanent`` (TLS verification, DNS, not TLS: never retried), ``refused`` (quick retries),
    ``connect_timeout`` (one retry), ``timeout`` (the call's budget is spent), ``reset`` (the usual retries).
    """

    def __init__(self, kind: str, label: str, *, phase: str = "", reason: str = "", cause: BaseException | None = None):
        self.kind = kind
        self.label = label
        self.phase = phase
        self.reason = reason
        self.cause = cause

    def describe(self, http: HttpClient, where: str) -> str:
        """The message of a permanent failure: what happened and which setting to fix."""
        cause = self.cause
        if isinstance(cause, ssl.SSLCertVerificationError):
            return _certificate_problem(http, where, cause)
        if isinstance(cause, socket.gaierror):
            host = urlsplit(http.base_url).hostname or http.address
            source = f" ({http.origin})" if http.origin else ""
            return (
                f"cannot resolve the host name {host!r}{source}: {cause.strerror or cause}. Check the name for "
                "typos, or this machine's DNS configuration"
            )
        return (
            f"{where} does not speak TLS ({self.reason}): check that the port is the HTTPS port (vCenter: 443; "
            "Supervisor: 443 for login and 6443 for the API)"
        )


def _root_causes(exc: BaseException) -> list[BaseException]:
    """``exc`` and the exceptions it was raised from, outermost first (httpx → httpcore → OSError)."""
    chain: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in chain:
        chain.append(current)
        current = current.__cause__ or current.__context__
    return chain


def _classify(exc: httpx.HTTPError, phase: str) -> _Failure:
    """Decide whether an attempt's exception can heal, and name it."""
    chain = _root_causes(exc)
    for cause in chain:
        if isinstance(cause, ssl.SSLCertVerificationError):
            return _Failure("permanent", "TLS certificate not trusted", reason=str(cause.verify_message), cause=cause)
        if isinstance(cause, socket.gaierror):
            return _Failure("permanent", "host name not resolved", reason=str(cause.strerror), cause=cause)
        if isinstance(cause, ssl.SSLError) and cause.reason in ("WRONG_VERSION_NUMBER", "UNKNOWN_PROTOCOL"):
            return _Failure("permanent", "not TLS", reason=str(cause.reason), cause=cause)
        if isinstance(cause, ConnectionRefusedError):
            return _Failure("refused", "connection refused", reason="connection refused", cause=cause)
    if isinstance(exc, httpx.ConnectTimeout):
        phase = phase if phase in ("TCP connect", "TLS handshake") else "TCP connect"
        return _Failure("connect_timeout", f"{phase} timeout", phase=phase)
    if isinstance(exc, httpx.TimeoutException):
        phase = phase or "waiting for the response"
        return _Failure("timeout", f"timeout {_DURING.get(phase, phase)}", phase=phase)
    if isinstance(exc, httpx.ConnectError) and not isinstance(
        next((c for c in chain if isinstance(c, OSError)), None), ConnectionResetError | ssl.SSLError
    ):
        # No route to host, network unreachable, or a refusal without an OS error attached.
        errno_text = next((str(c) for c in chain[1:] if isinstance(c, OSError)), str(exc) or type(exc).__name__)
        return _Failure("refused", "connection failed", reason=errors.truncate(errno_text, 120), cause=exc)
    return _Failure("reset", type(exc).__name__, reason=errors.truncate(str(exc), 120), cause=exc)


def _certificate_problem(http: HttpClient, where: str, cause: ssl.SSLCertVerificationError) -> str:
    """What is wrong with the server's certificate, what it presented, and the settings that fix it."""
    presented = _presented_certificate(http)
    shown = f" It presented {presented}." if presented else ""
    reason = str(cause.verify_message or cause.reason or cause).rstrip(".")
    if cause.verify_code in (62, 64):  # X509_V_ERR_HOSTNAME_MISMATCH, X509_V_ERR_IP_ADDRESS_MISMATCH
        setting = f" in {http.origin}" if http.origin else ""
        return (
            f"the TLS certificate of {where} does not match its address: {reason}.{shown} Use a name the "
            f"certificate lists{setting}"
        )
    return (
        f"the TLS certificate of {where} is not trusted: {reason}.{shown} Set ca_file (or VSPHERE_CA_FILE) to a PEM "
        "file with the CA that issued it; in a lab only, allow_unverified_ssl = true (VSPHERE_ALLOW_UNVERIFIED_SSL) "
        "skips verification"
    )


def _presented_certificate(http: HttpClient) -> str:
    """Subject, issuer and names of the certificate the server presents ("" when it cannot be read).

    Needs a second, unverified handshake: the failed one does not keep the certificate. Nothing is sent.
    """
    url = urlsplit(http.base_url)
    if not url.hostname:
        return ""
    try:
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        timeout = min(http.connect_timeout, 5.0)
        raw = socket.create_connection((url.hostname, url.port or 443), timeout=timeout)
        with raw, context.wrap_socket(raw, server_hostname=url.hostname) as tls:
            der = tls.getpeercert(binary_form=True)
        if not der:
            return ""
        from cryptography import x509

        cert = x509.load_der_x509_certificate(der)
        text = f"a certificate for {cert.subject.rfc4514_string()!r} issued by {cert.issuer.rfc4514_string()!r}"
        try:
            names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
            listed = [str(n.value) for n in names]
            if listed:
                text += f", valid for {', '.join(listed[:8])}"
        except x509.ExtensionNotFound:
            pass
        return errors.truncate(text, 400)
    except (OSError, ValueError):
        return ""
