"""Keys that ``terraform import`` read into ``labels``, ``annotations`` and ``variables`` but no configuration has
confirmed yet.

These maps manage only the keys the configuration declares; import cannot see the configuration, so it reads every key
the platform did not add, and some of those may belong to other tools (``example.com/added-by-ops``). Import records
them in private state; the first plan that does not declare one drops it from state only (with a warning) and the
update that follows leaves it on the server. Keys the configuration declares become managed as usual. The record is
cleared by the first update after the import.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from ...framework.values import Unknown
from .model import Model

__all__ = ["STATE_ONLY", "UNCONFIRMED", "forget", "remember", "state_only", "without"]

UNCONFIRMED = "imported_keys"  # private state: attribute -> keys import read
STATE_ONLY = "state_only_drops"  # planned private state: attribute -> keys the update drops from state only
MAPS = ("labels", "annotations", "variables")


def remember(private: dict[str, Any], model: Model) -> None:
    """Record the keys an import read."""
    keys = {name: sorted(getattr(model, name) or {}) for name in MAPS}
    private[UNCONFIRMED] = {name: found for name, found in keys.items() if found}


def state_only(private: dict[str, Any], prior: Model, planned: Model) -> dict[str, list[str]]:
    """attribute -> imported keys still in state that the planned configuration does not declare."""
    imported = private.get(UNCONFIRMED) or {}
    drops: dict[str, list[str]] = {}
    for name in MAPS:
        declared, held = getattr(planned, name), getattr(prior, name) or {}
        if declared is Unknown:
            continue  # not known until apply: nothing can be decided, nothing is dropped
        missing = [k for k in imported.get(name, []) if k in held and k not in (declared or {})]
        if missing:
            drops[name] = missing
    return drops


def without(model: Model, drops: dict[str, list[str]]) -> Model:
    """``model`` without the given keys, so that an update patch treats them as never managed."""
    changes: dict[str, Any] = {
        name: {k: v for k, v in (getattr(model, name) or {}).items() if k not in keys} or None
        for name, keys in drops.items()
    }
    return dataclasses.replace(model, **changes)


def forget(private: dict[str, Any]) -> None:
    """Clear the record (an update has applied the configuration)."""
    private.pop(UNCONFIRMED, None)
    private.pop(STATE_ONLY, None)
