"""What ``tkg_virtual_machine`` and ``tkg_virtual_machine_service`` share: label/annotation rules, owned objects
(owner references, the bootstrap Secret, claims), error wording and the plan-time checks against the namespace.

Ownership (``ownership``, docs/reliability.md): a VirtualMachine or VirtualMachineService is created with the token of
this working directory's in-flight create journal in the annotation ``tkg-oss.io/create-token``, and an existing one is
adopted only when it carries that token. The Secrets and claims a VM owns carry no token of their own: they are
recognised by their owner reference to the VM (its uid), so only the workspace that holds the VM can take them over.
"""

from __future__ import annotations

import base64
import logging
import re
from typing import TYPE_CHECKING, Any

from .. import clients, reporting
from ..framework import types as t
from ..framework import validators
from ..framework.diagnostics import Path
from ..framework.resource import Context
from ..framework.schema import Attribute
from ..framework.values import known
from ..ownership import CREATE_TOKEN_ANNOTATION, already_exists, annotation_token

if TYPE_CHECKING:
    from ..api import errors
    from ..api.vmservice import VmServiceClient

__all__ = [
    "API_VERSION",
    "CONDITION",
    "adopt_own",
    "annotation_map",
    "api_error",
    "conditions",
    "gone",
    "identity_attributes",
    "label_map",
    "live_checks_service",
    "live_checks_vm",
    "map_patch",
    "owned_by",
    "owner_reference",
    "parse_import_id",
    "plan_id",
    "put_claim",
    "put_secret",
    "read_map",
    "read_secret_data",
    "read_secret_value",
    "wait_error",
]

log = logging.getLogger(__name__)

API_VERSION = "vmoperator.vmware.com/v1alpha3"
CONDITION = t.Object({"type": t.String(), "status": t.String(), "reason": t.String(), "message": t.String()})
# Keys the platform (VM Operator, CAPI, kubectl) writes: never managed, never drift, not imported.
SYSTEM_KEY = re.compile(r"^([a-z0-9.-]*\.)?(vmware\.com|k8s\.io|kubernetes\.io|x-k8s\.io)/|^kubectl\.")
_NAME = re.compile(r"[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?")
_PREFIX = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")


def identity_attributes(what: str, name_note: str = "") -> dict[str, Attribute]:
    """``id``, ``name`` and ``namespace`` of a namespaced VM Service object (``what``: "VM", "service")."""
    return {
        "id": Attribute(t.String(), computed=True, description="`namespace/name`."),
        "name": Attribute(
            t.String(),
            required=True,
            requires_replace=True,
            validators=(validators.dns1123_label,),
            description=f"Name of the {what} (a DNS-1123 label{name_note}). Changing it replaces the {what}.",
        ),
        "namespace": Attribute(
            t.String(),
            required=True,
            requires_replace=True,
            validators=(validators.dns1123_label,),
            description=f"The vSphere Namespace. Changing it replaces the {what}.",
        ),
    }


def plan_id(planned: dict[str, Any]) -> None:
    """The import ID ``namespace/name`` is known at plan time whenever both parts are."""
    if known(planned.get("namespace")) and known(planned.get("name")):
        planned["id"] = f"{planned['namespace']}/{planned['name']}"


def _key_problem(key: str) -> str | None:
    prefix, _, name = key.rpartition("/")
    if prefix and (len(prefix) > 253 or not _PREFIX.fullmatch(prefix)):
        return f"key {key!r}: the prefix must be a DNS subdomain (e.g. example.com/)."
    if len(name) > 63 or not _NAME.fullmatch(name):
        return (
            f"key {key!r}: the name part must be 1-63 letters, digits, '-', '_' or '.', starting and ending "
            "with a letter or digit."
        )
    return None


