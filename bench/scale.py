"""The cost curve: ``terraform apply`` of N ``tkg_cluster`` next to ``kubectl apply`` + ``kubectl wait`` of the same
N Cluster objects, against one ``tkg-sim`` (a child process, simulated delays 0), for each N in one run.

Per N, in a fresh vSphere Namespace for each tool:

1. ``terraform apply`` of N clusters (``count = N``), timed from the command's start to its end (``terraform init``
   is not timed: it runs once per working directory, not per change);
2. a no-change ``terraform plan -detailed-exitcode`` (must exit 0), timed, ``PLAN_RUNS`` times;
3. ``kubectl apply -f`` of the same N Cluster objects (the specs the provider just sent, read back and stripped of
   what the server added) followed by ``kubectl wait --for=condition=Ready cluster --all``, timed together. kubectl
   gets a ready bearer token (``kubectl vsphere login`` is not timed either) and a warm discovery cache.

Around each command the simulator's request counters (``/_sim/requests``) are zeroed and read, which gives the API
requests per cluster and the logins; a sampler thread follows the provider processes Terraform starts (launches per
command, peak RSS from ``VmHWM``). Between two N the simulator is reset, so every N starts from the same state.
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import yaml

from tests.e2e import harness
from tkgsim import Simulator

SUPERVISOR_ID = "c9ad3f1a-6c0e-4a2b-9a64-0d1a7f0e5b21"
VSAN_POLICY = "aa6d5a82-1c88-45da-85d3-3d74b91a5bad"
STORAGE_CLASS = "vsan-default-storage-policy"
KUBERNETES_VERSION = "v1.30.8---vmware.1-fips-vkr.1"
CLUSTERS_PATH = "/apis/cluster.x-k8s.io/v1beta1/namespaces/{namespace}/clusters"
LOGIN_KEYS = ("POST /api/session", "POST /wcp/login")
COMMAND_TIMEOUT = 1800.0
PLAN_RUNS = 3  # no-change plans per working directory

CONFIG = """
terraform {{
  required_providers {{
    tkg = {{ source = "tkg-oss/tkg" }}
  }}
}}

provider "tkg" {{}}

resource "tkg_cluster" "bench" {{
  count              = {count}
  name               = "c-${{count.index}}"
  namespace          = "{namespace}"
  kubernetes_version = "{version}"
  vm_class           = "best-effort-small"
  storage_class      = "{storage_class}"

  node_pool {{
    name     = "np-a"
    replicas = 1
  }}
}}
"""


@dataclasses.dataclass
class Measured:
    """One timed command: wall seconds, the simulator's request counters while it ran, provider processes."""

    seconds: float
    requests: dict[str, int]
    provider_processes: int = 0
    provider_peak_rss_mib: float = 0.0
    samples: list[float] = dataclasses.field(default_factory=list)

    @property
    def total_requests(self) -> int:
        return sum(self.requests.values())

    @property
    def logins(self) -> int:
        return sum(self.requests.get(key, 0) for key in LOGIN_KEYS)

    def to_dict(self, clusters: int) -> dict[str, Any]:
        return {
            "seconds": round(self.seconds, 3),
            "samples_s": self.samples or [round(self.seconds, 3)],
            "requests_total": self.total_requests,
            "requests_per_cluster": round(self.total_requests / clusters, 2),
            "logins": self.logins,
            "provider_processes": self.provider_processes,
            "logins_per_provider_process": round(self.logins / self.provider_processes, 2)
            if self.provider_processes
            else None,
            "provider_peak_rss_mib": round(self.provider_peak_rss_mib, 1),
            "requests": self.requests,
        }


# --------------------------------------------------------------------------------------------------------------------
# Provider processes


class ProviderSampler:
    """Follows the children of one process that run the provider: how many, and their peak resident memory.

    Reads ``/proc`` every few milliseconds; ``VmHWM`` is the kernel's own high-water mark of a process's RSS, so a
    late sample still sees the peak. Linux only (elsewhere it counts nothing).
    """

    MARKER = b"terraform_provider_tkg"

    def __init__(self, parent: int, interval: float = 0.01) -> None:
        self.parent = parent
        self.interval = interval
        self.peaks: dict[int, int] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="provider-sampler", daemon=True)

    def __enter__(self) -> ProviderSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.is_set():
            self.sample()
            self._stop.wait(self.interval)

    def sample(self) -> None:
        try:
            pids = [int(name) for name in os.listdir("/proc") if name.isdigit()]
        except OSError:
            return
        for pid in pids:
            try:
                status = Path(f"/proc/{pid}/status").read_text()
                fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
                if int(fields["PPid"]) != self.parent:
                    continue
                if self.MARKER not in Path(f"/proc/{pid}/cmdline").read_bytes():
                    continue
                peak_kib = int(fields.get("VmHWM", "0 kB").split()[0])
            except (OSError, KeyError, ValueError):
                continue
            self.peaks[pid] = max(self.peaks.get(pid, 0), peak_kib)

    @property
    def peak_mib(self) -> float:
        return max(self.peaks.values(), default=0) / 1024


# --------------------------------------------------------------------------------------------------------------------
# The simulator


