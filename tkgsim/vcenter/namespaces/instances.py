"""vSphere Namespaces: ``/api/vcenter/namespaces/instances`` (v1, cluster-based) and ``.../instances/v2``.

v1 and v2 address the same namespaces; the store keeps the InfoV2 shape (``supervisor``) plus the private ``_cluster``.
Create and update are asynchronous in effect: ``config_status`` is CONFIGURING and turns RUNNING after
``CONFIGURE_SECONDS`` (``UPDATE_SECONDS`` for an update) x ``world.delay_scale``; delete sets REMOVING and the namespace
disappears after ``REMOVE_SECONDS`` x ``delay_scale``. A delay of 0 applies the transition before the response.

Deleting a namespace that still holds TKG clusters (``world.clusters_in_namespace``) is refused with
NOT_ALLOWED_IN_CURRENT_STATE listing them: that error type is the one the binding declares for ``delete``
(RESOURCE_IN_USE is not in its error list), and the provider's ``force_delete`` deletes the clusters first.
"""

from __future__ import annotations

import copy
import functools
import logging
import time
from typing import Any

from aiohttp import web

from tkgsim import world as world_mod
from tkgsim.vcenter import _http, errors, paths, releases, store, wire
from tkgsim.vcenter.namespaces import shapes
from tkgsim.world import World

__all__ = ["CONFIGURE_SECONDS", "REMOVE_SECONDS", "ROUTES", "UPDATE_SECONDS", "resume_transitions", "vm_class_users"]

logger = logging.getLogger(__name__)

CONFIGURE_SECONDS = 3.0
UPDATE_SECONDS = 1.0
REMOVE_SECONDS = 3.0

_MOD = "com.vmware.vcenter.namespaces_client"
GONE = "GONE"


# ---- views -------------------------------------------------------------------------------------------------------


def _content_library_info(spec: dict[str, Any]) -> dict[str, Any]:
    out = dict(spec)
    for key, default in (("writable", False), ("allow_import", False), ("resource_naming_strategy", "FROM_ITEM_ID")):
        out.setdefault(key, default)
    return out


def info_v2(ns: dict[str, Any]) -> dict[str, Any]:
    """The InfoV2 wire view of a stored namespace (private ``_`` keys dropped, derived fields filled in)."""
    out = {key: copy.deepcopy(value) for key, value in ns.items() if not key.startswith("_")}
    top_level = [spec["content_library"] for spec in ns.get("content_libraries", [])]
    if "content_libraries" in out:
        out["content_libraries"] = [_content_library_info(spec) for spec in out["content_libraries"]]
    if top_level or "vm_service_spec" in out:
        service = out.setdefault("vm_service_spec", {})
        libraries = list(service.get("content_libraries", []))
        libraries += [lib for lib in top_level if lib not in libraries]
        if libraries or "content_libraries" in service:
            service["content_libraries"] = libraries
    if ns.get("_zones"):
        out["zones"] = [{"zone": z["name"], "type": "WORKLOAD", "marked_for_removal": False} for z in ns["_zones"]]
    return out


def info_v1(ns: dict[str, Any]) -> dict[str, Any]:
    """The v1 Info wire view: ``cluster`` instead of ``supervisor``, no zones or network config."""
    out = info_v2(ns)
    for key in ("supervisor", "zones", "network_spec"):
        out.pop(key, None)
    return {"cluster": ns["_cluster"], **out}


def _summary(name: str, ns: dict[str, Any], owner_key: str, owner: str) -> dict[str, Any]:
    out = {
        owner_key: owner,
        "namespace": name,
        "config_status": ns["config_status"],
        "stats": dict(ns["stats"]),
        "description": ns.get("description", ""),
    }
    if "self_service_namespace" in ns:
        out["self_service_namespace"] = ns["self_service_namespace"]
    return out


def _event_object(ns: dict[str, Any]) -> dict[str, Any]:
    private = {key: copy.deepcopy(value) for key, value in ns.items() if key.startswith("_")}
    return {**info_v2(ns), **private}


