"""Helpers for part 2's tests against a running local cloud: Miro over HTTPS, Sentinel ARM, the pipeline.

The Sentinel calls go through an azure-core pipeline (bearer token policy, no retries), as the
deployer's ARM engine calls what no SDK covers. The Miro pipeline (table, DCE, DCR) is created with
the real management SDKs from the bodies ``deployer.dcr.bodies`` builds.
"""

from __future__ import annotations

import copy
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import requests
from azure.core import PipelineClient
from azure.core.pipeline import policies
from azure.core.pipeline.transport import RequestsTransport
from azure.core.rest import HttpRequest, HttpResponse
from azure.identity import ClientSecretCredential
from azure.mgmt.loganalytics import LogAnalyticsManagementClient
from azure.mgmt.monitor import MonitorManagementClient
from azure.monitor.query import LogsQueryClient
from local_cloud import make_credential

from deployer.dcr import bodies
from deployer.dcr.spec import load_spec
from tests.support import OFFICIAL_MIRO_DIR

SENTINEL_API = "2025-09-01"
TABLE = "MiroAuditLogs_CL"


def session(info: dict[str, Any]) -> requests.Session:
    """A requests session that trusts the local cloud's CA (and ignores proxies from the environment)."""
    s = requests.Session()
    s.verify = info["ca_cert"]
    s.trust_env = False
    return s


class Control:
    """The control API (``/_emulator``)."""

    def __init__(self, info: dict[str, Any]) -> None:
        self.base = info["control_endpoint"]
        self.session = session(info)
        self.session.headers["Authorization"] = f"Bearer {info['control_token']}"

    def close(self) -> None:
        self.session.close()

    def call(self, method: str, path: str, body: Any = None, *, expect: int | None = None) -> Any:
        response = self.session.request(method, self.base + path, json=body, timeout=30)
        if expect is not None:
            assert response.status_code == expect, response.text
        else:
            response.raise_for_status()
        return response.json() if response.content else None

    def ccf_connector(self, name: str) -> dict[str, Any]:
        [entry] = [c for c in self.call("GET", "/ccf")["connectors"] if c["name"] == name]
        return dict(entry)

    def wait_for_windows(self, name: str, count: int, *, timeout: float = 30.0) -> dict[str, Any]:
        """Wait until the connector has fetched ``count`` windows (successfully), then pause the pollers."""
        deadline = time.monotonic() + timeout
        while True:
            entry = self.ccf_connector(name)
            if entry["state"] and entry["state"]["windows_done"] >= count:
                self.call("POST", "/ccf/pause")
                return self.ccf_connector(name)
            assert time.monotonic() < deadline, f"the connector did not fetch {count} windows in time: {entry}"
            time.sleep(0.05)

    def wait_until(self, predicate: Callable[[], bool], *, timeout: float = 30.0, what: str = "the condition") -> None:
        deadline = time.monotonic() + timeout
        while not predicate():
            assert time.monotonic() < deadline, f"timed out waiting for {what}"
            time.sleep(0.05)

    def miro_events(self, after: str, before: str) -> list[dict[str, Any]]:
        response = self.session.get(
            self.base + "/miro/events", params={"createdAfter": after, "createdBefore": before}, timeout=30
        )
        response.raise_for_status()
        events: list[dict[str, Any]] = response.json()["data"]
        return events


class SentinelArm:
    """Sentinel's connector resources over ARM, through an azure-core pipeline."""

    def __init__(self, info: dict[str, Any], credential: ClientSecretCredential) -> None:
        self.info = info
        self.workspace = info["workspace_resource_id"]
        self.client = PipelineClient(
            base_url=info["arm_endpoint"],
            policies=[
                policies.HeadersPolicy(),
                policies.BearerTokenCredentialPolicy(credential, "https://management.azure.com/.default"),
                policies.RetryPolicy(retry_total=0),
            ],
            transport=RequestsTransport(connection_verify=info["ca_cert"]),
        )

    def path(self, kind: str, name: str | None = None) -> str:
        base = f"{self.workspace}/providers/Microsoft.SecurityInsights/{kind}"
        return f"{base}/{name}" if name else base

    def request(
        self, method: str, path: str, body: Any = None, *, api_version: str | None = SENTINEL_API
    ) -> HttpResponse:
        params = {"api-version": api_version} if api_version else {}
        request = HttpRequest(method, self.info["arm_endpoint"] + path, params=params, json=body)
        response = self.client.send_request(request)
        response.read()
        return response

    def put(self, kind: str, name: str, body: Any, **kwargs: Any) -> HttpResponse:
        return self.request("PUT", self.path(kind, name), body, **kwargs)

    def get(self, kind: str, name: str, **kwargs: Any) -> HttpResponse:
        return self.request("GET", self.path(kind, name), **kwargs)

    def delete(self, kind: str, name: str, **kwargs: Any) -> HttpResponse:
        return self.request("DELETE", self.path(kind, name), **kwargs)

    def close(self) -> None:
        self.client.close()


