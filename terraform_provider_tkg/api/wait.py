"""The one generic poller: fetch an object until its status reaches a target, within a deadline.

Why one poller: every long operation (namespace configuring/removing, cluster provisioning) needs the same deadline,
backoff, interrupt and logging behaviour, and returns the last object it saw even when it fails, so that a resource
can put that partial state into Terraform's state (tainted) instead of forgetting the object. Per object kind, the
clients wrap it as ``wait_<kind>_<state>()``.

Only ``errors.Transient`` is retried while polling (the transport already retried it); any other error ends the wait.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Collection
from typing import TypeVar

from . import errors

__all__ = ["GONE", "wait_for"]

T = TypeVar("T")

# The status of an object that no longer exists (fetch raised NotFound); use it in ``target`` to wait for deletion.
GONE = "GONE"

log = logging.getLogger(__name__)


def wait_for(
    fetch: Callable[[], T],
    status: Callable[[T], str],
    *,
    pending: Collection[str],
    target: Collection[str],
    deadline: float | None,
    label: str,
    stop: threading.Event | None = None,
    failure_messages: Callable[[T], list[str]] | None = None,
    interval: float = 1.0,
    max_interval: float = 10.0,
    logger: logging.Logger | None = None,
) -> T | None:
    """Poll ``fetch`` until ``status(obj)`` is in ``target``; returns that object (None when the target is ``GONE``).

    ``deadline`` is a ``time.monotonic()`` value (None = no limit). A status outside ``pending`` and ``target`` raises
    ``errors.WaitFailed`` with ``failure_messages(obj)``; the deadline raises ``errors.WaitTimeout``; ``stop`` being
    set raises ``errors.WaitCancelled``. All three carry ``last`` = the last object fetched. Each status change is
    logged at INFO, prefixed with ``label`` (e.g. ``[namespace team-a]``).
    """
    logger = logger or log
    last: T | None = None
    last_status = ""
    delay = interval
    while True:
        try:
            obj = fetch()
            current = status(obj)
            last = obj
        except errors.NotFound:
            current = GONE
        except errors.Transient as exc:
            current = last_status
            logger.info("%s still waiting: %s", label, exc.message)
        if current != last_status:
            logger.info("%s %s", label, current)
            last_status = current
        if current in target:
            return None if current == GONE else last
        if current not in pending and current:
            messages = failure_messages(last) if failure_messages and last is not None and current != GONE else []
            detail = f": {'; '.join(messages)}" if messages else ""
            raise errors.WaitFailed(
                f"{label} reached status {current}{detail}", last=last, status=current, messages=messages or None
            )
        remaining = None if deadline is None else deadline - time.monotonic()
        if remaining is not None and remaining <= 0:
            raise errors.WaitTimeout(
                f"{label} timed out waiting for {'/'.join(sorted(target))}; last status {current or 'unknown'}",
                last=last,
                status=current,
            )
        pause = delay if remaining is None else min(delay, remaining)
        if stop is not None:
            if stop.wait(pause):
                message = f"{label} wait interrupted; last status {current}"
                raise errors.WaitCancelled(message, last=last, status=current)
        else:
            time.sleep(pause)
        delay = min(max_interval, delay * 1.5)
