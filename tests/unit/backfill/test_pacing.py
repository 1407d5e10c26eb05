"""Pacing against a simulated Miro budget on a fake clock: the share is used, no 429, the connector keeps its part.

The simulated Miro counts credits per token per minute, as Miro documents: ``X-RateLimit-Limit``,
``-Remaining`` and ``-Reset`` (a UNIX time) on every answer, and a refusal (nothing charged) when a call
does not fit. Its minutes are aligned on the clock's; the pacer learns them only from the headers.
"""

from __future__ import annotations

import datetime as dt
import itertools
import threading
from dataclasses import dataclass, field

import pytest

from deployer.backfill.pacing import CreditPacer, PacingStopped
from deployer.miro.client import RateLimit

COST = 100


@dataclass
class FakeTime:
    now: float = 1_700_000_007.25  # UNIX seconds, not on a minute

    def advance(self, seconds: float) -> None:
        self.now += max(seconds, 0.0)


@dataclass
class SimulatedMiro:
    """One token's budget; ``charge`` is one call at the current time."""

    time: FakeTime
    limit: int
    spent: dict[int, int] = field(default_factory=dict)
    refused: int = 0

    def minute(self) -> int:
        return int(self.time.now // 60)

    def charge(self, credits: int) -> tuple[int, RateLimit]:
        minute = self.minute()
        used = self.spent.get(minute, 0)
        allowed = used + credits <= self.limit
        if allowed:
            used = self.spent[minute] = used + credits
        else:
            self.refused += 1
        reset = dt.datetime.fromtimestamp((minute + 1) * 60, dt.UTC)
        return (200 if allowed else 429), RateLimit(self.limit, self.limit - used, reset)


def pacer_on(time: FakeTime, share: float, stop: threading.Event | None = None) -> CreditPacer:
    return CreditPacer(
        share, stop=stop, clock=lambda: time.now, wall=lambda: time.now, wait=lambda _c, s: time.advance(s)
    )


def run_for(
    pacer: CreditPacer,
    miro: SimulatedMiro,
    minutes: int,
    *,
    latency: float = 0.05,
    others: int = 0,
    pause_every: int = 0,
) -> None:
    """Sequential calls for ``minutes``; ``others`` credits a minute are spent by someone else (the connector);
    every ``pause_every`` calls the caller is busy 6 s elsewhere (reading the table for its next window)."""
    end = miro.time.now + minutes * 60
    connector_minute = -1
    calls = 0
    while miro.time.now < end:
        calls += 1
        if pause_every and calls % pause_every == 0:
            miro.time.advance(6.0)
        if others and miro.minute() != connector_minute and miro.time.now % 60 > 20:
            connector_minute = miro.minute()
            for _ in range(others // COST):
                miro.charge(COST)
        pacer.before_request(COST)
        miro.time.advance(latency)
        status, seen = miro.charge(COST)
        pacer.after_response(COST, status, seen, 1.0 if status == 429 else None)


def full_minutes(miro: SimulatedMiro, start: float, minutes: int) -> list[int]:
    first = int(start // 60) + 1
    return [miro.spent.get(m, 0) for m in range(first, first + minutes)]


@pytest.mark.parametrize("limit", [10_000, 100_000])
@pytest.mark.parametrize("share", [0.5, 1.0])
def test_the_share_is_used_within_5_percent_and_never_exceeded(limit: int, share: float) -> None:
    time = FakeTime()
    miro = SimulatedMiro(time, limit)
    start = time.now
    run_for(pacer_on(time, share), miro, minutes=12)
    used = full_minutes(miro, start, 10)
    assert miro.refused == 0
    assert all(share * limit * 0.95 <= u <= share * limit for u in used), used


def test_the_calls_are_spread_over_the_minute_not_sent_in_a_burst() -> None:
    time = FakeTime()
    miro = SimulatedMiro(time, 10_000)
    pacer = pacer_on(time, 0.5)
    started = []
    for _ in range(50):
        pacer.before_request(COST)
        started.append(time.now)
        status, seen = miro.charge(COST)
        pacer.after_response(COST, status, seen, None)
    gaps = [b - a for a, b in itertools.pairwise(started)]
    assert min(gaps[1:]) == pytest.approx(1.2)  # 60 s / (5,000 credits / 100 a call)


def test_slots_missed_while_the_caller_was_busy_are_made_up_within_the_minute() -> None:
    time = FakeTime()
    miro = SimulatedMiro(time, 10_000)
    start = time.now
    run_for(pacer_on(time, 0.5), miro, minutes=12, pause_every=20)
    assert miro.refused == 0
    assert all(4_750 <= u <= 5_000 for u in full_minutes(miro, start, 10))


def test_credits_someone_else_spends_never_lead_to_a_429() -> None:
    time = FakeTime()
    miro = SimulatedMiro(time, 10_000)
    run_for(pacer_on(time, 1.0), miro, minutes=6, others=3_000)
    assert miro.refused == 0


def test_the_limit_in_the_headers_replaces_the_documented_one() -> None:
    time = FakeTime()
    miro = SimulatedMiro(time, 100_000)
    pacer = pacer_on(time, 0.5)
    run_for(pacer, miro, minutes=3)
    assert pacer.usage().limit == 100_000
    assert pacer.usage().allowance == 50_000


def test_a_429_pauses_every_caller_for_the_wait_it_asked() -> None:
    time = FakeTime()
    pacer = pacer_on(time, 0.5)
    pacer.before_request(COST)
    reset = dt.datetime.fromtimestamp(time.now + 30, dt.UTC)
    pacer.after_response(COST, 429, RateLimit(10_000, 0, reset), 7.0)
    before = time.now
    pacer.before_request(COST)
    assert time.now - before >= 7.0
    assert pacer.usage().throttled == 1


def test_a_stop_ends_a_wait_with_pacing_stopped() -> None:
    time = FakeTime()
    stop = threading.Event()
    pacer = pacer_on(time, 0.5, stop)
    pacer.before_request(COST)
    stop.set()
    with pytest.raises(PacingStopped):
        pacer.before_request(COST)


def test_usage_counts_our_credits_per_ended_minute() -> None:
    time = FakeTime()
    miro = SimulatedMiro(time, 10_000)
    pacer = pacer_on(time, 0.5)
    start = time.now
    run_for(pacer, miro, minutes=4)
    usage = pacer.usage()
    assert usage.credits == sum(miro.spent.values())
    assert list(usage.per_minute[1:3]) == full_minutes(miro, start, 2)
