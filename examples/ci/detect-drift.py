#!/usr/bin/env python3
"""Drift detection for CI: plan, tell drift from errors, and say what drifted.

    detect-drift.py [--chdir DIR] [--plan-file FILE] [-- PLAN ARGS...]

Runs ``terraform plan -detailed-exitcode -out=FILE`` in an initialized working directory, then reads the saved plan
with ``terraform show -json`` and prints, per resource, the attributes that changed outside Terraform and the
changes the plan would make. Exit status, as ``terraform plan -detailed-exitcode`` defines it:

    0  no drift: the infrastructure matches the configuration and state
    1  error: Terraform failed (bad credentials, unreachable API, invalid configuration, ...); nothing was compared
    2  drift: the plan has changes (or objects were changed outside Terraform)

Set TERRAFORM=tofu for OpenTofu. Values Terraform marks sensitive are printed as (sensitive). Python 3.8+ standard
library only, so it runs on any CI image that has python3; copy it into your repository as it is.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

NO_DRIFT, ERROR, DRIFT = 0, 1, 2
MISSING = object()


def flatten(value: Any, path: str = "") -> Iterator[tuple[str, Any]]:
    """(attribute path, leaf value) pairs: ``labels.app``, ``node_pool[0].replicas``."""
    if isinstance(value, dict):
        for key in sorted(value):
            yield from flatten(value[key], f"{path}.{key}" if path else str(key))
    elif isinstance(value, list) and value:
        for index, item in enumerate(value):
            yield from flatten(item, f"{path}[{index}]")
    else:
        yield path, value


def marked(tree: Any, path: str) -> bool:
    """Whether ``path`` or one of its parents is ``true`` in a ``*_sensitive`` / ``after_unknown`` tree."""
    if tree is True:
        return True
    for marked_path, value in flatten(tree):
        if value is True and (path == marked_path or path.startswith((marked_path + ".", marked_path + "["))):
            return True
    return False


def show(value: Any) -> str:
    return "(none)" if value is MISSING or value is None else json.dumps(value)


def changed_attributes(change: dict[str, Any]) -> list[str]:
    """``attr: before -> after`` lines for one resource change from ``terraform show -json``."""
    before = dict(flatten(change.get("before") or {}))
    after = dict(flatten(change.get("after") or {}))
    lines = []
    for path in sorted(set(before) | set(after)):
        old, new = before.get(path, MISSING), after.get(path, MISSING)
        unknown = marked(change.get("after_unknown"), path)
        if old == new and not unknown:
            continue
        if (old in (MISSING, None, [], {})) and (new in (MISSING, None, [], {})) and not unknown:
            continue
        hidden = marked(change.get("before_sensitive"), path) or marked(change.get("after_sensitive"), path)
        old_text = "(sensitive)" if hidden else show(old)
        new_text = "(known after apply)" if unknown else "(sensitive)" if hidden else show(new)
        lines.append(f"{path}: {old_text} -> {new_text}")
    return lines


def report(plan: dict[str, Any]) -> tuple[list[str], int]:
    """The lines to print and how many resources drifted or would change."""
    lines: list[str] = []
    drifted = [item for item in plan.get("resource_drift") or [] if item["change"]["actions"] != ["no-op"]]
    if drifted:
        lines.append("Changed outside Terraform:")
        for item in drifted:
            actions = "/".join(item["change"]["actions"])
            lines.append(f"  {item['address']} ({'deleted' if actions == 'delete' else actions})")
            lines.extend(f"      {line}" for line in changed_attributes(item["change"]))
    planned = [
        item for item in plan.get("resource_changes") or [] if item["change"]["actions"] not in (["no-op"], ["read"])
    ]
    if planned:
        lines.append("Terraform would change:")
        for item in planned:
            lines.append(f"  {item['address']} ({'/'.join(item['change']['actions'])})")
            lines.extend(f"      {line}" for line in changed_attributes(item["change"]))
    outputs = {name: c for name, c in (plan.get("output_changes") or {}).items() if c["actions"] != ["no-op"]}
    if outputs:
        lines.append("Outputs would change: " + ", ".join(sorted(outputs)))
    addresses = {item["address"] for item in drifted} | {item["address"] for item in planned}
    return lines, len(addresses)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--chdir", default=".", help="the initialized working directory (default: .)")
    parser.add_argument(
        "--plan-file", default="drift.tfplan", help="saved plan, kept for later (default: drift.tfplan)"
    )
    parser.add_argument("plan_args", nargs="*", help="extra `terraform plan` arguments, after --")
    options = parser.parse_args(argv)
    terraform = os.environ.get("TERRAFORM", "terraform")
    base = [terraform, f"-chdir={options.chdir}"]

    plan_command = [*base, "plan", "-input=false", "-no-color", "-detailed-exitcode", f"-out={options.plan_file}"]
    planned = subprocess.run([*plan_command, *options.plan_args], stdout=subprocess.PIPE, text=True)
    if planned.returncode not in (NO_DRIFT, DRIFT):
        sys.stdout.write(planned.stdout)
        print(f"ERROR: terraform plan failed (exit status {planned.returncode}); drift was not checked.")
        return ERROR
    shown = subprocess.run([*base, "show", "-json", options.plan_file], stdout=subprocess.PIPE, text=True)
    try:
        plan = json.loads(shown.stdout) if shown.returncode == 0 else None
    except ValueError:
        plan = None
    if plan is None:
        print(f"ERROR: terraform show -json {options.plan_file} failed (exit status {shown.returncode}).")
        return ERROR

    lines, count = report(plan)
    if planned.returncode == NO_DRIFT:
        print("No drift: the infrastructure matches the configuration.")
        if lines:  # e.g. attributes under ignore_changes: Terraform accepts them, and so do we
            print("Note: objects changed outside Terraform in ways the configuration accepts.")
            print("\n".join(lines))
        return NO_DRIFT
    print(f"DRIFT: {count} resource(s) differ from the configuration.")
    print("\n".join(lines))
    return DRIFT


if __name__ == "__main__":
    sys.exit(main())
