"""The control API: faults (and what a client then does), the request log, settings, reset, state."""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

import pytest
import requests
from azure.core.exceptions import HttpResponseError, ServiceRequestError, ServiceResponseError
from azure.mgmt.loganalytics import LogAnalyticsManagementClient
from azure.monitor.ingestion import LogsIngestionClient
from local_cloud import EVENTS_STREAM, Http, Pipeline, control_headers, event


def get_workspace(client: LogAnalyticsManagementClient, info: dict[str, Any]) -> Any:
    return client.workspaces.get(info["resource_group"], info["workspace_name"])


def test_a_fault_answers_its_status_in_the_services_shape_and_counts_hits(
    emulator: dict[str, Any], loganalytics: LogAnalyticsManagementClient, http: Http
) -> None:
    fault = http.control(
        "POST",
        "/faults",
        {"service": "arm", "method": "GET", "path": "/workspaces/", "status": 503, "retry_after": 7, "count": 1},
    )

    with pytest.raises(HttpResponseError) as caught:
        get_workspace(loganalytics, emulator)
    after = get_workspace(loganalytics, emulator)

    assert caught.value.status_code == 503
    assert caught.value.error.code == "ServiceUnavailable"
    assert caught.value.response.headers["Retry-After"] == "7"
    assert after.name == emulator["workspace_name"]
    assert http.control("GET", f"/faults/{fault['id']}")["hits"] == 1


def test_a_429_fault_with_a_short_retry_after_is_retried_by_the_sdk(
    emulator: dict[str, Any], credential: Any, http: Http
) -> None:
    http.control("POST", "/faults", {"service": "arm", "status": 429, "retry_after": 0.01, "count": 2})

    with LogAnalyticsManagementClient(
        credential,
        emulator["subscription_id"],
        base_url=emulator["arm_endpoint"],
        connection_verify=emulator["ca_cert"],
    ) as client:
        workspace = get_workspace(client, emulator)

    statuses = [r["status"] for r in http.control("GET", "/requests?service=arm")["value"]]
    assert workspace.name == emulator["workspace_name"]
    assert statuses == [429, 429, 200]


def test_a_delay_fault_slows_the_answer(
    emulator: dict[str, Any], loganalytics: LogAnalyticsManagementClient, http: Http
) -> None:
    http.control("POST", "/faults", {"path": "/workspaces/", "delay": 0.3, "count": 1})

    started = time.perf_counter()
    get_workspace(loganalytics, emulator)

    assert time.perf_counter() - started >= 0.3


def test_a_malformed_body_fails_the_clients_parsing(
    emulator: dict[str, Any], loganalytics: LogAnalyticsManagementClient, http: Http
) -> None:
    http.control("POST", "/faults", {"path": "/workspaces/", "malformed": True, "count": 1})

    with pytest.raises(Exception) as caught:
        get_workspace(loganalytics, emulator)

    assert "json" in repr(caught.value).lower() or "deserial" in repr(caught.value).lower()


def test_a_dropped_connection_is_a_transport_error(
    emulator: dict[str, Any], pipeline: Pipeline, ingestion: LogsIngestionClient, http: Http
) -> None:
    fault = http.control("POST", "/faults", {"service": "ingestion", "drop": True, "count": 1})

    with pytest.raises((ServiceRequestError, ServiceResponseError)):
        ingestion.upload(pipeline.immutable_id, EVENTS_STREAM, [event(1)])

    assert http.control("GET", f"/faults/{fault['id']}")["hits"] == 1
    assert http.control("GET", "/requests?service=ingestion")["value"][-1]["status"] == 0


def test_faults_can_be_listed_and_removed(emulator: dict[str, Any], http: Http) -> None:
    fault = http.control("POST", "/faults", {"service": "query", "status": 500})

    listed = [f["id"] for f in http.control("GET", "/faults")["value"]]
    http.control("DELETE", f"/faults/{fault['id']}")

    assert listed == [fault["id"]]
    assert http.control("GET", "/faults")["value"] == []


