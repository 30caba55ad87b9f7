"""api/_http.py: retries with backoff on 429/503/connection errors, Retry-After, one re-login on 401, logging."""

from __future__ import annotations

import logging
from collections.abc import Callable

import httpx
import pytest

from terraform_provider_tkg.api import _auth, _http, errors

Handler = Callable[[httpx.Request], httpx.Response]


def client(handler: Handler, *, max_retries: int = 3, sleeps: list[float] | None = None) -> _http.HttpClient:
    recorded = sleeps if sleeps is not None else []
    return _http.HttpClient(
        "https://vc.test", transport=httpx.MockTransport(handler), max_retries=max_retries, sleep=recorded.append
    )


def vc_error(status: int, error_type: str, message: str) -> httpx.Response:
    body = {"error_type": error_type, "messages": [{"id": "m", "default_message": message, "args": []}]}
    return httpx.Response(status, json=body)


def test_success_returns_json_and_void_returns_none() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.method == "GET":
            return httpx.Response(200, json={"a": 1})
        return httpx.Response(204)

    http = client(handler)
    assert http.request("GET", "/x") == {"a": 1}
    assert http.request("DELETE", "/x") is None


@pytest.mark.parametrize("status", [429, 502, 503, 504])
def test_retries_transient_statuses_then_succeeds(status: int) -> None:
    calls = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        return httpx.Response(status) if len(calls) < 3 else httpx.Response(200, json="ok")

    sleeps: list[float] = []
    assert client(handler, sleeps=sleeps).request("GET", "/x") == "ok"
    assert len(calls) == 3 and len(sleeps) == 2


def test_gives_up_after_max_retries_with_transient() -> None:
    calls = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        return vc_error(503, "SERVICE_UNAVAILABLE", "vpxd is restarting")

    with pytest.raises(errors.Transient) as info:
        client(handler, max_retries=2).request("GET", "/x")
    assert len(calls) == 3
    assert info.value.messages == ["vpxd is restarting"] and info.value.status == 503


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (400, errors.Invalid),
        (401, errors.Unauthenticated),
        (403, errors.Forbidden),
        (404, errors.NotFound),
        (409, errors.Conflict),
        (500, errors.ApiError),
    ],
)
def test_answers_that_cannot_heal_are_not_retried(status: int, error: type[errors.ApiError]) -> None:
    calls = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        return httpx.Response(status, json={})

    with pytest.raises(error):
        client(handler, max_retries=5).request("GET", "/x", authenticate=False)
    assert len(calls) == 1


def test_no_retry_when_retry_after_exceeds_the_time_budget() -> None:
    calls = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        return httpx.Response(503, headers={"Retry-After": "30"})

    sleeps: list[float] = []
    http = _http.HttpClient(
        "https://vc.test", transport=httpx.MockTransport(handler), timeout=5, max_retries=5, sleep=sleeps.append
    )
    with pytest.raises(errors.Transient):
        http.request("GET", "/x")
    assert len(calls) == 1 and sleeps == []


def test_no_retry_on_500_or_400() -> None:
    calls = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        return vc_error(500, "ERROR", "boom") if len(calls) == 1 else vc_error(400, "INVALID_ARGUMENT", "bad")

    http = client(handler)
    with pytest.raises(errors.ApiError):
        http.request("GET", "/x")
    with pytest.raises(errors.Invalid):
        http.request("GET", "/x")
    assert len(calls) == 2


def test_retry_after_is_honoured_and_capped() -> None:
    calls = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        if len(calls) == 1:
            return httpx.Response(429, headers={"Retry-After": "7"})
        if len(calls) == 2:
            return httpx.Response(429, headers={"Retry-After": "3600"})
        return httpx.Response(200, json=1)

    sleeps: list[float] = []
    client(handler, sleeps=sleeps).request("GET", "/x")
    assert sleeps == [7.0, _http.MAX_RETRY_AFTER]


def test_backoff_grows_with_jitter() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(502)

    sleeps: list[float] = []
    with pytest.raises(errors.Transient):
        client(handler, max_retries=4, sleeps=sleeps).request("GET", "/x")
    caps = [0.5, 1.0, 2.0, 4.0]
    assert len(sleeps) == 4
    for slept, cap in zip(sleeps, caps, strict=True):
        assert cap / 2 <= slept <= cap


def test_failed_connections_get_a_couple_of_quick_retries_whatever_max_retries() -> None:
    calls = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        raise httpx.ConnectError("connection refused", request=request)

    sleeps: list[float] = []
    with pytest.raises(errors.Refused) as info:
        client(handler, max_retries=5, sleeps=sleeps).request("GET", "/x")
    assert len(calls) == _http.REFUSED_RETRIES + 1 == 3
    assert len(sleeps) == 2 and all(s <= 1.0 for s in sleeps)
    assert "cannot connect to vc.test: connection refused (3 attempts)" in str(info.value)
    assert isinstance(info.value, errors.Transient) and isinstance(info.value.__cause__, httpx.ConnectError)


