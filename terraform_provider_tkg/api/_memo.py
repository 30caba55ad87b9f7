"""A short-lived, single-flight memo of inventory reads, per process: namespaces, their VM class bindings, storage
quotas and ClusterClasses, and the Kubernetes releases.

Why: the plan-time checks of every cluster read the same inventory of its namespace. N clusters in one namespace made
N identical reads of each list per Terraform phase, and the parallel walk made them at the same moment (an N+1
pattern: seven requests per cluster, twice per apply). Within one process the inventory changes only when this process
writes to vCenter (a namespace or a VM class), which calls ``inventory_changed()`` and so empties every memo, or from
outside, which ``ttl`` bounds: a plan is a snapshot anyway, and the old reads raced with outside changes the same way.

Only successful reads are kept; an error (NotFound included) reaches every caller waiting for that read and is not
remembered.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

__all__ = ["DEFAULT_TTL_SECONDS", "Memo", "inventory_changed"]

T = TypeVar("T")

DEFAULT_TTL_SECONDS = 30.0

_epoch = 0
_epoch_lock = threading.Lock()


def inventory_changed() -> None:
    """Forget every memoised read in this process (call after a write that can change the inventory)."""
    global _epoch
    with _epoch_lock:
        _epoch += 1


class Memo:
    """Reads by key, kept ``ttl`` seconds unless the inventory changes; concurrent readers of a key share one read."""

    def __init__(self, ttl: float = DEFAULT_TTL_SECONDS, clock: Callable[[], float] = time.monotonic) -> None:
        self._ttl = ttl
        self._clock = clock
        self._lock = threading.Lock()
        self._key_locks: dict[Hashable, threading.Lock] = {}
        self._entries: dict[Hashable, tuple[int, float, Any]] = {}
        # The last failed read per key; a fresh tuple each time, so callers can tell a failure that happened while
        # they waited from an older one.
        self._failures: dict[Hashable, tuple[Exception]] = {}

    def get(self, key: Hashable, read: Callable[[], T]) -> T:
        """The value of ``read()`` for ``key``, from the memo when it is fresh."""
        with self._lock:
            key_lock = self._key_locks.setdefault(key, threading.Lock())
            failed_before = self._failures.get(key)
        with key_lock:
            failure = self._failures.get(key)
            if failure is not None and failure is not failed_before:
                # The read this caller waited for failed: share its error instead of trying again (a silent
                # endpoint would otherwise cost every waiting caller one more full time-out).
                raise failure[0]
            entry = self._entries.get(key)
            if entry is not None and entry[0] == _epoch and self._clock() - entry[1] < self._ttl:
                value: T = entry[2]
                return value
            epoch = _epoch
            try:
                value = read()
            except Exception as error:
                with self._lock:
                    self._failures[key] = (error,)
                raise
            self._entries[key] = (epoch, self._clock(), value)
            return value