def vm_class_users(world: World, class_id: str) -> list[str]:
    """Names of the namespaces whose ``vm_service_spec.vm_classes`` includes ``class_id`` (sorted)."""
    return sorted(
        name
        for name, ns in store.namespaces(world).items()
        if class_id in ns.get("vm_service_spec", {}).get("vm_classes", [])
    )


def _classes_of(ns: dict[str, Any] | None) -> set[str]:
    if ns is None:
        return set()
    return set(ns.get("vm_service_spec", {}).get("vm_classes", []))


# ---- validation --------------------------------------------------------------------------------------------------


def _check_references(world: World, spec: dict[str, Any]) -> None:
    """INVALID_ARGUMENT naming the field when a referenced policy, VM class or library does not exist."""
    seen_policies: set[str] = set()
    for index, storage in enumerate(spec.get("storage_specs", [])):
        field = f"storage_specs[{index}].policy"
        if store.storage_policy(world, storage["policy"]) is None:
            raise errors.invalid_argument(
                f"Invalid value for field '{field}': storage policy {storage['policy']} does not exist.",
                field,
                storage["policy"],
                message_id="vcenter.wcp.storage.policy.notfound",
            )
        if storage["policy"] in seen_policies:
            raise errors.invalid_argument(f"Storage policy {storage['policy']} is listed twice.", field)
        seen_policies.add(storage["policy"])
    service = spec.get("vm_service_spec", {})
    classes = store.vm_classes(world)
    for index, class_id in enumerate(service.get("vm_classes", [])):
        field = f"vm_service_spec.vm_classes[{index}]"
        vm_class = classes.get(class_id)
        if vm_class is None:
            raise errors.invalid_argument(
                f"Invalid value for field '{field}': VM class {class_id} does not exist.",
                field,
                class_id,
                message_id="vcenter.wcp.vmclass.notfound",
            )
        if vm_class.get("config_status") == "REMOVING":
            raise errors.invalid_argument(f"VM class {class_id} is being removed.", field, class_id)
    for index, library_id in enumerate(service.get("content_libraries", [])):
        field = f"vm_service_spec.content_libraries[{index}]"
        if store.content_library(world, library_id) is None:
            raise errors.invalid_argument(
                f"Invalid value for field '{field}': content library {library_id} does not exist.",
                field,
                library_id,
                message_id="vcenter.wcp.contentlibrary.notfound",
            )
    for index, library_spec in enumerate(spec.get("content_libraries", [])):
        field = f"content_libraries[{index}]"
        library = store.content_library(world, library_spec["content_library"])
        if library is None:
            raise errors.invalid_argument(
                f"Invalid value for field '{field}.content_library': content library "
                f"{library_spec['content_library']} does not exist.",
                f"{field}.content_library",
                library_spec["content_library"],
                message_id="vcenter.wcp.contentlibrary.notfound",
            )
        if library_spec.get("writable") and library.get("type") == "SUBSCRIBED":
            raise errors.invalid_argument(
                f"Invalid value for field '{field}.writable': subscribed library {library['id']} cannot be writable.",
                f"{field}.writable",
            )
        if library_spec.get("allow_import") and not library_spec.get("writable"):
            raise errors.invalid_argument(
                f"Invalid value for field '{field}.allow_import': import needs writable=true.", f"{field}.allow_import"
            )
    subjects: set[tuple[str, str, str]] = set()
    for index, access in enumerate(spec.get("access_list", [])):
        key = (access["subject_type"], access["subject"].lower(), access["domain"].lower())
        if key in subjects:
            raise errors.invalid_argument(
                f"Invalid value for field 'access_list[{index}]': {access['subject']}@{access['domain']} is listed "
                "twice.",
                f"access_list[{index}]",
            )
        subjects.add(key)


