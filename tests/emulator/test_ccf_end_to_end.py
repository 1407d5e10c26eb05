"""The Miro connector at work in the local cloud: Miro -> CCF poller -> DCR -> MiroAuditLogs_CL.

A local cloud whose clock runs 1200 times faster polls a 5-minute window every quarter of a second.
Each test deploys the table, DCE and DCR with the SDKs (bodies from ``deployer.dcr.bodies``), the
project's definition and poller over ARM (``apiEndpoint`` on the local Miro; one test also runs the
official solution's, where ``../shared`` holds it),
lets a few windows pass, pauses the pollers, and compares the table with the events Miro holds for
exactly the windows collected.
"""

from __future__ import annotations

import datetime as dt
import json
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from azure.monitor.query import LogsQueryClient
from part2_cloud import (
    Clients,
    Control,
    MiroPipeline,
    SentinelArm,
    deploy_pipeline,
    official_connector,
    official_definition,
    project_connector,
    project_definition,
    query,
)

pytestmark = pytest.mark.slow

CONNECTOR = "MiroAuditLogsPoller"
WITNESS = "WitnessPoller"


@pytest.fixture
def clients(fast_emulator: dict[str, Any]) -> Iterator[Clients]:
    with Clients(fast_emulator) as clients:
        clients.control.call("PATCH", "/miro/settings", {"events_per_minute": 60})
        yield clients


@pytest.fixture
def info(clients: Clients) -> dict[str, Any]:
    return clients.info


@pytest.fixture
def control(clients: Clients) -> Control:
    return clients.control


@pytest.fixture
def sentinel(clients: Clients) -> SentinelArm:
    return clients.sentinel


@pytest.fixture
def logs(clients: Clients) -> LogsQueryClient:
    return clients.logs


@pytest.fixture
def pipeline(clients: Clients) -> MiroPipeline:
    """The Miro pipeline and the project's connector definition."""
    return deploy_with_definition(clients)


def deploy_with_definition(clients: Clients) -> MiroPipeline:
    deployed = deploy_pipeline(clients.info, clients.credential)
    answer = clients.sentinel.put("dataConnectorDefinitions", "MiroSentinelAuditLogs", project_definition(clients.info))
    assert answer.status_code == 201, answer.text()
    return deployed


def connect(
    info: dict[str, Any], sentinel: SentinelArm, pipeline: MiroPipeline, token: str, *, official: bool = False
) -> None:
    body = project_connector(info, pipeline, token)
    if official:  # the official solution's definition and poller, as the Content Hub deploys them
        definition = sentinel.put("dataConnectorDefinitions", "MiroAuditLogsDataConnector", official_definition(info))
        assert definition.status_code == 201, definition.text()
        body = official_connector(info, pipeline, token)
    answer = sentinel.put("dataConnectors", CONNECTOR, body)
    assert answer.status_code == 201, answer.text()


def collected_ids(logs: LogsQueryClient, info: dict[str, Any]) -> list[str]:
    return [row["id"] for row in query(logs, info, "MiroAuditLogs_CL | project id")]


def health_rows(logs: LogsQueryClient, info: dict[str, Any]) -> list[dict[str, Any]]:
    rows = query(
        logs,
        info,
        f"SentinelHealth | where SentinelResourceName == 'ApiPolling-{CONNECTOR}' | sort by TimeGenerated asc",
    )
    for row in rows:  # a dynamic column comes back as JSON text, as from Azure
        row["ExtendedProperties"] = json.loads(row["ExtendedProperties"])
    return rows


def expected_ids(control: Control, entry: dict[str, Any]) -> list[str]:
    return [e["id"] for e in control.miro_events(entry["collected_from"], entry["collected_until"])]


def assert_collected_exactly_once(
    logs: LogsQueryClient, info: dict[str, Any], control: Control, entry: dict[str, Any]
) -> None:
    """The table holds Miro's events of the windows collected (``entry``), each once."""
    expected = expected_ids(control, entry)
    ids = collected_ids(logs, info)
    assert len(ids) == len(set(ids)) == len(expected)
    assert sorted(ids) == sorted(expected)


