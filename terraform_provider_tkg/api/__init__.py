"""Typed clients for the remote APIs, with no Terraform words: vCenter REST now, the Supervisor next.

Public names are listed in ``__all__`` (pinned by ``tests/unit/api/test_exports.py``). ``errors`` is imported
eagerly (it is pure Python); the clients, models and poller import ``httpx`` (and vCenter's ``pydantic``) and are
loaded on first attribute access, so that importing a resource module at provider start-up stays cheap.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from . import errors
from .errors import (
    AlreadyExists,
    ApiError,
    Conflict,
    Forbidden,
    Invalid,
    NotFound,
    Transient,
    Unauthenticated,
    UnexpectedResponse,
    WaitCancelled,
    WaitFailed,
    WaitTimeout,
)

if TYPE_CHECKING:
    from . import models, wait
    from .vcenter import VcenterClient, storage_class_name
    from .wait import wait_for

__all__ = [
    "AlreadyExists",
    "ApiError",
    "Conflict",
    "Forbidden",
    "Invalid",
    "NotFound",
    "Transient",
    "Unauthenticated",
    "UnexpectedResponse",
    "VcenterClient",
    "WaitCancelled",
    "WaitFailed",
    "WaitTimeout",
    "errors",
    "models",
    "storage_class_name",
    "wait",
    "wait_for",
]

# name -> (module, attribute or None for the module itself), loaded on first access.
_LAZY: dict[str, tuple[str, str | None]] = {
    "VcenterClient": ("vcenter", "VcenterClient"),
    "storage_class_name": ("vcenter", "storage_class_name"),
    "models": ("models", None),
    "wait": ("wait", None),
    "wait_for": ("wait", "wait_for"),
}


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    module_name, attribute = _LAZY[name]
    module = importlib.import_module(f"{__name__}.{module_name}")
    value = module if attribute is None else getattr(module, attribute)
    globals()[name] = value
    return value
