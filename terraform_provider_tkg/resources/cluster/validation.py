"""Validation of a ``tkg_cluster`` configuration: single-attribute validators (used by the schema) and the
cross-field rules (``validate``). Values may be ``Unknown``; what is not known yet is not checked.
"""

from __future__ import annotations

import ipaddress
import json
import re
from typing import Any

from ...framework.diagnostics import Key, Path
from ...framework.values import Unknown, known
from .model import Model
from .wire import (
    MANAGED_VARIABLES,
    SYSTEM_VARIABLES,
    VAR_CP_VOLUMES,
    VAR_DEFAULT_STORAGE_CLASS,
    VAR_PROXY,
    VAR_STORAGE_CLASS,
    VAR_STORAGE_CLASSES,
    VAR_TRUST,
    VAR_VM_CLASS,
)

__all__ = [
    "Problem",
    "annotations_map",
    "cidr_list",
    "json_values",
    "labels_map",
    "release_name",
    "url",
    "validate",
    "version_parts",
]

# ---------------------------------------------------------------------------------------------------------------
# Single attributes (schema validators: a message, or None when the value is fine)


def cidr_list(value: Any) -> str | None:
    for block in value:
        if block is Unknown or block is None:
            continue
        try:
            ipaddress.ip_network(block, strict=False)
        except ValueError:
            return f'{block!r} is not a CIDR block (e.g. "192.168.0.0/16").'
    return None


_LABEL_NAME = re.compile(r"([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)")
_DNS_SUBDOMAIN = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")


def _label_key_problem(key: str) -> str | None:
    prefix, _, name = key.rpartition("/")
    if prefix and (len(prefix) > 253 or not _DNS_SUBDOMAIN.fullmatch(prefix)):
        return f"key {key!r}: the prefix must be a DNS subdomain (e.g. example.com/team)."
    if not name or len(name) > 63 or not _LABEL_NAME.fullmatch(name):
        return (
            f"key {key!r}: the name part must be 1-63 alphanumerics, '-', '_' or '.', starting and ending alphanumeric."
        )
    return None


def labels_map(value: Any) -> str | None:
    for key, item in value.items():
        problem = _label_key_problem(key)
        if problem:
            return problem
        if (
            item is not Unknown
            and item is not None
            and (len(item) > 63 or not re.fullmatch(r"(" + _LABEL_NAME.pattern + ")?", item))
        ):
            return f"value {item!r} of {key!r}: label values are at most 63 alphanumerics, '-', '_' or '.'."
    return None


def annotations_map(value: Any) -> str | None:
    for key in value:
        problem = _label_key_problem(key)
        if problem:
            return problem
    return None


def json_values(value: Any) -> str | None:
    for key, item in value.items():
        if item is Unknown or item is None:
            continue
        try:
            json.loads(item)
        except ValueError as exc:
            return f'variables[{key!r}] is not valid JSON ({exc}); quote strings, e.g. jsonencode("x").'
    return None


def url(value: Any) -> str | None:
    return None if re.fullmatch(r"https?://[^\s/]+(/\S*)?", value) else f"{value!r} is not an http(s) URL."


def release_name(value: Any) -> str | None:
    if re.fullmatch(r"v?\d+\.\d+(\.\d+)?([-+.][0-9A-Za-z.+-]*)?", value):
        return None
    return (
        f'{value!r} is not a Kubernetes release: give a release name such as "v1.31.4---vmware.1-fips-vkr.3" '
        '(see data.tkg_kubernetes_releases) or its version "v1.31.4+vmware.1-fips-vkr.3".'
    )


# ---------------------------------------------------------------------------------------------------------------
# Cross-field rules

Problem = tuple[Path, str, str]  # (attribute path, summary, detail)


def version_parts(version: str) -> tuple[int, ...]:
    """``v1.31.4---vmware.1…`` → (1, 31, 4); a prefix such as ``v1.31`` gives (1, 31)."""
    match = re.match(r"^v?(\d+)\.(\d+)(?:\.(\d+))?", version)
    if not match:
        return ()
    return tuple(int(p) for p in match.groups() if p is not None)


def _networks(blocks: Any) -> list[Any]:
    out = []
    for block in blocks if isinstance(blocks, list) else []:
        if known(block):
            try:
                out.append(ipaddress.ip_network(block, strict=False))
            except ValueError:
                pass
    return out