@pytest.mark.parametrize("official", [False, pytest.param(True, marks=pytest.mark.shared)], ids=["ours", "official"])
def test_the_connector_collects_every_event_exactly_once(
    info: dict[str, Any],
    control: Control,
    sentinel: SentinelArm,
    pipeline: MiroPipeline,
    logs: LogsQueryClient,
    official: bool,
) -> None:
    # Given the pollers paused while the connector is created, and events placed exactly on window edges
    control.call("POST", "/ccf/pause")
    connect(info, sentinel, pipeline, info["miro_token"], official=official)
    origin = dt.datetime.fromisoformat(control.ccf_connector(CONNECTOR)["collected_from"])
    edges = [origin + dt.timedelta(minutes=5 * k) for k in (1, 2, 3)]
    control.call(
        "POST", "/miro/events", {"events": [{"createdAt": e.isoformat(), "event": "edge"} for e in edges]}, expect=201
    )
    control.call("POST", "/ccf/resume")

    # When six windows have been fetched
    entry = control.wait_for_windows(CONNECTOR, 6)

    # Then the table holds exactly Miro's events of the windows collected, each once
    expected = expected_ids(control, entry)
    ids = collected_ids(logs, info)
    assert len(expected) > 1000
    assert len(ids) == len(set(ids)) == len(expected)
    assert sorted(ids) == sorted(expected)
    assert entry["state"]["total_pages"] > entry["state"]["windows_done"] * 3  # several pages per window
    edge_rows = query(logs, info, "MiroAuditLogs_CL | where event == 'edge' | project createdAt")
    assert len(edge_rows) == 3
    rows = health_rows(logs, info)
    assert [r["Status"] for r in rows] == ["Success"] * entry["state"]["windows_done"]
    assert {r["OperationName"] for r in rows} == {"Data fetch status change"}


def test_the_rows_are_shaped_by_the_projects_transform(
    info: dict[str, Any], control: Control, sentinel: SentinelArm, pipeline: MiroPipeline, logs: LogsQueryClient
) -> None:
    connect(info, sentinel, pipeline, info["miro_token"])
    entry = control.wait_for_windows(CONNECTOR, 1)
    [event] = control.miro_events(entry["collected_from"], entry["collected_until"])[:1]
    [row] = query(logs, info, f"MiroAuditLogs_CL | where id == '{event['id']}'")
    assert row["event"] == event["event"] and row["category"] == event["category"]
    assert row["logType"] == "event"
    assert row["context_organization_id"] == event["context"]["organization"]["id"]
    created = dt.datetime.strptime(event["createdAt"], "%Y-%m-%dT%H:%M:%S.%f%z")
    assert row["TimeGenerated"] == created and row["createdAt"] == created


def test_nothing_is_lost_or_duplicated_when_miro_answers_429_and_5xx_mid_way(
    info: dict[str, Any], control: Control, sentinel: SentinelArm, pipeline: MiroPipeline, logs: LogsQueryClient
) -> None:
    # Given Miro failing on later pages: 503 three times in a row, then 429s (a real budget resets on the wall
    # clock, up to a minute away: these say Retry-After 0), 502s and a broken body
    faults = [
        {"kind": "status", "status": 503, "on": "next_page", "count": 3},
        {"kind": "status", "status": 429, "on": "next_page", "skip": 4, "count": 2, "retry_after": 0},
        {"kind": "status", "status": 502, "on": "next_page", "skip": 9, "count": 2},
        {"kind": "malformed", "on": "next_page", "skip": 12, "count": 1},
    ]
    ids_of_faults = [control.call("POST", "/miro/faults", f, expect=201)["id"] for f in faults]
    connect(info, sentinel, pipeline, info["miro_token"])

    # When five windows have been fetched
    entry = control.wait_for_windows(CONNECTOR, 5)

    # Then every fault was met, and every event is in the table exactly once
    assert [control.call("GET", f"/miro/faults/{i}")["hits"] for i in ids_of_faults] == [3, 2, 2, 1]
    assert_collected_exactly_once(logs, info, control, entry)
    assert {r["Status"] for r in health_rows(logs, info)} == {"Success"}


