"""``data.tkg_cluster_kubeconfig``: a kubeconfig for a workload cluster, split into the fields the kubernetes and helm
providers take (``host``, ``cluster_ca_certificate``, ``client_certificate``, ``client_key``, or ``token``).

``mode = "admin"`` (default) reads Secret ``<cluster>-kubeconfig`` (type ``cluster.x-k8s.io/secret``, key ``value``)
in the cluster's vSphere Namespace (``GET /api/v1/namespaces/{ns}/secrets/{cluster}-kubeconfig``): cluster-admin.
``mode = "sso"`` does what ``kubectl vsphere login --tanzu-kubernetes-cluster-name`` does: ``POST /wcp/login`` with the
provider's vSphere SSO credentials and the guest cluster's name, which returns a short-lived token the cluster's
authentication webhook accepts; the kubeconfig then acts as that user (RBAC applies) until ``token_expiry``.
"""

from __future__ import annotations

import base64
import dataclasses
from typing import Any

from .. import clients
from .._naming import PROVIDER_NAME
from ..api import errors
from ..framework import logs, validators
from ..framework import types as t
from ..framework.model import from_tf, to_tf
from ..framework.resource import Context, DataSource
from ..framework.schema import Attribute, Block, Schema

__all__ = ["SCHEMA", "TYPE_NAME", "ClusterKubeconfigDataSource", "Model", "from_api"]

TYPE_NAME = f"{PROVIDER_NAME}_cluster_kubeconfig"
MODES = ("admin", "sso")

SCHEMA = Schema(
    Block(
        description="A kubeconfig of a TKG workload cluster (cluster-admin, or the provider's vSphere SSO user), ready "
        "for the kubernetes and helm providers.",
        attributes={
            "namespace": Attribute(
                t.String(),
                required=True,
                description="The cluster's vSphere Namespace.",
                validators=(validators.dns1123_label,),
            ),
            "name": Attribute(
                t.String(), required=True, description="The cluster's name.", validators=(validators.dns1123_label,)
            ),
            "mode": Attribute(
                t.String(),
                optional=True,
                validators=(validators.one_of(*MODES),),
                description="`admin` (default): the cluster-admin kubeconfig Secret. `sso`: a token for the provider's "
                "vSphere SSO user from the Supervisor's guest-cluster login; the cluster's RBAC applies and the token "
                "expires (see `token_expiry`).",
            ),
            "id": Attribute(t.String(), computed=True, description="`namespace/name`."),
            "username": Attribute(
                t.String(), computed=True, description="In `sso` mode, the vSphere SSO user the token belongs to."
            ),
            "token_expiry": Attribute(
                t.String(),
                computed=True,
                description="In `sso` mode, when the token expires (RFC 3339, UTC; from its `exp` claim). Terraform "
                "reads a new token on every plan and apply.",
            ),
            "kubeconfig": Attribute(t.String(), computed=True, sensitive=True, description="The kubeconfig (YAML)."),
            "host": Attribute(t.String(), computed=True, description="API server URL, e.g. `https://10.0.0.10:6443`."),
            "cluster_ca_certificate": Attribute(
                t.String(), computed=True, sensitive=True, description="PEM CA certificate of the API server."
            ),
            "client_certificate": Attribute(
                t.String(), computed=True, sensitive=True, description="PEM client certificate (cluster admin)."
            ),
            "client_key": Attribute(t.String(), computed=True, sensitive=True, description="PEM client private key."),
            "token": Attribute(
                t.String(),
                computed=True,
                sensitive=True,
                description="Bearer token, when the kubeconfig authenticates with one instead of a client certificate.",
            ),
        },
    )
)


@dataclasses.dataclass
class Model:
    """``data.tkg_cluster_kubeconfig`` in Terraform terms."""

    namespace: str | None = None
    name: str | None = None
    mode: str | None = None
    id: str | None = None
    username: str | None = None
    token_expiry: str | None = None
    kubeconfig: str | None = None
    host: str | None = None
    cluster_ca_certificate: str | None = None
    client_certificate: str | None = None
    client_key: str | None = None
    token: str | None = None


def _pem(entry: dict[str, Any], key: str) -> str | None:
    data = entry.get(f"{key}-data")
    if not data:
        return None
    try:
        return base64.b64decode(data).decode()
    except ValueError:
        return None


