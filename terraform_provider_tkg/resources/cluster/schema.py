"""The Terraform schema of ``tkg_cluster``."""

from __future__ import annotations

from ...framework import types as t
from ...framework import validators
from ...framework.schema import Attribute, Block, GroupBlock, ListBlock, Schema, SingleBlock
from .validation import annotations_map, cidr_list, json_values, labels_map, release_name, url
from .wire import DEFAULT_CLUSTER_CLASS

__all__ = ["SCHEMA"]

_NAME = (validators.dns1123_label,)
_VOLUME = Block(
    attributes={
        "name": Attribute(t.String(), required=True, description="Volume name, e.g. `containerd`.", validators=_NAME),
        "mount_path": Attribute(
            t.String(),
            required=True,
            description="Mount path on the node, e.g. `/var/lib/containerd`.",
            validators=(validators.matches(r"/\S*", "it must be an absolute path such as /var/lib/containerd."),),
        ),
        "capacity_gib": Attribute(
            t.Number(), required=True, description="Size in GiB.", validators=(validators.between(1, 65536),)
        ),
        "storage_class": Attribute(t.String(), optional=True, description="Storage class of the volume."),
    },
    description="An extra disk on each node.",
)
_TAINT = Block(
    attributes={
        "key": Attribute(t.String(), required=True, description="Taint key."),
        "value": Attribute(t.String(), optional=True, description="Taint value."),
        "effect": Attribute(
            t.String(),
            required=True,
            description="`NoSchedule`, `PreferNoSchedule` or `NoExecute`.",
            validators=(validators.one_of("NoSchedule", "PreferNoSchedule", "NoExecute"),),
        ),
    },
    description="A taint on every node of the pool.",
)
_AUTOSCALER = Block(
    attributes={
        "min_size": Attribute(
            t.Number(), required=True, description="Fewest nodes.", validators=(validators.between(0, 1000),)
        ),
        "max_size": Attribute(
            t.Number(), required=True, description="Most nodes.", validators=(validators.between(1, 1000),)
        ),
    },
    description="Let the cluster autoscaler size the pool (instead of `replicas`).",
)
_CONTROL_PLANE = Block(
    attributes={
        "replicas": Attribute(
            t.Number(),
            optional=True,
            computed=True,
            default=1,
            description="Control-plane nodes: 1, 3 or 5 (default 1).",
            validators=(validators.one_of(1, 3, 5),),
        ),
        "vm_class": Attribute(
            t.String(), optional=True, description="VM class of control-plane nodes (default: `vm_class`)."
        ),
        "storage_class": Attribute(
            t.String(), optional=True, description="Storage class of control-plane nodes (default: `storage_class`)."
        ),
        "node_drain_timeout": Attribute(
            t.String(),
            optional=True,
            description="How long to drain a node before removing it, e.g. `5m`.",
            validators=(validators.duration,),
        ),
        "os_name": Attribute(
            t.String(),
            optional=True,
            description="Node OS of the control-plane nodes, e.g. `ubuntu` or `photon` (default: the release's "
            "default OS); written as the `run.tanzu.vmware.com/resolve-os-image` annotation. The release must offer "
            "it (checked at plan time).",
            validators=(validators.matches(r"[a-z][a-z0-9-]{0,31}", "a lowercase OS name such as ubuntu or photon"),),
        ),
        "os_version": Attribute(
            t.String(),
            optional=True,
            description="OS version for `os_name`, e.g. `22.04` (needs `os_name`).",
            validators=(validators.matches(r"[0-9][0-9A-Za-z.-]{0,15}", "a version such as 22.04 or 5"),),
        ),
    },
    blocks={"volume": ListBlock(_VOLUME)},
    description="Control-plane settings. Leaving the block out is the same as writing it with only defaults.",
)
_NODE_POOL = Block(
    attributes={
        "name": Attribute(t.String(), required=True, description="Pool name, unique in the cluster.", validators=_NAME),
        "replicas": Attribute(
            t.Number(),
            optional=True,
            description="Number of nodes (or use `autoscaler`).",
            validators=(validators.between(0, 1000),),
        ),
        "vm_class": Attribute(
            t.String(), optional=True, description="VM class of the pool's nodes (default: `vm_class`)."
        ),
        "storage_class": Attribute(
            t.String(), optional=True, description="Storage class of the pool's nodes (default: `storage_class`)."
        ),
        "failure_domain": Attribute(t.String(), optional=True, description="vSphere Zone of the pool."),
        "os_name": Attribute(
            t.String(),
            optional=True,
            description="Node OS of the pool's nodes, e.g. `ubuntu` (for vGPU pools) or `photon` (default: the "
            "release's default OS); written as the `run.tanzu.vmware.com/resolve-os-image` annotation. The release "
            "must offer it (checked at plan time).",
            validators=(validators.matches(r"[a-z][a-z0-9-]{0,31}", "a lowercase OS name such as ubuntu or photon"),),
        ),
        "os_version": Attribute(
            t.String(),
            optional=True,
            description="OS version for `os_name`, e.g. `22.04` (needs `os_name`).",
            validators=(validators.matches(r"[0-9][0-9A-Za-z.-]{0,15}", "a version such as 22.04 or 5"),),
        ),
        "labels": Attribute(
            t.Map(t.String()),
            optional=True,
            description="Kubernetes labels on the pool's nodes.",
            validators=(labels_map,),
        ),
    },
    blocks={"autoscaler": SingleBlock(_AUTOSCALER), "taint": ListBlock(_TAINT), "volume": ListBlock(_VOLUME)},
    description="A pool of worker nodes (a MachineDeployment).",
)
_PROXY = Block(
    attributes={
        "http_proxy": Attribute(t.String(), optional=True, description="HTTP proxy URL.", validators=(url,)),
        "https_proxy": Attribute(t.String(), optional=True, description="HTTPS proxy URL.", validators=(url,)),
        "no_proxy": Attribute(t.List(t.String()), optional=True, description="Hosts and CIDRs reached directly."),
    },
    description="Proxy for the nodes.",
)
_TRUSTED_CA = Block(
    attributes={
        "name": Attribute(
            t.String(),
            required=True,
            description="Name of the certificate (a key of Secret `<cluster>-user-trusted-ca-secret`).",
            validators=(validators.matches(r"[-._a-zA-Z0-9]{1,253}", "use letters, digits, '-', '_' or '.'."),),
        ),
        "pem": Attribute(
            t.String(),
            required=True,
            sensitive=True,
            description="The CA certificate, PEM.",
            validators=(
                validators.matches(
                    r"(?s)\s*-----BEGIN CERTIFICATE-----.*-----END CERTIFICATE-----\s*",
                    "it must be a PEM certificate (-----BEGIN CERTIFICATE----- …).",
                ),
            ),
        ),
    },
    description="An additional CA the nodes trust (e.g. a private registry's).",
)
_NETWORK = Block(
    attributes={
        "pods_cidr_blocks": Attribute(
            t.List(t.String()),
            optional=True,
            requires_replace=True,
            description='Pod CIDRs, e.g. `["192.168.0.0/16"]`.',
            validators=(cidr_list,),
        ),
        "services_cidr_blocks": Attribute(
            t.List(t.String()),
            optional=True,
            requires_replace=True,
            description='Service CIDRs, e.g. `["10.96.0.0/12"]`.',
            validators=(cidr_list,),
        ),
        "service_domain": Attribute(
            t.String(),
            optional=True,
            requires_replace=True,
            description="Cluster DNS domain (default `cluster.local`).",
        ),
        "cni": Attribute(
            t.String(),
            optional=True,
            requires_replace=True,
            description="`antrea` (the Supervisor's default) or `calico`: the cluster's ClusterBootstrap selects it "
            "and it is read back from there.",
            validators=(validators.one_of("antrea", "calico"),),
        ),
    },
    blocks={"proxy": SingleBlock(_PROXY), "trusted_ca": ListBlock(_TRUSTED_CA)},
    description="Cluster networking. CIDRs, service domain and CNI cannot change in place (replacement).",
)
_STORAGE = Block(
    attributes={
        "classes": Attribute(
            t.List(t.String()), optional=True, description="Storage classes made available inside the cluster."
        ),
        "default_class": Attribute(
            t.String(), optional=True, description="The default storage class inside the cluster."
        ),
    },
    description="pvCSI storage classes inside the workload cluster.",
)
_CONDITION = t.Object({"type": t.String(), "status": t.String(), "reason": t.String(), "message": t.String()})

