"""Server-side printing: the ``meta.k8s.io/v1`` ``Table`` kubectl asks for with ``Accept: ...;as=Table``."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from .resources import ResourceType

__all__ = ["human_age", "table"]


def human_age(timestamp: str | None) -> str:
    """``5m``/``2d3h``-style age, like kubectl's ``HumanDuration``."""
    if not timestamp:
        return "<unknown>"
    try:
        then = datetime.strptime(timestamp, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    except ValueError:
        return "<invalid>"
    seconds = max(0, int((datetime.now(UTC) - then).total_seconds()))
    if seconds < 120:
        return f"{seconds}s"
    minutes = seconds // 60
    if minutes < 10:
        rest = seconds % 60
        return f"{minutes}m{rest}s" if rest else f"{minutes}m"
    if minutes < 180:
        return f"{minutes}m"
    hours = minutes // 60
    if hours < 48:
        return f"{hours}h"
    days = hours // 24
    return f"{days}d"


def _row_object(obj: dict[str, Any], include: str) -> dict[str, Any] | None:
    if include == "None":
        return None
    if include == "Object":
        return obj
    return {"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1", "metadata": obj.get("metadata", {})}


def table(
    rt: ResourceType, objects: list[dict[str, Any]], resource_version: str, include: str = "Metadata"
) -> dict[str, Any]:
    """A Table of ``objects`` with NAME, the type's printer columns and AGE."""
    columns: list[dict[str, Any]] = [
        {"name": "Name", "type": "string", "format": "name", "description": "Name of the object", "priority": 0}
    ]
    for column in rt.columns:
        columns.append(
            {
                "name": column.name,
                "type": column.type,
                "format": "",
                "description": column.description,
                "priority": column.priority,
            }
        )
    columns.append({"name": "Age", "type": "string", "format": "", "description": "Time since creation", "priority": 0})
    rows = []
    for obj in objects:
        cells: list[Any] = [obj["metadata"]["name"]]
        for column in rt.columns:
            try:
                value = column.value(obj)
            except (KeyError, IndexError, TypeError, AttributeError):
                value = None
            cells.append("" if value is None else value)
        cells.append(human_age(obj["metadata"].get("creationTimestamp")))
        row: dict[str, Any] = {"cells": cells}
        row_object = _row_object(obj, include)
        if row_object is not None:
            row["object"] = row_object
        rows.append(row)
    return {
        "kind": "Table",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": {"resourceVersion": resource_version},
        "columnDefinitions": columns,
        "rows": rows,
    }
