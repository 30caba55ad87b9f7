"""Discovery and OpenAPI: ``/api``, ``/apis``, group/version resource lists, ``/version``, ``/openapi/v2|v3``.

Aggregated discovery (``apidiscovery.k8s.io/v2``) is not offered; clients that ask for it get the legacy documents,
which kubectl and the official Python client accept. The OpenAPI documents carry permissive object schemas plus,
for every PATCH operation, the ``fieldValidation`` query parameter: that is what tells kubectl (≥1.25) to leave
validation to the server (``kubectl apply`` without ``--validate=false``). Custom resources do not list
``application/strategic-merge-patch+json``, so kubectl falls back to JSON merge patch for them, as with real CRDs.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from aiohttp import web

from .context import SUPERVISOR, Supervisor
from .resources import ResourceType

__all__ = ["ROUTES", "SERVER_VERSION"]

# What a vSphere 8.0 U3 Supervisor's kube-apiserver reports (kubectl's version dispatcher keys off the minor).
SERVER_VERSION = {
    "major": "1",
    "minor": "29",
    "gitVersion": "v1.29.7+vmware.wcp.1",
    "gitCommit": "0000000000000000000000000000000000000000",
    "gitTreeState": "clean",
    "buildDate": "2024-08-01T00:00:00Z",
    "goVersion": "go1.22.5",
    "compiler": "gc",
    "platform": "linux/amd64",
}


def _json(data: Any) -> web.Response:
    return web.Response(body=json.dumps(data).encode(), content_type="application/json")


def _address(request: web.Request) -> list[dict[str, str]]:
    return [{"clientCIDR": "0.0.0.0/0", "serverAddress": request.host}]


async def version(request: web.Request) -> web.Response:
    """``GET /version``."""
    return _json(SERVER_VERSION)


async def core_versions(request: web.Request) -> web.Response:
    """``GET /api``."""
    return _json({"kind": "APIVersions", "versions": ["v1"], "serverAddressByClientCIDRs": _address(request)})


def _group_doc(sup: Supervisor, group: str) -> dict[str, Any]:
    versions = sup.registry.groups()[group]
    entries = [{"groupVersion": f"{group}/{v}", "version": v} for v in versions]
    return {"name": group, "versions": entries, "preferredVersion": entries[0]}


async def groups(request: web.Request) -> web.Response:
    """``GET /apis``."""
    sup = request.app[SUPERVISOR]
    docs = [_group_doc(sup, g) for g in sup.registry.groups() if g]
    return _json({"kind": "APIGroupList", "apiVersion": "v1", "groups": docs})


async def group(request: web.Request) -> web.Response:
    """``GET /apis/<group>``."""
    sup = request.app[SUPERVISOR]
    name = request.match_info["group"]
    if name not in sup.registry.groups() or not name:
        raise web.HTTPNotFound()
    return _json({"kind": "APIGroup", "apiVersion": "v1", **_group_doc(sup, name)})


def _resource_list(sup: Supervisor, group: str, version: str) -> dict[str, Any]:
    resources: list[dict[str, Any]] = []
    for rt in sup.registry.in_group_version(group, version):
        entry: dict[str, Any] = {
            "name": rt.plural,
            "singularName": rt.singular,
            "namespaced": rt.namespaced,
            "kind": rt.kind,
            "verbs": rt.verbs,
        }
        if rt.short_names:
            entry["shortNames"] = list(rt.short_names)
        if rt.categories:
            entry["categories"] = list(rt.categories)
        entry["storageVersionHash"] = hashlib.sha256(rt.key.encode()).hexdigest()[:11]
        resources.append(entry)
        if rt.status_subresource:
            resources.append(
                {
                    "name": f"{rt.plural}/status",
                    "singularName": "",
                    "namespaced": rt.namespaced,
                    "kind": rt.kind,
                    "verbs": ["get", "patch", "update"],
                }
            )
    group_version = f"{group}/{version}" if group else version
    return {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": group_version, "resources": resources}


async def core_resources(request: web.Request) -> web.Response:
    """``GET /api/v1``."""
    return _json(_resource_list(request.app[SUPERVISOR], "", "v1"))


async def group_resources(request: web.Request) -> web.Response:
    """``GET /apis/<group>/<version>``."""
    sup = request.app[SUPERVISOR]
    name, ver = request.match_info["group"], request.match_info["version"]
    if not sup.registry.in_group_version(name, ver):
        raise web.HTTPNotFound()
    return _json(_resource_list(sup, name, ver))


# --------------------------------------------------------------------------------------------------------- OpenAPI

_OBJECT_META = {"type": "object", "x-kubernetes-preserve-unknown-fields": True}


def _definition_name(rt: ResourceType) -> str:
    group = ".".join(reversed(rt.group.split("."))) if rt.group else "io.k8s.api.core"
    return f"{group}.{rt.version}.{rt.kind}"


def _object_schema(rt: ResourceType) -> dict[str, Any]:
    base = rt.schema or {"type": "object", "x-kubernetes-preserve-unknown-fields": True}
    schema: dict[str, Any] = json.loads(json.dumps(base))
    schema.setdefault("type", "object")
    properties = schema.setdefault("properties", {})
    properties["apiVersion"] = {"type": "string"}
    properties["kind"] = {"type": "string"}
    properties["metadata"] = _OBJECT_META
    schema["x-kubernetes-group-version-kind"] = [{"group": rt.group, "version": rt.version, "kind": rt.kind}]
    return schema


def _paths(rt: ResourceType) -> dict[str, str]:
    prefix = f"/apis/{rt.group}/{rt.version}" if rt.group else "/api/v1"
    if rt.namespaced:
        return {
            "collection": f"{prefix}/namespaces/{{namespace}}/{rt.plural}",
            "item": f"{prefix}/namespaces/{{namespace}}/{rt.plural}/{{name}}",
        }
    return {"collection": f"{prefix}/{rt.plural}", "item": f"{prefix}/{rt.plural}/{{name}}"}


def _patch_types(rt: ResourceType) -> list[str]:
    types = ["application/json-patch+json", "application/merge-patch+json", "application/apply-patch+yaml"]
    if rt.builtin:
        types.append("application/strategic-merge-patch+json")
    return types


_QUERY_PARAMS = ("dryRun", "fieldManager", "fieldValidation")


def _v3_operation(rt: ResourceType, action: str, body: list[str] | None) -> dict[str, Any]:
    ref = {"$ref": f"#/components/schemas/{_definition_name(rt)}"}
    operation: dict[str, Any] = {
        "operationId": f"{action}{rt.kind}",
        "responses": {"200": {"description": "OK", "content": {"application/json": {"schema": ref}}}},
        "x-kubernetes-action": action,
        "x-kubernetes-group-version-kind": {"group": rt.group, "version": rt.version, "kind": rt.kind},
    }
    if body is not None:
        operation["parameters"] = [
            {"name": p, "in": "query", "schema": {"type": "string"}, "uniqueItems": True} for p in _QUERY_PARAMS
        ]
        operation["requestBody"] = {"content": {t: {"schema": ref} for t in body}, "required": True}
    return operation


def _v3_doc(rt_list: list[ResourceType]) -> dict[str, Any]:
    paths: dict[str, Any] = {}
    schemas: dict[str, Any] = {}
    for rt in rt_list:
        schemas[_definition_name(rt)] = _object_schema(rt)
        p = _paths(rt)

        def op(action: str, body: list[str] | None, rt: ResourceType = rt) -> dict[str, Any]:
            return _v3_operation(rt, action, body)

        paths[p["collection"]] = {"get": op("list", None), "post": op("post", ["application/json"])}
        paths[p["item"]] = {
            "get": op("get", None),
            "put": op("put", ["application/json"]),
            "patch": op("patch", _patch_types(rt)),
            "delete": op("delete", None),
        }
    return {
        "openapi": "3.0.0",
        "info": {"title": "Kubernetes", "version": SERVER_VERSION["gitVersion"]},
        "paths": paths,
        "components": {"schemas": schemas},
    }


def _gv_key(rt: ResourceType) -> str:
    return f"apis/{rt.group}/{rt.version}" if rt.group else "api/v1"


async def openapi_v3_index(request: web.Request) -> web.Response:
    """``GET /openapi/v3``: one entry per group/version."""
    sup = request.app[SUPERVISOR]
    keys = sorted({_gv_key(rt) for rt in sup.registry.types})
    paths = {}
    for key in keys:
        digest = (
            hashlib.sha256(json.dumps(_v3_doc(_types_for(sup, key)), sort_keys=True).encode()).hexdigest()[:16].upper()
        )
        paths[key] = {"serverRelativeURL": f"/openapi/v3/{key}?hash={digest}"}
    return _json({"paths": paths})


def _types_for(sup: Supervisor, key: str) -> list[ResourceType]:
    return [rt for rt in sup.registry.types if _gv_key(rt) == key]


async def openapi_v3_doc(request: web.Request) -> web.Response:
    """``GET /openapi/v3/<api/v1 | apis/<group>/<version>>``."""
    sup = request.app[SUPERVISOR]
    key = request.match_info["gv"].strip("/")
    rt_list = _types_for(sup, key)
    if not rt_list:
        raise web.HTTPNotFound()
    return _json(_v3_doc(rt_list))


async def openapi_v2(request: web.Request) -> web.Response:
    """``GET /openapi/v2`` (swagger 2.0), for clients that still read it."""
    sup = request.app[SUPERVISOR]
    definitions: dict[str, Any] = {}
    paths: dict[str, Any] = {}
    for rt in sup.registry.types:
        definitions[_definition_name(rt)] = _object_schema(rt)
        ref = {"$ref": f"#/definitions/{_definition_name(rt)}"}
        gvk = {"group": rt.group, "version": rt.version, "kind": rt.kind}
        params = [{"name": p, "in": "query", "type": "string", "uniqueItems": True} for p in _QUERY_PARAMS]
        body = {"name": "body", "in": "body", "required": True, "schema": {"type": "object"}}
        ok = {"200": {"description": "OK", "schema": ref}}
        p = _paths(rt)
        paths[p["collection"]] = {
            "get": {
                "operationId": f"list{rt.kind}",
                "responses": ok,
                "x-kubernetes-action": "list",
                "x-kubernetes-group-version-kind": gvk,
            },
            "post": {
                "operationId": f"create{rt.kind}",
                "parameters": [body, *params],
                "responses": ok,
                "x-kubernetes-action": "post",
                "x-kubernetes-group-version-kind": gvk,
            },
        }
        paths[p["item"]] = {
            "get": {
                "operationId": f"read{rt.kind}",
                "responses": ok,
                "x-kubernetes-action": "get",
                "x-kubernetes-group-version-kind": gvk,
            },
            "put": {
                "operationId": f"replace{rt.kind}",
                "parameters": [body, *params],
                "responses": ok,
                "x-kubernetes-action": "put",
                "x-kubernetes-group-version-kind": gvk,
            },
            "patch": {
                "operationId": f"patch{rt.kind}",
                "consumes": _patch_types(rt),
                "parameters": [body, *params],
                "responses": ok,
                "x-kubernetes-action": "patch",
                "x-kubernetes-group-version-kind": gvk,
            },
            "delete": {
                "operationId": f"delete{rt.kind}",
                "responses": ok,
                "x-kubernetes-action": "delete",
                "x-kubernetes-group-version-kind": gvk,
            },
        }
    return _json(
        {
            "swagger": "2.0",
            "info": {"title": "Kubernetes", "version": SERVER_VERSION["gitVersion"]},
            "paths": paths,
            "definitions": definitions,
        }
    )


ROUTES = [
    web.get("/version", version),
    web.get("/api", core_versions),
    web.get("/api/v1", core_resources),
    web.get("/apis", groups),
    web.get("/apis/{group}", group),
    web.get("/apis/{group}/{version}", group_resources),
    web.get("/openapi/v2", openapi_v2),
    web.get("/openapi/v3", openapi_v3_index),
    web.get("/openapi/v3/{gv:.+}", openapi_v3_doc),
]