def test_resets_mid_request_use_all_retries_then_transient() -> None:
    calls = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        raise httpx.RemoteProtocolError("Server disconnected without sending a response.", request=request)

    with pytest.raises(errors.Transient) as info:
        client(handler, max_retries=4).request("GET", "/x")
    assert len(calls) == 5
    assert type(info.value) is errors.Transient and "RemoteProtocolError" in str(info.value)


def test_connection_error_then_success() -> None:
    calls = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        if len(calls) == 1:
            raise httpx.ReadError("reset", request=request)
        return httpx.Response(200, json=True)

    assert client(handler).request("GET", "/x") is True


def test_non_json_success_body_is_unexpected_response() -> None:
    with pytest.raises(errors.UnexpectedResponse):
        client(lambda r: httpx.Response(200, text="<html>")).request("GET", "/x")


def test_query_lists_are_repeated_keys() -> None:
    seen = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        return httpx.Response(200, json=[])

    client(handler).request("GET", "/api/vcenter/cluster", params={"names": ["a", "b"], "skip": None})
    assert seen == ["https://vc.test/api/vcenter/cluster?names=a&names=b"]


class Server:
    """A session endpoint: tokens it issued are valid until ``expire_all``."""

    def __init__(self) -> None:
        self.tokens: set[str] = set()
        self.logins = 0
        self.calls: list[tuple[str, str, str | None]] = []

    def expire_all(self) -> None:
        self.tokens.clear()

    def __call__(self, request: httpx.Request) -> httpx.Response:
        token = request.headers.get(_auth.SESSION_HEADER)
        self.calls.append((request.method, request.url.path, token))
        if request.url.path == _auth.SESSION_PATH and request.method == "POST":
            if request.headers.get("Authorization") != httpx.BasicAuth("u", "pw")._auth_header:
                return vc_error(401, "UNAUTHENTICATED", "Authentication required.")
            self.logins += 1
            new = f"token-{self.logins}"
            self.tokens.add(new)
            return httpx.Response(201, json=new)
        if token not in self.tokens:
            return vc_error(401, "UNAUTHENTICATED", "Authentication required.")
        if request.url.path == "/forbidden":
            return vc_error(403, "UNAUTHORIZED", "no privilege")
        return httpx.Response(200, json={"ok": token})


def session_client(server: Server, password: str = "pw") -> _http.HttpClient:
    http = client(server)
    http.auth = _auth.SessionAuth("u", password)
    return http


def test_logs_in_once_and_sends_the_token_header() -> None:
    server = Server()
    http = session_client(server)
    assert http.request("GET", "/a") == {"ok": "token-1"}
    assert http.request("GET", "/b") == {"ok": "token-1"}
    assert server.logins == 1


def test_relogin_once_on_401_then_retry() -> None:
    server = Server()
    http = session_client(server)
    http.request("GET", "/a")
    server.expire_all()
    assert http.request("GET", "/a") == {"ok": "token-2"}
    assert server.logins == 2


def test_second_401_is_final() -> None:
    server = Server()
    http = session_client(server)
    http.request("GET", "/a")

    original = server.__call__

    def always_expire(request: httpx.Request) -> httpx.Response:
        response = original(request)
        server.expire_all()
        return response

    http2 = client(always_expire)
    http2.auth = http.auth
    server.expire_all()
    with pytest.raises(errors.Unauthenticated):
        http2.request("GET", "/a")


def test_bad_credentials_are_unauthenticated_without_loop() -> None:
    server = Server()
    http = session_client(server, password="wrong")
    with pytest.raises(errors.Unauthenticated) as info:
        http.request("GET", "/a")
    assert "wrong" not in str(info.value) and "wrong" not in repr(http.auth)
    assert [c[1] for c in server.calls] == [_auth.SESSION_PATH]


def test_403_does_not_relogin() -> None:
    server = Server()
    http = session_client(server)
    with pytest.raises(errors.Forbidden):
        http.request("GET", "/forbidden")
    assert server.logins == 1


def test_logout_deletes_the_session() -> None:
    server = Server()
    http = session_client(server)
    http.request("GET", "/a")
    assert isinstance(http.auth, _auth.SessionAuth)
    http.auth.logout(http)
    assert server.calls[-1][:2] == ("DELETE", _auth.SESSION_PATH)
    assert http.auth.headers() == {}


def test_one_debug_line_per_attempt_without_secrets(caplog: pytest.LogCaptureFixture) -> None:
    server = Server()
    http = session_client(server)
    with caplog.at_level(logging.DEBUG, logger="terraform_provider_tkg.api._http"):
        http.request("GET", "/a", params={"q": "secret-query"})
    lines = [r.getMessage() for r in caplog.records]
    assert any(line.startswith("POST /api/session 201 ") and line.endswith("attempt 1/4") for line in lines)
    assert any(line.startswith("GET /a 200 ") for line in lines)
    text = "\n".join(lines)
    assert "token-1" not in text and "pw" not in text.replace("/api", "") and "secret-query" not in text


def test_tls_verify_choices(tmp_path: pytest.TempPathFactory) -> None:
    assert _http.tls_verify(ca_file=None, allow_unverified_ssl=True) is False
    assert _http.tls_verify(ca_file=None, allow_unverified_ssl=False) is True
