"""The provider's registry is explicit (STYLE rule 1): every resource and data source module is listed, under the type
name its module stem gives, and every attribute of every registered type (at any depth) is documented."""

from __future__ import annotations

import importlib
import pkgutil
import re
from pathlib import Path
from typing import Any

import pytest

from terraform_provider_tkg import data_sources, resources
from terraform_provider_tkg.framework import types as t
from terraform_provider_tkg.framework.schema import Block
from terraform_provider_tkg.provider import PROVIDER_NAME, TkgProvider

ROOT = Path(__file__).resolve().parents[2]


def modules(package: Any) -> list[str]:
    return sorted(m.name for m in pkgutil.iter_modules(package.__path__) if not m.name.startswith("_"))


def test_every_resource_module_is_registered() -> None:
    registered = sorted(r.type_name.removeprefix(f"{PROVIDER_NAME}_") for r in TkgProvider.resources)
    assert registered == modules(resources)


def test_every_data_source_module_is_registered() -> None:
    registered = sorted(d.type_name.removeprefix(f"{PROVIDER_NAME}_") for d in TkgProvider.data_sources)
    assert registered == modules(data_sources)


def test_type_names_come_from_the_module() -> None:
    for cls in (*TkgProvider.resources, *TkgProvider.data_sources):
        # The type's home is its module under resources/ or data_sources/, or the package it outgrew into.
        home = ".".join(cls.__module__.split(".")[:3])
        module = importlib.import_module(home)
        assert cls.type_name == module.TYPE_NAME == f"{PROVIDER_NAME}_{home.rsplit('.', 1)[-1]}"


def attribute_names(block: Block) -> set[str]:
    """Every attribute and block name at any depth, including the fields of object-typed attributes."""
    names: set[str] = set()

    def of_type(kind: t.Type) -> None:
        if isinstance(kind, t.Object):
            for name, inner in kind.attributes.items():
                names.add(name)
                of_type(inner)
        elif isinstance(kind, t.List | t.Set | t.Map):
            of_type(kind.element)

    for path, attribute in block.walk_attributes():
        names.update(path)
        of_type(attribute.type)
    names.update(block.blocks)
    return names


def documented(kind: str, type_name: str) -> str:
    page = ROOT / "docs" / kind / f"{type_name.removeprefix(PROVIDER_NAME + '_')}.md"
    assert page.is_file(), f"{page.relative_to(ROOT)} is missing"
    return page.read_text()


@pytest.mark.parametrize("cls", TkgProvider.resources, ids=lambda c: c.type_name)
def test_every_resource_attribute_is_documented(cls: Any) -> None:
    text = documented("resources", cls.type_name)
    missing = sorted(n for n in attribute_names(cls.full_schema().block) if f"`{n}`" not in text)
    assert missing == []
    assert "## Import" in text and "## Example Usage" in text


@pytest.mark.parametrize("cls", TkgProvider.data_sources, ids=lambda c: c.type_name)
def test_every_data_source_attribute_is_documented(cls: Any) -> None:
    text = documented("data-sources", cls.type_name)
    missing = sorted(n for n in attribute_names(cls.schema.block) if f"`{n}`" not in text)
    assert missing == []
    assert "## Example Usage" in text


def test_docs_examples_name_registered_types() -> None:
    known = {c.type_name for c in (*TkgProvider.resources, *TkgProvider.data_sources)}
    for page in (ROOT / "docs").rglob("*.md"):
        for used in re.findall(r'(?:resource|data) "(tkg_[a-z_]+)"', page.read_text()):
            assert used in known, f"{page.relative_to(ROOT)} uses unknown type {used}"


def test_every_provider_setting_is_documented() -> None:
    text = (ROOT / "docs" / "index.md").read_text()
    readme = (ROOT / "README.md").read_text()
    missing = sorted(n for n in attribute_names(TkgProvider.schema.block) if f"`{n}`" not in text)
    assert missing == []
    assert sorted(n for n in TkgProvider.schema.block.attributes if f"`{n}`" not in readme) == []
