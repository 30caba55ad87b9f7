"""vCenter session authentication: HTTP Basic once, then the session token in ``vmware-api-session-id``.

Why a token and not Basic on every call: vCenter creates a session per Basic login and limits concurrent sessions, so
each provider process logs in once (lazily, on its first call) and reuses the token. An expired token answers 401;
``HttpClient`` then calls ``invalidate`` and retries once, which logs in again here. The token and password never
appear in a log line, an error or a repr.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping

from . import _http, errors

__all__ = ["SESSION_HEADER", "SESSION_PATH", "SessionAuth"]

SESSION_PATH = "/api/session"
SESSION_HEADER = "vmware-api-session-id"


class SessionAuth:
    """Holds the credentials and the current session token of one vCenter client."""

    def __init__(self, user: str, password: str) -> None:
        self._user = user
        self._password = password
        self._token: str | None = None
        self._lock = threading.Lock()
        self._gate = _http.LoginGate(self._lock)

    def __repr__(self) -> str:
        return f"SessionAuth(user={self._user!r}, logged_in={self._token is not None})"

    def headers(self) -> dict[str, str]:
        token = self._token
        return {SESSION_HEADER: token} if token else {}

    def ensure_login(self, http: _http.HttpClient) -> None:
        """Log in unless a token is already held (one login at a time across threads; threads that waited for a
        login that failed get its error instead of trying again)."""
        if self._token is not None:
            return
        with self._gate.turn():
            if self._token is not None:
                return
            token = http.request(
                "POST",
                SESSION_PATH,
                basic=(self._user, self._password),
                authenticate=False,
                # Without this header vCenter also sets the token as a cookie; the header is all we use.
                headers={"vmware-use-header-authn": "true"},
            )
            if not isinstance(token, str) or not token:
                raise errors.UnexpectedResponse(
                    "the session login answered without a token", operation=f"POST {SESSION_PATH}"
                )
            self._token = token

    def invalidate(self, token_headers: Mapping[str, str]) -> None:
        """Forget the token that was rejected (unless another thread already replaced it)."""
        with self._lock:
            if token_headers.get(SESSION_HEADER) == self._token:
                self._token = None

    def logout(self, http: _http.HttpClient) -> None:
        """End the session on the server (best effort) and forget the token."""
        with self._lock:
            token, self._token = self._token, None
        if token is None:
            return
        try:
            http.request("DELETE", SESSION_PATH, authenticate=False, headers={SESSION_HEADER: token})
        except errors.ApiError:
            pass
