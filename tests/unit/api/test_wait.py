"""api/wait.py: the generic poller (targets, GONE, failure states, deadline, interrupt, transient retries, logs)."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator

import pytest

from terraform_provider_tkg.api import errors, wait


def sequence(*states: str | Exception) -> Iterator[str | Exception]:
    yield from states
    while True:
        yield states[-1]


def fetcher(states: Iterator[str | Exception]) -> object:
    def fetch() -> dict[str, str]:
        state = next(states)
        if isinstance(state, Exception):
            raise state
        return {"status": state}

    return fetch


def run(*states: str | Exception, **kw: object) -> object:
    params: dict[str, object] = {
        "pending": {"CONFIGURING"},
        "target": {"RUNNING"},
        "deadline": time.monotonic() + 5,
        "label": "[thing a]",
        "interval": 0.001,
        "max_interval": 0.002,
    }
    params.update(kw)
    return wait.wait_for(fetcher(sequence(*states)), lambda o: o["status"], **params)  # type: ignore[arg-type]


def test_reaches_target_and_returns_object() -> None:
    assert run("CONFIGURING", "CONFIGURING", "RUNNING") == {"status": "RUNNING"}


def test_gone_target_returns_none() -> None:
    gone = errors.NotFound("gone")
    assert run("REMOVING", gone, pending={"REMOVING"}, target={wait.GONE}) is None


def test_failure_state_raises_with_messages_and_last() -> None:
    with pytest.raises(errors.WaitFailed) as info:
        run("CONFIGURING", "ERROR", failure_messages=lambda o: ["quota exceeded"])
    assert info.value.last == {"status": "ERROR"} and info.value.last_status == "ERROR"
    assert info.value.messages == ["quota exceeded"]
    assert "quota exceeded" in str(info.value)


def test_deadline_raises_timeout_with_last_object() -> None:
    with pytest.raises(errors.WaitTimeout) as info:
        run("CONFIGURING", deadline=time.monotonic() + 0.02)
    assert type(info.value) is errors.WaitTimeout
    assert info.value.last == {"status": "CONFIGURING"}


def test_stop_event_cancels_promptly() -> None:
    stop = threading.Event()
    stop.set()
    with pytest.raises(errors.WaitCancelled) as info:
        run("CONFIGURING", stop=stop, deadline=None, interval=10.0)
    assert info.value.last == {"status": "CONFIGURING"}


def test_transient_errors_are_retried_other_errors_end_the_wait() -> None:
    assert run(errors.Transient("503"), "RUNNING") == {"status": "RUNNING"}
    with pytest.raises(errors.Forbidden):
        run(errors.Forbidden("no"))


def test_logs_each_status_change_once(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="terraform_provider_tkg.api.wait"):
        run("CONFIGURING", "CONFIGURING", "CONFIGURING", "RUNNING")
    assert [r.getMessage() for r in caplog.records] == ["[thing a] CONFIGURING", "[thing a] RUNNING"]
