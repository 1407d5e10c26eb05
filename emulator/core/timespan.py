"""ISO 8601 durations and time intervals, as the query and metrics APIs take them.

``PT3600.0S``, ``P1D``, ``PT12H`` (a duration ending now), ``start/end``, ``start/duration`` and
``duration/end``. Years and months are not accepted: their length is ambiguous, and no client of
these APIs sends them.
"""

from __future__ import annotations

import datetime as dt
import re

__all__ = ["parse_duration", "parse_interval"]

_DURATION = re.compile(
    r"^P(?!$)(?:(?P<weeks>\d+(?:\.\d+)?)W)?(?:(?P<days>\d+(?:\.\d+)?)D)?"
    r"(?:T(?=\d)(?:(?P<hours>\d+(?:\.\d+)?)H)?(?:(?P<minutes>\d+(?:\.\d+)?)M)?(?:(?P<seconds>\d+(?:\.\d+)?)S)?)?$",
    re.IGNORECASE,
)


def parse_duration(text: str) -> dt.timedelta:
    """``PT1H``, ``P1D``, ``PT3600.0S``...; raises ``ValueError`` otherwise."""
    match = _DURATION.match(text.strip())
    if not match:
        raise ValueError(f"'{text}' is not an ISO 8601 duration such as PT1H or P1D")
    parts = {k: float(v) for k, v in match.groupdict().items() if v is not None}
    return dt.timedelta(**parts)


def _parse_instant(text: str) -> dt.datetime:
    value = dt.datetime.fromisoformat(text.strip().replace("Z", "+00:00").replace("z", "+00:00"))
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def parse_interval(text: str, *, now: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    """``(start, end)`` of an ISO 8601 interval; a bare duration ends at ``now``. Raises ``ValueError``."""
    text = text.strip()
    if "/" not in text:
        return now - parse_duration(text), now
    first, _, second = text.partition("/")
    try:
        if first.upper().startswith("P"):
            end = _parse_instant(second)
            return end - parse_duration(first), end
        start = _parse_instant(first)
        if second.upper().startswith("P"):
            return start, start + parse_duration(second)
        end = _parse_instant(second)
    except ValueError as exc:
        raise ValueError(f"'{text}' is not an ISO 8601 interval (start/end, start/duration or a duration)") from exc
    if end < start:
        raise ValueError(f"the interval '{text}' ends before it starts")
    return start, end
