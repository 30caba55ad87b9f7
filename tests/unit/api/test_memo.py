"""The inventory memo: one read per key while fresh, shared by concurrent readers, forgotten after a vCenter write."""

from __future__ import annotations

import threading
import time

import pytest

from terraform_provider_tkg.api import _memo, errors


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_fresh_read_is_reused_until_the_ttl_passes() -> None:
    clock = Clock()
    memo = _memo.Memo(ttl=30, clock=clock)
    reads: list[int] = []

    def read() -> list[str]:
        reads.append(1)
        return ["best-effort-small"]

    assert memo.get("ns-a", read) == ["best-effort-small"]
    clock.now += 29
    assert memo.get("ns-a", read) == ["best-effort-small"]
    assert len(reads) == 1
    assert memo.get("ns-b", read) == ["best-effort-small"]  # another key is another read
    assert len(reads) == 2
    clock.now += 1
    memo.get("ns-a", read)
    assert len(reads) == 3


def test_an_inventory_change_forgets_every_read() -> None:
    memo = _memo.Memo(ttl=30)
    values = iter([["a"], ["a", "b"]])
    assert memo.get("classes", lambda: next(values)) == ["a"]
    _memo.inventory_changed()
    assert memo.get("classes", lambda: next(values)) == ["a", "b"]


def test_errors_reach_the_caller_and_are_not_remembered() -> None:
    memo = _memo.Memo(ttl=30)

    def missing() -> None:
        raise errors.NotFound("no such namespace", operation="GET namespace")

    with pytest.raises(errors.NotFound):
        memo.get("ns", missing)
    assert memo.get("ns", lambda: "there now") == "there now"


def test_concurrent_readers_of_one_key_share_one_read() -> None:
    memo = _memo.Memo(ttl=30)
    reads: list[int] = []
    release = threading.Event()

    def slow_read() -> str:
        reads.append(1)
        release.wait(5)
        return "releases"

    results: list[str] = []
    threads = [threading.Thread(target=lambda: results.append(memo.get("releases", slow_read))) for _ in range(8)]
    for thread in threads:
        thread.start()
    time.sleep(0.05)  # let every reader queue behind the first read
    release.set()
    for thread in threads:
        thread.join(5)
    assert results == ["releases"] * 8
    assert len(reads) == 1


def test_readers_waiting_on_a_failed_read_share_its_error() -> None:
    memo = _memo.Memo(ttl=30)
    reads: list[int] = []
    release = threading.Event()

    def failing_read() -> str:
        reads.append(1)
        release.wait(5)
        raise errors.CallTimeout("no answer", operation="GET namespace", phase="the TLS handshake")

    outcomes: list[str] = []

    def reader() -> None:
        try:
            memo.get("ns", failing_read)
        except errors.CallTimeout:
            outcomes.append("timeout")

    threads = [threading.Thread(target=reader) for _ in range(4)]
    for thread in threads:
        thread.start()
    time.sleep(0.05)  # let every reader queue behind the first read
    release.set()
    for thread in threads:
        thread.join(5)
    assert outcomes == ["timeout"] * 4
    assert len(reads) == 1
    assert memo.get("ns", lambda: "reachable again") == "reachable again"  # a later caller tries again
