"""How much ``dcr test`` reads and works on: every input is bounded in size, depth and time.

Azure's documented limits where Azure has one, so that what passes here fits Azure too; our own,
stated here, where it has none. Past a bound the command says which one in one line and exits 2.

Azure (https://learn.microsoft.com/azure/azure-monitor/fundamentals/service-limits):

* a transformation has at most 15,360 characters (data collection rules);
* one Logs Ingestion API call carries at most 1,048,576 bytes, so an event larger than that can
  never be sent; field values longer than 64 KB are truncated (Logs Ingestion API).

Ours: the files, events and JSON values one run reads; how deeply a transform's brackets nest (the
KQL parser recurses once per level); and the SQL a transform becomes, which DuckDB needs seconds and
hundreds of megabytes to plan per 100,000 characters.
"""

from __future__ import annotations

import re
import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

__all__ = [
    "MAX_CALL_BYTES",
    "MAX_DEFINITION_BYTES",
    "MAX_EVENTS",
    "MAX_EVENT_FILES",
    "MAX_FIELD_BYTES",
    "MAX_INPUT_BYTES",
    "MAX_JSON_VALUE_BYTES",
    "MAX_KQL_NESTING",
    "MAX_SQL_CHARS",
    "MAX_TRANSFORM_CHARS",
    "TRANSLATE_SECONDS",
    "OverBudget",
    "kql_nesting",
    "time_budget",
]

MAX_TRANSFORM_CHARS = 15_360
MAX_CALL_BYTES = 1_048_576
MAX_FIELD_BYTES = 65_536

MAX_EVENT_FILES = 10_000
MAX_EVENTS = 10_000_000
MAX_INPUT_BYTES = 4 * 2**30
#: One top-level JSON value in an events file: an event, or a Miro page of events.
MAX_JSON_VALUE_BYTES = 16 * 2**20
#: ``table.json``, ``stream.json``, one sample file.
MAX_DEFINITION_BYTES = 2**20
MAX_KQL_NESTING = 32
MAX_SQL_CHARS = 256 * 1024
TRANSLATE_SECONDS = 10.0

# String literals ('...', "...", verbatim @'...', multi-line ```...```) and // comments hold no brackets.
_KQL_SKIPPED = re.compile(r"```.*?```|@'[^']*'|@\"[^\"]*\"|'(?:\\.|[^'\\\n])*'|\"(?:\\.|[^\"\\\n])*\"|//[^\n]*", re.S)
_OPENING = frozenset("([{")
_CLOSING = frozenset(")]}")


def kql_nesting(text: str) -> int:
    """How deeply brackets nest in the KQL ``text`` (string literals and comments ignored)."""
    deepest = depth = 0
    for chunk in _KQL_SKIPPED.split(text):
        for char in chunk:
            if char in _OPENING:
                depth += 1
                deepest = max(deepest, depth)
            elif char in _CLOSING:
                depth = max(depth - 1, 0)
    return deepest


class OverBudget(Exception):
    """The work guarded by :func:`time_budget` ran out of time."""


@contextmanager
def time_budget(seconds: float) -> Iterator[None]:
    """Raise :class:`OverBudget` inside the block once it has run ``seconds``.

    Pure-Python work (the KQL translator) is interrupted between two bytecodes by a timer signal;
    signals only reach the main thread, so elsewhere the block runs unbounded.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    deadline = time.monotonic() + seconds

    def expire(signum: int, frame: FrameType | None) -> None:
        if time.monotonic() >= deadline:
            raise OverBudget(f"more than {seconds:g} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds, 0.1)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
