"""Saved searches (hunting queries), workbooks and metric alerts in the local cloud: their rules, and alerts firing.

Through raw HTTPS with a real bearer token, against the session's local cloud.
"""

from __future__ import annotations

from typing import Any

import pytest
from azure.monitor.ingestion import LogsIngestionClient
from local_cloud import EVENTS_STREAM, EVENTS_TRANSFORM, Http, Pipeline, event, events_rule_body

WORKBOOK = "4c7f3d56-7e0e-4a0e-9c1a-2b4d6f8a0c1e"


def group(info: dict[str, Any]) -> str:
    return f"/subscriptions/{info['subscription_id']}/resourceGroups/{info['resource_group']}"


def detail(answer: Any) -> tuple[int, str, str]:
    [first] = answer.json()["error"]["details"]
    return answer.status_code, first["target"], first["message"]


# --- saved searches ------------------------------------------------------------------------------------


def test_a_hunting_query_is_kept_as_a_saved_search(emulator: dict[str, Any], http: Http) -> None:
    path = f"{emulator['workspace_resource_id']}/savedSearches/hunt-1"
    body = {
        "properties": {
            "category": "Hunting Queries",
            "displayName": "Hunt",
            "query": "SentinelHealth | take 1",
            "tags": [{"name": "tactics", "value": "Discovery"}],
        }
    }

    put = http.arm("PUT", path, api_version="2025-07-01", body=body)
    read = http.arm("GET", path, api_version="2025-07-01")

    assert (put.status_code, read.status_code) == (200, 200)
    assert read.json()["properties"] == body["properties"]
    assert read.json()["type"] == "Microsoft.OperationalInsights/workspaces/savedSearches"


def test_a_saved_search_without_a_query_is_refused(emulator: dict[str, Any], http: Http) -> None:
    body = {"properties": {"category": "Hunting Queries", "displayName": "Hunt"}}

    answer = http.arm(
        "PUT", f"{emulator['workspace_resource_id']}/savedSearches/hunt-1", api_version="2025-07-01", body=body
    )

    assert detail(answer) == (400, "properties.query", "is required and must be a non-empty string")


# --- workbooks -----------------------------------------------------------------------------------------


def workbook_body(info: dict[str, Any], data: str = '{"version": "Notebook/1.0", "items": []}') -> dict[str, Any]:
    return {
        "location": info["location"],
        "kind": "shared",
        "properties": {
            "displayName": "Miro",
            "category": "sentinel",
            "serializedData": data,
            "sourceId": info["workspace_resource_id"],
        },
    }


def test_a_workbook_is_created_then_updated_with_a_new_revision(emulator: dict[str, Any], http: Http) -> None:
    path = f"{group(emulator)}/providers/Microsoft.Insights/workbooks/{WORKBOOK}"

    created = http.arm("PUT", path, api_version="2023-06-01", body=workbook_body(emulator))
    updated = http.arm("PUT", path, api_version="2023-06-01", body=workbook_body(emulator))

    assert (created.status_code, updated.status_code) == (201, 200)
    assert created.json()["properties"]["revision"] != updated.json()["properties"]["revision"]
    assert updated.json()["kind"] == "shared" and updated.json()["properties"]["category"] == "sentinel"


def test_a_workbook_is_listed_in_its_group_deleted_and_then_not_found(emulator: dict[str, Any], http: Http) -> None:
    path = f"{group(emulator)}/providers/Microsoft.Insights/workbooks/{WORKBOOK}"
    http.arm("PUT", path, api_version="2023-06-01", body=workbook_body(emulator))

    listed = http.arm("GET", f"{group(emulator)}/providers/Microsoft.Insights/workbooks", api_version="2023-06-01")
    deleted = http.arm("DELETE", path, api_version="2023-06-01")
    gone = http.arm("GET", path, api_version="2023-06-01")

    assert WORKBOOK in [w["name"] for w in listed.json()["value"]]
    assert deleted.status_code == 200
    assert gone.status_code == 404
    assert gone.json()["error"] == {
        "code": "ResourceNotFound",
        "message": f"The workbook '{WORKBOOK}' was not found.",
    }


def test_a_workbook_name_must_be_a_uuid(emulator: dict[str, Any], http: Http) -> None:
    path = f"{group(emulator)}/providers/Microsoft.Insights/workbooks/miro-workbook"

    answer = http.arm("PUT", path, api_version="2023-06-01", body=workbook_body(emulator))

    assert detail(answer) == (
        400,
        "resourceName",
        "'miro-workbook' is not valid: the name of a workbook must be a UUID",
    )


def test_a_workbook_whose_serialized_data_is_not_json_is_refused(emulator: dict[str, Any], http: Http) -> None:
    path = f"{group(emulator)}/providers/Microsoft.Insights/workbooks/{WORKBOOK}"

    answer = http.arm("PUT", path, api_version="2023-06-01", body=workbook_body(emulator, "{not json"))

    status, target, message = detail(answer)
    assert (status, target) == (400, "properties.serializedData") and message.startswith("is not valid JSON")


# --- metric alerts -------------------------------------------------------------------------------------


