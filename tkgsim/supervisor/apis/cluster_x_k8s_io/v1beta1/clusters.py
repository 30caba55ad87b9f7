"""``cluster.x-k8s.io/v1beta1`` Cluster: schema, printer columns and the admission chain (reference §3, §8.1).

Admission runs like the Supervisor's webhooks, mutating first:

1. ``default.cluster.cluster.x-k8s.io`` (CAPI defaulting): ``v`` prefix on the version, variables checked against
   the ClusterClass (required ``vmClass``/``storageClass``, unknown names, JSON types).
2. ``tkr-resolver-cluster-webhook.tanzu.vmware.com``: resolves ``spec.topology.version`` as a release prefix, adds
   label ``run.tanzu.vmware.com/tkr``, appends/updates the ``TKR_DATA`` variable (cluster level and every
   machine deployment's overrides) and rewrites ``spec.topology.version`` to the release's Kubernetes version.
   Nothing resolvable → 403 ``could not resolve TKR/OSImage …``.
3. ``validation.cluster.cluster.x-k8s.io`` (CAPI validation): label-valued name, class present, pool names/classes,
   CIDRs, version may not decrease or skip a minor, topology may not be removed, ``clusterNetwork`` immutable,
   ``upgrade-concurrency`` annotation ≥1; plus the namespace bindings (VM class bound to the namespace, storage
   class in the namespace's quota). All → 422 Invalid with ``details.causes``.

Even or non-positive control-plane replica counts are admitted (the KubeadmControlPlane webhook rejects them later);
the Cluster controller reports ``TopologyReconciled=False TopologyReconcileFailed`` for them, as the real stack does.
"""

from __future__ import annotations

import copy
import ipaddress
import re
from typing import Any

from .... import releases, status
from ....columns import condition_status, path
from ....resources import AdmissionRequest, Column, ResourceType

__all__ = ["CLUSTER", "CLUSTER_SCHEMA", "admit_cluster", "cluster_schema"]

GROUP = "cluster.x-k8s.io"
DEFAULT_WEBHOOK = "default.cluster.cluster.x-k8s.io"
VALIDATION_WEBHOOK = "validation.cluster.cluster.x-k8s.io"
TKR_WEBHOOK = "tkr-resolver-cluster-webhook.tanzu.vmware.com"
UPGRADE_CONCURRENCY = "topology.cluster.x-k8s.io/upgrade-concurrency"
RESOLVE_OS_IMAGE = "run.tanzu.vmware.com/resolve-os-image"

_LABEL_VALUE = re.compile(r"^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$")
_SEMVER = re.compile(r"^v\d+\.\d+\.\d+([-+][0-9A-Za-z.+-]*)?$")

_ANY: dict[str, Any] = {"x-kubernetes-preserve-unknown-fields": True}
_OBJ: dict[str, Any] = {"type": "object", "x-kubernetes-preserve-unknown-fields": True}
_META = {
    "type": "object",
    "properties": {
        "labels": {"type": "object", "additionalProperties": {"type": "string"}},
        "annotations": {"type": "object", "additionalProperties": {"type": "string"}},
    },
}
_VARIABLE = {
    "type": "object",
    "properties": {"name": {"type": "string"}, "value": _ANY, "definitionFrom": {"type": "string"}},
}
_OVERRIDES = {"type": "object", "properties": {"overrides": {"type": "array", "items": _VARIABLE}}}
_MACHINE_DEPLOYMENT = {
    "type": "object",
    "properties": {
        "class": {"type": "string"},
        "name": {"type": "string"},
        "failureDomain": {"type": "string"},
        "replicas": {"type": "integer"},
        "metadata": _META,
        "nodeDrainTimeout": {"type": "string"},
        "nodeVolumeDetachTimeout": {"type": "string"},
        "nodeDeletionTimeout": {"type": "string"},
        "minReadySeconds": {"type": "integer"},
        "strategy": _OBJ,
        "machineHealthCheck": _OBJ,
        "variables": _OVERRIDES,
    },
}
CLUSTER_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "spec": {
            "type": "object",
            "properties": {
                "paused": {"type": "boolean"},
                "clusterNetwork": {
                    "type": "object",
                    "properties": {
                        "apiServerPort": {"type": "integer"},
                        "pods": {
                            "type": "object",
                            "properties": {"cidrBlocks": {"type": "array", "items": {"type": "string"}}},
                        },
                        "services": {
                            "type": "object",
                            "properties": {"cidrBlocks": {"type": "array", "items": {"type": "string"}}},
                        },
                        "serviceDomain": {"type": "string"},
                    },
                },
                "controlPlaneEndpoint": {
                    "type": "object",
                    "properties": {"host": {"type": "string"}, "port": {"type": "integer"}},
                },
                "controlPlaneRef": _OBJ,
                "infrastructureRef": _OBJ,
                "availabilityGates": {"type": "array", "items": _OBJ},
                "topology": {
                    "type": "object",
                    "properties": {
                        "class": {"type": "string"},
                        "classNamespace": {"type": "string"},
                        "version": {"type": "string"},
                        "rolloutAfter": {"type": "string"},
                        "controlPlane": {
                            "type": "object",
                            "properties": {
                                "metadata": _META,
                                "replicas": {"type": "integer"},
                                "nodeDrainTimeout": {"type": "string"},
                                "nodeVolumeDetachTimeout": {"type": "string"},
                                "nodeDeletionTimeout": {"type": "string"},
                                "machineHealthCheck": _OBJ,
                                "variables": _OVERRIDES,
                            },
                        },
                        "workers": {
                            "type": "object",
                            "properties": {
                                "machineDeployments": {"type": "array", "items": _MACHINE_DEPLOYMENT},
                                "machinePools": {"type": "array", "items": _OBJ},
                            },
                        },
                        "variables": {"type": "array", "items": _VARIABLE},
                    },
                },
            },
        },
        "status": _OBJ,
    },
}


