"""Every resource test gets its own in-flight create journal (never the repository's ``.terraform``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from terraform_provider_tkg.framework import inflight


@pytest.fixture(autouse=True)
def journal(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> inflight.Journal:
    fresh = inflight.Journal(tmp_path / "journal")
    monkeypatch.setattr(inflight, "_journal", fresh)
    return fresh