def label_map(value: Any) -> str | None:
    """Kubernetes label keys and values (values at most 63 characters, same alphabet as names, may be empty)."""
    for key, item in value.items():
        problem = _key_problem(key)
        if problem:
            return problem
        if item and (len(item) > 63 or not _NAME.fullmatch(item)):
            return f"value {item!r} of {key!r} must be at most 63 letters, digits, '-', '_' or '.'."
    return None


def annotation_map(value: Any) -> str | None:
    for key in value:
        problem = _key_problem(key)
        if problem:
            return problem
        if key == CREATE_TOKEN_ANNOTATION:
            return f"key {key!r} is reserved for the provider (the create token of docs/reliability.md)."
    return None


def read_map(server: dict[str, str] | None, prior: dict[str, str] | None, importing: bool) -> dict[str, str] | None:
    """Only the keys the user declared are managed; on import, every key the platform did not add."""
    server = server or {}
    if importing:
        return {k: v for k, v in server.items() if not SYSTEM_KEY.match(k)} or None
    if prior is None:
        return None
    return {k: server[k] for k in prior if k in server}


def map_patch(before: dict[str, str] | None, after: dict[str, str] | None) -> dict[str, Any]:
    """A merge patch turning the managed keys ``before`` into ``after`` (removed keys set to null)."""
    before, after = before or {}, after or {}
    patch: dict[str, Any] = {k: None for k in before if k not in after}
    patch.update({k: v for k, v in after.items() if before.get(k) != v})
    return patch


def conditions(obj: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {
            "type": str(c.get("type", "")),
            "status": str(c.get("status", "")),
            "reason": str(c.get("reason", "")),
            "message": str(c.get("message", "")),
        }
        for c in (obj.get("status") or {}).get("conditions") or []
        if isinstance(c, dict)
    ]


def owner_reference(owner: dict[str, Any]) -> dict[str, Any]:
    return {
        "apiVersion": owner.get("apiVersion", API_VERSION),
        "kind": owner.get("kind", "VirtualMachine"),
        "name": owner["metadata"]["name"],
        "uid": owner["metadata"]["uid"],
        "blockOwnerDeletion": True,
    }


def owned_by(obj: dict[str, Any], owner: dict[str, Any]) -> bool:
    """Whether ``obj`` belongs to the VM ``owner`` (which this workspace holds: created or adopted by its token).

    An owner reference to its uid, or to an earlier VirtualMachine of the same name (a replaced VM whose objects the
    garbage collector has not removed yet: names are unique, so a reference to that name with another uid points at
    a VM that no longer exists). Never anything owned by something else, or by nothing."""
    uid, name = owner["metadata"]["uid"], owner["metadata"]["name"]
    group = API_VERSION.split("/")[0]
    for ref in obj["metadata"].get("ownerReferences") or []:
        if ref.get("uid") == uid:
            return True
        if (
            ref.get("kind") == "VirtualMachine"
            and ref.get("name") == name
            and ref.get("apiVersion", "").startswith(group + "/")
        ):
            return True
    return False


def put_secret(client: VmServiceClient, namespace: str, name: str, data: dict[str, str], owner: dict[str, Any]) -> None:
    """Create an Opaque Secret owned by ``owner``; an existing one is taken over only when ``owned_by`` the VM (our
    interrupted create, or the VM this one replaced), never someone else's."""
    from ..api import errors

    body = {
        "apiVersion": "v1",
        "kind": "Secret",
        "type": "Opaque",
        "metadata": {"name": name, "namespace": namespace, "ownerReferences": [owner_reference(owner)]},
        "data": {k: base64.b64encode(v.encode()).decode() for k, v in data.items()},
    }
    try:
        client.create("secrets", namespace, body)
    except errors.AlreadyExists:
        if not owned_by(client.get("secrets", namespace, name), owner):
            raise
        client.patch("secrets", namespace, name, {"metadata": body["metadata"], "data": body["data"]})


