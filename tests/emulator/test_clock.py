"""The virtual clock: scaled, monotonic, never behind real time nor behind the state it resumes from."""

from __future__ import annotations

import datetime as dt

import pytest

from emulator.clock import VirtualClock


class FakeTime:
    def __init__(self, start: float) -> None:
        self.value = start

    def __call__(self) -> float:
        return self.value


def test_virtual_time_runs_time_scale_times_faster() -> None:
    real = FakeTime(1_800_000_000.0)
    clock = VirtualClock(time_scale=60, real_time=real)
    start = clock.now()

    real.value += 5

    assert clock.now() - start == dt.timedelta(minutes=5)


def test_it_resumes_from_a_later_persisted_time() -> None:
    real = FakeTime(1_800_000_000.0)
    persisted = dt.datetime.fromtimestamp(real.value, dt.UTC) + dt.timedelta(hours=3)

    clock = VirtualClock(time_scale=1, start_at=persisted, real_time=real)

    assert clock.now() == persisted


def test_it_never_starts_behind_real_time() -> None:
    real = FakeTime(1_800_000_000.0)

    clock = VirtualClock(time_scale=1, start_at=dt.datetime(2000, 1, 1, tzinfo=dt.UTC), real_time=real)

    assert clock.now() == dt.datetime.fromtimestamp(real.value, dt.UTC)


def test_it_never_goes_backwards_when_the_wall_clock_does() -> None:
    real = FakeTime(1_800_000_000.0)
    clock = VirtualClock(time_scale=1, real_time=real)
    real.value += 10
    later = clock.now()

    real.value -= 60

    assert clock.now() == later


def test_real_seconds_converts_a_virtual_wait() -> None:
    assert VirtualClock(time_scale=120).real_seconds(60) == 0.5


@pytest.mark.parametrize("scale", [0, -1, float("inf")])
def test_time_scale_must_be_positive_and_finite(scale: float) -> None:
    with pytest.raises(ValueError, match="time_scale must be a positive number"):
        VirtualClock(time_scale=scale)


def test_advance_jumps_ahead_and_keeps_running() -> None:
    real = FakeTime(1_800_000_000.0)
    clock = VirtualClock(time_scale=2, real_time=real)
    start = clock.now()

    clock.advance(60)
    real.value += 1

    assert clock.now() - start == dt.timedelta(seconds=62)


def test_advance_refuses_to_go_back() -> None:
    with pytest.raises(ValueError, match="only moves forward"):
        VirtualClock().advance(-1)
