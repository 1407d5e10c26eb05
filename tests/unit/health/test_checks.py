"""Health checks whose inputs are hard to produce in the local cloud (an Azure error shape, a quiet feed)."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace
from typing import Any

import pytest

from deployer.errors import AzureError, MiroRateLimited, MiroTokenInvalid
from deployer.health.checks import check_dcr_metrics, check_fetch_failures, check_freshness, check_miro_token
from deployer.health.model import Status


class FakeQuery:
    def __init__(self, *answers: Any) -> None:
        self.answers = list(answers)
        self.queries: list[str] = []

    def query(self, kql: str, *, timespan: Any) -> Any:
        self.queries.append(kql)
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer


def context(query: FakeQuery) -> Any:
    health = SimpleNamespace(
        lookback_hours=24, freshness_warn_minutes=30, freshness_fail_minutes=180, max_fetch_failures=0
    )
    return SimpleNamespace(
        settings=SimpleNamespace(health=health),
        target=SimpleNamespace(connector_name="Poller", workspace_resource_id="/ws"),
        spec=SimpleNamespace(table=SimpleNamespace(name="MiroAuditLogs_CL")),
        query=query,
        arm=None,
    )


def test_a_workspace_without_sentinel_health_is_skipped_with_the_way_to_turn_it_on() -> None:
    inner = RuntimeError(
        "(SemanticError) 'where' operator: Failed to resolve table or column expression named 'SentinelHealth'"
    )
    error = AzureError(
        "Azure rejected querying Log Analytics (400 BadArgumentError): The request had some invalid properties"
    )
    error.__cause__ = inner
    result = check_fetch_failures(context(FakeQuery(error)))
    assert result.status is Status.SKIPPED
    assert result.detail == "the workspace has no SentinelHealth table"
    assert "health monitoring" in result.remedy


def test_freshness_grades_the_age_of_the_last_real_event() -> None:
    for age, status in ((5, Status.OK), (45, Status.WARN), (600, Status.FAIL)):
        query = FakeQuery([{"LastEvent": None, "Events": 10, "AgeMinutes": age}], [])
        assert check_freshness(context(query)).status is status
        assert "category != 'miro-sentinel-validation'" in query.queries[0]


def test_no_events_from_an_old_or_unknown_connector_fails() -> None:
    result = check_freshness(context(FakeQuery([{"Events": 0}], [])))
    assert result.status is Status.FAIL
    assert result.detail == "no Miro events in MiroAuditLogs_CL yet"


def test_a_failed_last_fetch_fails_with_the_token_remedy() -> None:
    query = FakeQuery(
        [{"Failures": 2, "Successes": 5}],
        [{"TimeGenerated": None, "Status": "Failure", "Description": "HTTP 401: Unauthorized"}],
    )
    result = check_fetch_failures(context(query))
    assert result.status is Status.FAIL
    assert result.detail.endswith(": HTTP 401: Unauthorized")
    assert result.data == {"failures": 2, "successes": 5}


@pytest.mark.parametrize(
    ("description", "reason", "remedy_starts"),
    [
        ("Data fetch failed ... from https://api.miro.com/v2/audit/logs: HTTP 401: Unauthorized", "Unauthorized",
         "Miro refused the connector's token (401)"),
        ("Data fetch failed ...: HTTP 403: Forbidden", "Forbidden", "Miro denied the audit log (403)"),
        ("Data fetch failed ...: HTTP 429: Too many requests", "Throttled", "Miro rate-limited the connector (429)"),
        ("Data fetch failed ...: Timeout: read timed out", "Timeout", "the connector could not reach Miro in time"),
        ("Data fetch failed ...: InvalidResponse: the response body is not valid JSON", "InvalidResponse",
         "Miro's answer was not what the connector expects (invalid response)"),
        ("Data fetch failed ...: PagingLoop: the server answered with the same next-page token", "PagingLoop",
         "Miro sent back the page token it was given (a paging loop)"),
        ("Data fetch failed ...: HTTP 503: Service Unavailable", "ServerError", "Miro failed on its side (5xx)"),
        ("Data fetch failed at 14:01:40 for window 2026-01-01T04:01:00Z: something else", "",
         "read the failure above; TROUBLESHOOTING.md#fetch-failures"),
    ],
    ids=["401", "403", "429", "timeout", "invalid response", "paging loop", "5xx", "unknown"],
)  # fmt: skip
def test_a_failed_last_fetch_gets_the_remedy_for_what_failed(description: str, reason: str, remedy_starts: str) -> None:
    query = FakeQuery(
        [{"Failures": 1, "Successes": 5}],
        [{"TimeGenerated": None, "Status": "Failure", "Description": description, "Reason": reason}],
    )
    result = check_fetch_failures(context(query))
    assert result.status is Status.FAIL
    assert result.remedy.startswith(remedy_starts)
    assert ("401" in result.remedy) == (reason == "Unauthorized")


def test_a_check_that_meets_any_exception_is_skipped_saying_why() -> None:
    result = check_freshness.run(context(FakeQuery(RuntimeError("boom"))))
    assert result.status is Status.SKIPPED
    assert result.detail == "could not check: unexpected RuntimeError: boom"
    assert result.external_error


def test_fetches_are_found_under_the_bare_and_the_api_polling_name() -> None:
    query = FakeQuery([{"Failures": 0, "Successes": 3}], [{"TimeGenerated": None, "Status": "Success"}])
    result = check_fetch_failures(context(query))
    assert result.status is Status.OK
    assert all("SentinelResourceName in ('Poller', 'ApiPolling-Poller')" in q for q in query.queries)


class FakeArm:
    """Answers metrics per aggregation as Azure does: only the aggregation asked for is in the points."""

    def __init__(self, points: dict[str, dict[str, float | None]]) -> None:
        self.points = points
        self.asked: list[tuple[tuple[str, ...], str]] = []

    def get_metrics(self, resource_id: str, names: list[str], *, timespan: str, aggregation: str) -> Any:
        self.asked.append((tuple(names), aggregation))
        field = aggregation.lower()
        return {
            "value": [
                {"name": {"value": n}, "timeseries": [{"data": [{field: self.points[n].get(field)}]}]} for n in names
            ]
        }


def metrics_context(arm: FakeArm) -> Any:
    ctx = context(FakeQuery())
    ctx.arm = arm
    ctx.target.dcr_resource_id = "/dcr"
    return ctx


def test_each_dcr_metric_is_read_in_an_aggregation_it_supports() -> None:
    arm = FakeArm(
        {
            "RowsReceived_Count": {"total": 7},
            "RowsDropped_Count": {"total": 0},
            "TransformationErrors_Count": {"count": 0},
        }
    )
    result = check_dcr_metrics(metrics_context(arm))
    assert result.status is Status.OK
    assert arm.asked == [
        (("RowsReceived_Count", "RowsDropped_Count"), "Total"),
        (("TransformationErrors_Count",), "Count"),
    ]
    assert result.data == {"received": 7, "dropped": 0, "transformation_errors": 0}


def test_a_missing_total_is_unknown_not_a_count() -> None:
    arm = FakeArm(
        {
            "RowsReceived_Count": {"total": 5, "count": 5},
            "RowsDropped_Count": {"total": None, "count": 3},
            "TransformationErrors_Count": {"count": 0},
        }
    )
    result = check_dcr_metrics(metrics_context(arm))
    assert result.status is Status.WARN
    assert result.detail == "Azure answered no values for RowsDropped_Count"


class FakeConnectorArm:
    """Sentinel's connector as ARM returns it (``systemData.createdAt``), or a failure to read it."""

    def __init__(self, connector: dict[str, Any] | Exception) -> None:
        self.connector = connector
        self.asked: list[str] = []

    def read(self, kind: str) -> dict[str, Any]:
        self.asked.append(kind)
        if isinstance(self.connector, Exception):
            raise self.connector
        return self.connector


