"""Data collection endpoints and rules: what ARM answers, and the DCRs it refuses as Azure does."""

from __future__ import annotations

import re
from typing import Any

import pytest
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError
from azure.mgmt.loganalytics import LogAnalyticsManagementClient
from azure.mgmt.monitor import MonitorManagementClient
from local_cloud import (
    EVENTS_STREAM,
    EVENTS_TABLE,
    Http,
    events_rule_body,
    events_table_body,
    project_rule_body,
    project_table_body,
)

from deployer.dcr import spec as dcr_spec


@pytest.fixture
def events_table(emulator: dict[str, Any], loganalytics: LogAnalyticsManagementClient) -> None:
    loganalytics.tables.begin_create_or_update(
        emulator["resource_group"], emulator["workspace_name"], EVENTS_TABLE, events_table_body()
    ).result()


def refused(monitor: MonitorManagementClient, info: dict[str, Any], body: dict[str, Any]) -> list[dict[str, Any]]:
    """The ``details`` of the 400 InvalidPayload Azure answers for ``body``."""
    with pytest.raises(HttpResponseError) as caught:
        monitor.data_collection_rules.create(info["resource_group"], "dcr-refused", body)
    error = caught.value.response.json()["error"]
    assert caught.value.status_code == 400
    assert (error["code"], error["message"]) == ("InvalidPayload", "Data collection rule is invalid")
    return list(error["details"])


def test_a_dce_is_created_then_updated(emulator: dict[str, Any], monitor: MonitorManagementClient, http: Http) -> None:
    group = emulator["resource_group"]
    path = f"/subscriptions/{emulator['subscription_id']}/resourceGroups/{group}/providers/Microsoft.Insights/dataCollectionEndpoints/dce-a"

    first = http.arm("PUT", path, api_version="2023-03-11", body={"location": "eastus", "properties": {}})
    second = http.arm("PUT", path, api_version="2024-03-11", body={"location": "eastus", "tags": {"env": "local"}})
    got = monitor.data_collection_endpoints.get(group, "dce-a")

    assert (first.status_code, second.status_code) == (201, 200)
    assert re.fullmatch(r"dce-[0-9a-f]{32}", got.immutable_id)
    assert got.immutable_id == first.json()["properties"]["immutableId"]
    assert got.logs_ingestion.endpoint == emulator["ingestion_endpoint"]
    assert got.network_acls.public_network_access == "Enabled"
    assert got.tags == {"env": "local"}


def test_deleting_a_dce_answers_200_then_204(
    emulator: dict[str, Any], monitor: MonitorManagementClient, http: Http
) -> None:
    monitor.data_collection_endpoints.create(emulator["resource_group"], "dce-b", {"location": "eastus"})
    path = f"/subscriptions/{emulator['subscription_id']}/resourceGroups/{emulator['resource_group']}/providers/Microsoft.Insights/dataCollectionEndpoints/dce-b"

    statuses = [http.arm("DELETE", path, api_version="2023-03-11").status_code for _ in range(2)]

    assert statuses == [200, 204]
    with pytest.raises(ResourceNotFoundError):
        monitor.data_collection_endpoints.get(emulator["resource_group"], "dce-b")


def test_a_dce_needs_a_location(emulator: dict[str, Any], monitor: MonitorManagementClient) -> None:
    with pytest.raises(HttpResponseError) as caught:
        monitor.data_collection_endpoints.create(emulator["resource_group"], "dce-c", {"properties": {}})

    assert caught.value.error.code == "LocationRequired"


@pytest.mark.slow
def test_the_projects_dcr_is_accepted(
    emulator: dict[str, Any], loganalytics: LogAnalyticsManagementClient, monitor: MonitorManagementClient
) -> None:
    group = emulator["resource_group"]
    table = project_table_body()
    loganalytics.tables.begin_create_or_update(
        group, emulator["workspace_name"], table["properties"]["schema"]["name"], table
    ).result()
    dce = monitor.data_collection_endpoints.create(group, "dce-miro", {"location": "eastus"})

    rule = monitor.data_collection_rules.create(group, "dcr-miro", project_rule_body(emulator, dce.id))

    assert re.fullmatch(r"dcr-[0-9a-f]{32}", rule.immutable_id)
    assert rule.data_collection_endpoint_id == dce.id
    assert rule.destinations.log_analytics[0].workspace_id == emulator["workspace_customer_id"]
    assert rule.data_flows[0].transform_kql == dcr_spec.load_spec().transform
    assert rule.provisioning_state == "Succeeded"


def test_an_update_keeps_the_immutable_id(
    emulator: dict[str, Any], monitor: MonitorManagementClient, http: Http, events_table: None
) -> None:
    group = emulator["resource_group"]
    path = f"/subscriptions/{emulator['subscription_id']}/resourceGroups/{group}/providers/Microsoft.Insights/dataCollectionRules/dcr-u"
    first = http.arm("PUT", path, api_version="2024-03-11", body=events_rule_body(emulator, None))

    second = http.arm(
        "PUT",
        path,
        api_version="2023-03-11",
        body=events_rule_body(emulator, None, transform="source | project TimeGenerated = now(), id"),
    )

    assert (first.status_code, second.status_code) == (201, 200)
    assert first.json()["properties"]["immutableId"] == second.json()["properties"]["immutableId"]


def test_a_direct_dcr_shows_its_own_ingestion_endpoint(
    emulator: dict[str, Any], monitor: MonitorManagementClient, events_table: None
) -> None:
    body = {**events_rule_body(emulator, None), "kind": "Direct"}

    rule = monitor.data_collection_rules.create(emulator["resource_group"], "dcr-direct", body)

    assert rule.kind == "Direct"
    assert rule.endpoints.logs_ingestion == emulator["ingestion_endpoint"]


