"""The Logs Ingestion API's rules: what a call must satisfy before its records are accepted.

Checks, in the order a call meets them: the api-version, the content length (1,048,576 bytes as
sent; 413), the token (401), the DCR (404), the caller's Monitoring Metrics Publisher role on the DCR
or a scope above it once propagated (403), the DCR's per-minute limits (429 with ``Retry-After``), the
stream (declared and used by a data flow; 400), and the body (gzip or plain, a JSON array of
objects; 400). Every call naming an existing DCR is counted in its metrics, failures included.

Accepted records are staged (in memory) as they came; the pipeline (:mod:`.pipeline`) shapes them
by the stream declaration, runs the transform and writes the table, in batches. Azure also
processes records after answering 204; queries and the metrics API wait for staged records first,
so an ingestion latency of 0 means "visible to the next query".
"""

from __future__ import annotations

import datetime as dt
import os
import tempfile
import threading
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import duckdb

import kqlengine as kql
from emulator.arm.models.resources import Resource
from emulator.clock import naive_utc
from emulator.core.auth import Principal
from emulator.core.errors import EmulatorError, first_line
from emulator.ingestion import errors
from emulator.metrics import Sample
from emulator.store import STAGED

if TYPE_CHECKING:
    from emulator.cloud import Cloud

__all__ = ["API_VERSIONS", "TELEMETRY_WRITE", "IngestionBackend"]

API_VERSIONS = ("2023-01-01", "2021-11-01-preview", "2023-04-01-preview")

#: The data action Monitoring Metrics Publisher grants and the Logs Ingestion API requires.
TELEMETRY_WRITE = "Microsoft.Insights/Telemetry/Write"

#: Safety net against decompression bombs (Azure's own limit applies to the bytes as sent).
_MAX_DECOMPRESSED = 256 * 1024 * 1024

_NOT_OBJECT = "an element of the array is not a JSON object"


@dataclass
class _Window:
    minute: dt.datetime
    requests: int = 0
    bytes: int = 0


