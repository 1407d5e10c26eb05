"""Helpers for the local cloud's tests: credentials, raw HTTPS, and a small pipeline's bodies."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import requests
from azure.identity import ClientSecretCredential
from azure.monitor.query import LogsQueryClient

from deployer.dcr import spec as dcr_spec
from tests.support import make_credential

ARM = "https://management.azure.com/.default"
MONITOR = "https://monitor.azure.com/.default"
LOGANALYTICS = "https://api.loganalytics.io/.default"
MONITORING_METRICS_PUBLISHER = "3913510d-42f4-4e42-8a64-420c390055eb"


def control_headers(info: dict[str, Any]) -> dict[str, str]:
    """What every control API call needs: the ready line's control token."""
    return {"Authorization": f"Bearer {info['control_token']}"}


class Http:
    """Raw HTTPS to the local cloud (for what no SDK covers: role assignments, the control API, odd bodies)."""

    def __init__(self, info: dict[str, Any], credential: ClientSecretCredential) -> None:
        self.info = info
        self.credential = credential
        self.session = requests.Session()
        self.session.verify = info["ca_cert"]
        self.session.trust_env = False  # else REQUESTS_CA_BUNDLE from the environment overrides verify

    def token(self, scope: str = ARM) -> str:
        return self.credential.get_token(scope).token

    def arm(
        self, method: str, path: str, *, api_version: str | None, body: Any = None, token: str | None = None
    ) -> requests.Response:
        url = self.info["arm_endpoint"] + path
        params = {"api-version": api_version} if api_version else None
        headers = {"Authorization": f"Bearer {token or self.token()}"}
        return self.session.request(method, url, params=params, json=body, headers=headers, timeout=30)

    def control(self, method: str, path: str, body: Any = None) -> Any:
        response = self.session.request(
            method, self.info["control_endpoint"] + path, json=body, headers=control_headers(self.info), timeout=30
        )
        response.raise_for_status()
        return response.json() if response.content else None

    def grant_publisher(self, scope: str, principal_id: str) -> requests.Response:
        """Monitoring Metrics Publisher on ``scope`` for ``principal_id`` (as the seeded owner)."""
        role = (
            f"/subscriptions/{self.info['subscription_id']}/providers/Microsoft.Authorization/roleDefinitions/"
            f"{MONITORING_METRICS_PUBLISHER}"
        )
        return self.arm(
            "PUT",
            f"{scope}/providers/Microsoft.Authorization/roleAssignments/{uuid.uuid4()}",
            api_version="2022-04-01",
            body={
                "properties": {
                    "roleDefinitionId": role,
                    "principalId": principal_id,
                    "principalType": "ServicePrincipal",
                }
            },
        )


#: A small pipeline used by most ingestion and query tests (the project's own DCR is used where it matters).
EVENTS_TABLE = "Events_CL"
EVENTS_STREAM = "Custom-Events"
EVENTS_TRANSFORM = "source | extend TimeGenerated = todatetime(createdAt) | project TimeGenerated, id, seq, props"


def events_table_body() -> dict[str, Any]:
    columns = [
        {"name": "TimeGenerated", "type": "datetime"},
        {"name": "id", "type": "string"},
        {"name": "seq", "type": "long"},
        {"name": "props", "type": "dynamic"},
    ]
    return {"properties": {"schema": {"name": EVENTS_TABLE, "columns": columns}}}


def events_rule_body(info: dict[str, Any], dce_id: str | None, *, transform: str = EVENTS_TRANSFORM) -> dict[str, Any]:
    properties: dict[str, Any] = {
        "streamDeclarations": {
            EVENTS_STREAM: {
                "columns": [
                    {"name": "id", "type": "string"},
                    {"name": "seq", "type": "long"},
                    {"name": "props", "type": "dynamic"},
                    {"name": "createdAt", "type": "string"},
                ]
            }
        },
        "destinations": {"logAnalytics": [{"workspaceResourceId": info["workspace_resource_id"], "name": "la"}]},
        "dataFlows": [
            {
                "streams": [EVENTS_STREAM],
                "destinations": ["la"],
                "transformKql": transform,
                "outputStream": f"Custom-{EVENTS_TABLE}",
            }
        ],
    }
    if dce_id:
        properties["dataCollectionEndpointId"] = dce_id
    return {"location": info["location"], "properties": properties}


@dataclass(frozen=True)
class Pipeline:
    """What ``pipeline`` deployed: the DCE, the DCR and its immutable id."""

    dce_id: str
    rule_id: str
    immutable_id: str


def event(i: int, *, time: str = "") -> dict[str, Any]:
    when = time or dt.datetime.now(dt.UTC).isoformat()
    return {
        "id": f"event-{i}",
        "seq": i,
        "props": {"i": i, "tags": ["a", "b"]},
        "createdAt": when,
        "ignored": "dropped by the stream",
    }


@contextmanager
def signed_in(
    info: dict[str, Any], client_id: str | None = None, secret: str | None = None
) -> Iterator[ClientSecretCredential]:
    """A credential for the seeded client (or another), closed afterwards."""
    credential = make_credential(info, client_id, secret)
    try:
        yield credential
    finally:
        credential.close()


def query_client(info: dict[str, Any], credential: ClientSecretCredential) -> LogsQueryClient:
    """A LogsQueryClient for the local cloud (the audience must be given with a custom endpoint)."""
    return LogsQueryClient(
        credential,
        endpoint=info["query_endpoint"],
        audience="https://api.loganalytics.io",
        connection_verify=info["ca_cert"],
    )


def project_table_body() -> dict[str, Any]:
    """The table from ``dcr/table.json``, as a Tables API body."""
    spec = dcr_spec.load_spec()
    columns = [{"name": c.name, "type": c.type} for c in spec.table.columns]
    return {"properties": {"schema": {"name": spec.table.name, "columns": columns}}}


def project_rule_body(info: dict[str, Any], dce_id: str | None = None) -> dict[str, Any]:
    """The DCR from ``dcr/`` (stream declaration, transform, output table), as a DCR body."""
    spec = dcr_spec.load_spec()
    properties: dict[str, Any] = {
        "streamDeclarations": {
            spec.stream.name: {"columns": [{"name": c.name, "type": c.type} for c in spec.stream.columns]}
        },
        "destinations": {"logAnalytics": [{"workspaceResourceId": info["workspace_resource_id"], "name": "clv2ws1"}]},
        "dataFlows": [
            {
                "streams": [spec.stream.name],
                "destinations": ["clv2ws1"],
                "transformKql": spec.transform,
                "outputStream": spec.output_stream,
            }
        ],
    }
    if dce_id:
        properties["dataCollectionEndpointId"] = dce_id
    return {"location": info["location"], "properties": properties}
