"""Scheduled analytics rules in the local cloud: refused as Sentinel refuses them, and run on the virtual clock.

Through raw HTTPS with a real bearer token (the deployer sends these bodies the same way), against the
session's local cloud; a table ``Signins_CL`` (defined through the control API) holds the rows the rules read.
"""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from local_cloud import Http

RULES = "/providers/Microsoft.SecurityInsights/alertRules"
API = "2025-09-01"
RULE = "7c1b8a7e-8d7f-4f55-9b5b-1e0b2d3c4a5f"


def rule_body(**changes: Any) -> dict[str, Any]:
    """A valid Scheduled rule: failed sign-ins per account in the last hour, one alert per account."""
    props: dict[str, Any] = {
        "displayName": "Failed sign-ins",
        "description": "More than two failed sign-ins for one account.",
        "severity": "Medium",
        "enabled": True,
        "query": "Signins_CL | where Result == 'failed' | summarize Failures = count() by Account | where Failures > 2",
        "queryFrequency": "PT1H",
        "queryPeriod": "PT1H",
        "triggerOperator": "GreaterThan",
        "triggerThreshold": 0,
        "suppressionEnabled": False,
        "suppressionDuration": "PT1H",
        "tactics": ["CredentialAccess"],
        "techniques": ["T1110"],
        "entityMappings": [
            {"entityType": "Account", "fieldMappings": [{"identifier": "FullName", "columnName": "Account"}]}
        ],
        "customDetails": {"Failures": "Failures"},
        "eventGroupingSettings": {"aggregationKind": "AlertPerResult"},
    }
    props.update(changes)
    return {"kind": "Scheduled", "properties": props}


@pytest.fixture
def signins(emulator: dict[str, Any], http: Http) -> Http:
    columns = [
        {"name": "TimeGenerated", "type": "datetime"},
        {"name": "Account", "type": "string"},
        {"name": "Result", "type": "string"},
    ]
    body = {"properties": {"schema": {"name": "Signins_CL", "columns": columns}}}
    answer = http.arm(
        "PUT", f"{emulator['workspace_resource_id']}/tables/Signins_CL", api_version="2025-07-01", body=body
    )
    assert answer.status_code == 202, answer.text
    return http


def put(http: Http, body: Any, name: str = RULE) -> Any:
    return http.arm("PUT", f"{http.info['workspace_resource_id']}{RULES}/{name}", api_version=API, body=body)


def error(response: Any) -> tuple[int, str, str]:
    return response.status_code, response.json()["error"]["code"], response.json()["error"]["message"]


def test_a_valid_rule_is_created_then_updated_read_and_deleted(signins: Http) -> None:
    created = put(signins, rule_body())
    updated = put(signins, rule_body(severity="High"))
    read = signins.arm("GET", f"{signins.info['workspace_resource_id']}{RULES}/{RULE}", api_version=API)
    listed = signins.arm("GET", f"{signins.info['workspace_resource_id']}{RULES}", api_version=API)
    deleted = signins.arm("DELETE", f"{signins.info['workspace_resource_id']}{RULES}/{RULE}", api_version=API)
    again = signins.arm("DELETE", f"{signins.info['workspace_resource_id']}{RULES}/{RULE}", api_version=API)

    assert (created.status_code, updated.status_code, read.status_code, deleted.status_code, again.status_code) == (
        201,
        200,
        200,
        200,
        204,
    )
    body = read.json()
    assert (body["name"], body["type"], body["kind"]) == (RULE, "Microsoft.SecurityInsights/alertRules", "Scheduled")
    assert body["properties"]["severity"] == "High" and body["properties"]["lastModifiedUtc"]
    assert [r["name"] for r in listed.json()["value"]] == [RULE]


def test_a_query_reading_a_missing_table_is_refused_with_sentinels_error(signins: Http) -> None:
    answer = put(signins, rule_body(query="Nowhere_CL | take 1"))

    assert error(answer) == (
        400,
        "BadRequest",
        "Failed to run the analytics rule query. One of the tables does not exist.",
    )


