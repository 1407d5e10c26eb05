"""The ingestion pipeline: staged records -> stream declaration -> DCR transform -> tables.

Runs in a background thread, and on demand (:meth:`Pipeline.flush`) before a query or a metrics
read. Each pass takes every staged record of a (DCR, stream), shapes them set-based with the stream
declaration (:func:`kqlengine.shape_records_sql`), runs the transform's SQL, compiled once per
DCR, over all of them in one statement, and appends the rows to each destination table. Running the
transform once per batch rather than once per call matters: planning the SQL of a long transform
costs more than running it over thousands of rows. So the background thread lets a burst of calls
gather (until it holds a batch's worth of records, or no call came for a moment) before a pass.

Rows get ``TimeGenerated`` as Azure gives it: the transform's value, or the time of processing when
the transform produces none, a null, or a time more than 2 days before or 1 day after it.
A failing transform drops the batch's rows and counts them (``RowsDropped_Count``,
``TransformationErrors_Count``).
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from typing import TYPE_CHECKING

import duckdb

import kqlengine as kql
from emulator.arm.models.rules import CompiledFlow, CompiledRule
from emulator.clock import naive_utc
from emulator.core.errors import EmulatorError
from emulator.logstore import TableDefinition
from emulator.metrics import Sample
from emulator.store import STAGED, quote_identifier

if TYPE_CHECKING:
    from emulator.cloud import Cloud

__all__ = ["Pipeline"]

_log = logging.getLogger(__name__)

#: A background pass starts once this many records are staged...
_BATCH_RECORDS = 25_000
#: ... or when no call came for this long, and at the latest this long after the first call of a burst.
_QUIET_SECONDS = 0.5
_GATHER_SECONDS = 2.0


class Pipeline:
    """Applies DCR transforms to staged records, in the background and on :meth:`flush`."""

    def __init__(self, cloud: Cloud) -> None:
        self._cloud = cloud
        self._drain_lock = threading.Lock()
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._staged = 0  # records staged since the last pass (a hint for batching; no lock needed)

    def start(self) -> None:
        if self._thread is None:
            self._stopping.clear()
            self._thread = threading.Thread(target=self._run, name="emulator-pipeline", daemon=True)
            self._thread.start()
            self.notify()

    def stop(self) -> None:
        thread, self._thread = self._thread, None
        if thread is not None:
            self._stopping.set()
            self._wake.set()
            thread.join()

    def notify(self, records: int = 0) -> None:
        """``records`` records were staged: process them soon."""
        self._staged += records
        self._wake.set()

    def flush(self) -> None:
        """Process every record staged so far before returning."""
        self._drain()

    def _run(self) -> None:
        while not self._stopping.is_set():
            self._wake.wait(timeout=1.0)
            self._wake.clear()
            self._gather()
            if self._stopping.is_set():
                return
            try:
                self._drain()
            except Exception:
                _log.exception("the ingestion pipeline failed; staged records stay for the next pass")

    def _gather(self) -> None:
        """Wait while a burst of calls goes on, up to a batch's worth of records or :data:`_GATHER_SECONDS`."""
        deadline = time.monotonic() + _GATHER_SECONDS
        while self._staged < _BATCH_RECORDS and not self._stopping.is_set():
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not self._wake.wait(timeout=min(_QUIET_SECONDS, remaining)):
                return
            self._wake.clear()

    def _drain(self) -> None:
        with self._drain_lock:
            self._staged = 0
            upto = self._cloud.ingestion.last_seq
            groups = (
                self._cloud.store.cursor()
                .execute(f"SELECT DISTINCT rule, stream FROM {STAGED} WHERE seq <= ? ORDER BY ALL", [upto])
                .fetchall()
            )
            for rule, stream in groups:
                self._apply(str(rule), str(stream), upto)
            if groups:
                self._cloud.store.put_document("meta", "clock", self._cloud.clock.now().isoformat())
            self._cloud.metrics.flush()

    def _apply(self, immutable_id: str, stream: str, upto: int) -> None:
        cloud = self._cloud
        now = cloud.clock.now()
        where = "rule = ? AND stream = ? AND seq <= ?"
        args = [immutable_id, stream, upto]
        cur = cloud.store.cursor()
        resource = cloud.arm.rules.by_immutable_id(immutable_id)
        count_row = cur.execute(f"SELECT count(*) FROM {STAGED} WHERE {where}", args).fetchone()
        count = int(count_row[0]) if count_row else 0
        try:
            compiled = cloud.arm.rules.compiled(immutable_id) if resource is not None else None
            flows = compiled.flows_for(stream) if compiled is not None else []
            if compiled is None or not flows:
                raise _Dropped("the data collection rule or its data flow for the stream no longer exists")
            # Staged records live in memory, rows in the file: DuckDB writes one database per transaction,
            # so these are separate statements (a crash loses the staged records anyway).
            with cloud.schema_lock:
                shaped = kql.shape_records_sql(
                    compiled.streams[stream], f"(SELECT rec FROM {STAGED} WHERE {where})", record="rec"
                )
                cur.execute(f"CREATE OR REPLACE TEMP TABLE source AS {shaped}", args)
                for flow in flows:
                    self._write(compiled, flow, now)
                cur.execute(f"DELETE FROM {STAGED} WHERE {where}", args)
        except (_Dropped, EmulatorError, duckdb.Error) as exc:
            _log.warning("dropping %d record(s) of %s/%s: %s", count, immutable_id, stream, exc)
            cur.execute(f"DELETE FROM {STAGED} WHERE {where}", args)
            if resource is not None:
                error_type = "TransformationFailed" if isinstance(exc, duckdb.Error) else "ConfigurationError"
                cloud.metrics.record(
                    resource.id,
                    now,
                    [
                        Sample("RowsDropped_Count", count, stream),
                        Sample("TransformationErrors_Count", 1, stream, error_type),
                    ],
                )

    def _write(self, rule: CompiledRule, flow: CompiledFlow, now: dt.datetime) -> None:
        cloud = self._cloud
        visible = now + dt.timedelta(seconds=cloud.settings.ingestion_latency_seconds)
        params = {"kqlnow": naive_utc(now)} if flow.transform.uses_now else {}
        for workspace in flow.workspaces:
            table = cloud.logs.table(workspace, flow.table)
            if table is None:
                raise _Dropped(f"table {flow.table} no longer exists")
            select = _select(table, {c.name for c in flow.transform.output}, flow.transform.sql, now)
            cloud.logs.insert_select(table, select, params, visible_at=visible)


def _select(table: TableDefinition, produced: set[str], transform_sql: str, now: dt.datetime) -> str:
    """The table's columns, in order, from the transform's output (what it lacks is null)."""
    received = f"TIMESTAMP '{naive_utc(now).isoformat(sep=' ')}'"
    parts = []
    for column in table.columns:
        if column.name == "TimeGenerated":
            value = (
                f"TRY_CAST(_out.{quote_identifier(column.name)} AS TIMESTAMP)" if column.name in produced else "NULL"
            )
            parts.append(
                f"CASE WHEN {value} IS NULL OR {value} < {received} - INTERVAL 2 DAY "
                f"OR {value} > {received} + INTERVAL 1 DAY THEN {received} ELSE {value} END"
            )
        elif column.name in produced:
            parts.append(f"TRY_CAST(_out.{quote_identifier(column.name)} AS {kql.duckdb_type(column.type)})")
        else:
            parts.append(f"CAST(NULL AS {kql.duckdb_type(column.type)})")
    return f"SELECT {', '.join(parts)} FROM ({transform_sql}) AS _out"


class _Dropped(Exception):
    """The records cannot go anywhere any more."""
