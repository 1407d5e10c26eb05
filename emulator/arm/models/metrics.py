"""The metrics API over DCRs: which metrics, time grains, aggregations and dimension filters it takes.

Parameters and their errors follow ``GET {resourceId}/providers/Microsoft.Insights/metrics``:
``metricnames`` (default: ``ApiCallReceived_Count``), ``timespan`` (default: the last hour),
``interval`` (``PT1M`` ... ``P1D`` or ``FULL``; default ``PT1M``), ``aggregation`` (default: each
metric's primary one), and ``$filter`` clauses ``Dimension eq 'value'`` (``'*'`` splits by it) joined
with ``and``. ``top`` limits the number of series. An aggregation the metric does not support is refused
(400) while the quirk ``dcr_metric_aggregations`` is ``strict``, and answered anyway when ``lenient``.
"""

from __future__ import annotations

import datetime as dt
import urllib.parse
from dataclasses import dataclass
from typing import TYPE_CHECKING

from emulator.arm import errors
from emulator.arm.models.resources import Resource
from emulator.core.errors import azure_error
from emulator.core.timespan import parse_duration, parse_interval
from emulator.metrics import AGGREGATIONS, METRICS, MetricDefinition, MetricSeries

if TYPE_CHECKING:
    from emulator.cloud import Cloud

__all__ = ["MetricsResult", "query_rule_metrics"]

GRAINS = ("PT1M", "PT5M", "PT15M", "PT30M", "PT1H", "PT6H", "PT12H", "P1D")


@dataclass(frozen=True)
class MetricsResult:
    start: dt.datetime
    end: dt.datetime
    interval: str
    aggregations: dict[str, tuple[str, ...]]
    metrics: list[tuple[MetricDefinition, list[MetricSeries]]]


def query_rule_metrics(
    cloud: Cloud,
    rule: Resource,
    *,
    timespan: str | None,
    interval: str | None,
    metricnames: str | None,
    aggregation: str | None,
    query_filter: str | None,
    top: str | None,
) -> MetricsResult:
    now = cloud.clock.now()
    if timespan and "%" in timespan:
        # The Azure CLI encodes the timespan twice (``%253A``); Azure decodes what is left, so does this.
        timespan = urllib.parse.unquote(timespan)
    try:
        start, end = parse_interval(timespan, now=now) if timespan else (now - dt.timedelta(hours=1), now)
    except ValueError as exc:
        raise errors.bad_request("BadRequest", f"Invalid timespan: {exc}") from exc
    interval_text = (interval or "PT1M").upper()
    if interval_text != "FULL" and interval_text not in GRAINS:
        raise errors.bad_request("BadRequest", f"Invalid interval '{interval}'. Supported: {', '.join(GRAINS)}, FULL.")
    grain = None if interval_text == "FULL" else parse_duration(interval_text)
    names = [n.strip() for n in (metricnames or "ApiCallReceived_Count").split(",") if n.strip()]
    unknown = [n for n in names if n not in METRICS]
    if unknown:
        raise errors.bad_request(
            "BadRequest",
            f"Failed to find metric configuration for provider: Microsoft.Insights, resource Type: "
            f"dataCollectionRules, metric: {unknown[0]}, Valid metrics: {', '.join(METRICS)}",
        )
    requested = [a.strip() for a in aggregation.split(",")] if aggregation else []
    by_name = {a.lower(): a for a in AGGREGATIONS}
    bad = [a for a in requested if a.lower() not in by_name]
    if bad:
        raise errors.bad_request("BadRequest", f"Invalid aggregation '{bad[0]}'. Supported: {', '.join(AGGREGATIONS)}.")
    limit = _top(top)
    split = _parse_filter(query_filter)
    metrics = []
    aggregations: dict[str, tuple[str, ...]] = {}
    for name in names:
        definition = METRICS[name]
        known = {d.lower(): d for d in definition.dimensions}
        for dimension in split:
            if dimension.lower() not in known:
                raise errors.bad_request(
                    "BadRequest",
                    f"Metric: {name} does not support requested dimension combination: {dimension}, supported ones "
                    f"are: {', '.join(definition.dimensions)}",
                )
        chosen = tuple(by_name[a.lower()] for a in requested) or (definition.primary_aggregation,)
        unsupported = [a for a in chosen if a not in definition.supported]
        if unsupported and cloud.quirks.chosen("dcr_metric_aggregations", "strict"):
            raise errors.bad_request(
                "BadRequest",
                f"Metric: {name} does not support the requested aggregation type: {unsupported[0]}; supported: "
                f"{', '.join(definition.supported)}",
            )
        dims = {known[d.lower()]: v for d, v in split.items()}
        series = cloud.metrics.query(rule.id, definition, start=start, end=end, grain=grain, split=dims)
        metrics.append((definition, series[:limit]))
        aggregations[name] = chosen
    return MetricsResult(start, end, interval_text if grain else "FULL", aggregations, metrics)


def _top(text: str | None) -> int:
    if text is None:
        return 10
    try:
        value = int(text)
    except ValueError as exc:
        raise errors.bad_request("BadRequest", f"Invalid top '{text}'.") from exc
    return max(value, 1)


def _parse_filter(text: str | None) -> dict[str, str | None]:
    """``{dimension: value or None (split)}`` from ``Dim eq 'v' and Dim2 eq '*'``."""
    if not text:
        return {}
    split: dict[str, str | None] = {}
    for clause in text.split(" and "):
        name, op, value = ([*clause.strip().split(None, 2), "", ""])[:3]
        value = value.strip()
        if op.lower() != "eq" or not (value.startswith("'") and value.endswith("'") and len(value) >= 2):
            raise azure_error(
                501,
                "NotImplemented",
                f"The local cloud supports $filter clauses of the form Dimension eq 'value' joined with 'and', "
                f"not '{text}'. See emulator/COVERAGE.md",
            )
        split[name] = None if value[1:-1] == "*" else value[1:-1]
    return split
