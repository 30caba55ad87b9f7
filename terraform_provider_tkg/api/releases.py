"""How a version string designates a Kubernetes release, as the TKR resolver reads it (pure, no I/O).

A release is named ``v1.31.4---vmware.1-fips-vkr.3`` (``+`` is not allowed in object names, so ``---`` stands for it);
its version is ``v1.31.4+vmware.1-fips-vkr.3`` and its Kubernetes version ``v1.31.4+vmware.1-fips``. Users may write
any of these, or a prefix of the name ending at a ``.`` or ``-`` boundary (``v1.31``).
"""

from __future__ import annotations

__all__ = ["designates", "name_form"]


def name_form(version: str) -> str:
    """``version`` spelled as a release name (``+`` → ``---``)."""
    return version.replace("+", "---")


def designates(version: str, name: str, *aliases: str | None) -> bool:
    """Whether ``version`` designates the release called ``name`` (also known by ``aliases``, e.g. its versions)."""
    if version in (name, *aliases):
        return True
    wanted = name_form(version)
    return name.startswith(wanted) and name[len(wanted) : len(wanted) + 1] in ("", ".", "-")
