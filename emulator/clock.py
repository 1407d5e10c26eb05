"""The virtual clock every service of the local cloud reads time from.

``virtual_now = v0 + (real_now - t0) * time_scale``. With ``time_scale`` above 1 emulated time runs
faster than the wall clock, so a 5-minute polling window or a 10-second role propagation passes in a
fraction of a real second. ``v0`` is the later of the last virtual time persisted in the state directory
and the real time at start, so emulated time never goes backwards across restarts and never lags the
wall clock (tokens, certificates and the clients' own clocks stay meaningful).

Durations a client waits for (``Retry-After``) are real seconds; :meth:`VirtualClock.real_seconds`
converts a virtual duration into them.
"""

from __future__ import annotations

import datetime as dt
import math
import threading
import time
from collections.abc import Callable

__all__ = ["VirtualClock", "naive_utc"]


class VirtualClock:
    """Emulated UTC time, ``time_scale`` times faster than the wall clock, never going backwards.

    :param time_scale: emulated seconds per real second (> 0).
    :param start_at: the earliest virtual time to start from (the last time persisted in the state dir).
    :param real_time: source of real time in seconds since the epoch (for tests of the clock itself).
    """

    def __init__(
        self,
        *,
        time_scale: float = 1.0,
        start_at: dt.datetime | None = None,
        real_time: Callable[[], float] = time.time,
    ) -> None:
        if not time_scale > 0 or math.isinf(time_scale):
            raise ValueError(f"time_scale must be a positive number, not {time_scale!r}")
        self._real_time = real_time
        self._scale = float(time_scale)
        self._lock = threading.Lock()
        self._t0 = real_time()
        real_now = dt.datetime.fromtimestamp(self._t0, dt.UTC)
        self._v0 = max(real_now, _aware(start_at)) if start_at is not None else real_now
        self._last = self._v0
        self._listeners: list[Callable[[], None]] = []

    @property
    def time_scale(self) -> float:
        return self._scale

    def now(self) -> dt.datetime:
        """The current virtual time (aware, UTC); successive calls never decrease."""
        with self._lock:
            elapsed = (self._real_time() - self._t0) * self._scale
            current = self._v0 + dt.timedelta(seconds=max(elapsed, 0.0))
            if current < self._last:
                current = self._last
            self._last = current
            return current

    def advance(self, seconds: float) -> dt.datetime:
        """Jump ``seconds`` (virtual, >= 0) ahead, e.g. to let a propagation delay pass without waiting."""
        if seconds < 0:
            raise ValueError("the clock only moves forward")
        with self._lock:
            self._v0 += dt.timedelta(seconds=seconds)
            listeners = list(self._listeners)
        for listener in listeners:
            listener()
        return self.now()

    def on_advance(self, listener: Callable[[], None]) -> None:
        """Call ``listener()`` after every jump, so work waiting on virtual time can look again at once."""
        with self._lock:
            self._listeners.append(listener)

    def real_seconds(self, virtual_seconds: float) -> float:
        """How many real seconds pass while ``virtual_seconds`` pass on this clock."""
        return max(virtual_seconds, 0.0) / self._scale


def _aware(value: dt.datetime) -> dt.datetime:
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def naive_utc(value: dt.datetime) -> dt.datetime:
    """``value`` in UTC without tzinfo (how DuckDB ``TIMESTAMP`` columns hold time)."""
    return value.astimezone(dt.UTC).replace(tzinfo=None) if value.tzinfo else value
