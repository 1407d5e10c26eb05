"""Custom tables over ARM: the SDK's async-operation poller, Azure's rules, and the rows going with them."""

from __future__ import annotations

from typing import Any

import pytest
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError
from azure.mgmt.loganalytics import LogAnalyticsManagementClient
from local_cloud import Http

from deployer.dcr import spec as dcr_spec


def table(name: str, columns: list[tuple[str, str]], **properties: Any) -> dict[str, Any]:
    return {
        "properties": {"schema": {"name": name, "columns": [{"name": n, "type": t} for n, t in columns]}, **properties}
    }


def put(la: LogAnalyticsManagementClient, info: dict[str, Any], name: str, body: dict[str, Any]) -> Any:
    return la.tables.begin_create_or_update(info["resource_group"], info["workspace_name"], name, body).result()


def refusal(la: LogAnalyticsManagementClient, info: dict[str, Any], name: str, body: dict[str, Any]) -> Any:
    with pytest.raises(HttpResponseError) as caught:
        put(la, info, name, body)
    assert caught.value.status_code == 400
    assert caught.value.error.code == "InvalidParameter"
    return caught.value.error


def test_the_projects_table_is_created_through_the_async_operation(
    emulator: dict[str, Any], loganalytics: LogAnalyticsManagementClient, http: Http
) -> None:
    spec = dcr_spec.load_spec()
    body = table(spec.table.name, [(c.name, c.type) for c in spec.table.columns])

    created = put(loganalytics, emulator, spec.table.name, body)

    assert created.name == "MiroAuditLogs_CL"
    assert created.properties.provisioning_state == "Succeeded"
    assert [c.name for c in created.properties.schema.columns] == [c.name for c in spec.table.columns]
    assert created.properties.schema.columns[0].type == "dateTime"
    assert created.properties.schema.table_type == "CustomLog"
    operations = [r["operation"] for r in http.control("GET", "/requests?service=arm")["value"]]
    assert operations == ["Tables_CreateOrUpdate", "OperationStatuses_Get", "Tables_Get"]


def test_put_answers_202_with_azure_asyncoperation(emulator: dict[str, Any], http: Http) -> None:
    path = f"{emulator['workspace_resource_id']}/tables/Raw_CL"

    response = http.arm("PUT", path, api_version="2025-07-01", body=table("Raw_CL", [("TimeGenerated", "dateTime")]))
    status = http.session.get(
        response.headers["Azure-AsyncOperation"], headers={"Authorization": f"Bearer {http.token()}"}
    )

    assert response.status_code == 202
    assert response.content == b""
    assert "/operationStatuses/" in response.headers["Azure-AsyncOperation"]
    assert status.json()["status"] == "Succeeded"


def test_column_types_are_accepted_in_any_case(
    emulator: dict[str, Any], loganalytics: LogAnalyticsManagementClient
) -> None:
    created = put(
        loganalytics, emulator, "Cases_CL", table("Cases_CL", [("TimeGenerated", "DATETIME"), ("Flag", "Boolean")])
    )

    assert [c.type for c in created.properties.schema.columns] == ["dateTime", "boolean"]


def test_sentinel_health_exists_from_the_start(
    emulator: dict[str, Any], loganalytics: LogAnalyticsManagementClient
) -> None:
    health = loganalytics.tables.get(emulator["resource_group"], emulator["workspace_name"], "SentinelHealth")
    names = [
        t.name for t in loganalytics.tables.list_by_workspace(emulator["resource_group"], emulator["workspace_name"])
    ]

    assert health.properties.schema.table_type == "Microsoft"
    assert {"TimeGenerated", "OperationName", "SentinelResourceName", "Status", "ExtendedProperties"} <= {
        c.name for c in health.properties.schema.standard_columns
    }
    assert "SentinelHealth" in names


def test_a_name_without_cl_is_refused(emulator: dict[str, Any], loganalytics: LogAnalyticsManagementClient) -> None:
    error = refusal(loganalytics, emulator, "Plain", table("Plain", [("TimeGenerated", "datetime")]))

    assert (
        "Table name 'Plain' is invalid: a custom table's name must start with a letter, contain only letters, digits and '_', and end with '_CL'."
        in error.message
    )


def test_timegenerated_is_required(emulator: dict[str, Any], loganalytics: LogAnalyticsManagementClient) -> None:
    error = refusal(loganalytics, emulator, "NoTime_CL", table("NoTime_CL", [("Message", "string")]))

    assert "The table needs a 'TimeGenerated' column of type dateTime." in error.message


def test_timegenerated_must_be_a_datetime(emulator: dict[str, Any], loganalytics: LogAnalyticsManagementClient) -> None:
    error = refusal(loganalytics, emulator, "BadTime_CL", table("BadTime_CL", [("TimeGenerated", "string")]))

    assert "Column 'TimeGenerated' must be of type dateTime, not string." in error.message


