"""The provider's resolved configuration, in a module of its own: ``provider`` builds it, ``clients`` and the
resources read it, and neither has to import the other."""

from __future__ import annotations

import dataclasses

__all__ = ["DEFAULT_API_TIMEOUT", "DEFAULT_MAX_RETRIES", "ProviderSettings"]

DEFAULT_API_TIMEOUT = "5m"
DEFAULT_MAX_RETRIES = 5


@dataclasses.dataclass(frozen=True)
class ProviderSettings:
    """The provider's resolved configuration, handed to every resource and data source."""

    vsphere_server: str
    user: str
    password: str = dataclasses.field(repr=False)
    allow_unverified_ssl: bool = False
    ca_file: str | None = None
    supervisor_endpoint: str | None = None
    api_timeout: float = 300.0
    max_retries: int = DEFAULT_MAX_RETRIES
