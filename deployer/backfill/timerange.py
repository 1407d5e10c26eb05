"""The range a backfill covers, and the windows it is cut into.

Times are aware UTC datetimes, and every interval is half-open, ``[start, end)``. Windows sit on a fixed
grid (multiples of the window length since the epoch, so one-day windows are UTC days): two runs over
different ranges cut the same windows, which is what lets a checkpoint from one run apply to the next.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from deployer.errors import UsageError

__all__ = [
    "MIRO_RETENTION",
    "Interval",
    "check_request",
    "parse_duration",
    "parse_since",
    "parse_time",
    "resolve_range",
    "subtract",
    "union",
    "windows",
]

#: How far back Miro's audit log API reaches (older events: CSV export only).
MIRO_RETENTION = dt.timedelta(days=90)
#: ``--since 90d`` starts this much inside Miro's 90 days: the window moves while the backfill runs.
RETENTION_MARGIN = dt.timedelta(minutes=10)

_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([dhm])\s*$")
_UNITS = {"d": "days", "h": "hours", "m": "minutes"}
_CSV_EXPORT = (
    "Miro's API serves only the last 90 days; for older audit logs use the CSV export "
    "(Miro Company Settings > Audit logs > Export)"
)


@dataclass(frozen=True, order=True)
class Interval:
    """``[start, end)``: aware UTC datetimes."""

    start: dt.datetime
    end: dt.datetime

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError(f"interval ends before it starts: {self.start} > {self.end}")

    @property
    def length(self) -> dt.timedelta:
        return self.end - self.start

    def contains(self, instant: dt.datetime) -> bool:
        return self.start <= instant < self.end

    def __str__(self) -> str:
        return f"[{_iso(self.start)}, {_iso(self.end)})"


def _iso(value: dt.datetime) -> str:
    """``2026-03-01T00:00:00Z``, with milliseconds when there are any (Miro's precision)."""
    value = value.astimezone(dt.UTC)
    fraction = f".{value.microsecond // 1000:03d}" if value.microsecond else ""
    return value.strftime("%Y-%m-%dT%H:%M:%S") + fraction + "Z"


def parse_duration(text: str) -> dt.timedelta:
    """``30d``, ``12h``, ``90m`` (a number and a unit); raises UsageError."""
    match = _DURATION.match(text)
    if not match or float(match.group(1)) <= 0:
        raise UsageError(
            f"--since {text!r} is not a duration", remedy="give a number and a unit: 30d (days), 12h (hours) or 90m"
        )
    return dt.timedelta(**{_UNITS[match.group(2)]: float(match.group(1))})


def parse_time(text: str, option: str) -> dt.datetime:
    """An ISO 8601 date or time (``2025-03-01``, ``2025-03-01T10:00Z``, with any offset); UTC when none."""
    value = text.strip()
    if value.endswith(("Z", "z")):
        value = value[:-1] + "+00:00"
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        raise UsageError(
            f"{option} {text!r} is not a date or time",
            remedy=f"give an ISO 8601 date or time, e.g. {option} 2025-03-01 or {option} 2025-03-01T08:00:00Z",
        ) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.UTC)
    return parsed.astimezone(dt.UTC)


def parse_since(text: str) -> dt.timedelta:
    """``--since``: a duration of at most Miro's 90 days; raises UsageError."""
    value = parse_duration(text)
    if value > MIRO_RETENTION:
        raise UsageError(
            f"--since {text} reaches back more than 90 days; {_CSV_EXPORT}", remedy="give at most --since 90d"
        )
    return value


def check_request(*, since: str | None, start: str | None, end: str | None) -> None:
    """What can be checked without knowing the time: each flag parses, and --since goes without --from."""
    if since is not None and start is not None:
        raise UsageError(
            "--since and --from cannot be used together", remedy="give either --since 30d, or --from T [--to T]"
        )
    if since is not None:
        parse_since(since)
    if start is not None:
        parse_time(start, "--from")
    if end is not None:
        parse_time(end, "--to")


