"""Serving: the ready line, a clean shutdown, and state that survives a restart."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from local_cloud import (
    EVENTS_STREAM,
    EVENTS_TABLE,
    event,
    events_rule_body,
    events_table_body,
    make_credential,
    query_client,
)

from emulator.ready import ReadyInfo
from emulator.server import EmulatorServer

READY_KEYS = {
    "arm_endpoint", "authority", "tenant_id", "client_id", "client_secret", "principal_object_id",
    "subscription_id", "resource_group", "location", "workspace_name", "workspace_resource_id",
    "workspace_customer_id", "query_endpoint", "ingestion_endpoint", "ca_cert", "control_endpoint", "state_dir",
    "control_token", "miro_base_url", "miro_token", "time_scale", "bound_host", "bound_port",
    "blob_endpoint", "storage_account", "storage_container",
}  # fmt: skip


@pytest.mark.slow
def test_serve_prints_one_ready_line_and_stops_cleanly_on_sigterm(tmp_path: Path) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "emulator", "serve", "--state-dir", str(tmp_path), "--time-scale", "60", "--seed", "7"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        info = json.loads(process.stdout.readline())
        process.send_signal(signal.SIGTERM)
        rest, errors = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()

    assert set(info) == READY_KEYS
    assert ReadyInfo.from_dict(info).to_dict() == info
    assert info["arm_endpoint"].startswith("https://127.0.0.1:")
    assert Path(info["ca_cert"]).is_file()
    assert info["time_scale"] == 60
    assert rest == "", "nothing but the ready line goes to stdout"
    assert process.returncode == 0
    for secret in ("client_secret", "control_token", "miro_token"):
        assert info[secret] not in errors, f"the {secret} is never logged"


def test_the_ids_are_reproducible_with_a_seed(tmp_path: Path) -> None:
    with EmulatorServer(tmp_path / "a", seed=3) as first, EmulatorServer(tmp_path / "b", seed=3) as second:
        same = {
            k
            for k in ("tenant_id", "client_id", "subscription_id", "workspace_customer_id")
            if first.info[k] == second.info[k]
        }

    assert same == {"tenant_id", "client_id", "subscription_id", "workspace_customer_id"}


@pytest.mark.slow
def test_a_restart_with_the_same_state_dir_keeps_resources_and_rows(tmp_path: Path) -> None:
    from azure.mgmt.loganalytics import LogAnalyticsManagementClient
    from azure.mgmt.monitor import MonitorManagementClient
    from azure.monitor.ingestion import LogsIngestionClient
    from local_cloud import Http

    with EmulatorServer(tmp_path) as server:
        info = server.info
        credential = make_credential(info)
        http = Http(info, credential)
        with (
            LogAnalyticsManagementClient(
                credential,
                info["subscription_id"],
                base_url=info["arm_endpoint"],
                connection_verify=info["ca_cert"],
                polling_interval=0,
            ) as la,
            MonitorManagementClient(
                credential, info["subscription_id"], base_url=info["arm_endpoint"], connection_verify=info["ca_cert"]
            ) as monitor,
            LogsIngestionClient(info["ingestion_endpoint"], credential, connection_verify=info["ca_cert"]) as ingestion,
        ):
            la.tables.begin_create_or_update(
                info["resource_group"], info["workspace_name"], EVENTS_TABLE, events_table_body()
            ).result()
            rule = monitor.data_collection_rules.create(
                info["resource_group"], "dcr-restart", events_rule_body(info, None)
            )
            http.grant_publisher(rule.id, info["principal_object_id"]).raise_for_status()
            ingestion.upload(rule.immutable_id, EVENTS_STREAM, [event(i) for i in range(3)])
        http.session.close()
        credential.close()
        clock_before = server.cloud.clock.now()

    with EmulatorServer(tmp_path) as server:
        again = server.info
        credential = make_credential(again)
        with (
            MonitorManagementClient(
                credential, again["subscription_id"], base_url=again["arm_endpoint"], connection_verify=again["ca_cert"]
            ) as monitor,
            query_client(again, credential) as query,
        ):
            kept = monitor.data_collection_rules.get(again["resource_group"], "dcr-restart")
            rows = query.query_workspace(
                again["workspace_customer_id"], f"{EVENTS_TABLE} | summarize count()", timespan=None
            )
        credential.close()
        clock_after = server.cloud.clock.now()

    assert again["client_secret"] == info["client_secret"]
    assert again["workspace_customer_id"] == info["workspace_customer_id"]
    assert kept.immutable_id == rule.immutable_id
    assert rows.tables[0].rows[0][0] == 3
    assert clock_after >= clock_before


def test_ready_info_keys(emulator: dict[str, Any]) -> None:
    assert set(emulator) == READY_KEYS
    assert emulator["control_endpoint"] == emulator["arm_endpoint"] + "/_emulator"
