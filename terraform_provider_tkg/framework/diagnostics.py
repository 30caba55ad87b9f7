"""Diagnostics with attribute paths, and the conversion of exceptions into diagnostics.

A path is a tuple of steps: ``str`` is an attribute or block name, ``int`` a list index, ``Key`` a map key. Set
elements cannot be addressed in the plugin protocol, so a path into a set stops at the set itself.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Iterator
from typing import Any

from tf.gen import tfplugin_pb2 as pb

__all__ = ["Diagnostic", "Diagnostics", "Key", "Path", "format_path"]

log = logging.getLogger(__name__)


class Key(str):
    """A map key step in a path (as opposed to an attribute name)."""

    __slots__ = ()


Path = tuple[Any, ...]


def format_path(path: Path) -> str:
    """Render a path as Terraform shows it: ``node_pool[0].taint``, ``labels["team"]``."""
    out = ""
    for step in path:
        if isinstance(step, Key):
            out += f'["{step}"]'
        elif isinstance(step, int):
            out += f"[{step}]"
        else:
            out += f".{step}" if out else step
    return out


def path_to_pb(path: Path) -> pb.AttributePath:
    steps = []
    for step in path:
        if isinstance(step, Key):
            steps.append(pb.AttributePath.Step(element_key_string=str(step)))
        elif isinstance(step, int):
            steps.append(pb.AttributePath.Step(element_key_int=step))
        else:
            steps.append(pb.AttributePath.Step(attribute_name=step))
    return pb.AttributePath(steps=steps)


def path_from_pb(attribute_path: pb.AttributePath) -> Path:
    steps: list[Any] = []
    for step in attribute_path.steps:
        kind = step.WhichOneof("selector")
        if kind == "attribute_name":
            steps.append(step.attribute_name)
        elif kind == "element_key_int":
            steps.append(step.element_key_int)
        else:
            steps.append(Key(step.element_key_string))
    return tuple(steps)


@dataclasses.dataclass(frozen=True)
class Diagnostic:
    severity: str  # "error" or "warning"
    summary: str
    detail: str = ""
    path: Path | None = None

    def to_pb(self) -> pb.Diagnostic:
        severity = pb.Diagnostic.ERROR if self.severity == "error" else pb.Diagnostic.WARNING
        msg = pb.Diagnostic(severity=severity, summary=self.summary, detail=self.detail)
        if self.path:
            msg.attribute.CopyFrom(path_to_pb(self.path))
        return msg

    def __str__(self) -> str:
        where = f" ({format_path(self.path)})" if self.path else ""
        return f"{self.severity}{where}: {self.summary}" + (f": {self.detail}" if self.detail else "")


class Diagnostics:
    """An ordered collection of diagnostics for one RPC."""

    def __init__(self) -> None:
        self.items: list[Diagnostic] = []

    def error(self, summary: str, detail: str = "", path: Path | None = None) -> None:
        """Add an error; with a path, Terraform points at that attribute in the configuration."""
        self.items.append(Diagnostic("error", summary, detail, tuple(path) if path else None))

    def warning(self, summary: str, detail: str = "", path: Path | None = None) -> None:
        """Add a warning."""
        self.items.append(Diagnostic("warning", summary, detail, tuple(path) if path else None))

    def extend(self, other: Diagnostics) -> None:
        self.items.extend(other.items)

    def bug(self, operation: str, exc: BaseException) -> None:
        """Turn an unexpected exception into one error, with the traceback in the provider log only."""
        log.error("unexpected error while %s", operation, exc_info=exc)
        self.error(
            f"{operation}: unexpected provider error",
            f"{type(exc).__name__}: {exc}\n\nThis is a bug in the provider; the full traceback is in the provider log "
            "(TF_LOG=debug). Please report it.",
        )

    @property
    def has_errors(self) -> bool:
        return any(d.severity == "error" for d in self.items)

    def to_pb(self) -> list[pb.Diagnostic]:
        return [d.to_pb() for d in self.items]

    def __iter__(self) -> Iterator[Diagnostic]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)
