"""``make soak``: the quickstart in rounds of apply → no-op plan → destroy on a faulty tkg-sim, plus kill -9 rounds.

Every round runs ``examples/quickstart`` (VM class, vSphere Namespace, three-pool TKG cluster, data sources) with real
Terraform against an in-process simulator that fails ``--error-rate`` of all requests (503, 429 with Retry-After, or a
connection reset, drawn evenly) and expires session tokens after ``--token-ttl`` seconds. Every ``--kill-every``-th
round kills the ``terraform apply`` process group with SIGKILL just after the create of one of the three resources
(each in turn) reached the server (0-0.5 s later, so before or after its answer), and then runs ``terraform apply``
again in the same directory, which must converge on its own.

Counted per run, and printed as a table:

- commands that needed a re-run: a command that failed (or a plan that was not a no-op) and was run again; the
  target is none. A command is tried at most ``MAX_ATTEMPTS`` times, then the soak stops with its output;
- faults injected: the simulator's own counters (503 / 429 / reset);
- duplicates: objects beyond the quickstart's one VM class, one namespace and one cluster after an apply;
- orphans: objects the quickstart made that are still there after its destroy.

``--record`` replaces the figures between the ``soak`` markers of ``docs/reliability.md``. A soak is a benchmark, not a
test (wall-clock time varies with the machine); ``tests/e2e/test_soak.py`` runs a two-round version.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import functools
import os
import random
import shutil
import signal
import ssl
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
QUICKSTART = ROOT / "examples" / "quickstart"
RELIABILITY_DOC = ROOT / "docs" / "reliability.md"
BEGIN, END = "<!-- soak:begin -->", "<!-- soak:end -->"
MAX_ATTEMPTS = 3
FAULT_KINDS = ("503", "429", "reset")

# What the quickstart makes (see examples/quickstart/main.tf).
VM_CLASS = "quickstart-worker"
NAMESPACE = "quickstart"
CLUSTERS = "clusters.cluster.x-k8s.io"


class SoakFailure(RuntimeError):
    """A command still failed after ``MAX_ATTEMPTS`` tries."""


@dataclasses.dataclass
class Figures:
    """What one soak measured."""

    rounds: int = 0
    kill_rounds: int = 0
    commands: int = 0
    reruns: int = 0
    unclean_plans: int = 0
    unrecorded: int = 0
    duplicates: int = 0
    orphans: int = 0
    faults: dict[str, int] = dataclasses.field(default_factory=lambda: dict.fromkeys(FAULT_KINDS, 0))
    seconds: float = 0.0
    error_rate: float = 0.0
    token_ttl: float | None = None
    terraform: str = ""
    rerun_log: list[str] = dataclasses.field(default_factory=list)

    @property
    def faults_total(self) -> int:
        return sum(self.faults.values())


def table(fig: Figures) -> str:
    """The figures as a Markdown table."""
    faults = ", ".join(f"{fig.faults[k]} {k}" for k in FAULT_KINDS)
    rows = [
        ("rounds (apply → plan → destroy)", str(fig.rounds)),
        ("of which kill -9 rounds", str(fig.kill_rounds)),
        ("objects made but not in state after a kill", str(fig.unrecorded)),
        ("terraform commands", str(fig.commands)),
        ("faults injected", f"{fig.faults_total} ({faults})"),
        ("commands that needed a re-run", str(fig.reruns)),
        ("plans after apply that were not a no-op", str(fig.unclean_plans)),
        ("duplicates", str(fig.duplicates)),
        ("orphans", str(fig.orphans)),
        ("wall time", f"{fig.seconds / 60:.1f} min"),
    ]
    width = max(len(k) for k, _ in rows)
    lines = [f"| {'measure'.ljust(width)} | value |", f"|{'-' * (width + 2)}|-------|"]
    lines += [f"| {k.ljust(width)} | {v} |" for k, v in rows]
    return "\n".join(lines)


def record(fig: Figures, doc: Path = RELIABILITY_DOC) -> None:
    """Replace the soak figures in ``doc`` (between the markers)."""
    text = doc.read_text()
    start, end = text.index(BEGIN) + len(BEGIN), text.index(END)
    ttl = "no expiry" if fig.token_ttl is None else f"{fig.token_ttl:g}-second tokens"
    when = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d")
    body = (
        f"\nLatest run ({when}, Terraform {fig.terraform}, {fig.error_rate:.0%} of requests failing, {ttl}; "
        f"`make soak`):\n\n{table(fig)}\n"
    )
    if fig.rerun_log:
        body += "\nRe-runs:\n\n" + "".join(f"- {line}\n" for line in fig.rerun_log)
    doc.write_text(text[:start] + body + text[end:])


class Soak:
    """One simulator, one working directory with the quickstart, one Terraform."""

    def __init__(
        self,
        *,
        workdir: Path,
        error_rate: float,
        token_ttl: float | None,
        delay_scale: float,
        log: Callable[[str], None] = print,
    ) -> None:
        from tests.e2e import harness
        from tkgsim import Simulator

        self.log = log
        self.rng = random.Random()
        terraforms = harness.discover_terraforms()
        if not terraforms:
            raise SoakFailure("no usable Terraform found")
        self.sim = Simulator(delay_scale=delay_scale).start()
        mirror = harness.install_mirror(workdir / "terraform")
        self.tf = harness.Terraform(
            terraforms[0],
            workdir / "quickstart",
            cli_config=mirror.cli_config,
            home=workdir / "home",
            env=self.sim.env(),
            timeout=1800,
        )
        for source in QUICKSTART.glob("*.tf"):
            shutil.copy(source, self.tf.workdir / source.name)
        self.fig = Figures(error_rate=error_rate, token_ttl=token_ttl, terraform=self.tf.version)
        self.faults = {"error_rate": error_rate, "error_kinds": list(FAULT_KINDS), "token_ttl": token_ttl}
        self.baseline = self._inventory()

    def close(self) -> None:
        self.sim.stop()

    # -- simulator ------------------------------------------------------------------------------------------------

    def _admin(self, method: str, path: str, body: Any = None) -> Any:
        verify = ssl.create_default_context(cafile=self.sim.ca_file)
        with httpx.Client(base_url=self.sim.vcenter_url, verify=verify, timeout=30) as client:
            response = client.request(method, path, json=body, auth=(self.sim.admin_user, self.sim.admin_password))
            response.raise_for_status()
            return response.json()

    def _inventory(self) -> dict[str, set[str]]:
        """Every object of the simulator by kind: vCenter VM classes and namespaces, and each Kubernetes kind."""
        snap = self._admin("GET", "/_sim/snapshot")
        found = {"vm_classes": set(snap["vcenter"]["vm_classes"]), "namespaces": set(snap["vcenter"]["namespaces"])}
        for kind, objects in snap["k8s"]["objects"].items():
            found[f"k8s:{kind}"] = set(objects)
        return found

    def _new_objects(self) -> dict[str, set[str]]:
        now = self._inventory()
        return {kind: names - self.baseline.get(kind, set()) for kind, names in now.items()}

    def _unrecorded(self) -> int:
        """Quickstart objects that exist in the simulator but not in Terraform's state (interrupted creates)."""
        made = self._new_objects()
        on_server = {
            "tkg_vm_class": VM_CLASS in made["vm_classes"],
            "tkg_supervisor_namespace": NAMESPACE in made["namespaces"],
            "tkg_cluster": bool(made.get(f"k8s:{CLUSTERS}")),
        }
        in_state = {r["type"] for r in self.tf.state_resources() if r.get("mode") == "managed"}
        return sum(1 for type_name, exists in on_server.items() if exists and type_name not in in_state)

    # -- commands -------------------------------------------------------------------------------------------------

    def _command(self, what: str, args: tuple[str, ...], ok: Callable[[int], bool]) -> int:
        """Run ``terraform args`` until ``ok(rc)``; returns the final rc. Counts commands and re-runs."""
        for attempt in range(1, MAX_ATTEMPTS + 1):
            self.fig.commands += 1
            run = self.tf.run(*args, check=False)
            if ok(run.rc):
                return run.rc
            self.fig.reruns += 1
            first_error = next((line for line in run.stderr.splitlines() if line.startswith("Error")), run.stderr[:200])
            self.fig.rerun_log.append(f"round {self.fig.rounds}: {what} exited {run.rc}: {first_error.strip()}")
            self.log(f"    {what} exited {run.rc} (attempt {attempt}): {first_error.strip()}")
        raise SoakFailure(f"{what} failed {MAX_ATTEMPTS} times:\n{run.stdout}\n{run.stderr}")

    def apply(self) -> None:
        self._command("apply", ("apply", "-input=false", "-no-color", "-auto-approve"), lambda rc: rc == 0)

    def plan(self) -> None:
        rc = self._command("plan", ("plan", "-input=false", "-no-color", "-detailed-exitcode"), lambda rc: rc != 1)
        if rc == 2:
            self.fig.unclean_plans += 1
            self.fig.rerun_log.append(f"round {self.fig.rounds}: the plan after apply was not a no-op")

    def destroy(self) -> None:
        self._command("destroy", ("destroy", "-input=false", "-no-color", "-auto-approve"), lambda rc: rc == 0)

    def _exists(self, target: str) -> bool:
        made = self._new_objects()
        if target == "tkg_vm_class":
            return VM_CLASS in made["vm_classes"]
        if target == "tkg_supervisor_namespace":
            return NAMESPACE in made["namespaces"]
        return bool(made.get(f"k8s:{CLUSTERS}"))

    def killed_apply(self) -> str:
        """Start an apply and SIGKILL its process group just after the create of one of the quickstart's three
        resources (each in turn) reached the server (0-0.5 s later); returns what the kill interrupted."""
        targets = ("tkg_vm_class", "tkg_supervisor_namespace", "tkg_cluster")
        target = targets[(self.fig.kill_rounds - 1) % len(targets)]
        self.fig.commands += 1
        apply = subprocess.Popen(
            [self.tf.binary.path, "apply", "-input=false", "-no-color", "-auto-approve"],
            cwd=self.tf.workdir,
            env=self.tf.command_env(),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        deadline = time.monotonic() + 600
        while apply.poll() is None and not self._exists(target) and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(self.rng.uniform(0.0, 0.5))
        if apply.poll() is not None:
            return f"nothing (the apply ended before {target} was created)"
        os.killpg(apply.pid, signal.SIGKILL)
        apply.wait(timeout=60)
        return f"the create of {target}"

    # -- rounds ---------------------------------------------------------------------------------------------------

    def round(self, kill: bool) -> None:
        self.fig.rounds += 1
        number = self.fig.rounds
        started = time.monotonic()
        if kill:
            self.fig.kill_rounds += 1
            interrupted = self.killed_apply()
            unrecorded = self._unrecorded()
            self.fig.unrecorded += unrecorded
            self.log(
                f"round {number}: apply killed (SIGKILL to the process group) during {interrupted}; objects made but "
                f"not in state: {unrecorded}"
            )
        self.apply()
        made = self._new_objects()
        self.fig.duplicates += sum(
            max(0, len(made.get(kind, ())) - 1) for kind in ("vm_classes", "namespaces", f"k8s:{CLUSTERS}")
        )
        self.plan()
        self.destroy()
        left = {kind: names for kind, names in self._new_objects().items() if names}
        self.fig.orphans += sum(len(names) for names in left.values())
        self.log(f"round {number}: done in {time.monotonic() - started:.0f}s; left behind: {left or 'nothing'}")

    def run(self, rounds: int, kill_every: int) -> Figures:
        self.tf.init()
        self._admin("PATCH", "/_sim/faults", {**self.faults, "counters": {}})
        started = time.monotonic()
        try:
            for number in range(1, rounds + 1):
                self.round(kill=kill_every > 0 and number % kill_every == 0)
        finally:
            counters = self._admin("GET", "/_sim/faults")["counters"]
            self._admin("PATCH", "/_sim/faults", {"error_rate": 0, "token_ttl": None})
            self.fig.faults = {kind: int(counters.get(kind, 0)) for kind in FAULT_KINDS}
            self.fig.seconds = time.monotonic() - started
        return self.fig


def soak(
    rounds: int,
    *,
    error_rate: float = 0.2,
    token_ttl: float | None = 20.0,
    kill_every: int = 4,
    delay_scale: float = 0.05,
    workdir: Path | None = None,
    log: Callable[[str], None] = functools.partial(print, flush=True),
) -> Figures:
    """Run a soak and return its figures (raises ``SoakFailure`` when a command keeps failing)."""
    with tempfile.TemporaryDirectory(prefix="tkg-soak-") as scratch:
        runner = Soak(
            workdir=workdir or Path(scratch),
            error_rate=error_rate,
            token_ttl=token_ttl,
            delay_scale=delay_scale,
            log=log,
        )
        try:
            return runner.run(rounds, kill_every)
        finally:
            runner.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.soak", description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--error-rate", type=float, default=0.2, help="fraction of requests failing (default 0.2)")
    parser.add_argument("--token-ttl", type=float, default=20.0, help="session token lifetime, seconds (default 20)")
    parser.add_argument("--kill-every", type=int, default=4, help="every Nth round is a kill -9 round (0: none)")
    parser.add_argument("--delay-scale", type=float, default=0.05, help="simulated provisioning delays (default 0.05)")
    parser.add_argument("--record", action="store_true", help="write the figures into docs/reliability.md")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    try:
        fig = soak(
            args.rounds,
            error_rate=args.error_rate,
            token_ttl=args.token_ttl,
            kill_every=args.kill_every,
            delay_scale=args.delay_scale,
        )
    except SoakFailure as exc:
        print(f"soak failed: {exc}", file=sys.stderr)
        return 1
    print()
    print(table(fig))
    if args.record:
        record(fig)
        print(f"\nrecorded in {RELIABILITY_DOC.relative_to(ROOT)}")
    return 0 if fig.reruns == fig.duplicates == fig.orphans == fig.unclean_plans == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
