"""Reading a RestApiPoller connector's settings as Sentinel reads them."""

from __future__ import annotations

import copy
import datetime as dt
from typing import Any

import pytest
from ccf_support import official_properties, poller_properties

from emulator.ccf.config import ConfigRefused, read_poller_config
from tests.support import requires_shared


def problems(props: dict[str, Any]) -> list[tuple[str, str, bool]]:
    with pytest.raises(ConfigRefused) as refused:
        read_poller_config(props)
    return [(p.path, p.message, p.unsupported) for p in refused.value.problems]


@pytest.mark.parametrize(
    ("properties", "definition"),
    [
        (poller_properties, "MiroSentinelAuditLogs"),
        pytest.param(official_properties, "MiroAuditLogsDataConnector", marks=requires_shared),
    ],
    ids=["ours", "official"],
)
def test_the_miro_poller_settings_are_read(properties: Any, definition: str) -> None:
    config = read_poller_config(properties("tok"))
    assert config.auth_headers == {"Authorization": "Bearer tok"}
    assert (config.window_minutes, config.retry_count, config.timeout_seconds, config.rate_limit_qps) == (
        5,
        3,
        60.0,
        10.0,
    )
    assert config.render_time(dt.datetime(2025, 12, 5, 10, 5, tzinfo=dt.UTC)) == "2025-12-05T10:05:00.00Z"
    assert (config.start_parameter, config.end_parameter) == ("createdAfter", "createdBefore")
    assert config.query_parameters["limit"] == "100" and config.headers["Accept"] == "application/json"
    assert config.paging is not None and config.paging.parameter == "cursor"
    assert [p.text for p in config.events_paths] == ["$.data"]
    assert config.definition_name == definition and config.is_active


@pytest.mark.parametrize("name", ["APIKey", "ApiKey", "apiKey", "apikey"])
def test_auth_field_names_are_matched_in_any_case(name: str) -> None:
    props = poller_properties("tok")
    props["auth"][name] = props["auth"].pop("APIKey")
    assert read_poller_config(props).auth_headers == {"Authorization": "Bearer tok"}


def test_a_field_given_twice_in_different_cases_is_refused() -> None:
    props = poller_properties("tok")
    props["auth"]["apiKey"] = "Bearer other"
    assert problems(props) == [
        ("properties.auth.apiKey", "given more than once in different cases: APIKey, apiKey", False)
    ]


def test_an_identifier_prefixes_the_key() -> None:
    props = poller_properties("tok")
    props["auth"].update({"APIKey": "tok", "ApiKeyIdentifier": "Bearer"})
    assert read_poller_config(props).auth_headers == {"Authorization": "Bearer tok"}


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda p: p["auth"].pop("APIKey"), ("properties.auth.apiKey", "is required")),
        (lambda p: p["auth"].pop("ApiKeyName"), ("properties.auth.apiKeyName", "is required")),
        (lambda p: p.pop("connectorDefinitionName"), ("properties.connectorDefinitionName", "is required")),
        (lambda p: p["request"].pop("apiEndpoint"), ("properties.request.apiEndpoint", "is required")),
        (
            lambda p: p["request"].update(apiEndpoint="/v2/audit/logs"),
            ("properties.request.apiEndpoint", "must be an absolute http(s) URL"),
        ),
        (lambda p: p["request"].update(retryCount=7), ("properties.request.retryCount", "must be from 1 to 6, not 7")),
        (
            lambda p: p["request"].update(timeoutInSeconds=181),
            ("properties.request.timeoutInSeconds", "must be from 1 to 180, not 181"),
        ),
        (
            lambda p: p["request"].update(queryWindowInMin=0),
            ("properties.request.queryWindowInMin", "must be at least 1, not 0"),
        ),
        (
            lambda p: p["request"].update(queryTimeFormat="yyyy'"),
            ("properties.request.queryTimeFormat", 'unterminated quoted text starting at position 4 in "yyyy\'"'),
        ),
        (
            lambda p: p["request"].pop("EndTimeAttributeName"),
            (
                "properties.request.startTimeAttributeName",
                "startTimeAttributeName and endTimeAttributeName go together",
            ),
        ),
        (
            lambda p: p["response"].update(eventsJsonPaths=[]),
            ("properties.response.eventsJsonPaths", "is required: a non-empty list of JSON paths"),
        ),
        (
            lambda p: p["paging"].pop("nextPageParaName"),
            (
                "properties.paging.nextPageParaName",
                "NextPageToken paging needs nextPageParaName or nextPageRequestHeader",
            ),
        ),
        (lambda p: p["dcrConfig"].pop("streamName"), ("properties.dcrConfig.streamName", "is required")),
        (
            lambda p: p["dcrConfig"].update(streamName="MiroAuditLogs_CL"),
            ("properties.dcrConfig.streamName", "must be a custom stream, starting with 'Custom-'"),
        ),
        (lambda p: p.pop("dcrConfig"), ("properties.dcrConfig", "is required")),
    ],
)
def test_invalid_settings_are_refused_naming_the_field(change: Any, expected: tuple[str, str]) -> None:
    props = poller_properties("tok")
    change(props)
    assert problems(props) == [(*expected, False)]


@pytest.mark.parametrize(
    ("change", "path"),
    [
        (lambda p: p["paging"].update(pagingType="LinkHeader"), "properties.paging.pagingType"),
        (lambda p: p["auth"].update(type="OAuth2"), "properties.auth.type"),
        (lambda p: p["response"].update(format="csv"), "properties.response.format"),
        (lambda p: p["request"].update(httpMethod="POST"), "properties.request.httpMethod"),
        (lambda p: p["auth"].update(IsAPIKeyInPostPayload=True), "properties.auth.isApiKeyInPostPayload"),
    ],
)
def test_valid_settings_the_local_cloud_does_not_emulate_are_marked_unsupported(change: Any, path: str) -> None:
    props = copy.deepcopy(poller_properties("tok"))
    change(props)
    [(where, _, unsupported)] = problems(props)
    assert (where, unsupported) == (path, True)


def test_an_absent_is_active_means_inactive() -> None:
    props = poller_properties("tok")
    props.pop("isActive")
    assert read_poller_config(props).is_active is False
