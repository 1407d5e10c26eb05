"""A backfill run: windows fetched in parallel, deduplicated against the table, sent, checkpointed.

For each window, oldest first, ``parallel`` at a time:

1. read the ids the table already holds for the window (:mod:`.table`);
2. page through Miro's events of the window, sequentially (:mod:`.source`), paced by the shared
   :class:`~deployer.backfill.pacing.CreditPacer`;
3. send each event the table lacks, in batches (:mod:`.sink`), and wait until Azure accepted them all;
4. record the window as covered in the checkpoint (:mod:`.checkpoint`).

A window whose fetch fails (Miro down beyond the client's retries, a cursor that repeats) is tried
again, up to ``WINDOW_ATTEMPTS`` times, without sending twice what it already sent. A failure that
more attempts cannot cure (a refused token, a missing role after its budget) stops the run: the other
windows finish the batches they have in flight and the result carries the error. A stop (Ctrl-C) does the same.
Either way the checkpoint holds every window that was finished, and a re-run continues from there.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass

from deployer.backfill.batches import Batch, BatchBuilder
from deployer.backfill.checkpoint import Checkpoint
from deployer.backfill.model import BackfillResult, Progress, Tally
from deployer.backfill.pacing import CreditPacer, PacingStopped
from deployer.backfill.sink import Sent, Sink
from deployer.backfill.source import SeenEvents, window_events
from deployer.backfill.table import TableRows
from deployer.backfill.threads import PerThread
from deployer.backfill.timerange import Interval, windows
from deployer.errors import DeployerError, MiroRateLimited, MiroUnavailable
from deployer.miro.client import MiroClient
from deployer.retry import backoff_delay

__all__ = ["WINDOW_ATTEMPTS", "Backfill", "BackfillOptions"]

WINDOW_ATTEMPTS = 3
#: How often the display is refreshed while windows run.
_TICK = 0.5


class _Stopped(Exception):
    """The run is stopping: this window gives up (it stays unchecked, so the next run does it again)."""


@dataclass(frozen=True)
class BackfillOptions:
    """How to run: the range, window length, parallelism, and whether to send at all."""

    span: Interval
    window: dt.timedelta
    parallel: int
    dry_run: bool
    #: How long Azure may take to show accepted rows (for windows a previous run was sending).
    ingestion_latency: dt.timedelta


class Backfill:
    """One run; :meth:`run` returns its result, with the error that stopped it, if one did.

    :param miro: makes a Miro client (one per window thread) that uses ``pacer``.
    :param sink: sends batches; None for a dry run.
    :param now: the current time as Miro and Azure see it (the local cloud's clock runs faster).
    :param display: receives a :class:`Progress` snapshot every half second.
    :param say: receives a line for the operator (a resumed range, a retried window...).
    """

    def __init__(
        self,
        options: BackfillOptions,
        *,
        miro: Callable[[], MiroClient],
        table: TableRows,
        sink: Sink | None,
        checkpoint: Checkpoint,
        pacer: CreditPacer,
        stop: threading.Event,
        now: Callable[[], dt.datetime],
        display: Callable[[Progress], None],
        say: Callable[[str], None],
    ) -> None:
        self.options = options
        self._table = table
        self._sink = sink
        self._checkpoint = checkpoint
        self._pacer = pacer
        self._stop = stop
        self._now = now
        self._display = display
        self._say = say
        self._tally = Tally()
        self._clients = PerThread(miro)
        self._lock = threading.Lock()
        self._failure: DeployerError | None = None
        self._unplaced: set[str] = set()  # ids of events without a readable createdAt, across windows
        self._done = 0
        self._skipped = 0
        self._total = 0
        self._done_seconds = 0.0
        self._todo_seconds = 1.0
        self._active: dict[Interval, dt.datetime] = {}  # window -> the newest event its fetch reached
        self._started = time.monotonic()

    # --- the run ---------------------------------------------------------------------------------------

    def run(self) -> BackfillResult:
        o = self.options
        result = BackfillResult(o.span, o.dry_run, str(self._checkpoint.path))
        every = windows(o.span, o.window)
        todo = every if o.dry_run else windows(o.span, o.window, skip=self._checkpoint.covered)
        self._total, self._skipped = len(every), len(every) - len(todo)
        result.windows_total, result.windows_from_checkpoint = self._total, self._skipped
        self._todo_seconds = sum(w.length.total_seconds() for w in todo) or 1.0
        if self._checkpoint.ignored:
            self._say(self._checkpoint.ignored)
        if self._skipped:
            self._say(
                f"resuming: the checkpoint {self._checkpoint.path} already covers {self._skipped} of "
                f"{self._total} windows"
            )
        # Windows a killed run was sending go last: Azure may still be making their rows visible.
        pending = {} if o.dry_run else self._checkpoint.sending
        todo.sort(key=lambda w: (any(_overlaps(w, p) for p in pending), w.start))
        try:
            with ThreadPoolExecutor(max_workers=o.parallel, thread_name_prefix="backfill-window") as pool:
                remaining: set[Future[bool]] = {pool.submit(self._window, w, pending) for w in todo}
                try:
                    while remaining:
                        finished, remaining = wait(remaining, timeout=_TICK, return_when=FIRST_COMPLETED)
                        self._done += sum(1 for f in finished if f.result())
                        self._display(self.progress())
                except BaseException:
                    self._stop.set()  # a second Ctrl-C, or a bug: the other windows stop too
                    raise
        finally:
            if self._sink is not None:
                self._sink.close()  # the batches in flight finish before the run ends
            self._clients.close()
        self._display(self.progress())
        self._fill(result)
        return result

    def _fill(self, result: BackfillResult) -> None:
        t = self._tally
        result.windows_done = self._done
        result.fetched, result.present, result.missing = t.fetched, t.present, t.missing
        result.sent, result.rejected, result.rejected_examples = t.sent, t.rejected, list(t.rejected_examples)
        result.pages, result.requests, result.bytes_sent = t.pages_read, t.requests, t.bytes_sent
        result.retries, result.splits = t.retries, t.splits
        result.credits = self._pacer.usage()
        result.seconds = round(time.monotonic() - self._started, 3)
        result.interrupted = self._stop.is_set() and self._failure is None and not result.complete
        result.days = [t.days[d] for d in sorted(t.days)]
        result.error = self._failure

    def progress(self) -> Progress:
        """Where the run is: windows, events, speed, credits and the time left (by the share of the range done)."""
        t = self._tally
        elapsed = time.monotonic() - self._started
        usage = self._pacer.usage()
        with self._lock:
            active = sum((at - w.start).total_seconds() for w, at in self._active.items())
            fraction = min((self._done_seconds + active) / self._todo_seconds, 1.0)
        return Progress(
            windows_total=self._total,
            windows_done=self._done + self._skipped,
            fetched=t.fetched,
            present=t.present,
            sent=t.sent,
            rejected=t.rejected,
            elapsed=elapsed,
            events_per_second=t.fetched / elapsed if elapsed > 0 else 0.0,
            credits_per_minute=usage.per_minute[-1] if usage.per_minute else usage.this_minute,
            credits_allowance=usage.allowance,
            eta_seconds=elapsed * (1 - fraction) / fraction if fraction > 0.001 else None,
        )

    # --- one window, in a window thread -------------------------------------------------------------

    def _window(self, window: Interval, pending: dict[Interval, dt.datetime]) -> bool:
        """Fetch, deduplicate, send and checkpoint ``window``; True when it is covered."""
        if self._stop.is_set():
            return False
        sends = _Sends(window, None if self.options.dry_run else self._checkpoint)
        try:
            self._await_visibility(window, pending)
            rows = self._table.in_window(window)
            for day, extra in rows.duplicates.items():
                self._tally.duplicates(day, extra)
            seen = SeenEvents()
            for attempt in range(1, WINDOW_ATTEMPTS + 1):
                try:
                    self._fetch(window, rows.ids, seen, sends)
                    break
                except (MiroUnavailable, MiroRateLimited) as exc:
                    if attempt == WINDOW_ATTEMPTS:
                        raise
                    pause = backoff_delay(attempt, base=2.0)
                    self._say(
                        f"window {window}: {exc.message}; fetching it again in {pause:.0f} s "
                        f"(attempt {attempt + 1} of {WINDOW_ATTEMPTS}); nothing is sent twice"
                    )
                    if self._stop.wait(pause):
                        raise _Stopped() from exc
            # Even when stopping: these batches are in flight, and the window is whole once they land.
            refused = sum(len(f.result().refused) for f in sends.futures)
        except (_Stopped, PacingStopped):
            return False  # what was acknowledged is in the checkpoint already (see _Sends)
        except DeployerError as exc:
            with self._lock:
                if self._failure is None:
                    self._failure = exc
            self._stop.set()
            return False
        finally:
            with self._lock:
                self._active.pop(window, None)
        if refused:
            return False  # not checkpointed: the next run sends the refused events again, and only them
        if not self.options.dry_run:
            self._checkpoint.done(window)
        with self._lock:
            self._done_seconds += window.length.total_seconds()
        return True

    def _fetch(self, window: Interval, present: frozenset[str], seen: SeenEvents, sends: _Sends) -> None:
        """Page through the window; hand each full batch to the sink with the time it covers up to.

        Miro returns events oldest first, so when a batch is full, every event older than the one that did
        not fit has been fetched: the batch covers the window up to that event's time (exclusive).
        """
        builder = BatchBuilder()
        client = self._clients.get()
        before = client.requests_made
        reached = window.start
        seen.again()
        try:
            for event, when in window_events(client, window):
                if self._stop.is_set():
                    raise _Stopped()
                event_id = str(event.get("id", ""))
                if not (self._place(event_id) if when is None else seen.first_time(event_id, when)):
                    continue
                if when is not None:
                    sends.in_order = sends.in_order and when >= reached
                    reached = max(reached, when)
                    with self._lock:
                        self._active[window] = reached
                day = (when or window.start).date()
                is_present = event_id in present
                self._tally.fetched_event(day, present=is_present)
                if is_present or self.options.dry_run:
                    continue
                full = builder.add(event, day)
                if full is not None:
                    self._submit(full, sends, covers_until=reached)
        except (MiroUnavailable, MiroRateLimited, _Stopped):
            # Fetched events go now: a window fetched again skips what it has seen, and after a stop the
            # checkpoint then covers them (up to, not including, the newest instant reached).
            self._submit_rest(builder, sends, covers_until=reached)
            raise
        finally:
            self._tally.pages(client.requests_made - before)
        self._submit_rest(builder, sends, covers_until=window.end)

    def _submit_rest(self, builder: BatchBuilder, sends: _Sends, *, covers_until: dt.datetime) -> None:
        rest = builder.flush()
        if rest is not None:
            self._submit(rest, sends, covers_until=covers_until)

    def _place(self, event_id: str) -> bool:
        """Claim an event without a readable ``createdAt`` for this window; False when another window has it."""
        with self._lock:
            if event_id in self._unplaced:
                return False
            self._unplaced.add(event_id)
            return True

    def _submit(self, batch: Batch, sends: _Sends, *, covers_until: dt.datetime) -> None:
        assert self._sink is not None
        if not sends.futures:
            self._checkpoint.start_sending(sends.window, self._now())
        future = self._sink.submit(batch)
        future.add_done_callback(self._count)
        sends.add(future, covers_until)

    def _count(self, future: Future[Sent]) -> None:
        if future.cancelled() or future.exception() is not None:
            return
        sent = future.result()
        self._tally.accepted(sent.accepted)
        for event_id, day, reason in sent.refused:
            self._tally.refused(day, event_id, reason)
        self._tally.request(sent.requests, sent.bytes, retries=sent.retries, splits=sent.splits)

    def _await_visibility(self, window: Interval, pending: dict[Interval, dt.datetime]) -> None:
        """Wait until rows a killed run sent for this window have had time to become visible."""
        since = max((at for p, at in pending.items() if _overlaps(window, p)), default=None)
        if since is None:
            return
        due = since + self.options.ingestion_latency
        left = (due - self._now()).total_seconds()
        if left <= 0:
            return
        self._say(
            f"window {window} was being sent when the last run stopped; waiting {left:.0f} s for Azure to show "
            "those rows before reading them, so they are not sent twice"
        )
        while (left := (due - self._now()).total_seconds()) > 0:
            if self._stop.wait(min(left, 5.0)):
                raise _Stopped()


class _Sends:
    """A window's batches in the order they went to the sink, and how much of the window they cover.

    Each batch covers the window up to an instant (see :meth:`Backfill._fetch`). When a batch and every
    batch before it were accepted whole, the checkpoint is told that ``[window.start, that instant)`` is
    covered, so a stop or a kill in the middle of a long window loses none of the Miro calls already made.
    """

    def __init__(self, window: Interval, checkpoint: Checkpoint | None) -> None:
        self.window = window
        self._checkpoint = checkpoint
        self._items: list[tuple[Future[Sent], dt.datetime]] = []
        self._covered = window.start
        self._lock = threading.Lock()
        #: False once Miro returned an event older than one before it: then only the whole window counts.
        self.in_order = True

    @property
    def futures(self) -> list[Future[Sent]]:
        with self._lock:
            return [f for f, _ in self._items]

    def add(self, future: Future[Sent], covers_until: dt.datetime) -> None:
        with self._lock:
            self._items.append((future, covers_until))
        future.add_done_callback(lambda _: self._advance())

    def _advance(self) -> None:
        if self._checkpoint is None or not self.in_order:
            return
        with self._lock:
            reached = self._covered
            for future, until in self._items:
                if not future.done() or future.cancelled() or future.exception() is not None:
                    break
                if future.result().refused:
                    break
                reached = max(reached, until)
            if reached <= self._covered:
                return
            self._covered = reached
            self._checkpoint.done(Interval(self.window.start, reached))


def _overlaps(a: Interval, b: Interval) -> bool:
    return a.start < b.end and b.start < a.end
