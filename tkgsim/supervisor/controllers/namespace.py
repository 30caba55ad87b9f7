"""The namespace lifecycle controller as a pure decision: what to delete in a terminating Namespace."""

from __future__ import annotations

from typing import Any

__all__ = ["reconcile"]


def reconcile(
    namespace: dict[str, Any], contents: list[tuple[str, dict[str, Any]]]
) -> tuple[list[tuple[str, str]], bool]:
    """For a Namespace being deleted: ``(objects to delete as (type key, name), finalize now?)``.

    ``contents`` lists every object still in the namespace as ``(type key, object)``. Objects already marked for
    deletion are left to their own finalizers; once nothing is left the ``kubernetes`` finalizer can go.
    """
    if not namespace["metadata"].get("deletionTimestamp"):
        return [], False
    to_delete = [
        (key, obj["metadata"]["name"]) for key, obj in contents if not obj["metadata"].get("deletionTimestamp")
    ]
    return to_delete, not contents
