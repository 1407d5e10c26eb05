"""The validation record: one synthetic Miro-shaped event sent through the Logs Ingestion API, then found.

Marker (so no analytics rule mistakes it for a real event): ``category == "miro-sentinel-validation"``,
``event == "miro_sentinel_validation"``, ``id`` starting ``miro-sentinel-validation-``, and
``details.marker == "miro-sentinel-validation"``. Exclude it in rules with
``| where category != "miro-sentinel-validation"``; the freshness check does.
"""

from __future__ import annotations

import datetime as dt
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from deployer.azure.ingestion import IngestionClient
from deployer.azure.query import QueryClient
from deployer.config import ValidationSettings
from deployer.errors import IngestionForbidden
from deployer.provision import DeploymentOutputs, ProgressCallback
from deployer.retry import backoff_delay

__all__ = ["VALIDATION_CATEGORY", "VALIDATION_EVENT", "ValidationResult", "run_validation", "validation_record"]

VALIDATION_CATEGORY = "miro-sentinel-validation"
VALIDATION_EVENT = "miro_sentinel_validation"
VALIDATION_ID_PREFIX = "miro-sentinel-validation-"
#: The marked record's client address: none (it is sent by the deployer, not by a person).
_NO_ADDRESS = "0.0.0.0"  # nosec B104 # a value in the record's body; no socket is bound to it

#: The longest wait between two tries while a role assignment propagates.
_FORBIDDEN_BACKOFF_CAP = 60.0


@dataclass(frozen=True)
class ValidationResult:
    """Both phases of the proof: ``accepted`` (204 from the Logs Ingestion API) and ``visible`` (queryable)."""

    record_id: str
    accepted: bool
    visible: bool
    sent_at: dt.datetime
    accepted_at: dt.datetime | None
    visible_at: dt.datetime | None
    forbidden_retries: int
    detail: str

    @property
    def latency_seconds(self) -> float | None:
        if self.accepted_at is None or self.visible_at is None:
            return None
        return round((self.visible_at - self.accepted_at).total_seconds(), 3)

    @property
    def ok(self) -> bool:
        return self.accepted and self.visible

    @property
    def remedy(self) -> str:
        """What to do when the proof failed (empty when it passed)."""
        if self.ok:
            return ""
        if self.accepted:
            return (
                "the record was accepted but never appeared: a new table can take ~15 minutes; raise "
                "validation.visibility_timeout_seconds and run `miro-sentinel validate` again; if it persists, "
                "check the DCR transform and stream (dcr, table checks)"
            )
        return (
            "grant Monitoring Metrics Publisher on the DCR to the principal that sends the record (deploy does), "
            "wait up to 30 minutes for it to propagate, then run `miro-sentinel validate`; raise "
            "validation.role_propagation_timeout_seconds to wait longer"
        )


def validation_record(record_id: str, environment: str, now: dt.datetime) -> dict[str, Any]:
    """A Miro-shaped event, clearly marked as synthetic; shaped by the stream declaration."""
    stamp = now.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z"
    return {
        "id": record_id,
        "event": VALIDATION_EVENT,
        "category": VALIDATION_CATEGORY,
        "type": "validation",
        "createdAt": stamp,
        "createdBy": {"type": "application", "id": "miro-sentinel", "name": "miro-sentinel validation", "email": ""},
        "context": {"ip": _NO_ADDRESS, "organization": {"id": "validation", "name": "miro-sentinel validation"}},
        "object": {"id": record_id, "name": "validation record"},
        "details": {
            "marker": VALIDATION_CATEGORY,
            "environment": environment,
            "note": "synthetic record; not a Miro event",
        },
    }


def run_validation(
    ingestion: IngestionClient,
    query: QueryClient,
    outputs: DeploymentOutputs,
    settings: ValidationSettings,
    *,
    environment: str,
    progress: ProgressCallback,
    status: ProgressCallback | None = None,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> ValidationResult:
    """Send the record (retrying 403 while a role assignment propagates), then query until it is visible.

    A 403 beyond ``role_propagation_timeout_seconds`` or a record still invisible after
    ``visibility_timeout_seconds`` is a verdict (``ok`` False, with the reason), not an exception.
    The 403 retries back off from ``poll_interval_seconds`` (doubling, with jitter, to at most a minute)
    and report on one ``status`` line that updates in place.

    :raises ExternalError: Azure failed in another way (unreachable, 5xx, throttled beyond retries).
    """
    record_id = f"{VALIDATION_ID_PREFIX}{uuid.uuid4()}"
    sent_at = dt.datetime.now(dt.UTC)
    record = validation_record(record_id, environment, sent_at)
    started = clock()
    deadline = started + settings.role_propagation_timeout_seconds
    retries = 0
    show = status or progress
    while True:
        try:
            ingestion.upload(outputs.dcr_immutable_id, outputs.stream_name, [record])
            break
        except IngestionForbidden as exc:
            left = deadline - clock()
            if left <= 0:
                return ValidationResult(
                    record_id, False, False, sent_at, None, None, retries,
                    f"still refused after {settings.role_propagation_timeout_seconds:g} s: {exc.message}",
                )  # fmt: skip
            retries += 1
            base = settings.poll_interval_seconds
            wait = min(backoff_delay(retries, base=base, cap=max(base, _FORBIDDEN_BACKOFF_CAP)), left)
            show(
                f"validation: 403, retry {retries} in {wait:.1f} s ({clock() - started:.0f} s so far, giving up in "
                f"{left:.0f} s): {exc.message.split(': ', 1)[-1]}; new role assignments take up to 30 minutes"
            )
            sleep(wait)
    accepted_at = dt.datetime.now(dt.UTC)
    progress(f"validation: record {record_id} accepted (204); waiting for it in {outputs.table_name}")

    kql = f"{outputs.table_name} | where id == '{record_id}' | project TimeGenerated, id"
    deadline = clock() + settings.visibility_timeout_seconds
    while True:
        rows = query.query(kql, timespan=dt.timedelta(days=2))
        if rows:
            visible_at = dt.datetime.now(dt.UTC)
            return ValidationResult(
                record_id, True, True, sent_at, accepted_at, visible_at, retries,
                f"accepted, then visible in {outputs.table_name} after {(visible_at - accepted_at).total_seconds():.1f} s",
            )  # fmt: skip
        left = deadline - clock()
        if left <= 0:
            return ValidationResult(
                record_id, True, False, sent_at, accepted_at, None, retries,
                f"accepted (204) but not visible in {outputs.table_name} after {settings.visibility_timeout_seconds:g} s",
            )  # fmt: skip
        sleep(min(settings.poll_interval_seconds, left))
