"""Imports flow one way (STYLE rule 3): parse every module's imports and fail on an edge that goes the wrong way.

- ``framework/`` never imports the API clients, resources, data sources or the provider (it has no TKG words);
- ``api/`` never imports ``tf`` or ``framework/`` (it has no Terraform words);
- resources and data sources never import ``httpx`` (they never build a URL or parse HTTP);
- nothing in the provider package imports ``tkgsim``;
- data sources never import the private modules of ``resources/`` (shared code lives beside both);
- the provider package has no import cycle, counting imports inside functions and under ``TYPE_CHECKING`` (a cycle
  hidden by a function-level import is still a cycle).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "terraform_provider_tkg"


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(path: Path) -> set[str]:
    """Absolute names of every module ``path`` imports (relative imports resolved, ``from x import y`` → x and x.y)."""
    tree = ast.parse(path.read_text(), filename=str(path))
    package = module_name(path) if path.name == "__init__.py" else module_name(path).rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base_parts = package.split(".")
                base_parts = base_parts[: len(base_parts) - (node.level - 1)]
                base = ".".join(base_parts + ([node.module] if node.module else []))
            else:
                base = node.module or ""
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return found


def modules_under(sub: str) -> list[Path]:
    return sorted((PACKAGE / sub).rglob("*.py"))


def offending(paths: list[Path], forbidden: tuple[str, ...]) -> list[str]:
    bad = []
    for path in paths:
        for name in sorted(imports_of(path)):
            if any(name == f or name.startswith(f + ".") for f in forbidden):
                bad.append(f"{path.relative_to(ROOT)} imports {name}")
    return bad


def test_framework_does_not_import_tkg_layers() -> None:
    forbidden = tuple(
        f"terraform_provider_tkg.{m}" for m in ("api", "resources", "data_sources", "provider", "clients")
    )
    assert offending(modules_under("framework"), forbidden) == []


def test_api_does_not_import_terraform_layers() -> None:
    assert offending(modules_under("api"), ("tf", "terraform_provider_tkg.framework")) == []


@pytest.mark.parametrize("layer", ["resources", "data_sources"])
def test_resources_do_not_import_httpx(layer: str) -> None:
    assert offending(modules_under(layer), ("httpx",)) == []


def test_nothing_imports_tkgsim() -> None:
    assert offending(sorted(PACKAGE.rglob("*.py")), ("tkgsim",)) == []


def code_strings(path: Path) -> list[str]:
    """Every string literal of a module except docstrings (f-string parts included)."""
    tree = ast.parse(path.read_text(), filename=str(path))
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    return [
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings
    ]


def test_api_strings_have_no_terraform_words() -> None:
    """Log labels, annotations and messages of ``api/`` name API objects, never Terraform types or this provider."""
    words = re.compile(r"tkg_[a-z]|terraform", re.IGNORECASE)
    found = [f"{p.relative_to(ROOT)}: {s!r}" for p in modules_under("api") for s in code_strings(p) if words.search(s)]
    assert found == []


def test_data_sources_do_not_import_private_resource_modules() -> None:
    private = tuple(
        module_name(path)
        for path in modules_under("resources")
        if any(part.startswith("_") and part != "__init__.py" for part in path.relative_to(PACKAGE).parts)
    )
    assert offending(modules_under("data_sources"), private) == []


def import_graph() -> dict[str, set[str]]:
    """Module → the provider modules it imports. ``from pkg import mod`` counts as importing ``pkg.mod`` only, and a
    module importing its own ancestor package is not an edge (Python initialises parents first by design)."""
    paths = sorted(PACKAGE.rglob("*.py"))
    known = {module_name(p) for p in paths}
    graph: dict[str, set[str]] = {}
    for path in paths:
        me = module_name(path)
        targets: set[str] = set()
        names = imports_of(path)
        for name in names:
            if name not in known:
                continue
            if any(other.startswith(name + ".") and other in known for other in names):
                continue  # ``from pkg import mod``: the submodule is the real target
            if me.startswith(name + "."):
                continue
            targets.add(name)
        graph[me] = targets - {me}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_no_import_cycles() -> None:
    assert cycles(import_graph()) == []


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_the_checker_sees_relative_imports(tmp_path: Path) -> None:
    assert "terraform_provider_tkg.api.errors" in imports_of(PACKAGE / "api" / "vcenter.py")
    assert "httpx" in imports_of(PACKAGE / "api" / "_http.py")
