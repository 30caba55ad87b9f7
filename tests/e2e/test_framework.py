"""Every framework feature, proven with real Terraform through the test-only provider ``tkg-test/tkgtest``.

The provider's "remote API" is a JSON file (``store.json``) that tests read and edit between runs.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from terraform_provider_tkg.framework.types import Json

from .conftest import MakeTerraform
from .harness import Terraform


def store(tf: Terraform) -> dict[str, Any]:
    path = tf.workdir / "store.json"
    return json.loads(path.read_text()) if path.exists() else {}


def edit_store(tf: Terraform, object_id: str, **changes: Any) -> None:
    objects = store(tf)
    if changes.get("_delete"):
        del objects[object_id]
    else:
        objects[object_id].update(changes)
    (tf.workdir / "store.json").write_text(json.dumps(objects))


def test_refined_unknowns_plan_and_apply(tf: Terraform) -> None:
    tf.write(config_refined_unknowns(tf.workdir))
    tf.init()
    assert tf.plan().rc == 2
    tf.apply()
    a, b = tf.resource("tkgtest_thing.a"), tf.resource("tkgtest_thing.b")
    assert a and b
    assert b["name"] == f"b-{a['id']}"
    assert b["tags"] == {"a": "b"}
    assert b["items"] == [a["id"], "x"]
    assert tf.plan().rc == 0


def test_blocks_update_in_place_and_nested_replace(tf: Terraform) -> None:
    tf.write(config_blocks(tf.workdir, replicas=2, zone="z1", port=443, members=["alice", "bob"]))
    tf.init()
    tf.apply()
    first = tf.resource("tkgtest_thing.x")
    assert first is not None
    assert first["spec"]["replicas"] == 2
    assert [r["mode"] for r in first["rule"]] == ["strict", "auto"]  # server default kept in state
    assert json.loads(first["settings_json"]) == {"a": 1, "b": [1, 2]}
    # server-side reformatting of JSON and reordering of the set are not changes
    edit_store(
        tf, first["id"], settings_json='{"b":[1,2],"a":1}', member=list(reversed(store(tf)[first["id"]]["member"]))
    )
    assert tf.plan().rc == 0

    # changes inside blocks update in place
    tf.write(config_blocks(tf.workdir, replicas=3, zone="z1", port=8443, members=["alice", "carol", "bob"]))
    plan = tf.plan()
    assert plan.rc == 2 and "1 to change, 0 to destroy" in plan.stdout
    tf.apply()
    second = tf.resource("tkgtest_thing.x")
    assert second is not None and second["id"] == first["id"]
    assert second["spec"]["replicas"] == 3 and second["rule"][1]["port"] == 8443
    assert sorted(m["user"] for m in second["member"]) == ["alice", "bob", "carol"]
    assert tf.plan().rc == 0

    # a requires-replace attribute inside a nested block replaces the resource
    tf.write(config_blocks(tf.workdir, replicas=3, zone="z2", port=8443, members=["alice", "carol", "bob"]))
    plan = tf.plan()
    assert "forces replacement" in plan.stdout and "1 to add, 0 to change, 1 to destroy" in plan.stdout
    tf.apply()
    third = tf.resource("tkgtest_thing.x")
    assert third is not None and third["id"] != first["id"]
    assert list(store(tf)) == [third["id"]]  # the old object was deleted, nothing orphaned
    assert tf.plan().rc == 0


def test_update_plans_changing_computed_values_unknown_and_keeps_stable_ones(tf: Terraform) -> None:
    """The framework default (as in terraform-plugin-framework): any update shows the computed values it may change
    as unknown, so a remote that changes them (here a write counter) never makes Terraform report an inconsistent
    result; a stable attribute (``id``) keeps its value in the plan."""
    tf.write(config_simple(tf.workdir, extra="size = 2"))
    tf.init()
    tf.apply()
    first = tf.resource("tkgtest_thing.x")
    assert first is not None and first["revision"] == 1
    tf.write(config_simple(tf.workdir, extra="size = 3"))  # neither description nor anything status depends on
    plan = tf.plan()
    assert plan.rc == 2 and "revision" in plan.stdout and "(known after apply)" in plan.stdout
    id_line = next(line for line in plan.stdout.splitlines() if line.strip().startswith("id "))
    assert first["id"] in id_line and "known after apply" not in id_line, plan.stdout
    applied = tf.run("apply", "-input=false", "-no-color", "-auto-approve", ok=(0, 1))
    assert applied.rc == 0 and "inconsistent" not in applied.stderr, applied.stderr
    second = tf.resource("tkgtest_thing.x")
    assert second is not None and second["revision"] == 2 and second["id"] == first["id"]
    assert tf.plan().rc == 0


def test_timeout_taints_and_reapply_replaces(tf: Terraform) -> None:
    tf.write(config_simple(tf.workdir, extra='create_delay = 30\n  timeouts {\n    create = "1s"\n  }'))
    tf.init()
    failed = tf.run("apply", "-input=false", "-no-color", "-auto-approve", check=False)
    assert failed.rc == 1 and "timed out" in failed.stderr
    kept = tf.resource("tkgtest_thing.x")
    assert kept is not None and kept["status"] == "provisioning"  # partial state recorded, not forgotten
    assert kept["timeouts"] == {"create": "1s", "update": None, "delete": None}
    tf.write(config_simple(tf.workdir))
    plan = tf.plan()
    assert plan.rc == 2 and "tainted" in plan.stdout
    tf.apply()
    replaced = tf.resource("tkgtest_thing.x")
    assert replaced is not None and replaced["id"] != kept["id"]
    assert list(store(tf)) == [replaced["id"]]


def test_failed_create_is_tainted_then_destroyed(tf: Terraform) -> None:
    tf.write(config_simple(tf.workdir, extra="fail_create = true"))
    tf.init()
    failed = tf.run("apply", "-input=false", "-no-color", "-auto-approve", check=False)
    assert failed.rc == 1 and "provisioning failed" in failed.stderr
    assert tf.resource("tkgtest_thing.x") is not None
    assert len(store(tf)) == 1
    tf.destroy()
    assert store(tf) == {}


def test_timeouts_change_alone_is_an_update_without_api_call(tf: Terraform) -> None:
    tf.write(config_simple(tf.workdir))
    tf.init()
    tf.apply()
    before = store(tf)
    tf.write(config_simple(tf.workdir, extra='timeouts {\n    delete = "10m"\n  }'))
    assert tf.plan().rc == 2
    tf.apply()
    assert store(tf) == before
    assert tf.resource("tkgtest_thing.x")["timeouts"]["delete"] == "10m"  # type: ignore[index]
    assert tf.plan().rc == 0


def test_import_then_clean_plan(make_tf: MakeTerraform) -> None:
    origin = make_tf(name="origin")
    origin.write(config_blocks(origin.workdir, replicas=2, zone="z1", port=443, members=["alice"]))
    origin.init()
    origin.apply()
    thing_id = origin.resource("tkgtest_thing.x")["id"]  # type: ignore[index]

    fresh = make_tf(name="fresh")
    fresh.write(config_blocks(origin.workdir, replicas=2, zone="z1", port=443, members=["alice"]))
    fresh.init()
    missing = fresh.run("import", "-input=false", "-no-color", "tkgtest_thing.x", "nope-9", check=False)
    assert missing.rc == 1 and "expected an id like name-1" in missing.stderr
    fresh.import_("tkgtest_thing.x", thing_id)
    assert fresh.resource("tkgtest_thing.x")["spec"]["zone"] == "z1"  # type: ignore[index]
    assert fresh.plan().rc == 0


def test_drift_and_disappearance(tf: Terraform) -> None:
    tf.write(config_simple(tf.workdir, extra='description = "managed"'))
    tf.init()
    tf.apply()
    thing_id = tf.resource("tkgtest_thing.x")["id"]  # type: ignore[index]
    edit_store(tf, thing_id, description="changed by hand")
    drift = tf.plan()
    assert drift.rc == 2 and "changed by hand" in drift.stdout
    tf.apply()
    assert store(tf)[thing_id]["description"] == "managed"
    edit_store(tf, thing_id, _delete=True)
    gone = tf.plan()
    assert gone.rc == 2 and "1 to add" in gone.stdout


@pytest.mark.parametrize(
    ("extra", "summary"),
    [
        ("size = 11", "Invalid value for size"),
        ('rule {\n    name = "a"\n    port = 70000\n  }', "Invalid value for rule[0].port"),
        ('member {\n    user = "u"\n    role = "ADMIN"\n  }', "Invalid value for member.role"),
        ('settings_json = "[1]"', "Invalid value for settings_json"),
        ('timeouts {\n    create = "5 minutes"\n  }', "Invalid value for timeouts.create"),
        ('status = "x"', "Invalid configuration for status"),
        ("fail_create = true\n  create_delay = 1", "Conflicting settings"),
    ],
)
def test_plan_time_validation_with_paths(tf: Terraform, extra: str, summary: str) -> None:
    tf.write(config_simple(tf.workdir, extra=extra))
    tf.init()
    result = tf.run("plan", "-input=false", "-no-color", check=False)
    assert result.rc == 1
    assert summary in result.stderr
    assert "main.tf" in result.stderr  # Terraform located the attribute in the configuration
    assert store(tf) == {}


def test_secret_never_reaches_the_trace_log(make_tf: MakeTerraform) -> None:
    tf = make_tf(trace_log=True)
    tf.write(config_simple(tf.workdir, password="hunter2-Very-Secret"))
    tf.init()
    tf.apply()
    log = tf.read_log()
    assert "configured with password=" in log  # the provider's own line reached Terraform's log
    assert "hunter2-Very-Secret" not in log


# ---------------------------------------------------------------------------------------------------------------
# configuration builders


def _provider(workdir: Path, password: str | None = None) -> str:
    secret = f'\n  password = "{password}"' if password else ""
    return f"""
