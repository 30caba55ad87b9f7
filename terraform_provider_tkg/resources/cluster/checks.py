"""Plan-time checks of ``tkg_cluster``: version moves (no downgrade, no skipped minor) and, for values that are new
or changed, checks against the Supervisor (release, ClusterClass, VM and storage classes bound to the namespace).
A no-op plan makes no call."""

from __future__ import annotations

import logging
import weakref
from typing import TYPE_CHECKING, Any

from ... import clients
from ...framework.diagnostics import Path
from ...framework.resource import PlanContext
from ...framework.values import Unknown, known
from ...settings import ProviderSettings
from .model import Model
from .validation import version_parts

if TYPE_CHECKING:
    from ...api.errors import ApiError
    from ...api.supervisor import SupervisorClient

__all__ = ["check_version_change", "live_checks"]

log = logging.getLogger(__name__)

# All Supervisor calls of one cluster's plan-time checks (login and discovery included) end within this many seconds.
PLAN_CHECK_LIMIT = 20.0

# Per client, the connection error that made a plan-time check give up: the other clusters of the same plan (the same
# provider process) skip their checks at once instead of waiting for the same timeout again.
_unreachable: weakref.WeakKeyDictionary[SupervisorClient, ApiError] = weakref.WeakKeyDictionary()

_RELEASE_HINT = 'List usable releases with data "tkg_kubernetes_releases" or `kubectl get kr`.'


def _configured_client(provider_data: Any, namespace: Any) -> SupervisorClient | None:
    """The Supervisor client (of the Supervisor hosting ``namespace`` when it is known) when the provider is
    configured, else None (plan-time checks are then skipped)."""
    if not isinstance(provider_data, ProviderSettings):
        return None
    return clients.supervisor(provider_data, namespace if isinstance(namespace, str) and namespace else None)


def check_version_change(ctx: PlanContext, prior: Model, model: Model) -> None:
    """Refuse lowering kubernetes_version or skipping a minor release on update."""
    old, new = prior.kubernetes_version, model.kubernetes_version
    if not known(new) or not old or new == old or ctx.requires_replace:
        return
    old_parts, new_parts = version_parts(old), version_parts(str(new))
    n = min(len(old_parts), len(new_parts))
    if new_parts[:n] < old_parts[:n]:
        ctx.diagnostics.error(
            "Kubernetes version cannot be lowered",
            f"The cluster runs {old}; {new} is older. Clusters can only be upgraded, one minor version at a time. "
            "To go back, create a new cluster.",
            ("kubernetes_version",),
        )
    elif (
        len(new_parts) >= 2 and len(old_parts) >= 2 and new_parts[1] > old_parts[1] + 1 and new_parts[0] == old_parts[0]
    ):
        ctx.diagnostics.error(
            "Kubernetes version skips a minor release",
            f"Upgrading from {old} to {new} skips a minor version; upgrade to "
            f"v{old_parts[0]}.{old_parts[1] + 1}.x first.",
            ("kubernetes_version",),
        )


