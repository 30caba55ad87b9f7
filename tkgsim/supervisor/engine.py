"""The generic Kubernetes REST engine: one implementation of get/list/watch/create/update/patch/delete for every
registered :class:`~tkgsim.supervisor.resources.ResourceType`.

URL shapes served (``<prefix>`` is ``/api/v1`` or ``/apis/<group>/<version>``)::

    <prefix>/<plural>                              cluster-scoped collection, or all namespaces
    <prefix>/<plural>/<name>[/status]              cluster-scoped object
    <prefix>/namespaces/<ns>/<plural>              namespaced collection
    <prefix>/namespaces/<ns>/<plural>/<name>[/status]

Request flow: authentication and RBAC (``security.py``) → decode → mutate (patch/apply) → admission hooks of the
type → store (which applies resourceVersion/generation/status/finalizer semantics) → response. Errors are raised
as ``status.KubeError`` and rendered by the error middleware.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import json
import logging
import re
import time
from typing import Any

import yaml
from aiohttp import web

from . import patching, schema, selectors, status, tables
from .context import SUPERVISOR, Supervisor
from .resources import AdmissionRequest, ResourceType
from .security import USER, authorize

__all__ = ["ROUTES", "handle"]

log = logging.getLogger(__name__)

_DNS1123_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_DNS1123_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")

# Kinds whose names must be DNS-1123 labels rather than subdomains.
_LABEL_NAMED = {"Namespace"}
# Seconds between BOOKMARK events on watches that allow them.
BOOKMARK_INTERVAL = 5.0
# Watches without timeoutSeconds end after this long (the API server picks 30-60 minutes).
DEFAULT_WATCH_SECONDS = 1800.0


class _Target:
    """The parsed resource URL."""

    def __init__(self, rt: ResourceType, namespace: str | None, name: str | None, subresource: str | None) -> None:
        self.rt = rt
        self.namespace = namespace
        self.name = name
        self.subresource = subresource


def _parse(sup: Supervisor, request: web.Request) -> _Target:
    path = request.path.rstrip("/")
    parts = [p for p in path.split("/") if p]
    if parts[:2] == ["api", "v1"]:
        group, version, rest = "", "v1", parts[2:]
    elif parts and parts[0] == "apis" and len(parts) >= 3:
        group, version, rest = parts[1], parts[2], parts[3:]
    else:
        raise _not_served()
    namespace: str | None = None
    if len(rest) >= 3 and rest[0] == "namespaces" and rest[2] not in ("status", "finalize"):
        namespace, rest = rest[1], rest[2:]
    if not rest or len(rest) > 3:
        raise _not_served()
    rt = sup.registry.find(group, version, rest[0])
    if rt is None or (namespace is not None and not rt.namespaced):
        raise _not_served()
    name = rest[1] if len(rest) >= 2 else None
    subresource = rest[2] if len(rest) == 3 else None
    status_ok = subresource == "status" and rt.status_subresource
    finalize_ok = rt.kind == "Namespace" and subresource == "finalize"
    if subresource is not None and not (status_ok or finalize_ok):
        raise _not_served()
    return _Target(rt, namespace, name, subresource)


def _not_served() -> status.KubeError:
    return status.KubeError(404, "NotFound", "the server could not find the requested resource", {})


def _json(data: Any, code: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    return web.Response(
        body=json.dumps(data, separators=(",", ":")).encode(),
        status=code,
        content_type="application/json",
        headers=headers,
    )


async def _read_body(request: web.Request) -> Any:
    raw = await request.read()
    if not raw:
        return None
    ctype = request.content_type
    try:
        if ctype.endswith("yaml"):
            return yaml.safe_load(raw)
        return json.loads(raw)
    except (ValueError, yaml.YAMLError) as exc:
        raise status.bad_request(
            f"the server rejected our request due to an error in our request: {str(exc)[:200]}"
        ) from exc


def _flag(request: web.Request, name: str) -> bool:
    return request.query.get(name, "").lower() in ("true", "1")


def _dry_run(request: web.Request, body: Any = None) -> bool:
    if request.query.get("dryRun") == "All":
        return True
    return isinstance(body, dict) and body.get("dryRun") == ["All"]


def _field_manager(request: web.Request, default: str | None = None) -> str:
    manager = request.query.get("fieldManager")
    if manager:
        return manager[:128]
    if default:
        return default
    agent = request.headers.get("User-Agent", "unknown")
    return agent.split("/")[0][:128] or "unknown"


def _validate_name(rt: ResourceType, obj: dict[str, Any]) -> None:
    name = obj.get("metadata", {}).get("name", "")
    if not name:
        return
    if rt.kind in _LABEL_NAMED:
        ok, limit, what = bool(_DNS1123_LABEL.match(name)) and len(name) <= 63, 63, "label"
    else:
        ok, limit, what = bool(_DNS1123_SUBDOMAIN.match(name)) and len(name) <= 253, 253, "subdomain"
    if not ok:
        if what == "label":
            detail = (
                "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start "
                "and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is "
                "'[a-z0-9]([-a-z0-9]*[a-z0-9])?')"
            )
        else:
            detail = (
                "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', "
                "and must "
                "start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is "
                "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
            )
        if len(name) > limit:
            detail = f"must be no more than {limit} characters"
        raise status.invalid(
            rt.kind, rt.group, name, [status.Cause("metadata.name", f'Invalid value: "{name}": {detail}')]
        )


def _check_type(rt: ResourceType, obj: Any, target: _Target) -> dict[str, Any]:
    if not isinstance(obj, dict):
        raise status.bad_request(
            "the server rejected our request due to an error in our request: body must be an object"
        )
    api_version = obj.get("apiVersion")
    kind = obj.get("kind")
    if api_version and api_version != rt.api_version:
        raise status.bad_request(
            f"the API version in the data ({api_version}) does not match the expected API version ({rt.api_version})"
        )
    if kind and kind != rt.kind:
        raise status.bad_request(f"the kind in the data ({kind}) does not match the expected kind ({rt.kind})")
    meta = obj.setdefault("metadata", {})
    if not isinstance(meta, dict):
        raise status.bad_request(
            "the server rejected our request due to an error in our request: metadata must be an object"
        )
    if rt.namespaced:
        body_ns = meta.get("namespace")
        if body_ns and target.namespace and body_ns != target.namespace:
            raise status.bad_request(
                "the namespace of the provided object does not match the namespace sent on the request"
            )
        if target.namespace:
            meta["namespace"] = target.namespace
    if target.name and meta.get("name") and meta["name"] != target.name:
        raise status.bad_request(
            f"the name of the object ({meta['name']}) does not match the name on the URL ({target.name})"
        )
    if target.name and not meta.get("name"):
        meta["name"] = target.name
    obj["apiVersion"] = rt.api_version
    obj["kind"] = rt.kind
    return obj


def _structural(request: web.Request, rt: ResourceType, obj: dict[str, Any]) -> list[str]:
    """Prune/validate against the kind's schema; ``fieldValidation`` decides between 400, warnings and silence."""
    mode = request.query.get("fieldValidation", "Warn")
    return schema.check(obj, rt.schema, kind=rt.kind, group=rt.group, mode=mode)


