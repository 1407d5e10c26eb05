"""Retries of transient faults: exponential backoff with jitter, the server's wait honoured, within a budget."""

from __future__ import annotations

from typing import Any

import pytest

from deployer.retry import RetryPolicy, Transient, backoff_delay


class Flaky:
    """Fails ``failures`` times with ``error``, then answers."""

    def __init__(self, failures: int, error: Exception) -> None:
        self.failures = failures
        self.error = error
        self.calls = 0

    def __call__(self) -> str:
        self.calls += 1
        if self.calls <= self.failures:
            raise self.error
        return "answer"


def transient(exc: Exception) -> Transient | None:
    return Transient("dropped") if isinstance(exc, ConnectionError) else None


def policy(waits: list[float], **kwargs: Any) -> RetryPolicy:
    now = [0.0]

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        now[0] += seconds

    return RetryPolicy(sleep=sleep, clock=lambda: now[0], **kwargs)


def test_a_transient_fault_is_retried_with_growing_jittered_waits() -> None:
    waits: list[float] = []
    flaky = Flaky(3, ConnectionError("reset"))
    assert policy(waits, budget=60, max_attempts=5).run("reading", flaky, transient) == "answer"
    assert flaky.calls == 4
    for wait, base in zip(waits, (0.5, 1.0, 2.0), strict=True):
        assert base * 0.8 <= wait <= base * 1.2


def test_a_fault_that_is_not_transient_is_raised_at_once() -> None:
    waits: list[float] = []
    flaky = Flaky(1, ValueError("refused"))
    with pytest.raises(ValueError):
        policy(waits).run("reading", flaky, transient)
    assert (flaky.calls, waits) == (1, [])


def test_the_last_fault_is_raised_when_the_attempts_are_spent() -> None:
    waits: list[float] = []
    flaky = Flaky(10, ConnectionError("reset"))
    with pytest.raises(ConnectionError):
        policy(waits, max_attempts=3).run("reading", flaky, transient)
    assert flaky.calls == 3 and len(waits) == 2


def test_no_wait_goes_past_the_budget() -> None:
    waits: list[float] = []
    flaky = Flaky(10, ConnectionError("reset"))
    with pytest.raises(ConnectionError):
        policy(waits, budget=2.0, max_attempts=20).run("reading", flaky, transient)
    assert sum(waits) <= 2.0


def test_the_servers_retry_after_is_honoured() -> None:
    waits: list[float] = []
    flaky = Flaky(1, ConnectionError("busy"))
    policy(waits).run("reading", flaky, lambda exc: Transient("busy", retry_after=7.0))
    assert waits == [7.0]


def test_backoff_is_capped() -> None:
    assert 24.0 <= backoff_delay(30, base=0.5, cap=30.0) <= 36.0
