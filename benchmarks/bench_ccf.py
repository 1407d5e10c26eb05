"""The CCF poller end to end: Miro -> poller -> Logs Ingestion -> DCR transform -> MiroAuditLogs_CL.

Two figures, each on a fresh local cloud with the project's own connector (``deployer.dcr.bodies``):

* **Throughput at a generous rate limit**: a backlog of 5-minute windows is left to pile up while the
  pollers are paused, then collected as fast as the poller goes (Miro's budget out of the way, the
  clock fast enough that windows are never what it waits for). Events per real second, from resume
  until the last window of the backlog is in the table.
* **Budget as the bottleneck**: Miro allows a small credit budget per (virtual) minute and the poller
  has far more pages to fetch than it allows. How many credits it spends per minute, as a share of the
  budget, over whole minutes, and how many calls Miro refused with 429.
"""

from __future__ import annotations

import datetime as dt
import tempfile
import time
from typing import Any

import requests
from azure.identity import ClientSecretCredential
from azure.mgmt.loganalytics import LogAnalyticsManagementClient

from benchmarks import Result
from deployer.dcr import bodies
from deployer.dcr.spec import load_spec
from emulator.server import EmulatorServer

_DEFINITION = "MiroSentinelAuditLogs"
_CONNECTOR = "MiroSentinelAuditLogs"
_SENTINEL = "/providers/Microsoft.SecurityInsights"


class _Cloud:
    """One local cloud with the Miro pipeline and connector deployed over ARM."""

    def __init__(self, server: EmulatorServer) -> None:
        self.info = server.info
        self.http = requests.Session()
        self.http.verify = self.info["ca_cert"]
        self.http.trust_env = False
        self.control_headers = {"Authorization": f"Bearer {self.info['control_token']}"}
        self.credential = ClientSecretCredential(
            self.info["tenant_id"],
            self.info["client_id"],
            self.info["client_secret"],
            authority=self.info["authority"],
            disable_instance_discovery=True,
            connection_verify=self.info["ca_cert"],
        )

    def control(self, method: str, path: str, body: Any = None) -> Any:
        answer = self.http.request(
            method, self.info["control_endpoint"] + path, json=body, headers=self.control_headers, timeout=60
        )
        answer.raise_for_status()
        return answer.json() if answer.content else None

    def arm_put(self, path: str, body: Any, api_version: str = "2025-09-01") -> dict[str, Any]:
        token = self.credential.get_token("https://management.azure.com/.default").token
        answer = self.http.put(
            self.info["arm_endpoint"] + path,
            params={"api-version": api_version},
            json=body,
            headers={"Authorization": f"Bearer {token}"},
            timeout=60,
        )
        if answer.status_code >= 300:
            raise RuntimeError(f"PUT {path}: {answer.status_code} {answer.text}")
        result: dict[str, Any] = answer.json()
        return result

    def deploy(self) -> None:
        info, spec = self.info, load_spec()
        group, location = info["resource_group"], info["location"]
        sdk = {"base_url": info["arm_endpoint"], "connection_verify": info["ca_cert"], "retry_total": 0}
        with LogAnalyticsManagementClient(self.credential, info["subscription_id"], polling_interval=0, **sdk) as la:
            table = bodies.table_body(spec, plan="Analytics", retention_in_days=30, total_retention_in_days=30)
            la.tables.begin_create_or_update(group, info["workspace_name"], spec.table.name, table).result()
        insights = f"/subscriptions/{info['subscription_id']}/resourceGroups/{group}/providers/Microsoft.Insights"
        dce = self.arm_put(
            f"{insights}/dataCollectionEndpoints/dce-bench", bodies.dce_body(location=location, tags={}), "2023-03-11"
        )
        dcr = bodies.dcr_body(
            spec,
            location=location,
            dce_id=dce["id"],
            workspace_resource_id=info["workspace_resource_id"],
            tags={},
            token_version="1",
        )
        rule = self.arm_put(f"{insights}/dataCollectionRules/dcr-bench", dcr, "2023-03-11")
        workspace = info["workspace_resource_id"] + _SENTINEL
        self.arm_put(
            f"{workspace}/dataConnectorDefinitions/{_DEFINITION}",
            bodies.connector_definition_body(spec, definition_name=_DEFINITION),
        )
        connector = bodies.connector_body(
            spec,
            definition_name=_DEFINITION,
            dce_logs_ingestion_endpoint=dce["properties"]["logsIngestion"]["endpoint"],
            dcr_immutable_id=rule["properties"]["immutableId"],
            miro_api_base_url=info["miro_base_url"],
        )
        connector["properties"]["auth"].update(bodies.connector_secret(info["miro_token"])["properties"]["auth"])
        self.arm_put(f"{workspace}/dataConnectors/{_CONNECTOR}", connector)

    def connector(self) -> dict[str, Any]:
        [entry] = self.control("GET", "/ccf")["connectors"]
        return dict(entry)

    def close(self) -> None:
        self.credential.close()
        self.http.close()