def resolve_range(
    now: dt.datetime,
    *,
    since: str | None,
    start: str | None,
    end: str | None,
    settle: dt.timedelta,
    default_since: str = "90d",
) -> tuple[Interval, list[str]]:
    """The range to backfill, and notes for the operator (e.g. a start moved inside Miro's 90 days).

    ``settle``: events newer than ``now - settle`` are left to the connector (its windows and Azure's
    ingestion latency would otherwise race the backfill and double them).

    :raises UsageError: both --since and --from, a time that does not parse, an empty range, a range in
        the future or older than Miro's 90 days.
    """
    check_request(since=since, start=start, end=end)
    notes: list[str] = []
    latest = _floor_ms(now - settle)
    stop = parse_time(end, "--to") if end is not None else latest
    if stop > latest:
        raise UsageError(
            f"--to {_iso(stop)} is later than {_iso(latest)}: events of the last {_minutes(settle)} are left to "
            "the connector, which would otherwise send them too",
            remedy="give an earlier --to, or lower backfill.settle_minutes when no connector collects (--set backfill.settle_minutes=0)",
        )
    oldest = now - MIRO_RETENTION
    if start is not None:
        first = parse_time(start, "--from")
    else:
        first = now - parse_since(since if since is not None else default_since)
    if first < oldest:  # only --from can: --since is at most 90 days
        raise UsageError(
            f"--from {_iso(first)} is more than 90 days ago (before {_iso(oldest)}); {_CSV_EXPORT}",
            remedy=f"give --from {_iso(oldest + RETENTION_MARGIN)} or later, or --since 90d",
        )
    if first < oldest + RETENTION_MARGIN:
        first = _ceil_ms(oldest + RETENTION_MARGIN)
        notes.append(
            f"the range starts at {_iso(first)}, {_minutes(RETENTION_MARGIN)} inside Miro's 90 days, because that "
            "window moves while the backfill runs"
        )
    if first >= stop:
        raise UsageError(f"the range [{_iso(first)}, {_iso(stop)}) is empty", remedy="give a --from earlier than --to")
    return Interval(_floor_ms(first), stop), notes


def windows(span: Interval, length: dt.timedelta, *, skip: Sequence[Interval] = ()) -> list[Interval]:
    """``span`` minus ``skip``, cut at multiples of ``length`` since the epoch; oldest first."""
    cut: list[Interval] = []
    for part in subtract(span, skip):
        start = part.start
        while start < part.end:
            grid = _EPOCH + ((start - _EPOCH) // length + 1) * length
            end = min(grid, part.end)
            cut.append(Interval(start, end))
            start = end
    return cut


def union(intervals: Iterable[Interval]) -> list[Interval]:
    """The same instants as few, sorted, non-touching intervals."""
    merged: list[Interval] = []
    for item in sorted(i for i in intervals if i.end > i.start):
        if merged and item.start <= merged[-1].end:
            if item.end > merged[-1].end:
                merged[-1] = Interval(merged[-1].start, item.end)
        else:
            merged.append(item)
    return merged


def subtract(span: Interval, covered: Iterable[Interval]) -> list[Interval]:
    """The parts of ``span`` outside every interval of ``covered``, in order."""
    parts: list[Interval] = []
    cursor = span.start
    for item in union(covered):
        if item.end <= cursor or item.start >= span.end:
            continue
        if item.start > cursor:
            parts.append(Interval(cursor, min(item.start, span.end)))
        cursor = max(cursor, item.end)
        if cursor >= span.end:
            break
    if cursor < span.end:
        parts.append(Interval(cursor, span.end))
    return parts


def _floor_ms(value: dt.datetime) -> dt.datetime:
    return value.replace(microsecond=value.microsecond // 1000 * 1000)


def _ceil_ms(value: dt.datetime) -> dt.datetime:
    floored = _floor_ms(value)
    return floored if floored == value else floored + dt.timedelta(milliseconds=1)


def _minutes(value: dt.timedelta) -> str:
    minutes = value.total_seconds() / 60
    return f"{minutes:g} minute" + ("" if minutes == 1 else "s")
