"""ARM's HTTP surface: check the api-version, parse the body, call the models, shape the answer.

No rules live here (they are in :mod:`emulator.arm.models`); this module only turns requests into
model calls and model results into ARM's wire format and status codes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

from emulator.arm import errors
from emulator.arm.apiversions import require_api_version
from emulator.arm.models.endpoints import DCE_TYPE
from emulator.arm.models.metrics import MetricsResult, query_rule_metrics
from emulator.arm.models.resources import Resource
from emulator.arm.models.rules import DCR_TYPE
from emulator.arm.models.workspaces import WORKSPACE_TYPE
from emulator.core.auth import Principal
from emulator.core.http import Call, Reply

if TYPE_CHECKING:
    from emulator.cloud import Cloud

__all__ = ["ArmResponses"]


def _body(call: Call) -> Any:
    if not call.body.strip():
        raise errors.invalid_request_content("the request body is empty")
    try:
        return call.json()
    except ValueError as exc:
        raise errors.invalid_request_content(str(exc)) from exc


def _caller(call: Call) -> Principal:
    assert call.principal is not None, "ARM routes are authenticated"
    return call.principal


def _group_id(call: Call) -> str:
    return f"/subscriptions/{call.params['subscriptionId']}/resourceGroups/{call.params['resourceGroupName']}"


class _Kind(Protocol):
    """What DCEs and DCRs have in common for their operations."""

    def create_or_update(self, caller: Principal, resource_id: str, body: Any) -> tuple[Resource, bool]: ...

    def get(self, caller: Principal, resource_id: str) -> Resource: ...

    def delete(self, caller: Principal, resource_id: str) -> bool: ...

    def list(self, caller: Principal, scope: str) -> list[Resource]: ...

    def render(self, resource: Resource) -> dict[str, Any]: ...


class ArmResponses:
    def __init__(self, cloud: Cloud) -> None:
        self.cloud = cloud
        self.arm = cloud.arm

    # --- scopes and workspaces ----------------------------------------------------------------------

    def get_subscription(self, call: Call) -> Reply:
        require_api_version(call, "subscriptions")
        subscription = self.arm.workspaces.subscription(call.params["subscriptionId"])
        self.arm.roles.authorize(_caller(call), "Microsoft.Resources/subscriptions/read", subscription.id)
        body = subscription.to_dict()
        body.pop("name", None)
        body.pop("type", None)
        return Reply(200, body)

    def get_resource_group(self, call: Call) -> Reply:
        require_api_version(call, "resourceGroups")
        group = self.arm.workspaces.resource_group(call.params["subscriptionId"], call.params["resourceGroupName"])
        self.arm.roles.authorize(_caller(call), "Microsoft.Resources/subscriptions/resourceGroups/read", group.id)
        body = group.to_dict()
        body["type"] = "Microsoft.Resources/resourceGroups"
        return Reply(200, body)

    def get_workspace(self, call: Call) -> Reply:
        require_api_version(call, "workspaces")
        p = call.params
        workspace = self.arm.workspaces.read(
            _caller(call), p["subscriptionId"], p["resourceGroupName"], p["workspaceName"]
        )
        return Reply(200, workspace.to_dict())

    def list_workspaces(self, call: Call) -> Reply:
        require_api_version(call, "workspaces")
        self.arm.workspaces.resource_group(call.params["subscriptionId"], call.params["resourceGroupName"])
        scope = _group_id(call)
        self.arm.roles.authorize(_caller(call), f"{WORKSPACE_TYPE}/read", scope)
        found = self.arm.registry.of_type(WORKSPACE_TYPE, under=scope)
        return Reply(200, {"value": [w.to_dict() for w in found]})

    def _workspace(self, call: Call) -> Resource:
        p = call.params
        return self.arm.workspaces.get(p["subscriptionId"], p["resourceGroupName"], p["workspaceName"])

    # --- tables ---------------------------------------------------------------------------------------

    def put_table(self, call: Call) -> Reply:
        version = require_api_version(call, "tables")
        workspace = self._workspace(call)
        name = call.params["tableName"]
        table = self.arm.tables.create_or_update(_caller(call), workspace, name, _body(call))
        operation = self.arm.operations.record(table.id, deleted=False)
        return Reply(202, None, self._async_headers(call, workspace, table.id, operation, version))

    def get_table(self, call: Call) -> Reply:
        require_api_version(call, "tables")
        return Reply(200, self.arm.tables.get(_caller(call), self._workspace(call), call.params["tableName"]))

    def list_tables(self, call: Call) -> Reply:
        require_api_version(call, "tables")
        return Reply(200, {"value": self.arm.tables.list(_caller(call), self._workspace(call))})

    def delete_table(self, call: Call) -> Reply:
        version = require_api_version(call, "tables")
        workspace = self._workspace(call)
        name = call.params["tableName"]
        if not self.arm.tables.delete(_caller(call), workspace, name):
            return Reply(204)
        table_id = f"{workspace.id}/tables/{name}"
        operation = self.arm.operations.record(table_id, deleted=True)
        return Reply(202, None, self._async_headers(call, workspace, table_id, operation, version))

    def _async_headers(
        self, call: Call, workspace: Resource, table_id: str, operation: str, version: str
    ) -> dict[str, str]:
        subscription = call.params["subscriptionId"]
        location = workspace.body["location"]
        return {
            "Azure-AsyncOperation": (
                f"{call.base_url}/subscriptions/{subscription}/providers/Microsoft.OperationalInsights/locations/"
                f"{location}/operationStatuses/{operation}?api-version={version}"
            ),
            "Location": f"{call.base_url}{table_id}/operationResults/{operation}?api-version={version}",
        }

    def get_operation_status(self, call: Call) -> Reply:
        require_api_version(call, "tables")
        operation = self.arm.operations.get(call.params["operationId"])
        if operation is None:
            raise errors.not_found("OperationNotFound", f"The operation '{call.params['operationId']}' was not found.")
        return Reply(
            200,
            {
                "id": call.path,
                "name": call.params["operationId"],
                "status": "Succeeded",
                "startTime": operation["startTime"],
                "endTime": operation["endTime"],
            },
        )

    def get_operation_result(self, call: Call) -> Reply:
        require_api_version(call, "tables")
        operation = self.arm.operations.get(call.params["operationId"])
        if operation is None:
            raise errors.not_found("OperationNotFound", f"The operation '{call.params['operationId']}' was not found.")
        if operation["deleted"]:
            return Reply(204)
        return Reply(200, self.arm.tables.get(_caller(call), self._workspace(call), call.params["tableName"]))

    # --- data collection endpoints and rules ------------------------------------------------------------

    def put_endpoint(self, call: Call) -> Reply:
        return self._put(call, "dataCollectionEndpoints", self.arm.endpoints, DCE_TYPE)

    def get_endpoint(self, call: Call) -> Reply:
        return self._get(call, "dataCollectionEndpoints", self.arm.endpoints, DCE_TYPE)

    def delete_endpoint(self, call: Call) -> Reply:
        return self._delete(call, "dataCollectionEndpoints", self.arm.endpoints, DCE_TYPE)

    def list_endpoints(self, call: Call) -> Reply:
        return self._list(call, "dataCollectionEndpoints", self.arm.endpoints)

    def put_rule(self, call: Call) -> Reply:
        return self._put(call, "dataCollectionRules", self.arm.rules, DCR_TYPE)

    def get_rule(self, call: Call) -> Reply:
        return self._get(call, "dataCollectionRules", self.arm.rules, DCR_TYPE)

    def delete_rule(self, call: Call) -> Reply:
        return self._delete(call, "dataCollectionRules", self.arm.rules, DCR_TYPE)

    def list_rules(self, call: Call) -> Reply:
        return self._list(call, "dataCollectionRules", self.arm.rules)

    def _in_group(self, call: Call, resource_type: str) -> str:
        """The id of the resource the path names, once its resource group is known to exist."""
        self.arm.workspaces.resource_group(call.params["subscriptionId"], call.params["resourceGroupName"])
        return f"{_group_id(call)}/providers/{resource_type}/{call.params['name']}"

    def _put(self, call: Call, api: str, kind: _Kind, resource_type: str) -> Reply:
        require_api_version(call, api)
        resource, created = kind.create_or_update(_caller(call), self._in_group(call, resource_type), _body(call))
        return Reply(201 if created else 200, kind.render(resource))

    def _get(self, call: Call, api: str, kind: _Kind, resource_type: str) -> Reply:
        require_api_version(call, api)
        return Reply(200, kind.render(kind.get(_caller(call), self._in_group(call, resource_type))))

    def _delete(self, call: Call, api: str, kind: _Kind, resource_type: str) -> Reply:
        require_api_version(call, api)
        return Reply(200 if kind.delete(_caller(call), self._in_group(call, resource_type)) else 204)

    def _list(self, call: Call, api: str, kind: _Kind) -> Reply:
        require_api_version(call, api)
        if "resourceGroupName" in call.params:
            self.arm.workspaces.resource_group(call.params["subscriptionId"], call.params["resourceGroupName"])
            scope = _group_id(call)
        else:
            scope = self.arm.workspaces.subscription(call.params["subscriptionId"]).id
        return Reply(200, {"value": [kind.render(r) for r in kind.list(_caller(call), scope)]})

    def get_rule_metrics(self, call: Call) -> Reply:
        require_api_version(call, "metrics")
        rule = self.arm.rules.by_id(self._in_group(call, DCR_TYPE))
        if rule is None:
            raise errors.resource_not_found(DCR_TYPE, call.params["name"], call.params["resourceGroupName"])
        self.arm.roles.authorize(_caller(call), "Microsoft.Insights/metrics/read", rule.id)
        # Rows accepted just before must be counted: finish transforming them first.
        self.cloud.pipeline.flush()
        result = query_rule_metrics(
            self.cloud,
            rule,
            timespan=call.arg("timespan"),
            interval=call.arg("interval"),
            metricnames=call.arg("metricnames"),
            aggregation=call.arg("aggregation"),
            query_filter=call.arg("$filter"),
            top=call.arg("top"),
        )
        return Reply(200, _metrics_body(rule, result))

    # --- role assignments ---------------------------------------------------------------------------

    def _scope(self, call: Call) -> str:
        """The existing resource (or subscription, or group) a role assignment path is under."""
        scope = "/" + call.params["scope"].strip("/")
        found = self.arm.registry.get(scope)
        if found is not None:
            return found.id
        parts = scope.split("/")
        if len(parts) >= 3 and parts[1].lower() == "subscriptions":
            self.arm.workspaces.subscription(parts[2])
            if len(parts) >= 5 and parts[3].lower() == "resourcegroups":
                self.arm.workspaces.resource_group(parts[2], parts[4])
        raise errors.not_found("ResourceNotFound", f"The scope '{scope}' does not exist in the local cloud.")

    def put_role_assignment(self, call: Call) -> Reply:
        require_api_version(call, "roleAssignments")
        resource, _ = self.arm.roles.create(_caller(call), self._scope(call), call.params["name"], _body(call))
        return Reply(201, resource.to_dict())

    def get_role_assignment(self, call: Call) -> Reply:
        require_api_version(call, "roleAssignments")
        return Reply(200, self.arm.roles.get(_caller(call), self._scope(call), call.params["name"]).to_dict())

    def delete_role_assignment(self, call: Call) -> Reply:
        require_api_version(call, "roleAssignments")
        found = self.arm.roles.delete(_caller(call), self._scope(call), call.params["name"])
        return Reply(200, found.to_dict()) if found else Reply(204)

    def list_role_assignments(self, call: Call) -> Reply:
        require_api_version(call, "roleAssignments")
        found = self.arm.roles.list(_caller(call), self._scope(call), call.arg("$filter"))
        return Reply(200, {"value": [r.to_dict() for r in found]})

    def list_permissions(self, call: Call) -> Reply:
        """The caller's own permissions on a resource group (needs no role: anyone may ask about themselves)."""
        require_api_version(call, "permissions")
        group = self.arm.workspaces.resource_group(call.params["subscriptionId"], call.params["resourceGroupName"])
        return Reply(200, {"value": self.arm.roles.permissions(_caller(call).object_id, group.id)})

    # --- cloud metadata -------------------------------------------------------------------------------

    def get_metadata_endpoints(self, call: Call) -> Reply:
        """The 2022-09-01 cloud metadata that Terraform's azurerm reads through ``metadata_host``."""
        base = call.base_url + "/"
        return Reply(
            200,
            {
                "name": "AzureCloud",
                "portal": base,
                "authentication": {
                    "loginEndpoint": base,
                    "audiences": ["https://management.core.windows.net/", "https://management.azure.com/"],
                    "tenant": "common",
                    "identityProvider": "AAD",
                },
                "resourceManager": base,
                "microsoftGraphResourceId": "https://graph.microsoft.com/",
                "logAnalyticsResourceId": "https://api.loganalytics.io",
                "suffixes": {"keyVaultDns": "vault.azure.net", "storage": "core.windows.net"},
            },
        )


