"""Seed objects every Supervisor has: releases (TKR + KR), OSImages, and the system ClusterClasses per namespace."""

from __future__ import annotations

import logging
import re
from typing import Any

from tkgsim.profiles import PUBLIC_CLASS_NAMESPACE, Profile

from . import releases, status
from .store import Store

__all__ = ["cluster_class_object", "ensure_cluster_classes", "ensure_public_classes", "seed_releases"]

log = logging.getLogger(__name__)

_STRING = {"type": "string"}
_STRINGS = {"type": "array", "items": {"type": "string"}}
_OBJECT = {"type": "object", "x-kubernetes-preserve-unknown-fields": True}
_OBJECTS = {"type": "array", "items": _OBJECT}

# Variables of ``tanzukubernetescluster`` and ``builtin-generic-v3.1.0`` (reference §3.2; same schema for both).
CLASS_VARIABLES: list[tuple[str, bool, dict[str, Any]]] = [
    ("vmClass", True, _STRING),
    ("storageClass", True, _STRING),
    ("storageClasses", False, _STRINGS),
    ("defaultStorageClass", False, _STRING),
    ("volumeSnapshotClasses", False, _STRINGS),
    ("defaultVolumeSnapshotClass", False, _STRING),
    ("nodePoolVolumes", False, _OBJECTS),
    ("controlPlaneVolumes", False, _OBJECTS),
    ("nodePoolLabels", False, _OBJECTS),
    ("nodePoolTaints", False, _OBJECTS),
    ("proxy", False, _OBJECT),
    ("trust", False, _OBJECT),
    ("ntp", False, _STRING),
    ("user", False, _OBJECT),
    ("podSecurityStandard", False, _OBJECT),
    ("kubeAPIServerFQDNs", False, _STRINGS),
    (
        "controlPlaneCertificateRotation",
        False,
        {
            "type": "object",
            "properties": {
                "activate": {"type": "boolean", "default": True},
                "daysBefore": {"type": "integer", "default": 90, "minimum": 7},
            },
        },
    ),
    ("clusterEncryptionConfigYaml", False, _STRING),
    ("defaultRegistrySecret", False, _OBJECT),
    ("extensionCert", False, _OBJECT),
    ("TKR_DATA", False, _OBJECT),
]


# Variables of the VKS 3.2+ ``builtin-generic-v3.x.y`` classes (VMware's cluster examples, section 2): a new set in
# which the platform-owned variables of the older classes (``user``, ``ntp``, ...) no longer exist.
GENERIC_V3_VARIABLES: list[tuple[str, bool, dict[str, Any]]] = [
    ("vmClass", True, _STRING),
    ("storageClass", True, _STRING),
    ("kubernetes", False, _OBJECT),
    ("node", False, _OBJECT),
    ("osConfiguration", False, _OBJECT),
    ("resourceConfiguration", False, _OBJECT),
    ("volumes", False, _OBJECTS),
    ("vsphereOptions", False, _OBJECT),
    ("TKR_DATA", False, _OBJECT),
]


def class_variables(name: str) -> list[tuple[str, bool, dict[str, Any]]]:
    """The variable definitions a system ClusterClass ships with."""
    match = re.match(r"^builtin-generic-v3\.(\d+)\.", name)
    if match and int(match.group(1)) >= 2:
        return GENERIC_V3_VARIABLES
    return CLASS_VARIABLES


def seed_releases(store: Store, model: dict[str, Any]) -> None:
    """Create the TanzuKubernetesRelease, KubernetesRelease and OSImage objects that are missing."""
    tkr = store.registry.by_kind("TanzuKubernetesRelease")
    kr = store.registry.by_kind("KubernetesRelease")
    osimage = store.registry.by_kind("OSImage")
    for seed in model.get("kubernetes_releases", []):
        for rt in (tkr, kr):
            if store.get(rt, None, seed["name"]) is None:
                store.create(rt, releases.release_object(seed, api_version=rt.api_version, kind=rt.kind))
                created = store.require(rt, None, seed["name"])
                created["status"] = releases.release_object(seed, api_version=rt.api_version, kind=rt.kind)["status"]
                store.update(rt, created, subresource="status")
        for os_name, os_version in releases.OS_FLAVOURS:
            image = releases.osimage_object(seed, os_name, os_version, api_version=osimage.api_version)
            if store.get(osimage, None, image["metadata"]["name"]) is None:
                store.create(osimage, image)


