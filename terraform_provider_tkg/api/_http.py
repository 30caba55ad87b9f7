"""The HTTP plumbing under every API client: the only code that catches ``httpx`` exceptions and retries.

Why one place: retry policy, re-login, timeouts and the "never log a body or a token" rule must hold for every call,
and a second retry loop elsewhere would multiply attempts. Callers get decoded JSON or an ``errors.ApiError``.

- Retries with exponential backoff and full jitter on connection errors, 429 (honouring ``Retry-After``) and
  502/503/504, at most ``max_retries`` times; then ``errors.Transient``.
- One re-login on 401 for authenticated calls (an expired session), then the 401 is final.
- ``timeout`` (the provider's ``api_timeout``) bounds each attempt.
- One DEBUG line per attempt: ``METHOD path status ms attempt n/N``. Never bodies, headers or query values.
"""

from __future__ import annotations

import email.utils
import logging
import random
import ssl
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any, Protocol

import httpx

from . import errors

__all__ = ["RETRY_STATUSES", "Auth", "HttpClient", "tls_verify"]

log = logging.getLogger(__name__)

RETRY_STATUSES = frozenset({429, 502, 503, 504})
MAX_RETRY_AFTER = 60.0


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


class HttpClient:
    """A JSON-over-HTTPS client with retries, re-login and request logging."""

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
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.max_retries = max(0, int(max_retries))
        self.auth: Auth | None = None
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

        Raises an ``errors.ApiError`` subclass for any failure.
        """
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
        attempts = self.max_retries + 1
        for attempt in range(1, attempts + 1):
            started = time.monotonic()
            try:
                response = self._client.request(
                    method,
                    path,
                    params=_query(params),
                    json=json,
                    headers=headers,
                    auth=httpx.BasicAuth(*basic) if basic else None,
                )
            except httpx.HTTPError as exc:
                elapsed = (time.monotonic() - started) * 1000
                log.debug("%s %s %s %.0fms attempt %d/%d", method, path, type(exc).__name__, elapsed, attempt, attempts)
                if attempt >= attempts:
                    raise errors.Transient(
                        f"cannot reach {self.base_url}: {type(exc).__name__}: {errors.truncate(str(exc), 120)}",
                        operation=f"{method} {path}",
                    ) from exc
                self._sleep(self._backoff(attempt))
                continue
            elapsed = (time.monotonic() - started) * 1000
            log.debug("%s %s %d %.0fms attempt %d/%d", method, path, response.status_code, elapsed, attempt, attempts)
            if response.status_code in RETRY_STATUSES and attempt < attempts:
                delay = _retry_after(response) if response.status_code in (429, 503) else None
                self._sleep(delay if delay is not None else self._backoff(attempt))
                continue
            return response
        raise AssertionError("unreachable")  # pragma: no cover

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
