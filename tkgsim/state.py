"""Persisting ``world.data`` to ``--state-file``: atomic writes (temp file + fsync + rename), durable by default.

``StateSaver.schedule()`` is what ``world.on_change`` calls after every mutation. With ``debounce`` 0 (the default)
it writes at once, inside the request that changed something, so a write is on disk before the client hears it
succeeded, as etcd guarantees (a SIGKILL right after a create keeps the object). A positive ``debounce`` arms one
timer instead and trades that guarantee for fewer writes. ``flush()`` writes immediately (shutdown). The file is plain
JSON.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import tempfile
from pathlib import Path
from typing import Any

__all__ = ["StateSaver", "load_state", "write_atomically"]

logger = logging.getLogger(__name__)


def load_state(path: Path) -> dict[str, Any] | None:
    """The saved ``world.data``, or None when the file does not exist. A corrupt file is an error."""
    try:
        raw = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    data = json.loads(raw)
    if not isinstance(data, dict):
        raise ValueError(f"state file {path} does not hold a JSON object")
    return data


def write_atomically(path: Path, data: dict[str, Any]) -> None:
    """Write ``data`` as JSON so that readers see either the old or the new file, never a torn one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = json.dumps(data, indent=1, sort_keys=True).encode("utf-8")
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(payload)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    try:
        dir_fd = os.open(path.parent, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(dir_fd)
    except OSError:
        pass
    finally:
        os.close(dir_fd)


class StateSaver:
    """Debounced saves of one ``data`` dict to ``path`` from inside an asyncio loop."""

    def __init__(self, path: Path, data: dict[str, Any], *, debounce: float = 0.0) -> None:
        self.path = path
        self.data = data
        self.debounce = debounce
        self.saves = 0
        self._handle: asyncio.TimerHandle | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def bind(self, loop: asyncio.AbstractEventLoop) -> None:
        """Attach the loop that runs the servers; changes reported from other threads are marshalled onto it."""
        self._loop = loop

    def schedule(self) -> None:
        """Save now (``debounce`` 0), or arm a save ``debounce`` seconds from now unless one is already pending."""
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is not loop:
            loop.call_soon_threadsafe(self.schedule)
            return
        if self.debounce <= 0:
            self._save_now()
            return
        if self._handle is None:
            self._handle = loop.call_later(self.debounce, self._save_now)

    def _save_now(self) -> None:
        self._handle = None
        try:
            self.flush()
        except OSError:
            logger.exception("saving the state file %s failed", self.path)

    def flush(self) -> None:
        """Write now (and cancel a pending save)."""
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None
        write_atomically(self.path, self.data)
        self.saves += 1
        logger.debug("state saved to %s", self.path)
