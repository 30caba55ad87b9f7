"""The ``tkg`` provider: its configuration, the registry of resource and data source types, and configure.

Configure validates settings and resolves environment fallbacks but makes no remote call: API clients are built on
first use by a resource or data source, so ``terraform validate`` and schema-only launches stay cheap and offline.
"""

from __future__ import annotations

import os
from typing import Any

from ._naming import PROVIDER_NAME
from .data_sources import cluster_kubeconfig as cluster_kubeconfig_data
from .data_sources import content_library as content_library_data
from .data_sources import kubernetes_releases as kubernetes_releases_data
from .data_sources import storage_policy as storage_policy_data
from .data_sources import supervisor as supervisor_data
from .data_sources import supervisor_namespace as supervisor_namespace_data
from .data_sources import vm_class as vm_class_data
from .framework import durations, logs, validators
from .framework import types as t
from .framework.resource import Context, Provider
from .framework.schema import Attribute, Block, Schema
from .resources import cluster, supervisor_namespace, vm_class
from .settings import DEFAULT_API_TIMEOUT, DEFAULT_MAX_RETRIES, ProviderSettings

__all__ = ["FULL_NAME", "PROVIDER_NAME", "TkgProvider", "new_servicer"]

FULL_NAME = "registry.terraform.io/tkg-oss/tkg"

# attribute -> environment variable used when the attribute is not set in configuration
ENV_FALLBACKS = {
    "vsphere_server": "VSPHERE_SERVER",
    "user": "VSPHERE_USER",
    "password": "VSPHERE_PASSWORD",
    "allow_unverified_ssl": "VSPHERE_ALLOW_UNVERIFIED_SSL",
    "ca_file": "VSPHERE_CA_FILE",
    "supervisor_endpoint": "TKG_SUPERVISOR_ENDPOINT",
}


def _host_port(value: Any) -> str | None:
    if "://" in value or "/" in value or not value.strip() or " " in value:
        return (
            f"{value!r} is not a host name: give a host or host:port without scheme or path (e.g. vcenter.example.com)."
        )
    return None


SCHEMA = Schema(
    Block(
        attributes={
            "vsphere_server": Attribute(
                t.String(),
                optional=True,
                description="vCenter Server host name or host:port. Environment: `VSPHERE_SERVER`.",
                validators=(_host_port,),
            ),
            "user": Attribute(
                t.String(),
                optional=True,
                description="vCenter SSO user, e.g. `administrator@vsphere.local`. Environment: `VSPHERE_USER`.",
            ),
            "password": Attribute(
                t.String(),
                optional=True,
                sensitive=True,
                description="Password of `user`. Environment: `VSPHERE_PASSWORD`.",
            ),
            "allow_unverified_ssl": Attribute(
                t.Bool(),
                optional=True,
                description="Skip TLS verification of vCenter and the Supervisor (default `false`; for labs only). "
                "Environment: `VSPHERE_ALLOW_UNVERIFIED_SSL`.",
            ),
            "ca_file": Attribute(
                t.String(),
                optional=True,
                description="PEM file with the CA certificates to trust for vCenter and the Supervisor. "
                "Environment: `VSPHERE_CA_FILE`.",
            ),
            "supervisor_endpoint": Attribute(
                t.String(),
                optional=True,
                description="Supervisor API endpoint (host, or host:port). When unset it is discovered from vCenter. "
                "Environment: `TKG_SUPERVISOR_ENDPOINT`.",
                validators=(_host_port,),
            ),
            "api_timeout": Attribute(
                t.String(),
                optional=True,
                description=f"Timeout of a single API call as a duration (default `{DEFAULT_API_TIMEOUT}`).",
                validators=(validators.duration,),
            ),
            "max_retries": Attribute(
                t.Number(),
                optional=True,
                description=f"Retries of a failed call (429, 503, connection errors), default {DEFAULT_MAX_RETRIES}.",
                validators=(validators.between(0, 20),),
            ),
        }
    )
)


def _truthy(text: str) -> bool:
    return text.strip().lower() in ("1", "true", "yes", "on")


class TkgProvider(Provider):
    full_name = FULL_NAME
    schema = SCHEMA
    resources = (vm_class.VmClassResource, supervisor_namespace.SupervisorNamespaceResource, cluster.ClusterResource)
    data_sources = (
        supervisor_data.SupervisorDataSource,
        storage_policy_data.StoragePolicyDataSource,
        content_library_data.ContentLibraryDataSource,
        vm_class_data.VmClassDataSource,
        supervisor_namespace_data.SupervisorNamespaceDataSource,
        kubernetes_releases_data.KubernetesReleasesDataSource,
        cluster_kubeconfig_data.ClusterKubeconfigDataSource,
    )

    def configure(self, ctx: Context, config: dict[str, Any]) -> Any:
        values: dict[str, Any] = {}
        for name in SCHEMA.block.attributes:
            value = config.get(name)
            if value is None and name in ENV_FALLBACKS:
                env = os.environ.get(ENV_FALLBACKS[name])
                if env:
                    value = _truthy(env) if name == "allow_unverified_ssl" else env
            values[name] = value
        for name, message in self._check(values):
            ctx.diagnostics.error(f"Invalid provider configuration: {name}", message, (name,))
        if ctx.diagnostics.has_errors:
            return None
        logs.register_secret(values["password"])
        return ProviderSettings(
            vsphere_server=values["vsphere_server"],
            user=values["user"],
            password=values["password"],
            allow_unverified_ssl=bool(values["allow_unverified_ssl"]),
            ca_file=values["ca_file"],
            supervisor_endpoint=values["supervisor_endpoint"],
            api_timeout=durations.parse(values["api_timeout"] or DEFAULT_API_TIMEOUT),
            max_retries=int(values["max_retries"] if values["max_retries"] is not None else DEFAULT_MAX_RETRIES),
        )

    @staticmethod
    def _check(values: dict[str, Any]) -> list[tuple[str, str]]:
        problems = []
        for name in ("vsphere_server", "user", "password"):
            if not values[name]:
                problems.append(
                    (name, f"{name} is required: set it in the provider block or in {ENV_FALLBACKS[name]}.")
                )
        for name in ("vsphere_server", "supervisor_endpoint"):
            if values[name]:
                message = _host_port(values[name])
                if message:
                    problems.append((name, f"{message} (from {ENV_FALLBACKS[name]})"))
        ca_file = values["ca_file"]
        if ca_file and not os.path.isfile(ca_file):
            problems.append(
                ("ca_file", f"{ca_file!r} does not exist or is not a file; give a PEM file of CA certificates.")
            )
        if ca_file and values["allow_unverified_ssl"]:
            problems.append(("allow_unverified_ssl", "allow_unverified_ssl = true and ca_file cannot be combined."))
        return problems


def new_servicer() -> Any:
    """The tfplugin6 servicer for this provider (imports the gRPC layer only when serving)."""
    from .framework.servicer import ProviderServicer

    return ProviderServicer(TkgProvider())