def created(minutes_ago: float) -> dict[str, Any]:
    when = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=minutes_ago)
    return {"systemData": {"createdAt": when.isoformat().replace("+00:00", "Z")}}


def quiet_feed(arm: FakeConnectorArm | None) -> Any:
    ctx = context(FakeQuery([{"Events": 0}], []))
    ctx.arm = arm
    # The check reads the connector through the resource table: ctx.resource(kind).get(arm).
    ctx.resource = lambda kind: SimpleNamespace(get=lambda reader: reader.read(kind.key))
    return ctx


def test_freshness_reports_the_age_the_series_and_the_total() -> None:
    last = dt.datetime(2026, 11, 26, 11, 55, tzinfo=dt.UTC)
    hours = [
        {"Hour": dt.datetime(2026, 11, 26, 10, tzinfo=dt.UTC), "Events": 3},
        {"Hour": dt.datetime(2026, 11, 26, 11, tzinfo=dt.UTC), "Events": 4},
    ]
    query = FakeQuery([{"LastEvent": last, "Events": 7, "AgeMinutes": 5}], hours)

    result = check_freshness(context(query))

    assert (result.id, result.title, result.status) == ("freshness", "Data freshness", Status.OK)
    assert result.detail == "last Miro event 5 min ago (2026-11-26T11:55:00Z); 7 events in the last 24 h"
    assert result.data == {
        "age_minutes": 5,
        "events_per_hour": [
            {"hour": "2026-11-26T10:00:00Z", "events": 3},
            {"hour": "2026-11-26T11:00:00Z", "events": 4},
        ],
        "events_in_lookback": 7,
    }
    assert result.remedy == ""
    assert query.queries[1] == (
        "MiroAuditLogs_CL | where category != 'miro-sentinel-validation' | where TimeGenerated > ago(24h) "
        "| summarize Events = count() by Hour = bin(TimeGenerated, 1h) | sort by Hour asc"
    )


def test_freshness_turns_warn_and_fail_exactly_at_the_thresholds() -> None:
    graded = {}
    for age in (29, 30, 179, 180):
        graded[age] = check_freshness(context(FakeQuery([{"Events": 1, "AgeMinutes": age}], []))).status

    assert graded == {29: Status.OK, 30: Status.WARN, 179: Status.WARN, 180: Status.FAIL}


