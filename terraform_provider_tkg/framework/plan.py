"""The plan engine: pure functions over a schema block and values.

- ``validate``: validators and read-only checks at any depth, with attribute paths.
- ``plan``: builds the planned state from Terraform's proposed state and the configuration: defaults and unknowns
  for computed attributes, replace paths for ``requires_replace`` attributes and blocks at any depth.
- ``diff``: the paths whose values differ (changes inside blocks included).
- ``unknown_computed``: on an update, computed values the configuration leaves null become unknown (unless stable),
  because the update may change them; ``keep_stable`` makes an update return the planned value of stable ones.
- ``keep_equal``: keeps the earlier representation of values that are semantically equal (JSON key order, set
  order), so a refresh or an apply never shows a change the user did not make.
"""

from __future__ import annotations

import copy
from typing import Any

from .diagnostics import Diagnostics, Path, format_path
from .schema import NO_DEFAULT, Block, NestedBlock, Nesting
from .values import Unknown, is_fully_known

__all__ = ["diff", "keep_equal", "keep_stable", "plan", "plan_change", "unknown_computed", "validate"]


def _get(value: Any, name: str) -> Any:
    return value.get(name) if isinstance(value, dict) else None


def _items(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


# ---------------------------------------------------------------------------------------------------------------
# validate


def validate(block: Block, config: Any, diags: Diagnostics, path: Path = ()) -> None:
    """Run attribute validators and read-only checks on a configuration value of ``block``."""
    if not isinstance(config, dict):
        return
    for name, attr in block.attributes.items():
        value = config.get(name)
        where = (*path, name)
        if value is None:
            continue
        if attr.computed and not (attr.optional or attr.required):
            diags.error(
                f"Invalid configuration for {format_path(where)}",
                f"{format_path(where)} is computed by the provider and cannot be set in configuration.",
                where,
            )
            continue
        if attr.deprecated:
            diags.warning(f"Deprecated attribute {format_path(where)}", attr.deprecated, where)
        if not is_fully_known(value):
            continue
        for check in attr.validators:
            message = check(value)
            if message:
                diags.error(f"Invalid value for {format_path(where)}", message, where)
    for name, nested in block.blocks.items():
        value = config.get(name)
        if nested.single:
            validate(nested.block, value, diags, (*path, name))
        elif nested.nesting is Nesting.LIST:
            for i, element in enumerate(_items(value)):
                validate(nested.block, element, diags, (*path, name, i))
        else:
            for element in _items(value):
                validate(nested.block, element, diags, (*path, name))


# ---------------------------------------------------------------------------------------------------------------
# plan


def plan(
    block: Block,
    prior: Any,
    proposed: Any,
    config: Any,
    replace: set[Path],
    path: Path = (),
    exists: bool | None = None,
) -> Any:
    """The planned value of ``block``; replace paths are added to ``replace``.

    ``prior`` is this block's value in the prior state (None when it is new); ``exists`` says whether the resource
    itself exists (default: ``prior is not None``), which is when replace rules apply.
    """
    if not isinstance(proposed, dict):
        return proposed
    if exists is None:
        exists = prior is not None
    planned: dict[str, Any] = {}
    for name, attr in block.attributes.items():
        value = attr.type.normalize(proposed.get(name))
        if attr.computed and _get(config, name) is None:
            if attr.default is not NO_DEFAULT:
                value = copy.deepcopy(attr.default)
            elif value is None and prior is None:
                value = Unknown  # new object or element: the provider fills it in; otherwise keep the prior null
        if exists and attr.requires_replace and not attr.type.equal(_get(prior, name), value):
            replace.add((*path, name))
        planned[name] = value
    for name, nested in block.blocks.items():
        planned[name] = _plan_nested(
            nested, _get(prior, name), proposed.get(name), _get(config, name), exists, replace, (*path, name)
        )
    return planned


def _plan_nested(
    nested: NestedBlock, prior: Any, proposed: Any, config: Any, exists: bool, replace: set[Path], path: Path
) -> Any:
    if proposed is Unknown:
        planned = proposed
    elif nested.single:
        planned = plan(nested.block, prior, proposed, config, replace, path, exists=exists)
    elif nested.nesting is Nesting.LIST:
        priors, configs = _items(prior), _items(config)
        planned = [
            plan(
                nested.block,
                priors[i] if i < len(priors) else None,
                element,
                configs[i] if i < len(configs) else None,
                replace,
                (*path, i),
                exists=exists and i < len(priors),
            )
            for i, element in enumerate(_items(proposed))
        ]
    else:
        planned = _plan_set(nested, prior, proposed, config, exists, replace, path)
    if exists and nested.requires_replace and not nested.equal(prior, planned):
        replace.add(path)
    return planned


def _identity(block: Block, element: Any) -> Any:
    """What identifies a set element: its configurable attributes (computed ones are filled in later)."""
    return {n: element.get(n) for n, a in block.attributes.items() if not a.computed or a.optional} | {
        n: element.get(n) for n in block.blocks
    }


def _plan_set(
    nested: NestedBlock, prior: Any, proposed: Any, config: Any, exists: bool, replace: set[Path], path: Path
) -> Any:
    block = nested.block
    planned = []
    for element in _items(proposed):
        ident = _identity(block, element)
        cfg = next((c for c in _items(config) if _identity(block, c) == ident), None)
        old = next((p for p in _items(prior) if _identity(block, p) == ident), None)
        # Replace paths inside a set element cannot be addressed; the set-level check below covers them.
        planned.append(plan(block, old, element, cfg, set(), path))
    if exists:
        replace_attrs = [n for n, a in block.attributes.items() if a.requires_replace]
        if replace_attrs:

            def projection(items: Any) -> list[str]:
                return sorted(repr([e.get(n) for n in replace_attrs]) for e in _items(items))

            if projection(prior) != projection(planned):
                replace.add(path)
    return planned


# ---------------------------------------------------------------------------------------------------------------
# computed values of an update


def plan_change(
    block: Block, prior: Any, proposed: Any, config: Any, replace: set[Path], local_only: tuple[str, ...] = ()
) -> tuple[Any, list[Path]]:
    """The planned value and the changed paths of a create or update, as the servicer plans it: ``plan``, then, when
    anything but the ``local_only`` top-level names (provider-side settings such as timeouts) changes, the computed
    values the update may change become unknown."""
    planned = plan(block, prior, proposed, config, replace)
    changed = diff(block, prior, planned) if prior is not None else []
    if any(path[:1] not in [(name,) for name in local_only] for path in changed):
        planned = unknown_computed(block, planned, config)
    return planned, changed


def unknown_computed(block: Block, planned: Any, config: Any) -> Any:
    """``planned`` with every computed attribute that the configuration leaves null, has no default and is not
    ``stable`` made unknown, at any depth: an update may change it, so the plan must not promise the prior value
    (Terraform aborts with "Provider produced inconsistent result" when the applied value differs)."""
    if not isinstance(planned, dict):
        return planned
    out = dict(planned)
    for name, attr in block.attributes.items():
        if attr.computed and not attr.stable and attr.default is NO_DEFAULT and _get(config, name) is None:
            out[name] = Unknown
    for name, nested in block.blocks.items():
        value, cfg = planned.get(name), _get(config, name)
        if nested.single:
            out[name] = unknown_computed(nested.block, value, cfg)
        elif nested.nesting is Nesting.LIST:
            configs = _items(cfg)
            out[name] = (
                [
                    unknown_computed(nested.block, v, configs[i] if i < len(configs) else None)
                    for i, v in enumerate(_items(value))
                ]
                if isinstance(value, list)
                else value
            )
        elif isinstance(value, list):
            out[name] = [
                unknown_computed(
                    nested.block,
                    v,
                    next((c for c in _items(cfg) if _identity(nested.block, c) == _identity(nested.block, v)), None),
                )
                for v in value
            ]
    return out


def keep_stable(block: Block, new: Any, planned: Any) -> Any:
    """``new`` with the planned value of every stable attribute that the plan knew (the plan promised it)."""
    if not isinstance(new, dict) or not isinstance(planned, dict):
        return new
    out = dict(new)
    for name, attr in block.attributes.items():
        if attr.stable and name in planned and planned[name] is not Unknown:
            out[name] = planned[name]
    for name, nested in block.blocks.items():
        value, plan_value = new.get(name), planned.get(name)
        if nested.single:
            out[name] = keep_stable(nested.block, value, plan_value)
        elif nested.nesting is Nesting.LIST and isinstance(value, list) and isinstance(plan_value, list):
            out[name] = [
                keep_stable(nested.block, v, plan_value[i]) if i < len(plan_value) else v for i, v in enumerate(value)
            ]
    return out


# ---------------------------------------------------------------------------------------------------------------
# diff


def diff(block: Block, before: Any, after: Any, path: Path = ()) -> list[Path]:
    """Paths (attributes, blocks, list elements) whose values differ between ``before`` and ``after``."""
    if not isinstance(before, dict) or not isinstance(after, dict):
        return [] if block.equal(before, after) else [path]
    changed: list[Path] = [
        (*path, n) for n, a in block.attributes.items() if not a.type.equal(before.get(n), after.get(n))
    ]
    for name, nested in block.blocks.items():
        b, a = before.get(name), after.get(name)
        if nested.equal(b, a):
            continue
        if nested.single:
            changed += diff(nested.block, b, a, (*path, name))
        elif nested.nesting is Nesting.LIST and isinstance(b, list) and isinstance(a, list) and len(a) == len(b):
            for i, (x, y) in enumerate(zip(b, a, strict=True)):
                changed += diff(nested.block, x, y, (*path, name, i))
        else:
            changed.append((*path, name))
    return changed


# ---------------------------------------------------------------------------------------------------------------
# keep_equal


def keep_equal(block: Block, new: Any, old: Any) -> Any:
    """``new`` with every part that is semantically equal to ``old`` replaced by ``old``'s representation."""
    if not isinstance(new, dict) or not isinstance(old, dict):
        return old if block.equal(new, old) and old is not None else new
    out = dict(new)
    for name, attr in block.attributes.items():
        if name in old and attr.type.equal(new.get(name), old.get(name)):
            out[name] = old[name]
    for name, nested in block.blocks.items():
        n, o = new.get(name), old.get(name)
        if nested.single:
            out[name] = keep_equal(nested.block, n, o)
        elif nested.nesting is Nesting.LIST and isinstance(n, list) and isinstance(o, list):
            out[name] = [keep_equal(nested.block, x, o[i]) if i < len(o) else x for i, x in enumerate(n)]
        elif nested.nesting is Nesting.SET and isinstance(n, list) and isinstance(o, list):
            if nested.equal(n, o):
                out[name] = o
            else:
                out[name] = [next((y for y in o if nested.block.equal(x, y)), x) for x in n]
    return out
