"""ARM bodies of our Sentinel content, built from ``content/`` and the placeholder values.

The content files hold the ARM properties as they are sent; what is added here is only what depends on
the deployment: whether a rule is enabled, where a metric alert looks, the workbook's name, place and tags.
``terraform/modules/bodies`` builds the same bodies, and ``tests/terraform/test_body_equality.py`` proves it.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from deployer.content.spec import ContentSpec, Template, fill, load_content, render
from deployer.content.values import content_values
from deployer.dcr.bodies import MANAGED_BY_TAG
from deployer.errors import InputError
from deployer.provision import Target
from deployer.validation import VALIDATION_CATEGORY

__all__ = [
    "ALERT_RULES_API",
    "METRIC_ALERTS_API",
    "SAVED_SEARCHES_API",
    "WORKBOOKS_API",
    "WORKBOOK_CATEGORY",
    "ContentBodies",
    "content_bodies",
    "deployment_content",
    "metric_alert_name",
    "workbook_name",
]

ALERT_RULES_API = "2025-09-01"
SAVED_SEARCHES_API = "2025-07-01"
WORKBOOKS_API = "2023-06-01"
METRIC_ALERTS_API = "2018-03-01"

#: Workbooks shown under Microsoft Sentinel > Workbooks carry this category.
WORKBOOK_CATEGORY = "sentinel"
WORKBOOK_DISPLAY_NAME = "Miro audit logs (miro-sentinel)"


@dataclass(frozen=True)
class ContentBodies:
    """Every content resource's ARM name and body, keyed by the file's key."""

    alert_rules: Mapping[str, tuple[str, dict[str, Any]]]
    metric_alerts: Mapping[str, tuple[str, dict[str, Any]]]
    hunting_queries: Mapping[str, tuple[str, dict[str, Any]]]
    workbook: tuple[str, dict[str, Any]]


def workbook_name(workspace_resource_id: str, workbook_id: str) -> str:
    """The workbook's resource name, a UUID (Azure requires one): stable per workspace, like Terraform's ``uuidv5``."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"{workspace_resource_id.lower()}|{workbook_id.lower()}"))


def metric_alert_name(dcr_name: str, alert: str) -> str:
    return f"{dcr_name}-{alert}"


def _id(template: Template, doc: Mapping[str, Any], key: str = "id") -> str:
    value = doc.get(key)
    if not isinstance(value, str) or not value:
        raise InputError(f"{template.path}: '{key}' must be a non-empty string", path=str(template.path))
    return value


def _properties(template: Template, doc: Mapping[str, Any]) -> dict[str, Any]:
    props = doc.get("properties")
    if not isinstance(props, dict):
        raise InputError(f"{template.path}: 'properties' must be a mapping", path=str(template.path))
    if "enabled" in props:
        raise InputError(
            f"{template.path}: 'properties.enabled' is set by the settings (content.enabled, content.disabled_rules)",
            path=str(template.path),
        )
    return dict(props)


