"""Reading the official ``vmware-vcenter`` bindings: REST metadata of operations and the type definitions.

Nothing here knows about the simulator; the contract tests compare the simulator against what this returns.
"""

from __future__ import annotations

import dataclasses
import importlib
import re
from typing import Any

from vmware.vapi.bindings import type as vtype


class _FakeConnector:
    def get_api_provider(self) -> object:
        return object()


class _FakeConfig:
    connector = _FakeConnector()


@dataclasses.dataclass(frozen=True)
class BindingOperation:
    """One operation of a binding interface: its REST metadata and its types."""

    http_method: str
    url_template: str
    path_variables: dict[str, str]
    dispatch_parameters: dict[str, str]
    request_body_parameter: str | None
    input_type: vtype.StructType
    output_type: vtype.BindingType
    error_types: frozenset[str]


def operation(module: str, interface: str, name: str) -> BindingOperation:
    """Instantiate ``_<interface>Stub`` of ``module`` without a connection and read one operation."""
    stub_class = getattr(importlib.import_module(module), f"_{interface}Stub")
    stub = stub_class(_FakeConfig())
    rest = stub._rest_metadata[name]
    info = stub._operations[name]
    return BindingOperation(
        http_method=rest.http_method,
        url_template=rest._url_template,
        path_variables=dict(rest._path_variables),
        dispatch_parameters=dict(rest._dispatch_parameters),
        request_body_parameter=rest.request_body_parameter,
        input_type=info["input_type"],
        output_type=info["output_type"],
        error_types=frozenset(key.rsplit(".", 1)[1].upper() for key in info["errors"]),
    )


def struct_type(module: str, qualified_class: str) -> vtype.StructType:
    """The StructType of a binding class such as ``Instances.CreateSpecV2``."""
    target: Any = importlib.import_module(module)
    for part in qualified_class.split("."):
        target = getattr(target, part)
    binding = target.get_binding_type()
    assert isinstance(binding, vtype.StructType)
    return binding


def resolve(binding: vtype.BindingType) -> vtype.BindingType:
    """Follow references."""
    while isinstance(binding, vtype.ReferenceType):
        binding = binding.resolved_type
    return binding


def unwrap_optional(binding: vtype.BindingType) -> tuple[vtype.BindingType, bool]:
    """(element type, True) for ``OptionalType``, else (type, False); references resolved."""
    binding = resolve(binding)
    if isinstance(binding, vtype.OptionalType):
        return resolve(binding.element_type), True
    return binding, False


def enum_values(binding: vtype.EnumType) -> set[str]:
    """The values an enum type allows."""
    return {str(value) for value in binding.binding_class.get_values()}


def normalize_template(path: str) -> str:
    """Path variables do not matter by name on the wire: ``{libraryId}`` == ``{library_id}``."""
    return re.sub(r"\{[^}]+\}", "{}", path)


_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$")


def check_value(binding: vtype.BindingType, value: Any, path: str, problems: list[str], seen: set[str]) -> None:
    """Walk ``value`` (decoded JSON) against ``binding``; append one line per mismatch, record checked struct fields.

    Rules: every key of an object must be a field of the structure with exactly that spelling, every non-optional
    field must be present, enum values must be allowed, scalars must have the JSON type of the binding type.
    """
    binding, optional = unwrap_optional(binding)
    if value is None:
        if not optional:
            problems.append(f"{path}: null for a required value")
        return
    if isinstance(binding, vtype.DynamicStructType | vtype.OpaqueType):
        if not isinstance(value, dict):
            problems.append(f"{path}: expected an object (dynamic structure)")
        return
    if isinstance(binding, vtype.StructType):
        if not isinstance(value, dict):
            problems.append(f"{path}: expected an object for {binding.name}")
            return
        fields = set(binding.get_field_names())
        for key in value:
            if key not in fields:
                problems.append(f"{path}.{key}: not a field of {binding.name} (fields: {sorted(fields)})")
        for name in fields:
            _, field_optional = unwrap_optional(binding.get_field(name))
            if name in value:
                seen.add(f"{binding.name}.{name}")
                check_value(binding.get_field(name), value[name], f"{path}.{name}", problems, seen)
            elif not field_optional:
                problems.append(f"{path}: required field {name!r} of {binding.name} is missing")
        return
    if isinstance(binding, vtype.ListType | vtype.SetType):
        if not isinstance(value, list):
            problems.append(f"{path}: expected an array")
            return
        for index, element in enumerate(value):
            check_value(binding.element_type, element, f"{path}[{index}]", problems, seen)
        return
    if isinstance(binding, vtype.MapType):
        if not isinstance(value, dict):
            problems.append(f"{path}: expected an object (map)")
            return
        for key, element in value.items():
            check_value(binding.value_type, element, f"{path}[{key}]", problems, seen)
        return
    if isinstance(binding, vtype.EnumType):
        allowed = enum_values(binding)
        if value not in allowed:
            problems.append(f"{path}: {value!r} is not a value of {binding.name} {sorted(allowed)}")
        return
    if isinstance(binding, vtype.BooleanType):
        if not isinstance(value, bool):
            problems.append(f"{path}: expected a boolean")
        return
    if isinstance(binding, vtype.IntegerType):
        if isinstance(value, bool) or not isinstance(value, int):
            problems.append(f"{path}: expected an integer")
        return
    if isinstance(binding, vtype.DoubleType):
        if isinstance(value, bool) or not isinstance(value, int | float):
            problems.append(f"{path}: expected a number")
        return
    if isinstance(binding, vtype.DateTimeType):
        if not isinstance(value, str) or not _DATETIME.match(value):
            problems.append(f"{path}: {value!r} is not an RFC 3339 UTC datetime")
        return
    if isinstance(binding, vtype.StringType | vtype.IdType | vtype.SecretType | vtype.URIType):
        if not isinstance(value, str):
            problems.append(f"{path}: expected a string")
        return
    if isinstance(binding, vtype.VoidType):
        problems.append(f"{path}: a void operation returned a body")
        return
    problems.append(f"{path}: unchecked binding type {type(binding).__name__}")
