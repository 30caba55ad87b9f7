"""Reusable attribute validators. Each returns an error message for a bad value, or None.

The message says what is wrong and what is allowed; the framework adds the attribute path and never calls a
validator with an unknown or null value.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from . import durations
from .schema import Validator

__all__ = [
    "between",
    "dns1123_label",
    "duration",
    "each",
    "integer",
    "json_object",
    "length_between",
    "matches",
    "one_of",
    "unique",
]


def one_of(*allowed: Any) -> Validator:
    def check(value: Any) -> str | None:
        if value in allowed:
            return None
        return f"{value!r} is not allowed; expected one of: {', '.join(repr(a) for a in allowed)}."

    return check


def between(low: float | None = None, high: float | None = None) -> Validator:
    def check(value: Any) -> str | None:
        if (low is not None and value < low) or (high is not None and value > high):
            if high is None:
                return f"{value} is too small; it must be at least {low}."
            if low is None:
                return f"{value} is too large; it must be at most {high}."
            return f"{value} is out of range; it must be between {low} and {high}."
        return None

    return check


def length_between(low: int, high: int) -> Validator:
    def check(value: Any) -> str | None:
        if not low <= len(value) <= high:
            return f"length {len(value)} is not allowed; it must be between {low} and {high}."
        return None

    return check


def matches(pattern: str, explanation: str) -> Validator:
    compiled = re.compile(pattern)

    def check(value: Any) -> str | None:
        return None if compiled.fullmatch(value) else f"{value!r} is not valid: {explanation}"

    return check


_DNS1123_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")


def dns1123_label(value: Any) -> str | None:
    """A DNS-1123 label: at most 63 lowercase alphanumerics or '-', starting and ending alphanumeric."""
    if len(value) > 63 or not _DNS1123_LABEL.fullmatch(value):
        return (
            f"{value!r} is not a valid name: it must be a DNS-1123 label of at most 63 characters, made of lowercase "
            "letters, digits and '-', starting and ending with a letter or digit (e.g. 'team-a')."
        )
    return None


def duration(value: Any) -> str | None:
    """A Go-style duration such as "45m" or "1h30m"."""
    try:
        durations.parse(value)
    except ValueError as exc:
        return str(exc)
    return None


def json_object(value: Any) -> str | None:
    import json

    try:
        parsed = json.loads(value)
    except ValueError as exc:
        return f"not valid JSON: {exc}."
    return None if isinstance(parsed, dict) else "must be a JSON object ({...})."


def unique(*fields: str) -> Validator:
    """For a list of objects: no two elements share the same value of ``fields``."""

    def check(value: Iterable[Any]) -> str | None:
        seen: set[tuple[Any, ...]] = set()
        for element in value:
            key = tuple(element.get(f) for f in fields)
            if key in seen:
                return f"duplicate {'/'.join(fields)} {key if len(key) > 1 else key[0]!r}; each must be unique."
            seen.add(key)
        return None

    return check


def integer(value: Any) -> str | None:
    """A whole number (Terraform numbers may carry fractions)."""
    if isinstance(value, bool) or not isinstance(value, int | float) or value != int(value):
        return f"{value!r} is not a whole number."
    return None


def each(*checks: Validator) -> Validator:
    """For a list, set or map value: every element (map value) passes ``checks``; the message names the element."""

    def check(value: Any) -> str | None:
        elements = value.values() if isinstance(value, dict) else value
        for element in elements:
            if element is None:
                return "elements must not be null."
            for inner in checks:
                message = inner(element)
                if message:
                    return f"element {element!r}: {message}"
        return None

    return check
