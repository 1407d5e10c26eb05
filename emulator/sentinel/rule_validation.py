"""What Sentinel checks in a scheduled analytics rule (``alertRules`` of kind ``Scheduled``) before it keeps it.

Written from the 2025-09-01 ``AlertRules.json`` spec (required properties and enums) and Learn's pages on
scheduled rules (limits): the query runs every 5 minutes to 14 days and looks back 5 minutes to 14 days;
it holds at most 10,000 characters and may not use ``search *`` or ``union *``; alerts are suppressed
for 5 minutes to 24 hours; a rule maps at most 10 entities with at most 3 identifiers each and carries at
most 20 custom details; incidents group alerts over at most 7 days. Where the service's exact wording is
unconfirmed, the choices are in ``emulator/COVERAGE.md``.

The query itself is checked against the workspace's tables by :mod:`emulator.sentinel.alertrules`.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from typing import Any

from emulator.core.timespan import parse_duration

__all__ = [
    "ATTACK_TACTICS",
    "ENTITY_TYPES",
    "SEVERITIES",
    "TRIGGER_OPERATORS",
    "columns_named",
    "rule_problems",
]

SEVERITIES = ("High", "Medium", "Low", "Informational")
TRIGGER_OPERATORS = ("GreaterThan", "LessThan", "Equal", "NotEqual")
#: MITRE ATT&CK tactics as Sentinel names them (``AttackTactic`` in the spec's common/AlertTypes.json).
ATTACK_TACTICS = (
    "Reconnaissance",
    "ResourceDevelopment",
    "InitialAccess",
    "Execution",
    "Persistence",
    "PrivilegeEscalation",
    "DefenseEvasion",
    "CredentialAccess",
    "Discovery",
    "LateralMovement",
    "Collection",
    "Exfiltration",
    "CommandAndControl",
    "Impact",
    "PreAttack",
    "ImpairProcessControl",
    "InhibitResponseFunction",
)
ENTITY_TYPES = (
    "Account", "Host", "IP", "Malware", "File", "Process", "CloudApplication", "DNS", "AzureResource",
    "FileHash", "RegistryKey", "RegistryValue", "SecurityGroup", "URL", "Mailbox", "MailCluster", "MailMessage",
    "SubmissionMail",
)  # fmt: skip
AGGREGATION_KINDS = ("SingleAlert", "AlertPerResult")
MATCHING_METHODS = ("AllEntities", "AnyAlert", "Selected")
ALERT_DETAILS = ("DisplayName", "Severity")
ALERT_PROPERTIES = (
    "AlertLink", "ConfidenceLevel", "ConfidenceScore", "ExtendedLinks", "ProductName", "ProviderName",
    "ProductComponentName", "RemediationSteps", "Techniques",
)  # fmt: skip
REQUIRED = (
    "displayName",
    "enabled",
    "severity",
    "query",
    "queryFrequency",
    "queryPeriod",
    "triggerOperator",
    "triggerThreshold",
    "suppressionEnabled",
    "suppressionDuration",
)
MAX_QUERY_CHARS = 10_000
MAX_ENTITY_MAPPINGS = 10
MAX_IDENTIFIERS = 3
MAX_CUSTOM_DETAILS = 20
_TECHNIQUE = re.compile(r"T\d{4}")
_FORBIDDEN = re.compile(r"\b(search|union)\s+\*", re.IGNORECASE)
_FORMAT_COLUMN = re.compile(r"\{\{([^{}]+)\}\}")
_MINUTE, _DAY = dt.timedelta(minutes=1), dt.timedelta(days=1)


def _duration(
    props: Mapping[str, Any], name: str, low: dt.timedelta, high: dt.timedelta, text: str
) -> list[tuple[str, str]]:
    value = props.get(name)
    if not isinstance(value, str):
        return []
    try:
        span = parse_duration(value)
    except ValueError:
        return [(f"properties.{name}", f"'{value}' is not an ISO 8601 duration")]
    if not low <= span <= high:
        return [(f"properties.{name}", f"must be between {text}")]
    return []


def rule_problems(body: Any) -> list[tuple[str, str]]:
    """Every problem of a Scheduled rule's PUT body as (target, message); empty when it may be kept."""
    if not isinstance(body, dict):
        return [("", "the body must be a JSON object")]
    props = body.get("properties")
    if not isinstance(props, dict):
        return [("properties", "is required and must be an object")]
    problems = [(f"properties.{name}", "is required") for name in REQUIRED if props.get(name) is None]
    problems += _types(props)
    query = props.get("query")
    if isinstance(query, str):
        if not query.strip() or len(query) > MAX_QUERY_CHARS:
            problems.append(("properties.query", f"must hold 1 to {MAX_QUERY_CHARS:,} characters"))
        if _FORBIDDEN.search(query):
            problems.append(("properties.query", "may not use 'search *' or 'union *'"))
    problems += _duration(props, "queryFrequency", 5 * _MINUTE, 14 * _DAY, "5 minutes and 14 days")
    problems += _duration(props, "queryPeriod", 5 * _MINUTE, 14 * _DAY, "5 minutes and 14 days")
    problems += _duration(props, "suppressionDuration", 5 * _MINUTE, _DAY, "5 minutes and 24 hours")
    for name, allowed in (("severity", SEVERITIES), ("triggerOperator", TRIGGER_OPERATORS)):
        value = props.get(name)
        if value is not None and value not in allowed:
            problems.append((f"properties.{name}", f"'{value}' is not one of {', '.join(allowed)}"))
    for i, tactic in enumerate(props.get("tactics") or []):
        if tactic not in ATTACK_TACTICS:
            problems.append((f"properties.tactics[{i}]", f"'{tactic}' is not a tactic ({', '.join(ATTACK_TACTICS)})"))
    for i, technique in enumerate(props.get("techniques") or []):
        if not isinstance(technique, str) or not _TECHNIQUE.fullmatch(technique):
            problems.append((f"properties.techniques[{i}]", f"'{technique}' is not a technique id such as T1110"))
    problems += _entities(props.get("entityMappings"))
    details = props.get("customDetails")
    if isinstance(details, dict) and len(details) > MAX_CUSTOM_DETAILS:
        problems.append(("properties.customDetails", f"holds {len(details)} details; at most {MAX_CUSTOM_DETAILS}"))
    grouping = props.get("eventGroupingSettings")
    if isinstance(grouping, dict) and grouping.get("aggregationKind") not in (None, *AGGREGATION_KINDS):
        problems.append(
            ("properties.eventGroupingSettings.aggregationKind", f"must be one of {', '.join(AGGREGATION_KINDS)}")
        )
    problems += _override(props.get("alertDetailsOverride"))
    problems += _incidents(props.get("incidentConfiguration"), props.get("entityMappings"), details)
    return problems


