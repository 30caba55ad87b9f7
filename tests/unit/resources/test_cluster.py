"""tkg_cluster mapping both ways, the update patch, cross-field validation and error paths (pure functions only)."""

from __future__ import annotations

import copy
import dataclasses
from typing import Any

import pytest

from terraform_provider_tkg.api import k8s_models as k8s
from terraform_provider_tkg.api import supervisor
from terraform_provider_tkg.api.k8s_keys import AUTOSCALER_MAX, AUTOSCALER_MIN, TKR_LABEL
from terraform_provider_tkg.framework import plan as engine
from terraform_provider_tkg.framework.diagnostics import Key
from terraform_provider_tkg.framework.model import from_tf, to_tf
from terraform_provider_tkg.framework.values import Unknown
from terraform_provider_tkg.resources import cluster as c
from terraform_provider_tkg.resources.cluster import flatten, imported
from terraform_provider_tkg.resources.cluster import wire as names

RELEASE = "v1.30.1---vmware.1-fips-tkg.5"
CANONICAL = "v1.30.1+vmware.1-fips"
PEM = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"
POD_SECURITY_DEFAULT = {
    "enforce": "baseline",
    "enforceVersion": "latest",
    "audit": "restricted",
    "auditVersion": "latest",
    "warn": "restricted",
    "warnVersion": "latest",
    "deactivated": False,
    "exemptions": {"namespaces": []},
}


def full_model() -> c.Model:
    """The reference's example Cluster (§9.1) expressed in Terraform terms, plus every other attribute."""
    return c.Model(
        name="prod-1",
        namespace="demo-ns",
        cluster_class="tanzukubernetescluster",
        kubernetes_version=RELEASE,
        vm_class="guaranteed-medium",
        storage_class="vsan-default-storage-policy",
        labels={"team": "payments"},
        annotations={"example.com/owner": "alice"},
        variables={
            "ntp": '"ntp.example.com"',
            "controlPlaneCertificateRotation": '{"activate": true, "daysBefore": 90}',
        },
        control_plane=c.ControlPlane(
            replicas=3,
            vm_class="guaranteed-large",
            node_drain_timeout="5m",
            volume=[c.Volume(name="etcd", mount_path="/var/lib/etcd", capacity_gib=4, storage_class="tkg-gold")],
        ),
        node_pool=[
            c.NodePool(
                name="np-general",
                replicas=3,
                failure_domain="zone-a",
                labels={"tier": "web", "env": "prod"},
                taint=[c.Taint(key="dedicated", value="web", effect="NoSchedule")],
                volume=[
                    c.Volume(
                        name="containerd",
                        mount_path="/var/lib/containerd",
                        capacity_gib=50,
                        storage_class="vsan-default-storage-policy",
                    )
                ],
            ),
            c.NodePool(name="np-memory", vm_class="guaranteed-xlarge", autoscaler=c.Autoscaler(min_size=1, max_size=5)),
        ],
        network=c.Network(
            pods_cidr_blocks=["192.168.0.0/16"],
            services_cidr_blocks=["10.96.0.0/12"],
            service_domain="cluster.local",
            cni="antrea",
            proxy=c.Proxy(http_proxy="http://p:3128", https_proxy="http://p:3128", no_proxy=["10.0.0.0/8", "local"]),
            trusted_ca=[c.TrustedCa(name="harbor-ca", pem=PEM)],
        ),
        storage=c.Storage(classes=["vsan-default-storage-policy", "tkg-gold"], default_class="tkg-gold"),
    )