def _clock(cloud: _Cloud) -> dt.datetime:
    return dt.datetime.fromisoformat(cloud.control("GET", "/clock")["now"])


def _throughput(quick: bool) -> list[Result]:
    windows = 12 if quick else 36
    scale = 3600.0
    with tempfile.TemporaryDirectory() as tmp, EmulatorServer(tmp, time_scale=scale) as server:
        cloud = _Cloud(server)
        cloud.control("PATCH", "/miro/settings", {"events_per_minute": 600, "credits_per_minute": 1_000_000_000})
        cloud.control("POST", "/ccf/pause")
        cloud.deploy()
        origin = dt.datetime.fromisoformat(cloud.connector()["collected_from"])
        target = origin + dt.timedelta(minutes=5 * windows)
        while _clock(cloud) < target:  # let the backlog pile up
            time.sleep(0.05)
        start = time.perf_counter()
        cloud.control("POST", "/ccf/resume")
        while cloud.connector()["state"]["windows_done"] < windows:
            time.sleep(0.01)
        cloud.control("POST", "/ccf/pause")
        entry = cloud.connector()
        cloud.control("POST", "/flush")
        elapsed = time.perf_counter() - start
        state = entry["state"]
        cloud.close()
    events, pages = state["total_events"], state["total_pages"]
    return [
        Result(
            "CCF collection, generous rate limit",
            events / elapsed,
            "events/s",
            f"{events:,} events in {pages:,} pages of 100, {state['windows_done']} windows, {elapsed:.1f} s to table",
        ),
        Result(
            "CCF pages fetched and ingested", pages / elapsed, "pages/s", "one HTTPS call to Miro + one ingestion each"
        ),
    ]


def _budget(quick: bool) -> list[Result]:
    scale = 60.0  # a Miro minute is one real second
    budget = 2_000  # credits per minute: 20 audit-log calls
    minutes = 6 if quick else 15
    with tempfile.TemporaryDirectory() as tmp, EmulatorServer(tmp, time_scale=scale) as server:
        cloud = _Cloud(server)
        cloud.control("PATCH", "/miro/settings", {"events_per_minute": 2_000, "credits_per_minute": budget})
        cloud.control("POST", "/ccf/pause")
        cloud.deploy()
        origin = dt.datetime.fromisoformat(cloud.connector()["collected_from"])
        while _clock(cloud) < origin + dt.timedelta(minutes=10):  # two windows of ~100 pages each
            time.sleep(0.05)
        cloud.control("DELETE", "/requests")
        cloud.control("POST", "/ccf/resume")
        first = _clock(cloud).replace(second=0, microsecond=0) + dt.timedelta(minutes=1)
        last = first + dt.timedelta(minutes=minutes)
        while _clock(cloud) < last + dt.timedelta(seconds=1):
            time.sleep(0.1)
        cloud.control("POST", "/ccf/pause")
        records = cloud.control("GET", "/requests?service=miro")["value"]
        cloud.close()
    inside = [r for r in records if first <= dt.datetime.fromisoformat(r["time"]) < last]
    served = sum(1 for r in inside if r["status"] == 200)
    refused = sum(1 for r in inside if r["status"] == 429)
    per_minute = served * 100 / minutes
    return [
        Result(
            "CCF against a Miro credit budget",
            100 * per_minute / budget,
            "% of budget",
            f"{per_minute:,.0f} of {budget:,} credits per minute over {minutes} whole minutes; {refused} calls refused with 429",
        )
    ]


def run(quick: bool) -> list[Result]:
    return _throughput(quick) + _budget(quick)
