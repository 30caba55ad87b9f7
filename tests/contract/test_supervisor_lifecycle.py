# ruff: noqa: F811  (pytest fixtures are imported from _supervisor_fixtures and requested by name)
"""Cluster lifecycle (create → Ready → scale → upgrade → delete) with instant and with scaled delays, the vCenter →
Supervisor mirror, fault knobs, and 50 concurrent clients."""

from __future__ import annotations

import concurrent.futures
from typing import Any

import pytest

from tests import certs

from ._supervisor_fixtures import (  # noqa: F401
    CLUSTERS,
    SupervisorEnv,
    cluster_manifest,
    condition,
    create_vsphere_namespace,
    is_ready,
    slow_supervisor,
    supervisor,
    vcenter_call,
)

pytestmark = pytest.mark.contract

SILVER_POLICY = "f4e5bade-15a2-4805-bf8e-52318c4ce443"


def _patch(
    env: SupervisorEnv, name: str, body: Any, content_type: str = "application/merge-patch+json"
) -> dict[str, Any]:
    with env.client() as http:
        response = http.patch(
            CLUSTERS.format(ns=env.namespace) + f"/{name}", json=body, headers={"Content-Type": content_type}
        )
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


def _nodes(env: SupervisorEnv, name: str) -> list[tuple[str, str]]:
    kubeconfig = env.workload_kubeconfig(name)
    out = env.kubectl("get", "nodes", "--no-headers", kubeconfig=kubeconfig).stdout
    return [(line.split()[2], line.split()[-1]) for line in out.strip().splitlines()]


def _rolled_out(env: SupervisorEnv, name: str, version: str) -> bool:
    """The KubeadmControlPlane and every MachineDeployment of ``name`` run ``version`` on all their machines."""
    selector = {"labelSelector": f"cluster.x-k8s.io/cluster-name={name}"}
    with env.client() as http:
        kcps = http.get(
            f"/apis/controlplane.cluster.x-k8s.io/v1beta1/namespaces/{env.namespace}/kubeadmcontrolplanes",
            params=selector,
        ).json()["items"]
        mds = http.get(
            f"/apis/cluster.x-k8s.io/v1beta1/namespaces/{env.namespace}/machinedeployments", params=selector
        ).json()["items"]
    return all(k["status"].get("version") == version for k in kcps) and all(
        md["spec"]["template"]["spec"]["version"] == version
        and md["status"]["updatedReplicas"] == md["spec"]["replicas"]
        for md in mds
    )


def _run_lifecycle(env: SupervisorEnv, name: str) -> list[str]:
    """Drive one cluster through its whole life; returns the TopologyReconciled reasons seen while upgrading."""
    with env.client() as http:
        response = http.post(
            CLUSTERS.format(ns=env.namespace),
            json=cluster_manifest(name, env.namespace, control_plane=1, pools={"np-1": 1, "np-2": 1}),
        )
    assert response.status_code == 201, response.text
    phases = set()

    def ready() -> bool:
        obj = env.get_cluster(name)
        phases.add(((obj or {}).get("status") or {}).get("phase"))
        return is_ready(obj)

    env.wait_for(ready, what=f"{name} Ready")
    obj = env.get_cluster(name)
    assert obj is not None
    assert obj["spec"]["controlPlaneEndpoint"]["port"] > 0
    assert obj["status"]["phase"] == "Provisioned"
    assert obj["status"]["conditions"][0]["type"] == "Ready"
    assert sorted(_nodes(env, name)) == [("<none>", "v1.30.8+vmware.1-fips")] * 2 + [
        ("control-plane", "v1.30.8+vmware.1-fips")
    ]

    # Scale: 3 control-plane machines, pool np-1 to 2 workers.
    scaled = _patch(env, name, {"spec": {"topology": {"controlPlane": {"replicas": 3}}}})
    body = scaled["spec"]["topology"]["workers"]["machineDeployments"]
    body[0]["replicas"] = 2
    _patch(env, name, {"spec": {"topology": {"workers": {"machineDeployments": body}}}})
    env.wait_for(lambda: is_ready(env.get_cluster(name)), what=f"{name} scaled")
    assert len(_nodes(env, name)) == 6
    with env.client() as http:
        mds = http.get(
            f"/apis/cluster.x-k8s.io/v1beta1/namespaces/{env.namespace}/machinedeployments",
            params={"labelSelector": f"cluster.x-k8s.io/cluster-name={name}"},
        ).json()["items"]
    assert sorted(
        (md["metadata"]["labels"]["topology.cluster.x-k8s.io/deployment-name"], md["status"]["readyReplicas"])
        for md in mds
    ) == [("np-1", 2), ("np-2", 1)]

    # Upgrade by one minor: control plane first, then the pools.
    _patch(env, name, {"spec": {"topology": {"version": "v1.31.4---vmware.1-fips-vkr.3"}}})
    reasons: list[str] = []

    def upgraded() -> bool:
        current = env.get_cluster(name)
        topo = condition(current, "TopologyReconciled")
        if topo and topo["status"] == "False":
            reasons.append(str(topo.get("reason")))
        if not is_ready(current) or (current or {})["spec"]["topology"]["version"] != "v1.31.4+vmware.1-fips":
            return False
        # A Supervisor reports the new generation reconciled before machines roll: compare the machines' versions.
        return _rolled_out(env, name, "v1.31.4+vmware.1-fips")

    env.wait_for(upgraded, what=f"{name} upgraded")
    assert {version for _role, version in _nodes(env, name)} == {"v1.31.4+vmware.1-fips"}
    upgraded_obj = env.get_cluster(name)
    assert upgraded_obj is not None
    assert upgraded_obj["metadata"]["labels"]["run.tanzu.vmware.com/tkr"] == "v1.31.4---vmware.1-fips-vkr.3"

    # Delete: Deleting, then gone with its Secret and children.
    with env.client() as http:
        response = http.delete(CLUSTERS.format(ns=env.namespace) + f"/{name}")
    assert response.status_code == 200
    env.wait_for(lambda: env.get_cluster(name) is None, what=f"{name} deleted")
    with env.client() as http:
        assert http.get(f"/api/v1/namespaces/{env.namespace}/secrets/{name}-kubeconfig").status_code == 404
        left = http.get(
            f"/apis/cluster.x-k8s.io/v1beta1/namespaces/{env.namespace}/machinedeployments",
            params={"labelSelector": f"cluster.x-k8s.io/cluster-name={name}"},
        ).json()["items"]
    assert left == []
    assert "Provisioned" in phases
    return reasons


