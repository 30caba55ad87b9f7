"""tkg_supervisor_namespace and the vCenter data sources end to end: real Terraform (each version the harness finds)
against an in-process tkg-sim (delay_scale 0) whose seed adds duplicate names for the many-match lookups.

- lifecycle: create (found through the data sources) → no-op plan → in-place update emptying ``vm_classes``, removing a
  storage policy and unsetting a limit → replacement on ``name`` → import into a fresh state (``import {}`` block on
  Terraform ≥ 1.5, the CLI before) with a clean plan → drift by REST PATCH → out-of-band delete → ``force_delete``
  refusal with a TKG cluster inside, then force deletion → nothing left (admin snapshot);
- validation: 17 invalid configurations rejected at plan time with their attribute paths, no write reaching vCenter;
- data sources: every lookup found, and no-match / many-match errors naming what was searched and what exists.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import httpx
import pytest

from terraform_provider_tkg.api import errors
from terraform_provider_tkg.api.vcenter import VcenterClient
from tests import certs
from tests.contract._supervisor_fixtures import cluster_manifest, login
from tkgsim import Simulator
from tkgsim.model import default_model

from . import _cluster_fixtures as cluster_fixtures
from . import _vcenter_fixtures as fx
from .conftest import MakeTerraform
from .harness import error_diagnostics


@pytest.fixture(scope="module")
def sim() -> Iterator[Simulator]:
    model = default_model()
    seed = {
        "storage_policies": [
            *model["storage_policies"],
            {"policy": "dup-1", "name": "twin-policy", "description": ""},
            {"policy": "dup-2", "name": "twin-policy", "description": ""},
        ],
        "content_libraries": [
            *model["content_libraries"],
            {"id": "11111111-0000-4000-8000-000000000001", "name": "twin-lib", "type": "LOCAL"},
            {"id": "11111111-0000-4000-8000-000000000002", "name": "twin-lib", "type": "LOCAL"},
        ],
    }
    with Simulator(delay_scale=0, seed=seed) as simulator:
        yield simulator


def test_supervisor_namespace_lifecycle(sim: Simulator, make_tf: MakeTerraform) -> None:
    with fx.api_client(sim) as client:
        lifecycle(sim, make_tf, client)


def lifecycle(sim: Simulator, make_tf: MakeTerraform, client: VcenterClient) -> None:
    tf = make_tf(env=sim.env())
    name = f"{fx.prefix(tf.version)}-team"

    # create, with ids found through the data sources
    tf.write(config_namespace(name, full=True))
    tf.init()
    tf.apply()
    info = client.get_namespace(name)
    assert info.config_status == "RUNNING" and info.supervisor == fx.SUPERVISOR_ID
    assert info.vm_service_spec is not None
    assert sorted(info.vm_service_spec.vm_classes or []) == ["best-effort-medium", "best-effort-small"]
    assert fx.VM_IMAGES in (info.vm_service_spec.content_libraries or [])
    assert {(s.policy, s.limit) for s in info.storage_specs} == {(fx.GOLD, 10240), (fx.VSAN, None)}
    assert info.resource_spec is not None
    assert (info.resource_spec.cpu_limit, info.resource_spec.memory_limit) == (20000, 65536)
    assert [(a.subject, a.role) for a in info.access_list] == [("devs", "EDIT")]
    state = tf.resource("tkg_supervisor_namespace.this")
    assert state is not None and state["config_status"] == "RUNNING" and state["force_delete"] is False
    # The Supervisor's names (its ResourceQuota), late-binding twins included.
    assert state["storage_classes"] == [
        "tkg-gold",
        "tkg-gold-latebinding",
        "vsan-default-storage-policy",
        "vsan-default-storage-policy-latebinding",
    ]
    assert tf.plan().rc == 0

    # in-place update: empty the class set, drop a storage policy, unset the memory limit, change the description
    tf.write(config_namespace(name, full=False))
    plan = tf.plan()
    assert plan.rc == 2 and "updated in-place" in plan.stdout and "must be replaced" not in plan.stdout
    tf.apply()
    info = client.get_namespace(name)
    assert info.vm_service_spec is not None and info.vm_service_spec.vm_classes == []
    assert [(s.policy, s.limit) for s in info.storage_specs] == [(fx.VSAN, None)]
    assert info.resource_spec is not None
    assert (info.resource_spec.cpu_limit, info.resource_spec.memory_limit) == (20000, None)
    assert info.description == "updated"
    state = tf.resource("tkg_supervisor_namespace.this")
    assert (
        state is not None
        and state["vm_classes"] == []
        and state["storage_classes"] == ["vsan-default-storage-policy", "vsan-default-storage-policy-latebinding"]
    )
    assert tf.plan().rc == 0

    # replacement on name
    renamed = f"{name}-b"
    tf.write(config_namespace(renamed, full=False))
    plan = tf.plan()
    assert "must be replaced" in plan.stdout and "forces replacement" in plan.stdout
    tf.apply()
    with pytest.raises(errors.NotFound):
        client.get_namespace(name)
    assert client.get_namespace(renamed).config_status == "RUNNING"

    # import into a fresh state: import {} block where Terraform has it, the CLI before; then a clean plan
    fresh = make_tf(env=sim.env(), name="imported")
    hcl = config_namespace(renamed, full=False)
    if tf.binary.at_least(1, 5):
        fresh.write(hcl + f'\nimport {{\n  to = tkg_supervisor_namespace.this\n  id = "{renamed}"\n}}\n')
        fresh.init()
        plan = fresh.plan()
        assert "1 to import" in plan.stdout and "0 to add, 0 to change, 0 to destroy" in plan.stdout
        fresh.apply()
    else:
        fresh.write(hcl)
        fresh.init()
        fresh.import_("tkg_supervisor_namespace.this", renamed)
    assert fresh.plan().rc == 0
    fresh.run("state", "rm", "tkg_supervisor_namespace.this")

    # drift by REST PATCH → plan exit 2 → apply restores
    with fx.rest(sim) as rest:
        rest.patch(f"/api/vcenter/namespaces/instances/{renamed}", json={"description": "changed by hand"})
        plan = tf.plan()
        assert plan.rc == 2 and "changed by hand" in plan.stdout
        tf.apply()
        assert client.get_namespace(renamed).description == "updated"
        # deleted out of band → planned for creation, no error
        rest.delete(f"/api/vcenter/namespaces/instances/{renamed}")
    plan = tf.plan()
    assert plan.rc == 2 and "will be created" in plan.stdout
    assert "The namespace was deleted outside Terraform" in " ".join((plan.stdout + plan.stderr).split())
    tf.apply()
    assert client.get_namespace(renamed).config_status == "RUNNING"

    # force_delete: refused while a TKG cluster lives in the namespace, then done by the provider when asked
    tf.write(config_namespace(renamed, full=False, classes='["best-effort-small"]'))
    tf.apply()
    create_cluster(sim, renamed, f"{fx.prefix(tf.version)}-tkc")
    run = tf.run("destroy", "-input=false", "-no-color", "-auto-approve", ok=(1,))
    text = run.stdout + run.stderr
    assert f"deleting tkg_supervisor_namespace ({renamed})" in text
    assert f"{fx.prefix(tf.version)}-tkc" in text and "force_delete" in text
    assert client.get_namespace(renamed).config_status == "RUNNING"
    tf.write(config_namespace(renamed, full=False, classes='["best-effort-small"]', force_delete=True))
    tf.apply()
    tf.destroy()
    with pytest.raises(errors.NotFound):
        client.get_namespace(renamed)
    snap = fx.snapshot(sim)
    assert not [n for n in snap["vcenter"]["namespaces"] if n.startswith(fx.prefix(tf.version))]


def test_supervisor_namespace_validation(sim: Simulator, make_tf: MakeTerraform) -> None:
    tf = make_tf(env=sim.env())
    tf.write(fx.PROLOGUE + "\n".join(hcl for hcl, _ in INVALID))
    tf.init()
    with fx.record_writes() as recorder:
        run = tf.run("plan", "-input=false", "-no-color", "-json", ok=(1,))
    errors = error_diagnostics(run.stdout)
    # each case rejected by its own diagnostic (in its resource block, saying what is wrong) ...
    for _hcl, (address, expected) in INVALID:
        kind, label = address.split(".")
        mine = [d for d in errors if (d.get("snippet") or {}).get("context") == f'resource "{kind}" "{label}"']
        assert any(expected in d["summary"] + " " + d["detail"] for d in mine), f"{address}: {expected!r} in {mine}"
    # ... and the provider reported one error per case, nothing else (counted from its output, not this file)
    assert len(errors) == len(INVALID), json.dumps(errors, indent=1)[:4000]
    assert recorder.writes == []


def test_supervisor_namespace_data_sources(sim: Simulator, make_tf: MakeTerraform) -> None:
    tf = make_tf(env=sim.env())
    tf.write(fx.PROLOGUE + DATA_FOUND)
    tf.init()
    tf.apply()
    outputs = {name: tf.output(name) for name in ("sv", "sv_by_cluster", "policy", "library")}
    assert outputs["sv"] == outputs["sv_by_cluster"]
    assert outputs["sv"]["id"] == fx.SUPERVISOR_ID and outputs["sv"]["cluster"] == "Cluster-1"
    assert outputs["sv"]["config_status"] == "RUNNING" and outputs["sv"]["api_endpoint"]
    assert outputs["policy"] == {"id": fx.GOLD, "description": "Gold tier for Tanzu Kubernetes Grid workloads"}
    assert outputs["library"] == {"id": fx.VM_IMAGES, "type": "LOCAL"}

    tf.write(fx.PROLOGUE + DATA_ERRORS)
    run = tf.run("plan", "-input=false", "-no-color", ok=(1,))
    text = " ".join((run.stdout + run.stderr).split())
    for expected in (
        "no Supervisor matches name 'nope'",
        "no Supervisor matches cluster 'Cluster-9'",
        "no storage policy matches name 'nope'",
        "'tkg-gold'",
        "2 storage policies match name 'twin-policy'",
        "dup-1",
        "no content library matches name 'nope'",
        "'vm-images'",
        "2 content libraries match name 'twin-lib'",
    ):
        assert expected in text, f"{expected!r} missing:\n{text}"


def test_supervisor_namespace_data_sources_sharing_resource_names(sim: Simulator, make_tf: MakeTerraform) -> None:
    tf = make_tf(env=sim.env())
    namespace = "ds-" + tf.version.replace(".", "-")
    cluster_fixtures.create_namespace(sim, namespace, vm_classes=("best-effort-small",))
    lookup = f'data "tkg_supervisor_namespace" "found" {{\n  name = "{namespace}"\n}}\n'
    lookup += 'output "namespace" {\n  value = data.tkg_supervisor_namespace.found\n}\n'
    tf.write(fx.PROLOGUE + DATA_SHARED_NAMES + lookup)
    tf.init()
    tf.apply()
    small = tf.output("vm_class")
    assert small["cpu_count"] == 2 and small["memory_mib"] == 4096 and small["cpu_reservation_percent"] == 0
    found = tf.output("namespace")
    assert found["id"] == namespace and found["vm_classes"] == ["best-effort-small"]
    assert found["config_status"] == "RUNNING"
    missing_namespace = 'data "tkg_supervisor_namespace" "none" {\n  name = "nope"\n}\n'
    tf.write(fx.PROLOGUE + DATA_SHARED_NAMES.replace("best-effort-small", "nope") + missing_namespace)
    run = tf.run("plan", "-input=false", "-no-color", ok=(1,))
    text = " ".join((run.stdout + run.stderr).split())
    assert "no VM class matches name 'nope'" in text and "'best-effort-small'" in text
    assert "no namespace matches name 'nope'" in text


# ---- helpers -----------------------------------------------------------------------------------------------------


def create_cluster(sim: Simulator, namespace: str, name: str) -> None:
    """A TKG cluster in the namespace, created through the Supervisor's Kubernetes API (as kubectl would)."""
    token = login(sim, sim.admin_user, sim.admin_password)
    manifest = cluster_manifest(name, namespace)
    path = f"/apis/cluster.x-k8s.io/v1beta1/namespaces/{namespace}/clusters"
    deadline = time.monotonic() + 20
    with httpx.Client(base_url=sim.supervisor_url, verify=certs.verify(sim.ca_file), timeout=30) as http:
        while True:
            response = http.post(path, json=manifest, headers={"Authorization": f"Bearer {token}"})
            if response.status_code == 201:
                return
            assert time.monotonic() < deadline, response.text  # the namespace mirror may lag the vCenter create
            time.sleep(0.2)


