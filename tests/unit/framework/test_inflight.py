"""The in-flight create journal: where it lives, what survives a new process, what a second resource gets."""

from __future__ import annotations

import json
import os
from pathlib import Path

from terraform_provider_tkg.framework import inflight


def test_lives_in_the_terraform_data_directory_per_workspace(tmp_path: Path) -> None:
    default = inflight.Journal.from_environment({}, cwd=tmp_path)
    assert default.directory == tmp_path / ".terraform" / inflight.DIRECTORY / "default"
    moved = inflight.Journal.from_environment({"TF_DATA_DIR": "state-dir"}, cwd=tmp_path)
    assert moved.directory == tmp_path / "state-dir" / inflight.DIRECTORY / "default"
    # `terraform workspace select` records the workspace in <data dir>/environment; TF_WORKSPACE overrides it.
    (tmp_path / ".terraform").mkdir()
    (tmp_path / ".terraform" / "environment").write_text("staging")
    assert inflight.Journal.from_environment({}, cwd=tmp_path).directory.name == "staging"  # type: ignore[union-attr]
    selected = inflight.Journal.from_environment({"TF_WORKSPACE": "prod"}, cwd=tmp_path)
    assert selected.directory.name == "prod"  # type: ignore[union-attr]


def test_an_entry_is_on_disk_before_begin_returns_and_a_later_process_resumes_it(tmp_path: Path) -> None:
    journal = inflight.Journal(tmp_path / "j")
    token = journal.begin("tkg_cluster", "team-a/prod")
    files = list((tmp_path / "j").iterdir())
    assert [f.name for f in files] == ["tkg_cluster.team-a%2Fprod.json"]
    entry = json.loads(files[0].read_text())
    assert entry["token"] == token and entry["id"] == "team-a/prod" and entry["type"] == "tkg_cluster"

    # The next run (another provider process) sees the same token: it may finish the create.
    entry["pid"] = os.getpid() + 1
    files[0].write_text(json.dumps(entry))
    later = inflight.Journal(tmp_path / "j")
    assert later.token("tkg_cluster", "team-a/prod") == token
    assert later.begin("tkg_cluster", "team-a/prod") == token


def test_a_second_create_of_the_same_object_in_the_same_process_gets_a_new_token(tmp_path: Path) -> None:
    # Two resources of one configuration naming the same object: the second must not adopt the first one's object.
    journal = inflight.Journal(tmp_path)
    first = journal.begin("tkg_vm_class", "gpu")
    assert journal.begin("tkg_vm_class", "gpu") != first


def test_settle_forgets_the_create(tmp_path: Path) -> None:
    journal = inflight.Journal(tmp_path)
    journal.begin("tkg_vm_class", "gpu")
    journal.settle("tkg_vm_class", "gpu")
    assert journal.token("tkg_vm_class", "gpu") is None
    assert list(tmp_path.iterdir()) == []
    journal.settle("tkg_vm_class", "gpu")  # settling twice is fine


def test_entries_of_other_objects_and_damaged_files_are_ignored(tmp_path: Path) -> None:
    journal = inflight.Journal(tmp_path)
    journal.begin("tkg_vm_class", "a")
    (tmp_path / "tkg_vm_class.b.json").write_text("{not json")
    assert journal.token("tkg_vm_class", "b") is None
    assert journal.token("tkg_supervisor_namespace", "a") is None


def test_an_unwritable_data_directory_keeps_the_token_in_memory(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    journal = inflight.Journal(blocker / "journal")  # a directory under a regular file cannot be made
    token = journal.begin("tkg_vm_class", "gpu")
    assert journal.token("tkg_vm_class", "gpu") == token
