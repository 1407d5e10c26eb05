"""The Logs Ingestion API through the real LogsIngestionClient, and Azure's refusals."""

from __future__ import annotations

import datetime as dt
import gzip
import json
from typing import Any

import pytest
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError
from azure.mgmt.loganalytics import LogAnalyticsManagementClient
from azure.mgmt.monitor import MonitorManagementClient
from azure.monitor.ingestion import LogsIngestionClient, LogsUploadError
from azure.monitor.query import LogsQueryClient
from local_cloud import (
    ARM,
    EVENTS_STREAM,
    EVENTS_TABLE,
    MONITOR,
    Http,
    Pipeline,
    event,
    project_rule_body,
    project_table_body,
    signed_in,
)

from deployer.dcr import spec as dcr_spec


def rows(query: LogsQueryClient, info: dict[str, Any], kql: str) -> list[list[Any]]:
    result = query.query_workspace(info["workspace_customer_id"], kql, timespan=None)
    return [list(r) for r in result.tables[0].rows]  # type: ignore[union-attr]


def post(
    http: Http,
    info: dict[str, Any],
    immutable_id: str,
    body: bytes,
    *,
    gzipped: bool = False,
    token: str | None = None,
    stream: str = EVENTS_STREAM,
) -> Any:
    headers = {"Authorization": f"Bearer {token or http.token(MONITOR)}", "Content-Type": "application/json"}
    if gzipped:
        headers["Content-Encoding"] = "gzip"
    return http.session.post(
        f"{info['ingestion_endpoint']}/dataCollectionRules/{immutable_id}/streams/{stream}",
        params={"api-version": "2023-01-01"},
        data=body,
        headers=headers,
    )


def test_uploaded_records_are_shaped_transformed_and_stored(
    emulator: dict[str, Any], pipeline: Pipeline, ingestion: LogsIngestionClient, logs_query: LogsQueryClient
) -> None:
    when = dt.datetime.now(dt.UTC).replace(microsecond=0)

    ingestion.upload(pipeline.immutable_id, EVENTS_STREAM, [event(1, time=when.isoformat()), {**event(2), "seq": "7"}])

    stored = rows(logs_query, emulator, f"{EVENTS_TABLE} | order by id asc | project TimeGenerated, id, seq, props")
    assert stored == [
        [when, "event-1", 1, json.dumps({"i": 1, "tags": ["a", "b"]}, separators=(",", ":"))],
        [stored[1][0], "event-2", 7, json.dumps({"i": 2, "tags": ["a", "b"]}, separators=(",", ":"))],
    ]


def test_more_than_a_mebibyte_goes_out_in_several_calls(
    emulator: dict[str, Any],
    pipeline: Pipeline,
    ingestion: LogsIngestionClient,
    logs_query: LogsQueryClient,
    http: Http,
) -> None:
    padding = "x" * 1000
    logs = [{**event(i), "props": {"pad": padding}} for i in range(1500)]  # ~1.6 MiB as JSON

    ingestion.upload(pipeline.immutable_id, EVENTS_STREAM, logs)

    calls = [r for r in http.control("GET", "/requests?service=ingestion")["value"] if r["status"] == 204]
    assert len(calls) == 2
    assert rows(logs_query, emulator, f"{EVENTS_TABLE} | count") == [[1500]]


def test_without_the_role_the_call_is_forbidden_until_the_assignment_propagates(
    emulator: dict[str, Any], pipeline: Pipeline, http: Http
) -> None:
    registered = http.control("POST", "/principals", {"display_name": "publisher"})
    http.control("PATCH", "/settings", {"role_propagation_seconds": 600})
    with (
        signed_in(emulator, registered["client_id"], registered["client_secret"]) as credential,
        LogsIngestionClient(
            emulator["ingestion_endpoint"], credential, connection_verify=emulator["ca_cert"], retry_total=0
        ) as client,
    ):
        with pytest.raises(HttpResponseError) as before:
            client.upload(pipeline.immutable_id, EVENTS_STREAM, [event(1)])
        assert http.grant_publisher(pipeline.rule_id, registered["object_id"]).status_code == 201
        with pytest.raises(HttpResponseError) as propagating:
            client.upload(pipeline.immutable_id, EVENTS_STREAM, [event(2)])
        http.control("POST", "/clock/advance", {"seconds": 600})
        client.upload(pipeline.immutable_id, EVENTS_STREAM, [event(3)])

    assert before.value.status_code == 403
    assert before.value.error.code == "OperationFailed"
    assert before.value.error.message.startswith(
        "The authentication token provided does not have access to ingest data for the data collection rule with "
        f"immutable Id '{pipeline.immutable_id}'"
    )
    assert f"objectId {registered['object_id']} on resourceId {pipeline.rule_id}" in before.value.error.message
    assert propagating.value.status_code == 403