def test_lifecycle_with_instant_controllers(supervisor: SupervisorEnv) -> None:
    _run_lifecycle(supervisor, "life-instant")


def test_lifecycle_with_small_delays_shows_rollout_order(slow_supervisor: SupervisorEnv) -> None:
    reasons = _run_lifecycle(slow_supervisor, "life-slow")
    # With real (scaled) delays the polling sees the upgrade hold the pools back while the control plane rolls.
    assert "MachineDeploymentsUpgradePending" in reasons


def test_phases_in_order_with_small_delays(slow_supervisor: SupervisorEnv) -> None:
    env = slow_supervisor
    with env.client() as http:
        assert (
            http.post(
                CLUSTERS.format(ns=env.namespace), json=cluster_manifest("phases", env.namespace, control_plane=3)
            ).status_code
            == 201
        )
    seen: list[str] = []

    def track() -> bool:
        obj = env.get_cluster("phases")
        phase = ((obj or {}).get("status") or {}).get("phase")
        if phase and (not seen or seen[-1] != phase):
            seen.append(phase)
        return is_ready(obj)

    env.wait_for(track, what="phases Ready")
    assert seen[-1] == "Provisioned"
    assert seen.index("Provisioned") >= seen.index("Provisioning") if "Provisioning" in seen else True
    with env.client() as http:
        http.delete(CLUSTERS.format(ns=env.namespace) + "/phases")
    env.wait_for(lambda: env.get_cluster("phases") is None, what="phases deleted")


def test_fault_knobs_stuck_and_failed_provisioning(supervisor: SupervisorEnv) -> None:
    env = supervisor
    env.sim.call(lambda world: setattr(world.faults, "stuck_provisioning", True))
    try:
        with env.client() as http:
            assert (
                http.post(CLUSTERS.format(ns=env.namespace), json=cluster_manifest("stuck", env.namespace)).status_code
                == 201
            )
        env.wait_for(
            lambda: ((env.get_cluster("stuck") or {}).get("status") or {}).get("phase") == "Provisioned",
            what="stuck infra",
        )
        stuck = env.get_cluster("stuck")
        assert condition(stuck, "Ready")["status"] == "False"  # type: ignore[index]
        env.sim.call(lambda world: setattr(world.faults, "failed_provisioning", "VMProvisioningFailed"))
        failed = env.wait_for(
            lambda: (c := env.get_cluster("stuck")) and (c.get("status") or {}).get("phase") == "Failed" and c,
            what="failed phase",
        )
        infra = condition(failed, "InfrastructureReady")
        assert infra is not None and infra["status"] == "False" and infra["reason"] == "VMProvisioningFailed"
    finally:
        env.sim.call(
            lambda world: (
                setattr(world.faults, "stuck_provisioning", False),
                setattr(world.faults, "failed_provisioning", None),
            )
        )
    env.wait_for(lambda: is_ready(env.get_cluster("stuck")), what="stuck cluster recovers")