def test_a_warning_or_failure_without_a_remedy_points_at_troubleshooting() -> None:
    result = check_freshness(context(FakeQuery([{"Events": 1, "AgeMinutes": 45}], [])))

    assert result.remedy == "see TROUBLESHOOTING.md#freshness"


def test_no_events_yet_from_a_young_connector_is_only_a_warning() -> None:
    arm = FakeConnectorArm(created(minutes_ago=10))

    result = check_freshness(quiet_feed(arm))

    assert result.status is Status.WARN
    assert result.remedy.startswith("the first events usually arrive 5-30 minutes after the connector is created")
    assert arm.asked == ["connector"]


def test_no_events_from_a_connector_older_than_the_fail_threshold_fails() -> None:
    assert check_freshness(quiet_feed(FakeConnectorArm(created(minutes_ago=181)))).status is Status.FAIL


def test_a_connector_without_a_creation_time_counts_as_young() -> None:
    assert check_freshness(quiet_feed(FakeConnectorArm({"systemData": {}}))).status is Status.WARN
    assert (
        check_freshness(quiet_feed(FakeConnectorArm({"systemData": {"createdAt": "yesterday"}}))).status is Status.WARN
    )


def test_a_connector_that_cannot_be_read_does_not_excuse_a_quiet_feed() -> None:
    assert check_freshness(quiet_feed(FakeConnectorArm(AzureError("not found")))).status is Status.FAIL


def test_fetches_that_all_succeeded_are_ok_with_counts_and_the_last_time() -> None:
    query = FakeQuery(
        [{"Failures": 0, "Successes": 12}],
        [{"TimeGenerated": dt.datetime(2026, 11, 26, 11, 0, tzinfo=dt.UTC), "Status": "Success"}],
    )

    result = check_fetch_failures(context(query))

    assert (result.id, result.status, result.remedy) == ("fetch_failures", Status.OK, "")
    assert result.detail == "12 successful and 0 failed fetches in 24 h; last: Success at 2026-11-26T11:00:00Z"
    assert result.data == {"failures": 0, "successes": 12}
    assert query.queries[0] == (
        "SentinelHealth | where TimeGenerated > ago(24h) | where SentinelResourceName in ('Poller', 'ApiPolling-Poller') "
        "| where OperationName == 'Data fetch status change' "
        "| summarize Failures = countif(Status == 'Failure'), Successes = countif(Status == 'Success')"
    )


def test_earlier_failures_beyond_the_allowance_warn_when_the_last_fetch_succeeded() -> None:
    query = FakeQuery([{"Failures": 1, "Successes": 3}], [{"TimeGenerated": None, "Status": "Success"}])

    result = check_fetch_failures(context(query))

    assert result.status is Status.WARN
    assert result.remedy == "fetches failed earlier but the last one succeeded; watch for a pattern"
    assert result.data == {"failures": 1, "successes": 3}


def test_failures_within_the_allowance_are_ok() -> None:
    ctx = context(FakeQuery([{"Failures": 2, "Successes": 3}], [{"TimeGenerated": None, "Status": "Success"}]))
    ctx.settings.health.max_fetch_failures = 2

    assert check_fetch_failures(ctx).status is Status.OK


def test_no_fetch_recorded_is_a_warning_to_look_again() -> None:
    result = check_fetch_failures(context(FakeQuery([], [])))

    assert (result.status, result.detail) == (Status.WARN, "no fetch recorded for Poller in the last 24 h")
    assert result.remedy == "the connector may not have polled yet; check again in a few minutes"


def test_a_query_failure_other_than_a_missing_table_is_raised() -> None:
    error = AzureError("Azure failed querying Log Analytics (503 ServiceUnavailable)")

    with pytest.raises(AzureError) as caught:
        check_fetch_failures(context(FakeQuery(error)))

    assert caught.value is error


def test_a_token_miro_could_not_judge_is_skipped_saying_it_could_not_check() -> None:
    # A rate limit or an outage says nothing about the token: the report says the check could not run, and why.
    limited = MiroRateLimited("Miro's rate limit is spent", status_code=429, error_code="tooManyRequests")
    limited.remedy = "wait about 20 s and run again"
    result = check_miro_token(SimpleNamespace(token_check=limited))
    assert result.status is Status.SKIPPED
    assert result.detail == "could not check: Miro's rate limit is spent"
    assert result.remedy == "wait about 20 s and run again"
    assert result.external_error and result.data == {"status_code": 429, "error_code": "tooManyRequests"}


def test_a_token_miro_refused_fails_the_check() -> None:
    refused = MiroTokenInvalid("Miro refused the token (401 unauthorized)", status_code=401)
    result = check_miro_token(SimpleNamespace(token_check=refused))
    assert result.status is Status.FAIL
    assert result.detail == "Miro refused the token (401 unauthorized)"
    assert not result.external_error
