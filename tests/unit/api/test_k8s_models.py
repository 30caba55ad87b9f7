"""The Supervisor wire models: what a read keeps for the write back, what they refuse, and how they say so."""

from __future__ import annotations

import re
from typing import Any

import pytest

from terraform_provider_tkg.api import errors
from terraform_provider_tkg.api import k8s_models as k8s
from terraform_provider_tkg.api import supervisor as sv

# A Cluster as the Supervisor returns it: modelled fields, fields the provider does not model, nulls.
SERVED: dict[str, Any] = {
    "apiVersion": "cluster.x-k8s.io/v1beta1",
    "kind": "Cluster",
    "metadata": {"name": "c1", "namespace": "ns", "resourceVersion": "7", "managedFields": [{"manager": "x"}]},
    "spec": {
        "controlPlaneRef": {"kind": "KubeadmControlPlane", "name": "c1-cp"},
        "topology": {
            "class": "builtin-generic-v3.1.0",
            "version": "v1.30.8+vmware.1",
            "workers": {"machineDeployments": [{"class": "node-pool", "name": "np", "strategy": {"type": "X"}}]},
            "variables": [{"name": "TKR_DATA", "value": {"v1.30.8": {"osImageRef": None}}}],
        },
    },
    "status": {"phase": "Provisioned", "conditions": [{"type": "Ready", "status": "True"}]},
}


def test_a_read_cluster_writes_back_everything_it_was_given() -> None:
    cluster = k8s.Cluster.model_validate(SERVED)
    assert cluster.spec.topology is not None and cluster.spec.topology.class_ == "builtin-generic-v3.1.0"
    assert cluster.status is not None and cluster.status.condition("Ready") == k8s.Condition(
        type="Ready", status="True"
    )
    assert cluster.wire() == SERVED


def test_unset_fields_are_left_out_of_what_is_sent() -> None:
    built = k8s.Cluster(metadata=k8s.ObjectMeta(name="c2", namespace="ns"))
    assert built.wire() == {
        "apiVersion": "cluster.x-k8s.io/v1beta1",
        "kind": "Cluster",
        "metadata": {"name": "c2", "namespace": "ns"},
        "spec": {},
    }
    assert k8s.MachineDeploymentTopology(name="np").wire() == {"class": "node-pool", "name": "np"}


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"spec": {"topology": {"version": 131}}}, "spec.topology.version: expected str, got int 131"),
        ({"spec": {"topology": {"variables": [{"value": 1}]}}}, "spec.topology.variables[0].name: required field"),
        ({"status": {"observedGeneration": True}}, "status.observedGeneration: expected int, got bool True"),
        ({"metadata": {"labels": {"a": 1}}}, "metadata.labels.a: expected str"),
        ({"status": {"conditions": {"type": "Ready"}}}, "status.conditions: expected a list, got dict"),
        ({"spec": "none"}, "spec: expected an object, got str 'none'"),
    ],
)
def test_a_response_of_another_shape_is_refused_with_the_field_named(data: dict[str, Any], message: str) -> None:
    with pytest.raises(k8s.WireError, match=re.escape(message)):
        k8s.Cluster.model_validate(data)


def test_the_client_reports_a_response_of_another_shape_as_unexpected() -> None:
    with pytest.raises(
        errors.UnexpectedResponse, match=re.escape("does not match the Cluster wire model: spec.topology")
    ):
        sv._parse(k8s.Cluster, {"spec": {"topology": []}}, "reading cluster ns/c1")