def admitted(manifest: dict[str, Any], *, reorder: bool = True) -> dict[str, Any]:
    """What the Supervisor does to a submitted Cluster (reference §3.4, §4.2, §9.2): resolver rewrite of the version,
    TKR label, TKR_DATA at cluster and pool level, a defaulted variable, reordered variables and lists, Go-formatted
    durations, system metadata and a status."""
    obj = copy.deepcopy(manifest)
    meta = obj["metadata"]
    meta.update(uid="5c1e", resourceVersion="42", generation=1, finalizers=["cluster.cluster.x-k8s.io"])
    meta.setdefault("labels", {})[TKR_LABEL] = RELEASE
    meta["annotations"]["kubectl.kubernetes.io/last-applied-configuration"] = "{}"
    topology = obj["spec"]["topology"]
    topology["version"] = CANONICAL
    tkr_data = {"name": "TKR_DATA", "value": {CANONICAL: {"osImageRef": {"name": "vmi-1"}}}}
    topology["variables"] = [tkr_data, *reversed(topology["variables"])]
    # CAPI's variable defaulting adds the class default of a variable the Cluster left out (reference §3.2).
    topology["variables"].append({"name": "podSecurityStandard", "value": copy.deepcopy(POD_SECURITY_DEFAULT)})
    for md in topology["workers"]["machineDeployments"]:
        md.setdefault("variables", {}).setdefault("overrides", []).append(tkr_data)
    if topology["controlPlane"].get("nodeDrainTimeout") == "5m":
        topology["controlPlane"]["nodeDrainTimeout"] = "5m0s"
    for var in topology["variables"] if reorder else []:
        if var["name"] == "storageClasses":
            var["value"] = list(reversed(var["value"]))
        if var["name"] == "proxy":
            var["value"]["noProxy"] = list(reversed(var["value"]["noProxy"]))
    obj["spec"]["controlPlaneEndpoint"] = {"host": "10.220.3.34", "port": 6443}
    obj["status"] = {
        "phase": "Provisioned",
        "observedGeneration": 1,
        "conditions": [
            {"type": "Ready", "status": "True", "lastTransitionTime": "2025-03-01T10:19:55Z"},
            {"type": "TopologyReconciled", "status": "True", "lastTransitionTime": "2025-03-01T10:00:09Z"},
        ],
    }
    return obj


def round_trip(model: c.Model) -> tuple[k8s.Cluster, c.Model]:
    server = k8s.Cluster.model_validate(admitted(c.to_api(model).wire()))
    return server, c.from_api(server, model, trusted_ca_pems={"harbor-ca": PEM})


def user_fields(model: c.Model) -> dict[str, Any]:
    state = to_tf(model)
    for computed in ("id", "phase", "ready", "api_endpoint", "conditions", "kubeconfig", "timeouts"):
        state.pop(computed)
    return state


# ---- to_api ------------------------------------------------------------------------------------------------------


def test_to_api_builds_the_reference_cluster() -> None:
    wire = c.to_api(full_model(), create_token="0123abcd").wire()
    assert wire["apiVersion"] == "cluster.x-k8s.io/v1beta1" and wire["kind"] == "Cluster"
    assert wire["metadata"]["labels"] == {"team": "payments"}
    assert wire["metadata"]["annotations"] == {
        "example.com/owner": "alice",
        names.CREATE_TOKEN_ANNOTATION: "0123abcd",
        names.CNI_ANNOTATION: "antrea",
    }
    spec = wire["spec"]
    assert spec["clusterNetwork"] == {
        "pods": {"cidrBlocks": ["192.168.0.0/16"]},
        "services": {"cidrBlocks": ["10.96.0.0/12"]},
        "serviceDomain": "cluster.local",
    }
    topology = spec["topology"]
    assert topology["class"] == "tanzukubernetescluster" and topology["version"] == RELEASE
    assert topology["controlPlane"] == {
        "replicas": 3,
        "nodeDrainTimeout": "5m",
        "variables": {"overrides": [{"name": "vmClass", "value": "guaranteed-large"}]},
    }
    general, memory = topology["workers"]["machineDeployments"]
    assert general["class"] == "node-pool" and general["name"] == "np-general" and general["replicas"] == 3
    assert general["failureDomain"] == "zone-a"
    assert general["variables"]["overrides"] == [
        {"name": "nodePoolLabels", "value": [{"key": "env", "value": "prod"}, {"key": "tier", "value": "web"}]},
        {"name": "nodePoolTaints", "value": [{"key": "dedicated", "effect": "NoSchedule", "value": "web"}]},
        {
            "name": "nodePoolVolumes",
            "value": [
                {
                    "name": "containerd",
                    "mountPath": "/var/lib/containerd",
                    "capacity": {"storage": "50Gi"},
                    "storageClass": "vsan-default-storage-policy",
                }
            ],
        },
    ]
    assert "replicas" not in memory
    assert memory["metadata"]["annotations"] == {AUTOSCALER_MIN: "1", AUTOSCALER_MAX: "5"}
    assert memory["variables"]["overrides"] == [{"name": "vmClass", "value": "guaranteed-xlarge"}]
    variables = {v["name"]: v["value"] for v in topology["variables"]}
    assert variables == {
        "vmClass": "guaranteed-medium",
        "storageClass": "vsan-default-storage-policy",
        "controlPlaneVolumes": [
            {"name": "etcd", "mountPath": "/var/lib/etcd", "capacity": {"storage": "4Gi"}, "storageClass": "tkg-gold"}
        ],
        "storageClasses": ["vsan-default-storage-policy", "tkg-gold"],
        "defaultStorageClass": "tkg-gold",
        "proxy": {"httpProxy": "http://p:3128", "httpsProxy": "http://p:3128", "noProxy": ["10.0.0.0/8", "local"]},
        "trust": {"additionalTrustedCAs": [{"name": "harbor-ca"}]},
        "ntp": "ntp.example.com",
        "controlPlaneCertificateRotation": {"activate": True, "daysBefore": 90},
    }
    assert "status" not in wire


