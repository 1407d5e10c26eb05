"""ARM's tenant- and subscription-wide reads, what a real tool needs to find its way (``az login``, ``az group
list``, ``az resource list``, ``az role ...``, ``az resource show`` without ``--api-version``):

* ``GET /tenants`` and ``GET /subscriptions``: the tenant, and the subscriptions the caller holds a role in;
* ``GET /subscriptions/{id}/resourcegroups``; ``GET .../resources`` (subscription or group): tracked
  resources (workspaces, DCEs, DCRs), not child or extension resources, as ARM lists them;
* providers: ``GET /subscriptions/{id}/providers[/{namespace}]``, ``POST .../{namespace}/register|unregister``;
* role definitions: ``GET {scope}/providers/Microsoft.Authorization/roleDefinitions/{id}`` and the list with
  ``$filter=roleName eq '...'`` (or ``type eq 'BuiltInRole'``).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from emulator.arm import errors
from emulator.arm.apiversions import require_api_version
from emulator.arm.models.endpoints import DCE_TYPE
from emulator.arm.models.resources import Resource
from emulator.arm.models.roles import ROLE_DEFINITIONS, RoleDefinition
from emulator.arm.models.rules import DCR_TYPE
from emulator.arm.models.workspaces import RESOURCE_GROUP_TYPE, SUBSCRIPTION_TYPE, WORKSPACE_TYPE
from emulator.arm.responses import _caller
from emulator.core.http import Call, Reply

if TYPE_CHECKING:
    from emulator.cloud import Cloud

__all__ = ["TenancyResponses"]

_TRACKED = (WORKSPACE_TYPE, DCE_TYPE, DCR_TYPE)
_ROLE_NAME_FILTER = re.compile(r"^\s*roleName\s+eq\s+'(?P<name>[^']*)'\s*$", re.IGNORECASE)
_TYPE_FILTER = re.compile(r"^\s*type\s+eq\s+'(?P<type>[^']*)'\s*$", re.IGNORECASE)


class TenancyResponses:
    def __init__(self, cloud: Cloud) -> None:
        self.cloud = cloud
        self.arm = cloud.arm

    # --- tenants, subscriptions, groups, resources ------------------------------------------------------

    def list_tenants(self, call: Call) -> Reply:
        require_api_version(call, "subscriptions")
        tenant = self.cloud.identity.tenant_id
        return Reply(
            200,
            {
                "value": [
                    {
                        "id": f"/tenants/{tenant}",
                        "tenantId": tenant,
                        "tenantCategory": "Home",
                        "displayName": "miro-sentinel local cloud",
                        "defaultDomain": "local.miro-sentinel.example",
                        "domains": ["local.miro-sentinel.example"],
                    }
                ]
            },
        )

    def list_subscriptions(self, call: Call) -> Reply:
        require_api_version(call, "subscriptions")
        caller = _caller(call)
        found = [
            s
            for s in self.arm.registry.of_type(SUBSCRIPTION_TYPE)
            if self.arm.roles.is_allowed(caller.object_id, "Microsoft.Resources/subscriptions/read", s.id)
        ]
        return Reply(200, {"value": [_subscription(s) for s in found]})

    def list_resource_groups(self, call: Call) -> Reply:
        require_api_version(call, "resourceGroups")
        subscription = self.arm.workspaces.subscription(call.params["subscriptionId"])
        self.arm.roles.authorize(
            _caller(call), "Microsoft.Resources/subscriptions/resourceGroups/read", subscription.id
        )
        groups = self.arm.registry.of_type(RESOURCE_GROUP_TYPE, under=subscription.id)
        return Reply(200, {"value": [{**g.to_dict(), "type": RESOURCE_GROUP_TYPE} for g in groups]})

    def list_resources(self, call: Call) -> Reply:
        require_api_version(call, "providers")
        p = call.params
        scope = self.arm.workspaces.subscription(p["subscriptionId"]).id
        if "resourceGroupName" in p:
            scope = self.arm.workspaces.resource_group(p["subscriptionId"], p["resourceGroupName"]).id
        self.arm.roles.authorize(_caller(call), "Microsoft.Resources/subscriptions/resources/read", scope)
        found = [r for kind in _TRACKED for r in self.arm.registry.of_type(kind, under=scope)]
        return Reply(200, {"value": [_generic(r) for r in sorted(found, key=lambda r: r.id.lower())]})

    # --- providers --------------------------------------------------------------------------------------

    def list_providers(self, call: Call) -> Reply:
        require_api_version(call, "providers")
        self.arm.workspaces.subscription(call.params["subscriptionId"])
        return Reply(200, {"value": self.arm.providers.all()})

    def get_provider(self, call: Call) -> Reply:
        require_api_version(call, "providers")
        self.arm.workspaces.subscription(call.params["subscriptionId"])
        return Reply(200, self.arm.providers.describe(call.params["namespace"]))

    def register_provider(self, call: Call) -> Reply:
        return self._registration(call, registered=True)

    def unregister_provider(self, call: Call) -> Reply:
        return self._registration(call, registered=False)

    def _registration(self, call: Call, *, registered: bool) -> Reply:
        require_api_version(call, "providers")
        subscription = self.arm.workspaces.subscription(call.params["subscriptionId"])
        namespace = call.params["namespace"]
        verb = "register" if registered else "unregister"
        self.arm.roles.authorize(_caller(call), f"{namespace}/{verb}/action", subscription.id)
        return Reply(200, self.arm.providers.set_registered(namespace, registered))

    # --- role definitions ---------------------------------------------------------------------------------

    def get_role_definition(self, call: Call) -> Reply:
        require_api_version(call, "roleDefinitions")
        scope = "/" + call.params["scope"].strip("/")
        role = ROLE_DEFINITIONS.get(call.params["roleDefinitionId"].lower())
        if role is None:
            raise errors.not_found(
                "RoleDefinitionDoesNotExist",
                f"The specified role definition with ID '{call.params['roleDefinitionId']}' does not exist.",
            )
        return Reply(200, self._role(role, scope))

    def list_role_definitions(self, call: Call) -> Reply:
        require_api_version(call, "roleDefinitions")
        scope = "/" + call.params["scope"].strip("/")
        text = call.arg("$filter")
        roles = list(ROLE_DEFINITIONS.values())
        if text:
            by_name, by_type = _ROLE_NAME_FILTER.match(text), _TYPE_FILTER.match(text)
            if by_name:
                roles = [r for r in roles if r.name.lower() == by_name.group("name").lower()]
            elif by_type:
                roles = roles if by_type.group("type").lower() == "builtinrole" else []
            else:
                raise errors.bad_request(
                    "UnsupportedQuery",
                    f"The filter '{text}' is not supported. Supported: roleName eq '{{name}}', type eq '{{type}}'.",
                )
        return Reply(200, {"value": [self._role(r, scope) for r in roles]})

    def _role(self, role: RoleDefinition, scope: str) -> dict[str, Any]:
        # Built-in definitions are answered under the subscription of the scope (or tenant-wide), as ARM does.
        subscription = scope.split("/")[2] if scope.lower().startswith("/subscriptions/") else None
        prefix = f"/subscriptions/{subscription}" if subscription else ""
        return {
            "id": f"{prefix}/providers/Microsoft.Authorization/roleDefinitions/{role.id}",
            "name": role.id,
            "type": "Microsoft.Authorization/roleDefinitions",
            "properties": {
                "roleName": role.name,
                "type": "BuiltInRole",
                "description": f"Built-in role {role.name} (local cloud).",
                "assignableScopes": ["/"],
                "permissions": [
                    {
                        "actions": list(role.actions),
                        "notActions": list(role.not_actions),
                        "dataActions": list(role.data_actions),
                        "notDataActions": [],
                    }
                ],
                "createdOn": "2015-02-02T21:55:09.8806423Z",
                "updatedOn": "2024-01-01T00:00:00.0000000Z",
                "createdBy": None,
                "updatedBy": None,
            },
        }


def _subscription(resource: Resource) -> dict[str, Any]:
    body = resource.to_dict()
    body.pop("name", None)
    body.pop("type", None)
    body.setdefault("managedByTenants", [])
    return body


def _generic(resource: Resource) -> dict[str, Any]:
    """A resource as ``GET .../resources`` lists it: id, name, type, location, tags (no properties)."""
    answer: dict[str, Any] = {"id": resource.id, "name": resource.name, "type": resource.type}
    for key in ("kind", "location", "tags"):
        if key in resource.body:
            answer[key] = resource.body[key]
    return answer
