"""Who may adopt an object that already exists when a create is answered "already exists" (docs/reliability.md).

The rule: a create adopts an existing object only when the object carries the create token that this working
directory's journal (``framework.inflight``) recorded before sending the create. That happens only when our own
earlier create reached the server and its answer was lost (Terraform killed, network cut). Anything else, including
an identical object made by another workspace or by hand, fails with "already exists" and the exact import ID.

Where the token goes: Kubernetes objects get an annotation; the vCenter objects (VM classes, namespaces) have no
labels or annotations, and their only free-form field is ``description``, so the token is a marker line appended to
the description sent with the create. It must stay there until Terraform's state holds the object (removing it
right after the create would reopen the window: a kill after the removal leaves an object nobody can claim), so it
simply stays until the description is next changed. It never shows in state or in the data sources, so a user's
description round-trips unchanged.
"""

from __future__ import annotations

import re
from typing import Any

from .api import errors
from .framework.diagnostics import Path
from .framework.resource import Context

__all__ = [
    "CREATE_TOKEN_ANNOTATION",
    "already_exists",
    "annotation_token",
    "description_token",
    "marked_description",
    "unmarked_description",
]

# The annotation carrying the create token on Kubernetes objects (VMs, VM services; clusters use the same key).
CREATE_TOKEN_ANNOTATION = "tkg-oss.io/create-token"

# The marker line: "[tkg-create-token:<32 hex digits>]", alone on the last line of the description.
_MARKER = re.compile(r"(?:\n)?\[tkg-create-token:([0-9a-f]{32})\]\s*\Z")


def marked_description(description: str | None, token: str) -> str:
    """``description`` with the create-token marker line appended."""
    marker = f"[tkg-create-token:{token}]"
    return f"{description}\n{marker}" if description else marker


def description_token(description: str | None) -> str | None:
    """The create token a description carries, if any."""
    found = _MARKER.search(description or "")
    return found.group(1) if found else None


def annotation_token(metadata: dict[str, Any] | None) -> str | None:
    """The create token a Kubernetes object's metadata carries, if any."""
    value = ((metadata or {}).get("annotations") or {}).get(CREATE_TOKEN_ANNOTATION)
    return value if isinstance(value, str) and value else None


def unmarked_description(description: str | None) -> str | None:
    """``description`` without a create-token marker (``None`` stays ``None``)."""
    if description is None:
        return None
    return _MARKER.sub("", description)


def already_exists(
    ctx: Context,
    *,
    object_id: str,
    what: str,
    import_id: str,
    path: Path = ("name",),
    server: errors.ApiError | None = None,
) -> None:
    """The error for a create that found ``object_id`` made by someone else: never adopt, say how to import.
    ``server`` is the server's own "already exists" answer, quoted when there is one."""
    type_name = ctx.type_name
    said = f"The server said: {server.describe()}\n\n" if server is not None else ""
    ctx.diagnostics.error(
        f"creating {type_name} ({object_id}): already exists",
        f"{said}A {what} named {object_id!r} already exists, and it is not the result of an unfinished create from "
        "this working directory, so Terraform will not take it over (it may belong to another workspace or team).\n\n"
        f"To manage it with this configuration, import it (ID {import_id!r}):\n"
        f"  terraform import {type_name}.<address> {import_id}\n"
        "or, with Terraform 1.5 or later, an import block:\n"
        f'  import {{\n    to = {type_name}.<address>\n    id = "{import_id}"\n  }}\n'
        "Otherwise choose another name.",
        path,
    )
