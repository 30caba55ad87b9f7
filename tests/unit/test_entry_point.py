"""The command line names the provider as the provider module does (the debug mode's TF_REATTACH_PROVIDERS key)."""

from __future__ import annotations

from terraform_provider_tkg import __main__, provider


def test_the_command_line_serves_under_the_providers_source_address() -> None:
    assert __main__.FULL_NAME == provider.FULL_NAME
