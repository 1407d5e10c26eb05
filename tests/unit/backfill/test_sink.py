"""The sender's decisions, one per answer from Azure: split, retry (how long), refuse one event, or stop."""

from __future__ import annotations

import datetime as dt
import gzip
import json
from collections.abc import Callable

import pytest

from deployer.azure.ingestion import IngestionClient
from deployer.backfill.batches import Batch, BatchBuilder
from deployer.backfill.sink import Sink
from deployer.errors import (
    AzureAuthError,
    AzureError,
    IngestionForbidden,
    IngestionRejected,
    IngestionThrottled,
)

DAY = dt.date(2026, 3, 2)


class ScriptedAzure:
    """Answers each upload with the next scripted error (None: 204); records the ids of each body."""

    def __init__(
        self, answers: list[AzureError | None] | None = None, refuse: Callable[[list[str]], bool] | None = None
    ):
        self.answers = list(answers or [])
        self.refuse = refuse
        self.bodies: list[list[str]] = []

    def upload_gzip(self, rule_id: str, stream: str, body: bytes) -> None:
        ids = [e["id"] for e in json.loads(gzip.decompress(body))]
        self.bodies.append(ids)
        if self.answers:
            answer = self.answers.pop(0)
            if answer is not None:
                raise answer
        if self.refuse is not None and self.refuse(ids):
            raise IngestionRejected("the Logs Ingestion API refused the body (400 InvalidContent)", status_code=400)

    def close(self) -> None:
        pass


def batch(count: int) -> Batch:
    builder = BatchBuilder(10_000_000)
    for i in range(count):
        builder.add({"id": f"e{i}"}, DAY)
    made = builder.flush()
    assert made is not None
    return made


def sink(azure: ScriptedAzure, waits: list[float], *, retry: float = 60, forbidden: float = 60) -> Sink:
    client: IngestionClient = azure  # type: ignore[assignment]
    return Sink(
        lambda: client, "dcr-1", "Custom-MiroAuditLogs_CL", in_flight=1, retry_budget=retry,
        forbidden_budget=forbidden, progress=lambda _: None, sleep=waits.append,
    )  # fmt: skip


def test_a_413_splits_the_batch_and_every_event_is_accepted_in_order() -> None:
    azure, waits = ScriptedAzure([IngestionRejected("too large", status_code=413)]), []
    sent = sink(azure, waits).submit(batch(4)).result()
    assert azure.bodies == [["e0", "e1", "e2", "e3"], ["e0", "e1"], ["e2", "e3"]]
    assert sent.accepted.total() == 4 and sent.splits == 1 and sent.refused == []


def test_an_event_azure_refuses_alone_is_named_and_the_others_go() -> None:
    azure, waits = ScriptedAzure(refuse=lambda ids: "e2" in ids), []
    sent = sink(azure, waits).submit(batch(4)).result()
    assert [event_id for event_id, _, _ in sent.refused] == ["e2"]
    assert sent.refused[0][2].startswith("the Logs Ingestion API refused the body (400")
    assert sent.accepted.total() == 3


def test_429_waits_as_long_as_retry_after_says() -> None:
    azure, waits = ScriptedAzure([IngestionThrottled("429", status_code=429, retry_after=7.0)]), []
    sent = sink(azure, waits).submit(batch(2)).result()
    assert waits == [7.0] and sent.accepted.total() == 2 and sent.retries == 1


def test_5xx_without_retry_after_backs_off_and_retries() -> None:
    azure, waits = ScriptedAzure([AzureError("503", status_code=503), AzureError("dropped")]), []
    sent = sink(azure, waits).submit(batch(2)).result()
    assert len(waits) == 2 and all(0 < w < 5 for w in waits) and sent.accepted.total() == 2


def test_a_retry_that_would_outlast_the_budget_gives_up_with_the_error() -> None:
    azure, waits = ScriptedAzure([IngestionThrottled("429", status_code=429, retry_after=120.0)]), []
    with pytest.raises(IngestionThrottled):
        sink(azure, waits, retry=60).submit(batch(2)).result()
    assert waits == []


def test_403_is_retried_within_its_own_budget_then_raised() -> None:
    forbidden = IngestionForbidden("the Logs Ingestion API refused the records (403 OperationFailed)", status_code=403)
    azure, waits = ScriptedAzure([forbidden] * 50), []
    with pytest.raises(IngestionForbidden):
        sink(azure, waits, forbidden=0).submit(batch(2)).result()
    assert len(azure.bodies) == 1


def test_a_refused_credential_stops_at_once() -> None:
    azure, waits = ScriptedAzure([AzureAuthError("401", status_code=401)]), []
    with pytest.raises(AzureAuthError):
        sink(azure, waits).submit(batch(2)).result()
    assert waits == []
