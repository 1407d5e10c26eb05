"""Bounded retries of transient faults: exponential backoff with jitter, ``Retry-After`` honoured.

Every client retries the same way: a fault that a second try may cure (a dropped or refused connection, a
read timeout, an incomplete answer, 502/503/504 on an idempotent request, a 429) is retried after
``min(cap, base * 2**(attempt-1))`` seconds with ±20 % jitter, or after the server's ``Retry-After``;
the retries stop at ``max_attempts`` or when the next wait would go past the budget, and the last error is
raised for the client to translate. Which faults are transient is the client's decision (``classify``),
because only it knows its library's exceptions.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

__all__ = ["RetryPolicy", "Transient", "backoff_delay", "transport_reason"]

_LOG = logging.getLogger(__name__)

T = TypeVar("T")


#: Words in a transport exception (or its causes) → the reason shown; the exception's own text is never shown,
#: as it may quote the request.
_TRANSPORT_REASONS = (
    ("timed out", "timed out"),
    ("timeout", "timed out"),
    ("refused", "connection refused"),
    ("reset", "connection reset"),
    ("remotedisconnected", "connection dropped"),
    ("aborted", "connection dropped"),
    ("incomplete", "answer cut short"),
    ("chunk", "answer cut short"),
    ("name or service not known", "host name not found"),
    ("nodename nor servname", "host name not found"),
    ("certificate", "TLS certificate refused"),
    ("ssl", "TLS failure"),
)


def transport_reason(exc: BaseException, default: str) -> str:
    """Why a request got no answer (refused, reset, dropped, timed out...), in a few words, or ``default``."""
    texts: list[str] = []
    current: BaseException | None = exc
    while current is not None and len(texts) < 6:
        texts.append(f"{type(current).__name__} {current!s}".lower())
        current = current.__cause__ or current.__context__
    text = " ".join(texts)
    return next((reason for needle, reason in _TRANSPORT_REASONS if needle in text), default)


def backoff_delay(attempt: int, *, base: float = 0.5, cap: float = 30.0, jitter: float = 0.2) -> float:
    """Seconds to wait before retry number ``attempt`` (1-based): exponential, capped, ± ``jitter``."""
    delay = min(cap, base * 2.0 ** max(0, attempt - 1))
    return float(delay * (1.0 - jitter + 2 * jitter * random.random()))


@dataclass(frozen=True)
class Transient:
    """Why a fault may pass (``reason``, for the log), and how long the server asked to wait, if it did."""

    reason: str
    retry_after: float | None = None


@dataclass(frozen=True)
class RetryPolicy:
    """How long and how often one operation may be retried.

    :param budget: seconds that waits before retries may add up to.
    :param max_attempts: tries in all, the first included.
    """

    budget: float = 60.0
    max_attempts: int = 5
    base: float = 0.5
    cap: float = 30.0
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic

    def run(self, what: str, operation: Callable[[], T], classify: Callable[[Exception], Transient | None]) -> T:
        """``operation()``, retried while ``classify`` calls its exception transient and the budget lasts.

        :raises Exception: the last exception, when it is not transient or the retries are spent.
        """
        deadline = self.clock() + self.budget
        attempt = 0
        while True:
            attempt += 1
            try:
                return operation()
            except Exception as exc:
                transient = classify(exc)
                if transient is None:
                    raise
                wait = transient.retry_after if transient.retry_after is not None else self.delay(attempt)
                left = deadline - self.clock()
                if attempt >= self.max_attempts or wait > left:
                    _LOG.info(
                        "%s: %s; giving up after %d attempt(s) (retry budget %.0f s)",
                        what,
                        transient.reason,
                        attempt,
                        self.budget,
                    )
                    raise
                _LOG.info(
                    "%s: %s; retrying in %.1f s (attempt %d of %d)",
                    what,
                    transient.reason,
                    wait,
                    attempt + 1,
                    self.max_attempts,
                )
                self.sleep(wait)

    def delay(self, attempt: int) -> float:
        return backoff_delay(attempt, base=self.base, cap=self.cap)
