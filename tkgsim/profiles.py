"""Simulator profiles: which real vSphere / VKS release the simulator answers as.

A profile decides what the two APIs look like and how unkind the Supervisor is:

- ``vcenter_api``: the vCenter REST release whose bindings the vCenter half follows. Before 9.1 the Supervisor
  summaries carry no ``APIEndpoint``; the address is only in ``namespace-management/clusters/{cluster}``.
- ``cluster_api``: the Cluster API release whose Cluster CRD schema the Supervisor stores objects with (1.5 has no
  ``topology.controlPlane.variables`` and no ``machinePools``; neither 1.5 nor 1.7 has ``topology.classNamespace``,
  which VKS 3.x adds). Fields outside the schema are pruned silently, as a structural CRD does.
- ``namespace_classes`` / ``public_classes``: the system ClusterClasses in every vSphere Namespace and in
  ``vmware-system-vks-public``.
- ``mutating``: the Supervisor's webhooks inject ``user``, ``ntp``, ``extensionCert``, ``clusterEncryptionConfigYaml``
  and default ``podSecurityStandard`` / ``controlPlaneCertificateRotation`` on create.
- ``topology_errors``: the default of the ``topology_errors`` fault knob (transient ``TopologyReconcileFailed``).
- ``upgrade_race``: ``observedGeneration`` and ``TopologyReconciled=True`` are reported before machines roll.

The default is ``vsphere-8.0u3``, a real release. ``classic`` is the simulator's original, kindest model (9.1
bindings, permissive schema, no mutation, no transient errors, no upgrade race); it models no real release and is
kept for experiments only.
"""

from __future__ import annotations

import dataclasses
from typing import Any

__all__ = [
    "DEFAULT_PROFILE",
    "PROFILES",
    "PUBLIC_CLASS_NAMESPACE",
    "Profile",
    "by_name",
    "prepare_model",
]

PUBLIC_CLASS_NAMESPACE = "vmware-system-vks-public"


@dataclasses.dataclass(frozen=True)
class Profile:
    """One modelled release (see the module docstring)."""

    name: str
    title: str
    vcenter_api: tuple[int, int]
    cluster_api: str  # "1.5", "1.7", "1.7+classNamespace", or "classic" (the original permissive schema)
    namespace_classes: tuple[str, ...]
    public_classes: tuple[str, ...] = ()
    mutating: bool = True
    topology_errors: str = "transient"
    upgrade_race: bool = True

    @property
    def has_api_endpoint(self) -> bool:
        """Whether Supervisor summaries carry ``APIEndpoint`` (vSphere API 9.1 and later)."""
        return self.vcenter_api >= (9, 1)


_BUILTIN_V3 = tuple(f"builtin-generic-v3.{minor}.0" for minor in range(1, 5))

PROFILES: dict[str, Profile] = {
    p.name: p
    for p in (
        Profile(
            name="vsphere-8.0u2",
            title="vCenter 8.0 U2, Supervisor with Cluster API 1.5",
            vcenter_api=(8, 0),
            cluster_api="1.5",
            namespace_classes=("tanzukubernetescluster",),
        ),
        Profile(
            name="vsphere-8.0u3",
            title="vCenter 8.0 U3, Supervisor with Cluster API 1.7",
            vcenter_api=(8, 0),
            cluster_api="1.7",
            namespace_classes=("tanzukubernetescluster", "builtin-generic-v3.1.0"),
        ),
        Profile(
            name="vks-3.4",
            title="vSphere 9 with VKS 3.4 (versioned ClusterClasses in vmware-system-vks-public)",
            vcenter_api=(9, 1),
            cluster_api="1.7+classNamespace",
            namespace_classes=("tanzukubernetescluster",),
            public_classes=_BUILTIN_V3,
        ),
        Profile(
            name="classic",
            title="the simulator's original model: 9.1 bindings, permissive schema, no mutation or transient errors",
            vcenter_api=(9, 1),
            cluster_api="classic",
            namespace_classes=("tanzukubernetescluster", "builtin-generic-v3.1.0"),
            mutating=False,
            topology_errors="off",
            upgrade_race=False,
        ),
    )
}

# The profile used when neither ``--profile`` nor the seed's ``profile:`` names one.
DEFAULT_PROFILE = "vsphere-8.0u3"


def by_name(name: str | None) -> Profile:
    """The profile called ``name`` (None: the default); a ValueError lists the known names."""
    key = name or DEFAULT_PROFILE
    try:
        return PROFILES[key]
    except KeyError:
        raise ValueError(f"unknown profile {key!r}; known: {', '.join(sorted(PROFILES))}") from None


def prepare_model(model: dict[str, Any], profile: Profile) -> dict[str, Any]:
    """The seed inventory as ``profile`` ships it (mutates and returns ``model``).

    ``cluster_classes`` unset (None) means the profile's classes.
    """
    if model.get("cluster_classes") is None:
        model["cluster_classes"] = list(profile.namespace_classes)
    model["profile"] = profile.name
    return model
