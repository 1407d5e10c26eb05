"""The table side: which events of a window the table already holds (Azure has no upsert).

Rows are found by ``createdAt`` (the event time, which the DCR transform keeps), not ``TimeGenerated``:
Azure gives a record older than two days its ingestion time as ``TimeGenerated``, so backfilled rows
carry the time they were sent. ``TimeGenerated`` is still never earlier than the event, which bounds
the scan. A margin on both sides covers rounding; a row whose ``createdAt`` is null (a transform that
could not read it) is found by its id, which starts with the event time in Miro's v2 ids.
"""

from __future__ import annotations

import datetime as dt
import threading
from dataclasses import dataclass

from deployer.azure.query import QueryClient
from deployer.backfill.timerange import Interval
from deployer.errors import UsageError

__all__ = ["MARGIN", "QUERY_ROW_LIMIT", "TableRows", "WindowRows"]

MARGIN = dt.timedelta(minutes=5)
#: Log Analytics returns at most this many rows per query; a window that reaches it is too wide.
QUERY_ROW_LIMIT = 500_000


def _literal(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


@dataclass(frozen=True)
class WindowRows:
    """The ids in the table for a window (with the margin), and how many rows each has."""

    ids: frozenset[str]
    #: Rows beyond the first, per UTC day of the event, for ids inside the window.
    duplicates: dict[dt.date, int]


class TableRows:
    """Reads ids from the table; one query per window (serialised: the query client is shared)."""

    def __init__(self, query: QueryClient, table: str) -> None:
        self._query = query
        self._table = table
        self._lock = threading.Lock()

    def kql(self, window: Interval) -> str:
        low, high = window.start - MARGIN, window.end + MARGIN
        return (
            f"{self._table}\n"
            f"| where TimeGenerated >= datetime({_literal(low)})\n"
            f"| where (createdAt >= datetime({_literal(low)}) and createdAt < datetime({_literal(high)}))"
            f' or (isnull(createdAt) and id >= "{_literal(low)[:-1]}" and id < "{_literal(high)[:-1]}")\n'
            "| summarize rows = count(), createdAt = min(createdAt) by id"
        )

    def in_window(self, window: Interval) -> WindowRows:
        """The ids the table has for ``window``.

        :raises UsageError: the window holds more rows than one query returns (use shorter windows).
        :raises AzureError: the query failed.
        """
        with self._lock:
            rows = self._query.query(self.kql(window), timespan=None)
        if len(rows) >= QUERY_ROW_LIMIT:
            raise UsageError(
                f"the table holds {len(rows):,} or more events for the window {window}, more than one query returns",
                remedy="use shorter windows, e.g. --set backfill.window_minutes=60",
            )
        duplicates: dict[dt.date, int] = {}
        for row in rows:
            when = row.get("createdAt")
            extra = int(row.get("rows") or 1) - 1
            if extra > 0 and isinstance(when, dt.datetime) and window.contains(when.astimezone(dt.UTC)):
                day = when.astimezone(dt.UTC).date()
                duplicates[day] = duplicates.get(day, 0) + extra
        return WindowRows(frozenset(str(r["id"]) for r in rows if r.get("id") is not None), duplicates)
