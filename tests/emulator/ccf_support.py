"""Helpers for the CCF tests: the project's Miro poller settings (and the official solution's, for the tests
that compare with it), and the local Miro served in process."""

from __future__ import annotations

import copy
import json
from typing import Any
from urllib.parse import urlsplit

from deployer.dcr import bodies
from deployer.dcr.spec import load_spec
from emulator.ccf.poller import HttpResult
from emulator.miro import errors
from emulator.miro.models import MiroBackend
from tests.support import OFFICIAL_MIRO_DIR

DCR = {
    "dataCollectionEndpoint": "https://127.0.0.1:1",
    "dataCollectionRuleImmutableId": "dcr-00000000000000000000000000000000",
    "streamName": "Custom-MiroAuditLogs_CL",
}


def poller_properties(token: str, *, api_endpoint: str = "https://miro.invalid/v2/audit/logs") -> dict[str, Any]:
    """The project's poller properties (``dcr/connector/poller.json``), with the token and ``apiEndpoint``."""
    body = bodies.connector_body(
        load_spec(),
        definition_name="MiroSentinelAuditLogs",
        dce_logs_ingestion_endpoint=DCR["dataCollectionEndpoint"],
        dcr_immutable_id=DCR["dataCollectionRuleImmutableId"],
        miro_api_base_url="https://miro.invalid",
    )
    props: dict[str, Any] = body["properties"]
    props["auth"].update(bodies.connector_secret(token)["properties"]["auth"])
    props["request"]["apiEndpoint"] = api_endpoint
    return props


def official_poller() -> dict[str, Any]:
    """The official solution's RestApiPoller resource (placeholders as published)."""
    [resource] = json.loads((OFFICIAL_MIRO_DIR / "MiroAuditLogs_PollingConfig.json").read_text(encoding="utf-8"))
    return dict(resource)


def official_properties(token: str, *, api_endpoint: str = "https://miro.invalid/v2/audit/logs") -> dict[str, Any]:
    """The official poller's properties with the placeholders filled in."""
    props = copy.deepcopy(official_poller()["properties"])
    props["auth"]["APIKey"] = props["auth"]["APIKey"].replace("{{AccessToken}}", token)
    props["dcrConfig"] = dict(DCR)
    props["request"]["apiEndpoint"] = api_endpoint
    return props


class InProcessMiro:
    """An HttpSend that hands requests to a MiroBackend directly, recording what was asked."""

    def __init__(self, miro: MiroBackend) -> None:
        self.miro = miro
        self.requests: list[dict[str, str]] = []

    def __call__(
        self, method: str, url: str, params: list[tuple[str, str]], headers: dict[str, str], timeout: float
    ) -> HttpResult:
        query = dict(params)
        self.requests.append(query)
        path = urlsplit(url).path
        try:
            if path.endswith("/v1/oauth-token"):
                answer = self.miro.token_info(headers.get("Authorization"))
            else:
                answer = self.miro.audit_logs(headers.get("Authorization"), query)
        except errors.MiroError as error:
            return HttpResult(
                error.status, {k.lower(): v for k, v in error.headers.items()}, json.dumps(error.body()).encode()
            )
        body = answer.body if isinstance(answer.body, bytes) else json.dumps(answer.body).encode()
        return HttpResult(200, {k.lower(): v for k, v in answer.headers.items()}, body)