# ---- HCL builders ------------------------------------------------------------------------------------------------


def config_namespace(name: str, *, full: bool, force_delete: bool = False, classes: str = "[]") -> str:
    data = """
data "tkg_supervisor" "sv" {
  name = "supervisor-1"
}

data "tkg_storage_policy" "gold" {
  name = "tkg-gold"
}

data "tkg_storage_policy" "vsan" {
  name = "vSAN Default Storage Policy"
}

data "tkg_content_library" "images" {
  name = "vm-images"
}
"""
    if full:
        body = """
  description       = "Team A"
  vm_classes        = ["best-effort-small", "best-effort-medium"]
  content_libraries = [data.tkg_content_library.images.id]

  storage_policy {
    policy    = data.tkg_storage_policy.gold.id
    limit_mib = 10240
  }

  limits {
    cpu_mhz    = 20000
    memory_mib = 65536
  }
"""
    else:
        body = """
  description       = "updated"
  vm_classes        = CLASSES
  content_libraries = [data.tkg_content_library.images.id]

  limits {
    cpu_mhz = 20000
  }
"""
    body = body.replace("CLASSES", classes)
    extra = "  force_delete = true\n" if force_delete else ""
    return (
        fx.PROLOGUE
        + data
        + f"""
resource "tkg_supervisor_namespace" "this" {{
  name       = "{name}"
  supervisor = data.tkg_supervisor.sv.id
{extra}{body}
  storage_policy {{
    policy = data.tkg_storage_policy.vsan.id
  }}

  access {{
    subject      = "devs"
    subject_type = "GROUP"
    domain       = "vsphere.local"
    role         = "EDIT"
  }}
}}
"""
    )


