"""A window's events from Miro: exactly once across neighbouring windows, whatever Miro's bounds include."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest

from deployer.backfill.source import SeenEvents, created_at, window_events
from deployer.backfill.timerange import Interval
from deployer.miro.client import MiroClient

T0 = dt.datetime(2026, 3, 2, tzinfo=dt.UTC)
MS = dt.timedelta(milliseconds=1)


class BoundsMiro:
    """Serves fixed events with Miro's filter read one of four ways (inclusive or not, on each side)."""

    def __init__(self, events: list[dict[str, Any]], *, after_inclusive: bool, before_inclusive: bool) -> None:
        self.events = events
        self.after_inclusive = after_inclusive
        self.before_inclusive = before_inclusive

    def list_audit_logs(
        self, *, created_after: dt.datetime, created_before: dt.datetime, limit: int
    ) -> Iterator[dict[str, Any]]:
        for event in self.events:
            when = created_at(event)
            assert when is not None
            low = when >= created_after if self.after_inclusive else when > created_after
            high = when <= created_before if self.before_inclusive else when < created_before
            if low and high:
                yield event


def event(offset: dt.timedelta, n: int) -> dict[str, Any]:
    when = T0 + offset
    return {"id": f"e{n}", "createdAt": when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}+0000"}


@pytest.mark.parametrize("after_inclusive", [True, False])
@pytest.mark.parametrize("before_inclusive", [True, False])
def test_events_on_the_shared_edge_belong_to_exactly_one_window(after_inclusive: bool, before_inclusive: bool) -> None:
    hour = dt.timedelta(hours=1)
    offsets = [-MS, dt.timedelta(0), MS, hour - MS, hour, hour + MS, 2 * hour - MS]
    miro = BoundsMiro(
        [event(o, n) for n, o in enumerate(offsets)], after_inclusive=after_inclusive, before_inclusive=before_inclusive
    )
    first, second = Interval(T0, T0 + hour), Interval(T0 + hour, T0 + 2 * hour)
    got = [[e["id"] for e, _ in window_events(miro, w)] for w in (first, second)]  # type: ignore[arg-type]
    assert got == [["e1", "e2", "e3"], ["e4", "e5", "e6"]]


def test_created_at_reads_miros_offset_without_a_colon_and_the_other_forms() -> None:
    expected = dt.datetime(2023, 9, 1, 9, 30, 10, 840000, tzinfo=dt.UTC)
    for text in ("2023-09-01T09:30:10.840+0000", "2023-09-01T09:30:10.840Z", "2023-09-01T11:30:10.840+02:00"):
        assert created_at({"createdAt": text}) == expected
    assert created_at({"createdAt": "last tuesday"}) is None
    assert created_at({}) is None


def test_an_event_whose_time_cannot_be_read_is_kept_where_miro_put_it() -> None:
    odd = {"id": "odd", "createdAt": "not a time"}

    class Once:
        def list_audit_logs(self, **_: Any) -> Iterator[dict[str, Any]]:
            yield odd

    client: MiroClient = Once()  # type: ignore[assignment]
    assert list(window_events(client, Interval(T0, T0 + MS))) == [(odd, None)]


def test_a_window_fetched_again_skips_what_the_first_fetch_handled_and_nothing_more() -> None:
    seen = SeenEvents()
    seen.again()
    first = [("a", T0), ("b", T0 + MS), ("c", T0 + MS)]
    assert [seen.first_time(i, w) for i, w in first] == [True, True, True]
    seen.again()  # Miro failed after "c"; the window is fetched from its start
    second = [("a", T0), ("b", T0 + MS), ("c", T0 + MS), ("d", T0 + MS), ("e", T0 + 2 * MS)]
    assert [seen.first_time(i, w) for i, w in second] == [False, False, False, True, True]


def test_an_event_repeated_at_the_same_instant_is_handled_once() -> None:
    seen = SeenEvents()
    seen.again()
    assert [seen.first_time(i, T0) for i in ("a", "b", "a")] == [True, True, False]
