"""A journal of in-flight creates, so that a create whose response was lost can be finished by the next run.

Terraform records nothing before ``ApplyResourceChange`` returns: if Terraform is killed (or the network drops the
answer) after the server made the object, the state does not know it and the next apply creates it again, which the
server refuses as "already exists". The provider therefore remembers each create itself, before sending it:

- ``begin(type, id)`` writes an entry ``{type, id, token}`` durably (temp file, fsync, rename, fsync of the directory)
  under Terraform's data directory and returns the token. The resource writes the same token onto the object it
  creates (an annotation, or a marker in a description).
- When a create is answered "already exists", the resource adopts the object only if it carries the token of this
  working directory's entry: only a create started from here can have put it there. Anything else is someone else's.
- ``settle(type, id)`` drops the entry once Terraform's state holds the object (the next read of it) or the object is
  deleted. A leftover entry is harmless: it can only match an object that our own create made.

The journal lives in ``$TF_DATA_DIR`` (default ``.terraform`` in the working directory, which is the provider
process's working directory: Terraform starts plugins in its own), one directory per Terraform workspace, one file
per object, so concurrent creates (several resources, several provider processes) never write the same file.
An entry written by this very process is not reused: that is a second resource of the same configuration creating
the same object, which must fail as "already exists" rather than adopt its sibling's object.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import secrets
import threading
import time
import urllib.parse
from collections.abc import Mapping
from pathlib import Path

__all__ = ["Journal", "journal"]

log = logging.getLogger(__name__)

DIRECTORY = "provider-inflight-creates"
DEFAULT_DATA_DIR = ".terraform"
DEFAULT_WORKSPACE = "default"


def new_token() -> str:
    """A random create token (128 bits, URL- and label-safe hex)."""
    return secrets.token_hex(16)


def _file_name(type_name: str, object_id: str) -> str:
    return f"{type_name}.{urllib.parse.quote(object_id, safe='')}.json"


def _workspace(data_dir: Path, env: Mapping[str, str]) -> str:
    # TF_WORKSPACE wins over `terraform workspace select`, which writes the name into <data dir>/environment.
    name = env.get("TF_WORKSPACE", "").strip()
    if not name:
        try:
            name = (data_dir / "environment").read_text().strip()
        except OSError:
            name = ""
    return urllib.parse.quote(name or DEFAULT_WORKSPACE, safe="")


class Journal:
    """In-flight creates of one working directory and workspace (see the module docstring)."""

    def __init__(self, directory: Path | None) -> None:
        # None: no usable data directory; tokens then live in memory only (still enough for a lost response that the
        # same process retries, never for a later run).
        self.directory = directory
        self._memory: dict[tuple[str, str], str] = {}
        self._lock = threading.Lock()

    @classmethod
    def from_environment(cls, env: Mapping[str, str] | None = None, cwd: Path | None = None) -> Journal:
        """The journal Terraform's data directory holds for the current workspace."""
        env = os.environ if env is None else env
        base = Path.cwd() if cwd is None else cwd
        data_dir = base / (env.get("TF_DATA_DIR") or DEFAULT_DATA_DIR)
        return cls(data_dir / DIRECTORY / _workspace(data_dir, env))

    def _path(self, type_name: str, object_id: str) -> Path | None:
        return None if self.directory is None else self.directory / _file_name(type_name, object_id)

    def token(self, type_name: str, object_id: str) -> str | None:
        """The token of the in-flight create of ``object_id``, if one is recorded."""
        with self._lock:
            remembered = self._memory.get((type_name, object_id))
        if remembered is not None:
            return remembered
        entry = self._read(type_name, object_id)
        return None if entry is None else str(entry["token"])

    def _read(self, type_name: str, object_id: str) -> dict[str, object] | None:
        path = self._path(type_name, object_id)
        if path is None:
            return None
        try:
            entry = json.loads(path.read_text())
        except (OSError, ValueError):
            return None
        if not isinstance(entry, dict) or not isinstance(entry.get("token"), str):
            return None
        if entry.get("type") != type_name or entry.get("id") != object_id:
            return None
        return entry

    def begin(self, type_name: str, object_id: str) -> str:
        """Record a create of ``object_id`` about to be sent and return its token (an unfinished one's, if any).

        The entry is on disk when this returns; a failure to write it is logged and the token kept in memory.
        """
        entry = self._read(type_name, object_id)
        if entry is not None and entry.get("pid") != os.getpid():
            token = str(entry["token"])
            log.info("%s %s: resuming an unfinished create recorded in the journal", type_name, object_id)
        else:
            token = new_token()
            self._write(type_name, object_id, token)
        with self._lock:
            self._memory[(type_name, object_id)] = token
        return token

    def _write(self, type_name: str, object_id: str, token: str) -> None:
        path = self._path(type_name, object_id)
        if path is None:
            return
        entry = {"type": type_name, "id": object_id, "token": token, "pid": os.getpid(), "started": time.time()}
        temp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            with open(temp, "w", encoding="utf-8") as handle:
                json.dump(entry, handle)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temp, path)
            _fsync_directory(path.parent)
        except OSError as exc:
            with contextlib.suppress(OSError):
                temp.unlink()
            log.warning(
                "cannot record the create of %s %s in %s (%s): if this run is killed before the create returns, "
                "the next apply will report it as already existing",
                type_name,
                object_id,
                path.parent,
                exc.strerror or exc,
            )

    def settle(self, type_name: str, object_id: str) -> None:
        """Forget the create of ``object_id``: Terraform's state holds the object now, or it is gone."""
        with self._lock:
            self._memory.pop((type_name, object_id), None)
        path = self._path(type_name, object_id)
        if path is None:
            return
        try:
            path.unlink()
        except FileNotFoundError:
            return
        except OSError as exc:
            log.debug("cannot remove journal entry %s: %s", path, exc)


def _fsync_directory(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


_journal: Journal | None = None
_journal_lock = threading.Lock()


def journal() -> Journal:
    """This process's journal (Terraform's data directory and workspace are fixed for a provider process)."""
    global _journal
    with _journal_lock:
        if _journal is None:
            _journal = Journal.from_environment()
        return _journal
