"""The ``SecurityAlert`` rows a scheduled analytics rule writes for one run's results.

Shaped as Microsoft Sentinel writes alerts of scheduled rules: ``ProviderName`` "ASI Scheduled Alerts",
``ProductName`` "Azure Sentinel", ``AlertType`` ``<workspace id>_<rule id>``, the mapped entities as JSON in
``Entities`` (each with ``$id`` and a lower-case ``Type``), custom details and the query's facts in
``ExtendedProperties``, and the alert details a rule overrides from result columns (display name,
description, severity, tactics, remediation steps and the other dynamic properties). ``AlertPerResult``
writes one alert per result row (at most 150 a run); ``SingleAlert`` one for all of them.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

__all__ = ["MAX_ALERTS_PER_RUN", "PROVIDER_NAME", "alert_rows"]

PROVIDER_NAME = "ASI Scheduled Alerts"
MAX_ALERTS_PER_RUN = 150
_FORMAT = re.compile(r"\{\{([^{}]+)\}\}")
#: How Sentinel spells each entity type in ``Entities``.
_ENTITY_TYPE = {
    "Account": "account", "Host": "host", "IP": "ip", "Malware": "malware", "File": "file", "Process": "process",
    "CloudApplication": "cloud-application", "DNS": "dns", "AzureResource": "azure-resource",
    "FileHash": "filehash", "RegistryKey": "registry-key", "RegistryValue": "registry-value",
    "SecurityGroup": "security-group", "URL": "url", "Mailbox": "mailbox", "MailCluster": "mail-cluster",
    "MailMessage": "mail-message", "SubmissionMail": "submission-mail",
}  # fmt: skip


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False, default=_text)
    return str(value)


def _format(template: str, row: Mapping[str, Any]) -> str:
    return _FORMAT.sub(lambda m: _text(row.get(m.group(1).strip())), template)


def _entities(mappings: Sequence[Mapping[str, Any]], rows: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for row in rows:
        for mapping in mappings:
            identifiers = {
                str(f["identifier"]): _text(row.get(str(f["columnName"])))
                for f in mapping.get("fieldMappings") or []
                if _text(row.get(str(f["columnName"])))
            }
            if not identifiers:
                continue
            entity = {**identifiers, "Type": _ENTITY_TYPE.get(str(mapping.get("entityType")), "unknown")}
            if entity not in found:
                found.append(entity)
    return [{"$id": str(i + 2), **e} for i, e in enumerate(found)]


def alert_rows(
    *,
    rule_id: str,
    rule_name: str,
    props: Mapping[str, Any],
    results: Sequence[Mapping[str, Any]],
    at: dt.datetime,
    start: dt.datetime,
    workspace_customer_id: str,
    subscription_id: str,
    resource_group: str,
) -> list[dict[str, Any]]:
    """The ``SecurityAlert`` rows for a run at ``at`` over ``[start, at]`` that returned ``results``."""
    grouping = (props.get("eventGroupingSettings") or {}).get("aggregationKind") or "SingleAlert"
    groups = [[row] for row in results[:MAX_ALERTS_PER_RUN]] if grouping == "AlertPerResult" else [list(results)]
    override = props.get("alertDetailsOverride") or {}
    dynamic = {str(d.get("alertProperty")): str(d.get("value")) for d in override.get("alertDynamicProperties") or []}
    stamp = _text(at)
    rows = []
    for group in groups:
        first = group[0] if group else {}
        details = {
            key: [_text(r.get(str(column))) for r in group]
            for key, column in (props.get("customDetails") or {}).items()
        }
        extended = {
            "Alert generation status": "Full alert created",
            "Analytic Rule Ids": json.dumps([rule_name]),
            "Analytic Rule Name": str(props.get("displayName", "")),
            "Query": str(props.get("query", "")),
            "Query Period": str(props.get("queryPeriod", "")),
            "Query Start Time UTC": _text(start),
            "Query End Time UTC": stamp,
            "Search Query Results Overall Count": str(len(results)),
            "Trigger Operator": str(props.get("triggerOperator", "")),
            "Trigger Threshold": str(props.get("triggerThreshold", "")),
            "ProcessedBySentinel": "True",
        }
        if details:
            extended["Custom Details"] = json.dumps(details, ensure_ascii=False)
        tactics = props.get("tactics") or []
        if override.get("alertTacticsColumnName"):
            tactics = [_text(first.get(str(override["alertTacticsColumnName"])))]
        remedy = _text(first.get(dynamic["RemediationSteps"])) if "RemediationSteps" in dynamic else ""
        name_format, description_format = override.get("alertDisplayNameFormat"), override.get("alertDescriptionFormat")
        severity_column = override.get("alertSeverityColumnName")
        rows.append(
            {
                "TimeGenerated": stamp,
                "DisplayName": _format(str(name_format), first) if name_format else str(props.get("displayName", "")),
                "AlertName": str(props.get("displayName", "")),
                "AlertSeverity": _text(first.get(str(severity_column)))
                if severity_column
                else str(props.get("severity", "")),
                "Description": _format(str(description_format), first)
                if description_format
                else str(props.get("description", "")),
                "ProviderName": _text(first.get(dynamic["ProviderName"]))
                if "ProviderName" in dynamic
                else PROVIDER_NAME,
                "VendorName": "Microsoft",
                "VendorOriginalId": str(uuid.uuid4()),
                "SystemAlertId": str(uuid.uuid4()),
                "ResourceId": "",
                "SourceComputerId": "",
                "AlertType": f"{workspace_customer_id}_{rule_name}",
                "ConfidenceLevel": "Unknown",
                "IsIncident": False,
                "StartTime": _text(start),
                "EndTime": stamp,
                "ProcessingEndTime": stamp,
                "RemediationSteps": json.dumps([remedy], ensure_ascii=False) if remedy else "",
                "ExtendedProperties": json.dumps(extended, ensure_ascii=False),
                "Entities": json.dumps(_entities(props.get("entityMappings") or [], group), ensure_ascii=False),
                "SourceSystem": "Detection",
                "WorkspaceSubscriptionId": subscription_id,
                "WorkspaceResourceGroup": resource_group,
                "ProductName": _text(first.get(dynamic["ProductName"]))
                if "ProductName" in dynamic
                else "Azure Sentinel",
                "ProductComponentName": "Scheduled Alerts",
                "AlertLink": _text(first.get(dynamic["AlertLink"])) if "AlertLink" in dynamic else "",
                "Status": "New",
                "Tactics": ", ".join(str(t) for t in tactics),
                "Techniques": json.dumps(props.get("techniques") or []),
                "SubTechniques": "[]",
            }
        )
    return rows
