"""Kubernetes releases (TanzuKubernetesRelease / KubernetesRelease / OSImage) and the TKR resolver.

Pure functions: building the seeded objects from ``world.model["kubernetes_releases"]`` and resolving a Cluster's
``spec.topology.version`` the way tanzu-framework's ``tkr-resolver`` webhook does (reference §3.4): the version is a
*prefix*, ``+`` is spelled ``---`` in label form, releases labelled ``incompatible``/``deactivated``/``invalid`` are
excluded, the newest match wins, and the Cluster is rewritten to the release's ``spec.kubernetes.version``.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

__all__ = [
    "EXCLUDING_LABELS",
    "OS_FLAVOURS",
    "TKR_LABEL",
    "label_name",
    "os_image_name",
    "osimage_object",
    "prefix_labels",
    "release_object",
    "resolve",
    "semver_key",
    "tkr_data",
]

TKR_LABEL = "run.tanzu.vmware.com/tkr"
EXCLUDING_LABELS = ("incompatible", "deactivated", "invalid")
IMAGE_REPOSITORY = "localhost:5000/vmware.io"
# (os-name, os-version) offered for every release; the first one is used when no selector is given.
OS_FLAVOURS = (("photon", "5"), ("ubuntu", "22.04"))


def label_name(version: str) -> str:
    """``v1.31.4+vmware.1`` → ``v1.31.4---vmware.1`` (label-safe form)."""
    return version.replace("+", "---")


def prefix_labels(name: str) -> dict[str, str]:
    """Every prefix of a release name at ``.``/``-`` boundaries, as empty-valued labels (``v1``, ``v1.31``, …)."""
    labels: dict[str, str] = {}
    for match in re.finditer(r"[.-]", name):
        prefix = name[: match.start()]
        if prefix and not prefix.endswith("-") and re.search(r"[0-9a-z]$", prefix):
            labels[prefix] = ""
    labels[name] = ""
    return labels


def semver_key(version: str) -> tuple[Any, ...]:
    """Sort key: numeric major.minor.patch, then the pre-release/build text split into numeric/alpha runs."""
    match = re.match(r"^v?(\d+)\.(\d+)\.(\d+)(.*)$", version)
    if not match:
        return (0, 0, 0, ())
    rest = tuple(int(p) if p.isdigit() else p for p in re.findall(r"\d+|[a-zA-Z]+", match.group(4)))
    return (int(match.group(1)), int(match.group(2)), int(match.group(3)), rest)


def os_image_name(release_name: str, os_name: str) -> str:
    return "vmi-" + hashlib.sha256(f"{release_name}/{os_name}".encode()).hexdigest()[:17]


def _condition(kind: str, ok: bool, reason: str = "", message: str = "") -> dict[str, Any]:
    cond: dict[str, Any] = {
        "type": kind,
        "status": "True" if ok else "False",
        "lastTransitionTime": "2025-01-01T00:00:00Z",
    }
    if not ok:
        cond["severity"] = "Warning"
        cond["reason"] = reason
        if message:
            cond["message"] = message
    return cond


def release_object(seed: dict[str, Any], *, api_version: str, kind: str) -> dict[str, Any]:
    """A TanzuKubernetesRelease or KubernetesRelease for one ``kubernetes_releases`` seed entry."""
    name = seed["name"]
    labels = {"os-arch": "amd64", "os-type": "linux", **prefix_labels(name)}
    compatible = bool(seed.get("compatible", True))
    ready = bool(seed.get("ready", True)) and compatible
    if not compatible:
        labels["incompatible"] = ""
    if not ready:
        reason, message = (
            ("Incompatible", "release is not compatible with this Supervisor")
            if not compatible
            else (
                "NotReady",
                "release content is not yet available in the content library",
            )
        )
    else:
        reason, message = "", ""
    return {
        "apiVersion": api_version,
        "kind": kind,
        "metadata": {"name": name, "labels": labels, "finalizers": ["tanzukubernetesrelease.run.tanzu.vmware.com"]},
        "spec": {
            "version": seed["version"],
            "kubernetes": {
                "version": seed["kubernetes_version"],
                "imageRepository": IMAGE_REPOSITORY,
                "etcd": {"imageTag": "v3.5.12_vmware.4"},
                "coredns": {"imageTag": "v1.11.1_vmware.10"},
                "pause": {"imageTag": "3.9"},
            },
            "osImages": [{"name": os_image_name(name, os_name)} for os_name, _ in OS_FLAVOURS],
            "bootstrapPackages": [
                {"name": "antrea.tanzu.vmware.com.1.13.3+vmware.1-tkg.1-advanced"},
                {"name": "calico.tanzu.vmware.com.3.27.3+vmware.1-tkg.1"},
                {"name": "vsphere-pv-csi.tanzu.vmware.com.3.3.0+vmware.1-tkg.1"},
                {"name": "guest-cluster-auth-service.tanzu.vmware.com.1.3.3+tkg.1"},
            ],
        },
        "status": {
            "conditions": [
                _condition("Compatible", compatible, "Incompatible", "release is not compatible with this Supervisor"),
                _condition("Ready", ready, reason, message),
            ]
        },
    }


def osimage_object(seed: dict[str, Any], os_name: str, os_version: str, *, api_version: str) -> dict[str, Any]:
    """The OSImage of one release and OS flavour."""
    name = os_image_name(seed["name"], os_name)
    labels = {
        "os-name": os_name,
        "os-version": os_version,
        "os-arch": "amd64",
        "os-type": "linux",
        "image-type": "vmi",
        TKR_LABEL: seed["name"],
        **prefix_labels(seed["name"]),
    }
    return {
        "apiVersion": api_version,
        "kind": "OSImage",
        "metadata": {"name": name, "labels": labels},
        "spec": {
            "kubernetesVersion": seed["kubernetes_version"],
            "os": {"type": "linux", "name": os_name, "version": os_version, "arch": "amd64"},
            "image": {"type": "vmi", "ref": {"name": name}},
        },
    }


def _ready(release: dict[str, Any]) -> bool:
    conditions = {c.get("type"): c.get("status") for c in (release.get("status") or {}).get("conditions") or []}
    return conditions.get("Ready") == "True" and conditions.get("Compatible", "True") == "True"


def _selector_matches(selector: str, labels: dict[str, str]) -> bool:
    for requirement in filter(None, (s.strip() for s in selector.split(","))):
        key, _, value = requirement.partition("=")
        if labels.get(key.strip()) != value.strip():
            return False
    return True


def resolve(
    query: str, releases: list[dict[str, Any]], osimages: list[dict[str, Any]], selectors: list[str]
) -> tuple[dict[str, Any] | None, dict[str, Any] | None, str]:
    """Pick the newest ready, compatible release whose name has ``query`` as a label prefix.

    ``selectors`` are the ``run.tanzu.vmware.com/resolve-os-image`` values of the control plane and each pool (empty
    = any). Returns ``(release, osimage, "")`` or ``(None, None, reason)``.
    """
    wanted = label_name(query if query.startswith("v") else "v" + query)
    candidates = [
        r
        for r in releases
        if wanted in (r["metadata"].get("labels") or {})
        and not any(x in (r["metadata"].get("labels") or {}) for x in EXCLUDING_LABELS)
        and _ready(r)
    ]
    candidates.sort(key=lambda r: semver_key(r["spec"]["version"]), reverse=True)
    for release in candidates:
        images = [
            o for o in osimages if (o["metadata"].get("labels") or {}).get(TKR_LABEL) == release["metadata"]["name"]
        ]
        chosen: dict[str, Any] | None = None
        for selector in selectors or [""]:
            matching = [o for o in images if _selector_matches(selector, o["metadata"].get("labels") or {})]
            if not matching:
                chosen = None
                break
            chosen = chosen or matching[0]
        if chosen is not None:
            return release, chosen, ""
    return None, None, f"no ready, compatible TKR/OSImage carries label {wanted!r}"


def tkr_data(release: dict[str, Any], osimage: dict[str, Any]) -> dict[str, Any]:
    """The ``TKR_DATA`` variable value the resolver injects."""
    k8s = release["spec"]["kubernetes"]
    os_labels = osimage["metadata"].get("labels") or {}
    return {
        k8s["version"]: {
            "kubernetesSpec": {
                "version": k8s["version"],
                "imageRepository": k8s.get("imageRepository", IMAGE_REPOSITORY),
                "etcd": k8s.get("etcd", {}),
                "coredns": k8s.get("coredns", {}),
                "pause": k8s.get("pause", {}),
            },
            "osImageRef": {"name": osimage["metadata"]["name"]},
            "labels": {
                "os-name": os_labels.get("os-name", ""),
                "os-version": os_labels.get("os-version", ""),
                "os-arch": os_labels.get("os-arch", "amd64"),
                "os-type": os_labels.get("os-type", "linux"),
                TKR_LABEL: release["metadata"]["name"],
            },
        }
    }
