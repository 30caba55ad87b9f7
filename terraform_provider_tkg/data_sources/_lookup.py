"""Shared wording of data source lookups: one match is the answer, none or several is an error that says what was
searched and what exists."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

from ..framework.resource import Context

__all__ = ["choose"]

T = TypeVar("T")

_SHOWN = 20


def _listing(names: Sequence[str]) -> str:
    shown = sorted(names)[:_SHOWN]
    more = f" and {len(names) - _SHOWN} more" if len(names) > _SHOWN else ""
    return ", ".join(repr(n) for n in shown) + more if shown else "none"


def choose(
    ctx: Context,
    matches: Sequence[T],
    *,
    what: str,
    searched: str,
    existing: Sequence[str],
    describe: Sequence[str] = (),
    hint: str = "",
    plural: str = "",
) -> T | None:
    """The single match, or None after an error: no match lists ``existing``; several list ``describe`` (ids)."""
    if len(matches) == 1:
        return matches[0]
    if not matches:
        ctx.diagnostics.error(
            f"reading {ctx.type_name}: no {what} matches {searched}",
            f"No {what} matches {searched}. Existing: {_listing(existing)}.",
        )
    else:
        several = f"{len(matches)} {plural or what + 's'} match {searched}"
        ctx.diagnostics.error(
            f"reading {ctx.type_name}: {several}",
            f"{several} ({_listing(describe)}); the lookup must find exactly one." + (f" {hint}" if hint else ""),
        )
    return None
