"""What Sentinel checks in a connector definition body (kind ``Customizable``).

The required fields are those of ``CustomizableConnectorUiConfig`` and the types under it in the
2025-09-01 ``dataConnectorDefinitions.json`` spec. Fields the spec does not list (``sampleQueries``,
``graphQueriesTableName``, which the official Miro definition uses) are kept as given.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["definition_problems"]

_UI_REQUIRED = (
    "title",
    "publisher",
    "descriptionMarkdown",
    "graphQueries",
    "dataTypes",
    "connectivityCriteria",
    "permissions",
    "instructionSteps",
)
#: For each list in ``connectorUiConfig``: the fields each item needs.
_ITEMS_REQUIRED = {
    "graphQueries": ("metricName", "legend", "baseQuery"),
    "dataTypes": ("name", "lastDataReceivedQuery"),
    "connectivityCriteria": ("type",),
}
_CONNECTIVITY_TYPES = ("IsConnectedQuery", "HasDataConnectors", "SentinelKindsV2", "SentinelKinds")
_SCOPES = ("Subscription", "ResourceGroup", "Workspace")


def definition_problems(body: Any) -> list[tuple[str, str]]:
    """Every problem of a ``dataConnectorDefinitions`` PUT body, as (target, message); empty when valid."""
    if not isinstance(body, dict):
        return [("", "the body must be a JSON object")]
    problems: list[tuple[str, str]] = []
    kind = body.get("kind")
    if kind is None:
        problems.append(("kind", "is required"))
    elif kind != "Customizable":
        problems.append(("kind", f"must be 'Customizable', not {kind!r}"))
    props = body.get("properties")
    if not isinstance(props, dict):
        return [*problems, ("properties", "is required and must be an object")]
    ui = props.get("connectorUiConfig")
    if not isinstance(ui, dict):
        return [*problems, ("properties.connectorUiConfig", "is required and must be an object")]
    base = "properties.connectorUiConfig"
    for name in _UI_REQUIRED:
        value = ui.get(name)
        if name == "permissions" and not isinstance(value, dict):
            problems.append((f"{base}.{name}", "is required and must be an object"))
        elif value is None or value == "":
            problems.append((f"{base}.{name}", "is required"))
    for name, required in _ITEMS_REQUIRED.items():
        problems += _items(ui.get(name), f"{base}.{name}", required)
    for i, criterion in enumerate(ui.get("connectivityCriteria") or []):
        if isinstance(criterion, dict) and criterion.get("type") not in (None, *_CONNECTIVITY_TYPES):
            problems.append(
                (f"{base}.connectivityCriteria[{i}].type", f"must be one of {', '.join(_CONNECTIVITY_TYPES)}")
            )
    problems += _permissions(ui.get("permissions"), f"{base}.permissions")
    problems += _steps(ui.get("instructionSteps"), f"{base}.instructionSteps")
    connections = props.get("connectionsConfig")
    if connections is not None:
        problems += _items(
            [connections], "properties.connectionsConfig", ("templateSpecName", "templateSpecVersion"), single=True
        )
    return problems


def _items(value: Any, path: str, required: tuple[str, ...], *, single: bool = False) -> list[tuple[str, str]]:
    if value is None:
        return []
    if not isinstance(value, list):
        return [(path, "must be a list")]
    problems = []
    for i, item in enumerate(value):
        where = path if single else f"{path}[{i}]"
        if not isinstance(item, dict):
            problems.append((where, "must be an object"))
            continue
        problems += [(f"{where}.{name}", "is required") for name in required if item.get(name) in (None, "")]
    return problems


def _permissions(value: Any, path: str) -> list[tuple[str, str]]:
    if not isinstance(value, Mapping):
        return []
    problems = _items(
        value.get("resourceProvider"),
        f"{path}.resourceProvider",
        ("provider", "permissionsDisplayText", "providerDisplayName", "scope", "requiredPermissions"),
    )
    for i, provider in enumerate(value.get("resourceProvider") or []):
        if isinstance(provider, dict) and provider.get("scope") not in (None, *_SCOPES):
            problems.append((f"{path}.resourceProvider[{i}].scope", f"must be one of {', '.join(_SCOPES)}"))
    problems += _items(value.get("customs"), f"{path}.customs", ("name", "description"))
    return problems


def _steps(value: Any, path: str) -> list[tuple[str, str]]:
    if not isinstance(value, list):
        return []
    problems: list[tuple[str, str]] = []
    for i, step in enumerate(value):
        if not isinstance(step, dict):
            problems.append((f"{path}[{i}]", "must be an object"))
            continue
        problems += _items(step.get("instructions"), f"{path}[{i}].instructions", ("type", "parameters"))
        problems += _steps(step.get("innerSteps"), f"{path}[{i}].innerSteps")
    return problems