class Bench:
    """A running simulator plus clients for its admin, vCenter and Supervisor endpoints."""

    def __init__(self, sim: Any, root: Path) -> None:
        self.sim = sim
        self.root = root
        verify: Any = sim.ca_file or False
        auth = (sim.admin_user, sim.admin_password)
        self.admin = httpx.Client(base_url=sim.vcenter_url, verify=verify, timeout=60, auth=auth)
        self.vcenter = httpx.Client(base_url=sim.vcenter_url, verify=verify, timeout=60)
        self.vcenter.headers["vmware-api-session-id"] = self.vcenter.post("/api/session", auth=auth).json()
        self.supervisor = httpx.Client(base_url=sim.supervisor_url, verify=verify, timeout=60)
        token = self.supervisor.post("/wcp/login", auth=auth).json()["session_id"]
        self.supervisor.headers["Authorization"] = f"Bearer {token}"
        self.token = token

    def close(self) -> None:
        for client in (self.admin, self.vcenter, self.supervisor):
            client.close()

    def zero_requests(self) -> None:
        self.admin.delete("/_sim/requests").raise_for_status()

    def requests(self) -> dict[str, int]:
        response = self.admin.get("/_sim/requests")
        response.raise_for_status()
        return dict(response.json()["requests"])

    def reset(self) -> None:
        """Delete every namespace (and with them every cluster); wait until the Supervisor holds no Cluster."""
        self.admin.post("/_sim/reset").raise_for_status()
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            clusters = self.supervisor.get("/apis/cluster.x-k8s.io/v1beta1/clusters").json().get("items", [])
            if not clusters:
                return
            time.sleep(0.2)
        raise RuntimeError("the simulator still holds clusters after a reset")

    def create_namespace(self, name: str) -> None:
        """A vSphere Namespace ready for clusters (VM class and storage policy), mirrored on the Supervisor."""
        response = self.vcenter.post(
            "/api/vcenter/namespaces/instances/v2",
            json={
                "namespace": name,
                "supervisor": SUPERVISOR_ID,
                "vm_service_spec": {"vm_classes": ["best-effort-small"]},
                "storage_specs": [{"policy": VSAN_POLICY}],
            },
        )
        if response.status_code != 204:
            raise RuntimeError(f"creating namespace {name}: {response.status_code} {response.text}")
        deadline = time.monotonic() + 60
        classes = f"/apis/vmoperator.vmware.com/v1alpha2/namespaces/{name}/virtualmachineclasses"
        while time.monotonic() < deadline:
            if self.supervisor.get(f"/api/v1/namespaces/{name}").status_code == 200:
                listed = self.supervisor.get(classes)
                if listed.status_code == 200 and listed.json().get("items"):
                    return
            time.sleep(0.1)
        raise RuntimeError(f"namespace {name} never appeared on the Supervisor")

    def clusters(self, namespace: str) -> list[dict[str, Any]]:
        response = self.supervisor.get(CLUSTERS_PATH.format(namespace=namespace))
        response.raise_for_status()
        return list(response.json()["items"])

    def kubeconfig(self, path: Path, namespace: str) -> Path:
        config = {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [
                {
                    "name": "supervisor",
                    "cluster": {"server": self.sim.supervisor_url, "certificate-authority": self.sim.ca_file},
                }
            ],
            "users": [{"name": "admin", "user": {"token": self.token}}],
            "contexts": [
                {"name": "supervisor", "context": {"cluster": "supervisor", "user": "admin", "namespace": namespace}}
            ],
            "current-context": "supervisor",
        }
        path.write_text(json.dumps(config))
        return path


def manifests_like(clusters: list[dict[str, Any]], namespace: str) -> str:
    """The Cluster objects as a user would write them for kubectl: spec, name, namespace and the user's labels."""
    documents = []
    for obj in sorted(clusters, key=lambda o: o["metadata"]["name"]):
        metadata = obj["metadata"]
        manifest = {
            "apiVersion": obj["apiVersion"],
            "kind": obj["kind"],
            "metadata": {"name": metadata["name"], "namespace": namespace},
            "spec": obj["spec"],
        }
        manifest["spec"].pop("controlPlaneEndpoint", None)  # set by the controller, not by users
        documents.append(manifest)
    return yaml.safe_dump_all(documents, sort_keys=False)


# --------------------------------------------------------------------------------------------------------------------
# Timed commands


