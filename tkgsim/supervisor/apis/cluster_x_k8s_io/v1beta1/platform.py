"""The Supervisor's own mutating webhook for Clusters (profiles with ``mutating``): variables nobody wrote.

On create it injects the variables VMware's platform owns and defaults two optional ones, each only when the
Cluster's ClusterClass defines the variable (the ``builtin-generic-v3.2+`` classes define none of them):

- ``user``: ``sshAuthorizedKey`` (a key pair the Supervisor generates) and ``passwordSecret``
  ``{name: <cluster>-ssh-password-hashed, key: ssh-passwordkey}``;
- ``ntp``: the Supervisor's NTP server (``model["ntp_servers"][0]``);
- ``extensionCert``: ``{contentSecret: {name: <cluster>-extensions-ca, key: tls.crt}}``;
- ``clusterEncryptionConfigYaml``: an ``EncryptionConfiguration`` YAML with a generated aescbc key;
- defaults ``podSecurityStandard`` (8.0 U3 and later) and ``controlPlaneCertificateRotation``.

On update the injected variables a client dropped are put back with their stored values, as the platform owns them
(a client that removes them sees them again on the next read).
"""

from __future__ import annotations

import base64
import hashlib
from typing import Any

from ....resources import AdmissionRequest

__all__ = ["DEFAULTED", "INJECTED", "inject_platform_variables"]

INJECTED = ("user", "ntp", "extensionCert", "clusterEncryptionConfigYaml")
DEFAULTED = ("podSecurityStandard", "controlPlaneCertificateRotation")


def _secret_bytes(seed: str, size: int = 32) -> bytes:
    # Derived from the cluster's name: stable across restarts, and never a secret anyone relies on.
    return hashlib.sha256(seed.encode()).digest()[:size]


def _values(name: str, namespace: str, ntp: str, profile_name: str) -> dict[str, Any]:
    seed = f"{namespace}/{name}"
    key = base64.b64encode(_secret_bytes(seed + "/ssh")).decode()
    encryption = base64.b64encode(_secret_bytes(seed + "/aescbc")).decode()
    values: dict[str, Any] = {
        "user": {
            "sshAuthorizedKey": f"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI{key[:43]} vmware-system-user",
            "passwordSecret": {"name": f"{name}-ssh-password-hashed", "key": "ssh-passwordkey"},
        },
        "ntp": ntp,
        "extensionCert": {"contentSecret": {"name": f"{name}-extensions-ca", "key": "tls.crt"}},
        "clusterEncryptionConfigYaml": (
            "apiVersion: apiserver.config.k8s.io/v1\n"
            "kind: EncryptionConfiguration\n"
            "resources:\n"
            "- providers:\n"
            "  - aescbc:\n"
            "      keys:\n"
            "      - name: key1\n"
            f"        secret: {encryption}\n"
            "  - identity: {}\n"
            "  resources:\n"
            "  - secrets\n"
        ),
        "controlPlaneCertificateRotation": {"activate": True, "daysBefore": 90},
    }
    if profile_name != "vsphere-8.0u2":  # podSecurityStandard arrived with 8.0 U3
        values["podSecurityStandard"] = {
            "enforce": "baseline",
            "enforceVersion": "latest",
            "audit": "restricted",
            "auditVersion": "latest",
            "warn": "restricted",
            "warnVersion": "latest",
            "deactivated": False,
            "exemptions": {"namespaces": []},
        }
    return values


def _class_variable_names(req: AdmissionRequest, topology: dict[str, Any], namespace: str) -> set[str]:
    rt = req.store.registry.by_kind("ClusterClass")
    cluster_class = req.store.get(rt, topology.get("classNamespace") or namespace, str(topology.get("class") or ""))
    if cluster_class is None:
        return set()
    names = {v.get("name") for v in (cluster_class.get("status") or {}).get("variables") or []}
    names |= {v.get("name") for v in (cluster_class.get("spec") or {}).get("variables") or []}
    return {str(n) for n in names if n}


def inject_platform_variables(req: AdmissionRequest) -> list[str]:
    """The mutating hook (see the module docstring); never rejects."""
    world = req.store.world
    if not world.profile.mutating:
        return []
    obj = req.obj
    meta = obj.get("metadata") or {}
    if meta.get("deletionTimestamp"):
        return []
    topology = (obj.get("spec") or {}).get("topology")
    if not isinstance(topology, dict) or not topology:
        return []
    name, namespace = str(meta.get("name", "")), str(meta.get("namespace", ""))
    defined = _class_variable_names(req, topology, namespace)
    variables: list[dict[str, Any]] = [v for v in topology.get("variables") or [] if isinstance(v, dict)]
    present = {v.get("name") for v in variables}
    if req.operation == "CREATE":
        ntp = str((world.model.get("ntp_servers") or ["time.vmware.local"])[0])
        for var, value in _values(name, namespace, ntp, world.profile.name).items():
            if var in defined and var not in present:
                variables.append({"name": var, "value": value})
    else:
        old_topology = ((req.old or {}).get("spec") or {}).get("topology") or {}
        for old in old_topology.get("variables") or []:
            if old.get("name") in INJECTED and old.get("name") not in present:
                variables.append({"name": old["name"], "value": old.get("value")})
    topology["variables"] = variables
    return []
