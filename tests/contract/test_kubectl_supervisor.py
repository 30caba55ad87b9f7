# ruff: noqa: F811  (pytest fixtures are imported from _supervisor_fixtures and requested by name)
"""The real kubectl (the one on PATH) against tkg-sim's Supervisor: apply, get, get -w, patch, wait, delete, and a
workload cluster's own API through the kubeconfig Secret."""

from __future__ import annotations

import json
import subprocess

import pytest
import yaml

from ._supervisor_fixtures import SupervisorEnv, cluster_manifest, is_ready, supervisor  # noqa: F401

pytestmark = pytest.mark.contract


def _apply(env: SupervisorEnv, manifest: dict[str, object]) -> str:
    path = env.workdir / f"{manifest['metadata']['name']}.yaml"  # type: ignore[index]
    path.write_text(yaml.safe_dump(manifest))
    return env.kubectl("apply", "-f", str(path)).stdout


def test_apply_without_validate_false_creates_and_reapply_is_unchanged(supervisor: SupervisorEnv) -> None:
    manifest = cluster_manifest("kc-apply", supervisor.namespace)
    assert "created" in _apply(supervisor, manifest)
    obj = supervisor.get_cluster("kc-apply")
    assert obj is not None
    assert obj["spec"]["topology"]["version"] == "v1.30.8+vmware.1-fips"
    assert obj["metadata"]["labels"]["run.tanzu.vmware.com/tkr"] == "v1.30.8---vmware.1-fips-vkr.1"
    out = _apply(supervisor, manifest)
    assert "unchanged" in out or "configured" in out


def test_apply_rejects_unknown_field_strictly(supervisor: SupervisorEnv) -> None:
    manifest = cluster_manifest("kc-typo", supervisor.namespace)
    manifest["spec"]["topolgy"] = {"class": "x"}  # type: ignore[index]
    path = supervisor.workdir / "typo.yaml"
    path.write_text(yaml.safe_dump(manifest))
    result = supervisor.kubectl("apply", "-f", str(path), check=False)
    assert result.returncode != 0
    assert 'unknown field "spec.topolgy"' in result.stderr


def test_get_table_yaml_and_jsonpath(supervisor: SupervisorEnv) -> None:
    _apply(supervisor, cluster_manifest("kc-get", supervisor.namespace))
    table = supervisor.kubectl("get", "clusters").stdout
    assert "kc-get" in table.splitlines()[1] or "kc-get" in table
    assert table.splitlines()[0].split()[:3] == ["NAME", "CLUSTERCLASS", "PHASE"]
    as_yaml = yaml.safe_load(supervisor.kubectl("get", "cluster", "kc-get", "-o", "yaml").stdout)
    assert as_yaml["kind"] == "Cluster"
    names = supervisor.kubectl("get", "tkr", "-o", "jsonpath={.items[*].metadata.name}").stdout.split()
    assert "v1.31.4---vmware.1-fips-vkr.3" in names
    assert "guaranteed-medium" in supervisor.kubectl("get", "vmclass").stdout
    assert "vsan-default-storage-policy-latebinding" in supervisor.kubectl("get", "storageclass").stdout
    missing = supervisor.kubectl("get", "cluster", "nope", check=False)
    assert missing.returncode != 0
    assert 'clusters.cluster.x-k8s.io "nope" not found' in missing.stderr


def test_wait_for_ready(supervisor: SupervisorEnv) -> None:
    _apply(supervisor, cluster_manifest("kc-wait", supervisor.namespace, control_plane=3))
    out = supervisor.kubectl("wait", "--for=condition=Ready", "cluster/kc-wait", "--timeout=60s").stdout
    assert "condition met" in out
    assert is_ready(supervisor.get_cluster("kc-wait"))


