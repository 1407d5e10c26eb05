"""Azure's open questions as switches: the control API, the serve option, and what each variant does."""

from __future__ import annotations

import datetime as dt
import json
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from azure.core.exceptions import HttpResponseError
from azure.mgmt.loganalytics import LogAnalyticsManagementClient
from azure.mgmt.monitor import MonitorManagementClient
from azure.monitor.ingestion import LogsIngestionClient
from azure.monitor.query import LogsQueryClient
from local_cloud import EVENTS_STREAM, EVENTS_TABLE, Http, Pipeline, control_headers, events_rule_body
from part2_cloud import Clients, SentinelArm

from deployer.dcr import bodies
from deployer.dcr.spec import load_spec
from emulator import cli
from emulator.ccf.health import health_row
from emulator.ccf.poller import ConnectorIdentity, FetchReport
from emulator.quirks import QUIRKS, Quirks, parse_quirk_options


@pytest.fixture
def sentinel(emulator: dict[str, Any]) -> Iterator[SentinelArm]:
    with Clients(emulator) as clients:
        yield clients.sentinel


def quirk(http: Http, name: str, variant: str) -> None:
    http.control("PATCH", "/quirks", {name: variant})


# --- the switches themselves -------------------------------------------------------------------------


def test_every_quirk_is_listed_with_its_variants_default_and_doc(http: Http) -> None:
    answer = http.control("GET", "/quirks")["quirks"]
    assert [q["name"] for q in answer] == [q.name for q in QUIRKS]
    for entry in answer:
        assert set(entry) == {"name", "variants", "default", "current", "doc"}
        assert entry["default"] in entry["variants"] and entry["current"] == entry["default"]
        assert len(entry["variants"]) >= 2 and entry["doc"]


def test_a_patch_switches_a_quirk_and_a_reset_switches_it_back(http: Http, cloud: Any) -> None:
    answer = http.control("PATCH", "/quirks", {"table_column_type_casing": "datetime"})["quirks"]
    assert {q["name"]: q["current"] for q in answer}["table_column_type_casing"] == "datetime"
    cloud.reset()
    assert cloud.quirks["table_column_type_casing"] == "dateTime"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"no_such_quirk": "x"}, "unknown quirk 'no_such_quirk'; known: "),
        ({"table_column_type_casing": "DATETIME"}, "variant 'DATETIME' is not one of dateTime, datetime"),
    ],
)
def test_an_unknown_quirk_or_variant_is_refused_and_nothing_changes(
    http: Http, cloud: Any, body: dict[str, str], message: str
) -> None:
    answer = http.session.request(
        "PATCH", http.info["control_endpoint"] + "/quirks", json=body, headers=control_headers(http.info), timeout=30
    )
    assert answer.status_code == 400
    assert message in answer.json()["error"]["message"]
    assert cloud.quirks["table_column_type_casing"] == "dateTime"


def test_quirks_chosen_at_start_are_what_a_reset_returns_to() -> None:
    quirks = Quirks(parse_quirk_options(["miro_credits_per_minute=100000"]))
    quirks.update({"miro_credits_per_minute": "10000"})
    quirks.reset()
    assert quirks["miro_credits_per_minute"] == "100000"


def test_serve_refuses_a_malformed_quirk_option(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["serve", "--quirk", "table_column_type_casing"]) == 2
    assert "error: --quirk 'table_column_type_casing': expected NAME=VARIANT" in capsys.readouterr().err


# --- what each variant does ----------------------------------------------------------------------------


@pytest.mark.parametrize("variant", ["dateTime", "datetime"])
def test_a_table_get_spells_datetime_columns_as_the_quirk_says(
    emulator: dict[str, Any], http: Http, loganalytics: LogAnalyticsManagementClient, pipeline: Pipeline, variant: str
) -> None:
    quirk(http, "table_column_type_casing", variant)
    table = loganalytics.tables.get(emulator["resource_group"], emulator["workspace_name"], EVENTS_TABLE)
    assert {c.name: c.type for c in table.schema.columns}["TimeGenerated"] == variant


@pytest.mark.parametrize(
    ("variant", "parsed"), [("null", False), ("parsed", True)], ids=["colon-less offset is null", "parsed"]
)
def test_todatetime_of_a_colon_less_offset_follows_the_quirk(
    http: Http,
    pipeline: Pipeline,
    ingestion: LogsIngestionClient,
    logs_query: LogsQueryClient,
    emulator: dict[str, Any],
    variant: str,
    parsed: bool,
) -> None:
    quirk(http, "todatetime_colonless_offset", variant)
    sent = dt.datetime.now(dt.UTC).replace(microsecond=0) - dt.timedelta(hours=3)
    record = {"id": "offset", "seq": 1, "props": {}, "createdAt": sent.strftime("%Y-%m-%dT%H:%M:%S+0000")}
    ingestion.upload(pipeline.immutable_id, EVENTS_STREAM, [record])
    rows = logs_query.query_workspace(
        emulator["workspace_customer_id"], f"{EVENTS_TABLE} | project TimeGenerated", timespan=dt.timedelta(days=1)
    ).tables[0]
    [time_generated] = [row[0] for row in rows.rows]
    # Null makes the pipeline fall back to the processing time, hours after the event.
    assert (time_generated == sent) is parsed


DATATABLE = (
    'let known = datatable(code:string)["a"]; '
    "source | extend TimeGenerated = todatetime(createdAt) | project TimeGenerated, id, seq, props"
)