def _admit(
    sup: Supervisor,
    rt: ResourceType,
    operation: str,
    obj: dict[str, Any],
    old: dict[str, Any] | None,
    user: str,
    dry_run: bool,
) -> list[str]:
    warnings: list[str] = []
    request = AdmissionRequest(operation=operation, obj=obj, old=old, user=user, store=sup.store, dry_run=dry_run)
    for hook in rt.admit:
        warnings.extend(hook(request))
    return warnings


def _warning_headers(warnings: list[str]) -> dict[str, str]:
    if not warnings:
        return {}
    # aiohttp joins a list-valued header poorly; one header with the first warning is what kubectl shows anyway.
    text = warnings[0].replace('"', "'")
    return {"Warning": f'299 - "{text}"'}


def _wants_table(request: web.Request) -> bool:
    return "as=Table" in request.headers.get("Accept", "")


# ------------------------------------------------------------------------------------------------------- handlers


async def handle(request: web.Request) -> web.StreamResponse:
    """Entry point for every ``/api/v1/...`` and ``/apis/<g>/<v>/...`` resource URL."""
    sup = request.app[SUPERVISOR]
    target = _parse(sup, request)
    method = request.method
    watching = method == "GET" and (_flag(request, "watch"))
    if method == "GET":
        verb = "watch" if watching else ("get" if target.name else "list")
    elif method == "POST":
        verb = "create"
    elif method == "PUT":
        verb = "update"
    elif method == "PATCH":
        verb = "patch"
    elif method == "DELETE":
        verb = "delete" if target.name else "deletecollection"
    else:
        raise status.method_not_allowed()
    user = request[USER]
    authorize(user, verb, target.rt, target.name, target.namespace)
    if verb == "watch":
        return await _watch(request, sup, target)
    if verb == "get":
        return _get(request, sup, target)
    if verb == "list":
        return _list(request, sup, target)
    if target.name is None and verb != "create" and verb != "deletecollection":
        raise status.method_not_allowed()
    if verb == "create":
        if target.name is not None:
            raise status.method_not_allowed()
        return await _create(request, sup, target, user["k8s_name"])
    if verb == "update":
        return await _update(request, sup, target, user["k8s_name"])
    if verb == "patch":
        return await _patch(request, sup, target, user["k8s_name"])
    if verb == "delete":
        return await _delete(request, sup, target)
    return await _delete_collection(request, sup, target)


