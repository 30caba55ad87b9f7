"""``make bench`` in quick mode runs end to end and writes its JSON; the request counts it reports show the provider
reads a namespace's inventory once per process whatever the number of clusters (no N+1) and logs in once per process.

Timings are only recorded, never asserted: this checks what the benchmark reports about behaviour.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from .harness import REPO_ROOT

# Each cluster's own objects: the Cluster, its Secrets and MachineDeployments, and its ClusterBootstrap (the CNI).
PER_CLUSTER = (
    "/clusters/{name}",
    "/secrets/{name}",
    "/machinedeployments",
    "/clusterbootstraps/{name}",
    "POST /apis/cluster.x-k8s.io",
)


def _inventory(requests: dict[str, int]) -> dict[str, int]:
    """Requests not about one particular cluster: the namespace's inventory, releases, logins."""
    return {key: n for key, n in requests.items() if not any(part in key for part in PER_CLUSTER)}


def test_quick_bench_writes_results_and_shows_no_n_plus_one(tmp_path: Path) -> None:
    out = tmp_path / "results.json"
    quick = ["--quick", "--counts", "1,3", "--repeats", "1", "--launches", "2", "--no-plot", "--out", str(out)]
    done = subprocess.run(
        [sys.executable, "-m", "bench", *quick],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "kubectl apply + kubectl wait" in done.stdout
    result: dict[str, Any] = json.loads(out.read_text())

    assert result["quick"] is True
    assert set(result["startup"]["ratios"]) >= {"handshake_vs_python", "answer_vs_python"}
    assert [p["clusters"] for p in result["scale"]] == [1, 3]
    assert {t["target"].split(" ≤")[0] for t in result["targets"]} == {
        "start-up (start → handshake)",
        "apply of 1 cluster",
    }
    one, three = result["scale"]
    for kind in ("terraform_apply", "terraform_plan_no_change"):
        # The inventory is read as often for three clusters as for one.
        assert _inventory(three[kind]["requests"]) == _inventory(one[kind]["requests"]), kind
        for point in (one, three):
            measured = point[kind]
            assert measured["provider_processes"] >= 1 and measured["provider_peak_rss_mib"] > 0
            # At most one login per provider process (only the processes that call the API log in at all).
            assert 1 <= measured["logins"] <= measured["provider_processes"]
    # A no-change plan reads each cluster exactly once, with its kubeconfig Secret and its ClusterBootstrap (the CNI
    # that runs), nothing else per cluster.
    for point in (one, three):
        requests = point["terraform_plan_no_change"]["requests"]
        n = point["clusters"]
        assert requests["GET /apis/cluster.x-k8s.io/v1beta1/namespaces/{namespace}/clusters/{name}"] == n
        assert sum(count for key, count in requests.items() if key not in _inventory(requests)) == 3 * n
    # kubectl really created and waited for the same clusters.
    assert (
        three["kubectl_apply_wait"]["requests"]["POST /apis/cluster.x-k8s.io/v1beta1/namespaces/{namespace}/clusters"]
        == 3
    )