def test_slow_answers_and_dropped_connections_are_retried_without_loss(
    info: dict[str, Any], control: Control, sentinel: SentinelArm, pipeline: MiroPipeline, logs: LogsQueryClient
) -> None:
    # Given requests that time out (60 virtual s is 0.05 real s here; the floor is 0.3 s) and a dropped connection
    control.call("PATCH", "/ccf/settings", {"min_timeout_seconds": 0.3})
    slow = control.call(
        "POST", "/miro/faults", {"kind": "slow", "delay": 0.6, "on": "next_page", "count": 2}, expect=201
    )
    drop = control.call("POST", "/faults", {"service": "miro", "drop": True, "count": 1}, expect=201)
    connect(info, sentinel, pipeline, info["miro_token"])

    # When three windows are in
    entry = control.wait_for_windows(CONNECTOR, 3)

    # Then each fault was met, every fetch succeeded in the end, and nothing is missing or twice
    assert control.call("GET", f"/miro/faults/{slow['id']}")["hits"] == 2
    assert control.call("GET", f"/faults/{drop['id']}")["hits"] == 1
    assert {r["Status"] for r in health_rows(logs, info)} == {"Success"}
    assert_collected_exactly_once(logs, info, control, entry)


def test_a_window_that_fails_after_its_retries_is_collected_later_without_duplicates(
    info: dict[str, Any], control: Control, sentinel: SentinelArm, pipeline: MiroPipeline, logs: LogsQueryClient
) -> None:
    # Given Miro failing a later page more often than the connector retries (retryCount 3: 4 attempts)
    control.call(
        "POST", "/miro/faults", {"kind": "status", "status": 500, "on": "next_page", "skip": 1, "count": 6}, expect=201
    )
    connect(info, sentinel, pipeline, info["miro_token"])

    # When the window has failed once and three windows are in
    entry = control.wait_for_windows(CONNECTOR, 3)

    # Then a Failure row tells of the 500, the next fetch succeeded, and nothing is missing or twice
    rows = health_rows(logs, info)
    assert rows[0]["Status"] == "Failure" and rows[0]["Reason"] == "ServerError"
    assert rows[0]["ExtendedProperties"]["HttpStatusCode"] == 500
    assert rows[0]["ExtendedProperties"]["PagesCount"] == 2
    assert [r["Status"] for r in rows[1:]] == ["Success"] * (len(rows) - 1)
    assert_collected_exactly_once(logs, info, control, entry)


def test_a_revoked_token_gives_failure_rows_in_sentinel_health_and_no_data(
    info: dict[str, Any], control: Control, sentinel: SentinelArm, pipeline: MiroPipeline, logs: LogsQueryClient
) -> None:
    # Given a connector holding a token the organisation's admin has revoked
    revoked = control.call("POST", "/miro/tokens", {"preset": "revoked"}, expect=201)["token"]
    connect(info, sentinel, pipeline, revoked)

    # When the poller has tried three times
    control.wait_until(lambda: len(health_rows(logs, info)) >= 3, what="three health rows")
    control.call("POST", "/ccf/pause")

    # Then SentinelHealth shows the failure as a customer sees it, and the table is empty
    rows = health_rows(logs, info)
    assert {r["Status"] for r in rows} == {"Failure"}
    row = rows[0]
    assert (row["Reason"], row["SentinelResourceType"], row["SentinelResourceKind"]) == (
        "Unauthorized",
        "Data connector",
        "ApiPolling",
    )
    assert row["SentinelResourceId"].endswith(f"/providers/Microsoft.SecurityInsights/dataConnectors/{CONNECTOR}")
    assert row["WorkspaceId"] == info["workspace_customer_id"]
    assert "HTTP 401: Authentication failed: the access token is missing, invalid or revoked." in row["Description"]
    assert row["ExtendedProperties"]["HttpStatusCode"] == 401
    assert row["ExtendedProperties"]["ErrorCode"] == "unauthorized"
    assert query(logs, info, "MiroAuditLogs_CL | count")[0]["Count"] == 0
    assert control.ccf_connector(CONNECTOR)["state"]["windows_done"] == 0
    text = json.dumps(rows, default=str)
    assert revoked not in text and revoked[:20] not in text


