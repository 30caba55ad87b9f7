"""``terraform-provider-tkg``: serve the provider to Terraform, or install it into a Terraform filesystem mirror.

Usage:
    terraform-provider-tkg                      serve (what Terraform runs; needs Terraform's environment)
    terraform-provider-tkg --debug              serve for a debugger and print TF_REATTACH_PROVIDERS
    terraform-provider-tkg install [--mirror DIR] [--hostname HOST]
    terraform-provider-tkg --version

Terraform starts a provider 3 to 5 times per command, so the serving path imports as little as it can: no argparse,
and the provider module only after the plugin environment has been checked.
"""

from __future__ import annotations

import sys

DIST_NAME = "terraform-provider-tkg"
NAMESPACE = "tkg-oss"
TYPE_NAME = "tkg"
DEFAULT_HOSTNAME = "registry.terraform.io"
FULL_NAME = f"{DEFAULT_HOSTNAME}/{NAMESPACE}/{TYPE_NAME}"  # the provider's source address (provider.FULL_NAME)


def package_version() -> str:
    """The installed distribution's version (what the mirror directory and ``--version`` report)."""
    from importlib.metadata import version

    return version(DIST_NAME)


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit status (serving normally ends the process itself)."""
    args = sys.argv[1:] if argv is None else argv
    if not args or args == ["--debug"]:
        return _serve(debug=bool(args))
    if args[0] in ("--version", "-v", "version"):
        print(f"{DIST_NAME} {package_version()}")
        return 0
    return _cli(args)


def _serve(*, debug: bool) -> int:
    import gc

    # Start-up builds only objects that live as long as the process (modules, schemas, the servicer): looking for
    # cycles among them before the handshake is wasted time. serve() turns the collector back on after it.
    gc.disable()
    from .framework import logs, server

    if not debug and not server.launched_by_terraform():
        sys.stderr.write(server.NOT_A_PLUGIN_MESSAGE)
        sys.stderr.write(f"\nTo make it available to Terraform, run: {DIST_NAME} install --help\n")
        return 1
    logs.setup()
    # The provider (its schemas, and grpcio behind them) is imported after the handshake: see server.serve.
    server.serve(_new_servicer, full_name=FULL_NAME, debug=debug)
    return 0


def _new_servicer() -> object:
    from .provider import new_servicer

    return new_servicer()


def _cli(args: list[str]) -> int:
    import argparse
    from pathlib import Path

    from .framework import install

    parser = argparse.ArgumentParser(
        prog=DIST_NAME,
        description="Terraform provider for vSphere with Tanzu. Without arguments it serves Terraform.",
    )
    parser.add_argument("--version", action="version", version=f"{DIST_NAME} {package_version()}")
    parser.add_argument("--debug", action="store_true", help="serve for a debugger and print TF_REATTACH_PROVIDERS")
    commands = parser.add_subparsers(dest="command")
    install_cmd = commands.add_parser(
        "install",
        help="write a launcher into a Terraform filesystem mirror and print the provider_installation block",
        description=(
            "Write a launcher for this installation into a Terraform filesystem mirror (unpacked layout), then print "
            "the CLI-configuration block that makes `terraform init` use it, offline. The default mirror is "
            "Terraform's implied local mirror, which Terraform searches even without that block."
        ),
    )
    install_cmd.add_argument(
        "--mirror",
        type=Path,
        default=None,
        help=f"mirror directory (default: {install.default_mirror_dir()})",
    )
    install_cmd.add_argument(
        "--hostname",
        default=DEFAULT_HOSTNAME,
        help=f"registry host of the source address (default: {DEFAULT_HOSTNAME})",
    )
    options = parser.parse_args(args)
    if options.command != "install":
        parser.print_help(sys.stderr)
        return 2

    mirror = (options.mirror or install.default_mirror_dir()).expanduser().absolute()
    version = install.semver(package_version())
    # The interpreter running now is the one whose environment has this package and its dependencies installed.
    launcher = install.install_launcher(
        mirror,
        hostname=options.hostname,
        namespace=NAMESPACE,
        type_name=TYPE_NAME,
        version=version,
        command=[sys.executable, "-m", "terraform_provider_tkg"],
    )
    install.precompile([Path(__file__).resolve().parent])
    source = f"{options.hostname}/{NAMESPACE}/{TYPE_NAME}"
    implied = mirror == install.default_mirror_dir().absolute()
    sys.stderr.write(
        f"Installed {source} {version} at {launcher}\n"
        + (
            "This is Terraform's implied local mirror: `terraform init` finds it as long as your CLI\n"
            "configuration has no provider_installation block. If it has one, add the following to it instead.\n"
            if implied
            else ""
        )
        + "CLI configuration (~/.terraformrc, or the file named by TF_CLI_CONFIG_FILE):\n\n"
    )
    sys.stdout.write(install.provider_installation_block(mirror, [source]))
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
