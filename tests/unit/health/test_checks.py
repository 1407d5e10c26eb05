"""Health checks whose inputs are hard to produce in the local cloud (an Azure error shape, a quiet feed)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from deployer.errors import AzureError
from deployer.health.checks import check_dcr_metrics, check_fetch_failures, check_freshness
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
