"""The Miro side: the events of one window, exactly once, whatever Miro's date filters include.

Whether ``createdAfter`` and ``createdBefore`` are inclusive is not documented. Each window is asked
for with one millisecond more on both sides (``createdAt`` has millisecond precision), and the events
are kept by their own ``createdAt`` in ``[start, end)``: neighbouring windows then neither both keep an
event on their shared edge nor both drop it, under any of the four readings.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from typing import Any

from deployer.backfill.timerange import Interval
from deployer.miro.client import MiroClient

__all__ = ["PAGE_LIMIT", "SeenEvents", "created_at", "window_events"]

#: Events per page: the connector's own page size and Miro's documented default.
PAGE_LIMIT = 100
_EDGE = dt.timedelta(milliseconds=1)
_OFFSET_NO_COLON = re.compile(r"([+-]\d{2})(\d{2})$")


def created_at(event: dict[str, Any]) -> dt.datetime | None:
    """The event's ``createdAt`` (``...840+0000``, ``...Z`` or ``+00:00``) in UTC; None when absent or unreadable."""
    value = event.get("createdAt")
    if not isinstance(value, str):
        return None
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    text = _OFFSET_NO_COLON.sub(r"\1:\2", text)
    try:
        parsed = dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed.astimezone(dt.UTC) if parsed.tzinfo is not None else None


def window_events(client: MiroClient, window: Interval) -> Iterator[tuple[dict[str, Any], dt.datetime | None]]:
    """The window's events, oldest first, each with its ``createdAt``.

    An event whose ``createdAt`` cannot be read is kept (with None): Miro placed it in this window.
    """
    pages = client.list_audit_logs(
        created_after=window.start - _EDGE, created_before=window.end + _EDGE, limit=PAGE_LIMIT
    )
    for event in pages:
        when = created_at(event)
        if when is None or window.contains(when):
            yield event, when


class SeenEvents:
    """The events a window's fetch has handled, in little memory: Miro returns them oldest first.

    A fetch of the window that starts again (after Miro failed) skips every event older than the newest
    instant the earlier fetches reached, and those of that instant they had; only the ids of the newest
    instant are kept. An event that comes out of order cannot be placed, and is handled (Miro's paging
    never repeats one).
    """

    def __init__(self) -> None:
        self._reached: dt.datetime | None = None
        self._at_reached: set[str] = set()
        self._resume: tuple[dt.datetime, frozenset[str]] | None = None

    def again(self) -> None:
        """A new fetch of the window begins."""
        if self._reached is not None:
            self._resume = (self._reached, frozenset(self._at_reached))

    def first_time(self, event_id: str, when: dt.datetime) -> bool:
        if self._resume is not None:
            until, ids = self._resume
            if when < until or (when == until and event_id in ids):
                return False
        if self._reached is None or when > self._reached:
            self._reached, self._at_reached = when, {event_id}
        elif when == self._reached:
            if event_id in self._at_reached:
                return False
            self._at_reached.add(event_id)
        return True
