"""Patch formats and field ownership: JSON merge patch, JSON patch, strategic merge patch, server-side apply.

Field ownership (``metadata.managedFields``) is tracked at leaf granularity with lists treated as atomic values,
which is how server-side apply treats lists without ``x-kubernetes-list-type: map``. It is enough for the behaviour
clients depend on: an apply by one manager conflicts (409) with a different value written by another manager unless
``force=true``, and fields a manager stops applying are removed when nobody else owns them.
"""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

from . import status

__all__ = [
    "FieldPath",
    "apply",
    "json_patch",
    "merge_patch",
    "record_update",
    "strategic_merge_patch",
]

FieldPath = tuple[str, ...]

# Fields never tracked in managedFields (identity and server-owned metadata).
_UNTRACKED_META = {
    "name",
    "namespace",
    "uid",
    "resourceVersion",
    "generation",
    "creationTimestamp",
    "deletionTimestamp",
    "deletionGracePeriodSeconds",
    "managedFields",
    "selfLink",
    "generateName",
}


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7386 JSON merge patch: objects merge recursively, ``null`` deletes, everything else replaces."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = copy.deepcopy(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


def _strip_directives(patch: Any) -> Any:
    if isinstance(patch, dict):
        return {k: _strip_directives(v) for k, v in patch.items() if not k.startswith("$")}
    return patch


def strategic_merge_patch(target: Any, patch: Any) -> Any:
    """Strategic merge patch for the built-in kinds served here.

    None of the served built-in kinds has a list whose merge key matters to clients (Secret, Namespace, StorageClass,
    ResourceQuota), so this is a merge patch that drops ``$patch``/``$retainKeys`` style directives.
    """
    return merge_patch(target, _strip_directives(patch))


def _pointer(path: str) -> list[str]:
    if path == "":
        return []
    if not path.startswith("/"):
        raise status.bad_request(
            f"the server rejected our request due to an error in our request: invalid JSON pointer {path!r}"
        )
    return [p.replace("~1", "/").replace("~0", "~") for p in path[1:].split("/")]


def _resolve(doc: Any, parts: list[str]) -> Any:
    node = doc
    for part in parts:
        if isinstance(node, dict):
            if part not in node:
                raise KeyError(part)
            node = node[part]
        elif isinstance(node, list):
            node = node[int(part)]
        else:
            raise KeyError(part)
    return node


def _add(doc: Any, parts: list[str], value: Any, *, replace: bool) -> Any:
    if not parts:
        return copy.deepcopy(value)
    parent = _resolve(doc, parts[:-1])
    last = parts[-1]
    if isinstance(parent, dict):
        if replace and last not in parent:
            raise KeyError(last)
        parent[last] = copy.deepcopy(value)
    elif isinstance(parent, list):
        if last == "-":
            parent.append(copy.deepcopy(value))
        else:
            index = int(last)
            if replace:
                parent[index] = copy.deepcopy(value)
            else:
                if index < 0 or index > len(parent):
                    raise IndexError(index)
                parent.insert(index, copy.deepcopy(value))
    else:
        raise KeyError(last)
    return doc


def _remove(doc: Any, parts: list[str]) -> Any:
    parent = _resolve(doc, parts[:-1])
    last = parts[-1]
    if isinstance(parent, dict):
        del parent[last]
    elif isinstance(parent, list):
        del parent[int(last)]
    else:
        raise KeyError(last)
    return doc