def _get(request: web.Request, sup: Supervisor, target: _Target) -> web.Response:
    assert target.name is not None
    obj = sup.store.require(target.rt, target.namespace, target.name)
    if _wants_table(request):
        return _json(
            tables.table(
                target.rt, [obj], obj["metadata"]["resourceVersion"], request.query.get("includeObject", "Metadata")
            )
        )
    return _json(obj)


def _matching(request: web.Request, sup: Supervisor, target: _Target) -> list[dict[str, Any]]:
    label_match = selectors.parse_label_selector(request.query.get("labelSelector"))
    field_match = selectors.parse_field_selector(request.query.get("fieldSelector"))
    return [o for o in sup.store.list(target.rt, target.namespace) if label_match(o) and field_match(o)]


def _list(request: web.Request, sup: Supervisor, target: _Target) -> web.Response:
    items = _matching(request, sup, target)
    rv = str(sup.store.resource_version)
    if _wants_table(request):
        return _json(tables.table(target.rt, items, rv, request.query.get("includeObject", "Metadata")))
    return _json(
        {
            "kind": f"{target.rt.kind}List",
            "apiVersion": target.rt.api_version,
            "metadata": {"resourceVersion": rv},
            "items": items,
        }
    )


async def _create(request: web.Request, sup: Supervisor, target: _Target, user: str) -> web.Response:
    rt = target.rt
    body = _check_type(rt, await _read_body(request), target)
    dry_run = _dry_run(request)
    meta = body["metadata"]
    for system in ("uid", "resourceVersion", "creationTimestamp", "deletionTimestamp", "generation", "managedFields"):
        meta.pop(system, None)
    if rt.status_subresource and not rt.builtin:
        body.pop("status", None)
    _validate_name(rt, body)
    if rt.namespaced and target.namespace is None:
        raise _not_served()
    warnings = _structural(request, rt, body)
    warnings += _admit(sup, rt, "CREATE", body, None, user, dry_run)
    patching.record_update(None, body, _field_manager(request))
    created = sup.store.create(rt, body, dry_run=dry_run)
    log.debug("created %s %s", rt.key, meta.get("name"))
    return _json(created, 201, _warning_headers(warnings))


async def _update(request: web.Request, sup: Supervisor, target: _Target, user: str) -> web.Response:
    rt = target.rt
    assert target.name is not None
    body = _check_type(rt, await _read_body(request), target)
    dry_run = _dry_run(request)
    live = sup.store.require(rt, target.namespace, target.name)
    if not body["metadata"].get("resourceVersion") and not rt.builtin:
        raise status.invalid(
            rt.kind,
            rt.group,
            target.name,
            [status.Cause("metadata.resourceVersion", "Invalid value: 0x0: must be specified for an update")],
        )
    return _write(request, sup, target, user, live, body, dry_run)


def _write(
    request: web.Request,
    sup: Supervisor,
    target: _Target,
    user: str,
    live: dict[str, Any],
    new: dict[str, Any],
    dry_run: bool,
    *,
    manager_default: str | None = None,
    apply_done: bool = False,
) -> web.Response:
    """Shared tail of PUT and PATCH: admission, ownership, store."""
    rt = target.rt
    subresource = target.subresource if target.subresource == "status" else None
    warnings: list[str] = []
    if subresource is None:
        candidate = copy.deepcopy(new)
        if rt.status_subresource and "status" in live:
            candidate["status"] = live["status"]
        elif rt.status_subresource:
            candidate.pop("status", None)
        warnings = _structural(request, rt, candidate)
        warnings += _admit(sup, rt, "UPDATE", candidate, live, user, dry_run)
        new = candidate
    if not apply_done:
        patching.record_update(live, new, _field_manager(request, manager_default), subresource=subresource)
    stored = sup.store.update(rt, new, subresource=subresource, dry_run=dry_run)
    return _json(stored, 200, _warning_headers(warnings))


