"""What a backfill reports: running totals while it works, and its result, day by day."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field

from deployer.backfill.pacing import CreditUsage
from deployer.backfill.timerange import Interval
from deployer.errors import DeployerError

__all__ = ["BackfillResult", "DayTally", "Progress", "Tally"]

#: How many refused events the result names (all of them are counted).
REJECTED_EXAMPLES = 10


@dataclass
class DayTally:
    """One UTC day of the range: the gap report's line."""

    day: dt.date
    #: Events Miro has in the range on that day.
    miro: int = 0
    #: Of those, events the table already had.
    present: int = 0
    #: Events the table lacked: sent (or, with --dry-run, that would be sent).
    missing: int = 0
    sent: int = 0
    rejected: int = 0
    #: Rows beyond the first of one event, found in the table that day (left as they are).
    duplicates: int = 0


@dataclass(frozen=True)
class Progress:
    """A snapshot for the progress display."""

    windows_total: int
    windows_done: int
    fetched: int
    present: int
    sent: int
    rejected: int
    elapsed: float
    events_per_second: float
    credits_per_minute: int
    credits_allowance: int
    eta_seconds: float | None


class Tally:
    """Thread-safe running totals of one run."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.fetched = 0
        self.present = 0
        self.missing = 0
        self.sent = 0
        self.rejected = 0
        self.rejected_examples: list[tuple[str, str]] = []
        self.pages_read = 0
        self.requests = 0
        self.bytes_sent = 0
        self.retries = 0
        self.splits = 0
        self.days: dict[dt.date, DayTally] = {}

    def _day(self, day: dt.date) -> DayTally:
        tally = self.days.get(day)
        if tally is None:
            tally = self.days[day] = DayTally(day)
        return tally

    def fetched_event(self, day: dt.date, *, present: bool) -> None:
        with self._lock:
            self.fetched += 1
            tally = self._day(day)
            tally.miro += 1
            if present:
                self.present += 1
                tally.present += 1
            else:
                self.missing += 1
                tally.missing += 1

    def duplicates(self, day: dt.date, rows: int) -> None:
        with self._lock:
            self._day(day).duplicates += rows

    def accepted(self, days: Mapping[dt.date, int]) -> None:
        """Azure accepted ``days[day]`` events of each day."""
        with self._lock:
            for day, count in days.items():
                self.sent += count
                self._day(day).sent += count

    def refused(self, day: dt.date, event_id: str, reason: str) -> None:
        with self._lock:
            self.rejected += 1
            self._day(day).rejected += 1
            if len(self.rejected_examples) < REJECTED_EXAMPLES:
                self.rejected_examples.append((event_id, reason))

    def request(self, requests: int, size: int, *, retries: int = 0, splits: int = 0) -> None:
        with self._lock:
            self.requests += requests
            self.bytes_sent += size
            self.retries += retries
            self.splits += splits

    def pages(self, count: int) -> None:
        with self._lock:
            self.pages_read += count


@dataclass
class BackfillResult:
    """The outcome of one run (or of a dry run: nothing sent, ``days`` is the gap report)."""

    span: Interval
    dry_run: bool
    checkpoint_path: str
    windows_total: int = 0
    #: Windows the checkpoint already covered when the run started.
    windows_from_checkpoint: int = 0
    windows_done: int = 0
    fetched: int = 0
    present: int = 0
    missing: int = 0
    sent: int = 0
    rejected: int = 0
    rejected_examples: list[tuple[str, str]] = field(default_factory=list)
    pages: int = 0
    requests: int = 0
    bytes_sent: int = 0
    retries: int = 0
    splits: int = 0
    credits: CreditUsage | None = None
    seconds: float = 0.0
    interrupted: bool = False
    days: list[DayTally] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    #: What stopped the run before it finished (a refused token, a missing role, Azure or Miro down).
    error: DeployerError | None = None

    @property
    def complete(self) -> bool:
        """Every window of the range is covered (by this run or an earlier one)."""
        return self.windows_done + self.windows_from_checkpoint == self.windows_total

    @property
    def events_per_second(self) -> float:
        return self.fetched / self.seconds if self.seconds > 0 else 0.0

    @property
    def status(self) -> str:
        """complete, rejected (some events refused), interrupted (stopped on request) or failed."""
        if self.error is not None:
            return "failed"
        if self.interrupted:
            return "interrupted"
        if self.rejected:
            return "rejected"
        return "complete" if self.complete else "failed"
