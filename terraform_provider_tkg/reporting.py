"""API errors → Terraform diagnostics, worded one way for every resource and data source (STYLE rules 6 and 7).

Shared by ``resources/`` and ``data_sources/``, hence a public module beside them rather than inside either.

The summary is a lowercase verb phrase with the type and id ("creating tkg_vm_class (gpu-large)"); the detail quotes
the server's message with the HTTP status and error type, then says what to do next. An ``Invalid`` error that names
a wire field is attached to the Terraform attribute it came from, through the resource's ``WIRE_TO_TF_PATH`` table.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from .api import errors
from .framework.diagnostics import Path
from .framework.resource import Context

__all__ = ["gone", "report", "tf_path"]

_INDEX = re.compile(r"\[\d+\]")

_NEXT_STEP: dict[type[errors.ApiError], str] = {
    errors.Unauthenticated: "Check the provider's user and password (VSPHERE_USER / VSPHERE_PASSWORD).",
    errors.Forbidden: "The vCenter user lacks the privilege for this operation; use an account with it.",
    errors.Transient: "vCenter is busy or unreachable; the provider retried. Run the command again later.",
    errors.UnexpectedResponse: "vCenter answered in an unexpected shape; please report this to the provider "
    "developers.",
}


def tf_path(wire_field: str | None, table: Mapping[str, Path]) -> Path | None:
    """The Terraform attribute path for a wire field such as ``storage_specs[0].policy`` (longest match wins)."""
    if not wire_field:
        return None
    key = _INDEX.sub("", wire_field)
    while key:
        if key in table:
            return table[key]
        key = key.rpartition(".")[0]
    return None


def report(
    ctx: Context,
    exc: errors.ApiError,
    *,
    action: str,
    object_id: str,
    wire_to_tf: Mapping[str, Path] | None = None,
    hint: str = "",
) -> None:
    """Add one error diagnostic for ``exc`` raised while ``action`` (e.g. "creating") the object ``object_id``."""
    path = tf_path(exc.field, wire_to_tf or {}) if isinstance(exc, errors.Invalid) else None
    step = hint or next((text for cls, text in _NEXT_STEP.items() if isinstance(exc, cls)), "")
    detail = f"vCenter said: {exc.describe()}"
    if step:
        detail += f"\n\n{step}"
    ctx.diagnostics.error(f"{action} {ctx.type_name} ({object_id})", detail, path)


def gone(ctx: Context, object_id: str, what: str) -> None:
    """Warn that ``what`` was deleted outside Terraform: Read then drops it from state and Terraform plans a create."""
    ctx.diagnostics.warning(
        f"{ctx.type_name} ({object_id}) no longer exists",
        f"The {what} was deleted outside Terraform. It is removed from the state and will be planned for creation.",
    )