def test_a_token_restored_later_collects_the_windows_missed(
    info: dict[str, Any], control: Control, sentinel: SentinelArm, pipeline: MiroPipeline, logs: LogsQueryClient
) -> None:
    # Given the ready line's token revoked while the connector polls
    control.call("PATCH", "/miro/tokens/default", {"revoked": True})
    connect(info, sentinel, pipeline, info["miro_token"])
    control.wait_until(lambda: len(health_rows(logs, info)) >= 2, what="two failures")

    # When the token works again
    control.call("PATCH", "/miro/tokens/default", {"revoked": False})
    entry = control.wait_for_windows(CONNECTOR, 4)

    # Then the windows of the outage are collected too, once
    assert_collected_exactly_once(logs, info, control, entry)


def test_an_inactive_connector_fetches_nothing_until_it_is_activated(
    info: dict[str, Any], control: Control, sentinel: SentinelArm, pipeline: MiroPipeline, logs: LogsQueryClient
) -> None:
    # Given a connector created inactive, beside an active witness whose revoked token Miro refuses
    body = project_connector(info, pipeline, info["miro_token"])
    body["properties"]["isActive"] = False
    created = sentinel.put("dataConnectors", CONNECTOR, body)
    assert created.status_code == 201
    revoked = control.call("POST", "/miro/tokens", {"preset": "revoked"}, expect=201)["token"]
    witness = {**project_connector(info, pipeline, revoked), "name": WITNESS}
    assert sentinel.put("dataConnectors", WITNESS, witness).status_code == 201

    # When the witness has polled three windows, so the pollers ran while the connector was inactive
    control.wait_until(lambda: fetch_failures(control, WITNESS) >= 3, what="three polls of the witness")

    # Then every call Miro saw was the witness's (refused), and the inactive connector wrote nothing
    statuses = [r["status"] for r in control.call("GET", "/requests?service=miro")["value"]]
    assert len(statuses) >= 3 and set(statuses) == {401}
    assert health_rows(logs, info) == []
    assert not control.ccf_connector(CONNECTOR)["active"]
    assert sentinel.delete("dataConnectors", WITNESS).status_code == 200

    # When it is activated (an update carries the etag and the key)
    body["properties"]["isActive"] = True
    body["etag"] = created.json()["etag"]
    assert sentinel.put("dataConnectors", CONNECTOR, body).status_code == 200

    # Then it collects from its creation on, missing nothing
    entry = control.wait_for_windows(CONNECTOR, 3)
    assert_collected_exactly_once(logs, info, control, entry)


def fetch_failures(control: Control, name: str) -> int:
    state = control.ccf_connector(name)["state"]
    return int(state["failures"]) if state else 0


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_a_restarted_cloud_resumes_each_connector_where_it_stopped(tmp_path: Path) -> None:
    from emulator.server import EmulatorServer

    # Given a connector that has collected two windows when the cloud stops (same state dir and port)
    port = _free_port()
    with EmulatorServer(tmp_path, port=port, time_scale=1200) as server, Clients(dict(server.info)) as first:
        first.control.call("PATCH", "/miro/settings", {"events_per_minute": 60})
        connect(first.info, first.sentinel, deploy_with_definition(first), first.info["miro_token"])
        before = first.control.wait_for_windows(CONNECTOR, 2)["state"]["windows_done"]

    # When it starts again
    with EmulatorServer(tmp_path, port=port, time_scale=1200) as server, Clients(dict(server.info)) as again:
        entry = again.control.wait_for_windows(CONNECTOR, before + 2)

        # Then the same token still works and the windows before and after the restart are in, once
        assert again.info["miro_token"] == first.info["miro_token"]
        assert_collected_exactly_once(again.logs, again.info, again.control, entry)


def test_at_real_speed_advancing_the_clock_makes_the_windows_due(emulator: dict[str, Any]) -> None:
    # Given the session's cloud, whose clock runs at real speed, and a connector just created
    with Clients(emulator) as clients:
        clients.control.call("PATCH", "/miro/settings", {"events_per_minute": 30})
        connect(emulator, clients.sentinel, deploy_with_definition(clients), emulator["miro_token"])

        # When virtual time jumps 16 minutes ahead
        clients.control.call("POST", "/clock/advance", {"seconds": 16 * 60})

        # Then three windows are collected at once, exactly
        entry = clients.control.wait_for_windows(CONNECTOR, 3)
        assert entry["state"]["windows_done"] == 3
        assert_collected_exactly_once(clients.logs, emulator, clients.control, entry)
