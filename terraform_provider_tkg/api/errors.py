"""One error hierarchy for every remote API this provider talks to.

Why: callers must never see ``httpx`` exceptions or raw HTTP bodies. ``api/_http.py`` is the only code that catches
transport exceptions; it turns each failed call into one of these classes with ``error_from_response`` (vCenter's
``error_type``, or a Kubernetes ``Status.reason`` for the Supervisor client) and chains the cause with ``from``.
Messages are the server's ``default_message`` texts, truncated to ``MAX_MESSAGE`` characters; bodies, headers and
tokens are never kept, so an error can be logged or shown in a diagnostic as it is.

The tree (catch a base to catch a whole group)::

    ApiError                      any failed remote call; .status, .error_type, .messages, .operation, .field
    ├── NotFound                  404 / NOT_FOUND, and getters that find nothing (empty payload)
    ├── AlreadyExists             ALREADY_EXISTS, Kubernetes AlreadyExists
    ├── Conflict                  the object's current state forbids the call: NOT_ALLOWED_IN_CURRENT_STATE,
    │                             RESOURCE_IN_USE, RESOURCE_BUSY, CONCURRENT_CHANGE, Kubernetes Conflict (409)
    ├── Invalid                   INVALID_ARGUMENT, UNSUPPORTED, …; Kubernetes Invalid/BadRequest (422/400)
    ├── Unauthenticated           401: bad credentials, or a token that re-login could not renew
    ├── Forbidden                 403 / UNAUTHORIZED: authenticated but not allowed
    ├── Transient                 429, 502/503/504, connection errors, still failing after the retries
    ├── UnexpectedResponse        a 2xx body that does not match the wire model (API drift or a provider bug)
    └── WaitTimeout               a wait ran past its deadline; .last = the last object seen
        ├── WaitCancelled         the wait was stopped (the caller was interrupted); .last as above
        └── WaitFailed            the object reached a failure state (e.g. namespace ERROR); .last as above
"""

from __future__ import annotations

import re
from typing import Any

__all__ = [
    "MAX_MESSAGE",
    "AlreadyExists",
    "ApiError",
    "Conflict",
    "Forbidden",
    "Invalid",
    "NotFound",
    "Transient",
    "Unauthenticated",
    "UnexpectedResponse",
    "WaitCancelled",
    "WaitFailed",
    "WaitTimeout",
    "error_from_response",
    "truncate",
]

MAX_MESSAGE = 256


def truncate(text: str, limit: int = MAX_MESSAGE) -> str:
    """``text`` cut to ``limit`` characters (with an ellipsis), so no long body ever reaches a log or diagnostic."""
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


class ApiError(Exception):
    """A failed remote call.

    ``status`` is the HTTP status (0 when no response arrived), ``error_type`` the vCenter ``error_type`` or the
    Kubernetes ``Status.reason``, ``messages`` the server's messages (truncated), ``operation`` the call as
    ``"METHOD /path"`` and ``field`` the wire field the server blamed, when it named one.
    """

    def __init__(
        self,
        message: str,
        *,
        status: int = 0,
        error_type: str = "",
        messages: list[str] | None = None,
        operation: str = "",
        field: str | None = None,
    ) -> None:
        self.message = truncate(message)
        self.status = status
        self.error_type = error_type
        self.messages = [truncate(m) for m in (messages if messages is not None else [message])]
        self.operation = operation
        self.field = field
        super().__init__(self.message)

    def describe(self) -> str:
        """The message with the HTTP status, error type and call, for a diagnostic's detail."""
        parts = []
        if self.status:
            parts.append(f"HTTP {self.status}")
        if self.error_type:
            parts.append(self.error_type)
        if self.operation:
            parts.append(self.operation)
        suffix = f" ({', '.join(parts)})" if parts else ""
        return f"{'; '.join(self.messages) or self.message}{suffix}"


class NotFound(ApiError):
    """The object does not exist."""


class AlreadyExists(ApiError):
    """An object with that name or id already exists."""


class Conflict(ApiError):
    """The object's current state does not allow the call (in use, being removed, changed concurrently)."""


class Invalid(ApiError):
    """The request was rejected as invalid; ``field`` names the wire field when the server said which."""


class Unauthenticated(ApiError):
    """The credentials were refused (after one re-login attempt for an expired session)."""


class Forbidden(ApiError):
    """The user is authenticated but lacks the privilege."""


class Transient(ApiError):
    """A temporary failure (throttling, unavailable service, connection error) that outlasted the retries."""


class UnexpectedResponse(ApiError):
    """A successful response whose body does not match the wire model: API drift or a provider bug."""


class WaitTimeout(ApiError):
    """A wait ended without reaching its target; ``last`` is the last object fetched (None if none was)."""

    def __init__(self, message: str, *, last: Any = None, status: str = "") -> None:
        super().__init__(message)
        self.last = last
        self.last_status = status


class WaitCancelled(WaitTimeout):
    """A wait was stopped from outside (e.g. the user pressed Ctrl-C) before reaching its target."""


