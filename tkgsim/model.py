"""The default seed inventory of the simulator (overridable with ``tkg-sim serve --seed FILE``).

Plain JSON-shaped data so a seed file (YAML or JSON) can replace any top-level key. Field names inside each entry
follow the vCenter wire names where an entry mirrors a vCenter object (``policy``, ``memory_MB``), and simple
descriptive names otherwise.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

_GIB = 1024


def _vm_classes() -> list[dict[str, Any]]:
    sizes = [
        ("xsmall", 2, 2),
        ("small", 2, 4),
        ("medium", 2, 8),
        ("large", 4, 16),
        ("xlarge", 4, 32),
        ("2xlarge", 8, 64),
        ("4xlarge", 16, 128),
        ("8xlarge", 32, 128),
    ]
    classes = []
    for prefix, reservation in (("best-effort", 0), ("guaranteed", 100)):
        for size, cpus, mem_gib in sizes:
            classes.append(
                {
                    "id": f"{prefix}-{size}",
                    "cpu_count": cpus,
                    "memory_MB": mem_gib * _GIB,
                    "cpu_reservation": reservation,
                    "memory_reservation": reservation,
                    "description": f"{prefix.replace('-', ' ')} {size}: {cpus} vCPU, {mem_gib} GiB",
                }
            )
    return classes


DEFAULT_MODEL: dict[str, Any] = {
    # role "admin" may write; "read-only" gets 403 NoPermission / UNAUTHORIZED on every write.
    "users": [
        {"name": "administrator@vsphere.local", "password": "Tanzu-Sim-1!", "role": "admin"},
        {"name": "readonly@vsphere.local", "password": "Tanzu-Sim-RO-1!", "role": "read-only"},
    ],
    "clusters": [{"cluster": "domain-c8", "name": "Cluster-1", "ha_enabled": True, "drs_enabled": True}],
    "supervisors": [
        {
            "supervisor": "c9ad3f1a-6c0e-4a2b-9a64-0d1a7f0e5b21",
            "name": "supervisor-1",
            "cluster": "domain-c8",
            "config_status": "RUNNING",
            "kubernetes_status": "READY",
        }
    ],
    "storage_policies": [
        {
            "policy": "aa6d5a82-1c88-45da-85d3-3d74b91a5bad",
            "name": "vSAN Default Storage Policy",
            "description": "Storage policy used as default for vSAN datastores",
        },
        {
            "policy": "4d5f673c-536f-11e6-beb8-9e71128cae77",
            "name": "tkg-gold",
            "description": "Gold tier for Tanzu Kubernetes Grid workloads",
        },
        {
            "policy": "f4e5bade-15a2-4805-bf8e-52318c4ce443",
            "name": "tkg-silver",
            "description": "Silver tier for Tanzu Kubernetes Grid workloads",
        },
        {
            # Its StorageClass was renamed by the admin (real Supervisors allow it): the class name is no slug of the
            # policy name, so a client that derives class names from policy names gets it wrong.
            "policy": "0b6f0d34-8c6e-4f6e-9a3e-7f1d2c3b4a50",
            "name": "vSAN ESA Default Policy - RAID5",
            "description": "vSAN ESA RAID-5 erasure coding",
            "storage_class": "tanzu-raid5",
        },
    ],
    "content_libraries": [
        {
            "id": "8f2d3d5e-6a1b-4c7f-9e0a-2b3c4d5e6f70",
            "name": "Kubernetes Service Content Library",
            "type": "SUBSCRIBED",
            "description": "Kubernetes releases for TKG workload clusters",
        },
        {
            "id": "1b2c3d4e-5f60-4718-92a3-b4c5d6e7f809",
            "name": "vm-images",
            "type": "LOCAL",
            "description": "VM Service images",
        },
    ],
    "vm_classes": _vm_classes(),
    # Kubernetes releases offered by the Supervisor (TanzuKubernetesRelease / KubernetesRelease).
    "kubernetes_releases": [
        {
            "name": "v1.29.4---vmware.3-fips.1-tkg.1",
            "version": "v1.29.4+vmware.3-fips.1-tkg.1",
            "kubernetes_version": "v1.29.4+vmware.3-fips.1",
            "ready": True,
            "compatible": True,
        },
        {
            "name": "v1.30.8---vmware.1-fips-vkr.1",
            "version": "v1.30.8+vmware.1-fips-vkr.1",
            "kubernetes_version": "v1.30.8+vmware.1-fips",
            "ready": True,
            "compatible": True,
        },
        {
            "name": "v1.31.4---vmware.1-fips-vkr.3",
            "version": "v1.31.4+vmware.1-fips-vkr.3",
            "kubernetes_version": "v1.31.4+vmware.1-fips",
            "ready": True,
            "compatible": True,
        },
        {
            "name": "v1.26.5---vmware.2-fips.1-tkg.1",
            "version": "v1.26.5+vmware.2-fips.1-tkg.1",
            "kubernetes_version": "v1.26.5+vmware.2-fips.1",
            "ready": False,
            "compatible": False,
        },
        {
            "name": "v1.32.0---vmware.1-fips-vkr.1",
            "version": "v1.32.0+vmware.1-fips-vkr.1",
            "kubernetes_version": "v1.32.0+vmware.1-fips",
            "ready": False,
            "compatible": True,
        },
    ],
    # System ClusterClasses in every vSphere Namespace; None = the profile's (see tkgsim.profiles).
    "cluster_classes": None,
    # The modelled release (tkgsim.profiles); ``tkg-sim serve --profile`` wins over it. None = the default profile.
    "profile": None,
    # NTP servers of the Supervisor (the ``ntp`` variable its webhook injects into new clusters).
    "ntp_servers": ["time.vmware.local"],
}


def default_model() -> dict[str, Any]:
    """A fresh deep copy of the default seed, safe to mutate."""
    return copy.deepcopy(DEFAULT_MODEL)


def load_seed(path: str | Path) -> dict[str, Any]:
    """The default model with the top-level keys of a YAML or JSON seed file replacing the defaults.

    Unknown top-level keys are rejected (a typo would otherwise be ignored silently).
    """
    import yaml  # YAML is a superset of JSON, so one parser reads both.

    with open(path, encoding="utf-8") as handle:
        loaded = yaml.safe_load(handle)
    if loaded is None:
        loaded = {}
    if not isinstance(loaded, dict):
        raise ValueError(f"seed file {path} must hold a mapping of top-level keys")
    unknown = sorted(set(loaded) - set(DEFAULT_MODEL))
    if unknown:
        raise ValueError(f"seed file {path} has unknown keys {unknown}; known: {sorted(DEFAULT_MODEL)}")
    model = default_model()
    model.update(copy.deepcopy(loaded))
    return model