def test_get_watch_streams_changes(supervisor: SupervisorEnv) -> None:
    _apply(supervisor, cluster_manifest("kc-watch", supervisor.namespace))
    supervisor.wait_for(lambda: is_ready(supervisor.get_cluster("kc-watch")), what="kc-watch ready")
    env = {
        "KUBECONFIG": str(supervisor.kubeconfig),
        "HOME": str(supervisor.workdir),
        "PATH": __import__("os").environ["PATH"],
    }
    watcher = subprocess.Popen(
        ["kubectl", "get", "cluster", "kc-watch", "-w", "-o", "json", "--request-timeout=6s"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        supervisor.wait_for(lambda: True)
        import time

        time.sleep(1.0)  # let the watch establish before the change (not a timing assertion)
        supervisor.kubectl("label", "cluster", "kc-watch", "watched=yes")
        out, _err = watcher.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        watcher.kill()
        out, _err = watcher.communicate()
    decoder = json.JSONDecoder()
    objects = []
    index = 0
    text = out.strip()
    while index < len(text):
        obj, end = decoder.raw_decode(text, index)
        objects.append(obj)
        index = end
        while index < len(text) and text[index].isspace():
            index += 1
    assert objects, "kubectl get -w printed nothing"
    assert any((o["metadata"].get("labels") or {}).get("watched") == "yes" for o in objects)


def test_patch_merge_json_and_strategic_is_415(supervisor: SupervisorEnv) -> None:
    _apply(supervisor, cluster_manifest("kc-patch", supervisor.namespace))
    supervisor.kubectl(
        "patch", "cluster", "kc-patch", "--type", "merge", "-p", '{"metadata":{"labels":{"tier":"gold"}}}'
    )
    supervisor.kubectl(
        "patch",
        "cluster",
        "kc-patch",
        "--type",
        "json",
        "-p",
        '[{"op":"replace","path":"/spec/topology/workers/machineDeployments/0/replicas","value":2}]',
    )
    obj = supervisor.get_cluster("kc-patch")
    assert obj is not None
    assert obj["metadata"]["labels"]["tier"] == "gold"
    assert obj["spec"]["topology"]["workers"]["machineDeployments"][0]["replicas"] == 2
    strategic = supervisor.kubectl(
        "patch", "cluster", "kc-patch", "-p", '{"metadata":{"labels":{"a":"b"}}}', check=False
    )
    assert strategic.returncode != 0
    assert "strategic-merge-patch" in strategic.stderr


def test_delete_waits_for_finalizer(supervisor: SupervisorEnv) -> None:
    _apply(supervisor, cluster_manifest("kc-delete", supervisor.namespace))
    supervisor.wait_for(lambda: is_ready(supervisor.get_cluster("kc-delete")), what="kc-delete ready")
    out = supervisor.kubectl("delete", "cluster", "kc-delete", "--timeout=60s").stdout
    assert 'cluster.cluster.x-k8s.io "kc-delete" deleted' in out
    assert supervisor.get_cluster("kc-delete") is None
    secrets = supervisor.kubectl("get", "secrets", "-o", "name").stdout
    assert "kc-delete-kubeconfig" not in secrets


def test_workload_cluster_get_nodes(supervisor: SupervisorEnv) -> None:
    _apply(
        supervisor, cluster_manifest("kc-nodes", supervisor.namespace, control_plane=3, pools={"np-a": 2, "np-b": 1})
    )
    supervisor.wait_for(lambda: is_ready(supervisor.get_cluster("kc-nodes")), what="kc-nodes ready")
    kubeconfig = supervisor.workload_kubeconfig("kc-nodes")
    out = supervisor.kubectl("get", "nodes", "--no-headers", kubeconfig=kubeconfig).stdout
    lines = [line.split() for line in out.strip().splitlines()]
    assert len(lines) == 6
    assert sum(1 for line in lines if line[2] == "control-plane") == 3
    assert all(line[1] == "Ready" and line[-1] == "v1.30.8+vmware.1-fips" for line in lines)
    version = supervisor.kubectl("version", "-o", "json", kubeconfig=kubeconfig).stdout
    assert json.loads(version)["serverVersion"]["gitVersion"] == "v1.30.8+vmware.1-fips"


def test_builtin_kinds_accept_strategic_merge_patch(supervisor: SupervisorEnv) -> None:
    supervisor.kubectl("create", "secret", "generic", "kc-secret", "--from-literal=a=b")
    supervisor.kubectl("patch", "secret", "kc-secret", "-p", '{"metadata":{"labels":{"patched":"yes"}}}')
    labels = supervisor.kubectl("get", "secret", "kc-secret", "-o", "jsonpath={.metadata.labels.patched}").stdout
    assert labels == "yes"
    supervisor.kubectl("delete", "secret", "kc-secret")
