"""The tfplugin6 gRPC servicer: decodes requests, runs the plan engine and the provider's code, encodes replies.

It replaces every RPC of ``tf.provider.ProviderServicer`` (which decodes only top-level attributes, skips the plan
hook on create, ignores config and private state and rejects destroy plans) while keeping ``tf``'s generated
stubs. No exception escapes an RPC: each becomes an error diagnostic, with the traceback in the provider log.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from tf.gen import tfplugin_pb2 as pb
from tf.gen import tfplugin_pb2_grpc as rpc

from . import logs
from . import plan as engine
from .diagnostics import Diagnostics, path_to_pb
from .resource import TIMEOUTS, Cancelled, Context, DataSource, PlanContext, Provider, Resource
from .schema import Block, Schema
from .values import decode_json, decode_msgpack, encode_msgpack, unknown_to_null

__all__ = ["ProviderServicer"]

log = logging.getLogger(__name__)

# An empty provider_meta schema: Terraform requires one in the schema response.
_EMPTY_SCHEMA = pb.Schema(version=0, block=pb.Schema.Block())


def _decode(value: pb.DynamicValue) -> Any:
    if value.msgpack:
        return decode_msgpack(value.msgpack)
    if value.json:
        return decode_json(value.json)
    return None


def _encode(value: Any) -> pb.DynamicValue:
    return pb.DynamicValue(msgpack=encode_msgpack(value))


def _read_private(data: bytes) -> dict[str, Any]:
    if not data:
        return {}
    try:
        value = json.loads(data)
    except ValueError:
        return {}  # written by another provider version or format; private state is advisory
    return value if isinstance(value, dict) else {}


def _write_private(private: dict[str, Any]) -> bytes:
    return json.dumps(private, sort_keys=True).encode() if private else b""


class ProviderServicer(rpc.ProviderServicer):  # type: ignore[misc]
    """Serves one ``Provider`` over tfplugin6."""

    def __init__(self, provider: Provider) -> None:
        self.provider = provider
        self.provider_data: Any = None
        # Set by StopProvider (Ctrl-C): waits poll ``ctx.check_stop()`` and give up; the server keeps serving.
        self.stop_requested = threading.Event()
        self.resources: dict[str, type[Resource]] = {r.type_name: r for r in provider.resources}
        self.data_sources: dict[str, type[DataSource]] = {d.type_name: d for d in provider.data_sources}
        self._resource_schemas: dict[str, Schema] = {}

    # ----------------------------------------------------------------------------------------------- helpers

    def _resource_schema(self, type_name: str) -> Schema:
        # Resources and data sources may share a type name (tkg_vm_class is both): cache them apart.
        if type_name not in self._resource_schemas:
            self._resource_schemas[type_name] = self.resources[type_name].full_schema()
        return self._resource_schemas[type_name]

    def _block(self, type_name: str) -> Block:
        return self._resource_schema(type_name).block

    def _data_block(self, type_name: str) -> Block:
        return self.data_sources[type_name].schema.block

    def _context(self, diags: Diagnostics, type_name: str, **kw: Any) -> Context:
        return Context(diags, type_name, stop=self.stop_requested, **kw)

    @contextmanager
    def _guard(self, diags: Diagnostics, operation: str, type_name: str = "") -> Iterator[None]:
        """Log the call and turn any exception into a diagnostic."""
        with logs.resource_context(type_name or "provider"):
            log.debug("%s %s", operation, type_name)
            try:
                yield
            except Cancelled as exc:
                diags.error(f"{operation} {type_name}: interrupted", str(exc))
            except Exception as exc:
                diags.bug(f"{operation} {type_name}".strip(), exc)

    def _unknown_type(self, diags: Diagnostics, type_name: str) -> None:
        diags.error(f"Unknown type {type_name}", "This provider does not know that resource or data source type.")

    # ----------------------------------------------------------------------------------------------- metadata

    def GetMetadata(self, request: Any, context: Any) -> Any:
        return pb.GetMetadata.Response(
            server_capabilities=pb.ServerCapabilities(plan_destroy=True, get_provider_schema_optional=True),
            resources=[pb.GetMetadata.ResourceMetadata(type_name=n) for n in self.resources],
            data_sources=[pb.GetMetadata.DataSourceMetadata(type_name=n) for n in self.data_sources],
        )

    def GetProviderSchema(self, request: Any, context: Any) -> Any:
        return pb.GetProviderSchema.Response(
            provider=self.provider.schema.to_pb(),
            provider_meta=_EMPTY_SCHEMA,
            resource_schemas={n: self._resource_schema(n).to_pb() for n in self.resources},
            data_source_schemas={n: d.schema.to_pb() for n, d in self.data_sources.items()},
            server_capabilities=pb.ServerCapabilities(plan_destroy=True, get_provider_schema_optional=True),
        )

    def GetFunctions(self, request: Any, context: Any) -> Any:
        return pb.GetFunctions.Response()

    # ----------------------------------------------------------------------------------------------- provider

    def ValidateProviderConfig(self, request: Any, context: Any) -> Any:
        diags = Diagnostics()
        with self._guard(diags, "validating provider configuration"):
            block = self.provider.schema.block
            config = block.normalize(_decode(request.config))
            engine.validate(block, config, diags)
            if not diags.has_errors:
                self.provider.validate(self._context(diags, "provider"), config)
        return pb.ValidateProviderConfig.Response(diagnostics=diags.to_pb())

    def ConfigureProvider(self, request: Any, context: Any) -> Any:
        diags = Diagnostics()
        with self._guard(diags, "configuring provider"):
            config = self.provider.schema.block.normalize(_decode(request.config))
            self.provider_data = self.provider.configure(self._context(diags, "provider"), config)
        return pb.ConfigureProvider.Response(diagnostics=diags.to_pb())

    def StopProvider(self, request: Any, context: Any) -> Any:
        log.info("Terraform asked the provider to stop; cancelling in-flight waits")
        self.stop_requested.set()
        return pb.StopProvider.Response()

    # ----------------------------------------------------------------------------------------------- validation

    def ValidateResourceConfig(self, request: Any, context: Any) -> Any:
        diags = Diagnostics()
        type_name = request.type_name
        with self._guard(diags, "validating", type_name):
            if type_name not in self.resources:
                self._unknown_type(diags, type_name)
            else:
                block = self._block(type_name)
                config = block.normalize(_decode(request.config))
                engine.validate(block, config, diags)
                if not diags.has_errors:
                    self.resources[type_name](None).validate(self._context(diags, type_name), config)
        return pb.ValidateResourceConfig.Response(diagnostics=diags.to_pb())

    def ValidateDataResourceConfig(self, request: Any, context: Any) -> Any:
        diags = Diagnostics()
        type_name = request.type_name
        with self._guard(diags, "validating", type_name):
            if type_name not in self.data_sources:
                self._unknown_type(diags, type_name)
            else:
                block = self._data_block(type_name)
                config = block.normalize(_decode(request.config))
                engine.validate(block, config, diags)
                if not diags.has_errors:
                    self.data_sources[type_name](None).validate(self._context(diags, type_name), config)
        return pb.ValidateDataResourceConfig.Response(diagnostics=diags.to_pb())

    # ----------------------------------------------------------------------------------------------- state

    def UpgradeResourceState(self, request: Any, context: Any) -> Any:
        diags = Diagnostics()
        type_name = request.type_name
        upgraded: Any = None
        with self._guard(diags, "upgrading state of", type_name):
            schema = self._resource_schema(type_name)
            raw = request.raw_state
            if raw.flatmap and not raw.json:
                diags.error(
                    f"Cannot upgrade state of {type_name}",
                    "The state was written in the legacy flatmap format, which this provider does not read.",
                )
            else:
                state = json.loads(raw.json) if raw.json else None
                if state is not None and request.version < schema.version:
                    res = self.resources[type_name](self.provider_data)
                    state = res.upgrade(self._context(diags, type_name), request.version, state)
                upgraded = schema.block.normalize(state)
        return pb.UpgradeResourceState.Response(upgraded_state=_encode(upgraded), diagnostics=diags.to_pb())

    def ReadResource(self, request: Any, context: Any) -> Any:
        diags = Diagnostics()
        type_name = request.type_name
        block = self._block(type_name)
        current = block.normalize(_decode(request.current_state))
        new_state: Any = current
        private = _read_private(request.private)
        with self._guard(diags, "reading", type_name):
            ctx = self._context(diags, type_name, private=private)
            new_state = self.resources[type_name](self.provider_data).read(ctx, current)
            if new_state is None:
                log.info("%s no longer exists; removing it from state", type_name)
            else:
                new_state = self._finish_state(type_name, new_state, current, timeouts_from=current)
        if diags.has_errors and new_state is None:
            new_state = current  # an error must never drop the object from state
        return pb.ReadResource.Response(
            new_state=_encode(new_state), diagnostics=diags.to_pb(), private=_write_private(private)
        )

    def _finish_state(self, type_name: str, state: Any, old: Any, *, timeouts_from: Any) -> Any:
        """Normalise a state returned by resource code: all attributes, old representation kept, no unknowns."""
        block = self._block(type_name)
        state = block.normalize(state)
        if TIMEOUTS in block.blocks:
            state[TIMEOUTS] = (timeouts_from or {}).get(TIMEOUTS)
        return unknown_to_null(engine.keep_equal(block, state, old))

    # ----------------------------------------------------------------------------------------------- plan

    def PlanResourceChange(self, request: Any, context: Any) -> Any:
        diags = Diagnostics()
        type_name = request.type_name
        planned: Any = None
        replace: set[Any] = set()
        private = _read_private(request.prior_private)
        with self._guard(diags, "planning", type_name):
            block = self._block(type_name)
            prior = block.normalize(_decode(request.prior_state))
            proposed = block.normalize(_decode(request.proposed_new_state))
            config = block.normalize(_decode(request.config))
            if proposed is None:  # destroy plan
                return pb.PlanResourceChange.Response(
                    planned_state=_encode(None), planned_private=request.prior_private
                )
            planned, changed = engine.plan_change(block, prior, proposed, config, replace, local_only=(TIMEOUTS,))
            ctx = PlanContext(
                diags,
                type_name,
                stop=self.stop_requested,
                private=private,
                config=config,
                prior=prior,
                changed=changed,
                requires_replace=replace,
            )
            planned = self.resources[type_name](self.provider_data).plan(ctx, planned)
            replace = ctx.requires_replace
            if replace:
                log.info("%s must be replaced: %s", type_name, sorted(map(str, replace)))
        return pb.PlanResourceChange.Response(
            planned_state=_encode(planned),
            requires_replace=[path_to_pb(p) for p in sorted(replace, key=str)],
            planned_private=_write_private(private),
            diagnostics=diags.to_pb(),
        )

    # ----------------------------------------------------------------------------------------------- apply

    def ApplyResourceChange(self, request: Any, context: Any) -> Any:
        diags = Diagnostics()
        type_name = request.type_name
        block = self._block(type_name)
        prior = block.normalize(_decode(request.prior_state))
        planned = block.normalize(_decode(request.planned_state))
        private = _read_private(request.planned_private)
        cls = self.resources[type_name]
        op = "create" if prior is None else "delete" if planned is None else "update"
        # What stays in state if the operation fails before the resource code returns a state.
        new_state: Any = None if op == "create" else prior
        with self._guard(diags, f"{op[:-1]}ing", type_name):
            timeout = cls.timeouts.seconds(op, planned if planned is not None else prior) if cls.timeouts else None
            ctx = self._context(
                diags,
                type_name,
                private=private,
                timeout=timeout,
                deadline=time.monotonic() + timeout if timeout is not None else None,
            )
            res = cls(self.provider_data)
            if op == "create":
                new_state = res.create(ctx, planned)
            elif op == "delete":
                res.delete(ctx, prior)
                new_state = prior if diags.has_errors else None
            elif all(path[:1] == (TIMEOUTS,) for path in engine.diff(block, prior, planned)):
                new_state = planned  # only the timeouts changed: nothing to send to the API
            else:
                new_state = res.update(ctx, prior, planned)
                if new_state is None and not diags.has_errors:
                    diags.error(
                        f"updating {type_name}: the object disappeared",
                        "The object was deleted outside Terraform during the update. Run terraform apply again to "
                        "re-create it.",
                    )
            if new_state is not None and op == "update":
                new_state = engine.keep_stable(block, block.normalize(new_state), planned)
            if new_state is not None:
                new_state = self._finish_state(type_name, new_state, planned or prior, timeouts_from=planned)
        return pb.ApplyResourceChange.Response(
            new_state=_encode(new_state), private=_write_private(private), diagnostics=diags.to_pb()
        )

    # ----------------------------------------------------------------------------------------------- import

    def ImportResourceState(self, request: Any, context: Any) -> Any:
        diags = Diagnostics()
        type_name = request.type_name
        imported = []
        with self._guard(diags, "importing", type_name):
            cls = self.resources.get(type_name)
            if cls is None:
                self._unknown_type(diags, type_name)
            elif not cls.importable():
                diags.error(f"{type_name} cannot be imported", "This resource type does not support import.")
            else:
                private: dict[str, Any] = {}
                ctx = self._context(diags, type_name, private=private)
                state = cls(self.provider_data).import_(ctx, request.id)
                if state is not None and not diags.has_errors:
                    state = unknown_to_null(self._block(type_name).normalize(state))
                    imported.append(
                        pb.ImportResourceState.ImportedResource(
                            type_name=type_name, state=_encode(state), private=_write_private(private)
                        )
                    )
        return pb.ImportResourceState.Response(imported_resources=imported, diagnostics=diags.to_pb())

    def MoveResourceState(self, request: Any, context: Any) -> Any:
        diags = Diagnostics()
        diags.error("Moving resource state is not supported", "Use terraform import for the target address instead.")
        return pb.MoveResourceState.Response(diagnostics=diags.to_pb())

    # ----------------------------------------------------------------------------------------------- data

    def ReadDataSource(self, request: Any, context: Any) -> Any:
        diags = Diagnostics()
        type_name = request.type_name
        state: Any = None
        with self._guard(diags, "reading data source", type_name):
            block = self._data_block(type_name)
            config = block.normalize(_decode(request.config))
            state = self.data_sources[type_name](self.provider_data).read(self._context(diags, type_name), config)
            state = unknown_to_null(block.normalize(state)) if state is not None else None
            if state is None and not diags.has_errors:
                diags.error(f"reading {type_name}: no result", "The data source returned nothing (provider bug).")
        return pb.ReadDataSource.Response(state=_encode(state), diagnostics=diags.to_pb())
