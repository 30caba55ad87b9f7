"""The provider's short name, defined once: ``provider.py`` and every resource and data source module build their
type names from it (``f"{PROVIDER_NAME}_vm_class"``). It lives apart from ``provider.py`` because that module imports
the resource modules for its registry, so they cannot import it back."""

from __future__ import annotations

__all__ = ["PROVIDER_NAME"]

PROVIDER_NAME = "tkg"
