"""The official vSphere Automation SDK stubs driving the simulator through the vAPI runtime's REST connector.

What it takes (findings, vmware-vapi-runtime 9.1.1):

- ``get_requests_connector(session, url=".../api", msg_protocol="rest")`` reaches the ``/api`` paths, but every stub
  constructor calls ``set_rest_format(True)`` (the value-wrapped ``/rest`` format) on the shared REST provider, so the
  bare ``/api`` format needs ``set_rest_format(False)`` *after* the stubs are built;
- login works with the official ``cis.Session.create`` and a user/password security context (Basic);
- a session-id security context is refused by the runtime in the bare format ("currently supported for vapi-rest
  format only"), so the token goes into the ``vmware-api-session-id`` header of the ``requests.Session`` instead;
- ``requests`` prefers ``REQUESTS_CA_BUNDLE``/``CURL_CA_BUNDLE`` from the environment over ``session.verify``, so the
  simulator's CA needs ``session.trust_env = False`` (or the variable pointed at it);
- errors: the stubs pick the exception *class* from the first entry of the operation's throws clause (the runtime
  has "TODO Add discriminator matching"), so ``VirtualMachineClasses.delete`` raises ``Error`` for a RESOURCE_IN_USE
  answer; ``error_type`` and ``messages`` are decoded correctly, so callers must switch on ``error_type``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests
from com.vmware.cis_client import Session
from com.vmware.content_client import Library
from com.vmware.vapi.std.errors_client import Error
from com.vmware.vcenter.namespace_management.supervisors_client import Summary
from com.vmware.vcenter.namespace_management_client import Clusters, VirtualMachineClasses
from com.vmware.vcenter.namespaces_client import Instances
from com.vmware.vcenter.storage_client import Policies
from com.vmware.vcenter_client import Cluster
from vmware.vapi.exception import CoreException
from vmware.vapi.lib.connect import get_requests_connector
from vmware.vapi.provider.filter import ApiProviderFilter
from vmware.vapi.security.session import create_session_security_context
from vmware.vapi.security.user_password import create_user_password_security_context
from vmware.vapi.stdlib.client.factories import StubConfigurationFactory

from tkgsim import Simulator

pytestmark = pytest.mark.contract

SUPERVISOR = "c9ad3f1a-6c0e-4a2b-9a64-0d1a7f0e5b21"
POLICY = "aa6d5a82-1c88-45da-85d3-3d74b91a5bad"
LOCAL_LIBRARY = "1b2c3d4e-5f60-4718-92a3-b4c5d6e7f809"


class Sdk:
    """Official stubs wired to one simulator."""

    def __init__(self, sim: Simulator) -> None:
        self.http = requests.Session()
        self.http.verify = sim.ca_file or False
        self.http.trust_env = False
        self.connector = get_requests_connector(session=self.http, url=f"{sim.vcenter_url}/api", msg_protocol="rest")
        config = StubConfigurationFactory.new_std_configuration(self.connector)
        self.session = Session(config)
        self.vm_classes = VirtualMachineClasses(config)
        self.instances = Instances(config)
        self.clusters = Clusters(config)
        self.summaries = Summary(config)
        self.policies = Policies(config)
        self.cluster = Cluster(config)
        self.library = Library(config)
        self.bare_api_format()

    def bare_api_format(self) -> None:
        provider: Any = self.connector.get_api_provider()
        while isinstance(provider, ApiProviderFilter):
            provider = provider.get_api_provider()
        provider.set_rest_format(False)

    def login(self, user: str, password: str) -> str:
        self.connector.set_security_context(create_user_password_security_context(user, password))
        token = str(self.session.create())
        self.connector.set_security_context(None)
        self.http.headers["vmware-api-session-id"] = token
        return token

    def close(self) -> None:
        self.http.close()


@pytest.fixture
def sdk(vcenter_sim: Simulator) -> Iterator[Sdk]:
    client = Sdk(vcenter_sim)
    client.login(vcenter_sim.admin_user, vcenter_sim.admin_password)
    yield client
    client.close()


def test_login_and_session_info(vcenter_sim: Simulator, sdk: Sdk) -> None:
    info = sdk.session.get()
    assert info.user == vcenter_sim.admin_user
    assert info.created_time <= info.last_accessed_time


def test_inventory_reads(sdk: Sdk) -> None:
    assert {p.name for p in sdk.policies.list()} >= {"vSAN Default Storage Policy", "tkg-gold"}
    assert [c.cluster for c in sdk.cluster.list()] == ["domain-c8"]
    assert sdk.cluster.get("domain-c8").name == "Cluster-1"
    (summary,) = sdk.clusters.list()
    assert summary.cluster == "domain-c8" and summary.config_status == Clusters.ConfigStatus.RUNNING
    assert sdk.clusters.get("domain-c8").network_provider is not None
    items = sdk.summaries.list().items
    assert [item.supervisor for item in items] == [SUPERVISOR]
    assert items[0].info.kubernetes_status == "READY"
    assert LOCAL_LIBRARY in sdk.library.list()
    assert sdk.library.get(LOCAL_LIBRARY).name == "vm-images"
    assert sdk.library.find(Library.FindSpec(name="VM-IMAGES")) == [LOCAL_LIBRARY]


def test_vm_class_and_namespace_lifecycle(sdk: Sdk) -> None:
    sdk.vm_classes.create(
        VirtualMachineClasses.CreateSpec(id="sdk-class", cpu_count=2, memory_mb=2048, description="from the SDK")
    )
    created = sdk.vm_classes.get("sdk-class")
    assert (created.cpu_count, created.memory_mb, created.config_status) == (2, 2048, "READY")
    sdk.vm_classes.update("sdk-class", VirtualMachineClasses.UpdateSpec(cpu_count=4))
    assert sdk.vm_classes.get("sdk-class").cpu_count == 4
    assert "sdk-class" in {c.id for c in sdk.vm_classes.list()}

    sdk.instances.create_v2(
        Instances.CreateSpecV2(
            supervisor=SUPERVISOR,
            namespace="sdk-ns",
            storage_specs=[Instances.StorageSpec(policy=POLICY)],
            vm_service_spec=Instances.VMServiceSpec(vm_classes={"sdk-class"}),
        )
    )
    info = sdk.instances.get_v2("sdk-ns")
    assert info.config_status == Instances.ConfigStatus.RUNNING
    assert info.vm_service_spec.vm_classes == {"sdk-class"}
    assert sdk.instances.get("sdk-ns").cluster == "domain-c8"
    assert "sdk-ns" in {s.namespace for s in sdk.instances.list_v2()}

    with pytest.raises(Error) as in_use:
        sdk.vm_classes.delete("sdk-class")
    assert in_use.value.error_type == "RESOURCE_IN_USE"

    sdk.instances.update("sdk-ns", Instances.UpdateSpec(vm_service_spec=Instances.VMServiceSpec(vm_classes=set())))
    assert sdk.instances.get_v2("sdk-ns").vm_service_spec.vm_classes == set()
    sdk.vm_classes.delete("sdk-class")
    sdk.instances.delete("sdk-ns")
    with pytest.raises(Error) as gone:
        sdk.instances.get_v2("sdk-ns")
    assert gone.value.error_type == "NOT_FOUND"


def test_errors_carry_error_type_and_messages(sdk: Sdk) -> None:
    with pytest.raises(Error) as duplicate:
        sdk.vm_classes.create(VirtualMachineClasses.CreateSpec(id="best-effort-small", cpu_count=1, memory_mb=1))
    assert duplicate.value.error_type == "ALREADY_EXISTS"
    assert "already exists" in duplicate.value.messages[0].default_message
    with pytest.raises(Error) as invalid:
        sdk.instances.create_v2(Instances.CreateSpecV2(supervisor="nope", namespace="sdk-bad"))
    assert invalid.value.error_type == "INVALID_ARGUMENT"
    assert invalid.value.messages[0].args[0] == "supervisor"


def test_session_security_context_is_refused_in_the_bare_format(vcenter_sim: Simulator) -> None:
    client = Sdk(vcenter_sim)
    try:
        token = client.login(vcenter_sim.admin_user, vcenter_sim.admin_password)
        del client.http.headers["vmware-api-session-id"]
        client.connector.set_security_context(create_session_security_context(token))
        with pytest.raises(CoreException, match="not supported"):
            client.policies.list()
    finally:
        client.close()


def test_read_only_user_is_unauthorized_through_the_sdk(sdk: Sdk, vcenter_sim: Simulator) -> None:
    readonly = Sdk(vcenter_sim)
    try:
        readonly.login("readonly@vsphere.local", "Tanzu-Sim-RO-1!")
        assert readonly.vm_classes.get("best-effort-small").id == "best-effort-small"
        with pytest.raises(Error) as denied:
            readonly.vm_classes.delete("best-effort-small")
        assert denied.value.error_type == "UNAUTHORIZED"
    finally:
        readonly.close()