def test_bad_kql_is_an_invalid_transform_query(
    emulator: dict[str, Any], monitor: MonitorManagementClient, events_table: None
) -> None:
    details = refused(monitor, emulator, events_rule_body(emulator, None, transform="source | extend x = ,"))

    [detail] = details
    assert sorted(detail) == ["code", "message", "target"]
    assert (detail["code"], detail["target"]) == ("InvalidTransformQuery", "properties.dataFlows[0]")
    assert detail["message"].startswith(
        "Error occurred while compiling query in query: SyntaxError:0x00000001 at 1:21 : mismatched input ','"
    )


def test_summarize_is_refused(emulator: dict[str, Any], monitor: MonitorManagementClient, events_table: None) -> None:
    details = refused(monitor, emulator, events_rule_body(emulator, None, transform="source | summarize count() by id"))

    assert details[0]["code"] == "InvalidTransformQuery"
    assert "'summarize' is not supported in transformations" in details[0]["message"]


def test_an_output_column_the_table_lacks_is_refused(
    emulator: dict[str, Any], monitor: MonitorManagementClient, events_table: None
) -> None:
    transform = "source | extend TimeGenerated = todatetime(createdAt), Extra = 'x' | project TimeGenerated, id, Extra"

    details = refused(monitor, emulator, events_rule_body(emulator, None, transform=transform))

    assert details[0]["code"] == "InvalidTransformOutput"
    assert "column 'Extra' is not in the output table" in details[0]["message"]


def test_a_type_mismatch_is_refused(
    emulator: dict[str, Any], monitor: MonitorManagementClient, events_table: None
) -> None:
    transform = "source | extend TimeGenerated = todatetime(createdAt) | project TimeGenerated, id, seq = tostring(seq)"

    details = refused(monitor, emulator, events_rule_body(emulator, None, transform=transform))

    assert details[0]["code"] == "InvalidTransformOutput"
    assert "column 'seq' is of type string, but the table's is long" in details[0]["message"]


def test_an_output_table_that_does_not_exist_is_refused(
    emulator: dict[str, Any], monitor: MonitorManagementClient
) -> None:
    details = refused(monitor, emulator, events_rule_body(emulator, None))

    assert details == [
        {
            "code": "InvalidOutputTable",
            "message": "Table for output stream 'Custom-Events_CL' is not available for destination 'la'.",
            "target": "properties.dataFlows[0]",
        }
    ]


def test_an_undeclared_stream_is_refused(
    emulator: dict[str, Any], monitor: MonitorManagementClient, events_table: None
) -> None:
    body = events_rule_body(emulator, None)
    body["properties"]["dataFlows"][0]["streams"] = ["Custom-Other"]

    details = refused(monitor, emulator, body)

    assert details[0]["code"] == "InvalidStream"
    assert "'Custom-Other'" in details[0]["message"]


def test_a_stream_declaration_must_be_custom(
    emulator: dict[str, Any], monitor: MonitorManagementClient, events_table: None
) -> None:
    body = events_rule_body(emulator, None)
    body["properties"]["streamDeclarations"] = {"Events": body["properties"]["streamDeclarations"][EVENTS_STREAM]}

    details = refused(monitor, emulator, body)

    assert details[0] == {
        "code": "InvalidStreamDeclaration",
        "message": "Stream declaration 'Events' must start with 'Custom-'.",
        "target": "properties.streamDeclarations.Events",
    }


def test_a_missing_dce_is_refused(
    emulator: dict[str, Any], monitor: MonitorManagementClient, events_table: None
) -> None:
    missing = f"/subscriptions/{emulator['subscription_id']}/resourceGroups/{emulator['resource_group']}/providers/Microsoft.Insights/dataCollectionEndpoints/none"

    details = refused(monitor, emulator, events_rule_body(emulator, missing))

    assert details[0]["code"] == "InvalidDataCollectionEndpoint"


def test_a_destination_workspace_must_exist(
    emulator: dict[str, Any], monitor: MonitorManagementClient, events_table: None
) -> None:
    body = events_rule_body(emulator, None)
    body["properties"]["destinations"]["logAnalytics"][0]["workspaceResourceId"] += "-other"

    details = refused(monitor, emulator, body)

    assert details[0]["code"] == "InvalidDestination"


def test_what_the_engine_cannot_run_answers_501(
    emulator: dict[str, Any], monitor: MonitorManagementClient, events_table: None
) -> None:
    transform = "source | extend TimeGenerated = now(), cef = parse_cef_dictionary(id) | project TimeGenerated, id"

    with pytest.raises(HttpResponseError) as caught:
        monitor.data_collection_rules.create(
            emulator["resource_group"], "dcr-gap", events_rule_body(emulator, None, transform=transform)
        )

    assert caught.value.status_code == 501
    assert "parse_cef_dictionary" in caught.value.error.message


def test_rules_are_listed_and_deleted(
    emulator: dict[str, Any], monitor: MonitorManagementClient, events_table: None
) -> None:
    group = emulator["resource_group"]
    monitor.data_collection_rules.create(group, "dcr-list", events_rule_body(emulator, None))

    listed = [r.name for r in monitor.data_collection_rules.list_by_resource_group(group)]
    monitor.data_collection_rules.delete(group, "dcr-list")

    assert listed == ["dcr-list"]
    assert list(monitor.data_collection_rules.list_by_subscription()) == []
