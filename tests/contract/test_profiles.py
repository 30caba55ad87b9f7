"""The production profiles of tkg-sim, seen through kubectl and plain HTTP: what each real release prunes, injects,
names and reports (vSphere 8.0 U2 / 8.0 U3 / VKS 3.4)."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from typing import Any

import pytest
import yaml

from ._supervisor_fixtures import SupervisorEnv, cluster_manifest, condition, is_ready, start_env, vcenter_call

pytestmark = pytest.mark.contract

PROFILES = ("vsphere-8.0u2", "vsphere-8.0u3", "vks-3.4")
RENAMED_POLICY = "0b6f0d34-8c6e-4f6e-9a3e-7f1d2c3b4a50"


@pytest.fixture(scope="module", params=PROFILES)
def env(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[SupervisorEnv]:
    profile = str(request.param)
    yield from start_env(tmp_path_factory.mktemp(profile), delay_scale=0, profile=profile)


def _profile(env: SupervisorEnv) -> str:
    return str(env.sim.world.profile.name)


def _apply(env: SupervisorEnv, manifest: dict[str, Any], *extra: str) -> None:
    path = env.workdir / f"{manifest['metadata']['name']}.yaml"
    path.write_text(yaml.safe_dump(manifest))
    env.kubectl("apply", *extra, "-f", str(path))


def _yaml(env: SupervisorEnv, *args: str) -> Any:
    return yaml.safe_load(env.kubectl("get", *args, "-o", "yaml").stdout)


def _variables(obj: dict[str, Any]) -> dict[str, Any]:
    return {v["name"]: v.get("value") for v in obj["spec"]["topology"].get("variables") or []}


def test_clusterclasses_listed_where_the_release_puts_them(env: SupervisorEnv) -> None:
    rows = [line.split()[:2] for line in env.kubectl("get", "clusterclass", "-A").stdout.splitlines()[1:]]
    expected = {
        "vsphere-8.0u2": {("demo-ns", "tanzukubernetescluster")},
        "vsphere-8.0u3": {("demo-ns", "tanzukubernetescluster"), ("demo-ns", "builtin-generic-v3.1.0")},
        "vks-3.4": {("demo-ns", "tanzukubernetescluster")}
        | {("vmware-system-vks-public", f"builtin-generic-v3.{m}.0") for m in range(1, 5)},
    }[_profile(env)]
    assert {(ns, name) for ns, name in rows} == expected


def test_unknown_and_unsupported_fields_are_pruned_silently(env: SupervisorEnv) -> None:
    manifest = cluster_manifest("pr-prune", env.namespace)
    topology = manifest["spec"]["topology"]
    topology["controlPlane"]["variables"] = {"overrides": [{"name": "vmClass", "value": "guaranteed-medium"}]}
    topology["futureField"] = {"x": 1}
    _apply(env, manifest, "--validate=false")
    stored = _yaml(env, "cluster", "pr-prune")["spec"]["topology"]
    assert "futureField" not in stored
    if _profile(env) == "vsphere-8.0u2":
        assert "variables" not in stored["controlPlane"]  # Cluster API 1.5 has no controlPlane.variables
    else:
        assert stored["controlPlane"]["variables"]["overrides"] == [{"name": "vmClass", "value": "guaranteed-medium"}]


def test_class_namespace_exists_only_on_vks(env: SupervisorEnv) -> None:
    manifest = cluster_manifest("pr-classns", env.namespace)
    manifest["spec"]["topology"]["classNamespace"] = env.namespace
    _apply(env, manifest, "--validate=false")
    stored = _yaml(env, "cluster", "pr-classns")["spec"]["topology"]
    assert ("classNamespace" in stored) == (_profile(env) == "vks-3.4")


def test_vks_versioned_class_from_the_public_namespace(env: SupervisorEnv) -> None:
    manifest = cluster_manifest("pr-v34", env.namespace, cluster_class="builtin-generic-v3.4.0")
    manifest["spec"]["topology"]["classNamespace"] = "vmware-system-vks-public"
    path = env.workdir / "pr-v34.yaml"
    path.write_text(yaml.safe_dump(manifest))
    result = env.kubectl("apply", "--validate=false", "-f", str(path), check=False)
    if _profile(env) != "vks-3.4":
        # classNamespace is pruned, so the class is looked up (and missing) in the Cluster's own namespace.
        assert result.returncode != 0
        assert 'ClusterClass with name "builtin-generic-v3.4.0" not found in namespace "demo-ns"' in result.stderr
        return
    assert result.returncode == 0, result.stderr
    stored = _yaml(env, "cluster", "pr-v34")
    assert stored["spec"]["topology"]["classNamespace"] == "vmware-system-vks-public"
    # The v3.2+ classes define none of the platform-owned variables of the older classes.
    assert set(_variables(stored)) == {"vmClass", "storageClass", "TKR_DATA"}


def test_get_cluster_yaml_shows_the_injected_variables(env: SupervisorEnv) -> None:
    _apply(env, cluster_manifest("pr-inject", env.namespace))
    variables = _variables(_yaml(env, "cluster", "pr-inject"))
    assert variables["user"]["passwordSecret"] == {"name": "pr-inject-ssh-password-hashed", "key": "ssh-passwordkey"}
    assert variables["user"]["sshAuthorizedKey"].startswith("ssh-")
    assert variables["ntp"] == "time.vmware.local"
    assert variables["extensionCert"]["contentSecret"]["name"] == "pr-inject-extensions-ca"
    assert "kind: EncryptionConfiguration" in variables["clusterEncryptionConfigYaml"]
    assert variables["controlPlaneCertificateRotation"] == {"activate": True, "daysBefore": 90}
    assert ("podSecurityStandard" in variables) == (_profile(env) != "vsphere-8.0u2")
    assert "TKR_DATA" in variables


def test_injected_variables_come_back_after_an_update_drops_them(env: SupervisorEnv) -> None:
    _apply(env, cluster_manifest("pr-keep", env.namespace))
    live = _yaml(env, "cluster", "pr-keep")
    trimmed = copy.deepcopy(live)
    trimmed["spec"]["topology"]["variables"] = [
        v for v in live["spec"]["topology"]["variables"] if v["name"] in ("vmClass", "storageClass")
    ]
    path = env.workdir / "pr-keep-put.yaml"
    path.write_text(yaml.safe_dump(trimmed))
    env.kubectl("replace", "-f", str(path))
    again = _variables(_yaml(env, "cluster", "pr-keep"))
    assert again["user"] == _variables(live)["user"]
    assert again["clusterEncryptionConfigYaml"] == _variables(live)["clusterEncryptionConfigYaml"]


def test_renamed_and_latebinding_storage_classes_in_quota_and_storageclasses(env: SupervisorEnv) -> None:
    response = vcenter_call(
        env.sim,
        "PATCH",
        f"/api/vcenter/namespaces/instances/{env.namespace}",
        {"storage_specs": [{"policy": p} for p in ("aa6d5a82-1c88-45da-85d3-3d74b91a5bad", RENAMED_POLICY)]},
    )
    assert response.status_code == 204, response.text
    policies = vcenter_call(env.sim, "GET", "/api/vcenter/storage/policies").json()
    renamed = next(p for p in policies if p["policy"] == RENAMED_POLICY)
    assert renamed["name"] == "vSAN ESA Default Policy - RAID5"

    def quota_keys() -> set[str]:
        quota = _yaml(env, "resourcequota", f"{env.namespace}-storagequota")
        return {k.split(".storageclass.")[0] for k in quota["spec"]["hard"]}

    env.wait_for(lambda: "tanzu-raid5" in quota_keys(), what="renamed class in the quota")
    names = set(env.kubectl("get", "storageclass", "-o", "jsonpath={.items[*].metadata.name}").stdout.split())
    assert {"tanzu-raid5", "tanzu-raid5-latebinding", "vsan-default-storage-policy-latebinding"} <= names
    late = _yaml(env, "storageclass", "tanzu-raid5-latebinding")
    assert late["volumeBindingMode"] == "WaitForFirstConsumer"


def test_cluster_bootstrap_and_the_cni_in_the_workload_cluster(env: SupervisorEnv) -> None:
    bootstrap = {
        "apiVersion": "run.tanzu.vmware.com/v1alpha3",
        "kind": "ClusterBootstrap",
        "metadata": {"name": "pr-calico", "namespace": env.namespace},
        "spec": {"cni": {"refName": "calico.tanzu.vmware.com"}},
    }
    _apply(env, bootstrap)
    _apply(env, cluster_manifest("pr-calico", env.namespace))
    _apply(env, cluster_manifest("pr-antrea", env.namespace))
    for name, daemonset in (("pr-calico", "calico-node"), ("pr-antrea", "antrea-agent")):
        env.wait_for(lambda n=name: is_ready(env.get_cluster(n)), timeout=60, what=f"{name} ready")  # type: ignore[misc]
        refname = env.kubectl("get", "clusterbootstrap", name, "-o", "jsonpath={.spec.cni.refName}").stdout
        assert refname.startswith(daemonset.split("-")[0])
        kubeconfig = env.workload_kubeconfig(name)
        shown = env.kubectl("-n", "kube-system", "get", "ds", "-o", "name", kubeconfig=kubeconfig).stdout.split()
        assert shown == [f"daemonset.apps/{daemonset}"]


def test_transient_topology_error_then_recovery(env: SupervisorEnv) -> None:
    _apply(env, cluster_manifest("pr-transient", env.namespace))
    seen: list[dict[str, Any]] = []

    def observe() -> bool:
        cond = condition(env.get_cluster("pr-transient"), "TopologyReconciled")
        if cond is not None:
            seen.append(cond)
        return bool(cond and cond["status"] == "True")

    env.wait_for(observe, timeout=30, what="TopologyReconciled=True")
    failed = [c for c in seen if c.get("reason") == "TopologyReconcileFailed"]
    assert failed and failed[0]["severity"] == "Error" and failed[0]["status"] == "False"


def test_upgrade_reported_reconciled_before_machines_roll(env: SupervisorEnv) -> None:
    _apply(env, cluster_manifest("pr-race", env.namespace, version="v1.29.4---vmware.3-fips.1-tkg.1"))
    env.wait_for(lambda: is_ready(env.get_cluster("pr-race")), timeout=60, what="ready")
    env.kubectl(
        "patch",
        "cluster",
        "pr-race",
        "--type=merge",
        "-p",
        json.dumps({"spec": {"topology": {"version": "v1.30.8---vmware.1-fips-vkr.1"}}}),
    )
    early = env.get_cluster("pr-race")
    assert early is not None
    assert early["status"]["observedGeneration"] == early["metadata"]["generation"]
    assert (condition(early, "TopologyReconciled") or {}).get("status") == "True"
    kubeconfig = env.workload_kubeconfig("pr-race")
    versions = env.kubectl(
        "get", "nodes", "-o", "jsonpath={.items[*].status.nodeInfo.kubeletVersion}", kubeconfig=kubeconfig
    )
    assert set(versions.stdout.split()) == {"v1.29.4+vmware.3-fips.1"}
    env.wait_for(
        lambda: (
            set(
                env.kubectl(
                    "get", "nodes", "-o", "jsonpath={.items[*].status.nodeInfo.kubeletVersion}", kubeconfig=kubeconfig
                ).stdout.split()
            )
            == {"v1.30.8+vmware.1-fips"}
        ),
        timeout=60,
        what="nodes upgraded",
    )


def test_vcenter_supervisor_endpoint_per_release(env: SupervisorEnv) -> None:
    summaries = vcenter_call(env.sim, "GET", "/api/vcenter/namespace-management/supervisors/summaries").json()
    info = summaries["items"][0]["info"]
    assert ("APIEndpoint" in info) == (_profile(env) == "vks-3.4")
    cluster = vcenter_call(env.sim, "GET", "/api/vcenter/namespace-management/clusters/domain-c8").json()
    # The simulator serves login and API on one unprivileged port and says so (a real vCenter gives a bare IP).
    assert cluster["api_server_cluster_endpoint"] == env.sim.supervisor_url.split("://", 1)[1]
