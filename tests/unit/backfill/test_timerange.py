"""The range a backfill covers: flags, Miro's 90 days, the connector's recent minutes, and the window grid."""

from __future__ import annotations

import datetime as dt

import pytest

from deployer.backfill.timerange import Interval, check_request, resolve_range, subtract, union, windows
from deployer.errors import UsageError

NOW = dt.datetime(2026, 3, 10, 12, 34, 56, 789000, tzinfo=dt.UTC)
SETTLE = dt.timedelta(minutes=15)


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=dt.UTC)


def test_since_ends_the_settle_time_ago_so_the_connector_keeps_its_recent_windows() -> None:
    span, notes = resolve_range(NOW, since="30d", start=None, end=None, settle=SETTLE)
    assert span == Interval(NOW - dt.timedelta(days=30), NOW - SETTLE)
    assert notes == []


def test_from_and_to_are_read_as_utc_unless_they_name_an_offset() -> None:
    span, _ = resolve_range(NOW, since=None, start="2026-03-01", end="2026-03-02T02:00:00+02:00", settle=SETTLE)
    assert span == Interval(at("2026-03-01T00:00:00"), at("2026-03-02T00:00:00"))


def test_since_90d_starts_a_little_inside_miros_90_days_and_says_so() -> None:
    span, notes = resolve_range(NOW, since="90d", start=None, end=None, settle=SETTLE)
    assert span.start == NOW - dt.timedelta(days=90) + dt.timedelta(minutes=10)
    assert notes and "10 minutes inside Miro's 90 days" in notes[0]


def test_the_default_range_is_all_that_miro_keeps() -> None:
    span, _ = resolve_range(NOW, since=None, start=None, end=None, settle=SETTLE)
    assert span.start == NOW - dt.timedelta(days=90) + dt.timedelta(minutes=10)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (
            {"since": "91d"},
            "--since 91d reaches back more than 90 days; Miro's API serves only the last 90 days; for older audit logs use the CSV export",
        ),
        ({"start": "2025-11-01"}, "--from 2025-11-01T00:00:00Z is more than 90 days ago"),
        ({"since": "30d", "start": "2026-03-01"}, "--since and --from cannot be used together"),
        ({"since": "thirty days"}, "--since 'thirty days' is not a duration"),
        ({"since": "0d"}, "--since '0d' is not a duration"),
        ({"start": "yesterday"}, "--from 'yesterday' is not a date or time"),
        ({"end": "2026-03-10T12:30:00Z"}, "--to 2026-03-10T12:30:00Z is later than 2026-03-10T12:19:56.789Z"),
        (
            {"start": "2026-03-05", "end": "2026-03-04"},
            "the range [2026-03-05T00:00:00Z, 2026-03-04T00:00:00Z) is empty",
        ),
    ],
)
def test_bad_ranges_are_usage_errors_naming_the_flag(kwargs: dict[str, str], message: str) -> None:
    request = {"since": None, "start": None, "end": None, **kwargs}
    with pytest.raises(UsageError) as exc:
        resolve_range(NOW, settle=SETTLE, **request)
    assert exc.value.message.startswith(message), exc.value.message
    assert exc.value.exit_code == 2
    assert "\n" not in exc.value.message


def test_flags_are_checked_without_knowing_the_time() -> None:
    check_request(since="2h", start=None, end=None)
    with pytest.raises(UsageError, match="more than 90 days"):
        check_request(since="100d", start=None, end=None)


def test_windows_sit_on_utc_days_whatever_the_range() -> None:
    span = Interval(at("2026-03-01T10:00:00"), at("2026-03-03T05:00:00"))
    assert windows(span, dt.timedelta(days=1)) == [
        Interval(at("2026-03-01T10:00:00"), at("2026-03-02T00:00:00")),
        Interval(at("2026-03-02T00:00:00"), at("2026-03-03T00:00:00")),
        Interval(at("2026-03-03T00:00:00"), at("2026-03-03T05:00:00")),
    ]


def test_windows_leave_out_what_is_already_covered() -> None:
    span = Interval(at("2026-03-01T00:00:00"), at("2026-03-04T00:00:00"))
    covered = [
        Interval(at("2026-02-27T00:00:00"), at("2026-03-02T00:00:00")),
        Interval(at("2026-03-03T00:00:00"), at("2026-03-03T06:00:00")),
    ]
    assert windows(span, dt.timedelta(days=1), skip=covered) == [
        Interval(at("2026-03-02T00:00:00"), at("2026-03-03T00:00:00")),
        Interval(at("2026-03-03T06:00:00"), at("2026-03-04T00:00:00")),
    ]


def test_union_merges_touching_and_overlapping_intervals() -> None:
    a = Interval(at("2026-03-01T00:00:00"), at("2026-03-02T00:00:00"))
    b = Interval(at("2026-03-02T00:00:00"), at("2026-03-03T00:00:00"))
    c = Interval(at("2026-03-02T12:00:00"), at("2026-03-05T00:00:00"))
    assert union([c, a, b]) == [Interval(a.start, c.end)]


def test_subtract_of_everything_leaves_nothing() -> None:
    span = Interval(at("2026-03-01T00:00:00"), at("2026-03-02T00:00:00"))
    assert subtract(span, [Interval(at("2026-02-01T00:00:00"), at("2026-04-01T00:00:00"))]) == []