@pytest.mark.parametrize(("variant", "status"), [("refused", 400), ("accepted", 200)])
def test_datatable_in_a_transform_follows_the_quirk(
    emulator: dict[str, Any],
    http: Http,
    monitor: MonitorManagementClient,
    pipeline: Pipeline,
    variant: str,
    status: int,
) -> None:
    quirk(http, "transform_datatable", variant)
    body = events_rule_body(emulator, pipeline.dce_id, transform=DATATABLE)
    answer = http.arm("PUT", pipeline.rule_id, api_version="2023-03-11", body=body)
    assert answer.status_code == status, answer.text
    if status == 400:
        assert answer.json()["error"]["details"][0]["code"] == "InvalidTransformQuery"


@pytest.mark.parametrize(
    ("prefixed", "name", "kind"), [(True, "ApiPolling-Poller", "ApiPolling"), (False, "Poller", "RestApiPoller")]
)
def test_sentinel_health_names_the_poller_as_the_quirk_says(prefixed: bool, name: str, kind: str) -> None:
    now = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    report = FetchReport("Success", "Success", "ok", now, now, events=0, pages=1, attempts=1)
    row = health_row(
        ConnectorIdentity("/c/Poller", "Poller", "RestApiPoller"),
        report,
        workspace_id="ws",
        destination_table="T_CL",
        now=now,
        prefixed=prefixed,
    )
    assert (row["SentinelResourceName"], row["SentinelResourceKind"]) == (name, kind)


DEFINITION = "MiroSentinelAuditLogs"


@pytest.mark.parametrize(("variant", "status"), [("required", 400), ("optional", 200)])
def test_an_update_without_an_etag_follows_the_quirk(
    http: Http, sentinel: SentinelArm, variant: str, status: int
) -> None:
    quirk(http, "connector_update_etag", variant)
    body = bodies.connector_definition_body(load_spec(), definition_name=DEFINITION)
    assert sentinel.put("dataConnectorDefinitions", DEFINITION, body).status_code == 201
    assert sentinel.put("dataConnectorDefinitions", DEFINITION, body).status_code == status
    stale = sentinel.put("dataConnectorDefinitions", DEFINITION, {**body, "etag": '"stale"'})
    assert stale.status_code == 409


@pytest.mark.parametrize(("variant", "refused"), [("strict", True), ("lenient", False)])
def test_an_unsupported_metric_aggregation_follows_the_quirk(
    http: Http, monitor: MonitorManagementClient, pipeline: Pipeline, variant: str, refused: bool
) -> None:
    quirk(http, "dcr_metric_aggregations", variant)

    def read() -> Any:
        return monitor.metrics.list(pipeline.rule_id, metricnames="TransformationErrors_Count", aggregation="Total")

    if not refused:
        assert read().value[0].name.value == "TransformationErrors_Count"
        return
    with pytest.raises(HttpResponseError) as caught:
        read()
    assert caught.value.status_code == 400
    assert "TransformationErrors_Count does not support the requested aggregation type: Total; supported: Count" in (
        caught.value.message
    )


@pytest.mark.parametrize(("variant", "credits"), [("10000", 10_000), ("100000", 100_000)])
def test_miros_budget_follows_the_quirk(http: Http, emulator: dict[str, Any], variant: str, credits: int) -> None:
    quirk(http, "miro_credits_per_minute", variant)
    answer = http.session.get(
        emulator["miro_base_url"] + "/v1/oauth-token",
        headers={"Authorization": f"Bearer {emulator['miro_token']}"},
        timeout=30,
    )
    assert answer.status_code == 200
    assert answer.headers["X-RateLimit-Limit"] == str(credits)


@pytest.mark.parametrize(("variant", "sent"), [("absent", False), ("present", True)])
def test_retry_after_on_miros_429_follows_the_quirk(
    http: Http, emulator: dict[str, Any], variant: str, sent: bool
) -> None:
    quirk(http, "miro_retry_after_on_429", variant)
    http.control("PATCH", "/miro/settings", {"credits_per_minute": 50})  # one token-info call a minute
    headers = {"Authorization": f"Bearer {emulator['miro_token']}"}
    url = emulator["miro_base_url"] + "/v1/oauth-token"
    assert http.session.get(url, headers=headers, timeout=30).status_code == 200
    throttled = http.session.get(url, headers=headers, timeout=30)
    assert throttled.status_code == 429
    assert ("Retry-After" in throttled.headers) is sent


@pytest.mark.slow
def test_serve_starts_with_the_quirks_given_on_its_command_line(tmp_path: Path) -> None:
    process = subprocess.Popen(
        [
            sys.executable, "-m", "emulator", "serve", "--state-dir", str(tmp_path),
            "--quirk", "table_column_type_casing=datetime", "--quirk", "miro_credits_per_minute=100000",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )  # fmt: skip
    try:
        assert process.stdout is not None
        info = json.loads(process.stdout.readline())
        answer = requests.get(
            info["control_endpoint"] + "/quirks", headers=control_headers(info), verify=info["ca_cert"], timeout=30
        ).json()
    finally:
        process.send_signal(signal.SIGTERM)
        process.communicate(timeout=30)
    current = {q["name"]: q["current"] for q in answer["quirks"]}
    assert current["table_column_type_casing"] == "datetime"
    assert current["miro_credits_per_minute"] == "100000"
    assert current["sentinel_health_resource_name"] == "prefixed"
