"""Cross-attribute rules of a ``tkg_virtual_machine`` configuration (single attributes: schema validators)."""

from __future__ import annotations

from ...framework.diagnostics import Path
from ...framework.values import Unknown, known
from .model import Model, quantity_bytes

__all__ = ["validate"]


def validate(model: Model) -> list[tuple[Path, str, str]]:
    """Cross-attribute rules: (path, summary, detail); unknown values are skipped."""
    problems: list[tuple[Path, str, str]] = []
    names: set[str] = set()
    for index, volume in enumerate(model.volume):
        where: Path = ("volume", index)
        if known(volume.name) and volume.name in names:
            problems.append(((*where, "name"), "Duplicate volume name", f"volume name {volume.name!r} is used twice."))
        names.add(volume.name)
        has_size, has_claim = volume.size is not None, volume.claim_name is not None
        if has_size == has_claim and volume.size is not Unknown and volume.claim_name is not Unknown:
            problems.append(
                (
                    (*where, "claim_name") if has_claim else (*where, "name"),
                    "Invalid volume",
                    f"volume {volume.name!r} needs exactly one of size (a new disk) or claim_name (an existing claim).",
                )
            )
        if has_claim and volume.storage_class is not None:
            problems.append(
                (
                    (*where, "storage_class"),
                    "Invalid volume",
                    "storage_class applies to a new disk (size); an existing claim keeps its own storage class.",
                )
            )
        if known(volume.size):
            size = quantity_bytes(str(volume.size))
            if size is None or size <= 0:
                problems.append(
                    (
                        (*where, "size"),
                        "Invalid volume size",
                        f"{volume.size!r} is not a positive Kubernetes quantity such as `20Gi` or `512Mi`.",
                    )
                )
            elif size % 2**20:
                problems.append(
                    ((*where, "size"), "Invalid volume size", f"{volume.size!r} must be a whole number of MiB.")
                )
    boot = model.bootstrap
    if boot is not None:
        chosen = [n for n in ("cloud_init", "sysprep", "vapp_properties") if getattr(boot, n) is not None]
        if not chosen:
            problems.append((("bootstrap",), "Empty bootstrap", "Set cloud_init, or sysprep and/or vapp_properties."))
        elif "cloud_init" in chosen and len(chosen) > 1:
            other = next(n for n in chosen if n != "cloud_init")
            problems.append(
                (
                    ("bootstrap", other),
                    "Conflicting bootstrap methods",
                    f"cloud_init cannot be combined with {other} (VM Operator allows cloud-init alone, or Sysprep "
                    "with vApp properties).",
                )
            )
    seen: set[str] = set()
    for index, interface in enumerate(model.network_interface):
        if known(interface.name) and interface.name in seen:
            problems.append(
                (
                    ("network_interface", index, "name"),
                    "Duplicate interface name",
                    f"interface name {interface.name!r} is used twice.",
                )
            )
        seen.add(interface.name)
    return problems