def read_secret_value(client: VmServiceClient, namespace: str, name: str, key: str) -> str | None:
    from ..api import errors

    try:
        secret = client.get("secrets", namespace, name)
    except errors.NotFound:
        return None
    encoded = (secret.get("data") or {}).get(key)
    if not encoded:
        return None
    try:
        return base64.b64decode(encoded).decode()
    except ValueError:
        return None


def read_secret_data(client: VmServiceClient, namespace: str, name: str) -> dict[str, str] | None:
    """Every key of a Secret, decoded; None when it does not exist."""
    from ..api import errors

    try:
        secret = client.get("secrets", namespace, name)
    except errors.NotFound:
        return None
    found = {}
    for key, encoded in (secret.get("data") or {}).items():
        try:
            found[key] = base64.b64decode(encoded).decode()
        except ValueError:
            continue
    return found


def put_claim(client: VmServiceClient, claim: dict[str, Any]) -> None:
    """Create an owned claim; an existing claim of that name is adopted only when it is owned by the same VM (its uid:
    our interrupted create), never a claim of someone else or of a replaced VM (its disk is not ours to reuse)."""
    from ..api import errors

    meta = claim["metadata"]
    try:
        client.create("persistentvolumeclaims", meta["namespace"], claim)
    except errors.AlreadyExists:
        live = client.get("persistentvolumeclaims", meta["namespace"], meta["name"])
        uid = meta["ownerReferences"][0]["uid"]
        if not any(r.get("uid") == uid for r in live["metadata"].get("ownerReferences") or []):
            raise


def adopt_own(
    ctx: Context,
    client: VmServiceClient,
    plural: str,
    namespace: str,
    name: str,
    token: str,
    what: str,
    refusal: errors.ApiError,
) -> dict[str, Any] | None:
    """After an AlreadyExists: the object when it carries ``token``, this working directory's create token (our own
    create whose answer was lost); otherwise None with the "already exists — import it" error (``ownership``)."""
    from ..api import errors

    try:
        existing = client.get(plural, namespace, name)
    except errors.ApiError:
        existing = None
    if existing is not None and annotation_token(existing.get("metadata")) == token:
        log.warning("[%s %s/%s] finishing this directory's interrupted create: adopting it", plural, namespace, name)
        return existing
    already_exists(ctx, object_id=f"{namespace}/{name}", what=what, import_id=f"{namespace}/{name}", server=refusal)
    return None


def api_error(ctx: Context, verb: str, object_id: str, exc: errors.ApiError, table: dict[str, Path]) -> None:
    """One error diagnostic quoting the Supervisor, on the attribute the server blamed when it named a field."""
    from ..api import errors

    path = reporting.tf_path(exc.field, table) if isinstance(exc, errors.Invalid) else None
    ctx.diagnostics.error(f"{verb} {ctx.type_name} ({object_id})", f"The Supervisor said: {exc.describe()}", path)


def wait_error(ctx: Context, verb: str, object_id: str, exc: errors.WaitTimeout, what: str) -> None:
    from ..api import errors

    if isinstance(exc, errors.WaitFailed):
        lead = f"The {what} cannot become ready: " + "; ".join(exc.messages or [exc.message])
    elif isinstance(exc, errors.WaitCancelled):
        lead = f"Terraform was interrupted while waiting for the {what}."
    else:
        lead = f"The {what} did not settle before the timeout ({exc.message})."
    ctx.diagnostics.error(
        f"{verb} {ctx.type_name} ({object_id})",
        f"{lead}\nThe {what} is kept in state and marked tainted; the next apply replaces it. Fix the cause or "
        "raise the timeouts.",
    )


def gone(ctx: Context, object_id: str, what: str) -> None:
    reporting.gone(ctx, object_id, what)


def parse_import_id(ctx: Context, import_id: str, example: str) -> tuple[str, str] | None:
    parts = import_id.split("/")
    if len(parts) != 2 or any(validators.dns1123_label(p) for p in parts if p) or not all(parts):
        ctx.diagnostics.error(
            f"importing {ctx.type_name}: invalid ID {import_id!r}",
            f'Expected "<namespace>/<name>", e.g. terraform import {example}.',
        )
        return None
    return parts[0], parts[1]