def test_a_body_over_one_mebibyte_is_413(emulator: dict[str, Any], pipeline: Pipeline, http: Http) -> None:
    body = json.dumps([{"id": "x" * (1_048_577 - 12)}]).encode()

    response = post(http, emulator, pipeline.immutable_id, body)

    assert len(body) == 1_048_577
    assert response.status_code == 413
    assert response.headers["x-ms-error-code"] == "ContentLengthLimitExceeded"
    assert response.json()["error"] == {
        "code": "ContentLengthLimitExceeded",
        "message": "Maximum allowed content length: 1048576 bytes (1 MB). Provided content length: 1048577 bytes.",
    }


def test_plain_and_gzip_bodies_are_accepted(
    emulator: dict[str, Any], pipeline: Pipeline, http: Http, logs_query: LogsQueryClient
) -> None:
    body = json.dumps([event(1), event(2)]).encode()

    plain = post(http, emulator, pipeline.immutable_id, body)
    zipped = post(http, emulator, pipeline.immutable_id, gzip.compress(body), gzipped=True)

    assert (plain.status_code, zipped.status_code) == (204, 204)
    assert plain.content == b""
    assert rows(logs_query, emulator, f"{EVENTS_TABLE} | count") == [[4]]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b'{"id": "not in an array"}', "The request body must be a JSON array of objects."),
        (
            b'[{"id": 1}, 2]',
            "The request body must be a JSON array of objects; an element of the array is not a JSON object.",
        ),
        # Strings, arrays and nulls, even ones whose text holds an object, are not objects either.
        *(
            (body, "The request body must be a JSON array of objects; an element of the array is not a JSON object.")
            for body in (b'[{"id": 1}, "{\\"id\\": 2}"]', b'[[{"id": 1}]]', b'[{"id": 1}, null]', b"[ true ]")
        ),
        (b'[{"id": 1},', "The request body is not a valid JSON array"),
        # A trailing comma after the last element: some JSON checks take it, the reader refuses it.
        (b'[{"id": 1},]', "The request body is not a valid JSON array"),
        (b'[{"id": 1} ,\n ]', "The request body is not a valid JSON array"),
        (b'[{"id": 1} {"id": 2}]', "The request body is not a valid JSON array"),
    ],
)
def test_a_body_that_is_not_a_json_array_of_objects_is_400(
    emulator: dict[str, Any], pipeline: Pipeline, http: Http, body: bytes, message: str
) -> None:
    response = post(http, emulator, pipeline.immutable_id, body)

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "InvalidRequestContent"
    assert response.json()["error"]["message"].startswith(message)


def test_a_refused_body_leaves_nothing_behind_for_the_pipeline(
    emulator: dict[str, Any], pipeline: Pipeline, http: Http, logs_query: LogsQueryClient
) -> None:
    refused = post(http, emulator, pipeline.immutable_id, json.dumps([event(1)]).encode()[:-1] + b",]")
    accepted = post(http, emulator, pipeline.immutable_id, json.dumps([event(2)]).encode())

    assert (refused.status_code, accepted.status_code) == (400, 204)
    assert rows(logs_query, emulator, f"{EVENTS_TABLE} | project id") == [["event-2"]]


def test_every_accepted_call_is_in_the_table_after_a_flush(
    emulator: dict[str, Any], pipeline: Pipeline, http: Http, cloud: Any
) -> None:
    calls = [json.dumps([event(10 * call + i) for i in range(10)]).encode() for call in range(20)]
    statuses = [
        post(http, emulator, pipeline.immutable_id, gzip.compress(body) if call % 2 else body, gzipped=bool(call % 2))
        for call, body in enumerate(calls)
    ]

    http.control("POST", "/flush")

    assert statuses and {s.status_code for s in statuses} == {204}
    # The store's count, not a query: a query processes what waits first, and so would hide a flush that does not.
    assert cloud.logs.row_count(emulator["workspace_customer_id"], EVENTS_TABLE) == 200


