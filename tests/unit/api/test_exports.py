"""The public surface of ``terraform_provider_tkg.api`` is pinned, and importing it stays cheap."""

from __future__ import annotations

import subprocess
import sys

import terraform_provider_tkg.api as api

EXPECTED = [
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


def test_all_is_pinned() -> None:
    assert api.__all__ == EXPECTED


def test_every_exported_name_resolves() -> None:
    for name in api.__all__:
        assert getattr(api, name) is not None, name


def test_importing_api_and_errors_does_not_import_httpx_or_pydantic() -> None:
    code = (
        "import sys; import terraform_provider_tkg.api as a; from terraform_provider_tkg.api import errors; "
        "print(sorted(m for m in ('httpx', 'pydantic') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout
    assert out.strip() == "[]"
