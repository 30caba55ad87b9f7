"""Every directory under ``examples/`` passes ``terraform fmt -check`` and ``terraform validate`` (after an offline
``terraform init`` through the harness's filesystem mirror), with each Terraform version the harness finds."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from .conftest import MakeTerraform
from .harness import REPO_ROOT

EXAMPLES = REPO_ROOT / "examples"
DIRS = sorted({p.parent for p in EXAMPLES.rglob("*.tf")}) if EXAMPLES.is_dir() else []

PARAMS = [pytest.param(d, id=str(d.relative_to(EXAMPLES))) for d in DIRS]


def test_examples_fmt(make_tf: MakeTerraform) -> None:
    tf = make_tf()
    run = tf.run("fmt", "-check", "-recursive", "-diff", "-no-color", str(EXAMPLES), ok=(0, 3))
    assert run.rc == 0, f"terraform fmt would change:\n{run.stdout}{run.stderr}"


@pytest.mark.parametrize("directory", PARAMS)
def test_examples_validate(make_tf: MakeTerraform, directory: Path) -> None:
    tf = make_tf()
    for source in directory.glob("*.tf"):
        shutil.copy(source, tf.workdir / source.name)
    tf.init("-backend=false")
    tf.validate()