async def _patch(request: web.Request, sup: Supervisor, target: _Target, user: str) -> web.Response:
    rt = target.rt
    assert target.name is not None
    ctype = request.content_type
    patch = await _read_body(request)
    dry_run = _dry_run(request)
    if ctype == "application/apply-patch+yaml" or ctype == "application/apply-patch+cbor":
        return await _apply(request, sup, target, user, patch, dry_run)
    live = sup.store.require(rt, target.namespace, target.name)
    if ctype == "application/merge-patch+json":
        if not isinstance(patch, dict):
            raise status.bad_request(
                "the server rejected our request due to an error in our request: merge patch must be an object"
            )
        new = patching.merge_patch(live, patch)
    elif ctype == "application/json-patch+json":
        new = patching.json_patch(live, patch)
    elif ctype == "application/strategic-merge-patch+json":
        if not rt.builtin:
            raise status.unsupported_media_type(ctype)
        new = patching.strategic_merge_patch(live, patch)
    else:
        raise status.unsupported_media_type(ctype)
    if not isinstance(new, dict):
        raise status.bad_request(
            "the server rejected our request due to an error in our request: patch result is not an object"
        )
    new = _check_type(rt, new, target)
    return _write(request, sup, target, user, live, new, dry_run)


async def _apply(
    request: web.Request, sup: Supervisor, target: _Target, user: str, applied: Any, dry_run: bool
) -> web.Response:
    rt = target.rt
    assert target.name is not None
    manager = request.query.get("fieldManager")
    if not manager:
        raise status.bad_request("PATCH, application/apply-patch+yaml requires fieldManager to be set")
    if not isinstance(applied, dict) or not applied.get("apiVersion") or not applied.get("kind"):
        raise status.bad_request(
            "the server rejected our request due to an error in our request: apply requires apiVersion and kind"
        )
    applied = _check_type(rt, applied, target)
    force = _flag(request, "force")
    live = sup.store.get(rt, target.namespace, target.name)
    subresource = target.subresource if target.subresource == "status" else None
    if live is None:
        if subresource:
            raise status.not_found(rt.plural, rt.group, target.name)
        created = patching.apply(None, applied, manager, force=force)
        if rt.status_subresource and not rt.builtin:
            created.pop("status", None)
        _validate_name(rt, created)
        warnings = _structural(request, rt, created)
        warnings += _admit(sup, rt, "CREATE", created, None, user, dry_run)
        stored = sup.store.create(rt, created, dry_run=dry_run)
        return _json(stored, 201, _warning_headers(warnings))
    result = patching.apply(live, applied, manager, force=force, subresource=subresource)
    result = _check_type(rt, result, target)
    return _write(request, sup, target, user, live, result, dry_run, apply_done=True)


def _delete_options(request: web.Request, body: Any) -> tuple[str, str | None, str | None]:
    options = body if isinstance(body, dict) else {}
    propagation = request.query.get("propagationPolicy") or options.get("propagationPolicy") or "Background"
    if options.get("orphanDependents") is True or request.query.get("orphanDependents") == "true":
        propagation = "Orphan"
    preconditions = options.get("preconditions") or {}
    return propagation, preconditions.get("resourceVersion"), preconditions.get("uid")


async def _delete(request: web.Request, sup: Supervisor, target: _Target) -> web.Response:
    assert target.name is not None
    body = await _read_body(request)
    propagation, pre_rv, pre_uid = _delete_options(request, body)
    result = sup.store.delete(
        target.rt,
        target.namespace,
        target.name,
        dry_run=_dry_run(request, body),
        precondition_rv=pre_rv,
        precondition_uid=pre_uid,
        propagation=propagation,
    )
    still_there = sup.store.get(target.rt, target.namespace, target.name) is not None
    code = 202 if still_there and propagation in ("Foreground", "Orphan") else 200
    return _json(result, code)