def cluster_class_object(name: str, namespace: str) -> dict[str, Any]:
    """A system ClusterClass as the Supervisor ships it (variables in ``status.variables``, reconciled)."""
    infra = {
        "apiVersion": "vmware.infrastructure.cluster.x-k8s.io/v1beta1",
        "kind": "VSphereClusterTemplate",
        "name": f"{name}",
        "namespace": namespace,
    }
    return {
        "apiVersion": "cluster.x-k8s.io/v1beta1",
        "kind": "ClusterClass",
        "metadata": {"name": name, "namespace": namespace, "annotations": {"run.tanzu.vmware.com/resolve-tkr": ""}},
        "spec": {
            "controlPlane": {
                "ref": {
                    "apiVersion": "controlplane.cluster.x-k8s.io/v1beta1",
                    "kind": "KubeadmControlPlaneTemplate",
                    "name": f"{name}-control-plane",
                    "namespace": namespace,
                },
                "machineInfrastructure": {
                    "ref": {**infra, "kind": "VSphereMachineTemplate", "name": f"{name}-control-plane"}
                },
            },
            "infrastructure": {"ref": infra},
            "workers": {
                "machineDeployments": [
                    {
                        "class": "node-pool",
                        "template": {
                            "bootstrap": {
                                "ref": {
                                    "apiVersion": "bootstrap.cluster.x-k8s.io/v1beta1",
                                    "kind": "KubeadmConfigTemplate",
                                    "name": f"{name}-worker-bootstrap",
                                    "namespace": namespace,
                                }
                            },
                            "infrastructure": {
                                "ref": {**infra, "kind": "VSphereMachineTemplate", "name": f"{name}-worker"}
                            },
                        },
                    }
                ]
            },
        },
    }


def _class_status(name: str, generation: int) -> dict[str, Any]:
    return {
        "observedGeneration": generation,
        "conditions": [
            {"type": "Ready", "status": "True", "lastTransitionTime": "2025-01-01T00:00:00Z"},
            {"type": "RefVersionsUpToDate", "status": "True", "lastTransitionTime": "2025-01-01T00:00:00Z"},
            {"type": "VariablesReconciled", "status": "True", "lastTransitionTime": "2025-01-01T00:00:00Z"},
        ],
        "variables": [
            {
                "name": var_name,
                "definitionsConflict": False,
                "definitions": [{"from": "default", "required": required, "schema": {"openAPIV3Schema": schema}}],
            }
            for var_name, required, schema in class_variables(name)
        ],
    }


def ensure_cluster_classes(store: Store, model: dict[str, Any], namespace: str) -> None:
    """Put the system ClusterClasses (``model["cluster_classes"]``) into a namespace (8.0U3 layout)."""
    rt = store.registry.by_kind("ClusterClass")
    for name in model.get("cluster_classes") or []:
        if store.get(rt, namespace, name) is not None:
            continue
        try:
            created = store.create(rt, cluster_class_object(name, namespace))
        except status.KubeError as exc:
            log.warning("could not create ClusterClass %s/%s: %s", namespace, name, exc)
            continue
        created["status"] = _class_status(name, int(created["metadata"].get("generation", 1)))
        store.update(rt, created, subresource="status")


def ensure_public_classes(store: Store, profile: Profile) -> None:
    """VKS: the versioned classes live once in ``vmware-system-vks-public`` (referenced with classNamespace)."""
    if not profile.public_classes:
        return
    ns_rt = store.registry.by_kind("Namespace")
    if store.get(ns_rt, None, PUBLIC_CLASS_NAMESPACE) is None:
        store.create(
            ns_rt,
            {
                "metadata": {
                    "name": PUBLIC_CLASS_NAMESPACE,
                    "labels": {"kubernetes.io/metadata.name": PUBLIC_CLASS_NAMESPACE},
                },
                "spec": {"finalizers": ["kubernetes"]},
                "status": {"phase": "Active"},
            },
        )
    ensure_cluster_classes(store, {"cluster_classes": list(profile.public_classes)}, PUBLIC_CLASS_NAMESPACE)
