"""What installing the Microsoft Sentinel Miro solution from the Content Hub leaves in a workspace.

Many workspaces already hold ``MiroAuditLogs_CL`` this way. The control API's
``POST /_emulator/seed/content-hub-miro`` creates the same resources through the ARM models, as the
solution's deployment does: the table (the solution's 20 columns), a DCE and the DCR
``MiroAuditLogsDCR`` from ``Custom-MiroAuditLogs_CL`` into it. The names, streams and columns are those of
the published solution (``../shared/reference/azure-apis-and-terraform.md`` §4.6); its transform is
written here in our own words with the same output.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from emulator.core.auth import Principal

if TYPE_CHECKING:
    from emulator.cloud import Cloud

__all__ = ["DCE_NAME", "DCR_NAME", "TABLE_NAME", "install_miro_solution"]

TABLE_NAME = "MiroAuditLogs_CL"
DCR_NAME = "MiroAuditLogsDCR"
DCE_NAME = "MiroAuditLogsDCE"
STREAM = "Custom-MiroAuditLogs_CL"

_STRINGS = [
    "event",
    "category",
    "logType",
    "createdBy_email",
    "createdBy_id",
    "createdBy_name",
    "createdBy_type",
    "object_id",
    "object_name",
    "context_ip",
    "context_team_id",
    "context_team_name",
    "context_team_type",
    "context_organization_id",
    "context_organization_name",
    "context_organization_type",
]
_TABLE_COLUMNS = [
    ("TimeGenerated", "datetime"),
    ("id", "string"),
    ("createdAt", "datetime"),
    *((name, "string") for name in _STRINGS),
    ("details", "dynamic"),
]
_STREAM_COLUMNS = [
    *((name, "string") for name in ("id", "event", "category", "type", "createdAt")),
    *((name, "dynamic") for name in ("createdBy", "context", "details", "object")),
]


def _transform() -> str:
    members = {
        "createdBy": ("email", "id", "name", "type"),
        "object": ("id", "name"),
        "context.team": ("id", "name", "type"),
        "context.organization": ("id", "name", "type"),
    }
    parts = [
        f"{path.replace('.', '_')}_{field} = tostring({path}.{field})"
        for path, fields in members.items()
        for field in fields
    ]
    return (
        "source | project TimeGenerated = todatetime(createdAt), id, createdAt = todatetime(createdAt), event, "
        f"category, logType = type, context_ip = tostring(context.ip), {', '.join(parts)}, details"
    )


def install_miro_solution(cloud: Cloud) -> dict[str, Any]:
    """Create the solution's table, DCE and DCR in the seeded workspace as its owner; returns their ids."""
    i = cloud.identity
    owner = Principal(object_id=i.principal_object_id, app_id=i.client_id, tenant_id=i.tenant_id, audience="")
    workspace = cloud.arm.workspaces.get(i.subscription_id, i.resource_group, i.workspace_name)
    table = cloud.arm.tables.create_or_update(
        owner,
        workspace,
        TABLE_NAME,
        {
            "properties": {
                "schema": {"name": TABLE_NAME, "columns": [{"name": n, "type": t} for n, t in _TABLE_COLUMNS]}
            }
        },
    )
    group = f"/subscriptions/{i.subscription_id}/resourceGroups/{i.resource_group}/providers/Microsoft.Insights"
    dce, _ = cloud.arm.endpoints.create_or_update(
        owner, f"{group}/dataCollectionEndpoints/{DCE_NAME}", {"location": i.location, "properties": {}}
    )
    dcr, _ = cloud.arm.rules.create_or_update(
        owner,
        f"{group}/dataCollectionRules/{DCR_NAME}",
        {
            "location": i.location,
            "properties": {
                "dataCollectionEndpointId": dce.id,
                "streamDeclarations": {STREAM: {"columns": [{"name": n, "type": t} for n, t in _STREAM_COLUMNS]}},
                "destinations": {"logAnalytics": [{"workspaceResourceId": workspace.id, "name": "clv2ws1"}]},
                "dataFlows": [
                    {
                        "streams": [STREAM],
                        "destinations": ["clv2ws1"],
                        "transformKql": _transform(),
                        "outputStream": STREAM,
                    }
                ],
            },
        },
    )
    return {"table": table.id, "data_collection_endpoint": dce.id, "data_collection_rule": dcr.id}
