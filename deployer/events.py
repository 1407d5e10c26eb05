"""The Miro ``event`` and ``category`` values a workspace has seen, with counts (``miro-sentinel events``).

Miro does not publish the full list of its audit event names, so the rules that need them read them from
settings (``content.sign_in_failure_events``, ``content.sign_in_success_events``, ``content.admin_categories``);
this is how an operator finds the values their organisation really sends, to confirm or tune those lists.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from deployer.azure.query import QueryClient
from deployer.validation import VALIDATION_CATEGORY

__all__ = ["MAX_SINCE", "EventCount", "event_counts", "parse_since"]

_SPAN = re.compile(r"(\d+)([mhd])")
_UNITS = {"m": "minutes", "h": "hours", "d": "days"}
#: Miro's API keeps 90 days; a table may hold more (backfill, long retention): up to two years.
MAX_SINCE = dt.timedelta(days=730)


@dataclass(frozen=True)
class EventCount:
    """One (event, category) pair: how many rows, and when first and last seen in the span."""

    event: str
    category: str
    count: int
    first_seen: dt.datetime | None
    last_seen: dt.datetime | None


def parse_since(text: str) -> dt.timedelta:
    """``90m``, ``24h``, ``7d`` as a span; raises ``ValueError`` naming what is allowed."""
    match = _SPAN.fullmatch(text.strip())
    if not match or int(match.group(1)) == 0:
        raise ValueError(f"'{text}' is not a span: use a whole number and m, h or d, such as 90m, 24h or 7d")
    span = dt.timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})
    if span > MAX_SINCE:
        raise ValueError(f"'{text}' is longer than {MAX_SINCE.days} days")
    return span


def event_counts(query: QueryClient, table: str, since: dt.timedelta) -> list[EventCount]:
    """Every (event, category) seen in ``table`` over the last ``since``, most frequent first."""
    minutes = int(since.total_seconds() // 60)
    rows = query.query(
        f"{table} | where TimeGenerated > ago({minutes}m) | where category != '{VALIDATION_CATEGORY}' "
        "| summarize Events = count(), FirstSeen = min(TimeGenerated), LastSeen = max(TimeGenerated) by event, category "
        "| sort by Events desc, event asc",
        timespan=since,
    )
    return [
        EventCount(
            event=str(row.get("event") or ""),
            category=str(row.get("category") or ""),
            count=int(row.get("Events") or 0),
            first_seen=_time(row.get("FirstSeen")),
            last_seen=_time(row.get("LastSeen")),
        )
        for row in rows
    ]


def _time(value: Any) -> dt.datetime | None:
    return value if isinstance(value, dt.datetime) else None
