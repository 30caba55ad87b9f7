"""``terraform-provider-tkg``: serve the provider to Terraform, or install it into a Terraform filesystem mirror.

Usage:
    terraform-provider-tkg                      serve (what Terraform runs; needs Terraform's environment)
    terraform-provider-tkg --debug              serve for a debugger and print TF_REATTACH_PROVIDERS
    terraform-provider-tkg install [--mirror DIR] [--hostname HOST]... [--platform OS_ARCH]...
    terraform-provider-tkg --version

Terraform starts a provider 3 to 5 times per command, so the serving path imports as little as it can: no argparse,
and the provider module only after the plugin environment has been checked.
"""

from __future__ import annotations

import os
import sys

from . import __version__

DIST_NAME = "terraform-provider-tkg"
NAMESPACE = "tkg-oss"
TYPE_NAME = "tkg"
# Terraform's registry host, then OpenTofu's: `source = "tkg-oss/tkg"` means the first to Terraform, the second to
# OpenTofu, so `install` writes both and one mirror serves either tool.
HOSTNAMES = ("registry.terraform.io", "registry.opentofu.org")
# The launcher's rule for finding the Python environment (see framework/install.portable_launcher_script).
PYTHON_VARIABLE = "TKG_PROVIDER_PYTHON"
LAUNCHER_VERSION_VARIABLE = "TKG_PROVIDER_LAUNCHER_VERSION"
FULL_NAME = f"{HOSTNAMES[0]}/{NAMESPACE}/{TYPE_NAME}"  # the provider's source address (provider.FULL_NAME)


def package_version() -> str:
    """This package's version (what the mirror directory and ``--version`` report)."""
    return __version__


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit status (serving normally ends the process itself)."""
    args = sys.argv[1:] if argv is None else argv
    if not args or args == ["--debug"]:
        mismatch = _launcher_version_mismatch()
        if mismatch:
            print(
                mismatch, flush=True
            )  # stdout: Terraform quotes it in its error ("Unrecognized remote plugin message")
            sys.stderr.write(mismatch + "\n")
            return 1
        return _serve(debug=bool(args))
    if args[0] in ("--version", "-v", "version"):
        print(f"{DIST_NAME} {package_version()}")
        return 0
    return _cli(args)


def _launcher_version_mismatch() -> str | None:
    """Why this environment must not serve the launcher that started it (another version), or ``None``."""
    wanted = os.environ.get(LAUNCHER_VERSION_VARIABLE)
    if not wanted or wanted == __version__:
        return None
    from .framework.install import semver

    if wanted == semver(__version__):
        return None
    return (
        f"{DIST_NAME}: the launcher Terraform started is for version {wanted}, but the Python environment it found "
        f"({sys.executable}) has {__version__}: run `{DIST_NAME} install` from that environment and "
        f"`terraform init -upgrade`, or point {PYTHON_VARIABLE} at an environment with {wanted}"
    )


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
        action="append",
        help=f"registry host of the source address; repeatable (default: {' and '.join(HOSTNAMES)})",
    )
    install_cmd.add_argument(
        "--platform",
        action="append",
        help=(
            f"OS_ARCH directory to write, e.g. darwin_arm64; repeatable (default: this machine's, "
            f"{install.terraform_platform()}). The launcher is the same on every platform, so a mirror with several "
            "lets `terraform providers lock -fs-mirror` record them all"
        ),
    )
    options = parser.parse_args(args)
    if options.command != "install":
        parser.print_help(sys.stderr)
        return 2
    if getattr(sys, "frozen", False):
        sys.stderr.write(
            f"This is the self-contained release of {DIST_NAME}: it needs no launcher. Put its zip into a filesystem\n"
            "mirror (<mirror>/registry.terraform.io/tkg-oss/tkg/) or serve the release's mirror/ directory instead.\n"
        )
        return 2

    mirror = (options.mirror or install.default_mirror_dir()).expanduser().absolute()
    version = install.semver(package_version())
    hostnames = options.hostname or list(HOSTNAMES)
    launchers = install.write_package(
        mirror,
        hostnames=hostnames,
        namespace=NAMESPACE,
        type_name=TYPE_NAME,
        version=version,
        platforms=options.platform or [install.terraform_platform()],
        executable=install.portable_launcher_script(
            program=DIST_NAME,
            module=__package__ or "terraform_provider_tkg",
            version=version,
            python_variable=PYTHON_VARIABLE,
            version_variable=LAUNCHER_VERSION_VARIABLE,
        ),
    )
    # The interpreter running now is the one whose environment has this package and its dependencies installed.
    record = install.record_interpreter(DIST_NAME, version, sys.executable)
    install.precompile([Path(__file__).resolve().parent])
    sources = [f"{hostname}/{NAMESPACE}/{TYPE_NAME}" for hostname in hostnames]
    implied = mirror == install.default_mirror_dir().absolute()
    sys.stderr.write(
        "".join(f"Installed {DIST_NAME} {version} at {launcher}\n" for launcher in launchers)
        + f"It runs {sys.executable} (recorded in {record}; {PYTHON_VARIABLE} overrides it).\n"
        + (
            "This is Terraform's implied local mirror: `terraform init` finds it as long as your CLI\n"
            "configuration has no provider_installation block. If it has one, add the following to it instead.\n"
            if implied
            else ""
        )
        + "CLI configuration (~/.terraformrc, ~/.tofurc for OpenTofu, or the file named by TF_CLI_CONFIG_FILE):\n\n"
    )
    sys.stdout.write(install.provider_installation_block(mirror, sources))
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