def test_a_query_naming_a_missing_column_is_refused_with_the_semantic_error_inside(signins: Http) -> None:
    answer = put(signins, rule_body(query="Signins_CL | where Outcome == 'failed'"))

    status, code, message = error(answer)
    assert (status, code) == (400, "BadRequest")
    prefix = "FailedToResolveScalarExpression; Message: "
    assert message.startswith(prefix)
    inner = json.loads(message[len(prefix) :])["error"]["innererror"]
    assert inner["code"] == "SemanticError"
    assert inner["innererror"] == {"code": "SEM0100", "message": "Failed to resolve scalar expression named 'Outcome'"}


def test_a_query_that_does_not_parse_is_refused_as_a_syntax_error(signins: Http) -> None:
    answer = put(signins, rule_body(query="Signins_CL | where"))

    status, code, message = error(answer)
    assert (status, code) == (400, "BadRequest")
    assert message.startswith("Syntax error: SYN0002: Query could not be parsed at ")


def test_mappings_of_columns_the_query_does_not_return_are_refused(signins: Http) -> None:
    answer = put(signins, rule_body(customDetails={"Failures": "Failures", "Where": "IPAddress"}))

    assert error(answer) == (
        400,
        "BadRequest",
        "Column names IPAddress do not exist. Please check the query results and try again",
    )


@pytest.mark.parametrize(
    ("changes", "target", "message"),
    [
        ({"queryFrequency": "PT1M"}, "properties.queryFrequency", "must be between 5 minutes and 14 days"),
        ({"queryPeriod": "P15D"}, "properties.queryPeriod", "must be between 5 minutes and 14 days"),
        ({"suppressionDuration": "P2D"}, "properties.suppressionDuration", "must be between 5 minutes and 24 hours"),
        ({"severity": "Critical"}, "properties.severity", "'Critical' is not one of High, Medium, Low, Informational"),
        (
            {"triggerOperator": "gt"},
            "properties.triggerOperator",
            "'gt' is not one of GreaterThan, LessThan, Equal, NotEqual",
        ),
        ({"tactics": ["BruteForce"]}, "properties.tactics[0]", "'BruteForce' is not a tactic"),
        ({"techniques": ["T1110.003"]}, "properties.techniques[0]", "'T1110.003' is not a technique id such as T1110"),
        ({"query": "search * | take 1"}, "properties.query", "may not use 'search *' or 'union *'"),
        ({"displayName": None}, "properties.displayName", "is required"),
    ],
)
def test_values_outside_sentinels_limits_and_enums_are_refused_naming_the_property(
    signins: Http, changes: dict[str, Any], target: str, message: str
) -> None:
    answer = put(signins, rule_body(**changes))

    status, code, _ = error(answer)
    [detail] = answer.json()["error"]["details"]
    assert (status, code, detail["target"]) == (400, "BadRequest", target)
    assert detail["message"].startswith(message)


def test_other_rule_kinds_are_known_but_not_emulated(signins: Http) -> None:
    answer = put(signins, {**rule_body(), "kind": "Fusion"})

    assert answer.status_code == 501


def rows(http: Http, *rows: tuple[str, str, str]) -> None:
    http.control(
        "POST",
        "/tables/Signins_CL/rows",
        {"rows": [{"TimeGenerated": t, "Account": a, "Result": r} for t, a, r in rows]},
    )


def _security_alerts(http: Http) -> list[dict[str, Any]]:
    answer = http.session.post(
        f"{http.info['query_endpoint']}/v1/workspaces/{http.info['workspace_customer_id']}/query",
        json={"query": "SecurityAlert | sort by TimeGenerated asc"},
        headers={"Authorization": f"Bearer {http.token('https://api.loganalytics.io/.default')}"},
        timeout=30,
    )
    assert answer.status_code == 200, answer.text
    [table] = answer.json()["tables"]
    names = [c["name"] for c in table["columns"]]
    return [dict(zip(names, row, strict=True)) for row in table["rows"]]


def now(http: Http) -> str:
    return str(http.control("GET", "/clock")["now"])


