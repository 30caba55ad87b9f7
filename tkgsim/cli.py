"""``tkg-sim``: the simulator's command line.

``tkg-sim serve`` starts both endpoints, prints the environment a user exports (shell ``export`` lines, or one JSON
object with ``--print-env json``), then a line ``# tkg-sim ready: ...``, and runs until SIGTERM or SIGINT, when it
shuts down cleanly and saves the state file.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import shlex
import signal
import sys
from pathlib import Path

from tkgsim import profiles, runtime
from tkgsim.model import default_model, load_seed

__all__ = ["main", "sim_env"]

logger = logging.getLogger(__name__)

READY_PREFIX = "# tkg-sim ready"


def sim_env(running: runtime.Running) -> dict[str, str]:
    """The environment for the provider and for curl/kubectl users: server host:port, credentials, CA file."""
    admin = next(u for u in running.world.model["users"] if u.get("role") == "admin")
    env = {
        "VSPHERE_SERVER": running.vcenter_url.split("://", 1)[1],
        "VSPHERE_USER": str(admin["name"]),
        "VSPHERE_PASSWORD": str(admin["password"]),
        "TKG_SUPERVISOR_ENDPOINT": running.supervisor_url.split("://", 1)[1],
    }
    if running.ca_file is not None:
        env["VSPHERE_CA_FILE"] = str(running.ca_file)
    return env


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="tkg-sim", description="Local simulator of vSphere with Tanzu APIs.")
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="serve the vCenter REST API and the Supervisor Kubernetes API")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    serve.add_argument("--vcenter-port", type=int, default=0, help="vCenter REST port (0 = any free port)")
    serve.add_argument("--supervisor-port", type=int, default=0, help="Supervisor API port (0 = any free port)")
    serve.add_argument("--state-file", type=Path, help="persist every object to this JSON file and reload it")
    serve.add_argument("--delay-scale", type=float, default=1.0, help="multiplier of simulated delays (0 = instant)")
    serve.add_argument("--seed", type=Path, help="YAML/JSON file replacing top-level keys of the default inventory")
    serve.add_argument(
        "--profile",
        choices=sorted(profiles.PROFILES),
        help=f"the vSphere / VKS release to model (default: the seed's profile, else {profiles.DEFAULT_PROFILE})",
    )
    serve.add_argument("--print-env", choices=("shell", "json"), default="shell", help="format of the printed env")
    serve.add_argument("--token-ttl", type=float, help="seconds a session token lives (default: forever)")
    serve.add_argument("--latency", type=float, default=0.0, help="seconds added to every request")
    serve.add_argument("--error-rate", type=float, default=0.0, help="fraction of requests failing (503/429/reset)")
    serve.add_argument("--cert-dir", type=Path, help="where the CA and server certificate go")
    serve.add_argument("--vcenter-only", action="store_true", help="do not load the Supervisor half")
    serve.add_argument("--no-tls", action="store_true", help="serve plain HTTP (debugging only)")
    serve.add_argument("--log-level", default="INFO", help="DEBUG, INFO, WARNING (logs go to stderr)")
    return parser


def _print_env(env: dict[str, str], fmt: str) -> None:
    if fmt == "json":
        print(json.dumps(env, sort_keys=True))
    else:
        for key, value in env.items():
            print(f"export {key}={shlex.quote(value)}")


async def _serve(args: argparse.Namespace) -> int:
    config = runtime.Config(
        host=args.host,
        vcenter_port=args.vcenter_port,
        supervisor_port=args.supervisor_port,
        # Absolute, so the printed VSPHERE_CA_FILE works from any directory.
        state_file=args.state_file.resolve() if args.state_file else None,
        delay_scale=args.delay_scale,
        model=load_seed(args.seed) if args.seed else default_model(),
        tls=not args.no_tls,
        cert_dir=args.cert_dir.resolve() if args.cert_dir else None,
        token_ttl=args.token_ttl,
        latency=args.latency,
        error_rate=args.error_rate,
        supervisor=not args.vcenter_only,
        profile=args.profile,
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    running = await runtime.start(config)
    try:
        _print_env(sim_env(running), args.print_env)
        print(
            f"{READY_PREFIX}: vCenter {running.vcenter_url}, Supervisor {running.supervisor_url}, "
            f"profile {running.world.profile.name}",
            flush=True,
        )
        await stop.wait()
        logger.info("shutting down")
    finally:
        await running.stop()
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``tkg-sim`` console script."""
    args = _parser().parse_args(argv)
    logging.basicConfig(
        level=getattr(logging, str(args.log_level).upper(), logging.INFO),
        stream=sys.stderr,
        format="%(asctime)s [%(levelname)s] %(name)s: %(message)s",
    )
    if args.delay_scale < 0:
        print("tkg-sim: --delay-scale must be >= 0", file=sys.stderr)
        return 2
    with contextlib.suppress(KeyboardInterrupt):
        return asyncio.run(_serve(args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