def test_to_api_minimal_cluster_sends_no_optional_fields() -> None:
    model = c.Model(
        name="a",
        namespace="ns",
        kubernetes_version="v1.31",
        vm_class="best-effort-small",
        storage_class="sc",
        node_pool=[c.NodePool(name="np", replicas=1)],
    )
    wire = c.to_api(model).wire()
    assert "clusterNetwork" not in wire["spec"] and "labels" not in wire["metadata"]
    assert wire["spec"]["topology"]["controlPlane"] == {"replicas": 1}
    assert wire["spec"]["topology"]["workers"]["machineDeployments"] == [
        {"class": "node-pool", "name": "np", "replicas": 1}
    ]


def test_trust_secret_holds_double_base64_pems() -> None:
    secret = c.trust_secret(full_model())
    assert secret is not None and secret.metadata.name == "prod-1-user-trusted-ca-secret"
    assert c.trusted_ca_pems(secret) == {"harbor-ca": PEM}


# ---- from_api ----------------------------------------------------------------------------------------------------


def test_from_api_reads_back_exactly_what_the_user_wrote() -> None:
    model = full_model()
    _, read = round_trip(model)
    assert user_fields(read) == user_fields(model)
    assert read.id == "demo-ns/prod-1" and read.phase == "Provisioned" and read.ready is True
    assert read.api_endpoint == "https://10.220.3.34:6443"
    assert [x["type"] for x in read.conditions or []] == ["Ready", "TopologyReconciled"]


def test_from_api_of_a_minimal_cluster_has_no_blocks_the_user_left_out() -> None:
    model = c.Model(
        name="a",
        namespace="ns",
        kubernetes_version="v1.30",
        vm_class="vm",
        storage_class="sc",
        node_pool=[c.NodePool(name="np", replicas=2)],
    )
    server = admitted(c.to_api(model).wire())
    # Server defaults the user never wrote: the cluster network, a pool's strategy and zone, platform variables and
    # overrides for settings the configuration left out.
    server["spec"]["clusterNetwork"] = {"services": {"cidrBlocks": ["10.96.0.0/12"]}, "serviceDomain": "cluster.local"}
    md = server["spec"]["topology"]["workers"]["machineDeployments"][0]
    md.update(strategy={"type": "RollingUpdate"}, failureDomain="zone-a")
    md["variables"]["overrides"].append({"name": "nodePoolLabels", "value": [{"key": "platform", "value": "x"}]})
    server["spec"]["topology"]["controlPlane"]["nodeDrainTimeout"] = "10m0s"
    server["spec"]["topology"]["variables"] += [
        {"name": "proxy", "value": {"httpProxy": "http://platform:3128"}},
        {"name": "storageClasses", "value": ["platform-sc"]},
        {"name": "trust", "value": {"additionalTrustedCAs": [{"name": "platform-ca"}]}},
    ]
    read = c.from_api(k8s.Cluster.model_validate(server), model)
    assert user_fields(read) == user_fields(model)
    # control_plane is a group block: left out, it reads as its defaults
    assert read.control_plane == c.ControlPlane() and read.network is None and read.storage is None


COMPUTED = ("id", "phase", "ready", "api_endpoint", "conditions", "kubeconfig")


def plans_exactly(state: dict[str, Any], model: c.Model) -> bool:
    """Whether Terraform would plan no change: the planned value equals the state exactly (Terraform compares values
    byte for byte, so JSON spacing counts; the plan engine's semantic ``diff`` would hide it)."""
    schema = c.ClusterResource.full_schema().block
    config = schema.normalize(to_tf(model))
    for computed in COMPUTED:
        config[computed] = None
    proposed = {**config, **{k: state[k] for k in COMPUTED}}
    planned, _ = engine.plan_change(schema, state, proposed, config, set(), local_only=("timeouts",))
    return bool(planned == state)


def test_from_api_through_the_framework_plans_no_change() -> None:
    """The read-back state, fed to the plan engine with the user's configuration, plans exactly no change."""
    schema = c.ClusterResource.full_schema().block
    model = full_model()
    _, read = round_trip(model)
    assert plans_exactly(schema.normalize(to_tf(read)), model)


