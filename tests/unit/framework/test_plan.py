from __future__ import annotations

from typing import Any

from terraform_provider_tkg.framework import plan, validators
from terraform_provider_tkg.framework import types as t
from terraform_provider_tkg.framework.diagnostics import Diagnostics, Key, format_path
from terraform_provider_tkg.framework.schema import Attribute, Block, GroupBlock, ListBlock, SetBlock, SingleBlock
from terraform_provider_tkg.framework.values import Unknown

BLOCK = Block(
    attributes={
        "id": Attribute(t.String(), computed=True),
        "name": Attribute(t.String(), required=True, requires_replace=True, validators=(validators.dns1123_label,)),
        "size": Attribute(t.Number(), optional=True, computed=True, default=1),
        "doc": Attribute(t.Json(), optional=True),
        "tags": Attribute(t.Set(t.String()), optional=True),
    },
    blocks={
        "net": SingleBlock(
            Block(
                attributes={
                    "domain": Attribute(t.String(), optional=True, requires_replace=True),
                    "cni": Attribute(t.String(), optional=True, computed=True),
                }
            )
        ),
        "pool": ListBlock(
            Block(
                attributes={
                    "name": Attribute(t.String(), required=True),
                    "replicas": Attribute(t.Number(), optional=True, validators=(validators.between(0, 10),)),
                    "zone": Attribute(t.String(), optional=True, requires_replace=True),
                }
            )
        ),
        "member": SetBlock(
            Block(
                attributes={
                    "user": Attribute(t.String(), required=True),
                    "role": Attribute(t.String(), optional=True, requires_replace=True),
                }
            )
        ),
    },
)


def value(**kw: Any) -> Any:
    return BLOCK.normalize(kw)


def make_plan(prior: Any, config: Any) -> tuple[Any, set[Any]]:
    replace: set[Any] = set()
    # Terraform's proposed state: config values, with prior values for computed attributes left null in config.
    proposed = BLOCK.normalize(config)
    if prior is not None:
        for name, attr in BLOCK.attributes.items():
            if attr.computed and proposed[name] is None:
                proposed[name] = prior[name]
        if prior["net"] and proposed["net"] and proposed["net"]["cni"] is None:
            proposed["net"]["cni"] = prior["net"]["cni"]
    return plan.plan(BLOCK, prior, proposed, BLOCK.normalize(config), replace), replace


def test_create_fills_defaults_and_unknowns_in_blocks() -> None:
    planned, replace = make_plan(None, {"name": "a", "net": {"domain": "x"}})
    assert planned["id"] is Unknown
    assert planned["size"] == 1
    assert planned["net"]["cni"] is Unknown
    assert not replace


def test_update_keeps_computed_values_and_detects_nested_replace() -> None:
    prior = value(id="a-1", name="a", size=1, net={"domain": "x", "cni": "antrea"}, pool=[{"name": "p", "zone": "z1"}])
    planned, replace = make_plan(prior, {"name": "a", "net": {"domain": "y"}, "pool": [{"name": "p", "zone": "z2"}]})
    assert planned["id"] == "a-1"
    assert replace == {("net", "domain"), ("pool", 0, "zone")}
    assert plan.diff(BLOCK, prior, planned) == [("net", "domain"), ("pool", 0, "zone")]


def test_new_list_element_does_not_force_replacement() -> None:
    prior = value(id="a-1", name="a", size=1, pool=[{"name": "p"}])
    planned, replace = make_plan(prior, {"name": "a", "pool": [{"name": "p"}, {"name": "q", "zone": "z"}]})
    assert not replace
    assert plan.diff(BLOCK, prior, planned) == [("pool",)]


def test_set_block_replace_attribute_is_reported_on_the_set() -> None:
    prior = value(id="a-1", name="a", member=[{"user": "u", "role": "r1"}])
    _, replace = make_plan(prior, {"name": "a", "member": [{"user": "u", "role": "r2"}]})
    assert replace == {("member",)}
    _, replace = make_plan(prior, {"name": "a", "member": [{"user": "u", "role": "r1"}]})
    assert not replace


def test_no_changes_means_planned_equals_prior() -> None:
    prior = value(id="a-1", name="a", size=3, tags=["x", "y"], member=[{"user": "u"}, {"user": "v"}])
    planned, replace = make_plan(
        prior, {"name": "a", "size": 3, "tags": ["y", "x"], "member": [{"user": "v"}, {"user": "u"}]}
    )
    assert not replace
    assert plan.diff(BLOCK, prior, planned) == []


def test_removing_optional_computed_value_goes_back_to_default() -> None:
    prior = value(id="a-1", name="a", size=5)
    planned, _ = make_plan(prior, {"name": "a"})
    assert planned["size"] == 1


