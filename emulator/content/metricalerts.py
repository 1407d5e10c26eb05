"""Azure Monitor metric alerts (``Microsoft.Insights/metricAlerts``) and their evaluation on the virtual clock.

From the 2018-03-01 ``metricAlert_API.json`` spec: ``description``, ``severity`` (0-4), ``enabled``,
``evaluationFrequency``, ``windowSize`` and ``criteria`` are required; a single-resource rule uses
``Microsoft.Azure.Monitor.SingleResourceMultipleMetricCriteria`` whose ``allOf`` holds static or dynamic
criteria (metric, aggregation, operator, threshold). From Learn: the location is ``global``, the frequency
one of PT1M, PT5M, PT15M, PT30M, PT1H, the window one of PT1M to P1D and not shorter than the frequency,
and a rule holds at most 5 criteria. The local cloud emulates metrics of data collection rules only, so a
rule on any other resource, or with dynamic thresholds, answers 501. An aggregation the metric does not
support is refused while the quirk ``dcr_metric_aggregations`` is ``strict``, as the metrics API does.

Every ``evaluationFrequency`` after it is written, an enabled rule aggregates each criterion's metric over
the last ``windowSize`` and compares it with its threshold; when all hold the alert fires (status
``Unhealthy``), and with ``autoMitigate`` it resolves when they no longer do (``Healthy``). The status
names are unconfirmed (``emulator/COVERAGE.md``). Each firing is kept for the control API.
"""

from __future__ import annotations

import copy
import datetime as dt
import threading
import uuid
from typing import TYPE_CHECKING, Any

from emulator.arm.models.resources import Resource, tracked_resource
from emulator.arm.models.rules import DCR_TYPE
from emulator.content import errors
from emulator.content.scoped import GroupScoped
from emulator.core.auth import Principal
from emulator.core.errors import azure_error
from emulator.core.timespan import parse_duration
from emulator.metrics import AGGREGATIONS, METRICS

if TYPE_CHECKING:
    from emulator.cloud import Cloud

__all__ = ["METRIC_ALERT_TYPE", "MetricAlerts", "metric_alert_problems"]

METRIC_ALERT_TYPE = "Microsoft.Insights/metricAlerts"
SINGLE_RESOURCE = "Microsoft.Azure.Monitor.SingleResourceMultipleMetricCriteria"
FREQUENCIES = ("PT1M", "PT5M", "PT15M", "PT30M", "PT1H")
WINDOWS = ("PT1M", "PT5M", "PT15M", "PT30M", "PT1H", "PT6H", "PT12H", "P1D")
OPERATORS = ("Equals", "NotEquals", "GreaterThan", "GreaterThanOrEqual", "LessThan", "LessThanOrEqual")
MAX_CRITERIA = 5
_STATE = "monitor.metric-alerts"
_FIRED = "monitor.fired"