def json_patch(target: Any, operations: Any) -> Any:
    """RFC 6902 JSON patch (add, remove, replace, move, copy, test)."""
    if not isinstance(operations, list):
        raise status.bad_request(
            "the server rejected our request due to an error in our request: json patch must be a list"
        )
    doc = copy.deepcopy(target)
    for op in operations:
        if not isinstance(op, dict) or "op" not in op or "path" not in op:
            raise status.bad_request(
                "the server rejected our request due to an error in our request: invalid json patch operation"
            )
        kind = op["op"]
        parts = _pointer(op["path"])
        try:
            if kind == "add":
                doc = _add(doc, parts, op.get("value"), replace=False)
            elif kind == "replace":
                doc = _add(doc, parts, op.get("value"), replace=True)
            elif kind == "remove":
                doc = _remove(doc, parts)
            elif kind in ("move", "copy"):
                source = _pointer(op["from"])
                value = copy.deepcopy(_resolve(doc, source))
                if kind == "move":
                    doc = _remove(doc, source)
                doc = _add(doc, parts, value, replace=False)
            elif kind == "test":
                if _resolve(doc, parts) != op.get("value"):
                    raise status.KubeError(
                        422,
                        "Invalid",
                        "the server rejected our request due to an error in our request: "
                        f"testing value {op['path']} failed",
                    )
            else:
                raise status.bad_request(
                    "the server rejected our request due to an error in our request: "
                    f"unexpected kind of operation {kind!r}"
                )
        except (KeyError, IndexError, ValueError, TypeError) as exc:
            raise status.KubeError(
                422,
                "Invalid",
                f"the server rejected our request due to an error in our request: {kind} operation does not apply: "
                f"doc is missing path: {op['path']!r}",
            ) from exc
    return doc


# ---------------------------------------------------------------------------------------------------- ownership


def leaf_paths(obj: Any, prefix: FieldPath = ()) -> dict[FieldPath, Any]:
    """Every tracked leaf of an object (lists are atomic leaves) mapped to its value."""
    result: dict[FieldPath, Any] = {}
    if isinstance(obj, dict) and obj:
        for key, value in obj.items():
            if not prefix and key in ("apiVersion", "kind"):
                continue
            if prefix == ("metadata",) and key in _UNTRACKED_META:
                continue
            result.update(leaf_paths(value, (*prefix, key)))
    elif prefix:
        result[prefix] = obj
    return result


def _fields_v1(paths: set[FieldPath]) -> dict[str, Any]:
    tree: dict[str, Any] = {}
    for path in sorted(paths):
        node = tree
        for part in path:
            node = node.setdefault(f"f:{part}", {})
        node.setdefault(".", {}) if node else None
    return tree


def _paths_from_fields_v1(tree: dict[str, Any], prefix: FieldPath = ()) -> set[FieldPath]:
    paths: set[FieldPath] = set()
    children = {k: v for k, v in tree.items() if k.startswith("f:")}
    if not children and prefix:
        paths.add(prefix)
    for key, sub in children.items():
        paths |= _paths_from_fields_v1(sub or {}, (*prefix, key[2:]))
    if "." in tree and prefix:
        paths.add(prefix)
    return paths


def _get(obj: Any, path: FieldPath) -> Any:
    node = obj
    for part in path:
        if not isinstance(node, dict) or part not in node:
            return _MISSING
        node = node[part]
    return node


def _delete(obj: dict[str, Any], path: FieldPath) -> None:
    node: Any = obj
    parents: list[tuple[dict[str, Any], str]] = []
    for part in path[:-1]:
        if not isinstance(node, dict) or part not in node:
            return
        parents.append((node, part))
        node = node[part]
    if isinstance(node, dict):
        node.pop(path[-1], None)
    # Prune maps that became empty because of the removal.
    for parent, part in reversed(parents):
        if parent.get(part) == {}:
            del parent[part]


class _Missing:
    pass


_MISSING = _Missing()


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _entries(obj: dict[str, Any]) -> list[dict[str, Any]]:
    return list((obj.get("metadata") or {}).get("managedFields") or [])


def _set_entries(obj: dict[str, Any], entries: list[dict[str, Any]]) -> None:
    kept = [e for e in entries if e.get("fieldsV1")]
    if kept:
        obj.setdefault("metadata", {})["managedFields"] = kept
    else:
        obj.get("metadata", {}).pop("managedFields", None)


def _entry(
    manager: str, operation: str, api_version: str, paths: set[FieldPath], subresource: str | None
) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "manager": manager,
        "operation": operation,
        "apiVersion": api_version,
        "time": _now(),
        "fieldsType": "FieldsV1",
        "fieldsV1": _fields_v1(paths),
    }
    if subresource:
        entry["subresource"] = subresource
    return entry