# ---- plan-time checks against the namespace ----------------------------------------------------------------------


def _client(ctx: Context, provider_data: Any) -> VmServiceClient | None:
    from ..settings import ProviderSettings

    if not isinstance(provider_data, ProviderSettings):
        return None
    return clients.vm_service(provider_data)


def _namespace_missing(ctx: Context, namespace: str) -> None:
    # A warning, not an error: the namespace may be created by this very apply (tkg_supervisor_namespace).
    ctx.diagnostics.warning(
        "Not checked: vSphere Namespace not found",
        f"The vSphere Namespace {namespace!r} does not exist on the Supervisor yet (it may be created by this apply), "
        "so the VM class, image and storage classes could not be checked at plan time.",
        ("namespace",),
    )


def live_checks_vm(ctx: Context, provider_data: Any, model: Any, prior: Any) -> None:
    """Class bound to the namespace, image resolvable, storage classes of the namespace, existing claims present.

    Skipped for unknown values and when the Supervisor cannot be reached (apply then reports the server's error)."""
    from ..api import errors, vmservice
    from ..api.supervisor import QUOTA_SUFFIX

    if not (known(model.namespace) and model.namespace):
        return
    changed = prior is None
    old_volumes = {v.name for v in prior.volume} if prior is not None else set()
    if not changed and model.vm_class == prior.vm_class and all(v.name in old_volumes for v in model.volume):
        return  # nothing new to check: a no-op plan makes no calls
    client = _client(ctx, provider_data)
    if client is None:
        return
    namespace = model.namespace
    try:
        problem = vmservice.version_problem(client.served_versions()) if changed else None
        if problem:
            ctx.diagnostics.error("VM Service API version not served", problem)
            return
        client.get("namespaces", None, namespace)
        classes = sorted(o["metadata"]["name"] for o in client.list_objects("virtualmachineclasses", namespace))
    except errors.NotFound:
        _namespace_missing(ctx, namespace)
        return
    except errors.ApiError as exc:
        log.debug("skipping plan-time checks: %s", exc)
        return
    try:
        if known(model.vm_class) and (changed or model.vm_class != prior.vm_class) and model.vm_class not in classes:
            ctx.diagnostics.error(
                "VM class not bound to the namespace",
                f"VM class {model.vm_class!r} is not bound to namespace {namespace!r}. Bound classes: "
                f"{', '.join(classes) or 'none'}. Add it to the namespace's vm_classes (tkg_supervisor_namespace).",
                ("vm_class",),
            )
        if known(model.image) and changed:
            images = client.list_images(namespace)
            found = vmservice.resolve_image(images, str(model.image), namespace)
            if len(found) != 1:
                names = sorted({i.display_name for i in images if i.display_name})
                problem = "matches several images" if found else "matches no image"
                ctx.diagnostics.error(
                    "VM image not found" if not found else "Ambiguous VM image",
                    f"{model.image!r} {problem} in namespace {namespace!r} or cluster-wide. Use an image object name "
                    f"(vmi-…) or a unique display name; display names here: {', '.join(names[:12]) or 'none'}.",
                    ("image",),
                )
        storage = _storage_classes(client, namespace, QUOTA_SUFFIX)
        wanted: list[tuple[Path, str]] = []
        if known(model.storage_class) and changed:
            wanted.append((("storage_class",), str(model.storage_class)))
        before = {v.name: v for v in (prior.volume if prior is not None else [])}
        for index, volume in enumerate(model.volume):
            if volume.name in before:
                continue
            if known(volume.storage_class) and volume.storage_class:
                wanted.append((("volume", index, "storage_class"), str(volume.storage_class)))
            if known(volume.claim_name) and volume.claim_name:
                try:
                    client.get("persistentvolumeclaims", namespace, str(volume.claim_name))
                except errors.NotFound:
                    ctx.diagnostics.error(
                        "Claim not found",
                        f"PersistentVolumeClaim {volume.claim_name!r} does not exist in namespace {namespace!r}.",
                        ("volume", index, "claim_name"),
                    )
        _check_owned_names(ctx, client, model, prior, namespace)
        for path, name in wanted:
            if name not in storage:
                ctx.diagnostics.error(
                    "Storage class not available in the namespace",
                    f"Storage class {name!r} is not one of namespace {namespace!r}'s storage classes: "
                    f"{', '.join(sorted(storage)) or 'none'}. Add its storage policy to the namespace first.",
                    path,
                )
    except errors.ApiError as exc:
        log.debug("skipping the rest of the plan-time checks: %s", exc)


