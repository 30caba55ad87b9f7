"""``tkg_cluster`` CRUD: validate and plan hooks, create / read / update / delete / import against the Supervisor."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from ... import clients, reporting
from ...framework import inflight, logs, validators
from ...framework.model import from_tf, to_tf
from ...framework.resource import Context, PlanContext, Resource, Timeouts
from ...framework.values import known
from ...ownership import already_exists
from . import imported
from .checks import check_version_change, live_checks
from .expand import as_int, to_api, trust_secret
from .flatten import from_api, tf_path, trusted_ca_pems
from .model import TYPE_NAME, Model, label
from .patch import update_patch
from .schema import SCHEMA
from .validation import validate
from .wire import CREATE_TOKEN_ANNOTATION, DEFAULT_CNI, TRUST_SECRET_SUFFIX

if TYPE_CHECKING:
    from ...api.errors import ApiError
    from ...api.supervisor import SupervisorClient

__all__ = ["ClusterResource"]

log = logging.getLogger(__name__)


def _pools_to_wait_for(model: Model) -> dict[str, int | None]:
    return {p.name: (None if p.autoscaler is not None else as_int(p.replicas)) for p in model.node_pool}


# Attributes written where an older Cluster API schema has no field: a Supervisor prunes them silently.
_PRUNABLE = (
    (("cluster_class_namespace",), "topology.classNamespace (VKS 3.x)"),
    (("control_plane", "vm_class"), "topology.controlPlane.variables (Cluster API 1.7, vSphere 8.0 U3)"),
    (("control_plane", "storage_class"), "topology.controlPlane.variables (Cluster API 1.7, vSphere 8.0 U3)"),
)


def _pruned(model: Model, stored: Model) -> list[tuple[tuple[str, ...], str]]:
    """Declared attributes the Supervisor dropped from the stored Cluster (its schema lacks the field)."""
    found: list[tuple[tuple[str, ...], str]] = []
    for path, field in _PRUNABLE:
        declared: Any = model
        kept: Any = stored
        for part in path:
            declared = getattr(declared, part, None) if declared is not None else None
            kept = getattr(kept, part, None) if kept is not None else None
        if declared is not None and kept is None:
            found.append((path, field))
    return found


def _report_pruned(ctx: Context, verb: str, model: Model, stored: Model) -> None:
    for path, field in _pruned(model, stored):
        ctx.diagnostics.error(
            f"{verb} {TYPE_NAME} ({label(model)}): {'.'.join(path)} not supported by this Supervisor",
            f"The Supervisor stored the Cluster without {'.'.join(path)}: its Cluster API schema has no {field}, so "
            "the value was dropped without an error. Remove the attribute (node pools take vm_class and "
            "storage_class per pool; the cluster-level ones apply to the control plane), or upgrade the Supervisor.",
            path,
        )


def _same_cni_is_no_replacement(ctx: PlanContext, prior: Model, model: Model) -> None:
    """Writing ``cni = "antrea"`` where the state has none (e.g. after import) names the CNI that already runs."""
    path = ("network", "cni")
    if path not in ctx.requires_replace:
        return
    old = prior.network.cni if prior.network is not None else None
    new = model.network.cni if model.network is not None else None
    if {old, new} <= {None, DEFAULT_CNI}:
        ctx.requires_replace.discard(path)


class ClusterResource(Resource):
    type_name = TYPE_NAME
    schema = SCHEMA
    timeouts = Timeouts(create=3600, update=3600, delete=1800)

    # -- validate / plan ----------------------------------------------------------------------------------------

    def validate(self, ctx: Context, config: dict[str, Any]) -> None:
        for path, summary, detail in validate(from_tf(Model, config)):
            ctx.diagnostics.error(summary, detail, path)
        name = config.get("name")
        if isinstance(name, str) and len(name) > 41:
            ctx.diagnostics.warning(
                "Long cluster name",
                f"{name!r} has {len(name)} characters; Supervisors before vSphere 8.0 U3 never finish provisioning "
                "clusters whose names are longer than 41 characters.",
                ("name",),
            )

    def plan(self, ctx: PlanContext, planned: dict[str, Any]) -> dict[str, Any]:
        if known(planned.get("namespace")) and known(planned.get("name")):
            planned["id"] = f"{planned['namespace']}/{planned['name']}"
        prior = from_tf(Model, ctx.prior) if ctx.prior is not None else None
        model = from_tf(Model, planned)
        if prior is not None:
            check_version_change(ctx, prior, model)
            _same_cni_is_no_replacement(ctx, prior, model)
            self._plan_imported_keys(ctx, prior, model)
        if ctx.diagnostics.has_errors:
            return planned
        live_checks(ctx, self.provider_data, prior, model)
        return planned

    @staticmethod
    def _plan_imported_keys(ctx: PlanContext, prior: Model, model: Model) -> None:
        drops = imported.state_only(ctx.private, prior, model)
        ctx.private.pop(imported.STATE_ONLY, None)
        if not drops:
            return
        ctx.private[imported.STATE_ONLY] = drops
        for name, keys in drops.items():
            ctx.diagnostics.warning(
                f"Imported {name} not in the configuration",
                f"terraform import read {name} {', '.join(repr(k) for k in keys)} from the cluster, and the "
                f"configuration does not declare them. They are dropped from the state only: the cluster keeps them "
                f"and Terraform will not manage them. Declare them in {name} to manage them.",
                (name,),
            )

    # -- CRUD ---------------------------------------------------------------------------------------------------

    def _client(self, ctx: Context, model: Model) -> SupervisorClient | None:
        settings = clients.settings_or_error(ctx, self.provider_data)
        return clients.supervisor(settings, model.namespace) if settings is not None else None

    def _cni(self, client: SupervisorClient, model: Model) -> str | None:
        """The CNI the cluster's ClusterBootstrap names (None when it cannot be read)."""
        from ...api import errors

        try:
            return client.get_cluster_cni(model.namespace, model.name)
        except errors.ApiError:
            return None

    def _bootstrap(self, ctx: Context, client: SupervisorClient, model: Model) -> bool:
        """``network.cni``: create the ClusterBootstrap naming the release's package of that CNI, before the Cluster.

        Returns False (with an error on ``network.cni``) when the release ships no such package.
        """
        from ...api import supervisor

        cni = model.network.cni if model.network is not None else None
        if not isinstance(cni, str) or not cni:
            return True  # unset (computed): the Supervisor's default
        releases = supervisor.matching_releases(str(model.kubernetes_version), client.list_releases())
        release = next((r for r in releases if supervisor.release_usable(r)), releases[0] if releases else None)
        if release is None:
            return True  # the Supervisor's admission names the unknown release
        package = supervisor.cni_package(release, cni)
        if package is None:
            ctx.diagnostics.error(
                f"creating {TYPE_NAME} ({label(model)}): CNI not offered",
                f"Release {release.metadata.name} ships no {cni} package; it offers: "
                f"{', '.join(supervisor.release_cnis(release)) or 'none'}.",
                ("network", "cni"),
            )
            return False
        client.ensure_cluster_bootstrap(model.namespace, model.name, package, release.metadata.name)
        log.info("[%s %s] ClusterBootstrap %s created with CNI %s", TYPE_NAME, label(model), model.name, package)
        return True

    def _api_error(self, ctx: Context, verb: str, model: Model, exc: Exception) -> None:
        from ...api import errors

        detail = exc.describe() if isinstance(exc, errors.ApiError) else str(exc)
        path = tf_path(exc.field, model) if isinstance(exc, errors.ApiError) else None
        ctx.diagnostics.error(f"{verb} {TYPE_NAME} ({label(model)})", detail, path)

    def _wait_error(self, ctx: Context, verb: str, model: Model, exc: Any) -> Model:
        """The partial state of a failed or timed-out wait, with an error quoting the cluster's conditions."""
        from ...api import errors, supervisor

        last = exc.last
        if isinstance(exc, errors.WaitFailed):
            summary = f"{verb} {TYPE_NAME} ({label(model)}): provisioning failed"
            lead = "The cluster reported a failure: " + "; ".join(exc.messages)
        elif isinstance(exc, errors.WaitCancelled):
            summary = f"{verb} {TYPE_NAME} ({label(model)}): interrupted"
            lead = "Terraform was interrupted while waiting for the cluster."
        else:
            summary = f"{verb} {TYPE_NAME} ({label(model)}): timed out"
            lead = f"The cluster was not ready within the {verb.removesuffix('ing')} timeout ({exc.message})."
        state = from_api(last, model) if last is not None else model
        conditions = supervisor.conditions_summary(last) if last is not None else "the cluster was never read back"
        ctx.diagnostics.error(
            summary,
            f"{lead}\nLast seen: {conditions}.\nThe cluster is kept in state and marked tainted; the next apply "
            "replaces it. Raise timeouts or fix the cause (VM class, storage, release) first.",
        )
        return state

    def _kubeconfig(self, client: SupervisorClient, model: Model) -> str | None:
        from ...api import errors

        try:
            kubeconfig = client.get_kubeconfig(model.namespace, model.name)
        except errors.NotFound:
            return None
        logs.register_secret(kubeconfig)
        return kubeconfig

    def _pems(self, client: SupervisorClient, model: Model) -> dict[str, str] | None:
        from ...api import errors

        if model.network is None or not model.network.trusted_ca:
            return None
        try:
            return trusted_ca_pems(client.get_secret(model.namespace, f"{model.name}{TRUST_SECRET_SUFFIX}"))
        except errors.NotFound:
            return {}

    def create(self, ctx: Context, planned: dict[str, Any]) -> dict[str, Any] | None:
        from ...api import errors

        model = from_tf(Model, planned)
        with logs.resource_context(TYPE_NAME, label(model)):
            client = self._client(ctx, model)
            if client is None:
                return None
            tag = f"[{TYPE_NAME} {label(model)}]"
            token = inflight.journal().begin(TYPE_NAME, label(model))
            try:
                if not self._bootstrap(ctx, client, model):
                    return None
                secret = trust_secret(model)
                if secret is not None:
                    # The Secret is written before the Cluster that refers to it: never over someone else's cluster.
                    if not self._may_create(ctx, client, model, token):
                        return None
                    client.apply_secret(secret)
                try:
                    obj = client.create_cluster(to_api(model, create_token=token))
                    log.info(
                        "%s created; Supervisor resolved version %s",
                        tag,
                        obj.spec.topology.version if obj.spec.topology else "?",
                    )
                except errors.AlreadyExists as exc:
                    if not self._may_create(ctx, client, model, token, exc):
                        return None
                    log.warning("%s finishing this directory's interrupted create: adopting the cluster", tag)
                    obj = client.update_cluster(
                        model.namespace, model.name, lambda cur: update_patch(cur, model, model)
                    )
            except errors.ApiError as exc:
                self._api_error(ctx, "creating", model, exc)
                return None
            state = from_api(obj, model, cni=self._cni(client, model))
            _report_pruned(ctx, "creating", model, state)
            if ctx.diagnostics.has_errors:
                return to_tf(state)  # created, but not as declared: kept in state, tainted
            if model.wait_for_ready:
                try:
                    obj = client.wait_cluster_ready(
                        model.namespace,
                        model.name,
                        pools=_pools_to_wait_for(model),
                        deadline=ctx.deadline,
                        stop=ctx.stop,
                        logger=log,
                    )
                except errors.WaitTimeout as exc:
                    return to_tf(self._wait_error(ctx, "creating", model, exc))
                except errors.ApiError as exc:
                    self._api_error(ctx, "creating", model, exc)
                    return to_tf(state)
            try:
                return to_tf(
                    from_api(
                        obj,
                        model,
                        kubeconfig=self._kubeconfig(client, model),
                        trusted_ca_pems=self._pems(client, model),
                        cni=self._cni(client, model),
                    )
                )
            except errors.ApiError as exc:
                self._api_error(ctx, "creating", model, exc)
                return to_tf(from_api(obj, model))

    def _may_create(
        self, ctx: Context, client: SupervisorClient, model: Model, token: str, refusal: ApiError | None = None
    ) -> bool:
        """False (with the "already exists — import it" error) when a Cluster of this name exists and does not carry
        this directory's create token, i.e. it is not the result of our own interrupted create."""
        from ...api import errors

        try:
            existing = client.get_cluster(model.namespace, model.name)
        except errors.NotFound:
            return True
        if (existing.metadata.annotations or {}).get(CREATE_TOKEN_ANNOTATION) == token:
            return True
        already_exists(ctx, object_id=label(model), what="TKG cluster", import_id=label(model), server=refusal)
        return False

    def read(self, ctx: Context, state: dict[str, Any]) -> dict[str, Any] | None:
        from ...api import errors

        model = from_tf(Model, state)
        with logs.resource_context(TYPE_NAME, label(model)):
            client = self._client(ctx, model)
            if client is None:
                return state
            try:
                obj = client.get_cluster(model.namespace, model.name)
            except errors.NotFound:
                inflight.journal().settle(TYPE_NAME, label(model))
                reporting.gone(ctx, label(model), "cluster")
                return None
            except errors.ApiError as exc:
                self._api_error(ctx, "reading", model, exc)
                return state
            # The state holds this cluster now: its create is no longer in flight.
            inflight.journal().settle(TYPE_NAME, label(model))
            importing = not model.kubernetes_version
            basis = from_api(obj, model) if importing else model
            try:
                read = from_api(
                    obj,
                    model,
                    kubeconfig=self._kubeconfig(client, model),
                    trusted_ca_pems=self._pems(client, basis),
                    cni=self._cni(client, model),
                )
            except errors.ApiError as exc:
                self._api_error(ctx, "reading", model, exc)
                return state
            if importing:
                imported.remember(ctx.private, read)
            return to_tf(read)

    def update(self, ctx: Context, prior: dict[str, Any], planned: dict[str, Any]) -> dict[str, Any] | None:
        from ...api import errors

        before, model = from_tf(Model, prior), from_tf(Model, planned)
        # Keys import read that the configuration never declared leave the state, not the cluster.
        before = imported.without(before, ctx.private.get(imported.STATE_ONLY) or {})
        with logs.resource_context(TYPE_NAME, label(model)):
            client = self._client(ctx, model)
            if client is None:
                return prior
            try:
                self._sync_trust_secret(client, before, model)
                obj = client.update_cluster(model.namespace, model.name, lambda cur: update_patch(cur, before, model))
            except errors.NotFound:
                return None
            except errors.ApiError as exc:
                self._api_error(ctx, "updating", model, exc)
                return prior
            imported.forget(ctx.private)  # the configuration now decides which keys are managed
            _report_pruned(ctx, "updating", model, from_api(obj, model))
            if ctx.diagnostics.has_errors:
                return to_tf(from_api(obj, model))
            if model.wait_for_ready:
                try:
                    obj = client.wait_cluster_settled(
                        model.namespace,
                        model.name,
                        generation=obj.metadata.generation or 0,
                        pools=_pools_to_wait_for(model),
                        deadline=ctx.deadline,
                        stop=ctx.stop,
                        logger=log,
                    )
                except errors.WaitTimeout as exc:
                    return to_tf(self._wait_error(ctx, "updating", model, exc))
                except errors.ApiError as exc:
                    self._api_error(ctx, "updating", model, exc)
                    return to_tf(from_api(obj, model))
            # The kubeconfig does not change on update; the planned (prior) value stays until the next refresh.
            return to_tf(from_api(obj, model, trusted_ca_pems=self._pems(client, model)))

    def _sync_trust_secret(self, client: SupervisorClient, before: Model, model: Model) -> None:
        from ...api import errors

        old, new = trust_secret(before), trust_secret(model)
        if new is not None and (old is None or old.data != new.data):
            client.apply_secret(new)
        elif new is None and old is not None:
            try:
                client.delete_secret(model.namespace, old.metadata.name)
            except errors.NotFound:
                pass

    def delete(self, ctx: Context, state: dict[str, Any]) -> None:
        from ...api import errors

        model = from_tf(Model, state)
        with logs.resource_context(TYPE_NAME, label(model)):
            client = self._client(ctx, model)
            if client is None:
                return
            try:
                client.delete_cluster(model.namespace, model.name)
                log.info("[%s %s] deleting", TYPE_NAME, label(model))
                client.wait_cluster_deleted(
                    model.namespace, model.name, deadline=ctx.deadline, stop=ctx.stop, logger=log
                )
            except errors.NotFound:
                pass
            except errors.WaitTimeout as exc:
                ctx.diagnostics.error(
                    f"deleting {TYPE_NAME} ({label(model)}): not gone yet",
                    f"The cluster is still being deleted ({exc.message}). It stays in state; run terraform destroy "
                    "again to keep waiting, or raise timeouts.delete.",
                )
                return
            except errors.ApiError as exc:
                self._api_error(ctx, "deleting", model, exc)
                return
            inflight.journal().settle(TYPE_NAME, label(model))
            if model.network is not None and model.network.trusted_ca:
                try:
                    client.delete_secret(model.namespace, f"{model.name}{TRUST_SECRET_SUFFIX}")
                except errors.ApiError:
                    pass

    def import_(self, ctx: Context, import_id: str) -> dict[str, Any] | None:
        parts = import_id.split("/")
        if len(parts) != 2 or not all(parts) or any(validators.dns1123_label(p) for p in parts):
            ctx.diagnostics.error(
                f"importing {TYPE_NAME}: invalid ID {import_id!r}",
                'Expected "<namespace>/<name>", e.g. terraform import tkg_cluster.prod demo-ns/prod-1.',
            )
            return None
        namespace, name = parts
        return to_tf(Model(id=import_id, name=name, namespace=namespace, cluster_class=None, wait_for_ready=True))
