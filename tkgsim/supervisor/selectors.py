"""Label and field selectors (``?labelSelector=`` / ``?fieldSelector=``) as the API server parses them.

Label selectors support ``key``, ``!key``, ``key=value``, ``key==value``, ``key!=value``, ``key in (a,b)`` and
``key notin (a,b)``, joined by commas. Field selectors support ``=``, ``==`` and ``!=`` on ``metadata.name``,
``metadata.namespace`` and, for convenience, any dotted path into the object.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from . import status

__all__ = ["Matcher", "parse_field_selector", "parse_label_selector"]

Matcher = Callable[[dict[str, Any]], bool]

_SET_RE = re.compile(r"^\s*([A-Za-z0-9./_-]+)\s+(in|notin)\s+\(([^)]*)\)\s*$")
_OP_RE = re.compile(r"^\s*([A-Za-z0-9./_-]+)\s*(==|!=|=)\s*([A-Za-z0-9._-]*)\s*$")
_EXISTS_RE = re.compile(r"^\s*(!?)\s*([A-Za-z0-9./_-]+)\s*$")


def _split_requirements(text: str) -> list[str]:
    """Split on commas that are not inside parentheses."""
    parts: list[str] = []
    depth = 0
    current = ""
    for char in text:
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        if char == "," and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += char
    if current.strip():
        parts.append(current)
    return [p for p in parts if p.strip()]


def _in_check(key: str, values: set[str], *, negate: bool) -> Callable[[dict[str, str]], bool]:
    def check(labels: dict[str, str]) -> bool:
        inside = key in labels and labels[key] in values
        return not inside if negate else inside

    return check


def _equals_check(key: str, value: str, *, negate: bool) -> Callable[[dict[str, str]], bool]:
    def check(labels: dict[str, str]) -> bool:
        if negate:
            return labels.get(key) != value
        return key in labels and labels[key] == value

    return check


def _exists_check(key: str, *, negate: bool) -> Callable[[dict[str, str]], bool]:
    def check(labels: dict[str, str]) -> bool:
        return (key not in labels) if negate else (key in labels)

    return check


def _field_check(path: str, value: str, *, negate: bool) -> Matcher:
    def check(obj: dict[str, Any]) -> bool:
        found = _lookup(obj, path)
        return found != value if negate else found == value

    return check


def parse_label_selector(text: str | None) -> Matcher:
    """A predicate on objects for a label selector string; 400 BadRequest if it does not parse."""
    if not text:
        return lambda _obj: True
    checks: list[Callable[[dict[str, str]], bool]] = []
    for requirement in _split_requirements(text):
        match = _SET_RE.match(requirement)
        if match:
            key, op, raw_values = match.groups()
            values = {v.strip() for v in raw_values.split(",") if v.strip()}
            checks.append(_in_check(key, values, negate=op == "notin"))
            continue
        match = _OP_RE.match(requirement)
        if match:
            key, op, value = match.groups()
            checks.append(_equals_check(key, value, negate=op == "!="))
            continue
        match = _EXISTS_RE.match(requirement)
        if match:
            negate, key = match.groups()
            checks.append(_exists_check(key, negate=bool(negate)))
            continue
        raise status.bad_request(f"unable to parse requirement: {requirement.strip()!r}")

    def matcher(obj: dict[str, Any]) -> bool:
        labels = obj.get("metadata", {}).get("labels") or {}
        return all(check(labels) for check in checks)

    return matcher


def _lookup(obj: dict[str, Any], path: str) -> str | None:
    node: Any = obj
    for part in path.split("."):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    if isinstance(node, bool):
        return "true" if node else "false"
    return None if node is None else str(node)


def parse_field_selector(text: str | None) -> Matcher:
    """A predicate on objects for a field selector string; 400 BadRequest if it does not parse."""
    if not text:
        return lambda _obj: True
    checks: list[Matcher] = []
    for requirement in _split_requirements(text):
        match = re.match(r"^\s*([A-Za-z0-9._-]+)\s*(==|!=|=)\s*(.*?)\s*$", requirement)
        if not match:
            raise status.bad_request(f"invalid selector: '{text}'; can't understand '{requirement}'")
        path, op, value = match.groups()
        checks.append(_field_check(path, value, negate=op == "!="))
    return lambda obj: all(check(obj) for check in checks)