def timed(bench: Bench, argv: list[str], env: dict[str, str], cwd: Path, ok: tuple[int, ...] = (0,)) -> Measured:
    """Run ``argv``, timing it, with the request counters zeroed before and read after."""
    bench.zero_requests()
    start = time.perf_counter()
    process = subprocess.Popen(
        argv, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    with ProviderSampler(process.pid) as sampler:
        stdout, stderr = process.communicate(timeout=COMMAND_TIMEOUT)
    seconds = time.perf_counter() - start
    if process.returncode not in ok:
        raise RuntimeError(f"{' '.join(argv)} exited {process.returncode}\n{stdout}\n{stderr}")
    return Measured(seconds, bench.requests(), len(sampler.peaks), sampler.peak_mib)


def kubectl_apply_and_wait(
    bench: Bench, kubectl: str, workdir: Path, home: Path, namespace: str, manifests: str
) -> Measured:
    """``kubectl apply -f`` then ``kubectl wait --for=condition=Ready cluster --all``, timed together.

    ``home`` is shared by every kubectl run, and warmed once, so that kubectl works from its discovery cache
    (``~/.kube/cache``) as it does for a user who ran any kubectl command in the last hours.
    """
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / "clusters.yaml").write_text(manifests)
    kubeconfig = bench.kubeconfig(workdir / "kubeconfig", namespace)
    env = {**os.environ, "KUBECONFIG": str(kubeconfig), "HOME": str(home)}
    if not (home / ".kube" / "cache").exists():
        subprocess.run([kubectl, "api-resources"], env=env, cwd=workdir, capture_output=True, check=True, timeout=120)
    script = (
        f"{kubectl} apply -f clusters.yaml >/dev/null && "
        f"{kubectl} wait --for=condition=Ready cluster --all --timeout={int(COMMAND_TIMEOUT)}s >/dev/null"
    )
    return timed(bench, ["/bin/sh", "-c", script], env, workdir)


@dataclasses.dataclass
class Point:
    """Every measurement for one N."""

    clusters: int
    apply: Measured
    plan: Measured
    kubectl: Measured

    def to_dict(self) -> dict[str, Any]:
        return {
            "clusters": self.clusters,
            "terraform_apply": self.apply.to_dict(self.clusters),
            "terraform_plan_no_change": self.plan.to_dict(self.clusters),
            "kubectl_apply_wait": self.kubectl.to_dict(self.clusters),
            "apply_vs_kubectl": round(self.apply.seconds / self.kubectl.seconds, 3),
        }


@contextmanager
def simulator() -> Iterator[Any]:
    with Simulator.subprocess(delay_scale=0, extra_args=("--log-level", "WARNING")) as sim:
        yield sim


def repeats_for(count: int) -> int:
    """How often each command runs for ``count`` clusters (the median is kept): small N are short and noisy."""
    return 3 if count <= 10 else 1


def median_run(runs: list[Measured]) -> Measured:
    """The run with the median time, with every run's time attached."""
    ordered = sorted(runs, key=lambda m: m.seconds)
    chosen = ordered[(len(ordered) - 1) // 2]
    chosen.samples = [round(m.seconds, 3) for m in runs]
    return chosen


def run(
    counts: list[int], terraform: harness.TerraformBinary, *, repeats: int | None = None, progress: Any = print
) -> list[Point]:
    """Measure every N in ``counts`` against one simulator (each ``repeats`` times, default ``repeats_for(N)``)."""
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        raise RuntimeError("kubectl is not on PATH")
    points = []
    with tempfile.TemporaryDirectory(prefix="tkg-bench-scale-") as scratch, simulator() as sim:
        root = Path(scratch)
        mirror = harness.install_mirror(root)
        bench = Bench(sim, root)
        try:
            for count in counts:
                bench.reset()
                applies, plans, kubes = [], [], []
                for attempt in range(repeats or repeats_for(count)):
                    tf_namespace, kubectl_namespace = f"tf-{count}-{attempt}", f"kubectl-{count}-{attempt}"
                    bench.create_namespace(tf_namespace)
                    bench.create_namespace(kubectl_namespace)
                    tf = harness.Terraform(
                        terraform, root / tf_namespace, cli_config=mirror.cli_config, home=root / "home", env=sim.env()
                    )
                    tf.write(
                        CONFIG.format(
                            count=count, namespace=tf_namespace, version=KUBERNETES_VERSION, storage_class=STORAGE_CLASS
                        )
                    )
                    tf.init()
                    env, flags = tf.command_env(), ["-input=false", "-no-color"]
                    applies.append(timed(bench, [terraform.path, "apply", *flags, "-auto-approve"], env, tf.workdir))
                    # -detailed-exitcode: 0 only when nothing would change, else timed() raises. A plan changes
                    # nothing, so it is cheap to repeat: every N gets the median of several.
                    for _ in range(PLAN_RUNS):
                        plan_argv = [terraform.path, "plan", *flags, "-detailed-exitcode"]
                        plans.append(timed(bench, plan_argv, env, tf.workdir))
                    manifests = manifests_like(bench.clusters(tf_namespace), kubectl_namespace)
                    kubes.append(
                        kubectl_apply_and_wait(
                            bench,
                            kubectl,
                            root / kubectl_namespace,
                            root / "kubectl-home",
                            kubectl_namespace,
                            manifests,
                        )
                    )
                point = Point(count, median_run(applies), median_run(plans), median_run(kubes))
                points.append(point)
                progress(
                    f"  N={count:<4} terraform apply {point.apply.seconds:7.2f} s   kubectl apply+wait "
                    f"{point.kubectl.seconds:7.2f} s   ratio {point.apply.seconds / point.kubectl.seconds:5.2f}x   "
                    f"no-change plan {point.plan.seconds:6.2f} s   (medians of {len(applies)} and {len(plans)})"
                )
        finally:
            bench.close()
    return points
