"""Helpers for printer columns (``kubectl get`` output)."""

from __future__ import annotations

from typing import Any

__all__ = ["condition_status", "path"]


def path(obj: dict[str, Any], dotted: str) -> Any:
    """The value at a dotted path, or None."""
    node: Any = obj
    for part in dotted.split("."):
        if not isinstance(node, dict):
            return None
        node = node.get(part)
    return node


def condition_status(obj: dict[str, Any], kind: str) -> str | None:
    """``True``/``False``/``Unknown`` of a status condition, or None."""
    for cond in path(obj, "status.conditions") or []:
        if cond.get("type") == kind:
            return str(cond.get("status"))
    return None
