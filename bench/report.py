"""``make bench``: start-up and the cost curve, side by side in one run; prints the table, writes JSON and a plot.

Everything is a ratio to something measured in the same run on the same machine (start-up to ``python3 -c pass`` and
``terraform version``; ``terraform apply`` to ``kubectl apply`` + ``kubectl wait``), because the machine is shared
and its speed varies from run to run; the milliseconds are recorded too, with the load average around the run.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from bench import scale, startup

FULL_COUNTS = (1, 10, 30, 100)
QUICK_COUNTS = (1, 10)
QUICK_ENV = "TKG_BENCH_QUICK"
HERE = Path(__file__).resolve().parent

# The targets, as ratios measured in one run.
STARTUP_VS_PYTHON_MAX = 7.0
APPLY_VS_KUBECTL_MAX = {1: 2.5, 30: 1.1, 100: 0.8}


def _load() -> list[float] | None:
    return [round(x, 2) for x in os.getloadavg()] if hasattr(os, "getloadavg") else None


def _version(argv: list[str]) -> str:
    try:
        return subprocess.run(argv, capture_output=True, text=True, timeout=30, check=False).stdout.strip()
    except OSError:
        return ""


def startup_summary(series: dict[str, startup.Series], launches: int) -> dict[str, Any]:
    """Medians and ratios of the start-up series."""
    out: dict[str, Any] = {"launches": launches, "series": {}}
    for key, item in series.items():
        out["series"][key] = {
            "name": item.name,
            "median_ms": round(item.median, 1),
            "min_ms": round(min(item.samples), 1),
            "p90_ms": round(item.quantile(0.9), 1),
            "samples_ms": [round(x, 2) for x in item.samples],
        }
    handshake, answer, python = series["handshake"].median, series["answer"].median, series["python"].median
    ratios = {"handshake_vs_python": handshake / python, "answer_vs_python": answer / python}
    if "terraform" in series:
        ratios["handshake_vs_terraform_version"] = handshake / series["terraform"].median
        ratios["answer_vs_terraform_version"] = answer / series["terraform"].median
    out["ratios"] = {key: round(value, 2) for key, value in ratios.items()}
    return out


def plan_growth(points: list[scale.Point]) -> dict[str, Any]:
    """Milliseconds a no-change plan adds per cluster, between consecutive N and as a least-squares line."""
    segments = [
        {
            "from": a.clusters,
            "to": b.clusters,
            "ms_per_added_cluster": round((b.plan.seconds - a.plan.seconds) * 1000 / (b.clusters - a.clusters), 2),
        }
        for a, b in itertools.pairwise(points)
    ]
    out: dict[str, Any] = {"segments": segments}
    if len(points) >= 2:
        xs = [float(p.clusters) for p in points]
        ys = [p.plan.seconds for p in points]
        mean_x, mean_y = sum(xs) / len(xs), sum(ys) / len(ys)
        sxx = sum((x - mean_x) ** 2 for x in xs)
        slope = sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True)) / sxx
        intercept = mean_y - slope * mean_x
        total = sum((y - mean_y) ** 2 for y in ys)
        residual = sum((y - (intercept + slope * x)) ** 2 for x, y in zip(xs, ys, strict=True))
        out["linear_fit"] = {
            "intercept_s": round(intercept, 3),
            "ms_per_cluster": round(slope * 1000, 2),
            "r_squared": round(1 - residual / total, 4) if total > 0 else 1.0,
        }
    return out


def targets(summary: dict[str, Any], points: list[scale.Point]) -> list[dict[str, Any]]:
    """Each target of the issue with the value measured in this run."""
    found = [
        {
            "target": f"start-up (start → handshake) ≤ {STARTUP_VS_PYTHON_MAX:g}x python3 -c pass",
            "value": summary["ratios"]["handshake_vs_python"],
            "limit": STARTUP_VS_PYTHON_MAX,
        }
    ]
    by_count = {p.clusters: p for p in points}
    for count, limit in APPLY_VS_KUBECTL_MAX.items():
        if count in by_count:
            point = by_count[count]
            found.append(
                {
                    "target": f"apply of {count} cluster{'s' if count > 1 else ''} ≤ {limit:g}x kubectl apply + wait",
                    "value": round(point.apply.seconds / point.kubectl.seconds, 2),
                    "limit": limit,
                }
            )
    for item in found:
        item["met"] = item["value"] <= item["limit"]
    return found


def table(result: dict[str, Any]) -> str:
    """The side-by-side table printed at the end of a run."""
    points = result["scale"]
    lines = ["", "Apply of N tkg_cluster vs kubectl apply + kubectl wait (same simulator, delay 0), one run:", ""]
    header = (
        f"  {'N':>4}  {'terraform apply':>15}  {'kubectl apply+wait':>18}  {'ratio':>6}  {'no-change plan':>14}"
        f"  {'req/cluster apply':>17}  {'plan':>5}  {'kubectl':>7}  {'logins apply/plan':>17}  {'provider RSS':>12}"
    )
    lines += [header, "  " + "-" * (len(header) - 2)]
    for p in points:
        apply, plan, kube = p["terraform_apply"], p["terraform_plan_no_change"], p["kubectl_apply_wait"]
        logins = f"{apply['logins']}/{apply['provider_processes']} {plan['logins']}/{plan['provider_processes']}"
        lines.append(
            f"  {p['clusters']:>4}  {apply['seconds']:>13.2f} s  {kube['seconds']:>16.2f} s"
            f"  {p['apply_vs_kubectl']:>5.2f}x  {plan['seconds']:>12.2f} s  {apply['requests_per_cluster']:>17.1f}"
            f"  {plan['requests_per_cluster']:>5.1f}  {kube['requests_per_cluster']:>7.1f}  {logins:>17}"
            f"  {apply['provider_peak_rss_mib']:>8.1f} MiB"
        )
    lines.append("  (logins apply/plan: logins / provider processes Terraform started for that command)")
    growth = result["plan_growth"]
    if growth.get("segments"):
        per = ", ".join(f"{s['from']}→{s['to']}: {s['ms_per_added_cluster']:.1f}" for s in growth["segments"])
        lines.append(f"  No-change plan, milliseconds per added cluster: {per}")
    if "linear_fit" in growth:
        fit = growth["linear_fit"]
        lines.append(
            f"  Least-squares line: {fit['intercept_s']:.2f} s + {fit['ms_per_cluster']:.1f} ms x N "
            f"(R² {fit['r_squared']:.3f})"
        )
    lines += ["", "Targets (ratios from this run):"]
    for item in result["targets"]:
        lines.append(f"  {'met   ' if item['met'] else 'MISSED'}  {item['target']}: {item['value']:.2f}x")
    machine = result["machine"]
    lines.append("")
    lines.append(
        f"Load average (1, 5, 15 min) at the start: {machine['load_average_start']}, at the end: "
        f"{machine['load_average_end']}, on {machine['cpus']} cores."
    )
    return "\n".join(lines)


def plot(result: dict[str, Any], path: Path) -> None:
    """Time vs N for both tools (and the no-change plan), log-log."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    points = result["scale"]
    counts = [p["clusters"] for p in points]
    figure, axes = plt.subplots(figsize=(7, 4.5), dpi=120)
    axes.plot(counts, [p["terraform_apply"]["seconds"] for p in points], "o-", label="terraform apply (tkg_cluster)")
    axes.plot(counts, [p["kubectl_apply_wait"]["seconds"] for p in points], "s-", label="kubectl apply + kubectl wait")
    plans = [p["terraform_plan_no_change"]["seconds"] for p in points]
    axes.plot(counts, plans, "^--", label="terraform plan, no change")
    axes.set_xscale("log")
    axes.set_yscale("log")
    axes.set_xticks(counts, [str(c) for c in counts])
    axes.set_xlabel("clusters (N), one namespace")
    axes.set_ylabel("wall time (s)")
    load = result["machine"]["load_average_start"]
    axes.set_title(f"tkg-sim, delay 0, {result['machine']['cpus']} cores, load {load[0] if load else '?'}")
    axes.grid(True, which="both", alpha=0.3)
    axes.legend()
    figure.tight_layout()
    figure.savefig(path)
    plt.close(figure)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument(
        "--quick",
        action="store_true",
        default=os.environ.get(QUICK_ENV, "") not in ("", "0"),
        help=f"N = {', '.join(map(str, QUICK_COUNTS))} and fewer launches, to iterate (also {QUICK_ENV}=1)",
    )
    parser.add_argument("--counts", help="comma-separated N to measure (overrides --quick's and the full set)")
    parser.add_argument("--launches", type=int, help="start-up launches per command (default 25; 8 with --quick)")
    parser.add_argument("--repeats", type=int, help="runs per N and tool, median kept (default 3 for N <= 10, else 1)")
    parser.add_argument("--out", type=Path, default=HERE / "results.json", help="JSON results (default bench/)")
    parser.add_argument("--plot", type=Path, default=HERE / "results.png", help="PNG plot (default bench/)")
    parser.add_argument("--no-plot", action="store_true", help="skip the plot (no matplotlib needed)")
    options = parser.parse_args(argv)
    counts = [int(x) for x in options.counts.split(",")] if options.counts else None
    counts = counts or list(QUICK_COUNTS if options.quick else FULL_COUNTS)
    launches = options.launches or (8 if options.quick else 25)
    if launches < 1 or any(c < 1 for c in counts) or (options.repeats is not None and options.repeats < 1):
        parser.error("--launches, --repeats and every N must be at least 1")

    from tests.e2e import harness

    terraforms = harness.discover_terraforms()
    if not terraforms:
        print("bench: no terraform found", file=sys.stderr)
        return 2
    terraform = terraforms[0]
    load_start = _load()
    started = time.time()
    print(f"Start-up, {launches} launches of each command, interleaved …", flush=True)
    series = startup.run(launches)
    print(startup.report(series, launches, load_start[0] if load_start else None), flush=True)
    print(f"\nCost curve, N = {', '.join(map(str, counts))} (terraform {terraform.version}) …", flush=True)
    points = scale.run(counts, terraform, repeats=options.repeats, progress=lambda line: print(line, flush=True))

    summary = startup_summary(series, launches)
    result: dict[str, Any] = {
        "quick": options.quick,
        "started_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(started)),
        "duration_s": 0.0,
        "machine": {
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
            "python": sys.version.split()[0],
            "terraform": terraform.version,
            "kubectl": _version([shutil.which("kubectl") or "kubectl", "version", "--client", "-o", "json"]),
            "load_average_start": load_start,
            "load_average_end": None,
        },
        "startup": summary,
        "scale": [p.to_dict() for p in points],
        "plan_growth": plan_growth(points),
    }
    result["targets"] = targets(summary, points)
    result["machine"]["load_average_end"] = _load()
    result["duration_s"] = round(time.time() - started, 1)
    try:
        result["machine"]["kubectl"] = json.loads(result["machine"]["kubectl"])["clientVersion"]["gitVersion"]
    except (ValueError, KeyError, TypeError):
        pass
    print(table(result))
    options.out.parent.mkdir(parents=True, exist_ok=True)
    options.out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"\nWrote {options.out}", end="")
    if not options.no_plot:
        plot(result, options.plot)
        print(f" and {options.plot}", end="")
    print()
    return 0
