"""Install a Python provider into a Terraform filesystem mirror, so that ``terraform init`` finds it offline.

Terraform installs a provider from an *unpacked* filesystem mirror laid out as
``<mirror>/<hostname>/<namespace>/<type>/<version>/<os>_<arch>/terraform-provider-<type>_v<version>``, computes the
lock-file hash of that directory itself, and executes the file found there. We put a tiny ``#!/bin/sh`` launcher there
that ``exec``s absolute paths (the interpreter of the environment the provider is installed in, and its arguments):
no PATH lookup and no extra Python process, because Terraform starts a provider 3 to 5 times per command.
"""

from __future__ import annotations

import os
import platform
import re
import shlex
import sys
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path

__all__ = [
    "default_mirror_dir",
    "hcl_string",
    "install_launcher",
    "launcher_script",
    "precompile",
    "provider_installation_block",
    "semver",
    "terraform_platform",
]

_GOOS = {"linux": "linux", "darwin": "darwin", "win32": "windows", "cygwin": "windows"}
_GOARCH = {
    "x86_64": "amd64",
    "amd64": "amd64",
    "aarch64": "arm64",
    "arm64": "arm64",
    "i386": "386",
    "i686": "386",
    "x86": "386",
    "armv7l": "arm",
    "armv6l": "arm",
    "ppc64le": "ppc64le",
    "s390x": "s390x",
}


def terraform_platform(system: str | None = None, machine: str | None = None) -> str:
    """Terraform's ``<os>_<arch>`` name for this machine (e.g. ``linux_amd64``), in Go's spelling."""
    system = sys.platform if system is None else system
    machine = platform.machine() if machine is None else machine
    goos = _GOOS.get(system) or re.sub(r"\d+$", "", system)  # freebsd14 -> freebsd
    goarch = _GOARCH.get(machine.lower(), machine.lower())
    return f"{goos}_{goarch}"


def semver(version: str) -> str:
    """Turn a Python package version into the semantic version Terraform requires of a provider version.

    ``1.2.0`` stays; ``1.2`` → ``1.2.0``; ``1.2.0rc1`` → ``1.2.0-rc1``; ``1.2.0.dev3`` → ``1.2.0-dev3``; a local
    part (``+g1234``) is dropped, since Terraform would ignore it anyway and it breaks the directory name match.
    """
    match = re.fullmatch(r"v?(\d+)(?:\.(\d+))?(?:\.(\d+))?[.-]?(.*?)(?:\+.*)?", version.strip())
    if not match:
        raise ValueError(f"{version!r} is not a version Terraform can use")
    major, minor, patch, pre = match.groups()
    core = f"{major}.{minor or 0}.{patch or 0}"
    pre = re.sub(r"[^0-9A-Za-z.-]", "", pre or "").strip(".-")
    return f"{core}-{pre}" if pre else core


def default_mirror_dir(home: Path | None = None) -> Path:
    """The per-user directory Terraform searches for providers without any configuration ("implied local mirror").

    ``~/.terraform.d/plugins`` on Linux, macOS and the BSDs (``%APPDATA%/terraform.d/plugins`` on Windows). A
    provider installed there is used by ``terraform init`` even without a ``provider_installation`` block, as long
    as the CLI configuration has no such block of its own.
    """
    if sys.platform == "win32" and home is None and os.environ.get("APPDATA"):
        return Path(os.environ["APPDATA"]) / "terraform.d" / "plugins"
    return (home if home is not None else Path.home()) / ".terraform.d" / "plugins"


def launcher_script(command: list[str], env: Mapping[str, str] | None = None) -> str:
    """The ``/bin/sh`` launcher text that sets ``env`` and ``exec``s ``command`` with Terraform's arguments."""
    if not command:
        raise ValueError("command must name at least the program to run")
    lines = [
        "#!/bin/sh",
        "# Terraform provider launcher, written by an installer: re-run it rather than editing this file.",
    ]
    for key, value in (env or {}).items():
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", key):
            raise ValueError(f"{key!r} is not a valid environment variable name")
        lines.append(f"{key}={shlex.quote(value)}; export {key}")
    lines.append("exec " + " ".join(shlex.quote(part) for part in command) + ' "$@"')
    return "\n".join(lines) + "\n"


def install_launcher(
    mirror: Path,
    *,
    hostname: str,
    namespace: str,
    type_name: str,
    version: str,
    command: list[str],
    env: dict[str, str] | None = None,
) -> Path:
    """Write an executable launcher for ``hostname/namespace/type_name`` at ``version`` into ``mirror``; return it.

    ``command[0]`` must be an absolute path, or a program found on PATH now (it is resolved here, not at each launch).
    Symlinks are deliberately not resolved: a virtual environment's ``bin/python`` must stay the path that is run.
    The file is replaced atomically, so a Terraform running meanwhile sees the old or the new launcher, never half.
    """
    if sys.platform == "win32":
        raise OSError("installing a shell launcher is not supported on Windows")
    program = command[0] if command else ""
    if not os.path.isabs(program):
        import shutil

        found = shutil.which(program)
        if found is None:
            raise FileNotFoundError(f"{program!r} is neither an absolute path nor found on PATH")
        program = os.path.abspath(found)
    version = semver(version)
    directory = Path(mirror) / hostname / namespace / type_name / version / terraform_platform()
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / f"terraform-provider-{type_name}_v{version}"
    script = launcher_script([program, *command[1:]], env)
    fd, temp = tempfile.mkstemp(prefix=".launcher-", dir=directory)
    try:
        with os.fdopen(fd, "w") as handle:
            handle.write(script)
        os.chmod(temp, 0o755)
        os.replace(temp, target)
    except BaseException:
        try:
            os.unlink(temp)
        except FileNotFoundError:
            pass
        raise
    return target


def precompile(packages: Iterable[Path]) -> bool:
    """Write the bytecode caches of ``packages`` (directories) now, as pip does when it installs a wheel.

    Terraform starts a provider 3 to 5 times per command; without ``__pycache__`` every start compiles every module
    again (tens of milliseconds), e.g. for an editable install, or whenever ``PYTHONDONTWRITEBYTECODE`` is set (then
    the interpreter never writes caches itself, but still reads them). Returns whether every file compiled; a
    directory we may not write to is left as it is.
    """
    import compileall

    ok = True
    for package in packages:
        if os.access(package, os.W_OK):
            ok = bool(compileall.compile_dir(str(package), quiet=2, workers=1)) and ok
    return ok


def hcl_string(value: str) -> str:
    """``value`` as an HCL quoted string (JSON escapes, plus ``${``/``%{`` escaped so they are not templates)."""
    import json

    return json.dumps(value).replace("${", "$${").replace("%{", "%%{")


def provider_installation_block(mirror: Path, sources: Iterable[str]) -> str:
    """The CLI-configuration block that installs ``sources`` (``host/namespace/type`` or patterns) from ``mirror``.

    Listing them in ``direct.exclude`` stops Terraform from asking a registry for them, which is what makes
    ``terraform init`` work offline; every other provider still comes from its registry as usual.
    """
    patterns = ", ".join(hcl_string(source) for source in sources)
    return (
        "provider_installation {\n"
        "  filesystem_mirror {\n"
        f"    path    = {hcl_string(str(Path(mirror).absolute()))}\n"
        f"    include = [{patterns}]\n"
        "  }\n"
        "  direct {\n"
        f"    exclude = [{patterns}]\n"
        "  }\n"
        "}\n"
    )