def test_a_bad_fault_is_refused(emulator: dict[str, Any], http: Http) -> None:
    response = http.session.post(
        emulator["control_endpoint"] + "/faults", json={"path": "(", "status": 500}, headers=control_headers(emulator)
    )

    assert response.status_code == 400
    assert "path is not a regular expression" in response.json()["error"]["message"]


def test_the_request_log_shows_what_a_client_did_without_secrets(
    emulator: dict[str, Any], loganalytics: LogAnalyticsManagementClient, http: Http
) -> None:
    get_workspace(loganalytics, emulator)

    records = http.control("GET", "/requests")["value"]

    assert [(r["service"], r["method"], r["operation"], r["status"]) for r in records] == [
        ("entra", "GET", "OpenIdConfiguration", 200),
        ("entra", "POST", "Token", 200),
        ("arm", "GET", "Workspaces_Get", 200),
    ] or [(r["service"], r["operation"]) for r in records] == [("arm", "Workspaces_Get")]
    assert "?" not in records[-1]["path"]
    assert records[-1]["principal"] == emulator["principal_object_id"]
    assert emulator["client_secret"] not in str(records)


def test_no_azure_call_is_logged_when_a_client_makes_none(emulator: dict[str, Any], http: Http) -> None:
    assert http.control("GET", "/requests?service=arm")["value"] == []


def test_settings_can_be_read_and_changed(emulator: dict[str, Any], http: Http) -> None:
    changed = http.control("PATCH", "/settings", {"ingestion_latency_seconds": 5})

    assert changed["ingestion_latency_seconds"] == 5
    assert http.control("GET", "/settings")["ingestion_latency_seconds"] == 5


def test_an_unknown_setting_is_refused(emulator: dict[str, Any], http: Http) -> None:
    response = http.session.patch(
        emulator["control_endpoint"] + "/settings", json={"latency": 1}, headers=control_headers(emulator)
    )

    assert response.status_code == 400
    assert response.json()["error"]["message"].startswith("unknown setting(s): latency")


def test_reset_removes_what_tests_created(emulator: dict[str, Any], pipeline: Pipeline, http: Http) -> None:
    http.control("PATCH", "/settings", {"role_propagation_seconds": 9})

    http.control("POST", "/reset")
    state = http.control("GET", "/state")

    assert [r["type"] for r in state["resources"] if r["type"].startswith("Microsoft.Insights")] == []
    assert [t["name"] for t in state["tables"]] == ["SecurityAlert", "SentinelHealth"]
    assert state["settings"]["role_propagation_seconds"] == 0
    assert [p["client_id"] for p in state["principals"]] == [emulator["client_id"]]


def test_the_state_dump_has_no_secrets(emulator: dict[str, Any], pipeline: Pipeline, http: Http) -> None:
    state = http.control("GET", "/state")

    assert emulator["client_secret"] not in str(state)
    assert {t["name"]: t["rows"] for t in state["tables"]}["Events_CL"] == 0


def test_the_control_api_is_never_faulted(emulator: dict[str, Any], http: Http) -> None:
    http.control("POST", "/faults", {"path": ".*", "status": 500})

    assert http.control("GET", "/faults")["value"][0]["hits"] == 0


def test_the_info_route_gives_the_ready_info(emulator: dict[str, Any], http: Http) -> None:
    assert http.control("GET", "/info") == emulator


def test_a_control_request_needs_json(emulator: dict[str, Any], http: Http) -> None:
    response = requests.post(
        emulator["control_endpoint"] + "/faults",
        data=b"nope",
        headers=control_headers(emulator),
        verify=emulator["ca_cert"],
    )

    assert response.status_code == 400


def test_the_clock_can_be_advanced(emulator: dict[str, Any], http: Http) -> None:
    before = http.control("GET", "/clock")["now"]

    after = http.control("POST", "/clock/advance", {"seconds": 3600})["now"]

    assert dt.datetime.fromisoformat(after) - dt.datetime.fromisoformat(before) >= dt.timedelta(hours=1)
