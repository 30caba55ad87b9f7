from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from terraform_provider_tkg import provider
from terraform_provider_tkg.framework import plan
from terraform_provider_tkg.framework.diagnostics import Diagnostics, format_path
from terraform_provider_tkg.framework.resource import Context

ENV = (
    "VSPHERE_SERVER",
    "VSPHERE_USER",
    "VSPHERE_PASSWORD",
    "VSPHERE_ALLOW_UNVERIFIED_SSL",
    "VSPHERE_CA_FILE",
    "TKG_SUPERVISOR_ENDPOINT",
)


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ENV:
        monkeypatch.delenv(name, raising=False)


def configure(**config: Any) -> tuple[Any, Diagnostics]:
    diags = Diagnostics()
    normalized = provider.SCHEMA.block.normalize(config)
    settings = provider.TkgProvider().configure(Context(diags, "provider"), normalized)
    return settings, diags


def test_configuration_from_attributes() -> None:
    settings, diags = configure(
        vsphere_server="vc.example.com", user="u@vsphere.local", password="s3cr3t-pw", api_timeout="90s", max_retries=2
    )
    assert not diags.has_errors
    assert settings.vsphere_server == "vc.example.com"
    assert settings.api_timeout == 90
    assert settings.max_retries == 2
    assert settings.allow_unverified_ssl is False
    assert "s3cr3t-pw" not in repr(settings)  # the password never shows in a repr


def test_environment_fallbacks(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    ca = tmp_path / "ca.pem"
    ca.write_text("pem")
    monkeypatch.setenv("VSPHERE_SERVER", "127.0.0.1:8443")
    monkeypatch.setenv("VSPHERE_USER", "administrator@vsphere.local")
    monkeypatch.setenv("VSPHERE_PASSWORD", "secret")
    monkeypatch.setenv("VSPHERE_CA_FILE", str(ca))
    monkeypatch.setenv("TKG_SUPERVISOR_ENDPOINT", "127.0.0.1:9443")
    settings, diags = configure(user="other@vsphere.local")
    assert not diags.has_errors
    assert settings.vsphere_server == "127.0.0.1:8443"
    assert settings.user == "other@vsphere.local"  # configuration wins over the environment
    assert settings.ca_file == str(ca)
    assert settings.supervisor_endpoint == "127.0.0.1:9443"
    assert settings.api_timeout == 300 and settings.max_retries == 5


def test_missing_credentials_name_the_attribute_and_variable() -> None:
    _, diags = configure()
    errors = {format_path(d.path): d.detail for d in diags if d.path}
    assert set(errors) == {"vsphere_server", "user", "password"}
    assert "VSPHERE_PASSWORD" in errors["password"]


def test_conflicting_and_invalid_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VSPHERE_ALLOW_UNVERIFIED_SSL", "true")
    _, diags = configure(vsphere_server="https://vc/", user="u", password="p", ca_file="/nonexistent.pem")
    paths = sorted(format_path(d.path) for d in diags if d.path)
    assert paths == ["allow_unverified_ssl", "ca_file", "vsphere_server"]


def test_plan_time_validation_of_provider_block() -> None:
    diags = Diagnostics()
    config = provider.SCHEMA.block.normalize({"api_timeout": "5 minutes", "max_retries": 50, "vsphere_server": "a/b"})
    plan.validate(provider.SCHEMA.block, config, diags)
    assert sorted(format_path(d.path) for d in diags if d.path) == ["api_timeout", "max_retries", "vsphere_server"]