def from_api(namespace: str, name: str, kubeconfig: str) -> Model:
    """The data source's state for a kubeconfig text (its current context, or the first entries)."""
    import yaml

    config = yaml.safe_load(kubeconfig) or {}
    contexts = {c.get("name"): c.get("context") or {} for c in config.get("contexts") or []}
    current = contexts.get(config.get("current-context")) or next(iter(contexts.values()), {})
    clusters = {c.get("name"): c.get("cluster") or {} for c in config.get("clusters") or []}
    users = {u.get("name"): u.get("user") or {} for u in config.get("users") or []}
    cluster = clusters.get(current.get("cluster")) or next(iter(clusters.values()), {})
    user = users.get(current.get("user")) or next(iter(users.values()), {})
    return Model(
        namespace=namespace,
        name=name,
        id=f"{namespace}/{name}",
        kubeconfig=kubeconfig,
        host=cluster.get("server"),
        cluster_ca_certificate=_pem(cluster, "certificate-authority"),
        client_certificate=_pem(user, "client-certificate"),
        client_key=_pem(user, "client-key"),
        token=user.get("token"),
    )


def sso_kubeconfig(name: str, server: str, ca_pem: str | None, user: str, token: str) -> str:
    """The kubeconfig ``kubectl vsphere login`` writes for a guest cluster (context named after the cluster)."""
    import yaml

    cluster: dict[str, Any] = {"server": server}
    if ca_pem:
        cluster["certificate-authority-data"] = base64.b64encode(ca_pem.encode()).decode()
    entry = f"wcp:{server.split('://', 1)[-1].split('/', 1)[0]}:{user}"
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": name, "cluster": cluster}],
        "contexts": [{"name": name, "context": {"cluster": name, "user": entry}}],
        "current-context": name,
        "users": [{"name": entry, "user": {"token": token}}],
    }
    return str(yaml.safe_dump(config, sort_keys=False))


def _rfc3339(seconds: float) -> str:
    from datetime import UTC, datetime

    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class ClusterKubeconfigDataSource(DataSource):
    type_name = TYPE_NAME
    schema = SCHEMA

    def read(self, ctx: Context, config: dict[str, Any]) -> dict[str, Any] | None:
        wanted = from_tf(Model, config)
        namespace, name = str(wanted.namespace), str(wanted.name)
        with logs.resource_context(TYPE_NAME, f"{namespace}/{name}"):
            settings = clients.settings_or_error(ctx, self.provider_data)
            if settings is None:
                return None
            if wanted.mode == "sso":
                return self._sso(ctx, settings, wanted)
            try:
                kubeconfig = clients.supervisor(settings, namespace).get_kubeconfig(namespace, name)
            except errors.NotFound:
                ctx.diagnostics.error(
                    f"reading {TYPE_NAME} ({namespace}/{name}): no kubeconfig",
                    f"Secret {name}-kubeconfig does not exist in namespace {namespace!r}: the cluster does not "
                    "exist or has no control-plane endpoint yet. Reference tkg_cluster attributes (e.g. name = "
                    "tkg_cluster.x.name) so Terraform reads this after the cluster is ready.",
                )
                return None
            except errors.ApiError as exc:
                ctx.diagnostics.error(f"reading {TYPE_NAME} ({namespace}/{name})", exc.describe())
                return None
            logs.register_secret(kubeconfig)
            return to_tf(dataclasses.replace(from_api(namespace, name, kubeconfig), mode=wanted.mode))

    def _sso(self, ctx: Context, settings: Any, wanted: Model) -> dict[str, Any] | None:
        from ..api.supervisor import jwt_expiry

        namespace, name = str(wanted.namespace), str(wanted.name)
        try:
            token, server, ca_pem = clients.supervisor(settings).guest_cluster_login(namespace, name)
        except errors.NotFound:
            ctx.diagnostics.error(
                f"reading {TYPE_NAME} ({namespace}/{name}): cluster not found",
                f"The Supervisor's guest-cluster login knows no cluster {name!r} in namespace {namespace!r}. "
                "Reference tkg_cluster attributes so Terraform reads this after the cluster exists.",
                ("name",),
            )
            return None
        except errors.ApiError as exc:
            ctx.diagnostics.error(f"reading {TYPE_NAME} ({namespace}/{name})", exc.describe())
            return None
        logs.register_secret(token)
        user = str(settings.user)
        kubeconfig = sso_kubeconfig(name, server, ca_pem, user, token)
        logs.register_secret(kubeconfig)
        expires = jwt_expiry(token)
        state = from_api(namespace, name, kubeconfig)
        return to_tf(
            dataclasses.replace(
                state, mode="sso", username=user, token_expiry=_rfc3339(expires) if expires is not None else None
            )
        )