class IngestionBackend:
    """Accepts calls to a DCR stream and stages their records for the pipeline."""

    def __init__(self, cloud: Cloud) -> None:
        self._cloud = cloud
        self._windows: dict[str, _Window] = {}
        self._windows_lock = threading.Lock()
        self._stage_lock = threading.Lock()
        #: The sequence number of the last staged call (records of calls up to it are in the store).
        self.last_seq = 0

    def reset(self) -> None:
        with self._windows_lock:
            self._windows.clear()

    def rule(self, immutable_id: str) -> Resource | None:
        return self._cloud.arm.rules.by_immutable_id(immutable_id)

    def upload(
        self,
        *,
        immutable_id: str,
        stream: str,
        body: bytes,
        content_encoding: str | None,
        api_version: str | None,
        authenticate: Callable[[], Principal],
    ) -> Principal:
        """Accept one call or raise the error Azure answers; returns the caller.

        ``authenticate`` is called (no arguments) to check the token, so a 401 is counted as well.
        """
        now = self._cloud.clock.now()
        rule = self.rule(immutable_id)
        try:
            if api_version not in API_VERSIONS:
                raise errors.invalid_api_version(api_version, API_VERSIONS)
            limit = self._cloud.settings.ingestion_max_body_bytes
            if len(body) > limit:
                raise errors.content_too_large(limit, len(body))
            principal = authenticate()
            if rule is None:
                raise errors.rule_not_found(immutable_id)
            if not self._cloud.arm.roles.is_allowed(principal.object_id, TELEMETRY_WRITE, rule.id, data=True):
                raise errors.forbidden(
                    rule.properties["immutableId"], rule.id, self._cloud.identity.tenant_id, principal.object_id
                )
            self._throttle(rule, len(body), now)
            compiled = self._cloud.arm.rules.compiled(rule.properties["immutableId"])
            if compiled is None or stream not in compiled.streams or not compiled.flows_for(stream):
                raise errors.stream_not_found(stream, rule.properties["immutableId"])
            records = self._stage(rule.properties["immutableId"], stream, _decode(body, content_encoding), now)
        except EmulatorError as exc:
            if rule is not None:
                self._cloud.metrics.record(rule.id, now, _call_samples(stream, exc.status, len(body)))
            raise
        rows = Sample("RowsReceived_Count", records, stream)
        self._cloud.metrics.record(rule.id, now, [*_call_samples(stream, 204, len(body)), rows])
        self._cloud.pipeline.notify(records)
        return principal

    def _throttle(self, rule: Resource, size: int, now: dt.datetime) -> None:
        settings = self._cloud.settings
        minute = now.replace(second=0, microsecond=0)
        with self._windows_lock:
            window = self._windows.get(rule.id.lower())
            if window is None or window.minute != minute:
                window = self._windows[rule.id.lower()] = _Window(minute)
            retry_after = self._cloud.clock.real_seconds((minute + dt.timedelta(minutes=1) - now).total_seconds())
            if window.requests + 1 > settings.ingestion_requests_per_minute:
                raise errors.throttled(f"{settings.ingestion_requests_per_minute} requests", retry_after)
            if window.bytes + size > settings.ingestion_bytes_per_minute:
                raise errors.throttled(f"{settings.ingestion_bytes_per_minute} bytes", retry_after)
            window.requests += 1
            window.bytes += size

    def _stage(self, immutable_id: str, stream: str, raw: bytes, received: dt.datetime) -> int:
        """Keep the records of one call for the pipeline; returns how many there are."""
        if not raw.lstrip().startswith(b"["):
            raise errors.invalid_content("The request body must be a JSON array of objects.")
        if not raw.rstrip().endswith(b"]"):
            # DuckDB's reader would take a truncated array; a JSON parser does not.
            raise errors.invalid_content(
                "The request body is not a valid JSON array: it ends before the array is closed."
            )
        # In the store's scratch directory: the one place its sandboxed JSON reader may read.
        fd, path = tempfile.mkstemp(prefix="ingest-", suffix=".json", dir=self._cloud.store.scratch_dir)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(raw)
            with self._stage_lock:
                seq = self.last_seq + 1
                try:
                    # One pass over the body: parse, check each element is an object, keep it. The reader
                    # has parsed each element and hands it back trimmed, so an object is one starting with
                    # '{': checking that costs a fraction of parsing every record again with json_type.
                    rows = (
                        self._cloud.store.cursor()
                        .execute(
                            f"INSERT INTO {STAGED} SELECT ?, ?, ?, ?, CASE WHEN starts_with(json, '{{') THEN json "  # nosec B608 # constants only; values are bound parameters
                            f"ELSE error('{_NOT_OBJECT}') END FROM read_json_objects(?, format='array', "
                            f"maximum_object_size={kql.MAX_RECORD_BYTES})",
                            [seq, immutable_id, stream, naive_utc(received), path],
                        )
                        .fetchall()
                    )
                except duckdb.Error as exc:
                    if _NOT_OBJECT in str(exc):
                        raise errors.invalid_content(
                            f"The request body must be a JSON array of objects; {_NOT_OBJECT}."
                        ) from exc
                    raise errors.invalid_content(
                        f"The request body is not a valid JSON array: {first_line(exc)}"
                    ) from exc
                count = int(rows[0][0]) if rows else 0
                self.last_seq = seq
        finally:
            os.unlink(path)
        return count


def _decode(body: bytes, encoding: str | None) -> bytes:
    kind = (encoding or "").strip().lower()
    if kind in ("", "identity"):
        return body
    if kind != "gzip":
        raise errors.invalid_content(f"Content-Encoding '{encoding}' is not supported; send gzip or no encoding.")
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        raw = inflater.decompress(body, _MAX_DECOMPRESSED)
    except zlib.error as exc:
        raise errors.invalid_content(f"The request body is not valid gzip data: {exc}") from exc
    if inflater.unconsumed_tail:
        raise errors.content_too_large(_MAX_DECOMPRESSED, _MAX_DECOMPRESSED + len(inflater.unconsumed_tail))
    return raw


def _call_samples(stream: str, status: int, size: int) -> list[Sample]:
    return [
        Sample("ApiCallReceived_Count", 1, stream, str(status)),
        Sample("BytesReceived_Count", size, stream),
    ]
