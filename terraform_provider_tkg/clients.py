"""API clients built from the provider settings on first use, one per provider process.

Why here and lazily: ``configure`` must stay offline and cheap (Terraform starts the provider several times per
command), so nothing imports ``httpx`` (or ``pydantic``, for vCenter) or logs in until a resource or data source makes
its first call.
Resources call ``vcenter(ctx, settings)``; a resource used before the provider was configured (or with a configuration
that failed) gets one "provider not configured" error diagnostic instead of an ``AttributeError``.
"""

from __future__ import annotations

import atexit
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from .framework import logs
from .settings import ProviderSettings

if TYPE_CHECKING:
    from .api.supervisor import SupervisorClient
    from .api.vcenter import VcenterClient
    from .api.vmservice import VmServiceClient
    from .framework.resource import Context

__all__ = ["settings_or_error", "supervisor", "vcenter", "vm_service"]

T = TypeVar("T")

_lock = threading.Lock()
_vcenter: dict[Any, VcenterClient] = {}
_supervisor: dict[Any, SupervisorClient] = {}


def settings_or_error(ctx: Context, provider_data: Any) -> ProviderSettings | None:
    """The provider settings, or None after adding a "provider not configured" error to ``ctx``."""
    if isinstance(provider_data, ProviderSettings):
        return provider_data
    ctx.diagnostics.error(
        f"{ctx.type_name}: provider not configured",
        "The tkg provider has no valid configuration (vsphere_server, user, password), so it cannot call vCenter. "
        "Fix the provider block or the VSPHERE_* environment variables. If the configuration is complete, please "
        "report this issue to the provider developers.",
    )
    return None


def _close_all() -> None:
    clients: list[VcenterClient | SupervisorClient] = [*_vcenter.values(), *_supervisor.values()]
    for client in clients:
        try:
            client.close()
        except Exception:
            pass


def _cached(cache: dict[Any, T], key: Any, build: Callable[[], T]) -> T:
    """One client per key (the settings, or settings + namespace) for the whole process, built on first use."""
    client = cache.get(key)
    if client is None:
        with _lock:
            client = cache.get(key)
            if client is None:
                if not _vcenter and not _supervisor:
                    atexit.register(_close_all)
                client = cache[key] = build()
    return client


def vcenter(settings: ProviderSettings) -> VcenterClient:
    """The process's vCenter client for ``settings`` (built on first call; logs in on its first request)."""

    def build() -> VcenterClient:
        from .api.vcenter import VcenterClient

        return VcenterClient(
            settings.vsphere_server,
            user=settings.user,
            password=settings.password,
            ca_file=settings.ca_file,
            allow_unverified_ssl=settings.allow_unverified_ssl,
            api_timeout=settings.api_timeout,
            max_retries=settings.max_retries,
            origin="vsphere_server / VSPHERE_SERVER",
        )

    return _cached(_vcenter, settings, build)


def supervisor(settings: ProviderSettings, namespace: str | None = None) -> SupervisorClient:
    """The process's Supervisor client (endpoint from the settings, else discovered through vCenter).

    Without ``supervisor_endpoint``, the Supervisor is discovered on first use: the only one, or with several the one
    hosting ``namespace`` (one client per namespace then, since namespaces may live on different Supervisors).
    """
    key: Any = settings if settings.supervisor_endpoint or namespace is None else (settings, namespace)

    def build() -> SupervisorClient:
        from .api.supervisor import SupervisorClient

        return SupervisorClient(
            settings.supervisor_endpoint,
            user=settings.user,
            password=settings.password,
            ca_file=settings.ca_file,
            allow_unverified_ssl=settings.allow_unverified_ssl,
            api_timeout=settings.api_timeout,
            max_retries=settings.max_retries,
            discover=lambda: vcenter(settings).discover_supervisor_endpoint(namespace),
            on_secret=logs.register_secret,
            origin="supervisor_endpoint / TKG_SUPERVISOR_ENDPOINT",
            discovered_origin="discovered through vCenter; set supervisor_endpoint to choose another",
        )

    return _cached(_supervisor, key, build)


def vm_service(settings: ProviderSettings, namespace: str | None = None) -> VmServiceClient:
    """VM Service calls over the Supervisor connection (the one hosting ``namespace`` when discovered)."""
    from .api.vmservice import VmServiceClient

    connection = supervisor(settings, namespace)
    return VmServiceClient(connection, poll_interval=connection.poll_interval)