def _invalid(kind: str, label: str, body: str, expected: str) -> tuple[str, tuple[str, str]]:
    return f'resource "{kind}" "{label}" {{\n{body}\n}}\n', (f"{kind}.{label}", expected)


NS = "tkg_supervisor_namespace"
VC = "tkg_vm_class"
_VC_OK = "  cpu_count = 2\n  memory_mib = 1024"
_NS_OK = '  supervisor = "sv"'
INVALID: list[tuple[str, tuple[str, str]]] = [
    _invalid(VC, "bad_name", f'  name = "Bad_Name"\n{_VC_OK}', "DNS-1123 label"),
    _invalid(VC, "long_name", f'  name = "{"x" * 64}"\n{_VC_OK}', "DNS-1123 label"),
    _invalid(VC, "zero_cpu", '  name = "a"\n  cpu_count = 0\n  memory_mib = 1', "must be at least 1"),
    _invalid(VC, "frac_cpu", '  name = "a"\n  cpu_count = 1.5\n  memory_mib = 1', "not a whole number"),
    _invalid(VC, "zero_mem", '  name = "a"\n  cpu_count = 1\n  memory_mib = 0', "must be at least 1"),
    _invalid(VC, "cpu_res", f'  name = "a"\n{_VC_OK}\n  cpu_reservation_percent = 101', "between 0 and 100"),
    _invalid(VC, "json", f'  name = "a"\n{_VC_OK}\n  config_spec_json = "[1]"', "must be a JSON object"),
    _invalid(
        VC,
        "gpu_mem",
        f'  name = "a"\n{_VC_OK}\n  vgpu_profiles = ["grid"]\n  memory_reservation_percent = 50',
        "memory_reservation_percent must be 100",
    ),
    _invalid(
        VC,
        "pci",
        f'  name = "a"\n{_VC_OK}\n  memory_reservation_percent = 100\n'
        "  dynamic_direct_path_io_device {\n    vendor_id = 70000\n    device_id = 1\n  }",
        "between 0 and 65535",
    ),
    _invalid(
        VC,
        "volumes",
        f'  name = "a"\n{_VC_OK}\n  instance_storage {{\n    storage_policy = "p"\n    volume_sizes_mib = []\n  }}',
        "length 0 is not allowed",
    ),
    _invalid(NS, "bad_name", f'  name = "Team_A"\n{_NS_OK}', "DNS-1123 label"),
    _invalid(NS, "bad_class", f'  name = "a"\n{_NS_OK}\n  vm_classes = ["Not A Class"]', "DNS-1123 label"),
    _invalid(
        NS,
        "cpu_limit",
        f'  name = "a"\n{_NS_OK}\n  limits {{\n    cpu_mhz = 5\n  }}',
        "must be at least 10",
    ),
    _invalid(
        NS,
        "neg_limit",
        f'  name = "a"\n{_NS_OK}\n  storage_policy {{\n    policy = "p"\n    limit_mib = -1\n  }}',
        "must be at least 0",
    ),
    _invalid(
        NS,
        "role",
        f'  name = "a"\n{_NS_OK}\n  access {{\n    subject = "x"\n    subject_type = "USER"\n    domain = "d"\n'
        '    role = "ADMIN"\n  }',
        "'ADMIN' is not allowed",
    ),
    _invalid(
        NS,
        "subject_type",
        f'  name = "a"\n{_NS_OK}\n  access {{\n    subject = "x"\n    subject_type = "ROBOT"\n    domain = "d"\n'
        '    role = "VIEW"\n  }',
        "'ROBOT' is not allowed",
    ),
    _invalid(
        NS,
        "dup_policy",
        f'  name = "a"\n{_NS_OK}\n  storage_policy {{\n    policy = "p"\n    limit_mib = 1\n  }}\n'
        '  storage_policy {\n    policy = "p"\n    limit_mib = 2\n  }',
        "listed twice",
    ),
    _invalid(NS, "timeout", f'  name = "a"\n{_NS_OK}\n  timeouts {{\n    create = "soon"\n  }}', "is not a duration"),
]

