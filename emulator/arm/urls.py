"""ARM routes: ``/subscriptions/...`` and scope-relative role assignments (all need an ARM token)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from emulator.arm import errors
from emulator.arm.responses import ArmResponses
from emulator.core.auth import Authenticator
from emulator.core.http import Handler, Route, Service

if TYPE_CHECKING:
    from emulator.cloud import Cloud

__all__ = ["ARM_AUDIENCES", "service"]

#: The audiences ARM accepts, in the order its error message lists them.
ARM_AUDIENCES = (
    "https://management.core.windows.net/",
    "https://management.core.windows.net",
    "https://management.azure.com/",
    "https://management.azure.com",
)

_RG = "/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}"
_WS = _RG + "/providers/Microsoft.OperationalInsights/workspaces/{workspaceName}"
_DCE = "/providers/Microsoft.Insights/dataCollectionEndpoints"
_DCR = "/providers/Microsoft.Insights/dataCollectionRules"
_ROLES = "/{scope:path}/providers/Microsoft.Authorization/roleAssignments"


def service(cloud: Cloud) -> Service:
    r = ArmResponses(cloud)
    auth = Authenticator(ARM_AUDIENCES, errors.ArmAuthErrors(cloud.identity.tenant_id), cloud.tokens)

    def route(method: str, template: str, handler: Handler, operation: str) -> Route:
        return Route(method, template, handler, auth, operation)

    return Service(
        "arm",
        (
            Route("GET", "/metadata/endpoints", r.get_metadata_endpoints, None, "Metadata_Endpoints"),
            route("GET", "/subscriptions/{subscriptionId}", r.get_subscription, "Subscriptions_Get"),
            route("GET", _RG, r.get_resource_group, "ResourceGroups_Get"),
            route(
                "GET",
                _RG + "/providers/Microsoft.OperationalInsights/workspaces",
                r.list_workspaces,
                "Workspaces_ListByResourceGroup",
            ),
            route("GET", _WS, r.get_workspace, "Workspaces_Get"),
            route("GET", _WS + "/tables", r.list_tables, "Tables_ListByWorkspace"),
            route("PUT", _WS + "/tables/{tableName}", r.put_table, "Tables_CreateOrUpdate"),
            route("GET", _WS + "/tables/{tableName}", r.get_table, "Tables_Get"),
            route("DELETE", _WS + "/tables/{tableName}", r.delete_table, "Tables_Delete"),
            route(
                "GET",
                _WS + "/tables/{tableName}/operationResults/{operationId}",
                r.get_operation_result,
                "Tables_OperationResult",
            ),
            route(
                "GET",
                "/subscriptions/{subscriptionId}/providers/Microsoft.OperationalInsights/locations/{location}/operationStatuses/{operationId}",
                r.get_operation_status,
                "OperationStatuses_Get",
            ),
            route(
                "GET",
                "/subscriptions/{subscriptionId}" + _DCE,
                r.list_endpoints,
                "DataCollectionEndpoints_ListBySubscription",
            ),
            route("GET", _RG + _DCE, r.list_endpoints, "DataCollectionEndpoints_ListByResourceGroup"),
            route("PUT", _RG + _DCE + "/{name}", r.put_endpoint, "DataCollectionEndpoints_Create"),
            route("GET", _RG + _DCE + "/{name}", r.get_endpoint, "DataCollectionEndpoints_Get"),
            route("DELETE", _RG + _DCE + "/{name}", r.delete_endpoint, "DataCollectionEndpoints_Delete"),
            route(
                "GET", "/subscriptions/{subscriptionId}" + _DCR, r.list_rules, "DataCollectionRules_ListBySubscription"
            ),
            route("GET", _RG + _DCR, r.list_rules, "DataCollectionRules_ListByResourceGroup"),
            route("PUT", _RG + _DCR + "/{name}", r.put_rule, "DataCollectionRules_Create"),
            route("GET", _RG + _DCR + "/{name}", r.get_rule, "DataCollectionRules_Get"),
            route("DELETE", _RG + _DCR + "/{name}", r.delete_rule, "DataCollectionRules_Delete"),
            route(
                "GET", _RG + _DCR + "/{name}/providers/Microsoft.Insights/metrics", r.get_rule_metrics, "Metrics_List"
            ),
            route("GET", _ROLES, r.list_role_assignments, "RoleAssignments_ListForScope"),
            route("PUT", _ROLES + "/{name}", r.put_role_assignment, "RoleAssignments_Create"),
            route("GET", _ROLES + "/{name}", r.get_role_assignment, "RoleAssignments_Get"),
            route("DELETE", _ROLES + "/{name}", r.delete_role_assignment, "RoleAssignments_Delete"),
        ),
        errors.service_error,
    )