def _metrics_body(rule: Resource, result: MetricsResult) -> dict[str, Any]:
    """The metrics API's ``Response`` (what azure-mgmt-monitor's ``metrics.list`` parses)."""
    values = []
    for definition, series in result.metrics:
        aggregations = result.aggregations[definition.name]
        values.append(
            {
                "id": f"{rule.id}/providers/Microsoft.Insights/metrics/{definition.name}",
                "type": "Microsoft.Insights/metrics",
                "name": {"value": definition.name, "localizedValue": definition.display_name},
                "displayDescription": definition.description,
                "unit": definition.unit,
                "errorCode": "Success",
                "timeseries": [
                    {
                        "metadatavalues": [
                            {"name": {"value": k.lower(), "localizedValue": k.lower()}, "value": v}
                            for k, v in one.dimensions.items()
                        ],
                        "data": [
                            {"timeStamp": _iso(at), **{a.lower(): point[a] for a in aggregations if a in point}}
                            for at, point in one.points
                        ],
                    }
                    for one in series
                ],
            }
        )
    return {
        "cost": 0,
        "timespan": f"{_iso(result.start)}/{_iso(result.end)}",
        "interval": result.interval,
        "namespace": "Microsoft.Insights/dataCollectionRules",
        "resourceregion": rule.body["location"],
        "value": values,
    }


def _iso(value: Any) -> str:
    return str(value.isoformat().replace("+00:00", "Z"))