def _check_owned_names(ctx: Context, client: VmServiceClient, model: Any, prior: Any, namespace: str) -> None:
    """The Secrets and claims a new VM (or a new volume) will create must not exist already unless a VirtualMachine of
    this name owns them (our interrupted create, or a VM another workspace holds, whose create will be refused):
    ``<vm>-<volume>`` of one VM can be ``<vm'>-<volume'>`` of another, and that claim is never ours to attach."""
    from ..api import errors

    if not known(model.name):
        return
    wanted: list[tuple[Path, str, str]] = []
    before = {v.name for v in (prior.volume if prior is not None else [])}
    for index, volume in enumerate(model.volume):
        if volume.name not in before and volume.size is not None and known(volume.name):
            wanted.append((("volume", index, "size"), "persistentvolumeclaims", f"{model.name}-{volume.name}"))
    boot = model.bootstrap
    if prior is None and boot is not None:
        if boot.cloud_init is not None or boot.sysprep is not None:
            field = "cloud_init" if boot.cloud_init is not None else "sysprep"
            wanted.append((("bootstrap", field), "secrets", f"{model.name}-bootstrap"))
        if boot.vapp_properties is not None:
            wanted.append((("bootstrap", "vapp_properties"), "secrets", f"{model.name}-vapp"))
    for path, plural, name in wanted:
        try:
            live = client.get(plural, namespace, name)
        except errors.NotFound:
            continue
        refs = live["metadata"].get("ownerReferences") or []
        if any(r.get("kind") == "VirtualMachine" and r.get("name") == model.name for r in refs):
            continue
        owners = ", ".join(f"{r.get('kind')} {r.get('name')}" for r in refs) or "nothing (made by hand)"
        kind = "PersistentVolumeClaim" if plural == "persistentvolumeclaims" else "Secret"
        ctx.diagnostics.error(
            f"{kind} name already taken",
            f"This VM would create the {kind} {name!r} in namespace {namespace!r}, but one exists already, owned by "
            f"{owners}. Terraform never takes over another owner's object: rename the VM or the volume.",
            path,
        )


def _storage_classes(client: VmServiceClient, namespace: str, suffix: str) -> set[str]:
    names: set[str] = set()
    for quota in client.list_objects("resourcequotas", namespace):
        for key in (quota.get("spec") or {}).get("hard") or {}:
            if key.endswith(suffix):
                names |= {key[: -len(suffix)], key[: -len(suffix)] + "-latebinding"}
    return names


def live_checks_service(ctx: Context, provider_data: Any, namespace: Any) -> None:
    """The namespace exists (the only thing a VirtualMachineService refers to besides labels)."""
    from ..api import errors

    if not (known(namespace) and namespace):
        return
    client = _client(ctx, provider_data)
    if client is None:
        return
    try:
        client.get("namespaces", None, str(namespace))
    except errors.NotFound:
        _namespace_missing(ctx, str(namespace))
    except errors.ApiError as exc:
        log.debug("skipping plan-time checks: %s", exc)