terraform {{
  required_providers {{
    tkgtest = {{ source = "tkg-test/tkgtest" }}
  }}
}}

provider "tkgtest" {{
  store = "{workdir / "store.json"}"{secret}
}}
"""


def config_simple(workdir: Path, extra: str = "", password: str | None = None) -> str:
    return (
        _provider(workdir, password)
        + f"""
resource "tkgtest_thing" "x" {{
  name = "x"
  {extra}
}}
"""
    )


def config_refined_unknowns(workdir: Path) -> str:
    return (
        _provider(workdir)
        + """
resource "tkgtest_thing" "a" {
  name = "a"
}

resource "tkgtest_thing" "b" {
  name  = "b-${tkgtest_thing.a.id}"
  tags  = tkgtest_thing.a.id != "" ? { a = "b" } : {}
  items = tkgtest_thing.a.id != "" ? [tkgtest_thing.a.id, "x"] : []
}
"""
    )


def config_blocks(workdir: Path, *, replicas: int, zone: str, port: int, members: list[str]) -> str:
    member_blocks = "".join(f'\n  member {{\n    user = "{m}"\n  }}\n' for m in members)
    return (
        _provider(workdir)
        + f"""
resource "tkgtest_thing" "x" {{
  name          = "x"
  settings_json = jsonencode({{ a = 1, b = [1, 2] }})

  spec {{
    replicas = {replicas}
    zone     = "{zone}"
    inner {{
      key = "k"
    }}
  }}

  rule {{
    name = "first"
    mode = "strict"
  }}

  rule {{
    name = "second"
    port = {port}
  }}
{member_blocks}}}
"""
    )


def test_json_encode_spells_json_exactly_as_terraform_jsonencode(tf: Terraform) -> None:
    """Import reads JSON attributes back in this spelling, so it must match ``jsonencode`` byte for byte."""
    tf.write(
        'output "doc" {\n'
        '  value = jsonencode({ zeta = [1, 2.5, -3, true, null], alpha = { "b" = "<&>", "a" = "ü\\u2028" }, '
        "empty = {}, list = [] })\n"
        "}\n"
    )
    tf.init()
    tf.apply()
    text = tf.output("doc")
    assert Json.encode(json.loads(text)) == text