def test_a_rule_raises_one_alert_per_result_with_its_entities_and_details(signins: Http) -> None:
    when = now(signins)
    rows(
        signins,
        *[(when, "eve@example.com", "failed")] * 3,
        (when, "bob@example.com", "failed"),
        (when, "ann@example.com", "ok"),
    )
    assert put(signins, rule_body()).status_code == 201

    signins.control("POST", "/clock/advance", {"seconds": 60, "step_seconds": 60})

    [alert] = _security_alerts(signins)
    assert (alert["AlertName"], alert["DisplayName"], alert["AlertSeverity"]) == (
        "Failed sign-ins",
        "Failed sign-ins",
        "Medium",
    )
    assert alert["ProviderName"] == "ASI Scheduled Alerts" and alert["Tactics"] == "CredentialAccess"
    assert json.loads(alert["Entities"]) == [{"$id": "2", "FullName": "eve@example.com", "Type": "account"}]
    assert json.loads(json.loads(alert["ExtendedProperties"])["Custom Details"]) == {"Failures": ["3"]}
    [state] = signins.control("GET", "/sentinel/analytics")["rules"]
    assert (state["runs"], state["alerts"], state["last_status"]) == (1, 1, "Success")


def test_a_rule_runs_every_query_frequency_and_suppression_holds_back_repeats(signins: Http) -> None:
    rows(signins, *[(now(signins), "eve@example.com", "failed")] * 3)
    put(
        signins,
        rule_body(queryFrequency="PT5M", queryPeriod="PT1H", suppressionEnabled=True, suppressionDuration="PT30M"),
    )

    signins.control("POST", "/clock/advance", {"seconds": 20 * 60, "step_seconds": 300})

    assert len(_security_alerts(signins)) == 1
    [state] = signins.control("GET", "/sentinel/analytics")["rules"]
    assert state["runs"] == 5


def test_a_disabled_rule_does_not_run(signins: Http) -> None:
    rows(signins, *[(now(signins), "eve@example.com", "failed")] * 3)
    put(signins, rule_body(enabled=False))

    signins.control("POST", "/clock/advance", {"seconds": 3600, "step_seconds": 600})

    assert _security_alerts(signins) == []
    [state] = signins.control("GET", "/sentinel/analytics")["rules"]
    assert state["runs"] == 0


def test_every_run_is_recorded_in_sentinel_health(signins: Http) -> None:
    put(signins, rule_body())
    signins.control("POST", "/clock/advance", {"seconds": 60, "step_seconds": 60})

    answer = signins.session.post(
        f"{signins.info['query_endpoint']}/v1/workspaces/{signins.info['workspace_customer_id']}/query",
        json={
            "query": "SentinelHealth | where OperationName == 'Scheduled analytics rule run' | project SentinelResourceName, Status, SentinelResourceType"
        },
        headers={"Authorization": f"Bearer {signins.token('https://api.loganalytics.io/.default')}"},
        timeout=30,
    )
    assert answer.json()["tables"][0]["rows"] == [["Failed sign-ins", "Success", "Analytics Rule"]]


def test_a_rule_whose_table_disappears_fails_and_is_auto_disabled(signins: Http) -> None:
    put(signins, rule_body(queryFrequency="PT5M"))
    signins.control("POST", "/clock/advance", {"seconds": 60, "step_seconds": 60})
    workspace = signins.info["workspace_resource_id"]
    assert signins.arm("DELETE", f"{workspace}/tables/Signins_CL", api_version="2025-07-01").status_code in (
        200,
        202,
        204,
    )

    signins.control("POST", "/clock/advance", {"seconds": 600, "step_seconds": 300})

    rule = signins.arm("GET", f"{workspace}{RULES}/{RULE}", api_version=API).json()
    assert rule["properties"]["enabled"] is False
    assert rule["properties"]["displayName"] == "AUTO DISABLED Failed sign-ins"
    [state] = signins.control("GET", "/sentinel/analytics")["rules"]
    assert state["last_status"] == "Failure"


def test_a_changed_rule_keeps_no_alert_from_its_old_self_and_starts_again(signins: Http) -> None:
    body = rule_body()
    put(signins, body)
    changed = copy.deepcopy(body)
    changed["properties"]["queryFrequency"] = "PT30M"
    put(signins, changed)

    [state] = signins.control("GET", "/sentinel/analytics")["rules"]
    assert state["runs"] == 0 and state["next_run"]