def imported_state(model: c.Model) -> dict[str, Any]:
    """The state ``terraform import`` writes for the cluster ``model`` created (no prior to keep spellings from)."""
    # Lists inside variable values kept in order: import has no prior order to restore them to.
    server = k8s.Cluster.model_validate(admitted(c.to_api(model).wire(), reorder=False))
    prior = c.Model(id="demo-ns/prod-1", name="prod-1", namespace="demo-ns")
    state = c.ClusterResource.full_schema().block.normalize(
        to_tf(c.from_api(server, prior, trusted_ca_pems={"harbor-ca": PEM}))
    )
    state["timeouts"] = None
    return state  # type: ignore[no-any-return]


def test_import_of_a_jsonencode_configuration_plans_exactly_no_change() -> None:
    """Variables read back exactly as ``jsonencode`` wrote them, durations as users write them (``5m``, which the
    server holds as ``5m0s``)."""
    model = full_model()
    # (not ntp/user: the Supervisor injects those into every cluster, so import never takes them)
    model.variables = {
        "kubeAPIServerFQDNs": '["k8s.example.com"]',
        "defaultRegistrySecret": '{"name":"s","namespace":"n"}',
    }
    assert plans_exactly(imported_state(model), model)


def test_import_of_a_control_plane_block_with_defaults_only_plans_exactly_no_change() -> None:
    model = full_model()
    model.variables = {"kubeAPIServerFQDNs": '["k8s.example.com"]'}  # (a variable at its class default is not imported)
    model.control_plane = c.ControlPlane(replicas=1)  # control_plane { replicas = 1 }
    state = imported_state(model)
    assert plans_exactly(state, model)
    # the same configuration with the block left out: Terraform sends the group block with every attribute null
    assert plans_exactly(state, dataclasses.replace(model, control_plane=c.ControlPlane(replicas=None)))


def test_reference_admitted_object_maps_to_the_submitted_configuration() -> None:
    """§9.2 (the §9.1 Cluster after admission, provisioning) read with §9.1's configuration as prior: no diff."""
    model = c.Model(
        name="prod-1",
        namespace="demo-ns",
        kubernetes_version="v1.30.1---vmware.1-fips-tkg.5",
        vm_class="guaranteed-medium",
        storage_class="vsan-default-storage-policy",
        labels={"team": "payments"},
        node_pool=[c.NodePool(name="np-general", replicas=3)],
        control_plane=c.ControlPlane(replicas=3),
    )
    obj = {
        "apiVersion": "cluster.x-k8s.io/v1beta1",
        "kind": "Cluster",
        "metadata": {
            "name": "prod-1",
            "namespace": "demo-ns",
            "generation": 1,
            "finalizers": ["cluster.cluster.x-k8s.io"],
            "labels": {"team": "payments", "run.tanzu.vmware.com/tkr": "v1.30.1---vmware.1-fips-tkg.5"},
        },
        "spec": {
            "controlPlaneEndpoint": {"host": "10.220.3.34", "port": 6443},
            "controlPlaneRef": {"kind": "KubeadmControlPlane", "name": "prod-1-q8zrx"},
            "topology": {
                "class": "tanzukubernetescluster",
                "version": "v1.30.1+vmware.1-fips",
                "controlPlane": {"replicas": 3},
                "workers": {"machineDeployments": [{"class": "node-pool", "name": "np-general", "replicas": 3}]},
                "variables": [
                    {"name": "vmClass", "value": "guaranteed-medium"},
                    {"name": "storageClass", "value": "vsan-default-storage-policy"},
                    {"name": "TKR_DATA", "value": {"v1.30.1+vmware.1-fips": {"kubernetesSpec": {}}}},
                ],
            },
        },
        "status": {
            "phase": "Provisioned",
            "infrastructureReady": True,
            "controlPlaneReady": True,
            "observedGeneration": 1,
            "conditions": [
                {
                    "type": "Ready",
                    "status": "False",
                    "severity": "Warning",
                    "reason": "ScalingUp",
                    "message": "Scaling up control plane to 3 replicas (actual 1)",
                },
                {"type": "TopologyReconciled", "status": "True"},
            ],
        },
    }
    read = c.from_api(k8s.Cluster.model_validate(obj), model)
    assert user_fields(read) == user_fields(model)
    assert read.ready is False
    assert read.conditions and read.conditions[0]["reason"] == "ScalingUp"