def _iso(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


def metric_alert_problems(body: Any) -> list[tuple[str, str]]:
    """Every problem of a metric alert's body (its scopes are checked against the cloud separately)."""
    if not isinstance(body, dict) or not isinstance(body.get("properties"), dict):
        return [("properties", "is required and must be an object")]
    problems: list[tuple[str, str]] = []
    if str(body.get("location", "")).lower() != "global":
        problems.append(("location", f"'{body.get('location')}' is not supported for metric alerts; use 'global'"))
    props = body["properties"]
    for name, kind in (("description", str), ("enabled", bool), ("evaluationFrequency", str), ("windowSize", str)):
        if not isinstance(props.get(name), kind):
            problems.append((f"properties.{name}", "is required"))
    severity = props.get("severity")
    if isinstance(severity, bool) or severity not in (0, 1, 2, 3, 4):
        problems.append(("properties.severity", "must be 0, 1, 2, 3 or 4"))
    frequency, window = props.get("evaluationFrequency"), props.get("windowSize")
    if isinstance(frequency, str) and frequency.upper() not in FREQUENCIES:
        problems.append(("properties.evaluationFrequency", f"must be one of {', '.join(FREQUENCIES)}"))
    if isinstance(window, str) and window.upper() not in WINDOWS:
        problems.append(("properties.windowSize", f"must be one of {', '.join(WINDOWS)}"))
    elif (
        isinstance(window, str)
        and isinstance(frequency, str)
        and frequency.upper() in FREQUENCIES
        and parse_duration(window) < parse_duration(frequency)
    ):
        problems.append(("properties.windowSize", "must not be shorter than evaluationFrequency"))
    scopes = props.get("scopes")
    if not isinstance(scopes, list) or len(scopes) != 1 or not isinstance(scopes[0], str):
        problems.append(("properties.scopes", "must hold exactly one resource id (a single-resource rule)"))
    criteria = props.get("criteria")
    if not isinstance(criteria, dict) or criteria.get("odata.type") != SINGLE_RESOURCE:
        return [*problems, ("properties.criteria", f"must be of odata.type {SINGLE_RESOURCE}")]
    items = criteria.get("allOf")
    if not isinstance(items, list) or not 1 <= len(items) <= MAX_CRITERIA:
        return [*problems, ("properties.criteria.allOf", f"must hold 1 to {MAX_CRITERIA} criteria")]
    for i, item in enumerate(items):
        where = f"properties.criteria.allOf[{i}]"
        if not isinstance(item, dict):
            problems.append((where, "must be an object"))
            continue
        for name in ("criterionType", "name", "metricName", "timeAggregation"):
            if not item.get(name):
                problems.append((f"{where}.{name}", "is required"))
        if item.get("timeAggregation") and item["timeAggregation"] not in AGGREGATIONS:
            problems.append((f"{where}.timeAggregation", f"must be one of {', '.join(AGGREGATIONS)}"))
        if item.get("criterionType") == "StaticThresholdCriterion":
            if item.get("operator") not in OPERATORS:
                problems.append((f"{where}.operator", f"must be one of {', '.join(OPERATORS)}"))
            threshold = item.get("threshold")
            if isinstance(threshold, bool) or not isinstance(threshold, int | float):
                problems.append((f"{where}.threshold", "is required and must be a number"))
    return problems


def _holds(value: float, operator: str, threshold: float) -> bool:
    return {
        "Equals": value == threshold,
        "NotEquals": value != threshold,
        "GreaterThan": value > threshold,
        "GreaterThanOrEqual": value >= threshold,
        "LessThan": value < threshold,
        "LessThanOrEqual": value <= threshold,
    }[operator]


def _aggregate(points: list[dict[str, float]], aggregation: str) -> float:
    """One value for the whole window from the points the metrics store answered (0 without samples)."""
    total = sum(p.get("Total", 0.0) for p in points)
    count = sum(p.get("Count", 0.0) for p in points)
    sampled = [p for p in points if p.get("Count")]
    if aggregation == "Total":
        return total
    if aggregation == "Count":
        return count
    if not sampled:
        return 0.0
    if aggregation == "Average":
        return total / count
    if aggregation == "Minimum":
        return min(p["Minimum"] for p in sampled)
    return max(p["Maximum"] for p in sampled)


class MetricAlerts(GroupScoped):
    """Metric alert rules of every resource group, and their evaluation."""

    TYPE = METRIC_ALERT_TYPE
    NOUN = "metric alert"

    def __init__(self, cloud: Cloud) -> None:
        super().__init__(cloud)
        self._lock = threading.RLock()

    def reset(self) -> None:
        self._cloud.store.clear_documents(_STATE)
        self._cloud.store.clear_documents(_FIRED)

    # --- ARM ------------------------------------------------------------------------------------------

    def put(self, caller: Principal, group_id: str, name: str, body: Any) -> tuple[Resource, bool]:
        resource_id = self.resource_id(group_id, name)
        self._cloud.arm.roles.authorize(caller, f"{self.TYPE}/write", resource_id)
        problems = metric_alert_problems(body)
        if problems:
            raise errors.invalid_properties(problems)
        props = copy.deepcopy(body["properties"])
        self._check_target(props)
        previous = self._registry.get(resource_id)
        now = self._cloud.clock.now()
        props["lastUpdatedTime"] = _iso(now)
        props.setdefault("autoMitigate", True)
        resource = tracked_resource(
            resource_id,
            METRIC_ALERT_TYPE,
            body,
            props,
            previous=previous,
            who=caller.app_id or caller.object_id,
            now=now,
        )
        resource.body.pop("etag", None)  # metric alerts carry no etag
        with self._lock:
            self._registry.put(resource)
            frequency = parse_duration(str(props["evaluationFrequency"]))
            self._cloud.store.put_document(
                _STATE,
                resource_id.lower(),
                {"next": _iso(now + frequency), "status": "Healthy", "timestamp": _iso(now)},
            )
        return resource, previous is None

    def _check_target(self, props: dict[str, Any]) -> None:
        target = self._registry.get(props["scopes"][0])
        if target is None:
            raise azure_error(404, "ResourceNotFound", f"The resource '{props['scopes'][0]}' was not found.")
        if target.type.lower() != DCR_TYPE.lower():
            raise azure_error(
                501,
                "NotImplemented",
                "Not implemented by the local cloud: metric alerts on resources other than data collection rules",
            )
        for i, item in enumerate(props["criteria"]["allOf"]):
            if item.get("criterionType") != "StaticThresholdCriterion":
                raise azure_error(
                    501, "NotImplemented", "Not implemented by the local cloud: dynamic threshold criteria"
                )
            if item["metricName"] not in METRICS:
                raise errors.invalid_properties(
                    [
                        (
                            f"properties.criteria.allOf[{i}].metricName",
                            f"Couldn't find a metric named {item['metricName']}. Make sure the name is correct. "
                            f"Available metrics: {', '.join(METRICS)}",
                        )
                    ]
                )
            supported = METRICS[item["metricName"]].supported
            if item["timeAggregation"] not in supported and self._cloud.quirks.chosen(
                "dcr_metric_aggregations", "strict"
            ):
                raise errors.invalid_properties(
                    [
                        (
                            f"properties.criteria.allOf[{i}].timeAggregation",
                            f"Metric: {item['metricName']} does not support the requested aggregation type: "
                            f"{item['timeAggregation']}; supported: {', '.join(supported)}",
                        )
                    ]
                )
            namespace = item.get("metricNamespace")
            if namespace and str(namespace).lower() != DCR_TYPE.lower():
                raise errors.invalid_properties(
                    [(f"properties.criteria.allOf[{i}].metricNamespace", f"'{namespace}' is not {DCR_TYPE}")]
                )

    def delete(self, caller: Principal, group_id: str, name: str) -> bool:
        with self._lock:  # the rule's evaluation state goes with it
            self._cloud.store.delete_document(_STATE, self.resource_id(group_id, name).lower())
            return super().delete(caller, group_id, name)

    def status(self, caller: Principal, group_id: str, name: str) -> list[dict[str, Any]]:
        """``MetricAlertsStatus_List``: one status for the rule's single resource."""
        rule = self.get(caller, group_id, name)
        state = self._cloud.store.document(_STATE, rule.id.lower()) or {}
        return [
            {
                "name": uuid.uuid5(uuid.NAMESPACE_URL, rule.id.lower()).hex,
                "id": rule.id,
                "type": f"{METRIC_ALERT_TYPE}/status",
                "properties": {
                    "dimensions": {},
                    "status": state.get("status", "Healthy"),
                    "timestamp": state.get("timestamp"),
                },
            }
        ]

    # --- evaluation -----------------------------------------------------------------------------------

    def evaluate_due(self) -> int:
        """Evaluate every enabled rule whose evaluation is due; returns how many evaluations ran."""
        ran = 0
        with self._lock:
            now = self._cloud.clock.now()
            due_rules = []
            for rule in self._registry.of_type(METRIC_ALERT_TYPE):
                state = self._cloud.store.document(_STATE, rule.id.lower())
                if state is None or not rule.properties.get("enabled"):
                    continue
                due = dt.datetime.fromisoformat(state["next"].replace("Z", "+00:00"))
                if due <= now:
                    due_rules.append((rule, state, due))
            if not due_rules:
                # Nothing to evaluate: a flush here, every tick, would cut the pipeline's batches short.
                return 0
            self._cloud.pipeline.flush()
            for rule, state, due in due_rules:
                frequency = parse_duration(str(rule.properties["evaluationFrequency"]))
                while due <= now:
                    self._evaluate(rule, due, state)
                    due += frequency
                    ran += 1
                state["next"] = _iso(due)
                self._cloud.store.put_document(_STATE, rule.id.lower(), state)
        return ran

    def _evaluate(self, rule: Resource, at: dt.datetime, state: dict[str, Any]) -> None:
        props = rule.properties
        window = parse_duration(str(props["windowSize"]))
        values: dict[str, float] = {}
        for item in props["criteria"]["allOf"]:
            metric = METRICS[item["metricName"]]
            found = self._cloud.metrics.query(
                props["scopes"][0], metric, start=at - window, end=at, grain=None, split={}
            )
            values[item["name"]] = _aggregate([p for s in found for _, p in s.points], str(item["timeAggregation"]))
        firing = all(
            _holds(values[item["name"]], item["operator"], float(item["threshold"]))
            for item in props["criteria"]["allOf"]
        )
        before = state.get("status", "Healthy")
        if firing and before != "Unhealthy":
            self._cloud.store.put_document(
                _FIRED,
                f"{rule.id.lower()}|{_iso(at)}",
                {
                    "rule": rule.id,
                    "name": rule.name,
                    "firedAt": _iso(at),
                    "values": values,
                    "severity": props["severity"],
                },
            )
            state["status"] = "Unhealthy"
        elif not firing and before == "Unhealthy" and props.get("autoMitigate", True):
            state["status"] = "Healthy"
        state["timestamp"] = _iso(at)

    def fired(self) -> list[dict[str, Any]]:
        """Every time an alert fired, oldest first (control API ``GET /_emulator/monitor/alerts``)."""
        return sorted(self._cloud.store.documents(_FIRED).values(), key=lambda a: (a["firedAt"], a["rule"]))
