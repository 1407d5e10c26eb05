"""The local cloud's locks are always taken in one order, so its threads cannot wait on each other in a cycle.

A run of the health tests once hung for 300 s: the CCF poller writing SentinelHealth rows, the ingestion
pipeline storing a document and a query flushing the pipeline waited on each other. Here the same work
runs at once from several threads, through the real HTTP endpoints and the poller's own write path,
with each lock replaced by one that records the order it is taken in. Any thread that takes a lock while
holding one that comes later in the order fails the test; a cycle fails it by the timeout, not by hanging.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from local_cloud import EVENTS_STREAM, EVENTS_TABLE, MONITOR, Http, Pipeline, event

#: The order: the pipeline's drain, then a table's shape or rows, then a write to the database file.
ORDER = ("pipeline drain", "schema", "store write")


class OrderedLock:
    """A lock that records, per thread, what is held when it is taken; reentrant like the lock it wraps."""

    held = threading.local()

    def __init__(self, name: str, inner: Any, violations: list[str]) -> None:
        self.name = name
        self.rank = ORDER.index(name)
        self._inner = inner
        self._violations = violations

    def _stack(self) -> list[OrderedLock]:
        if not hasattr(self.held, "stack"):
            self.held.stack = []
        stack: list[OrderedLock] = self.held.stack
        return stack

    def acquire(self, blocking: bool = True, timeout: float = -1) -> bool:
        stack = self._stack()
        later = [lock.name for lock in stack if lock.rank > self.rank]
        if later and self not in stack:
            self._violations.append(f"{threading.current_thread().name} took '{self.name}' holding {later}")
        got: bool = self._inner.acquire(blocking, timeout)
        if got:
            stack.append(self)
        return got

    def release(self) -> None:
        stack = self._stack()
        stack.reverse()
        stack.remove(self)
        stack.reverse()
        self._inner.release()

    def __enter__(self) -> bool:
        return self.acquire()

    def __exit__(self, *exc: object) -> None:
        self.release()


@pytest.fixture
def violations(cloud: Any) -> Iterator[list[str]]:
    found: list[str] = []
    originals = (cloud.pipeline._drain_lock, cloud.schema_lock, cloud.store.write_lock)
    cloud.pipeline._drain_lock = OrderedLock("pipeline drain", originals[0], found)
    cloud.schema_lock = OrderedLock("schema", originals[1], found)
    cloud.store.write_lock = OrderedLock("store write", originals[2], found)
    try:
        yield found
    finally:
        cloud.pipeline._drain_lock, cloud.schema_lock, cloud.store.write_lock = originals


def run_together(seconds: float, *work: Callable[[], None]) -> list[BaseException]:
    """Run each function in a loop on its own thread for ``seconds``; the exceptions they raised."""
    stop = time.monotonic() + seconds
    errors: list[BaseException] = []

    def loop(step: Callable[[], None]) -> None:
        try:
            while time.monotonic() < stop:
                step()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=loop, args=(step,), name=step.__name__, daemon=True) for step in work]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=seconds + 60)
    stuck = [t.name for t in threads if t.is_alive()]
    assert stuck == [], f"threads still waiting after {seconds + 60:g} s: {stuck}"
    return errors


@pytest.mark.timeout(120)
def test_the_poller_the_pipeline_and_queries_take_the_locks_in_one_order(
    cloud: Any, emulator: dict[str, Any], pipeline: Pipeline, http: Http, violations: list[str]
) -> None:
    workspace = emulator["workspace_customer_id"]
    sent = {"events": 0, "health": 0}
    body = json.dumps([event(i) for i in range(20)]).encode()

    def upload() -> None:
        answer = http.session.post(
            f"{emulator['ingestion_endpoint']}/dataCollectionRules/{pipeline.immutable_id}/streams/{EVENTS_STREAM}",
            params={"api-version": "2023-01-01"},
            data=body,
            headers={"Authorization": f"Bearer {http.token(MONITOR)}", "Content-Type": "application/json"},
        )
        assert answer.status_code == 204, answer.text
        sent["events"] += 20

    def health_row() -> None:  # what the CCF poller does after each window
        cloud.logs.insert_records(workspace, "SentinelHealth", [{"Status": "Success", "Description": "window"}])
        sent["health"] += 1

    def query() -> None:  # a query flushes the pipeline first
        answer = http.session.post(
            f"{emulator['query_endpoint']}/v1/workspaces/{workspace}/query",
            json={"query": f"{EVENTS_TABLE} | count"},
            headers={"Authorization": f"Bearer {http.token('https://api.loganalytics.io/.default')}"},
        )
        assert answer.status_code == 200, answer.text

    def poller_state() -> None:  # the poller saves its progress after each page
        cloud.store.put_document("ccf.state", "lock-order", {"at": time.time()})

    errors = run_together(8, upload, upload, health_row, query, poller_state)

    assert errors == []
    assert violations == []
    cloud.pipeline.flush()
    assert cloud.logs.row_count(workspace, EVENTS_TABLE) == sent["events"]
    assert cloud.logs.row_count(workspace, "SentinelHealth") == sent["health"]