@pytest.mark.parametrize(
    ("written", "wire", "label", "same"),
    [
        ("v1.31.4---vmware.1-fips-vkr.3", "v1.31.4+vmware.1-fips", "v1.31.4---vmware.1-fips-vkr.3", True),
        ("v1.31.4+vmware.1-fips-vkr.3", "v1.31.4+vmware.1-fips", "v1.31.4---vmware.1-fips-vkr.3", True),
        ("v1.31", "v1.31.4+vmware.1-fips", "v1.31.4---vmware.1-fips-vkr.3", True),
        ("v1.31.4---vmware.1-fips-vkr.3", "v1.31.4+vmware.1-fips", None, True),  # no resolver label
        ("v1.30.8---vmware.1-fips-vkr.1", "v1.31.4+vmware.1-fips", "v1.31.4---vmware.1-fips-vkr.3", False),
        ("v1.3", "v1.31.4+vmware.1-fips", "v1.31.4---vmware.1-fips-vkr.3", False),
    ],
)
def test_version_read_back_follows_the_resolved_release(written: str, wire: str, label: str | None, same: bool) -> None:
    assert flatten.same_release(written, wire, label) is same


def test_drift_on_managed_fields_shows_and_unmanaged_keys_do_not() -> None:
    model = full_model()
    server = admitted(c.to_api(model).wire())
    server["metadata"]["labels"]["team"] = "billing"  # drift on a managed key
    server["metadata"]["labels"]["someone-else"] = "x"  # a key the user does not manage
    mds = server["spec"]["topology"]["workers"]["machineDeployments"]
    mds[0]["replicas"] = 7
    mds.append({"class": "node-pool", "name": "np-extra", "replicas": 1})
    server["metadata"]["labels"][TKR_LABEL] = "v1.31.4---vmware.1-fips-vkr.3"  # upgraded out of band
    server["spec"]["topology"]["version"] = "v1.31.4+vmware.1-fips"
    read = c.from_api(k8s.Cluster.model_validate(server), model)
    assert read.labels == {"team": "billing"}
    assert [p.name for p in read.node_pool] == ["np-general", "np-memory", "np-extra"]
    assert read.node_pool[0].replicas == 7
    assert read.kubernetes_version == "v1.31.4---vmware.1-fips-vkr.3"


def test_declared_variable_changed_on_server_is_drift_and_same_value_keeps_spelling() -> None:
    model = full_model()
    server = admitted(c.to_api(model).wire())
    for var in server["spec"]["topology"]["variables"]:
        if var["name"] == "ntp":
            var["value"] = "ntp2.example.com"
    read = c.from_api(k8s.Cluster.model_validate(server), model)
    assert read.variables == {
        "ntp": '"ntp2.example.com"',
        "controlPlaneCertificateRotation": '{"activate": true, "daysBefore": 90}',  # the user's spelling kept
    }


def test_import_reads_everything_but_what_the_platform_adds() -> None:
    model = full_model()
    server, _ = round_trip(model)
    imported = c.from_api(server, c.Model(id="demo-ns/prod-1", name="prod-1", namespace="demo-ns"))
    assert imported.labels == {"team": "payments"}
    assert imported.annotations == {"example.com/owner": "alice"}
    assert imported.kubernetes_version == RELEASE
    # ntp is injected by the Supervisor (the platform's); certificate rotation and podSecurityStandard hold defaults
    assert imported.variables is None
    assert imported.network is not None and imported.network.pods_cidr_blocks == ["192.168.0.0/16"]
    assert imported.network.cni == "antrea"  # the configuration asked for it (annotation), and it runs
    calico = c.from_api(server, c.Model(id="demo-ns/prod-1", name="prod-1", namespace="demo-ns"), cni="calico")
    assert calico.network is not None and calico.network.cni == "calico"  # the ClusterBootstrap's CNI wins
    assert imported.control_plane is not None and imported.control_plane.replicas == 3
    assert [p.name for p in imported.node_pool] == ["np-general", "np-memory"]


