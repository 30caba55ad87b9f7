"""The test-only provider and its ``tkgtest_thing`` resource (see the package docstring)."""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path
from typing import Any

from terraform_provider_tkg.framework import logs, validators
from terraform_provider_tkg.framework import types as t
from terraform_provider_tkg.framework.resource import Context, Provider, Resource, Timeouts
from terraform_provider_tkg.framework.schema import Attribute, Block, ListBlock, Schema, SetBlock, SingleBlock
from terraform_provider_tkg.framework.values import Unknown

FULL_NAME = "registry.terraform.io/tkg-test/tkgtest"

log = logging.getLogger("tests.e2e.testprovider")


class Store:
    """Objects in a JSON file: the "remote API" of the test provider."""

    def __init__(self, path: str) -> None:
        self.path = Path(path)

    def load(self) -> dict[str, Any]:
        return json.loads(self.path.read_text()) if self.path.exists() else {}

    def next_number(self) -> int:
        """A number never handed out before for this store (ids are not reused after a delete)."""
        seq = self.path.with_suffix(".seq")
        number = int(seq.read_text()) + 1 if seq.exists() else 1
        seq.write_text(str(number))
        return number

    def save(self, objects: dict[str, Any]) -> None:
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(objects, indent=2, sort_keys=True))
        tmp.replace(self.path)


THING_SCHEMA = Schema(
    Block(
        attributes={
            "id": Attribute(t.String(), computed=True, stable=True),
            "name": Attribute(t.String(), required=True, requires_replace=True, validators=(validators.dns1123_label,)),
            "description": Attribute(t.String(), optional=True),
            "size": Attribute(
                t.Number(), optional=True, computed=True, default=1, validators=(validators.between(1, 10),)
            ),
            "tags": Attribute(t.Map(t.String()), optional=True),
            "items": Attribute(t.List(t.String()), optional=True),
            "settings_json": Attribute(t.Json(), optional=True, validators=(validators.json_object,)),
            "fail_create": Attribute(t.Bool(), optional=True),
            "create_delay": Attribute(t.Number(), optional=True),
            "status": Attribute(t.String(), computed=True),
            "revision": Attribute(t.Number(), computed=True),
        },
        blocks={
            "spec": SingleBlock(
                Block(
                    attributes={
                        "replicas": Attribute(t.Number(), optional=True, computed=True, default=1),
                        "zone": Attribute(t.String(), optional=True, requires_replace=True),
                    },
                    blocks={
                        "inner": ListBlock(
                            Block(
                                attributes={
                                    "key": Attribute(t.String(), required=True),
                                    "value": Attribute(t.String(), optional=True),
                                }
                            )
                        )
                    },
                )
            ),
            "rule": ListBlock(
                Block(
                    attributes={
                        "name": Attribute(t.String(), required=True),
                        "port": Attribute(t.Number(), optional=True, validators=(validators.between(1, 65535),)),
                        "mode": Attribute(t.String(), optional=True, computed=True),
                    }
                ),
                max_items=5,
            ),
            "member": SetBlock(
                Block(
                    attributes={
                        "user": Attribute(t.String(), required=True),
                        "role": Attribute(t.String(), optional=True, validators=(validators.one_of("OWNER", "VIEW"),)),
                    }
                )
            ),
        },
    )
)


class Thing(Resource):
    type_name = "tkgtest_thing"
    schema = THING_SCHEMA
    timeouts = Timeouts(create=30, update=30, delete=30)

    @property
    def store(self) -> Store:
        return Store(self.provider_data["store"])

    def validate(self, ctx: Context, config: dict[str, Any]) -> None:
        if config.get("fail_create") is True and config.get("create_delay") not in (None, Unknown):
            ctx.diagnostics.error(
                "Conflicting settings", "fail_create and create_delay cannot be combined.", ("create_delay",)
            )

    def _remote(self, planned: dict[str, Any]) -> dict[str, Any]:
        obj = {k: v for k, v in planned.items() if k != "timeouts"}
        for rule in obj.get("rule") or []:
            if rule.get("mode") in (None, Unknown):
                rule["mode"] = "auto"  # a server-side default
        obj["status"] = f"ok:{planned.get('description') or ''}"
        return obj

    def _next_revision(self, objects: dict[str, Any], object_id: str) -> int:
        """The remote counts writes: a computed value that changes with every update, whatever changed."""
        return int((objects.get(object_id) or {}).get("revision") or 0) + 1

    def create(self, ctx: Context, planned: dict[str, Any]) -> dict[str, Any] | None:
        objects = self.store.load()
        obj = self._remote(planned)
        obj["id"] = f"{planned['name']}-{self.store.next_number()}"
        obj["revision"] = 1
        objects[obj["id"]] = obj
        self.store.save(objects)
        log.info("created %s", obj["id"])
        if planned.get("fail_create"):
            obj["status"] = "failed"
            ctx.diagnostics.error("creating tkgtest_thing: provisioning failed", "the remote object reported failure")
            return obj
        delay = planned.get("create_delay") or 0
        end = time.monotonic() + delay
        while time.monotonic() < end:
            ctx.check_stop()
            remaining = ctx.remaining()
            if remaining is not None and remaining <= 0:
                obj["status"] = "provisioning"
                ctx.diagnostics.error(
                    "creating tkgtest_thing: timed out",
                    f"still provisioning after {ctx.timeout}s; the object is kept in state (tainted)",
                )
                return obj
            time.sleep(0.05)
        return obj

    def read(self, ctx: Context, state: dict[str, Any]) -> dict[str, Any] | None:
        obj = self.store.load().get(state["id"])
        if obj is None:
            ctx.diagnostics.warning("tkgtest_thing disappeared", f"{state['id']} was deleted outside Terraform")
        return obj

    def update(self, ctx: Context, prior: dict[str, Any], planned: dict[str, Any]) -> dict[str, Any] | None:
        objects = self.store.load()
        if prior["id"] not in objects:
            return None
        obj = self._remote(planned)
        obj["revision"] = self._next_revision(objects, prior["id"])
        objects[prior["id"]] = obj
        self.store.save(objects)
        return obj

    def delete(self, ctx: Context, state: dict[str, Any]) -> None:
        objects = self.store.load()
        objects.pop(state["id"], None)
        self.store.save(objects)

    def import_(self, ctx: Context, import_id: str) -> dict[str, Any] | None:
        if import_id not in self.store.load():
            ctx.diagnostics.error(
                "importing tkgtest_thing: not found", f"no object with id {import_id!r}; expected an id like name-1"
            )
            return None
        return {"id": import_id}


class TestProvider(Provider):
    full_name = FULL_NAME
    schema = Schema(
        Block(
            attributes={
                "store": Attribute(t.String(), required=True),
                "password": Attribute(t.String(), optional=True, sensitive=True),
            }
        )
    )
    resources = (Thing,)

    def configure(self, ctx: Context, config: dict[str, Any]) -> Any:
        if config.get("password"):
            logs.register_secret(config["password"])
            # Deliberately log the secret: the redaction filter must keep it out of TF_LOG output.
            log.debug("configured with password=%s", config["password"])
        return {"store": config["store"]}
