"""Pacing Miro calls to a share of the token's credit budget, so the connector keeps the rest.

Miro counts credits per user, per app, per minute (``X-RateLimit-Limit``), says what is left of the
current minute (``X-RateLimit-Remaining``) and when it ends (``X-RateLimit-Reset``, a UNIX time). The
connector polls with the same token, so the backfill takes at most ``share`` of the limit each minute:

* calls are spread evenly, one every ``60 s * credits / (share * limit)``, rather than in a burst at the
  start of each minute (a burst would leave the connector nothing until the reset); slots missed because
  no caller was ready are made up, a few at a time, so slow answers do not lower the share used;
* within one of Miro's minutes (known by its reset time) our credits, counting calls still in flight,
  never exceed ``share * limit``; and a call never starts when what Miro says is left (minus our calls in
  flight) would not cover it, whoever spent it: that is what keeps 429s away;
* a 429 that happens anyway pauses every thread until the wait the client computed (``Retry-After`` or
  the reset) has passed.

Until the first answer the limit is unknown and taken as 10,000 credits a minute, Miro's documented
figure (some pages say 100,000; the first answer corrects it). Minutes are Miro's: the reset time is
turned into a local deadline once, from this machine's clock, and never trusted beyond 61 seconds.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from deployer.miro.client import RateLimit

__all__ = ["DOCUMENTED_LIMIT", "CreditPacer", "CreditUsage", "PacingStopped"]

#: Credits per minute per user and app on Miro's v1 rate-limiting page (the conservative figure).
DOCUMENTED_LIMIT = 10_000
_LONGEST_MINUTE = 61.0
#: Re-check at least this often while waiting (for a stop, or an answer that opens a new minute).
_POLL = 0.25
#: Missed slots a late caller may make up (the per-minute share still caps them).
_CATCH_UP = 10
#: Start a new minute this long after Miro's reset time by our clock (clocks differ a little).
_SAFETY = 0.5


class PacingStopped(Exception):
    """The run is stopping; the request was not sent."""


@dataclass(frozen=True)
class CreditUsage:
    """What the pacer saw: our credits, the budget and how much of it we may use."""

    credits: int
    calls: int
    throttled: int
    limit: int
    share: float
    remaining: int | None
    #: Our credits in each of Miro's minutes that has ended, oldest first.
    per_minute: tuple[int, ...]
    #: Our credits in the minute under way.
    this_minute: int = 0

    @property
    def allowance(self) -> int:
        """Credits a minute the backfill may use."""
        return int(self.share * self.limit)


class CreditPacer:
    """Thread-safe :class:`deployer.miro.client.Pacer` keeping our calls within ``share`` of Miro's budget.

    :param share: fraction of ``X-RateLimit-Limit`` we may spend each minute (0 < share <= 1).
    :param stop: when set, waiting requests give up with :class:`PacingStopped`.
    :param clock: monotonic seconds; :param wall: UNIX seconds (to read ``X-RateLimit-Reset``).
    :param wait: ``wait(condition, seconds)`` waits on the (held) condition; tests pass one that advances
        their fake clock instead.
    """

    def __init__(
        self,
        share: float,
        *,
        stop: threading.Event | None = None,
        clock: Callable[[], float] = time.monotonic,
        wall: Callable[[], float] = time.time,
        wait: Callable[[threading.Condition, float], object] | None = None,
    ) -> None:
        if not 0 < share <= 1:
            raise ValueError("share must be in (0, 1]")
        self.share = share
        self._stop = stop or threading.Event()
        self._clock = clock
        self._wall = wall
        self._wait = wait or (lambda condition, seconds: condition.wait(seconds))
        self._cond = threading.Condition()
        self._limit = DOCUMENTED_LIMIT
        self._reset: float | None = None  # Miro's minute we are counting, by its reset time
        self._past = float("-inf")  # the last minute that ended by our clock: its late answers are history
        self._minute_ends: float | None = None  # the end of that minute on our monotonic clock
        self._spent = 0  # our credits in that minute, calls in flight included
        self._remaining: int | None = None  # what Miro last said is left of it
        self._in_flight = 0
        self._next_slot = clock()
        self._paused_until = 0.0
        self._credits = 0
        self._calls = 0
        self._throttled = 0
        self._minutes: dict[float, int] = {}

    # --- the Pacer protocol --------------------------------------------------------------------------

    def before_request(self, credits: int) -> None:
        with self._cond:
            while True:
                if self._stop.is_set():
                    raise PacingStopped("the backfill is stopping")
                delay = self._delay(credits)
                if delay <= 0:
                    break
                self._wait(self._cond, min(delay, _POLL))
            now = self._clock()
            if self._minute_ends is None:
                self._minute_ends = now + 60.0  # until an answer says when Miro's minute ends
            self._spent += credits
            self._in_flight += 1
            # A call that could not start on time (a slow answer, a query of the table) leaves its slot for a
            # later one: up to _CATCH_UP slots are made up, within the minute's share.
            spacing = self._spacing(credits)
            self._next_slot = max(self._next_slot, now - _CATCH_UP * spacing) + spacing

    def after_response(self, credits: int, status: int | None, rate_limit: RateLimit, pause: float | None) -> None:
        with self._cond:
            self._in_flight = max(0, self._in_flight - 1)
            now = self._clock()
            if status is not None:
                self._credits += credits
                self._calls += 1
            if rate_limit.limit:
                self._limit = rate_limit.limit
            reset = rate_limit.reset_at.timestamp() if rate_limit.reset_at is not None else None
            if reset is not None and status is not None:
                self._minutes[reset] = self._minutes.get(reset, 0) + credits
            if reset is not None and reset > self._past:
                if self._reset is None or reset > self._reset:
                    # A minute we had not seen: Miro has counted this call of ours, and maybe those in flight.
                    self._reset = reset
                    self._spent = credits * (1 + self._in_flight)
                    # A little after Miro's reset, so our next call cannot land in the minute that ends.
                    ahead = min(max(reset - self._wall(), 0.0) + _SAFETY, _LONGEST_MINUTE)
                    self._minute_ends = now + ahead
                    self._remaining = None
                if reset == self._reset and rate_limit.remaining is not None and status != 429:
                    known = self._remaining
                    self._remaining = rate_limit.remaining if known is None else min(known, rate_limit.remaining)
            if status == 429:
                # The wait the client computed (Retry-After, else the reset) is the one to honour; after it the
                # budget is unknown again until the next answer.
                self._throttled += 1
                self._paused_until = max(self._paused_until, now + (pause if pause is not None else _LONGEST_MINUTE))
                self._remaining = None
            self._cond.notify_all()

    # --- reporting ------------------------------------------------------------------------------------

    def usage(self) -> CreditUsage:
        with self._cond:
            current = self._reset if self._reset is not None else float("inf")
            ended = [self._minutes[r] for r in sorted(self._minutes) if r < current]
            return CreditUsage(
                credits=self._credits,
                calls=self._calls,
                throttled=self._throttled,
                limit=self._limit,
                share=self.share,
                remaining=self._remaining,
                per_minute=tuple(ended),
                this_minute=self._minutes.get(self._reset, 0) if self._reset is not None else 0,
            )

    # --- the rules (called with the condition held) -------------------------------------------------------

    def _allowance(self) -> float:
        return self.share * self._limit

    def _spacing(self, credits: int) -> float:
        return 60.0 * credits / self._allowance()

    def _delay(self, credits: int) -> float:
        """Seconds to wait before a call costing ``credits`` may start; 0 when it may start now."""
        now = self._clock()
        if now < self._paused_until:
            return self._paused_until - now
        if self._minute_ends is not None and now >= self._minute_ends:
            # Miro's minute is over by our clock: a fresh budget; late answers from it no longer count.
            self._past = self._reset if self._reset is not None else self._past
            self._reset = None
            self._minute_ends = None
            self._spent = credits * self._in_flight
            self._remaining = None
        over_share = self._spent + credits > self._allowance()
        left = self._remaining - credits * self._in_flight if self._remaining is not None else None
        if over_share or (left is not None and left < credits):
            return self._minute_ends - now if self._minute_ends is not None else _POLL
        return max(0.0, self._next_slot - now)
