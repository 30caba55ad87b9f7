# ruff: noqa: F811  (pytest fixtures are imported from _supervisor_fixtures and requested by name)
"""The official ``kubernetes`` Python client against tkg-sim's Supervisor: CustomObjectsApi, DynamicClient, watch,
admission errors, optimistic concurrency, finalizers, server-side apply, RBAC and authentication."""

from __future__ import annotations

import json
from typing import Any

import pytest
import yaml
from kubernetes import client, dynamic, watch
from kubernetes.client.rest import ApiException

from ._supervisor_fixtures import (  # noqa: F401
    GROUP,
    PLURAL,
    VERSION,
    SupervisorEnv,
    cluster_manifest,
    condition,
    is_ready,
    supervisor,
)

pytestmark = pytest.mark.contract


def _api(env: SupervisorEnv, token: str | None = None) -> client.CustomObjectsApi:
    return client.CustomObjectsApi(env.api_client(token))


def _create(env: SupervisorEnv, manifest: dict[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = _api(env).create_namespaced_custom_object(GROUP, VERSION, env.namespace, PLURAL, manifest)
    return result


def _status(exc: ApiException) -> dict[str, Any]:
    body: dict[str, Any] = json.loads(exc.body)
    return body


def test_custom_objects_crud_and_server_fields(supervisor: SupervisorEnv) -> None:
    api = _api(supervisor)
    created = _create(supervisor, cluster_manifest("py-crud", supervisor.namespace))
    meta = created["metadata"]
    assert meta["uid"] and meta["resourceVersion"] and meta["creationTimestamp"]
    assert meta["generation"] == 1
    assert "status" not in created
    got = api.get_namespaced_custom_object(GROUP, VERSION, supervisor.namespace, PLURAL, "py-crud")
    assert got["metadata"]["uid"] == meta["uid"]
    listed = api.list_namespaced_custom_object(
        GROUP, VERSION, supervisor.namespace, PLURAL, label_selector="team=payments"
    )
    assert "py-crud" in [i["metadata"]["name"] for i in listed["items"]]
    assert int(listed["metadata"]["resourceVersion"]) >= int(meta["resourceVersion"])
    none = api.list_namespaced_custom_object(GROUP, VERSION, supervisor.namespace, PLURAL, label_selector="!team")
    assert "py-crud" not in [i["metadata"]["name"] for i in none["items"]]
    by_set = api.list_namespaced_custom_object(
        GROUP, VERSION, supervisor.namespace, PLURAL, label_selector="team in (payments,ops)"
    )
    assert "py-crud" in [i["metadata"]["name"] for i in by_set["items"]]
    by_field = api.list_namespaced_custom_object(
        GROUP, VERSION, supervisor.namespace, PLURAL, field_selector="metadata.name=py-crud"
    )
    assert [i["metadata"]["name"] for i in by_field["items"]] == ["py-crud"]
    with pytest.raises(ApiException) as exists:
        _create(supervisor, cluster_manifest("py-crud", supervisor.namespace))
    assert exists.value.status == 409
    assert _status(exists.value)["reason"] == "AlreadyExists"


def test_generation_moves_on_spec_only_and_status_is_separate(supervisor: SupervisorEnv) -> None:
    api = _api(supervisor)
    _create(supervisor, cluster_manifest("py-gen", supervisor.namespace))
    supervisor.wait_for(lambda: is_ready(supervisor.get_cluster("py-gen")), what="py-gen ready")
    before = api.get_namespaced_custom_object(GROUP, VERSION, supervisor.namespace, PLURAL, "py-gen")
    labelled = api.patch_namespaced_custom_object(
        GROUP, VERSION, supervisor.namespace, PLURAL, "py-gen", {"metadata": {"labels": {"x": "1"}}}
    )
    assert labelled["metadata"]["generation"] == before["metadata"]["generation"]
    # A spec write cannot change status ...
    sneaky = api.patch_namespaced_custom_object(
        GROUP, VERSION, supervisor.namespace, PLURAL, "py-gen", {"status": {"phase": "Failed"}}
    )
    assert sneaky["status"]["phase"] == "Provisioned"
    # ... and a status write cannot change spec.
    status_write = api.patch_namespaced_custom_object_status(
        GROUP,
        VERSION,
        supervisor.namespace,
        PLURAL,
        "py-gen",
        {"spec": {"paused": True}, "status": {"failureMessage": "x"}},
    )
    assert "paused" not in status_write["spec"]
    assert status_write["status"]["failureMessage"] == "x"
    scaled = api.patch_namespaced_custom_object(
        GROUP,
        VERSION,
        supervisor.namespace,
        PLURAL,
        "py-gen",
        [{"op": "replace", "path": "/spec/topology/workers/machineDeployments/0/replicas", "value": 2}],
        _content_type="application/json-patch+json",
    )
    assert scaled["metadata"]["generation"] == before["metadata"]["generation"] + 1


def test_stale_resource_version_is_409_conflict(supervisor: SupervisorEnv) -> None:
    api = _api(supervisor)
    created = _create(supervisor, cluster_manifest("py-stale", supervisor.namespace))
    supervisor.wait_for(lambda: (supervisor.get_cluster("py-stale") or {}).get("status"), what="py-stale status")
    stale = dict(created)
    stale["metadata"] = {**created["metadata"], "labels": {"team": "other"}}
    with pytest.raises(ApiException) as conflict:
        api.replace_namespaced_custom_object(GROUP, VERSION, supervisor.namespace, PLURAL, "py-stale", stale)
    assert conflict.value.status == 409
    body = _status(conflict.value)
    assert body["reason"] == "Conflict"
    assert "the object has been modified" in body["message"]
    with pytest.raises(ApiException) as patch_conflict:
        api.patch_namespaced_custom_object(
            GROUP,
            VERSION,
            supervisor.namespace,
            PLURAL,
            "py-stale",
            {"metadata": {"resourceVersion": "1", "labels": {"a": "b"}}},
        )
    assert patch_conflict.value.status == 409
    fresh = api.get_namespaced_custom_object(GROUP, VERSION, supervisor.namespace, PLURAL, "py-stale")
    fresh["metadata"]["labels"]["team"] = "other"
    replaced = api.replace_namespaced_custom_object(GROUP, VERSION, supervisor.namespace, PLURAL, "py-stale", fresh)
    assert replaced["metadata"]["labels"]["team"] == "other"


@pytest.mark.parametrize(
    ("mutate", "field", "reason"),
    [
        (lambda m: m["metadata"].update(name="Bad_Name"), "metadata.name", "FieldValueInvalid"),
        (
            lambda m: m["spec"]["topology"].update(
                variables=[{"name": "storageClass", "value": "vsan-default-storage-policy"}]
            ),
            "spec.topology.variables",
            "FieldValueRequired",
        ),
        (
            lambda m: m["spec"]["topology"]["variables"].__setitem__(
                0, {"name": "vmClass", "value": "guaranteed-8xlarge"}
            ),
            "spec.topology.variables[0].value",
            "FieldValueInvalid",
        ),
        (
            lambda m: m["spec"]["topology"]["variables"].__setitem__(
                1, {"name": "storageClass", "value": "tkg-silver"}
            ),
            "spec.topology.variables[1].value",
            "FieldValueInvalid",
        ),
        (
            lambda m: m["spec"]["topology"].update({"class": "no-such-class"}),
            "spec.topology.class",
            "FieldValueInvalid",
        ),
        (lambda m: m["spec"]["topology"].update({"class": ""}), "spec.topology.class", "FieldValueRequired"),
        (
            lambda m: m["spec"]["topology"]["workers"]["machineDeployments"].append(
                {"class": "node-pool", "name": "np-1"}
            ),
            "spec.topology.workers.machineDeployments[1].name",
            "FieldValueInvalid",
        ),
        (
            lambda m: m["spec"]["clusterNetwork"]["pods"].update(cidrBlocks=["not-a-cidr"]),
            "spec.clusterNetwork.pods.cidrBlocks[0]",
            "FieldValueInvalid",
        ),
        (
            lambda m: m["spec"]["topology"]["variables"].append({"name": "noSuchVariable", "value": 1}),
            "spec.topology.variables",
            "FieldValueRequired",
        ),
    ],
    ids=[
        "name",
        "missing-vmClass",
        "unbound-vmClass",
        "storage-not-in-namespace",
        "missing-class",
        "empty-class",
        "duplicate-pool",
        "cidr",
        "unknown-variable",
    ],
)
def test_admission_rejects_with_422_and_causes(supervisor: SupervisorEnv, mutate: Any, field: str, reason: str) -> None:
    manifest = cluster_manifest("py-invalid", supervisor.namespace)
    mutate(manifest)
    with pytest.raises(ApiException) as rejected:
        _create(supervisor, manifest)
    assert rejected.value.status == 422
    body = _status(rejected.value)
    assert body["kind"] == "Status" and body["reason"] == "Invalid"
    assert body["details"]["kind"] == "Cluster"
    assert any(c["field"] == field and c["reason"] == reason for c in body["details"]["causes"]), body


def test_unresolvable_release_is_denied_by_the_tkr_resolver(supervisor: SupervisorEnv) -> None:
    for version in ("v1.26.5---vmware.2-fips.1-tkg.1", "v1.32.0+vmware.1-fips-vkr.1", "v1.99.0"):
        with pytest.raises(ApiException) as denied:
            _create(supervisor, cluster_manifest("py-tkr", supervisor.namespace, version=version))
        assert denied.value.status == 403
        assert "could not resolve TKR/OSImage" in _status(denied.value)["message"]
    # The resolver runs before CAPI's semver check, so a non-version is denied as unresolvable too.
    with pytest.raises(ApiException) as not_semver:
        _create(supervisor, cluster_manifest("py-tkr", supervisor.namespace, version="latest"))
    assert not_semver.value.status == 403
    # Without a ClusterClass there is no resolution and CAPI's own checks answer.
    with pytest.raises(ApiException) as no_class:
        _create(supervisor, cluster_manifest("py-tkr", supervisor.namespace, version="latest", cluster_class="nope"))
    assert no_class.value.status == 422


def test_resolver_rewrites_version_and_injects_tkr_data(supervisor: SupervisorEnv) -> None:
    created = _create(
        supervisor, cluster_manifest("py-tkr-ok", supervisor.namespace, version="v1.31.4+vmware.1-fips-vkr.3")
    )
    assert created["spec"]["topology"]["version"] == "v1.31.4+vmware.1-fips"
    assert created["metadata"]["labels"]["run.tanzu.vmware.com/tkr"] == "v1.31.4---vmware.1-fips-vkr.3"
    names = [v["name"] for v in created["spec"]["topology"]["variables"]]
    # The user's variables first, then what the Supervisor's webhooks add: platform variables, then TKR_DATA.
    assert names == [
        "vmClass",
        "storageClass",
        "user",
        "ntp",
        "extensionCert",
        "clusterEncryptionConfigYaml",
        "controlPlaneCertificateRotation",
        "podSecurityStandard",
        "TKR_DATA",
    ]
    tkr_data = created["spec"]["topology"]["variables"][-1]["value"]
    assert "v1.31.4+vmware.1-fips" in tkr_data
    overrides = created["spec"]["topology"]["workers"]["machineDeployments"][0]["variables"]["overrides"]
    assert [o["name"] for o in overrides] == ["TKR_DATA"]
    # A prefix resolves to the newest matching release.
    by_prefix = _create(supervisor, cluster_manifest("py-tkr-prefix", supervisor.namespace, version="v1.29"))
    assert by_prefix["metadata"]["labels"]["run.tanzu.vmware.com/tkr"] == "v1.29.4---vmware.3-fips.1-tkg.1"


def test_update_rules_version_skew_and_immutable_network(supervisor: SupervisorEnv) -> None:
    api = _api(supervisor)
    _create(supervisor, cluster_manifest("py-upd", supervisor.namespace, version="v1.30.8---vmware.1-fips-vkr.1"))

    def patch(body: dict[str, Any]) -> ApiException:
        with pytest.raises(ApiException) as exc:
            api.patch_namespaced_custom_object(GROUP, VERSION, supervisor.namespace, PLURAL, "py-upd", body)
        return exc.value

    down = patch({"spec": {"topology": {"version": "v1.29.4+vmware.3-fips.1"}}})
    assert down.status == 422 and "version cannot be decreased" in _status(down)["message"]
    network = patch({"spec": {"clusterNetwork": {"pods": {"cidrBlocks": ["172.16.0.0/16"]}}}})
    assert network.status == 422
    assert _status(network)["details"]["causes"][0]["field"] == "spec.clusterNetwork"


def test_finalizers_and_deletion_timestamp(supervisor: SupervisorEnv) -> None:
    api = _api(supervisor)
    manifest = cluster_manifest("py-final", supervisor.namespace)
    manifest["metadata"]["finalizers"] = ["example.com/hold"]
    _create(supervisor, manifest)
    supervisor.wait_for(lambda: is_ready(supervisor.get_cluster("py-final")), what="py-final ready")
    deleted = api.delete_namespaced_custom_object(GROUP, VERSION, supervisor.namespace, PLURAL, "py-final")
    assert deleted["metadata"]["deletionTimestamp"]
    held = supervisor.wait_for(
        lambda: (
            (c := supervisor.get_cluster("py-final")) and c["metadata"].get("finalizers") == ["example.com/hold"] and c
        ),
        what="controller finalizer removed",
    )
    assert held["status"]["phase"] == "Deleting"
    again = api.delete_namespaced_custom_object(GROUP, VERSION, supervisor.namespace, PLURAL, "py-final")
    assert again["metadata"]["deletionTimestamp"] == deleted["metadata"]["deletionTimestamp"]
    with pytest.raises(ApiException) as no_new:
        api.patch_namespaced_custom_object(
            GROUP,
            VERSION,
            supervisor.namespace,
            PLURAL,
            "py-final",
            {"metadata": {"finalizers": ["example.com/hold", "another"]}},
        )
    assert no_new.value.status == 422
    api.patch_namespaced_custom_object(
        GROUP,
        VERSION,
        supervisor.namespace,
        PLURAL,
        "py-final",
        [{"op": "remove", "path": "/metadata/finalizers"}],
        _content_type="application/json-patch+json",
    )
    assert supervisor.get_cluster("py-final") is None
    with pytest.raises(ApiException) as gone:
        api.get_namespaced_custom_object(GROUP, VERSION, supervisor.namespace, PLURAL, "py-final")
    assert gone.value.status == 404 and _status(gone.value)["reason"] == "NotFound"
    assert _status(gone.value)["message"] == 'clusters.cluster.x-k8s.io "py-final" not found'


def test_server_side_apply_ownership_and_conflicts(supervisor: SupervisorEnv) -> None:
    """``kubectl apply --server-side``: field managers, a 409 conflict between managers, ``--force-conflicts``."""
    manifest = cluster_manifest("py-ssa", supervisor.namespace)
    first = supervisor.workdir / "ssa-a.yaml"
    first.write_text(yaml.safe_dump(manifest))
    supervisor.kubectl("apply", "--server-side", "--field-manager=team-a", "-f", str(first))
    created = supervisor.get_cluster("py-ssa")
    assert created is not None
    assert any(m["manager"] == "team-a" and m["operation"] == "Apply" for m in created["metadata"]["managedFields"])
    manifest["metadata"]["labels"] = {"team": "ops"}
    second = supervisor.workdir / "ssa-b.yaml"
    second.write_text(yaml.safe_dump(manifest))
    conflict = supervisor.kubectl("apply", "--server-side", "--field-manager=team-b", "-f", str(second), check=False)
    assert conflict.returncode != 0
    assert "conflict" in conflict.stderr.lower()
    supervisor.kubectl("apply", "--server-side", "--field-manager=team-b", "--force-conflicts", "-f", str(second))
    forced = supervisor.get_cluster("py-ssa")
    assert forced is not None and forced["metadata"]["labels"]["team"] == "ops"
    # team-a re-applies without the label it lost: the label stays (team-b owns it now). The resolver's rewrite of
    # spec.topology.version makes every re-apply of the release *name* a change, hence --force-conflicts.
    del manifest["metadata"]["labels"]
    first.write_text(yaml.safe_dump(manifest))
    supervisor.kubectl("apply", "--server-side", "--field-manager=team-a", "--force-conflicts", "-f", str(first))
    kept = supervisor.get_cluster("py-ssa")
    assert kept is not None and kept["metadata"]["labels"]["team"] == "ops"


def test_dynamic_client_discovers_and_lists(supervisor: SupervisorEnv) -> None:
    dyn = dynamic.DynamicClient(supervisor.api_client())
    clusters = dyn.resources.get(api_version="cluster.x-k8s.io/v1beta1", kind="Cluster")
    created = clusters.create(body=cluster_manifest("py-dyn", supervisor.namespace), namespace=supervisor.namespace)
    assert created.metadata.name == "py-dyn"
    listed = clusters.get(namespace=supervisor.namespace, label_selector="team=payments")
    assert "py-dyn" in [item.metadata.name for item in listed.items]
    releases = dyn.resources.get(api_version="run.tanzu.vmware.com/v1alpha3", kind="TanzuKubernetesRelease")
    ready = releases.get(label_selector="!incompatible,!deactivated,!invalid,v1.31")
    assert [r.metadata.name for r in ready.items] == ["v1.31.4---vmware.1-fips-vkr.3"]
    krs = dyn.resources.get(api_version="kubernetes.vmware.com/v1alpha1", kind="KubernetesRelease")
    assert len(krs.get().items) == 5
    vm_classes = dyn.resources.get(api_version="vmoperator.vmware.com/v1alpha2", kind="VirtualMachineClass")
    medium = vm_classes.get(name="guaranteed-medium", namespace=supervisor.namespace)
    assert medium.spec.hardware.cpus == 2 and medium.spec.hardware.memory == "8Gi"
    patched = clusters.patch(
        name="py-dyn",
        namespace=supervisor.namespace,
        body={"metadata": {"labels": {"via": "dynamic"}}},
        content_type="application/merge-patch+json",
    )
    assert patched.metadata.labels["via"] == "dynamic"
    clusters.delete(name="py-dyn", namespace=supervisor.namespace)


def test_watch_stream_sees_added_modified_deleted(supervisor: SupervisorEnv) -> None:
    api = _api(supervisor)
    listed = api.list_namespaced_custom_object(GROUP, VERSION, supervisor.namespace, PLURAL)
    rv = listed["metadata"]["resourceVersion"]
    _create(supervisor, cluster_manifest("py-watch", supervisor.namespace))
    supervisor.wait_for(lambda: is_ready(supervisor.get_cluster("py-watch")), what="py-watch ready")
    api.delete_namespaced_custom_object(GROUP, VERSION, supervisor.namespace, PLURAL, "py-watch")
    supervisor.wait_for(lambda: supervisor.get_cluster("py-watch") is None, what="py-watch gone")
    seen: list[tuple[str, str | None]] = []
    stream = watch.Watch().stream(
        api.list_namespaced_custom_object,
        GROUP,
        VERSION,
        supervisor.namespace,
        PLURAL,
        resource_version=rv,
        field_selector="metadata.name=py-watch",
        timeout_seconds=5,
    )
    for event in stream:
        ready = condition(event["object"], "Ready")
        seen.append((event["type"], ready["status"] if ready else None))
        if event["type"] == "DELETED":
            break
    types = [t for t, _ in seen]
    assert types[0] == "ADDED" and types[-1] == "DELETED"
    assert ("MODIFIED", "True") in seen


def test_watch_with_expired_resource_version_is_410(supervisor: SupervisorEnv) -> None:
    api = _api(supervisor)
    # Churn past the watch log so that resourceVersion 1 is compacted away.
    from tkgsim.supervisor import store as store_mod

    with supervisor.client() as http:
        for index in range(store_mod.WATCH_LOG_SIZE // 2 + 10):
            body = {"metadata": {"name": "churn", "namespace": supervisor.namespace}, "data": {"i": "MA=="}}
            http.post(f"/api/v1/namespaces/{supervisor.namespace}/secrets", json=body) if index == 0 else http.patch(
                f"/api/v1/namespaces/{supervisor.namespace}/secrets/churn",
                json={"metadata": {"labels": {"i": str(index)}}},
                headers={"Content-Type": "application/merge-patch+json"},
            )
            http.patch(
                f"/api/v1/namespaces/{supervisor.namespace}/secrets/churn",
                json={"metadata": {"labels": {"j": str(index)}}},
                headers={"Content-Type": "application/merge-patch+json"},
            )
    with pytest.raises(ApiException) as gone:
        for _event in watch.Watch().stream(
            api.list_namespaced_custom_object,
            GROUP,
            VERSION,
            supervisor.namespace,
            PLURAL,
            resource_version="1",
            timeout_seconds=2,
        ):
            pass
    assert gone.value.status == 410


def test_read_only_user_is_forbidden_on_writes(supervisor: SupervisorEnv) -> None:
    api = _api(supervisor, supervisor.readonly_token)
    listed = api.list_namespaced_custom_object(GROUP, VERSION, supervisor.namespace, PLURAL)
    assert listed["kind"] == "ClusterList"
    with pytest.raises(ApiException) as forbidden:
        api.create_namespaced_custom_object(
            GROUP, VERSION, supervisor.namespace, PLURAL, cluster_manifest("py-ro", supervisor.namespace)
        )
    assert forbidden.value.status == 403
    body = _status(forbidden.value)
    assert body["reason"] == "Forbidden"
    assert 'User "sso:readonly@vsphere.local" cannot create resource "clusters"' in body["message"]


def test_missing_or_bad_token_is_401(supervisor: SupervisorEnv) -> None:
    with pytest.raises(ApiException) as unauthorized:
        _api(supervisor, "not-a-token").list_namespaced_custom_object(GROUP, VERSION, supervisor.namespace, PLURAL)
    assert unauthorized.value.status == 401
    assert _status(unauthorized.value)["reason"] == "Unauthorized"
    with supervisor.client() as http:
        del http.headers["Authorization"]
        assert http.get("/api/v1/namespaces").status_code == 401
        assert http.get("/version").status_code == 200
        assert http.post("/wcp/login", auth=("administrator@vsphere.local", "wrong")).status_code == 401
        assert http.get("/wcp/loginbanner").status_code == 200
