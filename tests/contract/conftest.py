"""Fixtures for contract tests: live simulators for clients nobody here wrote."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tkgsim import Simulator


@pytest.fixture(scope="module")
def vcenter_sim() -> Iterator[Simulator]:
    """An in-process simulator with instant transitions, for the vCenter contract tests."""
    with Simulator(delay_scale=0) as simulator:
        yield simulator
