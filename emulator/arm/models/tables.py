"""Log Analytics tables over ARM (``Microsoft.OperationalInsights/workspaces/tables``).

Rules enforced on PUT (Learn: "Create a custom table", "Logs Ingestion API", service limits), the
name and column rules in :mod:`.table_rules`:

* a custom table's name ends with ``_CL``; built-in tables (``SentinelHealth``) cannot be created,
  deleted or given columns here;
* a ``TimeGenerated`` column of type ``datetime``;
* column types from the Tables API's list (``string, int, long, real, boolean, dateTime, guid,
  dynamic``, any case);
* column names: a letter first, letters, digits and ``_``, 2 to 45 characters, not reserved, unique
  regardless of case; ``id`` is accepted although Learn lists it as reserved, because the official
  Microsoft Sentinel Miro table has an ``id`` column and deploys;
* at most 500 columns; an existing column keeps its type;
* ``plan`` Analytics, Basic or Auxiliary; ``retentionInDays`` 4-730 and ``totalRetentionInDays``
  4-4383 (or -1 for the workspace default).

A PUT answers 202 with ``Azure-AsyncOperation``; the operation is already done when first polled.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from emulator.arm import errors
from emulator.arm.models.resources import Resource, ResourceRegistry, group_of, system_data
from emulator.arm.models.table_rules import column_refusals, name_refusals
from emulator.arm.models.workspaces import WORKSPACE_TYPE
from emulator.core.auth import Principal
from emulator.logstore import TableDefinition
from kqlengine import KqlColumn

if TYPE_CHECKING:
    from emulator.cloud import Cloud

__all__ = ["TABLE_TYPE", "Tables"]

TABLE_TYPE = "Microsoft.OperationalInsights/workspaces/tables"

#: Column types the Tables API accepts (compared case-insensitively) -> the spelling it answers with.
COLUMN_TYPES = {
    "string": "string",
    "int": "int",
    "long": "long",
    "real": "real",
    "boolean": "boolean",
    "datetime": "dateTime",
    "guid": "guid",
    "dynamic": "dynamic",
}
PLANS = ("Analytics", "Basic", "Auxiliary")
_TABLE_NAME = re.compile(r"^[A-Za-z0-9_-]+$")
_DEFAULT_RETENTION = 30


class Tables:
    """Custom tables of the workspaces: their ARM properties here, their columns and rows in the LogStore."""

    def __init__(self, cloud: Cloud, registry: ResourceRegistry) -> None:
        self._cloud = cloud
        self._registry = registry

    # --- operations ---------------------------------------------------------------------------------

    def create_or_update(self, caller: Principal, workspace: Resource, name: str, body: Any) -> Resource:
        """Validate and apply a table PUT; returns the table as stored."""
        self._cloud.arm.roles.authorize(caller, f"{TABLE_TYPE}/write", f"{workspace.id}/tables/{name}")
        customer_id = workspace.properties["customerId"]
        existing = self._cloud.logs.table(customer_id, name)
        if existing is not None and existing.builtin:
            raise errors.invalid_parameter(
                f"Table '{existing.name}' is a Microsoft table; the local cloud does not change Microsoft tables."
            )
        props = body.get("properties") if isinstance(body, dict) else None
        if not isinstance(props, dict):
            raise errors.invalid_parameter("The table's 'properties' are required.", target="properties")
        columns, problems = self._columns(name, props.get("schema"), existing)
        problems.extend(_retention_problems(props))
        if problems:
            raise errors.invalid_parameter(
                f"Table '{name}' is invalid: " + "; ".join(p for p, _ in problems),
                details=[{"code": "InvalidParameter", "message": p, "target": t} for p, t in problems],
            )
        table_id = f"{workspace.id}/tables/{name}"
        previous = self._registry.get(table_id)
        schema = props["schema"]
        resource = Resource(
            table_id,
            TABLE_TYPE,
            {
                "systemData": system_data(previous, caller.app_id or caller.object_id, self._cloud.clock.now()),
                "properties": {
                    "plan": props.get("plan") or "Analytics",
                    "retentionInDays": props.get("retentionInDays", -1),
                    "totalRetentionInDays": props.get("totalRetentionInDays", -1),
                    "schema": {
                        "name": name,
                        "description": schema.get("description"),
                        "displayName": schema.get("displayName"),
                        "columns": [_stored_column(c) for c in schema.get("columns", [])],
                    },
                },
            },
        )
        self._cloud.logs.define(customer_id, name, columns)
        self._registry.put(resource)
        return resource

    def _columns(
        self, name: str, schema: Any, existing: TableDefinition | None
    ) -> tuple[list[KqlColumn], list[tuple[str, str]]]:
        """The columns a PUT declares, and the problems with them (message, target)."""
        if not isinstance(schema, dict) or not isinstance(schema.get("columns"), list):
            return [], [("'properties.schema.columns' is required", "properties.schema")]
        problems: list[tuple[str, str]] = []
        if schema.get("name") not in (None, "") and str(schema["name"]).lower() != name.lower():
            problems.append(
                (f"schema name '{schema['name']}' does not match the table name '{name}'", "properties.schema.name")
            )
        columns: list[KqlColumn] = []
        for index, column in enumerate(schema["columns"]):
            target = f"properties.schema.columns[{index}]"
            if not isinstance(column, dict) or not isinstance(column.get("name"), str):
                problems.append((f"column {index} needs a 'name' and a 'type'", target))
                continue
            kind = str(column.get("type", "")).lower()
            if kind not in COLUMN_TYPES:
                problems.append(
                    (
                        f"column '{column['name']}': type '{column.get('type')}' is not one of "
                        f"{', '.join(COLUMN_TYPES.values())}",
                        target,
                    )
                )
                continue
            columns.append(KqlColumn(column["name"], kind))
        refusals = name_refusals(name) + column_refusals([(c.name, c.type) for c in columns])
        problems.extend((r.message, r.target) for r in refusals)
        if existing is not None:
            before = existing.column_types
            for column in columns:
                if column.name in before and before[column.name] != column.type:
                    problems.append(
                        (
                            f"column '{column.name}': changing the type of an existing column is not allowed "
                            f"({_answer_type(before[column.name])} to {_answer_type(column.type)})",
                            "properties.schema.columns",
                        )
                    )
        return columns, problems

    def get(self, caller: Principal, workspace: Resource, name: str) -> dict[str, Any]:
        self._cloud.arm.roles.authorize(caller, f"{TABLE_TYPE}/read", f"{workspace.id}/tables/{name}")
        definition = self._cloud.logs.table(workspace.properties["customerId"], name)
        if definition is None:
            raise errors.resource_not_found(f"{WORKSPACE_TYPE}/{workspace.name}/tables", name, group_of(workspace.id))
        return self.render(workspace, definition)

    def list(self, caller: Principal, workspace: Resource) -> list[dict[str, Any]]:
        self._cloud.arm.roles.authorize(caller, f"{TABLE_TYPE}/read", workspace.id)
        return [self.render(workspace, d) for d in self._cloud.logs.tables(workspace.properties["customerId"])]

    def delete(self, caller: Principal, workspace: Resource, name: str) -> bool:
        """Delete a custom table and its rows; ``False`` when there was none."""
        self._cloud.arm.roles.authorize(caller, f"{TABLE_TYPE}/delete", f"{workspace.id}/tables/{name}")
        customer_id = workspace.properties["customerId"]
        definition = self._cloud.logs.table(customer_id, name)
        if definition is None:
            return False
        if definition.builtin:
            raise errors.invalid_parameter(f"Table '{definition.name}' is a Microsoft table and cannot be deleted.")
        self._cloud.logs.drop(customer_id, definition.name)
        self._registry.delete(f"{workspace.id}/tables/{definition.name}")
        return True

    # --- rendering ----------------------------------------------------------------------------------

    def render(self, workspace: Resource, definition: TableDefinition) -> dict[str, Any]:
        """The table as the Tables API answers it."""
        table_id = f"{workspace.id}/tables/{definition.name}"
        stored = self._registry.get(table_id)
        props = stored.properties if stored else {}
        workspace_retention = int(workspace.properties.get("retentionInDays", _DEFAULT_RETENTION))
        retention = int(props.get("retentionInDays", -1))
        total = int(props.get("totalRetentionInDays", -1))
        retention_value = workspace_retention if retention == -1 else retention
        total_value = retention_value if total == -1 else total
        spelling = self._cloud.quirks["table_column_type_casing"]
        tenant = _answer_column({"name": "TenantId", "type": "guid", "isHidden": True}, spelling)
        if definition.builtin:
            schema: dict[str, Any] = {
                "name": definition.name,
                "tableType": "Microsoft",
                "tableSubType": "DataCollectionRuleBased",
                "columns": None,
                "standardColumns": [
                    tenant,
                    *[_answer_column({"name": c.name, "type": c.type}, spelling) for c in definition.columns],
                ],
                "solutions": ["SecurityInsights"],
                "source": "microsoft",
                "displayName": None,
                "description": None,
                "categories": None,
                "labels": None,
            }
        else:
            stored_schema = props.get("schema", {})
            schema = {
                "name": definition.name,
                "tableType": "CustomLog",
                "tableSubType": "DataCollectionRuleBased",
                "columns": [_answer_column(c, spelling) for c in stored_schema.get("columns", [])],
                "standardColumns": [tenant],
                "solutions": ["LogManagement"],
                "source": "customer",
                "displayName": stored_schema.get("displayName"),
                "description": stored_schema.get("description"),
                "categories": None,
                "labels": None,
            }
        body: dict[str, Any] = {
            "id": table_id,
            "name": definition.name,
            "type": TABLE_TYPE,
            "properties": {
                "totalRetentionInDays": total_value,
                "archiveRetentionInDays": max(total_value - retention_value, 0),
                "plan": props.get("plan", "Analytics"),
                "retentionInDays": retention_value,
                "retentionInDaysAsDefault": retention == -1,
                "totalRetentionInDaysAsDefault": total == -1,
                "schema": schema,
                "provisioningState": "Succeeded",
            },
        }
        if stored and "systemData" in stored.body:
            body["systemData"] = stored.body["systemData"]
        return body


def _retention_problems(props: dict[str, Any]) -> list[tuple[str, str]]:
    problems = []
    plan = props.get("plan")
    if plan is not None and plan not in PLANS:
        problems.append((f"plan '{plan}' is not one of {', '.join(PLANS)}", "properties.plan"))
    for key, low, high in (("retentionInDays", 4, 730), ("totalRetentionInDays", 4, 4383)):
        value = props.get(key)
        if value is None or value == -1:
            continue
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            problems.append(
                (f"{key} must be between {low} and {high} (or -1 for the default), not {value!r}", f"properties.{key}")
            )
    return problems


def _stored_column(column: dict[str, Any]) -> dict[str, Any]:
    keep = ("name", "type", "description", "displayName", "dataTypeHint")
    return {k: column[k] for k in keep if column.get(k) is not None}


def _answer_type(kind: str, datetime_spelling: str = "dateTime") -> str:
    """The type as a GET spells it; ``datetime_spelling`` is quirk ``table_column_type_casing``."""
    answer = COLUMN_TYPES.get(kind.lower(), kind)
    return datetime_spelling if answer == "dateTime" else answer


def _answer_column(column: dict[str, Any], datetime_spelling: str) -> dict[str, Any]:
    """A column as the Tables API answers it: every property present, null when not set."""
    answer: dict[str, Any] = {"dataTypeHint": None, "displayName": None, "description": None}
    answer.update({**column, "type": _answer_type(str(column["type"]), datetime_spelling)})
    answer.setdefault("isDefaultDisplay", False)
    answer.setdefault("isHidden", False)
    return answer