def metric_alert(rule_id: str, **changes: Any) -> dict[str, Any]:
    criterion = {
        "criterionType": "StaticThresholdCriterion",
        "name": "Errors",
        "metricNamespace": "Microsoft.Insights/dataCollectionRules",
        "metricName": "TransformationErrors_Count",
        "timeAggregation": "Count",
        "operator": "GreaterThan",
        "threshold": 0,
    }
    props = {
        "description": "Transform errors",
        "severity": 1,
        "enabled": True,
        "scopes": [rule_id],
        "evaluationFrequency": "PT5M",
        "windowSize": "PT15M",
        "criteria": {
            "odata.type": "Microsoft.Azure.Monitor.SingleResourceMultipleMetricCriteria",
            "allOf": [criterion],
        },
    }
    props.update(changes)
    return {"location": "global", "properties": props}


@pytest.mark.parametrize(
    ("changes", "target", "message"),
    [
        (
            {"evaluationFrequency": "PT2M"},
            "properties.evaluationFrequency",
            "must be one of PT1M, PT5M, PT15M, PT30M, PT1H",
        ),
        ({"windowSize": "PT1M"}, "properties.windowSize", "must not be shorter than evaluationFrequency"),
        ({"severity": 5}, "properties.severity", "must be 0, 1, 2, 3 or 4"),
    ],
)
def test_a_metric_alert_outside_azures_limits_is_refused(
    emulator: dict[str, Any], http: Http, pipeline: Pipeline, changes: dict[str, Any], target: str, message: str
) -> None:
    answer = http.arm(
        "PUT", f"{group(emulator)}/providers/Microsoft.Insights/metricAlerts/dcr-errors", api_version="2018-03-01",
        body=metric_alert(pipeline.rule_id, **changes),
    )  # fmt: skip

    assert detail(answer) == (400, target, message)


def test_a_metric_alert_on_a_metric_the_dcr_does_not_have_is_refused(
    emulator: dict[str, Any], http: Http, pipeline: Pipeline
) -> None:
    body = metric_alert(pipeline.rule_id)
    body["properties"]["criteria"]["allOf"][0]["metricName"] = "TransformErrors"

    answer = http.arm(
        "PUT",
        f"{group(emulator)}/providers/Microsoft.Insights/metricAlerts/dcr-errors",
        api_version="2018-03-01",
        body=body,
    )

    status, target, message = detail(answer)
    assert (status, target) == (400, "properties.criteria.allOf[0].metricName")
    assert message.startswith("Couldn't find a metric named TransformErrors. Make sure the name is correct.")


def test_a_metric_alert_with_an_aggregation_its_metric_does_not_support_is_refused(
    emulator: dict[str, Any], http: Http, pipeline: Pipeline
) -> None:
    body = metric_alert(pipeline.rule_id)
    body["properties"]["criteria"]["allOf"][0]["timeAggregation"] = "Total"

    answer = http.arm(
        "PUT",
        f"{group(emulator)}/providers/Microsoft.Insights/metricAlerts/dcr-errors",
        api_version="2018-03-01",
        body=body,
    )

    assert detail(answer) == (
        400,
        "properties.criteria.allOf[0].timeAggregation",
        "Metric: TransformationErrors_Count does not support the requested aggregation type: Total; supported: Count",
    )


def test_a_metric_alert_fires_once_when_the_transform_fails_and_resolves_after(
    emulator: dict[str, Any], http: Http, pipeline: Pipeline, ingestion: LogsIngestionClient, monitor: Any
) -> None:
    path = f"{group(emulator)}/providers/Microsoft.Insights/metricAlerts/dcr-errors"
    assert http.arm("PUT", path, api_version="2018-03-01", body=metric_alert(pipeline.rule_id)).status_code == 200
    broken = EVENTS_TRANSFORM.replace("source", 'source | where isnull(extract("(", 1, id))')
    monitor.data_collection_rules.create(
        emulator["resource_group"], "dcr-events", events_rule_body(emulator, pipeline.dce_id, transform=broken)
    )

    ingestion.upload(rule_id=pipeline.immutable_id, stream_name=EVENTS_STREAM, logs=[event(i) for i in range(3)])
    http.control("POST", "/clock/advance", {"seconds": 600, "step_seconds": 300})
    firing = http.arm("GET", f"{path}/status", api_version="2018-03-01").json()["value"][0]["properties"]["status"]
    http.control("POST", "/clock/advance", {"seconds": 1800, "step_seconds": 300})
    resolved = http.arm("GET", f"{path}/status", api_version="2018-03-01").json()["value"][0]["properties"]["status"]

    assert (firing, resolved) == ("Unhealthy", "Healthy")
    [fired] = http.control("GET", "/monitor/alerts")["value"]
    assert fired["name"] == "dcr-errors" and fired["values"] == {"Errors": 1.0}


def test_a_disabled_metric_alert_never_fires(
    emulator: dict[str, Any], http: Http, pipeline: Pipeline, ingestion: LogsIngestionClient, monitor: Any
) -> None:
    path = f"{group(emulator)}/providers/Microsoft.Insights/metricAlerts/dcr-errors"
    http.arm("PUT", path, api_version="2018-03-01", body=metric_alert(pipeline.rule_id, enabled=False))
    broken = EVENTS_TRANSFORM.replace("source", 'source | where isnull(extract("(", 1, id))')
    monitor.data_collection_rules.create(
        emulator["resource_group"], "dcr-events", events_rule_body(emulator, pipeline.dce_id, transform=broken)
    )

    ingestion.upload(rule_id=pipeline.immutable_id, stream_name=EVENTS_STREAM, logs=[event(1)])
    http.control("POST", "/clock/advance", {"seconds": 600, "step_seconds": 300})

    assert http.control("GET", "/monitor/alerts")["value"] == []