class WaitFailed(WaitTimeout):
    """The object reached a failure state; ``messages`` carries the object's own messages."""

    def __init__(self, message: str, *, last: Any = None, status: str = "", messages: list[str] | None = None) -> None:
        super().__init__(message, last=last, status=status)
        self.messages = [truncate(m) for m in (messages or [message])]


# vCenter error_type → class. Types not listed map by HTTP status (see _BY_STATUS), then to ApiError.
_BY_ERROR_TYPE: dict[str, type[ApiError]] = {
    "NOT_FOUND": NotFound,
    "OPERATION_NOT_FOUND": NotFound,
    "ALREADY_EXISTS": AlreadyExists,
    "NOT_ALLOWED_IN_CURRENT_STATE": Conflict,
    "RESOURCE_IN_USE": Conflict,
    "RESOURCE_BUSY": Conflict,
    "CONCURRENT_CHANGE": Conflict,
    "FEATURE_IN_USE": Conflict,
    "ALREADY_IN_DESIRED_STATE": Conflict,
    "INVALID_ARGUMENT": Invalid,
    "INVALID_REQUEST": Invalid,
    "INVALID_ELEMENT_CONFIGURATION": Invalid,
    "INVALID_ELEMENT_TYPE": Invalid,
    "UNEXPECTED_INPUT": Invalid,
    "UNSUPPORTED": Invalid,
    "UNABLE_TO_ALLOCATE_RESOURCE": Invalid,
    "UNAUTHENTICATED": Unauthenticated,
    "UNAUTHORIZED": Forbidden,
    "SERVICE_UNAVAILABLE": Transient,
    "TIMED_OUT": Transient,
}

# Kubernetes Status.reason → class: the hook the Supervisor client uses (same function, same tree).
_BY_K8S_REASON: dict[str, type[ApiError]] = {
    "NotFound": NotFound,
    "Gone": NotFound,
    "AlreadyExists": AlreadyExists,
    "Conflict": Conflict,
    "Invalid": Invalid,
    "BadRequest": Invalid,
    "MethodNotAllowed": Invalid,
    "RequestEntityTooLarge": Invalid,
    "Unauthorized": Unauthenticated,
    "Forbidden": Forbidden,
    "TooManyRequests": Transient,
    "ServiceUnavailable": Transient,
    "Timeout": Transient,
    "ServerTimeout": Transient,
}

_BY_STATUS: dict[int, type[ApiError]] = {
    400: Invalid,
    401: Unauthenticated,
    403: Forbidden,
    404: NotFound,
    409: Conflict,
    410: NotFound,
    422: Invalid,
    429: Transient,
    502: Transient,
    503: Transient,
    504: Transient,
}

_FIELD_IN_MESSAGE = re.compile(r"field '([^']+)'")


def _vcenter_messages(body: dict[str, Any]) -> list[str]:
    out = []
    for message in body.get("messages") or []:
        if isinstance(message, dict) and message.get("default_message"):
            out.append(str(message["default_message"]))
    return out


def error_from_response(status: int, body: Any, *, operation: str = "") -> ApiError:
    """The ``ApiError`` subclass for a failed response.

    ``body`` is the decoded JSON body (or None). A vCenter error (``{"error_type", "messages"}``) is classed by its
    ``error_type``, a Kubernetes ``Status`` by its ``reason``, anything else by the HTTP status alone. Only the
    server's messages are kept (truncated); other body content is dropped so that nothing secret can leak.
    """
    error_type = ""
    messages: list[str] = []
    field: str | None = None
    cls: type[ApiError] | None = None
    if isinstance(body, dict) and body.get("kind") == "Status":
        error_type = str(body.get("reason") or "")
        cls = _BY_K8S_REASON.get(error_type)
        if body.get("message"):
            messages.append(str(body["message"]))
        causes = (body.get("details") or {}).get("causes") or []
        fields = [c.get("field") for c in causes if isinstance(c, dict) and c.get("field")]
        field = str(fields[0]) if fields else None
    elif isinstance(body, dict) and ("error_type" in body or "messages" in body):
        error_type = str(body.get("error_type") or "")
        cls = _BY_ERROR_TYPE.get(error_type)
        messages = _vcenter_messages(body)
        for text in messages:
            match = _FIELD_IN_MESSAGE.search(text)
            if match:
                field = match.group(1)
                break
    elif isinstance(body, dict) and isinstance(body.get("type"), str) and isinstance(body.get("value"), dict):
        # The legacy /rest error shape: {"type": "com.vmware.vapi.std.errors.not_found", "value": {"messages": …}}.
        error_type = body["type"].rsplit(".", 1)[-1].upper()
        cls = _BY_ERROR_TYPE.get(error_type)
        messages = _vcenter_messages(body["value"])
    if cls is None:
        cls = _BY_STATUS.get(status, ApiError)
    if not messages:
        messages = [f"the server answered HTTP {status}" + (f" {error_type}" if error_type else "")]
    return cls(
        "; ".join(messages), status=status, error_type=error_type, messages=messages, operation=operation, field=field
    )