def _check_name(name: str) -> None:
    if not wire.is_dns_label(name):
        raise errors.invalid_argument(
            f"Invalid value for field 'namespace': '{name}' is not a valid DNS-1123 label (lower-case letters, digits "
            "and '-', at most 63 characters, starting and ending with a letter or digit).",
            "namespace",
            name,
            message_id="vcenter.wcp.namespace.invalid.name",
        )


def _lookup(world: World, name: str) -> dict[str, Any]:
    ns = store.namespaces(world).get(name)
    if ns is None:
        raise errors.not_found(f"Namespace {name} not found.", name, message_id="vcenter.wcp.namespace.notfound")
    return ns


def _check_changeable(name: str, ns: dict[str, Any]) -> None:
    if ns["config_status"] == "REMOVING":
        raise errors.not_allowed_in_current_state(
            f"Namespace {name} is being removed.", name, message_id="vcenter.wcp.namespace.removing"
        )


# ---- state changes -----------------------------------------------------------------------------------------------


def _emit(world: World, name: str, ns: dict[str, Any] | None, classes_before: set[str]) -> None:
    world.emit(world_mod.NAMESPACE, name, None if ns is None else _event_object(ns))
    from tkgsim.vcenter.namespace_management import virtual_machine_classes as vm_classes_mod

    for class_id in sorted(classes_before ^ _classes_of(ns)):
        vm_classes_mod.emit_class(world, class_id)


def _schedule(request: web.Request, name: str, target: str, seconds: float) -> None:
    world = _http.world_of(request)
    ns = store.namespaces(world)[name]
    delay = seconds * world.delay_scale
    ns["_generation"] = int(ns.get("_generation", 0)) + 1
    ns["_transition"] = {"to": target, "at": time.time() + max(delay, 0.0), "generation": ns["_generation"]}
    timers = request.app[store.TIMERS_KEY]
    generation = ns["_generation"]
    timers.call_later(delay, functools.partial(_finish, world, name, generation))


def _finish(world: World, name: str, generation: int) -> None:
    ns = store.namespaces(world).get(name)
    if ns is None or ns.get("_generation") != generation or "_transition" not in ns:
        return
    target = ns.pop("_transition")["to"]
    if target == GONE:
        classes = _classes_of(ns)
        del store.namespaces(world)[name]
        logger.info("[namespace %s] removed", name)
        _emit(world, name, None, classes)
        return
    ns["config_status"] = target
    logger.info("[namespace %s] %s", name, target)
    _emit(world, name, ns, _classes_of(ns))


def resume_transitions(world: World, timers: store.Timers) -> None:
    """Re-arm the status transitions a saved state left pending (called once the loop runs)."""
    now = time.time()
    for name, ns in list(store.namespaces(world).items()):
        transition = ns.get("_transition")
        if transition:
            generation = int(ns.get("_generation", 0))
            timers.call_later(float(transition["at"]) - now, functools.partial(_finish, world, name, generation))


def _apply_quota_update(current: dict[str, Any], update: dict[str, Any]) -> dict[str, Any]:
    merged = dict(current)
    for field in shapes.QUOTA_FIELDS:
        if update.get(f"{field}_unset"):
            merged.pop(field, None)
        elif field in update:
            merged[field] = update[field]
    return merged


# ---- handlers ----------------------------------------------------------------------------------------------------


