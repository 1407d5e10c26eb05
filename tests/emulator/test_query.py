"""The Log Analytics query API through LogsQueryClient: results, timespan, virtual time, and errors."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from azure.core.exceptions import HttpResponseError
from azure.monitor.ingestion import LogsIngestionClient
from azure.monitor.query import LogsQueryClient, LogsQueryStatus
from local_cloud import ARM, EVENTS_STREAM, EVENTS_TABLE, Http, Pipeline, event, query_client, signed_in


def query(client: LogsQueryClient, info: dict[str, Any], kql: str, timespan: Any = None) -> Any:
    return client.query_workspace(info["workspace_customer_id"], kql, timespan=timespan)


def test_rows_come_back_typed(
    emulator: dict[str, Any], pipeline: Pipeline, ingestion: LogsIngestionClient, logs_query: LogsQueryClient
) -> None:
    when = dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.UTC)
    ingestion.upload(pipeline.immutable_id, EVENTS_STREAM, [event(5)])

    result = query(
        logs_query,
        emulator,
        f"{EVENTS_TABLE} | extend At = datetime(2026-01-02T03:04:05Z), Big = seq > 1, Ratio = seq / 2.0 | project-away TimeGenerated",
    )

    assert result.status == LogsQueryStatus.SUCCESS
    table = result.tables[0]
    assert table.name == "PrimaryResult"
    assert table.columns == ["TenantId", "id", "seq", "props", "Type", "At", "Big", "Ratio"]
    assert table.columns_types == ["string", "string", "long", "dynamic", "string", "datetime", "bool", "real"]
    assert list(table.rows[0]) == [
        emulator["workspace_customer_id"], "event-5", 5, '{"i":5,"tags":["a","b"]}', EVENTS_TABLE, when, True, 2.5,
    ]  # fmt: skip


def test_the_wire_format_is_log_analytics(emulator: dict[str, Any], http: Http) -> None:
    response = http.session.post(
        f"{emulator['query_endpoint']}/v1/workspaces/{emulator['workspace_customer_id']}/query",
        json={"query": "print s = '', n = long(null), d = datetime(2026-01-01)"},
        headers={"Authorization": f"Bearer {http.token('https://api.loganalytics.io/.default')}"},
    )

    assert response.json() == {
        "tables": [
            {
                "name": "PrimaryResult",
                "columns": [
                    {"name": "s", "type": "string"},
                    {"name": "n", "type": "long"},
                    {"name": "d", "type": "datetime"},
                ],
                "rows": [["", None, "2026-01-01T00:00:00Z"]],
            }
        ]
    }


def test_timespan_restricts_timegenerated(
    emulator: dict[str, Any], http: Http, logs_query: LogsQueryClient, cloud: Any
) -> None:
    now = cloud.clock.now()
    http.control(
        "POST",
        "/tables",
        {
            "name": "Heartbeat",
            "columns": [{"name": "TimeGenerated", "type": "datetime"}, {"name": "Computer", "type": "string"}],
        },
    )
    http.control(
        "POST",
        "/tables/Heartbeat/rows",
        {
            "rows": [
                {"TimeGenerated": (now - dt.timedelta(hours=h)).isoformat(), "Computer": f"h{h}"} for h in (0.5, 2, 30)
            ]
        },
    )

    last_hour = query(logs_query, emulator, "Heartbeat | project Computer", timespan=dt.timedelta(hours=1))
    last_day = query(logs_query, emulator, "Heartbeat | project Computer", timespan=dt.timedelta(days=1))
    window = query(
        logs_query,
        emulator,
        "Heartbeat | project Computer",
        timespan=(now - dt.timedelta(hours=3), now - dt.timedelta(hours=1)),
    )
    everything = query(logs_query, emulator, "Heartbeat | count")

    assert [r[0] for r in last_hour.tables[0].rows] == ["h0.5"]
    assert sorted(r[0] for r in last_day.tables[0].rows) == ["h0.5", "h2"]
    assert [r[0] for r in window.tables[0].rows] == ["h2"]
    assert everything.tables[0].rows[0][0] == 3


def test_now_and_ago_are_the_clouds_virtual_time(
    emulator: dict[str, Any], logs_query: LogsQueryClient, cloud: Any
) -> None:
    result = query(logs_query, emulator, "print Now = now(), HourAgo = ago(1h)")

    now, hour_ago = result.tables[0].rows[0]
    assert abs((now - cloud.clock.now()).total_seconds()) < 5
    assert now - hour_ago == dt.timedelta(hours=1)


def test_the_get_form_works_too(emulator: dict[str, Any], http: Http) -> None:
    response = http.session.get(
        f"{emulator['query_endpoint']}/v1/workspaces/{emulator['workspace_customer_id']}/query",
        params={"query": "SentinelHealth | count", "timespan": "PT12H"},
        headers={"Authorization": f"Bearer {http.token('https://api.loganalytics.io/.default')}"},
    )

    assert response.status_code == 200
    assert response.json()["tables"][0]["rows"] == [[0]]


def test_sentinel_health_exists_empty(emulator: dict[str, Any], logs_query: LogsQueryClient) -> None:
    result = query(logs_query, emulator, "SentinelHealth | take 5")

    assert result.tables[0].rows == []
    assert result.tables[0].columns == [
        "TenantId", "TimeGenerated", "OperationName", "SentinelResourceId", "SentinelResourceName", "Status",
        "Description", "Reason", "WorkspaceId", "SentinelResourceType", "SentinelResourceKind", "RecordId",
        "ExtendedProperties", "Type",
    ]  # fmt: skip


def test_bad_kql_is_a_syntax_error(emulator: dict[str, Any], logs_query: LogsQueryClient) -> None:
    with pytest.raises(HttpResponseError) as caught:
        query(logs_query, emulator, "SentinelHealth | where")

    error = caught.value.response.json()["error"]
    assert caught.value.status_code == 400
    assert (error["code"], error["message"]) == ("BadArgumentError", "The request had some invalid properties")
    assert error["innererror"]["code"] == "SyntaxError"
    assert error["innererror"]["innererror"]["code"] == "SYN0002"


def test_an_unknown_table_is_a_semantic_error(emulator: dict[str, Any], logs_query: LogsQueryClient) -> None:
    with pytest.raises(HttpResponseError) as caught:
        query(logs_query, emulator, "Nope_CL | take 1")

    inner = caught.value.response.json()["error"]["innererror"]
    assert caught.value.status_code == 400
    assert inner["code"] == "SemanticError"
    assert inner["innererror"] == {
        "code": "SEM0100",
        "message": "Failed to resolve table or column expression named 'Nope_CL'",
    }


def test_an_unknown_column_is_a_semantic_error(emulator: dict[str, Any], logs_query: LogsQueryClient) -> None:
    with pytest.raises(HttpResponseError) as caught:
        query(logs_query, emulator, "SentinelHealth | where Nope == 1")

    assert (
        caught.value.response.json()["error"]["innererror"]["innererror"]["message"]
        == "Failed to resolve scalar expression named 'Nope'"
    )


def test_kql_the_engine_cannot_run_answers_501(emulator: dict[str, Any], logs_query: LogsQueryClient) -> None:
    with pytest.raises(HttpResponseError) as caught:
        query(logs_query, emulator, "SentinelHealth | evaluate bag_unpack(ExtendedProperties)")

    assert caught.value.status_code == 501
    assert "EvaluateOperator" in caught.value.response.json()["error"]["message"]


def test_an_unknown_workspace_is_path_not_found(emulator: dict[str, Any], logs_query: LogsQueryClient) -> None:
    with pytest.raises(HttpResponseError) as caught:
        logs_query.query_workspace("00000000-0000-0000-0000-000000000000", "SentinelHealth", timespan=None)

    assert caught.value.status_code == 404
    assert caught.value.response.json()["error"]["code"] == "PathNotFoundError"


def test_a_missing_token_is_authentication_failed(emulator: dict[str, Any], http: Http) -> None:
    response = http.session.post(
        f"{emulator['query_endpoint']}/v1/workspaces/{emulator['workspace_customer_id']}/query",
        json={"query": "print 1"},
    )

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "AuthenticationFailed"
    assert response.json()["error"]["message"] == "Authentication failed. The 'Authorization' header is missing."


def test_a_token_for_arm_is_the_wrong_audience(emulator: dict[str, Any], http: Http) -> None:
    response = http.session.post(
        f"{emulator['query_endpoint']}/v1/workspaces/{emulator['workspace_customer_id']}/query",
        json={"query": "print 1"},
        headers={"Authorization": f"Bearer {http.token(ARM)}"},
    )

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "InvalidAuthenticationTokenAudience"


def test_a_principal_without_a_role_has_insufficient_access(emulator: dict[str, Any], http: Http) -> None:
    registered = http.control("POST", "/principals", {})
    with (
        signed_in(emulator, registered["client_id"], registered["client_secret"]) as credential,
        query_client(emulator, credential) as client,
        pytest.raises(HttpResponseError) as caught,
    ):
        query(client, emulator, "print 1")

    assert caught.value.status_code == 403
    assert caught.value.response.json()["error"]["code"] == "InsufficientAccessError"


def test_statistics_come_back_when_asked(emulator: dict[str, Any], logs_query: LogsQueryClient) -> None:
    result = logs_query.query_workspace(
        emulator["workspace_customer_id"], "print 1", timespan=None, include_statistics=True
    )

    assert "query" in result.statistics