DATA_FOUND = """
data "tkg_supervisor" "sv" {
  name = "supervisor-1"
}

data "tkg_supervisor" "by_cluster" {
  cluster = "Cluster-1"
}

data "tkg_storage_policy" "gold" {
  name = "tkg-gold"
}

data "tkg_content_library" "images" {
  name = "vm-images"
}

output "sv" {
  value = data.tkg_supervisor.sv
}

output "sv_by_cluster" {
  value = data.tkg_supervisor.by_cluster
}

output "policy" {
  value = { id = data.tkg_storage_policy.gold.id, description = data.tkg_storage_policy.gold.description }
}

output "library" {
  value = { id = data.tkg_content_library.images.id, type = data.tkg_content_library.images.type }
}

"""

DATA_ERRORS = """
data "tkg_supervisor" "none" {
  name = "nope"
}

data "tkg_supervisor" "no_cluster" {
  cluster = "Cluster-9"
}

data "tkg_storage_policy" "none" {
  name = "nope"
}

data "tkg_storage_policy" "many" {
  name = "twin-policy"
}

data "tkg_content_library" "none" {
  name = "nope"
}

data "tkg_content_library" "many" {
  name = "twin-lib"
}
"""


DATA_SHARED_NAMES = """
data "tkg_vm_class" "small" {
  name = "best-effort-small"
}

output "vm_class" {
  value = data.tkg_vm_class.small
}
"""