def validate(model: Model) -> list[Problem]:
    """Cross-field rules of a configuration (single attributes are checked by the schema validators)."""
    problems: list[Problem] = []
    pools = model.node_pool if isinstance(model.node_pool, list) else []
    seen: dict[Any, int] = {}
    for index, pool in enumerate(pools):
        if known(pool.name):
            if pool.name in seen:
                problems.append(
                    (
                        (*("node_pool", index), "name"),
                        "Duplicate node pool name",
                        f"node_pool[{seen[pool.name]}] and node_pool[{index}] are both named {pool.name!r}; "
                        "pool names must be unique.",
                    )
                )
            seen.setdefault(pool.name, index)
        has_replicas = pool.replicas is not None
        has_autoscaler = pool.autoscaler is not None
        if has_replicas and has_autoscaler:
            problems.append(
                (
                    ("node_pool", index, "replicas"),
                    "Conflicting node pool sizing",
                    "Set either replicas or an autoscaler block, not both: the autoscaler owns the replica count.",
                )
            )
        elif not has_replicas and not has_autoscaler:
            problems.append(
                (
                    ("node_pool", index, "replicas"),
                    "Missing node pool size",
                    "Set replicas (a fixed number of nodes) or an autoscaler block with min_size and max_size.",
                )
            )
        auto = pool.autoscaler
        if (
            auto is not None
            and auto is not Unknown
            and known(auto.min_size)
            and known(auto.max_size)
            and auto.min_size > auto.max_size
        ):
            problems.append(
                (
                    ("node_pool", index, "autoscaler", "min_size"),
                    "Invalid autoscaler bounds",
                    f"min_size ({auto.min_size}) is larger than max_size ({auto.max_size}).",
                )
            )
        problems += _volume_problems(pool.volume, ("node_pool", index, "volume"))
    cp = model.control_plane
    if cp is not None and cp is not Unknown:
        problems += _volume_problems(cp.volume, ("control_plane", "volume"))
    net = model.network
    if net is not None and net is not Unknown:
        pods, services = _networks(net.pods_cidr_blocks), _networks(net.services_cidr_blocks)
        for p in pods:
            for s in services:
                if p.version == s.version and p.overlaps(s):
                    problems.append(
                        (
                            ("network", "services_cidr_blocks"),
                            "Overlapping cluster networks",
                            f"The services CIDR {s} overlaps the pods CIDR {p}; pods and services need disjoint "
                            "ranges.",
                        )
                    )
        names = [ca.name for ca in net.trusted_ca if known(ca.name)] if isinstance(net.trusted_ca, list) else []
        for index, name in enumerate(names):
            if name in names[:index]:
                problems.append(
                    (
                        ("network", "trusted_ca", index, "name"),
                        "Duplicate trusted CA name",
                        f"Two trusted_ca blocks are named {name!r}; names must be unique.",
                    )
                )
    storage = model.storage
    if storage is not None and storage is not Unknown and known(storage.default_class):
        classes = storage.classes
        if (
            isinstance(classes, list)
            and all(known(c) for c in classes)
            and classes
            and storage.default_class not in classes
        ):
            problems.append(
                (
                    ("storage", "default_class"),
                    "Default storage class not offered",
                    f"default_class {storage.default_class!r} must be one of storage.classes {classes}.",
                )
            )
    if isinstance(model.variables, dict):
        for name in model.variables:
            if name in MANAGED_VARIABLES or name in SYSTEM_VARIABLES:
                problems.append(
                    (
                        ("variables", Key(name)),
                        "Variable managed by a typed attribute",
                        f"The ClusterClass variable {name!r} is set from this resource's typed attributes "
                        f"({_VARIABLE_HINT.get(name, 'managed by the platform')}); remove it from variables.",
                    )
                )
    return problems


_VARIABLE_HINT = {
    VAR_VM_CLASS: "vm_class",
    VAR_STORAGE_CLASS: "storage_class",
    VAR_CP_VOLUMES: "control_plane.volume",
    VAR_STORAGE_CLASSES: "storage.classes",
    VAR_DEFAULT_STORAGE_CLASS: "storage.default_class",
    VAR_PROXY: "network.proxy",
    VAR_TRUST: "network.trusted_ca",
}


def _volume_problems(volumes: Any, path: Path) -> list[Problem]:
    problems: list[Problem] = []
    names: list[Any] = []
    for index, volume in enumerate(volumes if isinstance(volumes, list) else []):
        if known(volume.name) and volume.name in names:
            problems.append(
                (
                    (*path, index, "name"),
                    "Duplicate volume name",
                    f"Two volumes are named {volume.name!r}; names must be unique.",
                )
            )
        names.append(volume.name)
    mounts = [v.mount_path for v in volumes if known(v.mount_path)] if isinstance(volumes, list) else []
    for index, mount in enumerate(mounts):
        if mount in mounts[:index]:
            problems.append(((*path, index, "mount_path"), "Duplicate mount path", f"Two volumes mount at {mount!r}."))
    return problems