def test_keep_equal_preserves_json_and_set_representation() -> None:
    old = value(id="a", name="a", doc='{"b": 1, "a": [1, 2]}', tags=["x", "y"], member=[{"user": "u"}, {"user": "v"}])
    new = value(id="a", name="a", doc='{"a":[1,2],"b":1}', tags=["y", "x"], member=[{"user": "v"}, {"user": "u"}])
    kept = plan.keep_equal(BLOCK, new, old)
    assert kept["doc"] == old["doc"]
    assert kept["tags"] == ["x", "y"]
    assert kept["member"] == old["member"]
    changed = value(id="a", name="a", doc='{"a":[2,1],"b":1}')
    assert plan.keep_equal(BLOCK, changed, old)["doc"] == '{"a":[2,1],"b":1}'


def test_validate_reports_paths_inside_blocks() -> None:
    diags = Diagnostics()
    config = value(name="Bad_Name", id="x", pool=[{"name": "p", "replicas": 3}, {"name": "q", "replicas": 11}])
    plan.validate(BLOCK, config, diags)
    paths = sorted(format_path(d.path) for d in diags if d.path)
    assert paths == ["id", "name", "pool[1].replicas"]
    assert all(d.severity == "error" for d in diags)


def test_validate_skips_unknown_values() -> None:
    diags = Diagnostics()
    plan.validate(BLOCK, value(name=Unknown, pool=[{"name": "p", "replicas": Unknown}]), diags)
    assert not diags.has_errors


def test_format_path() -> None:
    assert format_path(("node_pool", 0, "labels", Key("team"))) == 'node_pool[0].labels["team"]'


# ---- computed values of an update (like terraform-plugin-framework: unknown unless stable) -------------------------

CHANGING = Block(
    attributes={
        "id": Attribute(t.String(), computed=True, stable=True),
        "name": Attribute(t.String(), required=True),
        "status": Attribute(t.String(), computed=True),
        "mode": Attribute(t.String(), optional=True, computed=True, default="auto"),
        "picked": Attribute(t.String(), optional=True, computed=True),
    },
    blocks={
        "settings": GroupBlock(
            Block(
                attributes={
                    "replicas": Attribute(t.Number(), optional=True, computed=True, default=1),
                    "zone": Attribute(t.String(), optional=True),
                    "address": Attribute(t.String(), computed=True),
                }
            )
        ),
        "timeouts": SingleBlock(Block(attributes={"create": Attribute(t.String(), optional=True)})),
    },
)


def change(prior: Any, config: Any) -> tuple[Any, list[Any]]:
    """What the servicer plans: Terraform's proposed state holds prior values for computed attributes."""
    config = CHANGING.normalize(config)
    proposed = CHANGING.normalize(config)
    for name, attr in CHANGING.attributes.items():
        if attr.computed and proposed[name] is None:
            proposed[name] = prior[name]
    proposed["settings"]["address"] = prior["settings"]["address"]
    return plan.plan_change(CHANGING, prior, proposed, config, set(), local_only=("timeouts",))


PRIOR = CHANGING.normalize(
    {
        "id": "x-1",
        "name": "x",
        "status": "ok",
        "mode": "auto",
        "picked": "p",
        "settings": {"replicas": 1, "address": "a"},
    }
)


def test_a_change_makes_computed_values_unknown_except_stable_defaulted_and_configured() -> None:
    planned, changed = change(PRIOR, {"name": "y", "picked": "q"})
    assert changed == [("name",), ("picked",)]
    assert planned["status"] is Unknown and planned["settings"]["address"] is Unknown
    assert planned["id"] == "x-1"  # stable
    assert planned["mode"] == "auto" and planned["settings"]["replicas"] == 1  # defaults
    assert planned["picked"] == "q"  # set in the configuration


def test_no_change_and_local_only_changes_keep_every_computed_value() -> None:
    for config in ({"name": "x"}, {"name": "x", "timeouts": {"create": "5m"}}):
        planned, _ = change(PRIOR, config)
        assert planned["status"] == "ok" and planned["settings"]["address"] == "a" and planned["picked"] == "p"


def test_keep_stable_returns_what_the_plan_promised() -> None:
    planned, _ = change(PRIOR, {"name": "y"})
    applied = {**planned, "id": "x-2", "status": "ok", "settings": {**planned["settings"], "address": "b"}}
    kept = plan.keep_stable(CHANGING, applied, planned)
    assert kept["id"] == "x-1" and kept["status"] == "ok" and kept["settings"]["address"] == "b"
    assert plan.keep_stable(CHANGING, applied, {**planned, "id": Unknown})["id"] == "x-2"


def test_a_group_block_left_out_equals_the_block_with_its_defaults() -> None:
    nested = CHANGING.blocks["settings"]
    assert nested.normalize(None) == {"replicas": None, "zone": None, "address": None}
    left_out, _ = change(PRIOR, {"name": "x"})
    written, _ = change(PRIOR, {"name": "x", "settings": {"replicas": 1}})
    assert left_out == written and plan.diff(CHANGING, PRIOR, written) == []
    assert nested.to_pb("settings").nesting == nested.nesting.value == 5  # tfplugin6 NestingMode.GROUP