def _types(props: Mapping[str, Any]) -> list[tuple[str, str]]:
    kinds: dict[str, type | tuple[type, ...]] = {
        "displayName": str, "description": str, "enabled": bool, "query": str, "queryFrequency": str,
        "queryPeriod": str, "suppressionEnabled": bool, "suppressionDuration": str, "tactics": list,
        "techniques": list, "entityMappings": list, "customDetails": dict, "alertDetailsOverride": dict,
        "eventGroupingSettings": dict, "incidentConfiguration": dict,
    }  # fmt: skip
    problems = [
        (f"properties.{name}", f"must be a {kind.__name__ if isinstance(kind, type) else 'value'}")
        for name, kind in kinds.items()
        if props.get(name) is not None and not isinstance(props[name], kind)
    ]
    threshold = props.get("triggerThreshold")
    if threshold is not None and (isinstance(threshold, bool) or not isinstance(threshold, int) or threshold < 0):
        problems.append(("properties.triggerThreshold", "must be a whole number >= 0"))
    return problems


def _entities(mappings: Any) -> list[tuple[str, str]]:
    if not isinstance(mappings, list):
        return []
    problems = []
    if len(mappings) > MAX_ENTITY_MAPPINGS:
        problems.append(("properties.entityMappings", f"maps {len(mappings)} entities; at most {MAX_ENTITY_MAPPINGS}"))
    for i, mapping in enumerate(mappings):
        where = f"properties.entityMappings[{i}]"
        if not isinstance(mapping, dict):
            problems.append((where, "must be an object"))
            continue
        if mapping.get("entityType") not in ENTITY_TYPES:
            problems.append((f"{where}.entityType", f"'{mapping.get('entityType')}' is not an entity type"))
        fields = mapping.get("fieldMappings")
        if not isinstance(fields, list) or not 1 <= len(fields) <= MAX_IDENTIFIERS:
            problems.append((f"{where}.fieldMappings", f"must list 1 to {MAX_IDENTIFIERS} identifiers"))
            continue
        for j, field in enumerate(fields):
            if not isinstance(field, dict) or not field.get("identifier") or not field.get("columnName"):
                problems.append((f"{where}.fieldMappings[{j}]", "needs an identifier and a columnName"))
    return problems