def _same_owner(entry: dict[str, Any], manager: str, operation: str, subresource: str | None) -> bool:
    return bool(
        entry.get("manager") == manager
        and entry.get("operation") == operation
        and entry.get("subresource") == subresource
    )


def record_update(
    old: dict[str, Any] | None, new: dict[str, Any], manager: str, *, subresource: str | None = None
) -> dict[str, Any]:
    """Give ``manager`` (operation Update) the fields that differ between ``old`` and ``new``; returns ``new``."""
    old_leaves = leaf_paths(old or {})
    new_leaves = leaf_paths(new)
    changed = {p for p, v in new_leaves.items() if old_leaves.get(p, _MISSING) != v}
    removed = set(old_leaves) - set(new_leaves)
    entries = _entries(old or {})
    result_entries: list[dict[str, Any]] = []
    mine: set[FieldPath] = set()
    for entry in entries:
        paths = _paths_from_fields_v1(entry.get("fieldsV1") or {})
        if _same_owner(entry, manager, "Update", subresource):
            mine |= paths
            continue
        paths -= changed
        paths -= removed
        if paths:
            result_entries.append({**entry, "fieldsV1": _fields_v1(paths)})
    mine = (mine | changed) - removed
    mine &= set(new_leaves)
    if mine:
        result_entries.append(_entry(manager, "Update", new.get("apiVersion", ""), mine, subresource))
    _set_entries(new, result_entries)
    return new


def apply(
    live: dict[str, Any] | None, applied: dict[str, Any], manager: str, *, force: bool, subresource: str | None = None
) -> dict[str, Any]:
    """Server-side apply of ``applied`` by ``manager`` onto ``live`` (None: create). Raises 409 on conflicts."""
    applied_leaves = leaf_paths(applied)
    applied_paths = set(applied_leaves)
    if live is None:
        result = copy.deepcopy(applied)
        result.setdefault("metadata", {}).pop("managedFields", None)
        _set_entries(result, [_entry(manager, "Apply", applied.get("apiVersion", ""), applied_paths, subresource)])
        return result
    entries = _entries(live)
    conflicts: list[tuple[str, FieldPath]] = []
    previously_mine: set[FieldPath] = set()
    others: list[tuple[dict[str, Any], set[FieldPath]]] = []
    for entry in entries:
        paths = _paths_from_fields_v1(entry.get("fieldsV1") or {})
        if _same_owner(entry, manager, "Apply", subresource):
            previously_mine = paths
            continue
        others.append((entry, paths))
        for path in paths & applied_paths:
            if _get(live, path) != applied_leaves[path]:
                conflicts.append((str(entry.get("manager")), path))
    if conflicts and not force:
        name = (live.get("metadata") or {}).get("name", "")
        causes = [
            status.Cause("." + ".".join(path), f'conflict with "{mgr}"', "FieldManagerConflict")
            for mgr, path in conflicts
        ]
        lines = "\n".join(f'- conflict with "{mgr}": .{".".join(path)}' for mgr, path in conflicts)
        err = status.KubeError(
            409,
            "Conflict",
            f"Apply failed with {len(conflicts)} conflict{'s' if len(conflicts) > 1 else ''}: {lines}",
            {"name": name, "causes": [c.to_json() for c in causes]},
        )
        raise err
    result = copy.deepcopy(live)
    still_owned: set[FieldPath] = set()
    new_entries: list[dict[str, Any]] = []
    for entry, paths in others:
        if force:
            paths = paths - applied_paths
        still_owned |= paths
        if paths:
            new_entries.append({**entry, "fieldsV1": _fields_v1(paths)})
    for path in previously_mine - applied_paths - still_owned:
        _delete(result, path)
    for path, value in applied_leaves.items():
        node = result
        for part in path[:-1]:
            child = node.get(part)
            if not isinstance(child, dict):
                child = {}
                node[part] = child
            node = child
        node[path[-1]] = copy.deepcopy(value)
    new_entries.append(_entry(manager, "Apply", applied.get("apiVersion", ""), applied_paths, subresource))
    _set_entries(result, new_entries)
    return result