SCHEMA = Schema(
    Block(
        attributes={
            "id": Attribute(t.String(), computed=True, stable=True, description="`namespace/name`."),
            "name": Attribute(
                t.String(),
                required=True,
                requires_replace=True,
                description="Cluster name (DNS-1123 label).",
                validators=_NAME,
            ),
            "namespace": Attribute(
                t.String(), required=True, requires_replace=True, description="The vSphere Namespace.", validators=_NAME
            ),
            "cluster_class": Attribute(
                t.String(),
                optional=True,
                computed=True,
                default=DEFAULT_CLUSTER_CLASS,
                description=f"ClusterClass of the topology (default `{DEFAULT_CLUSTER_CLASS}`).",
            ),
            "cluster_class_namespace": Attribute(
                t.String(),
                optional=True,
                description="Namespace of the ClusterClass when it is not in the cluster's namespace: VKS 3.x ships "
                "its versioned classes (`builtin-generic-v3.x.y`) once, in `vmware-system-vks-public` "
                "(`topology.classNamespace`; Supervisors before VKS 3.x do not know the field).",
                validators=_NAME,
            ),
            "kubernetes_version": Attribute(
                t.String(),
                required=True,
                description="Kubernetes release name (see `tkg_kubernetes_releases`). Raising it upgrades in place; "
                "lowering it is refused.",
                validators=(release_name,),
            ),
            "vm_class": Attribute(t.String(), required=True, description="Default VM class of all nodes."),
            "storage_class": Attribute(t.String(), required=True, description="Default storage class of all nodes."),
            "labels": Attribute(
                t.Map(t.String()),
                optional=True,
                description="Labels on the Cluster; only these keys are managed.",
                validators=(labels_map,),
            ),
            "annotations": Attribute(
                t.Map(t.String()),
                optional=True,
                description="Annotations on the Cluster; only these keys are managed.",
                validators=(annotations_map,),
            ),
            "variables": Attribute(
                t.Map(t.Json()),
                optional=True,
                description="Extra ClusterClass variables, name → JSON value (`jsonencode(...)`), compared "
                "semantically.",
                validators=(json_values,),
            ),
            "wait_for_ready": Attribute(
                t.Bool(),
                optional=True,
                computed=True,
                default=True,
                description="Wait until the cluster is usable on create and settled on update (default true).",
            ),
            "phase": Attribute(t.String(), computed=True, description="Cluster API phase."),
            "ready": Attribute(t.Bool(), computed=True, description="Whether the Ready condition is true."),
            "api_endpoint": Attribute(
                t.String(),
                computed=True,
                stable=True,
                description="URL of the cluster's API server (it does not change once set).",
            ),
            "conditions": Attribute(t.List(_CONDITION), computed=True, description="The Cluster's conditions."),
            "kubeconfig": Attribute(
                t.String(), computed=True, sensitive=True, stable=True, description="Admin kubeconfig (YAML)."
            ),
        },
        blocks={
            "control_plane": GroupBlock(_CONTROL_PLANE),
            "node_pool": ListBlock(_NODE_POOL, min_items=1),
            "network": SingleBlock(_NETWORK),
            "storage": SingleBlock(_STORAGE),
        },
        description="A TKG workload cluster (Cluster API Cluster on a ClusterClass) in a vSphere Namespace.",
    )
)