def test_vsphere_namespace_is_mirrored_and_removed(supervisor: SupervisorEnv) -> None:
    env = supervisor
    create_vsphere_namespace(env.sim, "team-b", vm_classes=["best-effort-xsmall"], policies=[SILVER_POLICY])
    env.wait_for(lambda: env.status_of("/api/v1/namespaces/team-b") == 200, what="team-b mirrored")
    with env.client() as http:
        quota = http.get("/api/v1/namespaces/team-b/resourcequotas").json()["items"][0]
        assert "tkg-silver.storageclass.storage.k8s.io/requests.storage" in quota["spec"]["hard"]
        assert (
            http.get("/apis/storage.k8s.io/v1/storageclasses/tkg-silver-latebinding").json()["volumeBindingMode"]
            == "WaitForFirstConsumer"
        )
        classes = http.get("/apis/vmoperator.vmware.com/v1alpha2/namespaces/team-b/virtualmachineclasses").json()[
            "items"
        ]
        assert [c["metadata"]["name"] for c in classes] == ["best-effort-xsmall"]
        assert (
            http.get(
                "/apis/cluster.x-k8s.io/v1beta1/namespaces/team-b/clusterclasses/tanzukubernetescluster"
            ).status_code
            == 200
        )
    # Binding another class in vCenter shows up in the namespace.
    response = vcenter_call(
        env.sim,
        "PATCH",
        "/api/vcenter/namespaces/instances/team-b",
        {"vm_service_spec": {"vm_classes": ["best-effort-xsmall", "guaranteed-large"]}},
    )
    assert response.status_code == 204, response.text
    env.wait_for(
        lambda: (
            env.status_of(
                "/apis/vmoperator.vmware.com/v1alpha2/namespaces/team-b/virtualmachineclasses/guaranteed-large"
            )
            == 200
        ),
        what="guaranteed-large bound",
    )
    assert vcenter_call(env.sim, "DELETE", "/api/vcenter/namespaces/instances/team-b").status_code == 204
    env.wait_for(lambda: env.status_of("/api/v1/namespaces/team-b") == 404, what="team-b removed")
    # tkg-silver was only used by team-b; tkg-gold is still used by demo-ns.
    assert env.status_of("/apis/storage.k8s.io/v1/storageclasses/tkg-silver") == 404
    assert env.status_of("/apis/storage.k8s.io/v1/storageclasses/tkg-gold") == 200


def test_fifty_concurrent_clients(supervisor: SupervisorEnv) -> None:
    env = supervisor

    def worker(index: int) -> int:
        failures = 0
        name = f"conc-{index}"
        with env.client() as http:
            calls = [
                lambda: http.post(CLUSTERS.format(ns=env.namespace), json=cluster_manifest(name, env.namespace)),
                lambda: http.get(CLUSTERS.format(ns=env.namespace) + f"/{name}"),
                lambda: http.get(CLUSTERS.format(ns=env.namespace), params={"labelSelector": "team=payments"}),
                lambda: http.patch(
                    CLUSTERS.format(ns=env.namespace) + f"/{name}",
                    json={"metadata": {"labels": {"worker": str(index)}}},
                    headers={"Content-Type": "application/merge-patch+json"},
                ),
                lambda: http.get("/apis/run.tanzu.vmware.com/v1alpha3/tanzukubernetesreleases"),
                lambda: http.get("/apis/cluster.x-k8s.io/v1beta1"),
                lambda: http.delete(CLUSTERS.format(ns=env.namespace) + f"/{name}"),
            ]
            for call in calls:
                try:
                    response = call()
                    if response.status_code >= 400:
                        failures += 1
                except Exception:
                    failures += 1
        return failures

    with concurrent.futures.ThreadPoolExecutor(max_workers=50) as pool:
        failures = sum(pool.map(worker, range(50)))
    assert failures == 0
    env.wait_for(
        lambda: all(env.get_cluster(f"conc-{i}") is None for i in range(50)), what="concurrent clusters deleted"
    )


def test_guest_cluster_login_and_workload_auth(supervisor: SupervisorEnv) -> None:
    env = supervisor
    with env.client() as http:
        assert (
            http.post(CLUSTERS.format(ns=env.namespace), json=cluster_manifest("guest", env.namespace)).status_code
            == 201
        )
    env.wait_for(lambda: is_ready(env.get_cluster("guest")), what="guest Ready")
    import httpx

    with httpx.Client(verify=certs.verify(env.ca_file), timeout=30) as http:
        login = http.post(
            f"{env.url}/wcp/login",
            auth=(env.sim.admin_user, env.sim.admin_password),
            json={"guest_cluster_name": "guest", "guest_cluster_namespace": env.namespace},
        ).json()
        server = login["guest_cluster_server"]
        assert login["guest_cluster_ca"].startswith("-----BEGIN CERTIFICATE-----")
        nodes = http.get(f"{server}/api/v1/nodes", headers={"Authorization": f"Bearer {login['session_id']}"})
        assert nodes.status_code == 200
        assert len(nodes.json()["items"]) == 2
        assert http.get(f"{server}/api/v1/nodes", headers={"Authorization": "Bearer nope"}).status_code == 401
        readonly = http.get(f"{server}/version", headers={"Authorization": f"Bearer {env.readonly_token}"})
        assert readonly.status_code == 401
