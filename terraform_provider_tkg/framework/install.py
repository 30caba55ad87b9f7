"""Install a Python provider into a Terraform filesystem mirror, so that ``terraform init`` finds it offline.

Terraform installs a provider from an *unpacked* filesystem mirror laid out as
``<mirror>/<hostname>/<namespace>/<type>/<version>/<os>_<arch>/terraform-provider-<type>_v<version>``, computes the
lock-file hash (``h1:``) of that directory itself, and executes the file found there.

``portable_launcher_script`` is what users get: a ``#!/bin/sh`` launcher whose bytes depend only on the provider's
name and version, so the ``h1:`` hash in a committed ``.terraform.lock.hcl`` matches on every machine, install path
and platform directory. It finds the Python environment at each start (an environment variable, then the interpreter
``install`` recorded in a per-user file, then the console script on PATH), with shell builtins only: no extra
process, because Terraform starts a provider 3 to 5 times per command. ``install_launcher`` writes a launcher that
``exec``s absolute paths instead, for test fixtures that must run one exact checkout.
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
    "interpreter_record",
    "launcher_script",
    "portable_launcher_script",
    "precompile",
    "provider_installation_block",
    "record_interpreter",
    "semver",
    "terraform_platform",
    "write_package",
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


def interpreter_record(program: str, version: str, env: Mapping[str, str] | None = None) -> Path:
    """The per-user file naming the interpreter that runs ``program`` ``version`` (see ``portable_launcher_script``).

    ``${XDG_CONFIG_HOME:-$HOME/.config}/<program>/<version>/python``: outside the mirror, so the package Terraform
    hashes stays the same bytes everywhere, and one file per version, so two versions can live in two environments.
    """
    env = os.environ if env is None else env
    config_home = env.get("XDG_CONFIG_HOME") or os.path.join(env.get("HOME") or str(Path.home()), ".config")
    return Path(config_home) / program / version / "python"


def record_interpreter(program: str, version: str, python: str, env: Mapping[str, str] | None = None) -> Path:
    """Record ``python`` (an absolute path, kept unresolved) as the interpreter of ``program`` ``version``."""
    if not os.path.isabs(python):
        raise ValueError(f"{python!r} is not an absolute path")
    if "\n" in python:
        raise ValueError("an interpreter path cannot contain a newline")
    record = interpreter_record(program, version, env)
    record.parent.mkdir(parents=True, exist_ok=True)
    _write_atomically(record, python + "\n", mode=0o644)
    return record


def portable_launcher_script(
    *, program: str, module: str, version: str, python_variable: str, version_variable: str
) -> str:
    """The launcher ``install`` writes: the same bytes on every machine for one ``program`` ``version``.

    At each start it runs ``python -P -m module`` with the first interpreter found by this documented rule (``-P``,
    Python 3.11+: Terraform's working directory is not put on ``sys.path``, so a file there named like one of the
    provider's modules or dependencies cannot replace it):

    1. ``$python_variable``, when set (CI jobs, containers, several environments side by side);
    2. the interpreter ``record_interpreter`` wrote to ``interpreter_record(program, version)`` (what ``install``
       does, so the environment that last ran ``install`` for this version wins);
    3. the ``program`` console script on PATH.

    It exports ``version_variable=version`` so the provider can refuse to serve when the environment found holds
    another version (its schema would not be the one the lock file's version promises). When nothing is found, the
    reason goes to stdout, which Terraform shows in its error ("Unrecognized remote plugin message"), and stderr.
    """
    for name in (python_variable, version_variable):
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
            raise ValueError(f"{name!r} is not a valid environment variable name")
    if not re.fullmatch(r"[A-Za-z0-9_.-]+", program) or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_.]*", module):
        raise ValueError("program and module must be plain names")
    version = semver(version)
    record = f'"${{XDG_CONFIG_HOME:-$HOME/.config}}/{program}/{version}/python"'
    return f"""#!/bin/sh
# {program} {version} launcher for Terraform and OpenTofu, written by `{program} install`.
# It has the same bytes on every machine, so the checksums in a committed .terraform.lock.hcl match everywhere.
# The Python environment that runs the provider is found at each start; the first match wins:
#   1. ${python_variable}: a Python interpreter with {program} {version} installed;
#   2. the interpreter `{program} install` recorded in
#      ${{XDG_CONFIG_HOME:-$HOME/.config}}/{program}/{version}/python;
#   3. the `{program}` command on PATH.
{version_variable}={version}; export {version_variable}
if [ -n "${{{python_variable}:-}}" ]; then exec "${python_variable}" -P -m {module} "$@"; fi
recorded={record}
python=
if [ -r "$recorded" ]; then IFS= read -r python < "$recorded"; fi
if [ -n "$python" ] && [ -x "$python" ]; then exec "$python" -P -m {module} "$@"; fi
if command -v {program} >/dev/null 2>&1; then exec {program} "$@"; fi
reason="{program} {version}: no Python environment found ({python_variable} is unset, $recorded names "\\
"'${{python:-nothing}}', no {program} on PATH): run '{program} install' with the Python that has it installed, "\\
"or set {python_variable}"
echo "$reason"
echo "$reason" >&2
exit 1
"""


def write_package(
    mirror: Path,
    *,
    hostnames: Iterable[str],
    namespace: str,
    type_name: str,
    version: str,
    platforms: Iterable[str],
    executable: str,
) -> list[Path]:
    """Write ``executable`` (a script's text) as the provider package for every hostname and platform; return them.

    Each file is replaced atomically, so a Terraform running meanwhile sees the old or the new launcher, never half.
    """
    if sys.platform == "win32":
        raise OSError("installing a shell launcher is not supported on Windows")
    version = semver(version)
    written = []
    for hostname in hostnames:
        for platform_dir in platforms:
            if not re.fullmatch(r"[a-z0-9]+_[a-z0-9]+", platform_dir):
                raise ValueError(f"{platform_dir!r} is not a Terraform platform such as linux_amd64")
            directory = Path(mirror) / hostname / namespace / type_name / version / platform_dir
            directory.mkdir(parents=True, exist_ok=True)
            target = directory / f"terraform-provider-{type_name}_v{version}"
            _write_atomically(target, executable, mode=0o755)
            written.append(target)
    return written


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
    """Write a launcher for ``hostname/namespace/type_name`` at ``version`` into ``mirror`` that ``exec``s ``command``.

    ``command[0]`` must be an absolute path, or a program found on PATH now (it is resolved here, not at each launch).
    Symlinks are deliberately not resolved: a virtual environment's ``bin/python`` must stay the path that is run.
    The launcher embeds these paths, so its lock-file hash differs per machine: for test fixtures, not for users.
    """
    program = command[0] if command else ""
    if not os.path.isabs(program):
        import shutil

        found = shutil.which(program)
        if found is None:
            raise FileNotFoundError(f"{program!r} is neither an absolute path nor found on PATH")
        program = os.path.abspath(found)
    (target,) = write_package(
        mirror,
        hostnames=[hostname],
        namespace=namespace,
        type_name=type_name,
        version=version,
        platforms=[terraform_platform()],
        executable=launcher_script([program, *command[1:]], env),
    )
    return target


def _write_atomically(target: Path, text: str, *, mode: int) -> None:
    fd, temp = tempfile.mkstemp(prefix=".tmp-", dir=target.parent)
    try:
        with os.fdopen(fd, "w") as handle:
            handle.write(text)
        os.chmod(temp, mode)
        os.replace(temp, target)
    except BaseException:
        try:
            os.unlink(temp)
        except FileNotFoundError:
            pass
        raise


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
