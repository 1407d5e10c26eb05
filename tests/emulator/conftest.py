"""Clients of the local cloud, configured as a user would: real SDKs, only endpoint, authority and CA set.

SDK retries are off (``retry_total=0``) and LRO polling immediate (``polling_interval=0``), so a test
sees each answer as the service gave it, without waiting.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from azure.identity import ClientSecretCredential
from azure.mgmt.loganalytics import LogAnalyticsManagementClient
from azure.mgmt.monitor import MonitorManagementClient
from azure.monitor.ingestion import LogsIngestionClient
from azure.monitor.query import LogsQueryClient
from local_cloud import EVENTS_TABLE, Http, Pipeline, events_rule_body, events_table_body, make_credential, query_client


@pytest.fixture
def cloud(emulator_server: Any, emulator: dict[str, Any]) -> Any:
    """The running cloud's backends (its clock, store, settings), after the reset ``emulator`` does."""
    return emulator_server.cloud


@pytest.fixture
def credential(emulator: dict[str, Any]) -> Iterator[ClientSecretCredential]:
    credential = make_credential(emulator)
    yield credential
    credential.close()


@pytest.fixture
def loganalytics(
    emulator: dict[str, Any], credential: ClientSecretCredential
) -> Iterator[LogAnalyticsManagementClient]:
    with LogAnalyticsManagementClient(
        credential,
        emulator["subscription_id"],
        base_url=emulator["arm_endpoint"],
        connection_verify=emulator["ca_cert"],
        polling_interval=0,
        retry_total=0,
    ) as client:
        yield client


@pytest.fixture
def monitor(emulator: dict[str, Any], credential: ClientSecretCredential) -> Iterator[MonitorManagementClient]:
    with MonitorManagementClient(
        credential,
        emulator["subscription_id"],
        base_url=emulator["arm_endpoint"],
        connection_verify=emulator["ca_cert"],
        retry_total=0,
    ) as client:
        yield client


@pytest.fixture
def ingestion(emulator: dict[str, Any], credential: ClientSecretCredential) -> Iterator[LogsIngestionClient]:
    with LogsIngestionClient(
        emulator["ingestion_endpoint"], credential, connection_verify=emulator["ca_cert"], retry_total=0
    ) as client:
        yield client


@pytest.fixture
def logs_query(emulator: dict[str, Any], credential: ClientSecretCredential) -> Iterator[LogsQueryClient]:
    with query_client(emulator, credential) as client:
        yield client


@pytest.fixture
def http(emulator: dict[str, Any], credential: ClientSecretCredential) -> Iterator[Http]:
    client = Http(emulator, credential)
    yield client
    client.session.close()


@pytest.fixture
def pipeline(
    emulator: dict[str, Any], loganalytics: LogAnalyticsManagementClient, monitor: MonitorManagementClient, http: Http
) -> Pipeline:
    """``Events_CL``, a DCE, a DCR from ``Custom-Events`` into it, and Monitoring Metrics Publisher for the seeded client."""
    group, workspace = emulator["resource_group"], emulator["workspace_name"]
    loganalytics.tables.begin_create_or_update(group, workspace, EVENTS_TABLE, events_table_body()).result()
    dce = monitor.data_collection_endpoints.create(group, "dce-events", {"location": emulator["location"]})
    rule = monitor.data_collection_rules.create(group, "dcr-events", events_rule_body(emulator, dce.id))
    assert http.grant_publisher(rule.id, emulator["principal_object_id"]).status_code == 201
    return Pipeline(dce.id, rule.id, rule.immutable_id)