def live_checks(ctx: PlanContext, provider_data: Any, prior: Model | None, model: Model) -> None:
    """Checks against the Supervisor for values that are new or changed (no calls on a no-op plan).

    Bounded: all calls of one plan together take at most ``PLAN_CHECK_LIMIT`` seconds, without retrying a connect
    timeout; a Supervisor that cannot be reached makes one warning, and the other clusters of the same plan skip
    their checks at once. Values planned in this same run (a namespace created by this apply, a class from a
    resource not yet created) are not checked and logged at debug level only: that is the normal first apply.
    """

    def changed(get: Any) -> bool:
        try:
            return prior is None or get(prior) != get(model)
        except (AttributeError, IndexError, TypeError):
            return True

    wanted_version = changed(lambda m: m.kubernetes_version)
    vm_paths = _class_paths(model, "vm_class")
    sc_paths = _class_paths(model, "storage_class")
    vm_paths = [
        (p, v) for p, v in vm_paths if prior is None or v not in [x for _, x in _class_paths(prior, "vm_class")]
    ]
    sc_paths = [
        (p, v) for p, v in sc_paths if prior is None or v not in [x for _, x in _class_paths(prior, "storage_class")]
    ]
    class_changed = changed(lambda m: (m.cluster_class, m.cluster_class_namespace))
    typed = _typed_variables(model)
    typed_changed = class_changed or prior is None or {v for _, v in typed} != {v for _, v in _typed_variables(prior)}
    os_paths = [
        (path, block)
        for path, block in _os_blocks(model)
        if wanted_version or prior is None or (block.os_name, block.os_version) not in _os_choices(prior)
    ]
    if not (wanted_version or vm_paths or sc_paths or class_changed or typed_changed or os_paths):
        return
    client = _configured_client(provider_data, model.namespace)
    if client is None:
        return  # provider not configured (e.g. values unknown until apply): the server checks at apply
    from ...api import errors

    if client in _unreachable:
        _warn_skipped(ctx, _unreachable[client])
        return
    try:
        with client.time_limit(PLAN_CHECK_LIMIT, "the time limit of plan-time checks"):
            _run_checks(
                ctx, client, model, wanted_version, vm_paths, sc_paths, (class_changed, typed_changed), os_paths, typed
            )
    except errors.ApiError as exc:
        if isinstance(exc, errors.Unreachable | errors.Refused | errors.CallTimeout):
            _unreachable[client] = exc
        _warn_skipped(ctx, exc)


def _warn_skipped(ctx: PlanContext, exc: ApiError) -> None:
    ctx.diagnostics.warning(
        "Supervisor checks skipped",
        "Could not check this cluster's settings (release, classes) against the Supervisor at plan time: "
        f"{exc.describe()}\nThe plan goes on; the Supervisor checks them when the cluster is applied.",
    )


def _run_checks(
    ctx: PlanContext,
    client: SupervisorClient,
    model: Model,
    wanted_version: bool,
    vm_paths: list[tuple[Path, Any]],
    sc_paths: list[tuple[Path, Any]],
    changes: tuple[bool, bool],
    os_paths: list[tuple[Path, Any]],
    typed: list[tuple[Path, str]],
) -> None:
    class_changed, typed_changed = changes  # the ClusterClass (or its namespace); the variables it must define
    label = f"[cluster {model.namespace if known(model.namespace) else '?'}/{model.name}]"
    if os_paths and known(model.kubernetes_version):
        _check_os(ctx, client, str(model.kubernetes_version), os_paths)
    if wanted_version:
        if known(model.kubernetes_version):
            _check_release(ctx, client, str(model.kubernetes_version))
        else:
            log.debug("%s kubernetes_version is known only at apply: release not checked at plan time", label)
    if not (vm_paths or sc_paths or class_changed or typed_changed):
        return
    if not known(model.namespace):
        log.debug("%s namespace is known only at apply: classes not checked at plan time", label)
        return
    if not client.namespace_exists(model.namespace):
        # Normally created by this same apply; a misspelt name fails the create with the Supervisor's NotFound.
        log.debug("%s namespace does not exist yet (created by this apply?): classes not checked at plan time", label)
        return
    class_ns = model.cluster_class_namespace or model.namespace
    if (class_changed or typed_changed) and known(model.cluster_class) and known(class_ns):
        classes = client.list_cluster_classes(str(class_ns))
        if model.cluster_class not in classes:
            ctx.diagnostics.error(
                "Unknown ClusterClass",
                f"ClusterClass {model.cluster_class!r} is not available in namespace {class_ns!r}; "
                f"available: {', '.join(classes) or 'none'}."
                + (
                    ""
                    if model.cluster_class_namespace
                    else " VKS 3.x keeps its versioned classes in vmware-system-vks-public (cluster_class_namespace)."
                ),
                ("cluster_class",),
            )
        else:
            _check_class_variables(ctx, client, str(class_ns), str(model.cluster_class), typed)
    _check_bound(
        ctx,
        vm_paths,
        client.list_vm_classes(model.namespace) if [v for _, v in vm_paths if known(v)] else [],
        model.namespace,
        "VM class",
        "Bind it to the namespace (tkg_supervisor_namespace.vm_classes).",
    )
    _check_bound(
        ctx,
        sc_paths,
        client.list_storage_classes(model.namespace) if [v for _, v in sc_paths if known(v)] else [],
        model.namespace,
        "storage class",
        "Add its storage policy to the namespace (tkg_supervisor_namespace storage_policy).",
    )