class Clients:
    """Every client a part 2 test uses against one local cloud, closed together."""

    def __init__(self, info: dict[str, Any]) -> None:
        self.info = info
        self.credential = make_credential(info)
        self.control = Control(info)
        self.sentinel = SentinelArm(info, self.credential)
        self.logs = LogsQueryClient(
            self.credential,
            endpoint=info["query_endpoint"],
            audience="https://api.loganalytics.io",
            connection_verify=info["ca_cert"],
            retry_total=0,
        )

    def __enter__(self) -> Clients:
        return self

    def __exit__(self, *exc: object) -> None:
        self.logs.close()
        self.sentinel.close()
        self.control.close()
        self.credential.close()


@dataclass(frozen=True)
class MiroPipeline:
    """What :func:`deploy_pipeline` created: the DCE's logs ingestion endpoint and the DCR."""

    dce_id: str
    logs_ingestion_endpoint: str
    rule_id: str
    immutable_id: str


def deploy_pipeline(info: dict[str, Any], credential: ClientSecretCredential) -> MiroPipeline:
    """``MiroAuditLogs_CL``, a DCE and the project's DCR, created with the SDKs from ``deployer.dcr.bodies``."""
    spec = load_spec()
    group, workspace, location = info["resource_group"], info["workspace_name"], info["location"]
    common = {"base_url": info["arm_endpoint"], "connection_verify": info["ca_cert"], "retry_total": 0}
    with LogAnalyticsManagementClient(credential, info["subscription_id"], polling_interval=0, **common) as la:
        table = bodies.table_body(spec, plan="Analytics", retention_in_days=30, total_retention_in_days=30)
        la.tables.begin_create_or_update(group, workspace, spec.table.name, table).result()
    with MonitorManagementClient(credential, info["subscription_id"], **common) as monitor:
        dce = monitor.data_collection_endpoints.create(group, "dce-miro", bodies.dce_body(location=location, tags={}))
        rule = monitor.data_collection_rules.create(
            group,
            "dcr-miro",
            bodies.dcr_body(
                spec,
                location=location,
                dce_id=dce.id,
                workspace_resource_id=info["workspace_resource_id"],
                tags={},
                token_version="1",
            ),
        )
    assert dce.logs_ingestion is not None and rule.immutable_id is not None
    return MiroPipeline(dce.id, dce.logs_ingestion.endpoint, rule.id, rule.immutable_id)


DEFINITION_NAME = "MiroSentinelAuditLogs"


def project_definition(info: dict[str, Any]) -> dict[str, Any]:
    """The project's connector definition (``dcr/connector/definition.json``)."""
    return bodies.connector_definition_body(load_spec(), definition_name=DEFINITION_NAME)


def project_connector(
    info: dict[str, Any], pipeline: MiroPipeline, token: str, *, definition_name: str = DEFINITION_NAME
) -> dict[str, Any]:
    """The project's poller (``dcr/connector/poller.json``) pointed at the local Miro, holding ``token``."""
    body = bodies.connector_body(
        load_spec(),
        definition_name=definition_name,
        dce_logs_ingestion_endpoint=pipeline.logs_ingestion_endpoint,
        dcr_immutable_id=pipeline.immutable_id,
        miro_api_base_url=info["miro_base_url"],
    )
    body["properties"]["auth"].update(bodies.connector_secret(token)["properties"]["auth"])
    return body


def official(name: str) -> dict[str, Any]:
    """An official Miro solution file, as JSON (the polling config is a one-element list)."""
    data = json.loads((OFFICIAL_MIRO_DIR / name).read_text(encoding="utf-8"))
    return dict(data[0] if isinstance(data, list) else data)


def _arm_body(template: dict[str, Any], location: str) -> dict[str, Any]:
    """A template resource as a PUT body: its ``apiVersion`` and ``type`` are the template's, not the body's."""
    body = {k: v for k, v in copy.deepcopy(template).items() if k not in ("apiVersion", "type")}
    if body.get("location") == "{{location}}":
        body["location"] = location
    return body


def official_definition(info: dict[str, Any]) -> dict[str, Any]:
    return _arm_body(official("MiroAuditLogs_DataConnectorDefinition.json"), info["location"])


def official_connector(info: dict[str, Any], pipeline: MiroPipeline, token: str) -> dict[str, Any]:
    """The official poller, its placeholders filled in and ``apiEndpoint`` pointed at the local Miro."""
    body = _arm_body(official("MiroAuditLogs_PollingConfig.json"), info["location"])
    props = body["properties"]
    props["auth"]["APIKey"] = props["auth"]["APIKey"].replace("{{AccessToken}}", token)
    props["dcrConfig"]["dataCollectionEndpoint"] = pipeline.logs_ingestion_endpoint
    props["dcrConfig"]["dataCollectionRuleImmutableId"] = pipeline.immutable_id
    props["request"]["apiEndpoint"] = props["request"]["apiEndpoint"].replace(
        "https://api.miro.com", info["miro_base_url"]
    )
    return body


def query(client: LogsQueryClient, info: dict[str, Any], text: str) -> list[dict[str, Any]]:
    """Rows of a KQL query on the seeded workspace, as dicts."""
    result = client.query_workspace(info["workspace_customer_id"], text, timespan=None)
    [table] = result.tables  # type: ignore[union-attr]
    return [dict(zip(table.columns, row, strict=True)) for row in table.rows]
