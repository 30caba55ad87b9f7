"""Kubernetes ``Status`` error bodies, shaped like the real kube-apiserver's (reference §8.2).

Handlers raise :class:`KubeError`; the app's error middleware turns it into a JSON ``Status`` response. Messages follow
the API server's wording (``clusters.cluster.x-k8s.io "prod-1" not found``) because clients such as kubectl print them
verbatim and some tools match on them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "Cause",
    "KubeError",
    "already_exists",
    "bad_request",
    "conflict",
    "expired",
    "forbidden",
    "invalid",
    "method_not_allowed",
    "not_found",
    "status_body",
    "unauthorized",
    "unsupported_media_type",
    "webhook_denied",
]


@dataclass(frozen=True)
class Cause:
    """One ``details.causes[]`` entry: which field is wrong and why."""

    field: str
    message: str
    reason: str = "FieldValueInvalid"

    def to_json(self) -> dict[str, str]:
        return {"reason": self.reason, "message": self.message, "field": self.field}


@dataclass
class KubeError(Exception):
    """An API error that becomes a ``Status`` body with ``code`` as the HTTP status."""

    code: int
    reason: str
    message: str
    details: dict[str, Any] | None = None
    headers: dict[str, str] = field(default_factory=dict)

    def __str__(self) -> str:
        return f"{self.code} {self.reason}: {self.message[:256]}"

    def body(self) -> dict[str, Any]:
        return status_body(self.code, self.reason, self.message, self.details)


def status_body(code: int, reason: str, message: str, details: dict[str, Any] | None = None) -> dict[str, Any]:
    """The ``Status`` object the API server sends for a failed request."""
    body: dict[str, Any] = {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": message,
        "reason": reason,
    }
    if details is not None:
        body["details"] = details
    body["code"] = code
    return body


def _qualified(plural: str, group: str) -> str:
    return f"{plural}.{group}" if group else plural


def _details(name: str | None, group: str, kind: str) -> dict[str, Any]:
    details: dict[str, Any] = {}
    if name:
        details["name"] = name
    if group:
        details["group"] = group
    details["kind"] = kind
    return details


def not_found(plural: str, group: str, name: str) -> KubeError:
    """404 ``NotFound``; ``details.kind`` is the resource plural, as the API server does."""
    return KubeError(404, "NotFound", f'{_qualified(plural, group)} "{name}" not found', _details(name, group, plural))


def already_exists(plural: str, group: str, name: str) -> KubeError:
    """409 ``AlreadyExists`` for a create whose name is taken."""
    return KubeError(
        409, "AlreadyExists", f'{_qualified(plural, group)} "{name}" already exists', _details(name, group, plural)
    )


def conflict(plural: str, group: str, name: str, detail: str | None = None) -> KubeError:
    """409 ``Conflict`` for a stale ``resourceVersion`` (or a custom detail such as an apply conflict)."""
    text = detail or "the object has been modified; please apply your changes to the latest version and try again"
    return KubeError(
        409,
        "Conflict",
        f'Operation cannot be fulfilled on {_qualified(plural, group)} "{name}": {text}',
        _details(name, group, plural),
    )


def invalid(kind: str, group: str, name: str, causes: list[Cause], *, webhook: str | None = None) -> KubeError:
    """422 ``Invalid``; ``details.kind`` is the Kind here (not the plural), as the API server does."""
    parts = [f"{c.field}: {c.message}" for c in causes]
    joined = parts[0] if len(parts) == 1 else "[" + ", ".join(parts) + "]"
    qualified = f"{kind}.{group}" if group else kind
    message = f'{qualified} "{name}" is invalid: {joined}'
    if webhook:
        message = f'admission webhook "{webhook}" denied the request: {message}'
    details = _details(name, group, kind)
    details["causes"] = [c.to_json() for c in causes]
    return KubeError(422, "Invalid", message, details)


def forbidden_message(user: str, verb: str, plural: str, group: str, name: str | None, namespace: str | None) -> str:
    subject = f'{_qualified(plural, group)} "{name}"' if name else _qualified(plural, group)
    where = f' in the namespace "{namespace}"' if namespace else " at the cluster scope"
    return f'{subject} is forbidden: User "{user}" cannot {verb} resource "{plural}" in API group "{group}"' + where


def forbidden(user: str, verb: str, plural: str, group: str, name: str | None, namespace: str | None) -> KubeError:
    """403 ``Forbidden`` from RBAC."""
    message = forbidden_message(user, verb, plural, group, name, namespace)
    return KubeError(403, "Forbidden", message, _details(name, group, plural))


def webhook_denied(webhook: str, text: str, plural: str, group: str, name: str) -> KubeError:
    """403 ``Forbidden`` from a denying admission webhook (e.g. the TKR resolver)."""
    message = f'admission webhook "{webhook}" denied the request: {text}'
    return KubeError(403, "Forbidden", message, _details(name, group, plural))


def unauthorized() -> KubeError:
    """401 ``Unauthorized`` with no details, as the API server sends it."""
    return KubeError(401, "Unauthorized", "Unauthorized")


def bad_request(message: str) -> KubeError:
    """400 ``BadRequest``."""
    return KubeError(400, "BadRequest", message)


def method_not_allowed(message: str = "the server does not allow this method on the requested resource") -> KubeError:
    """405 ``MethodNotAllowed``."""
    return KubeError(405, "MethodNotAllowed", message)


def unsupported_media_type(content_type: str) -> KubeError:
    """415 ``UnsupportedMediaType`` (e.g. strategic merge patch on a custom resource)."""
    del content_type  # the API server does not echo it
    return KubeError(
        415,
        "UnsupportedMediaType",
        "the body of the request was in an unknown format - accepted media types include: "
        "application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml",
    )


def expired(message: str) -> KubeError:
    """410 ``Expired`` (``Gone``) for a resourceVersion older than the watch cache."""
    return KubeError(410, "Expired", message)
