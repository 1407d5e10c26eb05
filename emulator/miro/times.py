"""Miro's time formats: query parameters, ``createdAt`` values, and event ids / cursors.

* ``createdAfter`` / ``createdBefore``: UTC with a trailing ``Z``. Miro documents milliseconds
  (``2023-03-30T17:26:50.000Z``); the Sentinel poller sends two fractional digits (``...50.00Z``).
  Both are accepted; anything else is refused (see ``COVERAGE.md``).
* ``createdAt``: milliseconds and a colon-less offset, ``2023-09-01T09:30:10.840+0000``.
* Event ids and cursors: the creation time in microseconds, ``#``, a number, ``-DDB``, e.g.
  ``2023-09-01T09:30:10.840687Z#1234567890123456789-DDB``. The ``#`` is why a client must URL-encode it.

Internally an instant is an integer count of microseconds since the epoch (exact, cheap to compare).
"""

from __future__ import annotations

import datetime as dt
import re

__all__ = [
    "EPOCH",
    "EventKey",
    "format_created_at",
    "format_key",
    "format_query_time",
    "from_micros",
    "parse_created_at",
    "parse_key",
    "parse_query_time",
    "to_micros",
]

EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)

#: An event's position in Miro's order: (creation time in microseconds, number).
EventKey = tuple[int, int]

_QUERY_TIME = re.compile(r"^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})\.(\d{2,3})Z$")
_KEY = re.compile(r"^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})\.(\d{6})Z#(\d{1,19})-DDB$")
_OFFSET_NO_COLON = re.compile(r"([+-]\d{2})(\d{2})$")


def to_micros(value: dt.datetime) -> int:
    """Microseconds since the epoch for an aware datetime (naive values are taken as UTC)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    delta = value - EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def from_micros(micros: int) -> dt.datetime:
    return EPOCH + dt.timedelta(microseconds=micros)


def parse_query_time(text: str) -> int:
    """Microseconds for a ``createdAfter``/``createdBefore`` value; raises ``ValueError`` otherwise."""
    match = _QUERY_TIME.match(text)
    if not match:
        raise ValueError(text)
    year, month, day, hour, minute, second, fraction = match.groups()
    instant = dt.datetime(int(year), int(month), int(day), int(hour), int(minute), int(second), tzinfo=dt.UTC)
    # Two digits are hundredths, three are milliseconds.
    return to_micros(instant) + int(fraction.ljust(6, "0"))


def format_query_time(micros: int) -> str:
    """The documented form, milliseconds and ``Z`` (sub-millisecond digits are dropped)."""
    value = from_micros(micros)
    return value.strftime("%Y-%m-%dT%H:%M:%S") + f".{value.microsecond // 1000:03d}Z"


def format_created_at(micros: int) -> str:
    """``createdAt`` as Miro v2 sends it: ``2023-09-01T09:30:10.840+0000``."""
    value = from_micros(micros)
    return value.strftime("%Y-%m-%dT%H:%M:%S") + f".{value.microsecond // 1000:03d}+0000"


def parse_created_at(text: str) -> int:
    """Microseconds for an ISO 8601 time with ``Z``, ``+hh:mm`` or ``+hhmm``; raises ``ValueError``."""
    value = text.strip()
    if value.endswith(("Z", "z")):
        value = value[:-1] + "+00:00"
    value = _OFFSET_NO_COLON.sub(r"\1:\2", value)
    parsed = dt.datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        raise ValueError(f"{text!r} has no UTC offset")
    return to_micros(parsed)


def format_key(key: EventKey) -> str:
    """An event id / cursor: ``2023-09-01T09:30:10.840687Z#1234567890123456789-DDB``."""
    micros, number = key
    value = from_micros(micros)
    return value.strftime("%Y-%m-%dT%H:%M:%S") + f".{value.microsecond:06d}Z#{number}-DDB"


def parse_key(text: str) -> EventKey | None:
    """The key in a cursor, or ``None`` when ``text`` is not a whole cursor (e.g. cut at ``#``)."""
    match = _KEY.match(text)
    if not match:
        return None
    seconds, fraction, number = match.groups()
    try:
        instant = dt.datetime.fromisoformat(seconds).replace(tzinfo=dt.UTC)
    except ValueError:
        return None
    return to_micros(instant) + int(fraction), int(number)