async def _create(request: web.Request, *, v2: bool) -> web.Response:
    world = _http.world_of(request)
    _http.require_admin(request)
    shape = releases.for_api(shapes.CREATE_SPEC_V2 if v2 else shapes.CREATE_SPEC, world.profile.vcenter_api)
    spec = wire.parse(shape, await _http.read_json(request))
    name = spec.pop("namespace")
    _check_name(name)
    if v2:
        supervisor = store.supervisor(world, spec["supervisor"])
        if supervisor is None:
            raise errors.invalid_argument(
                f"Invalid value for field 'supervisor': Supervisor {spec['supervisor']} does not exist.",
                "supervisor",
                spec["supervisor"],
                message_id="vcenter.wcp.supervisor.notfound",
            )
    else:
        supervisor = store.supervisor_for_cluster(world, spec["cluster"])
        if supervisor is None:
            raise errors.invalid_argument(
                f"Invalid value for field 'cluster': cluster {spec['cluster']} does not exist or has no Supervisor.",
                "cluster",
                spec["cluster"],
                message_id="vcenter.wcp.cluster.notfound",
            )
    if supervisor.get("config_status", "RUNNING") != "RUNNING":
        raise errors.not_allowed_in_current_state(f"Supervisor {supervisor['supervisor']} is not running.")
    _check_references(world, spec)
    if name in store.namespaces(world):
        raise errors.already_exists(
            f"Namespace {name} already exists.", name, message_id="vcenter.wcp.namespace.already.exists"
        )
    ns: dict[str, Any] = {
        "supervisor": supervisor["supervisor"],
        "config_status": "CONFIGURING",
        "messages": [],
        "stats": {"cpu_used": 0, "memory_used": 0, "storage_used": 0},
        "description": spec.get("description", ""),
        "access_list": spec.get("access_list", []),
        "storage_specs": spec.get("storage_specs", []),
        "self_service_namespace": False,
        "_cluster": supervisor["cluster"],
        "_created": time.time(),
    }
    if spec.get("resource_spec"):
        ns["resource_spec"] = spec["resource_spec"]
    for key in (
        "networks",
        "vm_service_spec",
        "content_libraries",
        "creator",
        "network_spec",
        "edges",
        "infrastructure_policies",
    ):
        if key in spec:
            ns[key] = spec[key]
    if "namespace_network" in spec:
        ns["_namespace_network"] = spec["namespace_network"]
    if spec.get("zones"):
        ns["_zones"] = spec["zones"]
    store.namespaces(world)[name] = ns
    logger.info("[namespace %s] created (v%d), CONFIGURING", name, 2 if v2 else 1)
    _emit(world, name, ns, set())
    _schedule(request, name, "RUNNING", CONFIGURE_SECONDS)
    return _http.no_content()


async def create(request: web.Request) -> web.Response:
    """POST /api/vcenter/namespaces/instances — create on a cluster (v1)."""
    return await _create(request, v2=False)


async def create_v2(request: web.Request) -> web.Response:
    """POST /api/vcenter/namespaces/instances/v2 — create on a Supervisor."""
    return await _create(request, v2=True)


async def get(request: web.Request) -> web.Response:
    """GET /api/vcenter/namespaces/instances/{namespace} — v1 Info."""
    world = _http.world_of(request)
    _http.require_user(request)
    info = info_v1(_lookup(world, request.match_info["namespace"]))
    return _http.json_response(releases.info_view(info, world.profile.vcenter_api))


async def get_v2(request: web.Request) -> web.Response:
    """GET /api/vcenter/namespaces/instances/v2/{namespace} — InfoV2."""
    world = _http.world_of(request)
    _http.require_user(request)
    info = info_v2(_lookup(world, request.match_info["namespace"]))
    return _http.json_response(releases.info_view(info, world.profile.vcenter_api))


async def list_(request: web.Request) -> web.Response:
    """GET /api/vcenter/namespaces/instances — v1 summaries."""
    world = _http.world_of(request)
    _http.require_user(request)
    items = store.namespaces(world).items()
    return _http.json_response([_summary(name, ns, "cluster", ns["_cluster"]) for name, ns in sorted(items)])


async def list_v2(request: web.Request) -> web.Response:
    """GET /api/vcenter/namespaces/instances/v2 — v2 summaries."""
    world = _http.world_of(request)
    _http.require_user(request)
    items = store.namespaces(world).items()
    return _http.json_response([_summary(name, ns, "supervisor", ns["supervisor"]) for name, ns in sorted(items)])