def test_an_unknown_column_type_is_refused(
    emulator: dict[str, Any], loganalytics: LogAnalyticsManagementClient
) -> None:
    error = refusal(
        loganalytics, emulator, "Span_CL", table("Span_CL", [("TimeGenerated", "datetime"), ("Took", "timespan")])
    )

    assert (
        "column 'Took': type 'timespan' is not one of string, int, long, real, boolean, dateTime, guid, dynamic"
        in error.message
    )


def test_reserved_names_are_refused_but_id_is_accepted(
    emulator: dict[str, Any], loganalytics: LogAnalyticsManagementClient
) -> None:
    error = refusal(
        loganalytics,
        emulator,
        "Reserved_CL",
        table("Reserved_CL", [("TimeGenerated", "datetime"), ("TenantId", "string")]),
    )
    accepted = put(
        loganalytics, emulator, "WithId_CL", table("WithId_CL", [("TimeGenerated", "datetime"), ("id", "string")])
    )

    assert "Column name 'TenantId' is reserved." in error.message
    assert [c.name for c in accepted.properties.schema.columns] == ["TimeGenerated", "id"]


def test_names_longer_than_45_characters_are_refused(
    emulator: dict[str, Any], loganalytics: LogAnalyticsManagementClient
) -> None:
    long_name = "c" * 46
    error = refusal(
        loganalytics, emulator, "Long_CL", table("Long_CL", [("TimeGenerated", "datetime"), (long_name, "string")])
    )

    assert (
        f"Column name '{long_name}' is invalid: it must start with a letter, contain only letters, digits and '_', and be 2 to 45 characters long."
        in error.message
    )


def test_more_than_500_columns_are_refused(
    emulator: dict[str, Any], loganalytics: LogAnalyticsManagementClient
) -> None:
    columns = [("TimeGenerated", "datetime")] + [(f"c{i}", "string") for i in range(500)]

    error = refusal(loganalytics, emulator, "Wide_CL", table("Wide_CL", columns))

    assert "A table can have at most 500 columns, not 501." in error.message


def test_an_existing_column_cannot_change_type(
    emulator: dict[str, Any], loganalytics: LogAnalyticsManagementClient
) -> None:
    put(loganalytics, emulator, "Typed_CL", table("Typed_CL", [("TimeGenerated", "datetime"), ("Count", "string")]))

    error = refusal(
        loganalytics, emulator, "Typed_CL", table("Typed_CL", [("TimeGenerated", "datetime"), ("Count", "long")])
    )

    assert "column 'Count': changing the type of an existing column is not allowed (string to long)" in error.message


def test_columns_can_be_added(emulator: dict[str, Any], loganalytics: LogAnalyticsManagementClient) -> None:
    put(loganalytics, emulator, "Grow_CL", table("Grow_CL", [("TimeGenerated", "datetime")]))

    grown = put(
        loganalytics, emulator, "Grow_CL", table("Grow_CL", [("TimeGenerated", "datetime"), ("Extra", "dynamic")])
    )

    assert [c.name for c in grown.properties.schema.columns] == ["TimeGenerated", "Extra"]


def test_retention_out_of_range_is_refused(
    emulator: dict[str, Any], loganalytics: LogAnalyticsManagementClient
) -> None:
    error = refusal(
        loganalytics, emulator, "Kept_CL", table("Kept_CL", [("TimeGenerated", "datetime")], retentionInDays=2)
    )

    assert "retentionInDays must be between 4 and 730" in error.message


def test_delete_removes_the_table_and_its_rows(
    emulator: dict[str, Any], loganalytics: LogAnalyticsManagementClient, http: Http
) -> None:
    put(loganalytics, emulator, "Gone_CL", table("Gone_CL", [("TimeGenerated", "datetime"), ("Message", "string")]))
    http.control("POST", "/tables/Gone_CL/rows", {"rows": [{"TimeGenerated": "2026-01-01T00:00:00Z", "Message": "x"}]})

    loganalytics.tables.begin_delete(emulator["resource_group"], emulator["workspace_name"], "Gone_CL").result()

    with pytest.raises(ResourceNotFoundError):
        loganalytics.tables.get(emulator["resource_group"], emulator["workspace_name"], "Gone_CL")
    state = http.control("GET", "/state")
    assert "Gone_CL" not in [t["name"] for t in state["tables"]]


def test_deleting_a_missing_table_answers_204(emulator: dict[str, Any], http: Http) -> None:
    response = http.arm("DELETE", f"{emulator['workspace_resource_id']}/tables/Never_CL", api_version="2025-07-01")

    assert response.status_code == 204


def test_sentinel_health_cannot_be_deleted(emulator: dict[str, Any], http: Http) -> None:
    response = http.arm(
        "DELETE", f"{emulator['workspace_resource_id']}/tables/SentinelHealth", api_version="2025-07-01"
    )

    assert response.status_code == 400
    assert response.json()["error"]["message"] == "Table 'SentinelHealth' is a Microsoft table and cannot be deleted."