def test_import_skips_injected_and_defaulted_variables() -> None:
    server = k8s.Cluster.model_validate(admitted(c.to_api(full_model()).wire()))
    assert server.spec.topology is not None
    injected = {
        "user": {"sshAuthorizedKey": "ssh-ed25519 AAAA", "passwordSecret": {"name": "x", "key": "ssh-passwordkey"}},
        "extensionCert": {"contentSecret": {"name": "prod-1-extensions-ca", "key": "tls.crt"}},
        "clusterEncryptionConfigYaml": "kind: EncryptionConfiguration\n",
        "podSecurityStandard": names.DEFAULTED_VARIABLES["podSecurityStandard"],
        "kubeAPIServerFQDNs": ["k8s.example.com"],
    }
    others = [v for v in server.spec.topology.variables or [] if v.name not in injected]
    server.spec.topology.variables = [*others, *(k8s.ClusterVariable(name=n, value=v) for n, v in injected.items())]
    imported = c.from_api(server, c.Model(id="demo-ns/prod-1", name="prod-1", namespace="demo-ns"))
    assert imported.variables == {"kubeAPIServerFQDNs": '["k8s.example.com"]'}


# ---- update patch ------------------------------------------------------------------------------------------------


def server_of(model: c.Model) -> k8s.Cluster:
    return k8s.Cluster.model_validate(admitted(c.to_api(model).wire()))


def test_update_patch_is_empty_without_changes() -> None:
    model = full_model()
    assert c.update_patch(server_of(model), model, model) == {}


def test_update_patch_scales_one_pool_and_keeps_server_fields() -> None:
    prior = full_model()
    planned = copy.deepcopy(prior)
    planned.node_pool[0].replicas = 5
    current = server_of(prior)
    patch = c.update_patch(current, prior, planned)
    assert set(patch) == {"spec"} and set(patch["spec"]["topology"]) == {"workers"}
    general = patch["spec"]["topology"]["workers"]["machineDeployments"][0]
    assert general["replicas"] == 5
    assert any(v["name"] == "TKR_DATA" for v in general["variables"]["overrides"])


def test_update_patch_adds_and_removes_pools_labels_and_taints() -> None:
    prior = full_model()
    planned = copy.deepcopy(prior)
    planned.node_pool = [planned.node_pool[0], c.NodePool(name="np-new", replicas=2)]
    planned.node_pool[0].taint = []
    planned.node_pool[0].labels = {"tier": "api"}
    planned.labels = {"stage": "blue"}
    patch = c.update_patch(server_of(prior), prior, planned)
    assert patch["metadata"] == {"labels": {"team": None, "stage": "blue"}}
    mds = patch["spec"]["topology"]["workers"]["machineDeployments"]
    assert [m["name"] for m in mds] == ["np-general", "np-new"]
    overrides = {v["name"]: v["value"] for v in mds[0]["variables"]["overrides"]}
    assert "nodePoolTaints" not in overrides and overrides["nodePoolLabels"] == [{"key": "tier", "value": "api"}]
    assert mds[1] == {"class": "node-pool", "name": "np-new", "replicas": 2}


def test_update_patch_leaves_what_the_platform_set_on_settings_nobody_declared() -> None:
    prior = c.Model(
        name="a",
        namespace="ns",
        kubernetes_version=RELEASE,
        vm_class="vm",
        storage_class="sc",
        node_pool=[c.NodePool(name="np", replicas=1)],
    )
    wire = admitted(c.to_api(prior).wire())
    topology = wire["spec"]["topology"]
    topology["variables"].append({"name": "proxy", "value": {"httpProxy": "http://platform:3128"}})
    topology["controlPlane"]["nodeDrainTimeout"] = "10m0s"
    topology["controlPlane"]["variables"] = {"overrides": [{"name": "vmClass", "value": "platform-cp"}]}
    md = topology["workers"]["machineDeployments"][0]
    md["failureDomain"] = "zone-a"
    md["variables"]["overrides"].append({"name": "nodePoolLabels", "value": [{"key": "platform", "value": "x"}]})
    planned = copy.deepcopy(prior)
    planned.node_pool[0].replicas = 2
    patch = c.update_patch(k8s.Cluster.model_validate(wire), prior, planned)
    assert set(patch["spec"]["topology"]) == {"workers"}  # no variables, no control-plane change
    [entry] = patch["spec"]["topology"]["workers"]["machineDeployments"]
    assert entry["replicas"] == 2 and entry["failureDomain"] == "zone-a"
    assert {"name": "nodePoolLabels", "value": [{"key": "platform", "value": "x"}]} in entry["variables"]["overrides"]


def test_update_patch_upgrade_sends_the_new_version_and_keeps_tkr_data() -> None:
    prior = full_model()
    planned = copy.deepcopy(prior)
    planned.kubernetes_version = "v1.31.4---vmware.1-fips-vkr.3"
    planned.variables = {"ntp": '"ntp.example.com"'}
    patch = c.update_patch(server_of(prior), prior, planned)
    topology = patch["spec"]["topology"]
    assert topology["version"] == "v1.31.4---vmware.1-fips-vkr.3"
    names = [v["name"] for v in topology["variables"]]
    assert "TKR_DATA" in names and "podSecurityStandard" in names and "controlPlaneCertificateRotation" not in names


