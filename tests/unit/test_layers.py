"""Imports flow one way (STYLE rule 3): parse every module's imports and fail on an edge that goes the wrong way.

- ``framework/`` never imports the API clients, resources, data sources or the provider (it has no TKG words);
- ``api/`` never imports ``tf`` or ``framework/`` (it has no Terraform words);
- resources and data sources never import ``httpx`` (they never build a URL or parse HTTP);
- nothing in the provider package imports ``tkgsim``.
"""

from __future__ import annotations

import ast
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


def test_the_checker_sees_relative_imports(tmp_path: Path) -> None:
    assert "terraform_provider_tkg.api.errors" in imports_of(PACKAGE / "api" / "vcenter.py")
    assert "httpx" in imports_of(PACKAGE / "api" / "_http.py")