def _override(override: Any) -> list[tuple[str, str]]:
    if not isinstance(override, dict):
        return []
    problems = []
    for i, item in enumerate(override.get("alertDynamicProperties") or []):
        if not isinstance(item, dict) or item.get("alertProperty") not in ALERT_PROPERTIES or not item.get("value"):
            problems.append(
                (f"properties.alertDetailsOverride.alertDynamicProperties[{i}]", "needs an alertProperty and a value")
            )
    return problems


def _incidents(config: Any, mappings: Any, details: Any) -> list[tuple[str, str]]:
    if not isinstance(config, dict):
        return []
    base = "properties.incidentConfiguration"
    problems = []
    if not isinstance(config.get("createIncident"), bool):
        problems.append((f"{base}.createIncident", "is required (true or false)"))
    grouping = config.get("groupingConfiguration")
    if grouping is None:
        return problems
    if not isinstance(grouping, dict):
        return [*problems, (f"{base}.groupingConfiguration", "must be an object")]
    where = f"{base}.groupingConfiguration"
    for name in ("enabled", "reopenClosedIncident", "lookbackDuration", "matchingMethod"):
        if grouping.get(name) is None:
            problems.append((f"{where}.{name}", "is required"))
    problems += [
        (f"{where}.lookbackDuration", text)
        for _, text in _duration(grouping, "lookbackDuration", 5 * _MINUTE, 7 * _DAY, "5 minutes and 7 days")
    ]
    method = grouping.get("matchingMethod")
    if method is not None and method not in MATCHING_METHODS:
        problems.append((f"{where}.matchingMethod", f"must be one of {', '.join(MATCHING_METHODS)}"))
    if method == "Selected":
        selected = [grouping.get(k) for k in ("groupByEntities", "groupByAlertDetails", "groupByCustomDetails")]
        if not any(selected):
            problems.append(
                (where, "matchingMethod Selected needs groupByEntities, groupByAlertDetails or groupByCustomDetails")
            )
        mapped = {m.get("entityType") for m in mappings or [] if isinstance(m, dict)}
        for entity in grouping.get("groupByEntities") or []:
            if entity not in mapped:
                problems.append((f"{where}.groupByEntities", f"'{entity}' is not mapped by the rule"))
        for detail in grouping.get("groupByAlertDetails") or []:
            if detail not in ALERT_DETAILS:
                problems.append(
                    (f"{where}.groupByAlertDetails", f"'{detail}' is not one of {', '.join(ALERT_DETAILS)}")
                )
        for key in grouping.get("groupByCustomDetails") or []:
            if not isinstance(details, dict) or key not in details:
                problems.append((f"{where}.groupByCustomDetails", f"'{key}' is not a custom detail of the rule"))
    return problems


def columns_named(props: Mapping[str, Any]) -> list[str]:
    """Every query result column the rule's mappings, custom details and alert overrides name, in order."""
    names: list[str] = []
    for mapping in props.get("entityMappings") or []:
        for field in mapping.get("fieldMappings") or []:
            names.append(str(field.get("columnName")))
    names += [str(v) for v in (props.get("customDetails") or {}).values()]
    override = props.get("alertDetailsOverride") or {}
    for key in ("alertDisplayNameFormat", "alertDescriptionFormat"):
        names += [m.strip() for m in _FORMAT_COLUMN.findall(str(override.get(key) or ""))]
    for key in ("alertTacticsColumnName", "alertSeverityColumnName"):
        if override.get(key):
            names.append(str(override[key]))
    names += [str(item.get("value")) for item in override.get("alertDynamicProperties") or [] if isinstance(item, dict)]
    return list(dict.fromkeys(names))