def test_an_unknown_rule_is_404(emulator: dict[str, Any], pipeline: Pipeline, ingestion: LogsIngestionClient) -> None:
    with pytest.raises(ResourceNotFoundError) as caught:
        ingestion.upload("dcr-00000000000000000000000000000000", EVENTS_STREAM, [event(1)])

    assert caught.value.error.code == "NotFound"


def test_an_unknown_stream_is_400(emulator: dict[str, Any], pipeline: Pipeline, ingestion: LogsIngestionClient) -> None:
    with pytest.raises(HttpResponseError) as caught:
        ingestion.upload(pipeline.immutable_id, "Custom-Other", [event(1)])

    assert caught.value.status_code == 400
    assert caught.value.error.code == "InvalidStream"


def test_a_token_for_arm_is_refused(emulator: dict[str, Any], pipeline: Pipeline, http: Http) -> None:
    response = post(http, emulator, pipeline.immutable_id, b"[]", token=http.token(ARM))

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "InvalidAuthenticationTokenAudience"


def test_an_expired_token_is_refused(emulator: dict[str, Any], pipeline: Pipeline, http: Http) -> None:
    expired = http.control("POST", "/tokens", {"audience": "https://monitor.azure.com", "lifetime_seconds": -1})

    response = post(http, emulator, pipeline.immutable_id, b"[]", token=expired["access_token"])

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "ExpiredAuthenticationToken"


def test_over_the_per_minute_limit_the_call_is_429_with_retry_after(
    emulator: dict[str, Any], pipeline: Pipeline, ingestion: LogsIngestionClient, http: Http
) -> None:
    http.control("PATCH", "/settings", {"ingestion_requests_per_minute": 1})
    failures: list[LogsUploadError] = []
    ingestion.upload(pipeline.immutable_id, EVENTS_STREAM, [event(1)])

    ingestion.upload(pipeline.immutable_id, EVENTS_STREAM, [event(2)], on_error=failures.append)

    assert len(failures) == 1
    assert failures[0].failed_logs == [event(2) | {"createdAt": failures[0].failed_logs[0]["createdAt"]}]
    assert isinstance(failures[0].error, HttpResponseError)
    assert failures[0].error.status_code == 429
    retry_after = int(failures[0].error.response.headers["Retry-After"])
    assert 0 <= retry_after <= 60


def test_every_call_is_counted_in_the_rules_metrics(
    emulator: dict[str, Any],
    pipeline: Pipeline,
    ingestion: LogsIngestionClient,
    monitor: MonitorManagementClient,
    http: Http,
) -> None:
    ingestion.upload(pipeline.immutable_id, EVENTS_STREAM, [event(i) for i in range(3)])
    post(http, emulator, pipeline.immutable_id, b"{}")

    calls = monitor.metrics.list(
        pipeline.rule_id,
        timespan="PT1H",
        interval="PT1M",
        metricnames="ApiCallReceived_Count",
        aggregation="Count",
        filter="ResponseCode eq '*'",
    )
    received = monitor.metrics.list(
        pipeline.rule_id, timespan="PT1H", interval="PT5M", metricnames="RowsReceived_Count", aggregation="Total"
    )

    by_code = {ts.metadatavalues[0].value: sum(d.count or 0 for d in ts.data) for ts in calls.value[0].timeseries}
    assert by_code == {"204": 1, "400": 1}
    assert calls.value[0].name.value == "ApiCallReceived_Count"
    assert calls.namespace == "Microsoft.Insights/dataCollectionRules"
    assert sum(d.total or 0 for d in received.value[0].timeseries[0].data) == 3


def test_rows_become_visible_after_the_ingestion_latency(
    emulator: dict[str, Any],
    pipeline: Pipeline,
    ingestion: LogsIngestionClient,
    logs_query: LogsQueryClient,
    http: Http,
) -> None:
    http.control("PATCH", "/settings", {"ingestion_latency_seconds": 300})

    ingestion.upload(pipeline.immutable_id, EVENTS_STREAM, [event(1)])
    right_away = rows(logs_query, emulator, f"{EVENTS_TABLE} | count")
    http.control("POST", "/clock/advance", {"seconds": 300})
    later = rows(logs_query, emulator, f"{EVENTS_TABLE} | count")

    assert (right_away, later) == ([[0]], [[1]])


