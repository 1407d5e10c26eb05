"""DCR metrics: what the Logs Ingestion API counts, per minute, and the metrics API reads.

Every ingestion call appends metric events (one sample each); the metrics API aggregates them into
time grains. Events wait in memory and reach the store in one statement per batch (at the latest
when they are read): a write to the database file costs a disk flush, which would otherwise be paid
by every ingestion call. Names, units and dimensions follow Azure Monitor's supported-metrics reference
for ``Microsoft.Insights/dataCollectionRules``.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field

from emulator.clock import naive_utc
from emulator.store import Store

__all__ = ["METRICS", "MetricDefinition", "MetricSeries", "MetricStore", "Sample"]


@dataclass(frozen=True)
class MetricDefinition:
    name: str
    display_name: str
    unit: str
    dimensions: tuple[str, ...]
    primary_aggregation: str
    description: str
    #: The aggregations the metric supports (Learn's supported-metrics page for dataCollectionRules).
    supported: tuple[str, ...] = ("Total", "Average", "Minimum", "Maximum")


_COUNT_ONLY = ("Count",)
METRICS: dict[str, MetricDefinition] = {
    m.name: m
    for m in (
        MetricDefinition(
            "ApiCallReceived_Count", "Logs Ingestion Requests per Min", "Count", ("InputStreamId", "ResponseCode"),
            "Count", "Number of calls received by the Logs Ingestion API.", _COUNT_ONLY,
        ),
        MetricDefinition(
            "BytesReceived_Count", "Logs Ingestion Bytes per Min", "Bytes", ("InputStreamId",),
            "Total", "Bytes received by the Logs Ingestion API, as sent.",
        ),
        MetricDefinition(
            "RowsReceived_Count", "Logs Rows Received per Min", "Count", ("InputStreamId",),
            "Total", "Rows received for processing by the data collection rule.",
        ),
        MetricDefinition(
            "RowsDropped_Count", "Logs Rows Dropped per Min", "Count", ("InputStreamId",),
            "Total", "Rows dropped while processing (a failed transformation, a missing destination).",
        ),
        MetricDefinition(
            "TransformationErrors_Count", "Logs Transform Errors per Min", "Count", ("InputStreamId", "ErrorType"),
            "Count", "Times the transformation failed.", _COUNT_ONLY,
        ),
    )
}  # fmt: skip

AGGREGATIONS = ("Average", "Count", "Minimum", "Maximum", "Total")

#: Samples kept in memory at most before they are written anyway.
_FLUSH_AT = 1_000

#: Where each dimension's value is kept (an event has at most one dimension besides InputStreamId).
_DIMENSION_COLUMNS = {"inputstreamid": "stream", "responsecode": "dimension", "errortype": "dimension"}


@dataclass(frozen=True)
class Sample:
    """One measurement: ``dimension`` is the ResponseCode (or ErrorType) value, if the metric has one."""

    metric: str
    value: float
    stream: str | None = None
    dimension: str | None = None


@dataclass
class MetricSeries:
    """One time series: its dimension values and, per time grain, the aggregated samples."""

    dimensions: dict[str, str]
    points: list[tuple[dt.datetime, dict[str, float]]] = field(default_factory=list)


class MetricStore:
    """Metric events in the store, and their aggregation."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self._pending: list[object] = []  # parameters of the rows not yet written, six per row
        self._pending_lock = threading.Lock()

    def record(self, resource_id: str, at: dt.datetime, samples: Sequence[Sample]) -> None:
        """Append samples of the resource's metrics, all taken at ``at`` (written with the next :meth:`flush`)."""
        params: list[object] = []
        for sample in samples:
            params += [
                resource_id.lower(),
                naive_utc(at),
                sample.metric,
                sample.stream,
                sample.dimension,
                float(sample.value),
            ]
        with self._pending_lock:
            self._pending += params
            full = len(self._pending) >= _FLUSH_AT * 6
        if full:
            self.flush()

    def flush(self) -> None:
        """Write the samples recorded so far to the store, in one statement."""
        with self._pending_lock:
            params, self._pending = self._pending, []
        if params:
            rows = ", ".join("(?, ?, ?, ?, ?, ?)" for _ in range(len(params) // 6))
            self._store.cursor().execute(f"INSERT INTO emu.metric_events VALUES {rows}", params)

    def reset(self) -> None:
        with self._pending_lock:
            self._pending = []
        self._store.cursor().execute("DELETE FROM emu.metric_events")

    def query(
        self,
        resource_id: str,
        metric: MetricDefinition,
        *,
        start: dt.datetime,
        end: dt.datetime,
        grain: dt.timedelta | None,
        split: dict[str, str | None],
    ) -> list[MetricSeries]:
        """Series of ``metric`` in ``[start, end)``, one per combination of the ``split`` dimensions.

        ``split`` maps a dimension to a value to keep, or to ``None`` to split by all its values.
        ``grain`` ``None`` means one point for the whole span (``FULL``).
        """
        self.flush()
        columns = [_DIMENSION_COLUMNS[d.lower()] for d in split]
        where = ["resource = ?", "metric = ?", "ts >= ?", "ts < ?"]
        params: list[object] = [resource_id.lower(), metric.name, naive_utc(start), naive_utc(end)]
        for dimension, value in split.items():
            if value is not None:
                where.append(f"{_DIMENSION_COLUMNS[dimension.lower()]} = ?")
                params.append(value)
        step = grain.total_seconds() if grain else max((end - start).total_seconds(), 1.0)
        keys = "".join(f", {c}" for c in columns)
        rows = (
            self._store.cursor()
            .execute(
                f"SELECT floor(epoch(ts) / {step}) AS bucket{keys}, sum(value), count(*), min(value), max(value) "
                f"FROM emu.metric_events WHERE {' AND '.join(where)} GROUP BY ALL ORDER BY ALL",
                params,
            )
            .fetchall()
        )
        by_series: dict[tuple[str, ...], dict[int, tuple[float, int, float, float]]] = {}
        for row in rows:
            dims = tuple(str(v) for v in row[1 : 1 + len(columns)])
            total, count, low, high = row[1 + len(columns) :]
            by_series.setdefault(dims, {})[int(row[0])] = (float(total), int(count), float(low), float(high))
        if not by_series and all(v is None for v in split.values()) and not columns:
            by_series[()] = {}
        grid = _grid(start, end, step)
        series = []
        for dims, buckets in sorted(by_series.items()):
            points = []
            for bucket_start in grid:
                key = int(bucket_start.timestamp() // step)
                total, count, low, high = buckets.get(key, (0.0, 0, 0.0, 0.0))
                values = {"Total": total, "Count": float(count)}
                if count:
                    values.update({"Average": total / count, "Minimum": low, "Maximum": high})
                points.append((bucket_start, values))
            series.append(MetricSeries(dict(zip(split, dims, strict=True)), points))
        return series


def _grid(start: dt.datetime, end: dt.datetime, step: float) -> Sequence[dt.datetime]:
    first = int(start.timestamp() // step) * step
    grid = []
    current = first
    while current < end.timestamp():
        grid.append(dt.datetime.fromtimestamp(current, dt.UTC))
        current += step
    return grid