def _apply_common(ns: dict[str, Any], spec: dict[str, Any], *, replace: bool) -> None:
    optional = ("vm_service_spec", "content_libraries", "network_spec", "edges", "infrastructure_policies")
    if replace:
        ns["description"] = spec.get("description", "")
        ns["access_list"] = spec.get("access_list", [])
        ns["storage_specs"] = spec.get("storage_specs", [])
        for key in (*optional, "resource_spec"):
            ns.pop(key, None)
            if key in spec and (key != "resource_spec" or spec[key]):
                ns[key] = spec[key]
        return
    for key in ("description", "access_list", "storage_specs", *optional):
        if key in spec:
            ns[key] = spec[key]
    if "resource_spec" in spec:
        merged = _apply_quota_update(ns.get("resource_spec", {}), spec["resource_spec"])
        if merged:
            ns["resource_spec"] = merged
        else:
            ns.pop("resource_spec", None)
    if "zones" in spec:
        ns["_zones"] = spec["zones"]


async def _change(request: web.Request, *, replace: bool) -> web.Response:
    world = _http.world_of(request)
    _http.require_admin(request)
    name = request.match_info["namespace"]
    shape = releases.for_api(shapes.SET_SPEC if replace else shapes.UPDATE_SPEC, world.profile.vcenter_api)
    spec = wire.parse(shape, await _http.read_json(request))
    ns = _lookup(world, name)
    _check_changeable(name, ns)
    _check_references(world, spec)
    classes_before = _classes_of(ns)
    _apply_common(ns, spec, replace=replace)
    ns["config_status"] = "CONFIGURING"
    logger.info("[namespace %s] %s, CONFIGURING", name, "set" if replace else "updated")
    _emit(world, name, ns, classes_before)
    _schedule(request, name, "RUNNING", UPDATE_SECONDS)
    return _http.no_content()


async def update(request: web.Request) -> web.Response:
    """PATCH /api/vcenter/namespaces/instances/{namespace} — absent fields stay unchanged."""
    return await _change(request, replace=False)


async def set_(request: web.Request) -> web.Response:
    """PUT /api/vcenter/namespaces/instances/{namespace} — absent fields are cleared."""
    return await _change(request, replace=True)


async def delete(request: web.Request) -> web.Response:
    """DELETE /api/vcenter/namespaces/instances/{namespace} — REMOVING, then gone."""
    world = _http.world_of(request)
    _http.require_admin(request)
    name = request.match_info["namespace"]
    ns = _lookup(world, name)
    _check_changeable(name, ns)
    clusters = sorted(world.clusters_in_namespace(name))
    if clusters:
        raise errors.not_allowed_in_current_state(
            f"Namespace {name} still contains Tanzu Kubernetes clusters: {', '.join(clusters)}. "
            "Delete them before deleting the namespace.",
            name,
            ",".join(clusters),
            message_id="vcenter.wcp.namespace.delete.clusters.exist",
        )
    ns["config_status"] = "REMOVING"
    logger.info("[namespace %s] REMOVING", name)
    _emit(world, name, ns, _classes_of(ns))
    _schedule(request, name, GONE, REMOVE_SECONDS)
    return _http.no_content()


def _op(name: str) -> _http.Operation:
    return _http.Operation(_MOD, "Instances", name)


ROUTES = [
    _http.Route("POST", paths.NAMESPACES, create, _op("create")),
    _http.Route("GET", paths.NAMESPACES, list_, _op("list")),
    _http.Route("POST", paths.NAMESPACES_V2, create_v2, _op("create_v2")),
    _http.Route("GET", paths.NAMESPACES_V2, list_v2, _op("list_v2")),
    _http.Route("GET", paths.NAMESPACE_V2, get_v2, _op("get_v2")),
    _http.Route("GET", paths.NAMESPACE, get, _op("get")),
    _http.Route("PATCH", paths.NAMESPACE, update, _op("update")),
    _http.Route("PUT", paths.NAMESPACE, set_, _op("set")),
    _http.Route("DELETE", paths.NAMESPACE, delete, _op("delete")),
]