def test_update_patch_ignores_a_respelled_duration_and_sends_a_changed_one() -> None:
    prior = full_model()  # node_drain_timeout "5m", which the server holds as "5m0s"
    respelled = copy.deepcopy(prior)
    assert respelled.control_plane is not None
    respelled.control_plane.node_drain_timeout = "300s"
    assert "spec" not in c.update_patch(server_of(prior), prior, respelled)
    changed = copy.deepcopy(prior)
    assert changed.control_plane is not None
    changed.control_plane.node_drain_timeout = "10m"
    patch = c.update_patch(server_of(prior), prior, changed)
    assert patch["spec"]["topology"]["controlPlane"] == {"nodeDrainTimeout": "10m"}


# ---- validation --------------------------------------------------------------------------------------------------


def config(**changes: Any) -> c.Model:
    model = full_model()
    for key, value in changes.items():
        setattr(model, key, value)
    return model


@pytest.mark.parametrize(
    ("model", "path"),
    [
        (
            config(node_pool=[c.NodePool(name="a", replicas=1), c.NodePool(name="a", replicas=2)]),
            ("node_pool", 1, "name"),
        ),
        (config(node_pool=[c.NodePool(name="a")]), ("node_pool", 0, "replicas")),
        (
            config(node_pool=[c.NodePool(name="a", replicas=1, autoscaler=c.Autoscaler(min_size=1, max_size=2))]),
            ("node_pool", 0, "replicas"),
        ),
        (
            config(node_pool=[c.NodePool(name="a", autoscaler=c.Autoscaler(min_size=4, max_size=2))]),
            ("node_pool", 0, "autoscaler", "min_size"),
        ),
        (
            config(network=c.Network(pods_cidr_blocks=["10.0.0.0/8"], services_cidr_blocks=["10.96.0.0/12"])),
            ("network", "services_cidr_blocks"),
        ),
        (config(variables={"vmClass": '"x"'}), ("variables", Key("vmClass"))),
        (config(variables={"TKR_DATA": "{}"}), ("variables", Key("TKR_DATA"))),
        (config(storage=c.Storage(classes=["a"], default_class="b")), ("storage", "default_class")),
        (
            config(
                node_pool=[
                    c.NodePool(
                        name="a",
                        replicas=1,
                        volume=[
                            c.Volume(name="v", mount_path="/a", capacity_gib=1),
                            c.Volume(name="v", mount_path="/b", capacity_gib=1),
                        ],
                    )
                ]
            ),
            ("node_pool", 0, "volume", 1, "name"),
        ),
        (
            config(network=c.Network(trusted_ca=[c.TrustedCa(name="x", pem=PEM), c.TrustedCa(name="x", pem=PEM)])),
            ("network", "trusted_ca", 1, "name"),
        ),
    ],
)
def test_validate_rejects_with_the_attribute_path(model: c.Model, path: tuple[Any, ...]) -> None:
    problems = c.validate(model)
    assert [p[0] for p in problems] == [path], problems


def test_validate_accepts_the_full_model_and_unknowns() -> None:
    assert c.validate(full_model()) == []
    unknowns = config(node_pool=[c.NodePool(name=Unknown, replicas=Unknown)], network=Unknown, storage=Unknown)
    assert c.validate(unknowns) == []


@pytest.mark.parametrize(
    ("attribute", "value"),
    [
        ("name", "Prod_1"),
        ("namespace", "-ns"),
        ("kubernetes_version", "latest"),
        ("labels", {"bad key!": "x"}),
        ("variables", {"ntp": "not json"}),
    ],
)
def test_schema_validators_reject_single_attributes(attribute: str, value: Any) -> None:
    from terraform_provider_tkg.framework.diagnostics import Diagnostics

    diags = Diagnostics()
    state = to_tf(full_model())
    state[attribute] = value
    engine.validate(c.SCHEMA.block, c.SCHEMA.block.normalize(state), diags)
    assert [d.path for d in diags] == [(attribute,)]


@pytest.mark.parametrize(
    ("field", "path"),
    [
        ("spec.topology.version", ("kubernetes_version",)),
        ("spec.clusterNetwork.pods.cidrBlocks[0]", ("network", "pods_cidr_blocks")),
        ("spec.topology.workers.machineDeployments[1].name", ("node_pool", 1, "name")),
        ("spec.topology.variables[0].value", ("vm_class",)),
        ("spec.topology.variables[1].value", ("storage_class",)),
        ("metadata.name", ("name",)),
        ("spec.unknown", None),
    ],
)
def test_wire_fields_map_to_terraform_paths(field: str, path: tuple[Any, ...] | None) -> None:
    assert c.tf_path(field, full_model()) == path


