"""ARM request bodies for every resource the pipeline owns, built from ``dcr/``.

The ``arm`` engine sends exactly these; the Terraform module renders the same bodies in its
provider-free ``bodies`` module, and ``tests/terraform/test_body_equality.py`` proves the two agree.
Keep the construction here small and obvious: names and ids in, wire JSON out.

The Miro token never appears in a body from this module except through :func:`connector_secret`,
which the engines merge in at send time (Terraform: ``sensitive_body``, a write-only argument).
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Mapping
from typing import Any

from deployer.dcr.spec import DcrSpec

__all__ = [
    "DCR_DESTINATION_NAME",
    "MANAGED_BY_TAG",
    "MONITORING_METRICS_PUBLISHER_ROLE_ID",
    "TOKEN_VERSION_TAG",
    "connector_body",
    "connector_definition_body",
    "connector_secret",
    "dce_body",
    "dcr_body",
    "render_template",
    "role_assignment_body",
    "role_assignment_name",
    "role_definition_id",
    "table_body",
]

#: Built-in role that allows sending data to a DCR through the Logs Ingestion API.
MONITORING_METRICS_PUBLISHER_ROLE_ID = "3913510d-42f4-4e42-8a64-420c390055eb"

#: The name of the DCR's Log Analytics destination (local to the DCR).
DCR_DESTINATION_NAME = "sentinelWorkspace"

#: Tag on the DCE and DCR that marks them as ours, so the health report can tell our feed from others.
MANAGED_BY_TAG = {"managed-by": "miro-sentinel"}

#: Tag on the DCR holding ``miro.token_version``: the token cannot be read back, its version can.
TOKEN_VERSION_TAG = "miro-sentinel-token-version"

_PLACEHOLDER = re.compile(r"\$\{([a-z_][a-z0-9_]*)\}")
_UNSAFE = re.compile(r'["\\\x00-\x1f]')


def render_template(text: str, values: Mapping[str, str]) -> Any:
    """Fill ``${name}`` placeholders (as Terraform's ``templatefile`` does) and parse the JSON.

    Values are inserted verbatim, so they must not need JSON escaping; names, ids and URLs never do.

    :raises ValueError: a placeholder has no value, or a value would need escaping.
    """

    def fill(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in values:
            raise ValueError(f"template placeholder ${{{name}}} has no value")
        value = values[name]
        if _UNSAFE.search(value):
            raise ValueError(f"template value for {name} contains a quote, backslash or control character")
        return value

    return json.loads(_PLACEHOLDER.sub(fill, text))


def _tags(extra: Mapping[str, str]) -> dict[str, str]:
    return {**extra, **MANAGED_BY_TAG}


def table_body(spec: DcrSpec, *, plan: str, retention_in_days: int, total_retention_in_days: int) -> dict[str, Any]:
    """``Microsoft.OperationalInsights/workspaces/tables`` (api-version 2025-07-01).

    A retention of -1 means Azure's default (the workspace's retention; for the total, the retention),
    so the property is left out. ``retentionInDays`` is read-only for Basic and Auxiliary tables (always
    30 days), so it is sent for Analytics tables only.
    """
    properties: dict[str, Any] = {
        "schema": {
            "name": spec.table.name,
            "description": spec.table.description,
            "columns": [{"name": c.name, "type": c.type, "description": c.description} for c in spec.table.columns],
        },
        "plan": plan,
    }
    if plan == "Analytics" and retention_in_days != -1:
        properties["retentionInDays"] = retention_in_days
    if total_retention_in_days != -1:
        properties["totalRetentionInDays"] = total_retention_in_days
    return {"properties": properties}


def dce_body(*, location: str, tags: Mapping[str, str]) -> dict[str, Any]:
    """``Microsoft.Insights/dataCollectionEndpoints`` (api-version 2023-03-11)."""
    return {
        "location": location,
        "tags": _tags(tags),
        "properties": {
            "description": "Logs ingestion endpoint for Miro audit events (miro-sentinel).",
            "networkAcls": {"publicNetworkAccess": "Enabled"},
        },
    }


def dcr_body(
    spec: DcrSpec,
    *,
    location: str,
    dce_id: str,
    workspace_resource_id: str,
    tags: Mapping[str, str],
    token_version: str,
) -> dict[str, Any]:
    """``Microsoft.Insights/dataCollectionRules`` (api-version 2023-03-11), DCE-based as CCF requires.

    ``token_version`` goes in a tag: the connector's token cannot be read back, its version can.
    """
    return {
        "location": location,
        "tags": {**_tags(tags), TOKEN_VERSION_TAG: token_version},
        "properties": {
            "description": "Miro audit events into the custom table (miro-sentinel).",
            "dataCollectionEndpointId": dce_id,
            "streamDeclarations": {
                spec.stream.name: {"columns": [{"name": c.name, "type": c.type} for c in spec.stream.columns]}
            },
            "destinations": {
                "logAnalytics": [{"workspaceResourceId": workspace_resource_id, "name": DCR_DESTINATION_NAME}]
            },
            "dataFlows": [
                {
                    "streams": [spec.stream.name],
                    "destinations": [DCR_DESTINATION_NAME],
                    "transformKql": spec.transform,
                    "outputStream": spec.output_stream,
                }
            ],
        },
    }


def connector_definition_body(spec: DcrSpec, *, definition_name: str) -> dict[str, Any]:
    """``Microsoft.SecurityInsights/dataConnectorDefinitions`` kind ``Customizable`` (api-version 2025-09-01)."""
    body: dict[str, Any] = render_template(
        spec.template("definition.json"),
        {"connector_definition_name": definition_name, "table_name": spec.table.name},
    )
    return body


def connector_body(
    spec: DcrSpec,
    *,
    definition_name: str,
    dce_logs_ingestion_endpoint: str,
    dcr_immutable_id: str,
    miro_api_base_url: str,
) -> dict[str, Any]:
    """``Microsoft.SecurityInsights/dataConnectors`` kind ``RestApiPoller``, without the token."""
    body: dict[str, Any] = render_template(
        spec.template("poller.json"),
        {
            "connector_definition_name": definition_name,
            "dce_logs_ingestion_endpoint": dce_logs_ingestion_endpoint,
            "dcr_immutable_id": dcr_immutable_id,
            "stream_name": spec.stream.name,
            "miro_api_base_url": miro_api_base_url.rstrip("/"),
        },
    )
    return body


def connector_secret(token: str) -> dict[str, Any]:
    """The write-only part of the connector body; merged into :func:`connector_body` at send time."""
    return {"properties": {"auth": {"APIKey": f"Bearer {token}"}}}


def role_definition_id(subscription_id: str, role_id: str = MONITORING_METRICS_PUBLISHER_ROLE_ID) -> str:
    return f"/subscriptions/{subscription_id}/providers/Microsoft.Authorization/roleDefinitions/{role_id}"


def role_assignment_name(scope: str, principal_id: str, role_id: str = MONITORING_METRICS_PUBLISHER_ROLE_ID) -> str:
    """A stable GUID for (scope, principal, role), the same as Terraform's ``uuidv5("url", ...)``."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"{scope.lower()}|{principal_id.lower()}|{role_id.lower()}"))


def role_assignment_body(*, subscription_id: str, principal_id: str, principal_type: str) -> dict[str, Any]:
    """``Microsoft.Authorization/roleAssignments`` (api-version 2022-04-01): Monitoring Metrics Publisher.

    An empty ``principal_type`` is left out: Azure then works the type out itself (a wrong one is refused
    with 400 ``UnmatchedPrincipalType``).
    """
    properties = {"roleDefinitionId": role_definition_id(subscription_id), "principalId": principal_id}
    if principal_type:
        properties["principalType"] = principal_type
    return {"properties": properties}