def test_timegenerated_too_old_or_missing_becomes_the_time_of_ingestion(
    emulator: dict[str, Any], pipeline: Pipeline, ingestion: LogsIngestionClient, logs_query: LogsQueryClient
) -> None:
    recent = (dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)).replace(microsecond=0)
    before = dt.datetime.now(dt.UTC)

    ingestion.upload(
        pipeline.immutable_id,
        EVENTS_STREAM,
        [event(1, time=recent.isoformat()), event(2, time="2020-01-01T00:00:00Z"), event(3, time="not a date")],
    )

    stored = dict(rows(logs_query, emulator, f"{EVENTS_TABLE} | project id, TimeGenerated"))
    assert stored["event-1"] == recent
    assert stored["event-2"] >= before
    assert stored["event-3"] >= before


def test_rows_for_a_deleted_table_are_dropped_and_counted(
    emulator: dict[str, Any],
    pipeline: Pipeline,
    ingestion: LogsIngestionClient,
    loganalytics: LogAnalyticsManagementClient,
    monitor: MonitorManagementClient,
) -> None:
    loganalytics.tables.begin_delete(emulator["resource_group"], emulator["workspace_name"], EVENTS_TABLE).result()

    ingestion.upload(pipeline.immutable_id, EVENTS_STREAM, [event(i) for i in range(4)])
    dropped = monitor.metrics.list(
        pipeline.rule_id, timespan="PT1H", metricnames="RowsDropped_Count", aggregation="Total"
    )
    errors = monitor.metrics.list(
        pipeline.rule_id, timespan="PT1H", metricnames="TransformationErrors_Count", filter="ErrorType eq '*'"
    )

    assert sum(d.total or 0 for d in dropped.value[0].timeseries[0].data) == 4
    assert [ts.metadatavalues[0].value for ts in errors.value[0].timeseries] == ["ConfigurationError"]


def test_a_missing_token_is_401(emulator: dict[str, Any], pipeline: Pipeline, http: Http) -> None:
    response = http.session.post(
        f"{emulator['ingestion_endpoint']}/dataCollectionRules/{pipeline.immutable_id}/streams/{EVENTS_STREAM}",
        params={"api-version": "2023-01-01"},
        data=b"[]",
    )

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "AuthenticationFailed"


def test_an_unknown_api_version_is_400(emulator: dict[str, Any], pipeline: Pipeline, http: Http) -> None:
    response = http.session.post(
        f"{emulator['ingestion_endpoint']}/dataCollectionRules/{pipeline.immutable_id}/streams/{EVENTS_STREAM}",
        params={"api-version": "2020-01-01"},
        data=b"[]",
        headers={"Authorization": f"Bearer {http.token(MONITOR)}"},
    )

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "InvalidApiVersion"


@pytest.mark.slow
def test_the_projects_samples_go_through_the_projects_dcr(
    emulator: dict[str, Any],
    loganalytics: LogAnalyticsManagementClient,
    monitor: MonitorManagementClient,
    ingestion: LogsIngestionClient,
    logs_query: LogsQueryClient,
    http: Http,
) -> None:
    spec = dcr_spec.load_spec()
    group = emulator["resource_group"]
    loganalytics.tables.begin_create_or_update(
        group, emulator["workspace_name"], spec.table.name, project_table_body()
    ).result()
    rule = monitor.data_collection_rules.create(group, "dcr-miro", project_rule_body(emulator))
    http.grant_publisher(rule.id, emulator["principal_object_id"]).raise_for_status()
    sample = spec.samples[0]

    ingestion.upload(rule.immutable_id, spec.stream.name, [dict(e) for e in sample.events])

    result = logs_query.query_workspace(
        emulator["workspace_customer_id"], f"{spec.table.name} | project-away TenantId, Type", timespan=None
    )
    table = result.tables[0]  # type: ignore[union-attr]
    got = [dict(zip(table.columns, row, strict=True)) for row in table.rows]
    expected = [dict(r) for r in sample.rows]
    # TimeGenerated is the time of ingestion here: the sample's events are years old (see COVERAGE.md).
    for row in [*got, *expected]:
        row.pop("TimeGenerated")
        if isinstance(row.get("createdAt"), dt.datetime):
            row["createdAt"] = row["createdAt"].isoformat().replace("+00:00", "Z").replace(".840000", ".84")
        if isinstance(row.get("details"), str):
            row["details"] = json.loads(row["details"])
    assert got == expected
