"""What the Supervisor's API serves: one :class:`ResourceType` per kind, registered explicitly.

The generic engine (``tkgsim.supervisor.engine``) implements CRUD, patch, watch and tables for every registered
type. Kind-specific behaviour (admission webhooks, printer columns, schemas) hangs off the ``ResourceType`` and is
defined in the module that mirrors the kind's URL (``apis/cluster_x_k8s_io/v1beta1/clusters.py`` for the CAPI
``Cluster``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from .store import Store

__all__ = ["AdmissionRequest", "Admit", "Column", "Registry", "ResourceType"]


@dataclass(frozen=True)
class AdmissionRequest:
    """What a mutating/validating admission hook sees (like ``admission.k8s.io`` ``AdmissionReview``)."""

    operation: str  # CREATE | UPDATE
    obj: dict[str, Any]  # the object as it would be stored (mutable: hooks may change it)
    old: dict[str, Any] | None
    user: str
    store: Store
    dry_run: bool = False


class Admit(Protocol):
    """An admission hook: mutate ``req.obj`` in place and/or raise ``KubeError``; returns warnings."""

    def __call__(self, req: AdmissionRequest) -> list[str]: ...


@dataclass(frozen=True)
class Column:
    """A printer column for ``kubectl get`` (server-side Table)."""

    name: str
    type: str
    value: Callable[[dict[str, Any]], Any]
    description: str = ""
    priority: int = 0


@dataclass(frozen=True)
class ResourceType:
    """One served kind at one group/version."""

    group: str  # "" for the core group
    version: str
    kind: str
    plural: str
    namespaced: bool
    short_names: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    # Built-in (non-CRD) types accept strategic merge patch and have no metadata.generation.
    builtin: bool = False
    # Whether a /status subresource exists (status is then ignored on the main resource and vice versa).
    status_subresource: bool = True
    admit: tuple[Admit, ...] = ()
    columns: tuple[Column, ...] = ()
    # OpenAPI v3 schema of the object (apiVersion/kind/metadata are added by the OpenAPI builder).
    schema: dict[str, Any] = field(default_factory=dict)
    # Fields a user may not write on the main resource besides status (e.g. Secret "type" is immutable).
    immutable_fields: tuple[str, ...] = ()

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def key(self) -> str:
        """Storage key: the group-qualified plural (``clusters.cluster.x-k8s.io``), version-independent."""
        return f"{self.plural}.{self.group}" if self.group else self.plural

    @property
    def singular(self) -> str:
        return self.kind.lower()

    @property
    def verbs(self) -> list[str]:
        return ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"]


class Registry:
    """All served types, looked up by URL parts or by apiVersion+kind."""

    def __init__(self, types: Iterable[ResourceType]) -> None:
        self.types: list[ResourceType] = list(types)
        self._by_path = {(t.group, t.version, t.plural): t for t in self.types}
        self._by_gvk = {(t.api_version, t.kind): t for t in self.types}
        self._by_kind: dict[str, ResourceType] = {}
        for t in self.types:
            self._by_kind.setdefault(t.kind, t)

    def find(self, group: str, version: str, plural: str) -> ResourceType | None:
        return self._by_path.get((group, version, plural))

    def by_gvk(self, api_version: str, kind: str) -> ResourceType | None:
        return self._by_gvk.get((api_version, kind))

    def by_kind(self, kind: str) -> ResourceType:
        """The first registered type of ``kind`` (used by controllers that write known kinds)."""
        return self._by_kind[kind]

    def groups(self) -> dict[str, list[str]]:
        """group -> versions in registration order (first = preferred)."""
        result: dict[str, list[str]] = {}
        for t in self.types:
            versions = result.setdefault(t.group, [])
            if t.version not in versions:
                versions.append(t.version)
        return result

    def in_group_version(self, group: str, version: str) -> list[ResourceType]:
        return [t for t in self.types if t.group == group and t.version == version]