def test_model_round_trips_through_terraform_values() -> None:
    model = full_model()
    assert from_tf(c.Model, to_tf(model)) == model


# ---- release matching (api/supervisor.py, used by the plan check and the data source) ------------------------------


def release(
    name: str, kubernetes: str, *, ready: bool = True, compatible: bool = True, labels: Any = None
) -> k8s.Release:
    return k8s.Release.model_validate(
        {
            "metadata": {"name": name, "labels": labels or {}},
            "spec": {"version": name.replace("---", "+"), "kubernetes": {"version": kubernetes}},
            "status": {
                "conditions": [
                    {"type": "Ready", "status": "True" if ready else "False"},
                    {"type": "Compatible", "status": "True" if compatible else "False"},
                ]
            },
        }
    )


def test_release_matching_and_usability() -> None:
    releases = [
        release("v1.31.4---vmware.1-fips-vkr.3", "v1.31.4+vmware.1-fips"),
        release("v1.31.10---vmware.1-fips-vkr.1", "v1.31.10+vmware.1-fips"),
        release(
            "v1.26.5---vmware.2-fips.1-tkg.1",
            "v1.26.5+vmware.2-fips.1",
            ready=False,
            compatible=False,
            labels={"incompatible": ""},
        ),
    ]
    assert [r.metadata.name for r in supervisor.matching_releases("v1.31", releases)] == [
        "v1.31.10---vmware.1-fips-vkr.1",
        "v1.31.4---vmware.1-fips-vkr.3",
    ]
    assert supervisor.matching_releases("v1.3", releases) == []
    assert supervisor.matching_releases("v1.31.4+vmware.1-fips-vkr.3", releases)[0].metadata.name.startswith("v1.31.4")
    bad = releases[2]
    assert not supervisor.release_usable(bad)
    assert supervisor.release_problem(bad) == "labelled incompatible, not ready"


def test_pruned_fields_are_named_by_attribute() -> None:
    from terraform_provider_tkg.resources.cluster import resource

    model = full_model()
    model.cluster_class_namespace = "vmware-system-vks-public"
    assert model.control_plane is not None and model.control_plane.vm_class
    server = k8s.Cluster.model_validate(admitted(c.to_api(model).wire()))
    assert resource._pruned(model, c.from_api(server, model)) == []
    # What a Cluster API 1.5 Supervisor stores: no controlPlane.variables, no classNamespace.
    assert server.spec.topology is not None and server.spec.topology.controlPlane is not None
    server.spec.topology.controlPlane.variables = None
    server.spec.topology.classNamespace = None
    pruned = [path for path, _ in resource._pruned(model, c.from_api(server, model))]
    assert pruned == [("cluster_class_namespace",), ("control_plane", "vm_class")]  # the model sets no cp storage_class


def test_import_leaves_keys_of_other_tools_on_the_cluster() -> None:
    """An annotation someone else added is imported as unconfirmed; a configuration without it drops it from the
    state only: the update patch never removes it from the cluster (it would without the record)."""
    config = full_model()
    wire = admitted(c.to_api(config).wire())
    wire["metadata"]["annotations"]["example.com/added-by-ops"] = "yes"
    server = k8s.Cluster.model_validate(wire)
    state = c.from_api(server, c.Model(id="demo-ns/prod-1", name="prod-1", namespace="demo-ns"))
    assert state.annotations == {"example.com/owner": "alice", "example.com/added-by-ops": "yes"}
    private: dict[str, Any] = {}
    imported.remember(private, state)
    drops = imported.state_only(private, state, config)
    assert drops == {"annotations": ["example.com/added-by-ops"]}
    patch = c.update_patch(server, imported.without(state, drops), config)
    assert "example.com/added-by-ops" not in (patch.get("metadata") or {}).get("annotations", {})
    assert c.update_patch(server, state, config)["metadata"]["annotations"] == {"example.com/added-by-ops": None}
    declared = copy.deepcopy(config)
    declared.annotations = {**(config.annotations or {}), "example.com/added-by-ops": "yes"}
    assert imported.state_only(private, state, declared) == {}  # declared: managed as usual
    imported.forget(private)
    assert imported.state_only(private, state, config) == {}  # after an update: the configuration decides