def content_bodies(
    spec: ContentSpec,
    values: Mapping[str, str],
    *,
    enabled: bool,
    disabled_rules: tuple[str, ...],
    dcr_resource_id: str,
    workspace_resource_id: str,
    location: str,
    tags: Mapping[str, str],
) -> ContentBodies:
    """The bodies for one deployment.

    :param tags: the tags of the deployment's tagged resources (workbook, metric alerts).
    """
    unknown = sorted(set(disabled_rules) - set(spec.rule_keys))
    if unknown:
        raise InputError(
            f"content.disabled_rules names no rule: {', '.join(unknown)} (known: {', '.join(spec.rule_keys)})"
        )

    def on(key: str) -> bool:
        return enabled and key not in disabled_rules

    rules: dict[str, tuple[str, dict[str, Any]]] = {}
    for template in spec.rules:
        doc = render(template, values)
        kind = _id(template, doc, "kind")
        rules[template.key] = (
            _id(template, doc),
            {"kind": kind, "properties": {**_properties(template, doc), "enabled": on(template.key)}},
        )
    alerts: dict[str, tuple[str, dict[str, Any]]] = {}
    for template in spec.metric_alerts:
        doc = render(template, values)
        props = _properties(template, doc)
        name = metric_alert_name(values["dcr_name"], _id(template, doc, "name"))
        alerts[template.key] = (
            name,
            {
                "location": "global",
                "tags": dict(tags),
                "properties": {**props, "enabled": on(template.key), "scopes": [dcr_resource_id]},
            },
        )
    hunting: dict[str, tuple[str, dict[str, Any]]] = {}
    for template in spec.hunting:
        doc = render(template, values)
        hunting[template.key] = (_id(template, doc), {"properties": _properties(template, doc)})
    wb = spec.workbook
    serialized = fill(wb, values)
    render(wb, values)  # valid JSON once filled, or InputError naming the line
    workbook = (
        workbook_name(workspace_resource_id, "miro-sentinel-workbook"),
        {
            "location": location,
            "kind": "shared",
            "tags": dict(tags),
            "properties": {
                "displayName": WORKBOOK_DISPLAY_NAME,
                "category": WORKBOOK_CATEGORY,
                "version": "Notebook/1.0",
                "sourceId": workspace_resource_id,
                "serializedData": serialized,
            },
        },
    )
    return ContentBodies(rules, alerts, hunting, workbook)


def deployment_content(target: Target, table_name: str, spec: ContentSpec | None = None) -> ContentBodies:
    """The content bodies of a deployment: ``target``'s names and settings, into ``content/`` (or ``spec``)."""
    c = target.content
    values = content_values(
        c,
        table_name=table_name,
        connector_name=target.connector_name,
        dcr_name=target.dcr_name,
        workspace_resource_id=target.workspace_resource_id,
        validation_category=VALIDATION_CATEGORY,
    )
    return content_bodies(
        spec or load_content(),
        values,
        enabled=c.enabled,
        disabled_rules=c.disabled_rules,
        dcr_resource_id=target.dcr_resource_id,
        workspace_resource_id=target.workspace_resource_id,
        location=target.location,
        tags={**target.tags, **MANAGED_BY_TAG},
    )


@dataclass(frozen=True)
class ContentResource:
    """One content resource of a deployment, as the arm engine and the health checks handle it."""

    #: How plans name it ("analytics rule sign-in-failures-per-user").
    address: str
    arm_type: str
    resource_id: str
    api_version: str
    body: dict[str, Any]


def content_resources(target: Target, table_name: str) -> list[ContentResource]:
    """Every content resource of the deployment, in the order to write them (delete in reverse)."""
    content = deployment_content(target, table_name)
    workspace = target.workspace_resource_id
    group = f"/subscriptions/{target.subscription_id}/resourceGroups/{target.resource_group}"
    rules = "Microsoft.SecurityInsights/alertRules"
    searches = "Microsoft.OperationalInsights/workspaces/savedSearches"
    workbooks, alerts = "Microsoft.Insights/workbooks", "Microsoft.Insights/metricAlerts"
    name, body = content.workbook
    return [
        *(
            ContentResource(f"analytics rule {key}", rules, f"{workspace}/providers/{rules}/{n}", ALERT_RULES_API, b)
            for key, (n, b) in content.alert_rules.items()
        ),
        *(
            ContentResource(f"hunting query {key}", searches, f"{workspace}/savedSearches/{n}", SAVED_SEARCHES_API, b)
            for key, (n, b) in content.hunting_queries.items()
        ),
        ContentResource(
            "workbook Miro audit logs", workbooks, f"{group}/providers/{workbooks}/{name}", WORKBOOKS_API, body
        ),
        *(
            ContentResource(f"metric alert {n}", alerts, f"{group}/providers/{alerts}/{n}", METRIC_ALERTS_API, b)
            for n, b in content.metric_alerts.values()
        ),
    ]
