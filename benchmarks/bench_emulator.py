"""The local cloud: ingestion throughput and health-query latency, with the real Azure SDK clients.

* ``ingest_rows_per_s``: Miro-shaped records through ``LogsIngestionClient.upload`` (chunked, gzipped
  1 MiB calls) into the DCR built from ``dcr/`` (stream declaration, transform, table), until a query
  counts them all. The server runs as ``python -m emulator serve`` in its own process, as in the demo,
  so the client and the server each have a core.
* ``query_*_ms``: the health report's queries over a ``MiroAuditLogs_CL`` table of 1,000,000 rows
  (``--quick``: 100,000), through ``LogsQueryClient.query_workspace``; median of several runs.
"""

from __future__ import annotations

import datetime as dt
import json
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator, MutableMapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any, cast

from azure.core.rest import HttpRequest
from azure.identity import ClientSecretCredential
from azure.mgmt.loganalytics import LogAnalyticsManagementClient
from azure.mgmt.monitor import MonitorManagementClient
from azure.monitor.ingestion import LogsIngestionClient
from azure.monitor.query import LogsQueryClient

from benchmarks import Result
from deployer.dcr import spec as dcr_spec
from emulator.server import EmulatorServer

MONITORING_METRICS_PUBLISHER = "3913510d-42f4-4e42-8a64-420c390055eb"
QUERY_RUNS = 7