def cluster_schema(cluster_api: str) -> dict[str, Any]:
    """The Cluster schema of a Cluster API release (written from the v1.5.8 / v1.7.9 CRDs).

    ``1.5``: no ``topology.controlPlane.variables``, no ``topology.workers.machinePools``, no
    ``topology.classNamespace``; ``1.7``: no ``topology.classNamespace``; ``1.7+classNamespace`` (VKS 3.x) and
    ``classic``: everything above.
    """
    schema = copy.deepcopy(CLUSTER_SCHEMA)
    topology = schema["properties"]["spec"]["properties"]["topology"]["properties"]
    if cluster_api in ("1.5", "1.7"):
        del topology["classNamespace"]
    if cluster_api == "1.5":
        del topology["controlPlane"]["properties"]["variables"]
        del topology["workers"]["properties"]["machinePools"]
    return schema


def _cause(field: str, message: str, reason: str = "FieldValueInvalid") -> status.Cause:
    return status.Cause(field, message, reason)


def _find(store: Any, kind: str, namespace: str | None, name: str) -> dict[str, Any] | None:
    result: dict[str, Any] | None = store.get(store.registry.by_kind(kind), namespace, name)
    return result


def _class_variables(cluster_class: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """name → {required, schema} from a ClusterClass (``status.variables`` first, then ``spec.variables``)."""
    found: dict[str, dict[str, Any]] = {}
    for var in (cluster_class.get("status") or {}).get("variables") or []:
        definition = (var.get("definitions") or [{}])[0]
        found[var["name"]] = {
            "required": bool(definition.get("required", var.get("required", False))),
            "schema": (definition.get("schema") or {}).get("openAPIV3Schema") or {},
        }
    for var in (cluster_class.get("spec") or {}).get("variables") or []:
        found.setdefault(
            var["name"],
            {"required": bool(var.get("required")), "schema": (var.get("schema") or {}).get("openAPIV3Schema") or {}},
        )
    return found


def _json_type_ok(value: Any, expected: str | None) -> bool:
    checks: dict[str, Any] = {
        "string": lambda v: isinstance(v, str),
        "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
        "number": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
        "boolean": lambda v: isinstance(v, bool),
        "object": lambda v: isinstance(v, dict),
        "array": lambda v: isinstance(v, list),
    }
    return expected is None or bool(checks.get(expected, lambda v: True)(value))


def _variable_causes(
    variables: list[dict[str, Any]], definitions: dict[str, dict[str, Any]], field: str, *, top_level: bool
) -> list[status.Cause]:
    causes: list[status.Cause] = []
    seen: set[str] = set()
    for index, var in enumerate(variables):
        name = var.get("name", "")
        if name in seen:
            causes.append(
                _cause(
                    f"{field}[{index}].name",
                    f'Invalid value: "{name}": variable names must be unique',
                    "FieldValueDuplicate",
                )
            )
        seen.add(name)
        if name == "TKR_DATA":
            continue
        definition = definitions.get(name)
        if definition is None:
            causes.append(
                _cause(field, f'Required value: no definitions found for variable "{name}"', "FieldValueRequired")
            )
            continue
        expected = definition["schema"].get("type")
        if not _json_type_ok(var.get("value"), expected):
            causes.append(
                _cause(
                    f"{field}[{index}].value",
                    f'Invalid value: "{var.get("value")}": {field}[{index}].value in body must be of type {expected}',
                    "FieldValueTypeInvalid",
                )
            )
    if top_level:
        for name, definition in definitions.items():
            if definition["required"] and name not in seen:
                causes.append(
                    _cause(
                        field,
                        f'Required value: required variable with name "{name}" must be defined',
                        "FieldValueRequired",
                    )
                )
    return causes


def _version_parts(version: str) -> tuple[int, int, int]:
    match = re.match(r"^v?(\d+)\.(\d+)\.(\d+)", version)
    return (int(match.group(1)), int(match.group(2)), int(match.group(3))) if match else (0, 0, 0)


def _quota_storage_classes(store: Any, namespace: str) -> set[str]:
    names: set[str] = set()
    for quota in store.list(store.registry.by_kind("ResourceQuota"), namespace):
        for key in (quota.get("spec") or {}).get("hard") or {}:
            if key.endswith(".storageclass.storage.k8s.io/requests.storage"):
                names.add(key.split(".storageclass.storage.k8s.io/")[0])
    return names


def _os_selectors(topology: dict[str, Any]) -> list[str]:
    selectors = [
        (((topology.get("controlPlane") or {}).get("metadata") or {}).get("annotations") or {}).get(
            RESOLVE_OS_IMAGE, ""
        )
    ]
    for md in (topology.get("workers") or {}).get("machineDeployments") or []:
        selectors.append(((md.get("metadata") or {}).get("annotations") or {}).get(RESOLVE_OS_IMAGE, ""))
    return selectors


def _set_variable(variables: list[dict[str, Any]], name: str, value: Any) -> list[dict[str, Any]]:
    result = [v for v in variables if v.get("name") != name]
    result.append({"name": name, "value": value})
    return result


def _resolve_release(req: AdmissionRequest, topology: dict[str, Any], name: str) -> None:
    """The TKR resolver webhook (mutating)."""
    store = req.store
    obj = req.obj
    version = str(topology.get("version", ""))
    old_topology = ((req.old or {}).get("spec") or {}).get("topology") or {}
    old_label = ((req.old or {}).get("metadata") or {}).get("labels", {}).get(releases.TKR_LABEL)
    release_rt = store.registry.by_kind("TanzuKubernetesRelease")
    candidates = store.list(release_rt)
    osimages = store.list(store.registry.by_kind("OSImage"))
    if old_label and version == old_topology.get("version"):
        # Unchanged version: keep the release already chosen (the resolver does not re-pick on unrelated edits).
        current = [r for r in candidates if r["metadata"]["name"] == old_label]
        release, osimage, reason = releases.resolve(old_label, current, osimages, _os_selectors(topology))
        if release is None:
            release, osimage, reason = releases.resolve(version, candidates, osimages, _os_selectors(topology))
    else:
        release, osimage, reason = releases.resolve(version, candidates, osimages, _os_selectors(topology))
    if release is None or osimage is None:
        mds = [md.get("name", "") for md in (topology.get("workers") or {}).get("machineDeployments") or []]
        raise status.webhook_denied(
            TKR_WEBHOOK,
            f"could not resolve TKR/OSImage for controlPlane, machineDeployments: {mds}, query: "
            f"{{tkrSelector: {releases.label_name(version)!r}}}, result: {reason}",
            "clusters",
            GROUP,
            name,
        )
    meta = obj.setdefault("metadata", {})
    meta.setdefault("labels", {})[releases.TKR_LABEL] = release["metadata"]["name"]
    topology["version"] = release["spec"]["kubernetes"]["version"]
    data = releases.tkr_data(release, osimage)
    topology["variables"] = _set_variable(list(topology.get("variables") or []), "TKR_DATA", data)
    for md in (topology.get("workers") or {}).get("machineDeployments") or []:
        overrides = list((md.get("variables") or {}).get("overrides") or [])
        md.setdefault("variables", {})["overrides"] = _set_variable(overrides, "TKR_DATA", data)


def _validate(req: AdmissionRequest, topology: dict[str, Any], name: str, namespace: str) -> list[status.Cause]:
    store = req.store
    obj = req.obj
    causes: list[status.Cause] = []
    if len(name) > 63 or not _LABEL_VALUE.match(name):
        causes.append(
            _cause(
                "metadata.name",
                f'Invalid value: "{name}": must be a valid label value (63 characters or less, alphanumeric, '
                "'-', '_' or '.', starting and ending with an alphanumeric character)",
            )
        )
    old_spec = (req.old or {}).get("spec") or {}
    spec = obj.get("spec") or {}
    if req.old is not None and old_spec.get("clusterNetwork") != spec.get("clusterNetwork"):
        causes.append(
            _cause("spec.clusterNetwork", f'Invalid value: "{spec.get("clusterNetwork")}": field is immutable')
        )
    for which in ("pods", "services"):
        for index, block in enumerate(((spec.get("clusterNetwork") or {}).get(which) or {}).get("cidrBlocks") or []):
            try:
                ipaddress.ip_network(str(block), strict=False)
            except ValueError:
                causes.append(
                    _cause(
                        f"spec.clusterNetwork.{which}.cidrBlocks[{index}]",
                        f'Invalid value: "{block}": must be a valid CIDR block',
                    )
                )
    annotations = (obj.get("metadata") or {}).get("annotations") or {}
    if UPGRADE_CONCURRENCY in annotations:
        raw = annotations[UPGRADE_CONCURRENCY]
        if not raw.isdigit() or int(raw) < 1:
            causes.append(
                _cause(
                    f"metadata.annotations[{UPGRADE_CONCURRENCY}]",
                    f'Invalid value: "{raw}": value cannot be less than 1',
                )
            )
    if not topology:
        if old_spec.get("topology"):
            causes.append(
                _cause("spec.topology", "Forbidden: cannot be removed from an existing Cluster", "FieldValueForbidden")
            )
        return causes
    class_name = topology.get("class") or ""
    if not class_name:
        causes.append(_cause("spec.topology.class", "Required value: class cannot be empty", "FieldValueRequired"))
        return causes
    class_ns = topology.get("classNamespace") or namespace
    cluster_class = _find(store, "ClusterClass", class_ns, class_name)
    if cluster_class is None:
        causes.append(
            _cause(
                "spec.topology.class",
                f'Invalid value: "{class_name}": ClusterClass with name "{class_name}" '
                f'not found in namespace "{class_ns}"',
            )
        )
        return causes
    version = str(topology.get("version") or "")
    old_version = str((old_spec.get("topology") or {}).get("version") or "")
    if old_version and version != old_version:
        new_parts, old_parts = _version_parts(version), _version_parts(old_version)
        if new_parts < old_parts:
            causes.append(
                _cause(
                    "spec.topology.version",
                    f'Invalid value: "{version}": version cannot be decreased from '
                    f'"{old_version.lstrip("v")}" to "{version.lstrip("v")}"',
                )
            )
        elif new_parts[:2] > (old_parts[0], old_parts[1] + 1):
            causes.append(
                _cause(
                    "spec.topology.version",
                    f'Forbidden: version cannot be increased from "{old_version.lstrip("v")}" '
                    f'to "{version.lstrip("v")}"',
                    "FieldValueForbidden",
                )
            )
    definitions = _class_variables(cluster_class)
    causes.extend(
        _variable_causes(list(topology.get("variables") or []), definitions, "spec.topology.variables", top_level=True)
    )
    md_classes = {
        c.get("class")
        for c in (((cluster_class.get("spec") or {}).get("workers") or {}).get("machineDeployments") or [])
    }
    names_seen: set[str] = set()
    mds = (topology.get("workers") or {}).get("machineDeployments") or []
    for index, md in enumerate(mds):
        field = f"spec.topology.workers.machineDeployments[{index}]"
        md_name = md.get("name") or ""
        if not md_name:
            causes.append(_cause(f"{field}.name", "Required value: name must not be empty", "FieldValueRequired"))
        elif md_name in names_seen:
            causes.append(
                _cause(
                    f"{field}.name",
                    f'Invalid value: "{md_name}": name must be unique. MachineDeployment with name "{md_name}" '
                    "is defined more than once",
                )
            )
        elif not _LABEL_VALUE.match(md_name) or len(md_name) > 63:
            causes.append(_cause(f"{field}.name", f'Invalid value: "{md_name}": must be a valid label value'))
        names_seen.add(md_name)
        if md.get("class") not in md_classes:
            causes.append(
                _cause(
                    f"{field}.class",
                    f'Invalid value: "{md.get("class")}": MachineDeploymentClass with name "{md.get("class")}" '
                    f'does not exist in ClusterClass "{class_name}"',
                )
            )
        overrides = list((md.get("variables") or {}).get("overrides") or [])
        causes.extend(_variable_causes(overrides, definitions, f"{field}.variables.overrides", top_level=False))
    causes.extend(_binding_causes(store, namespace, topology))
    return causes


def _binding_causes(store: Any, namespace: str, topology: dict[str, Any]) -> list[status.Cause]:
    """vmClass must be a VirtualMachineClass in the namespace; storageClass must be in the namespace's quota."""
    causes: list[status.Cause] = []
    vm_classes = {o["metadata"]["name"] for o in store.list(store.registry.by_kind("VirtualMachineClass"), namespace)}
    storage_classes = _quota_storage_classes(store, namespace)
    scopes: list[tuple[str, list[dict[str, Any]]]] = [
        ("spec.topology.variables", list(topology.get("variables") or []))
    ]
    for index, md in enumerate((topology.get("workers") or {}).get("machineDeployments") or []):
        scopes.append(
            (
                f"spec.topology.workers.machineDeployments[{index}].variables.overrides",
                list((md.get("variables") or {}).get("overrides") or []),
            )
        )
    for field, variables in scopes:
        for index, var in enumerate(variables):
            value = var.get("value")
            if var.get("name") == "vmClass" and isinstance(value, str) and value not in vm_classes:
                causes.append(
                    _cause(
                        f"{field}[{index}].value",
                        f'Invalid value: "{value}": VirtualMachineClass "{value}" '
                        f'is not bound to namespace "{namespace}"',
                    )
                )
            if var.get("name") == "storageClass" and isinstance(value, str) and value not in storage_classes:
                causes.append(
                    _cause(
                        f"{field}[{index}].value",
                        f'Invalid value: "{value}": Storage policy is not associated with the namespace {namespace}',
                    )
                )
    return causes


def admit_cluster(req: AdmissionRequest) -> list[str]:
    """The Cluster admission chain (mutating, then validating). Mutates ``req.obj``; raises ``KubeError``."""
    obj = req.obj
    meta = obj.get("metadata") or {}
    name = str(meta.get("name", ""))
    namespace = str(meta.get("namespace", ""))
    if meta.get("deletionTimestamp") or (req.old or {}).get("metadata", {}).get("deletionTimestamp"):
        return []  # webhooks let finalizer removal through on objects being deleted
    spec = obj.setdefault("spec", {})
    topology = spec.get("topology")
    if isinstance(topology, dict) and topology:
        version = str(topology.get("version") or "")
        if version and not version.startswith("v"):
            topology["version"] = version = "v" + version
        if not version:
            raise status.invalid(
                "Cluster",
                GROUP,
                name,
                [_cause("spec.topology.version", "Required value: version must not be empty", "FieldValueRequired")],
                webhook=DEFAULT_WEBHOOK,
            )
        class_ns = topology.get("classNamespace") or namespace
        if topology.get("class") and _find(req.store, "ClusterClass", class_ns, topology["class"]) is not None:
            _resolve_release(req, topology, name)
        version = str(topology.get("version") or "")
        if not _SEMVER.match(version):
            raise status.invalid(
                "Cluster",
                GROUP,
                name,
                [
                    _cause(
                        "spec.topology.version", f'Invalid value: "{version}": version must be a valid semantic version'
                    )
                ],
                webhook=VALIDATION_WEBHOOK,
            )
    causes = _validate(req, topology if isinstance(topology, dict) else {}, name, namespace)
    if causes:
        raise status.invalid("Cluster", GROUP, name, causes, webhook=VALIDATION_WEBHOOK)
    return []


def _copy(obj: dict[str, Any]) -> dict[str, Any]:
    return copy.deepcopy(obj)


CLUSTER = ResourceType(
    group=GROUP,
    version="v1beta1",
    kind="Cluster",
    plural="clusters",
    namespaced=True,
    short_names=("cl",),
    categories=("cluster-api",),
    admit=(admit_cluster,),
    schema=CLUSTER_SCHEMA,
    columns=(
        Column("ClusterClass", "string", lambda o: path(o, "spec.topology.class")),
        Column("Phase", "string", lambda o: path(o, "status.phase")),
        Column("Ready", "string", lambda o: condition_status(o, "Ready")),
        Column("Version", "string", lambda o: path(o, "spec.topology.version")),
    ),
)
