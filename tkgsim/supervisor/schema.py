"""Structural-schema checks for custom resources: type errors (422) and unknown fields (pruned, warned or 400).

A CRD's ``openAPIV3Schema`` prunes fields it does not declare unless ``x-kubernetes-preserve-unknown-fields`` is set.
The ``fieldValidation`` query parameter decides what a client hears about them: ``Strict`` fails the request with
400 ``strict decoding error: unknown field "spec.x"``, ``Warn`` (the default) sends ``Warning`` headers, ``Ignore``
says nothing. kubectl relies on this instead of client-side validation when the OpenAPI document says the server
supports ``fieldValidation``.
"""

from __future__ import annotations

from typing import Any

from . import status

__all__ = ["check"]

_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "object": (dict,),
    "array": (list,),
}


def _type_ok(value: Any, expected: str) -> bool:
    if expected in ("integer", "number") and isinstance(value, bool):
        return False
    return isinstance(value, _TYPES.get(expected, (object,)))


def _walk(value: Any, schema: dict[str, Any], path: str, unknown: list[str], causes: list[status.Cause]) -> Any:
    if value is None:
        return value
    expected = schema.get("type")
    if expected and not _type_ok(value, expected):
        shown = value if isinstance(value, str | int | float) else type(value).__name__
        causes.append(
            status.Cause(
                path,
                f'Invalid value: "{shown}": {path} in body must be of type {expected}: "{type(value).__name__}"',
                "FieldValueTypeInvalid",
            )
        )
        return value
    if isinstance(value, dict):
        properties = schema.get("properties")
        additional = schema.get("additionalProperties")
        if properties is not None:
            for key in list(value):
                child_path = f"{path}.{key}" if path else key
                if key in properties:
                    value[key] = _walk(value[key], properties[key], child_path, unknown, causes)
                elif not schema.get("x-kubernetes-preserve-unknown-fields"):
                    unknown.append(child_path)
                    del value[key]
        elif isinstance(additional, dict):
            for key in list(value):
                value[key] = _walk(value[key], additional, f"{path}.{key}", unknown, causes)
        enum = schema.get("enum")
        if enum is not None and value not in enum:
            causes.append(status.Cause(path, f"Unsupported value: {value!r}", "FieldValueNotSupported"))
    elif isinstance(value, list) and isinstance(schema.get("items"), dict):
        for index, item in enumerate(value):
            value[index] = _walk(item, schema["items"], f"{path}[{index}]", unknown, causes)
    else:
        enum = schema.get("enum")
        if enum is not None and value not in enum:
            allowed = ", ".join(f'"{v}"' for v in enum)
            causes.append(
                status.Cause(
                    path, f'Unsupported value: "{value}": supported values: {allowed}', "FieldValueNotSupported"
                )
            )
        minimum = schema.get("minimum")
        if minimum is not None and isinstance(value, int | float) and value < minimum:
            causes.append(
                status.Cause(
                    path, f"Invalid value: {value}: {path} in body should be greater than or equal to {minimum}"
                )
            )
    return value


def check(obj: dict[str, Any], schema: dict[str, Any], *, kind: str, group: str, mode: str) -> list[str]:
    """Validate and prune ``obj`` (in place) against the object ``schema``; returns warnings.

    ``mode`` is the request's ``fieldValidation`` (``Strict``, ``Warn`` or ``Ignore``).
    """
    if not schema:
        return []
    unknown: list[str] = []
    causes: list[status.Cause] = []
    for part in ("spec", "status"):
        if part in obj and part in schema.get("properties", {}):
            obj[part] = _walk(obj[part], schema["properties"][part], part, unknown, causes)
    name = (obj.get("metadata") or {}).get("name", "")
    if causes:
        raise status.invalid(kind, group, name, causes)
    if unknown and mode == "Strict":
        joined = ", ".join(f'unknown field "{u}"' for u in unknown)
        raise status.bad_request(f"strict decoding error: {joined}")
    if unknown and mode != "Ignore":
        return [f'unknown field "{u}"' for u in unknown]
    return []
