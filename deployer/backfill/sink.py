"""The Azure side: batches sent to the DCR stream, several at a time, until Azure accepts or refuses them.

* 204: accepted.
* 413 (too large) or 400 (a body the stream does not take): the batch is split in halves and each half
  sent; a single event Azure still refuses is *rejected*: counted, named, and left for the next run
  (its window is not checkpointed).
* 429, 408, 5xx, a dropped connection: sent again after ``Retry-After`` when Azure gives one, else after
  an exponential backoff, within ``retry_budget`` seconds per batch.
* 403: explained (which role is missing on which DCR) and retried for ``forbidden_budget`` seconds,
  as ``validate`` does while a role assignment propagates.
* Anything else (401, 404) ends the run: sending more would fail the same way.

At most ``in_flight`` requests run at once and at most twice that many batches wait, so memory stays
flat however many events the range holds.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field

from deployer.azure.ingestion import IngestionClient
from deployer.backfill.batches import Batch
from deployer.backfill.threads import PerThread
from deployer.errors import AzureAuthError, AzureError, IngestionForbidden, IngestionRejected, ResourceNotFound
from deployer.retry import backoff_delay

__all__ = ["Sent", "Sink"]


@dataclass
class Sent:
    """The outcome of one batch: how many events of each day Azure accepted, and those it refused (id, day, why)."""

    accepted: Counter[dt.date] = field(default_factory=Counter)
    refused: list[tuple[str, dt.date, str]] = field(default_factory=list)
    requests: int = 0
    bytes: int = 0
    retries: int = 0
    splits: int = 0


def _transient(error: AzureError) -> bool:
    if isinstance(error, AzureAuthError | ResourceNotFound | IngestionForbidden | IngestionRejected):
        return False
    status = error.status_code
    return status is None or status in (408, 429) or status >= 500


class Sink:
    """Sends batches to one DCR stream from a pool of ``in_flight`` threads, each with its own client.

    :param client_factory: makes an :class:`IngestionClient` (called once per sending thread).
    :param progress: receives one line per retry, so a slow Azure is visible.
    """

    def __init__(
        self,
        client_factory: Callable[[], IngestionClient],
        rule_id: str,
        stream: str,
        *,
        in_flight: int,
        retry_budget: float,
        forbidden_budget: float,
        progress: Callable[[str], None],
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._rule_id = rule_id
        self._stream = stream
        self._retry_budget = retry_budget
        self._forbidden_budget = forbidden_budget
        self._progress = progress
        self._sleep = sleep
        self._clock = clock
        self._clients = PerThread(client_factory)
        self._slots = threading.BoundedSemaphore(in_flight * 2)
        self._pool = ThreadPoolExecutor(max_workers=in_flight, thread_name_prefix="backfill-send")

    def submit(self, batch: Batch) -> Future[Sent]:
        """Queue ``batch``; blocks while ``2 * in_flight`` batches are already waiting or being sent."""
        self._slots.acquire()
        future = self._pool.submit(self._send, batch)
        future.add_done_callback(lambda _: self._slots.release())
        return future

    def close(self) -> None:
        """Wait for the batches already submitted, then close the clients."""
        self._pool.shutdown(wait=True)
        self._clients.close()

    # --- one batch, in a sending thread ---------------------------------------------------------------

    def _send(self, batch: Batch) -> Sent:
        sent = Sent()
        pending = [batch]
        while pending:
            part = pending.pop()
            try:
                self._upload(part, sent)
            except IngestionRejected as exc:
                if len(part) == 1:
                    sent.refused.append((part.ids[0], part.days[0], exc.message))
                    continue
                sent.splits += 1
                first, second = part.halves()
                pending += [second, first]  # the first half goes next: events stay in order
                continue
            sent.accepted.update(part.days)
        return sent

    def _upload(self, batch: Batch, sent: Sent) -> None:
        body = batch.body()
        started = self._clock()
        attempt = 0
        while True:
            attempt += 1
            sent.requests += 1
            sent.bytes += len(body)
            try:
                self._clients.get().upload_gzip(self._rule_id, self._stream, body)
                return
            except AzureError as exc:
                failure = exc
            if isinstance(failure, IngestionForbidden):
                budget, usual = self._forbidden_budget, min(15.0, backoff_delay(attempt, base=2.0))
            elif _transient(failure):
                budget, usual = self._retry_budget, backoff_delay(attempt)
            else:
                raise failure
            wait = failure.retry_after if failure.retry_after is not None else usual
            left = budget - (self._clock() - started)
            if wait > left:
                raise failure
            sent.retries += 1
            self._progress(
                f"sending: {failure.message}; retrying in {wait:.1f} s (attempt {attempt + 1}, giving up in {left:.0f} s)"
            )
            self._sleep(wait)
