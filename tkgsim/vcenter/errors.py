"""vCenter ``/api`` errors: one helper per ``error_type``, each with the status code the vAPI runtime maps it to.

Body shape (``com.vmware.vapi.std.errors.Error`` on ``/api``)::

    {"error_type": "NOT_FOUND",
     "messages": [{"id": "...", "default_message": "...", "args": ["..."]}]}

Handlers ``raise errors.not_found(...)``; the error middleware of ``tkgsim.vcenter.app`` turns a ``VcenterError`` into
the JSON response. Status codes follow ``vapi_to_http_error_map`` of ``vmware.vapi.rest.lib`` (reference §6.1): many
types share 400, so clients must switch on ``error_type``.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

__all__ = [
    "STATUS_BY_ERROR_TYPE",
    "VcenterError",
    "already_exists",
    "error",
    "internal_server_error",
    "invalid_argument",
    "not_allowed_in_current_state",
    "not_found",
    "operation_not_found",
    "resource_in_use",
    "service_unavailable",
    "unauthenticated",
    "unauthorized",
    "unsupported",
]

STATUS_BY_ERROR_TYPE: dict[str, int] = {
    "ALREADY_EXISTS": 400,
    "ALREADY_IN_DESIRED_STATE": 400,
    "FEATURE_IN_USE": 400,
    "INVALID_ARGUMENT": 400,
    "INVALID_ELEMENT_CONFIGURATION": 400,
    "INVALID_ELEMENT_TYPE": 400,
    "INVALID_REQUEST": 400,
    "NOT_ALLOWED_IN_CURRENT_STATE": 400,
    "RESOURCE_BUSY": 400,
    "RESOURCE_IN_USE": 400,
    "RESOURCE_INACCESSIBLE": 400,
    "UNABLE_TO_ALLOCATE_RESOURCE": 400,
    "UNSUPPORTED": 400,
    "UNAUTHENTICATED": 401,
    "UNAUTHORIZED": 403,
    "NOT_FOUND": 404,
    "OPERATION_NOT_FOUND": 404,
    "CONCURRENT_CHANGE": 409,
    "INTERNAL_SERVER_ERROR": 500,
    "ERROR": 500,
    "SERVICE_UNAVAILABLE": 503,
    "TIMED_OUT": 504,
}


class VcenterError(Exception):
    """An error answered in vCenter's error model; ``status`` comes from ``STATUS_BY_ERROR_TYPE``."""

    def __init__(self, error_type: str, message_id: str, default_message: str, args: list[str]) -> None:
        super().__init__(default_message)
        self.error_type = error_type
        self.status = STATUS_BY_ERROR_TYPE[error_type]
        self.message_id = message_id
        self.default_message = default_message
        self.message_args = args
        self.headers: dict[str, str] = {}

    def body(self) -> dict[str, Any]:
        """The JSON error body."""
        return {
            "error_type": self.error_type,
            "messages": [{"id": self.message_id, "default_message": self.default_message, "args": self.message_args}],
        }

    def response(self) -> web.Response:
        """The aiohttp response carrying this error."""
        return web.json_response(self.body(), status=self.status, headers=self.headers)


def _make(error_type: str, message_id: str, message: str, args: tuple[Any, ...]) -> VcenterError:
    return VcenterError(error_type, message_id, message, [str(a) for a in args])


def already_exists(message: str, *args: Any, message_id: str = "vcenter.wcp.already.exists") -> VcenterError:
    """400 ALREADY_EXISTS: the name of a namespace or VM class is taken."""
    return _make("ALREADY_EXISTS", message_id, message, args)


def invalid_argument(message: str, *args: Any, message_id: str = "vcenter.wcp.invalid.argument") -> VcenterError:
    """400 INVALID_ARGUMENT: a request field is malformed or refers to something that does not exist."""
    return _make("INVALID_ARGUMENT", message_id, message, args)


def not_allowed_in_current_state(
    message: str, *args: Any, message_id: str = "vcenter.wcp.not.allowed.in.current.state"
) -> VcenterError:
    """400 NOT_ALLOWED_IN_CURRENT_STATE: e.g. changing a namespace that is being removed."""
    return _make("NOT_ALLOWED_IN_CURRENT_STATE", message_id, message, args)


def resource_in_use(message: str, *args: Any, message_id: str = "vcenter.wcp.resource.in.use") -> VcenterError:
    """400 RESOURCE_IN_USE: e.g. deleting a VM class that a namespace still uses."""
    return _make("RESOURCE_IN_USE", message_id, message, args)


def unsupported(message: str, *args: Any, message_id: str = "vcenter.wcp.unsupported") -> VcenterError:
    """400 UNSUPPORTED: a feature the simulated Supervisor does not offer."""
    return _make("UNSUPPORTED", message_id, message, args)


def unauthenticated(
    message: str = "Authentication required.",
    *args: Any,
    message_id: str = "com.vmware.vapi.endpoint.method.authentication.required",
) -> VcenterError:
    """401 UNAUTHENTICATED: missing, unknown or expired session token, or wrong Basic credentials."""
    err = _make("UNAUTHENTICATED", message_id, message, args)
    err.headers["WWW-Authenticate"] = 'Basic realm="VAPI endpoint",SIGN realm="VAPI endpoint"'
    return err


def unauthorized(
    message: str = "Permission denied.", *args: Any, message_id: str = "vapi.security.authorization.invalid"
) -> VcenterError:
    """403 UNAUTHORIZED: authenticated, but the user's role may not do this."""
    return _make("UNAUTHORIZED", message_id, message, args)


def not_found(message: str, *args: Any, message_id: str = "vcenter.wcp.not.found") -> VcenterError:
    """404 NOT_FOUND: the object named in the path does not exist."""
    return _make("NOT_FOUND", message_id, message, args)


def operation_not_found(message: str, *args: Any, message_id: str = "vapi.method.input.invalid") -> VcenterError:
    """404 OPERATION_NOT_FOUND: no operation is served at this method and path."""
    return _make("OPERATION_NOT_FOUND", message_id, message, args)


def error(message: str, *args: Any, message_id: str = "vcenter.wcp.error") -> VcenterError:
    """500 ERROR: a generic server failure."""
    return _make("ERROR", message_id, message, args)


def internal_server_error(message: str, *args: Any, message_id: str = "vapi.server.internal.error") -> VcenterError:
    """500 INTERNAL_SERVER_ERROR: a bug in the simulator."""
    return _make("INTERNAL_SERVER_ERROR", message_id, message, args)


def service_unavailable(message: str, *args: Any, message_id: str = "vapi.server.unavailable") -> VcenterError:
    """503 SERVICE_UNAVAILABLE."""
    return _make("SERVICE_UNAVAILABLE", message_id, message, args)