async def _delete_collection(request: web.Request, sup: Supervisor, target: _Target) -> web.Response:
    body = await _read_body(request)
    propagation, _rv, _uid = _delete_options(request, body)
    deleted = []
    for obj in _matching(request, sup, target):
        with contextlib.suppress(status.KubeError):
            deleted.append(
                sup.store.delete(
                    target.rt,
                    obj["metadata"].get("namespace"),
                    obj["metadata"]["name"],
                    dry_run=_dry_run(request, body),
                    propagation=propagation,
                )
            )
    return _json(
        {
            "kind": f"{target.rt.kind}List",
            "apiVersion": target.rt.api_version,
            "metadata": {"resourceVersion": str(sup.store.resource_version)},
            "items": deleted,
        }
    )


# ---------------------------------------------------------------------------------------------------------- watch


async def _watch(request: web.Request, sup: Supervisor, target: _Target) -> web.StreamResponse:
    rt = target.rt
    label_match = selectors.parse_label_selector(request.query.get("labelSelector"))
    field_match = selectors.parse_field_selector(request.query.get("fieldSelector"))
    if target.name:
        name = target.name
        field_match = (lambda fm: lambda o: fm(o) and o["metadata"]["name"] == name)(field_match)

    def matches(obj: dict[str, Any] | None) -> bool:
        return obj is not None and label_match(obj) and field_match(obj)

    as_table = _wants_table(request)
    include = request.query.get("includeObject", "Metadata")
    bookmarks = _flag(request, "allowWatchBookmarks")
    try:
        timeout = float(request.query.get("timeoutSeconds", DEFAULT_WATCH_SECONDS))
    except ValueError as exc:
        raise status.bad_request("invalid timeoutSeconds") from exc
    raw_rv = request.query.get("resourceVersion", "")
    since: int | None
    if raw_rv in ("", "0"):
        since = None
    else:
        try:
            since = int(raw_rv)
        except ValueError as exc:
            raise status.bad_request(f"invalid resourceVersion {raw_rv!r}") from exc

    response = web.StreamResponse(status=200, headers={"Content-Type": "application/json", "Cache-Control": "no-cache"})
    response.enable_chunked_encoding()
    await response.prepare(request)

    async def send(kind: str, obj: dict[str, Any]) -> None:
        payload: dict[str, Any] = obj
        if as_table and kind not in ("ERROR", "BOOKMARK"):
            payload = tables.table(rt, [obj], obj["metadata"]["resourceVersion"], include)
        await response.write(json.dumps({"type": kind, "object": payload}, separators=(",", ":")).encode() + b"\n")

    try:
        backlog, watcher = sup.store.watch(rt, target.namespace, since)
    except status.KubeError as exc:
        await response.write(json.dumps({"type": "ERROR", "object": exc.body()}).encode() + b"\n")
        await response.write_eof()
        return response
    try:
        if since is None:
            for obj in _matching(request, sup, target):
                await send("ADDED", obj)
            last_rv = sup.store.resource_version
        else:
            last_rv = since
            for event in backlog:
                await _send_event(send, event, matches)
                last_rv = event.rv
        deadline = time.monotonic() + timeout
        next_bookmark = time.monotonic() + BOOKMARK_INTERVAL
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            wait = min(remaining, next_bookmark - time.monotonic()) if bookmarks else remaining
            try:
                event = await asyncio.wait_for(watcher.queue.get(), timeout=max(wait, 0.0))
            except TimeoutError:
                if bookmarks and time.monotonic() >= next_bookmark:
                    await send(
                        "BOOKMARK",
                        {"kind": rt.kind, "apiVersion": rt.api_version, "metadata": {"resourceVersion": str(last_rv)}},
                    )
                    next_bookmark = time.monotonic() + BOOKMARK_INTERVAL
                continue
            if event.rv <= last_rv:
                continue
            await _send_event(send, event, matches)
            last_rv = event.rv
    except (ConnectionResetError, asyncio.CancelledError):
        sup.store.unwatch(watcher)
        raise
    finally:
        sup.store.unwatch(watcher)
    with contextlib.suppress(ConnectionResetError):
        await response.write_eof()
    return response


async def _send_event(send: Any, event: Any, matches: Any) -> None:
    now_matches = matches(event.obj)
    if event.type == "MODIFIED":
        was = matches(event.old)
        if now_matches and was:
            await send("MODIFIED", event.obj)
        elif now_matches:
            await send("ADDED", event.obj)
        elif was:
            await send("DELETED", event.obj)
    elif now_matches:
        await send(event.type, event.obj)


ROUTES = [
    web.route("*", "/api/v1/{tail:.+}", handle),
    web.route("*", "/apis/{group}/{version}/{tail:.+}", handle),
]
