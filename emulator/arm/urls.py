"""ARM routes: ``/subscriptions/...`` and scope-relative role assignments (all need an ARM token)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from emulator.arm import errors
from emulator.arm.responses import ArmResponses
from emulator.arm.tenancy import TenancyResponses
from emulator.core.auth import Authenticator
from emulator.core.errors import not_implemented
from emulator.core.http import Call, Handler, Reply, Route, Service

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
_ROLE_DEFINITIONS = "/{scope:path}/providers/Microsoft.Authorization/roleDefinitions"
_SUB = "/subscriptions/{subscriptionId}"
_PROVIDER = _SUB + "/providers/{namespace}"
_WRITES = ("PUT", "PATCH", "POST", "DELETE")


def registered_only(cloud: Cloud, handler: Handler) -> Handler:
    """``handler`` behind Azure's check that the subscription is registered for the namespace written to."""

    def guarded(call: Call) -> Reply:
        cloud.arm.providers.require_registered(call.path)
        return handler(call)

    guarded.__name__ = getattr(handler, "__name__", "handler")
    return guarded


def _unemulated(call: Call) -> Reply:
    """A method Azure serves on this path and the local cloud does not (501, not 405)."""
    raise not_implemented(call.method, call.path)


def service(cloud: Cloud) -> Service:
    r = ArmResponses(cloud)
    auth = Authenticator(ARM_AUDIENCES, errors.ArmAuthErrors(cloud.identity.tenant_id), cloud.tokens)

    t = TenancyResponses(cloud)

    def route(method: str, template: str, handler: Handler, operation: str) -> Route:
        if method in _WRITES:
            handler = registered_only(cloud, handler)
        return Route(method, template, handler, auth, operation)

    return Service(
        "arm",
        (
            Route("GET", "/metadata/endpoints", r.get_metadata_endpoints, None, "Metadata_Endpoints"),
            route("GET", "/tenants", t.list_tenants, "Tenants_List"),
            route("GET", "/subscriptions", t.list_subscriptions, "Subscriptions_List"),
            route("GET", _SUB, r.get_subscription, "Subscriptions_Get"),
            route("GET", _SUB + "/resourcegroups", t.list_resource_groups, "ResourceGroups_List"),
            route("GET", _SUB + "/resources", t.list_resources, "Resources_List"),
            route("GET", _SUB + "/providers", t.list_providers, "Providers_List"),
            route("GET", _PROVIDER, t.get_provider, "Providers_Get"),
            Route("POST", _PROVIDER + "/register", t.register_provider, auth, "Providers_Register"),
            Route("POST", _PROVIDER + "/unregister", t.unregister_provider, auth, "Providers_Unregister"),
            route("GET", _RG + "/resources", t.list_resources, "Resources_ListByResourceGroup"),
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
            route(
                "GET",
                _RG + "/providers/Microsoft.Authorization/permissions",
                r.list_permissions,
                "Permissions_ListForResourceGroup",
            ),
            route("GET", _ROLE_DEFINITIONS, t.list_role_definitions, "RoleDefinitions_List"),
            route("GET", _ROLE_DEFINITIONS + "/{roleDefinitionId}", t.get_role_definition, "RoleDefinitions_Get"),
            *(
                route("PATCH", path, _unemulated, "NotImplemented")
                for path in (_WS, _WS + "/tables/{tableName}", _RG + _DCE + "/{name}", _RG + _DCR + "/{name}")
            ),
            route("GET", _ROLES, r.list_role_assignments, "RoleAssignments_ListForScope"),
            route("PUT", _ROLES + "/{name}", r.put_role_assignment, "RoleAssignments_Create"),
            route("GET", _ROLES + "/{name}", r.get_role_assignment, "RoleAssignments_Get"),
            route("DELETE", _ROLES + "/{name}", r.delete_role_assignment, "RoleAssignments_Delete"),
        ),
        errors.service_error,
    )