@contextmanager
def _served(state_dir: Path) -> Iterator[dict[str, Any]]:
    """``python -m emulator serve`` in a child process; yields its ready line."""
    process = subprocess.Popen(
        [sys.executable, "-m", "emulator", "serve", "--state-dir", str(state_dir), "--log-level", "WARNING"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        if not line:
            raise RuntimeError("the emulator exited before it was ready")
        yield json.loads(line)
    finally:
        process.terminate()
        process.wait(timeout=60)
        if process.stdout is not None:
            process.stdout.close()


def _credential(info: dict[str, Any]) -> ClientSecretCredential:
    return ClientSecretCredential(
        info["tenant_id"],
        info["client_id"],
        info["client_secret"],
        authority=info["authority"],
        disable_instance_discovery=True,
        connection_verify=info["ca_cert"],
    )


def _deploy(info: dict[str, Any], credential: ClientSecretCredential) -> str:
    """Table, DCE, DCR and role from ``dcr/``; returns the DCR's immutable id."""
    spec = dcr_spec.load_spec()
    ca, group, workspace = info["ca_cert"], info["resource_group"], info["workspace_name"]
    with LogAnalyticsManagementClient(
        credential, info["subscription_id"], base_url=info["arm_endpoint"], connection_verify=ca, polling_interval=0
    ) as la:
        columns = [{"name": c.name, "type": c.type} for c in spec.table.columns]
        la.tables.begin_create_or_update(
            group, workspace, spec.table.name, {"properties": {"schema": {"name": spec.table.name, "columns": columns}}}
        ).result()
    with MonitorManagementClient(
        credential, info["subscription_id"], base_url=info["arm_endpoint"], connection_verify=ca
    ) as monitor:
        # The SDK serializes plain dicts; its overloads only name models and streams.
        dce = monitor.data_collection_endpoints.create(group, "dce-bench", cast(Any, {"location": info["location"]}))
        rule = monitor.data_collection_rules.create(
            group,
            "dcr-bench",
            cast(
                Any,
                {
                    "location": info["location"],
                    "properties": {
                        "dataCollectionEndpointId": dce.id,
                        "streamDeclarations": {
                            spec.stream.name: {
                                "columns": [{"name": c.name, "type": c.type} for c in spec.stream.columns]
                            }
                        },
                        "destinations": {
                            "logAnalytics": [{"workspaceResourceId": info["workspace_resource_id"], "name": "la"}]
                        },
                        "dataFlows": [
                            {
                                "streams": [spec.stream.name],
                                "destinations": ["la"],
                                "transformKql": spec.transform,
                                "outputStream": spec.output_stream,
                            }
                        ],
                    },
                },
            ),
        )
        role = f"/subscriptions/{info['subscription_id']}/providers/Microsoft.Authorization/roleDefinitions/{MONITORING_METRICS_PUBLISHER}"
        request = HttpRequest(
            "PUT",
            f"{info['arm_endpoint']}{rule.id}/providers/Microsoft.Authorization/roleAssignments/{uuid.uuid4()}"
            "?api-version=2022-04-01",
            json={"properties": {"roleDefinitionId": role, "principalId": info["principal_object_id"]}},
        )
        monitor._client.send_request(request).raise_for_status()
        return str(rule.immutable_id)


def _events(count: int) -> list[MutableMapping[str, Any]]:
    """Miro-shaped audit events (from the dcr/ samples), each with its own id and a recent createdAt."""
    samples = [dict(e) for s in dcr_spec.load_spec().samples for e in s.events]
    now = dt.datetime.now(dt.UTC)
    events: list[MutableMapping[str, Any]] = []
    for i in range(count):
        event = json.loads(json.dumps(samples[i % len(samples)]))
        event["id"] = f"bench-{i}"
        event["createdAt"] = (now - dt.timedelta(milliseconds=i)).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
        events.append(event)
    return events


def _count(query: LogsQueryClient, info: dict[str, Any]) -> int:
    result = query.query_workspace(info["workspace_customer_id"], "MiroAuditLogs_CL | count", timespan=None)
    return int(result.tables[0].rows[0][0])  # type: ignore[union-attr]


def _ingestion(quick: bool) -> list[Result]:
    rows = 20_000 if quick else 100_000
    with tempfile.TemporaryDirectory() as tmp, _served(Path(tmp)) as info:
        credential = _credential(info)
        immutable_id = _deploy(info, credential)
        spec = dcr_spec.load_spec()
        events = _events(rows)
        with (
            LogsIngestionClient(info["ingestion_endpoint"], credential, connection_verify=info["ca_cert"]) as ingestion,
            LogsQueryClient(
                credential,
                endpoint=info["query_endpoint"],
                audience="https://api.loganalytics.io",
                connection_verify=info["ca_cert"],
            ) as query,
        ):
            ingestion.upload(immutable_id, spec.stream.name, events[:100])  # warm up: connections, token, plan
            warm = _count(query, info)
            started = time.perf_counter()
            ingestion.upload(immutable_id, spec.stream.name, events)
            accepted = time.perf_counter() - started
            stored = _count(query, info) - warm
            elapsed = time.perf_counter() - started
        credential.close()
    if stored != rows:
        raise RuntimeError(f"sent {rows} rows, the table has {stored}")
    return [
        Result(
            "ingest_rows_per_s",
            rows / elapsed,
            "rows/s",
            f"{rows:,} rows, upload + transform + store",
            at_least=60_000,
        ),
        Result(
            "ingest_accept_rows_per_s", rows / accepted, "rows/s", "until the last 204 (before the pipeline drains)"
        ),
    ]


def _queries(quick: bool) -> list[Result]:
    rows = 100_000 if quick else 1_000_000
    with tempfile.TemporaryDirectory() as tmp, EmulatorServer(tmp) as server:
        info = server.info
        credential = _credential(info)
        _deploy(info, credential)
        cloud = server.cloud
        assert cloud is not None
        table = cloud.logs.table(info["workspace_customer_id"], "MiroAuditLogs_CL")
        assert table is not None
        now = cloud.clock.now().replace(tzinfo=None)
        # One row a second over the last `rows` seconds, so `ago(1h)` selects 3,600 of them.
        generated = ", ".join(
            f"TIMESTAMP '{now.isoformat(sep=' ')}' - to_seconds(i)" if c.name in ("TimeGenerated", "createdAt")
            else ("'bench-' || i" if c.type == "string" else "NULL")
            for c in table.columns
        )  # fmt: skip
        with cloud.schema_lock:
            cloud.logs.insert_select(table, f"SELECT {generated} FROM range({rows}) t(i)", {}, visible_at=now)
        queries = {
            "query_last_hour_count_ms": "MiroAuditLogs_CL | where TimeGenerated > ago(1h) | summarize count()",
            "query_last_data_received_ms": "MiroAuditLogs_CL | summarize Time = max(TimeGenerated) | where isnotempty(Time)",
        }
        results = []
        with LogsQueryClient(
            credential,
            endpoint=info["query_endpoint"],
            audience="https://api.loganalytics.io",
            connection_verify=info["ca_cert"],
        ) as query:
            for name, text in queries.items():
                timings = []
                for _ in range(QUERY_RUNS):
                    started = time.perf_counter()
                    query.query_workspace(info["workspace_customer_id"], text, timespan=None)
                    timings.append((time.perf_counter() - started) * 1000)
                results.append(Result(name, statistics.median(timings), "ms", f"median of {QUERY_RUNS}, {rows:,} rows"))
        credential.close()
    return results


def run(quick: bool) -> list[Result]:
    return _ingestion(quick) + _queries(quick)
