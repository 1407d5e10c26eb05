"""Miro's rate limit: a budget of credits per token per minute, each call costing its level's credits.

Minutes are fixed and aligned on the wall clock's minutes (whatever the cloud's time scale), so
``X-RateLimit-Reset`` is the UNIX time of the next real minute. A call that does not fit in what is left is refused whole (nothing is charged).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

__all__ = ["LEVEL_CREDITS", "CreditLimiter", "Quota"]

#: Credits per call by rate-limit level (developers.miro.com, "Rate limiting").
LEVEL_CREDITS = {1: 50, 2: 100, 3: 500, 4: 2000}

_MINUTE_US = 60_000_000


@dataclass(frozen=True)
class Quota:
    """The state of one budget after a call: what ``X-RateLimit-*`` report, and whether it was allowed."""

    limit: int
    remaining: int
    reset: int
    allowed: bool

    def headers(self) -> dict[str, str]:
        return {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(self.remaining),
            "X-RateLimit-Reset": str(self.reset),
        }


class CreditLimiter:
    """Per-caller budgets of ``credits_per_minute``; thread-safe."""

    def __init__(self, credits_per_minute: int) -> None:
        self.credits_per_minute = credits_per_minute
        self._spent: dict[str, tuple[int, int]] = {}
        self._lock = threading.Lock()

    def charge(self, who: str, cost: int, now_us: int) -> Quota:
        """Spend ``cost`` credits of ``who``'s budget at ``now_us`` if they fit; say what is left."""
        minute = now_us // _MINUTE_US
        with self._lock:
            kept_minute, spent = self._spent.get(who, (minute, 0))
            if kept_minute != minute:
                spent = 0
            allowed = spent + cost <= self.credits_per_minute
            if allowed:
                spent += cost
            self._spent[who] = (minute, spent)
        return self._quota(minute, spent, allowed)

    def peek(self, who: str, now_us: int) -> Quota:
        """The budget of ``who`` without spending anything."""
        minute = now_us // _MINUTE_US
        with self._lock:
            kept_minute, spent = self._spent.get(who, (minute, 0))
        return self._quota(minute, spent if kept_minute == minute else 0, True)

    def reset(self) -> None:
        with self._lock:
            self._spent.clear()

    def _quota(self, minute: int, spent: int, allowed: bool) -> Quota:
        remaining = max(self.credits_per_minute - spent, 0)
        return Quota(self.credits_per_minute, remaining, (minute + 1) * 60, allowed)