def _os_blocks(model: Model) -> list[tuple[Path, Any]]:
    """(path of os_name, block) for the control plane and each pool that chooses a node OS."""
    found: list[tuple[Path, Any]] = []
    if model.control_plane is not None and known(model.control_plane.os_name):
        found.append((("control_plane", "os_name"), model.control_plane))
    for index, pool in enumerate(model.node_pool):
        if known(pool.os_name):
            found.append((("node_pool", index, "os_name"), pool))
    return found


def _os_choices(model: Model) -> set[tuple[Any, Any]]:
    return {(block.os_name, block.os_version) for _, block in _os_blocks(model)}


def _check_os(ctx: PlanContext, client: SupervisorClient, version: str, paths: list[tuple[Path, Any]]) -> None:
    """Each chosen node OS must be offered by the release (an OSImage of that OS for it)."""
    from ...api import supervisor

    candidates = {r.metadata.name for r in supervisor.matching_releases(version, client.list_releases())}
    if not candidates:
        return  # the release check reports it
    for path, block in paths:
        os_version = block.os_version if known(block.os_version) else None
        offered = client.list_release_names_for_os(str(block.os_name), os_version)
        if not candidates & offered:
            wanted = f"{block.os_name} {os_version}" if os_version else str(block.os_name)
            ctx.diagnostics.error(
                "Node OS not offered by the release",
                f"Kubernetes release {version!r} has no OS image for {wanted}. Releases with it: "
                f'{", ".join(sorted(offered)) or "none"}. See data "tkg_kubernetes_releases" (os_name).',
                path,
            )


def _typed_variables(model: Model) -> list[tuple[Path, str]]:
    """(attribute path, ClusterClass variable it writes) for every typed attribute set in ``model``."""
    from .wire import (
        VAR_CP_VOLUMES,
        VAR_DEFAULT_STORAGE_CLASS,
        VAR_POOL_LABELS,
        VAR_POOL_TAINTS,
        VAR_POOL_VOLUMES,
        VAR_PROXY,
        VAR_STORAGE_CLASS,
        VAR_STORAGE_CLASSES,
        VAR_TRUST,
        VAR_VM_CLASS,
    )

    found: list[tuple[Path, str]] = [(("vm_class",), VAR_VM_CLASS), (("storage_class",), VAR_STORAGE_CLASS)]
    cp = model.control_plane
    if cp is not None and cp is not Unknown and cp.volume:
        found.append((("control_plane", "volume"), VAR_CP_VOLUMES))
    for i, pool in enumerate(model.node_pool if isinstance(model.node_pool, list) else []):
        for attr, var in (("labels", VAR_POOL_LABELS), ("taint", VAR_POOL_TAINTS), ("volume", VAR_POOL_VOLUMES)):
            if getattr(pool, attr, None):
                found.append((("node_pool", i, attr), var))
    st = model.storage
    if st is not None and st is not Unknown:
        if st.classes:
            found.append((("storage", "classes"), VAR_STORAGE_CLASSES))
        if st.default_class:
            found.append((("storage", "default_class"), VAR_DEFAULT_STORAGE_CLASS))
    net = model.network
    if net is not None and net is not Unknown:
        if net.proxy is not None:
            found.append((("network", "proxy"), VAR_PROXY))
        if net.trusted_ca:
            found.append((("network", "trusted_ca"), VAR_TRUST))
    if isinstance(model.variables, dict):
        from ...framework.diagnostics import Key

        found += [(("variables", Key(name)), name) for name in model.variables]
    return found


