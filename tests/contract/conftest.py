"""Fixtures for contract tests: live simulators for clients nobody here wrote."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tkgsim import Simulator


@pytest.fixture(scope="module")
def vcenter_sim() -> Iterator[Simulator]:
    """An in-process simulator with instant transitions, for the vCenter contract tests.

    It answers as ``vks-3.4`` because the ``vmware-vcenter`` wheel holds the 9.x bindings, whose every field the
    contract tests exercise; the 8.0 field sets are checked against the wheel in ``test_release_fields_*``.
    """
    with Simulator(delay_scale=0, profile="vks-3.4") as simulator:
        yield simulator
