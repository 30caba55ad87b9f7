"""TLS helpers for tests that talk to a simulator over HTTPS."""

from __future__ import annotations

import ssl
from pathlib import Path


def verify(ca_file: str | Path | None) -> ssl.SSLContext | bool:
    """httpx's ``verify`` for the simulator's CA (httpx deprecates a path string); False when it serves plain HTTP."""
    return ssl.create_default_context(cafile=str(ca_file)) if ca_file else False