def _check_class_variables(
    ctx: PlanContext, client: SupervisorClient, namespace: str, name: str, typed: list[tuple[Path, str]]
) -> None:
    """Every typed attribute (and ``variables`` key) must be a variable the chosen ClusterClass defines."""
    defined = client.cluster_class_variables(namespace, name)
    for path, var in typed:
        if var not in defined:
            ctx.diagnostics.error(
                f"Not expressible with ClusterClass {name}",
                f"{_path_text(path)} sets the ClusterClass variable {var!r}, which ClusterClass {name!r} (namespace "
                f"{namespace!r}) does not define; its variables: {', '.join(defined) or 'none'}. Remove the "
                "attribute or choose a class that has it (e.g. tanzukubernetescluster or builtin-generic-v3.1.0).",
                path,
            )


def _path_text(path: Path) -> str:
    """``node_pool[0].volume``, ``variables["ntp"]``: a path as Terraform users write it."""
    from ...framework.diagnostics import Key

    parts = []
    for i, step in enumerate(path):
        if isinstance(step, int):
            parts.append(f"[{step}]")
        elif isinstance(step, Key):
            parts.append(f'["{step}"]')
        else:
            parts.append(f".{step}" if i else str(step))
    return "".join(parts)


def _class_paths(model: Model, attr: str) -> list[tuple[Path, Any]]:
    """(path, value) of every place a VM class (``attr='vm_class'``) or storage class is named."""
    found: list[tuple[Path, Any]] = [((attr,), getattr(model, attr))]
    cp = model.control_plane
    if cp is not None and cp is not Unknown:
        found.append((("control_plane", attr), getattr(cp, attr)))
        if attr == "storage_class" and isinstance(cp.volume, list):
            found += [(("control_plane", "volume", i, attr), v.storage_class) for i, v in enumerate(cp.volume)]
    for i, pool in enumerate(model.node_pool if isinstance(model.node_pool, list) else []):
        found.append((("node_pool", i, attr), getattr(pool, attr)))
        if attr == "storage_class" and isinstance(pool.volume, list):
            found += [(("node_pool", i, "volume", j, attr), v.storage_class) for j, v in enumerate(pool.volume)]
    if attr == "storage_class":
        st = model.storage
        if st is not None and st is not Unknown:
            found.append((("storage", "default_class"), st.default_class))
            if isinstance(st.classes, list):
                found += [(("storage", "classes"), c) for c in st.classes]
    return [(p, v) for p, v in found if v is not None]


def _check_bound(
    ctx: PlanContext, paths: list[tuple[Path, Any]], available: list[str], namespace: str, what: str, hint: str
) -> None:
    title = what[:1].upper() + what[1:]  # "VM class", not str.capitalize()'s "Vm class"
    for path, value in paths:
        if value is Unknown:
            log.debug("%s at %s is known only at apply: not checked at plan time", what, path)
        elif value not in available:
            ctx.diagnostics.error(
                f"{title} not available in namespace {namespace}",
                f"{title} {value!r} is not bound to vSphere Namespace {namespace!r}; available: "
                f"{', '.join(available) or 'none'}. {hint}",
                path,
            )


def _check_release(ctx: PlanContext, client: SupervisorClient, version: str) -> None:
    from ...api import supervisor

    releases = client.list_releases()
    matches = supervisor.matching_releases(version, releases)
    usable = [r for r in matches if supervisor.release_usable(r)]
    if usable:
        return
    names = ", ".join(r.metadata.name for r in releases if supervisor.release_usable(r)) or "none"
    if matches:
        why = "; ".join(f"{r.metadata.name}: {supervisor.release_problem(r)}" for r in matches)
        detail = f"Release {version!r} exists but cannot be used ({why}). Usable: {names}. {_RELEASE_HINT}"
    else:
        detail = f"No Kubernetes release on the Supervisor matches {version!r}. Usable: {names}. {_RELEASE_HINT}"
    ctx.diagnostics.error("Kubernetes release not available", detail, ("kubernetes_version",))
