"""Subscriptions, resource groups and Log Analytics workspaces: the seeded scopes everything lives in.

The local cloud has one subscription, one resource group and one workspace, created at first start.
They can be read (and listed) but not created, changed or deleted.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from emulator.arm import errors
from emulator.arm.models.resources import Resource, ResourceRegistry
from emulator.core.auth import Principal

if TYPE_CHECKING:
    from emulator.cloud import Cloud

__all__ = ["RESOURCE_GROUP_TYPE", "SUBSCRIPTION_TYPE", "WORKSPACE_TYPE", "Workspaces"]

SUBSCRIPTION_TYPE = "Microsoft.Resources/subscriptions"
RESOURCE_GROUP_TYPE = "Microsoft.Resources/resourceGroups"
WORKSPACE_TYPE = "Microsoft.OperationalInsights/workspaces"


class Workspaces:
    """The seeded scopes and workspaces, and the existence checks every ARM path goes through."""

    def __init__(self, cloud: Cloud, registry: ResourceRegistry) -> None:
        self._cloud = cloud
        self._registry = registry

    def seed(self) -> None:
        """Create the seeded subscription, resource group and workspace when missing."""
        i = self._cloud.identity
        created = "2026-01-01T00:00:00Z"
        subscription = f"/subscriptions/{i.subscription_id}"
        group = f"{subscription}/resourceGroups/{i.resource_group}"
        if self._registry.get(subscription) is None:
            self._registry.put(
                Resource(
                    subscription,
                    SUBSCRIPTION_TYPE,
                    {
                        "subscriptionId": i.subscription_id,
                        "tenantId": i.tenant_id,
                        "displayName": "miro-sentinel local cloud",
                        "state": "Enabled",
                        "subscriptionPolicies": {
                            "locationPlacementId": "Public_2014-09-01",
                            "quotaId": "Internal_2014-09-01",
                            "spendingLimit": "Off",
                        },
                        "authorizationSource": "RoleBased",
                    },
                )
            )
        if self._registry.get(group) is None:
            self._registry.put(
                Resource(
                    group,
                    RESOURCE_GROUP_TYPE,
                    {"location": i.location, "tags": {}, "properties": {"provisioningState": "Succeeded"}},
                )
            )
        if self._registry.get(i.workspace_resource_id) is None:
            self._registry.put(
                Resource(
                    i.workspace_resource_id,
                    WORKSPACE_TYPE,
                    {
                        "location": i.location,
                        "tags": {},
                        "etag": '"00000000-0000-0000-0000-000000000001"',
                        "properties": {
                            "customerId": i.workspace_customer_id,
                            "provisioningState": "Succeeded",
                            "sku": {"name": "PerGB2018", "lastSkuUpdate": created},
                            "retentionInDays": 30,
                            "features": {
                                "legacy": 0,
                                "searchVersion": 1,
                                "enableLogAccessUsingOnlyResourcePermissions": True,
                            },
                            "workspaceCapping": {"dailyQuotaGb": -1.0, "dataIngestionStatus": "RespectQuota"},
                            "publicNetworkAccessForIngestion": "Enabled",
                            "publicNetworkAccessForQuery": "Enabled",
                            "createdDate": created,
                            "modifiedDate": created,
                        },
                    },
                )
            )
        for workspace in self.all():
            self._cloud.logs.open_workspace(workspace.properties["customerId"])

    # --- scopes -----------------------------------------------------------------------------------------

    def subscription(self, subscription_id: str) -> Resource:
        found = self._registry.get(f"/subscriptions/{subscription_id}")
        if found is None:
            raise errors.subscription_not_found(subscription_id)
        return found

    def resource_group(self, subscription_id: str, group: str) -> Resource:
        self.subscription(subscription_id)
        found = self._registry.get(f"/subscriptions/{subscription_id}/resourceGroups/{group}")
        if found is None:
            raise errors.resource_group_not_found(group)
        return found

    # --- workspaces ----------------------------------------------------------------------------------

    def all(self) -> list[Resource]:
        return self._registry.of_type(WORKSPACE_TYPE)

    def get(self, subscription_id: str, group: str, name: str) -> Resource:
        """The workspace, or ARM's 404 for it or for the scope above it."""
        self.resource_group(subscription_id, group)
        found = self._registry.get(
            f"/subscriptions/{subscription_id}/resourceGroups/{group}/providers/{WORKSPACE_TYPE}/{name}"
        )
        if found is None:
            raise errors.resource_not_found(WORKSPACE_TYPE, name, group)
        return found

    def read(self, caller: Principal, subscription_id: str, group: str, name: str) -> Resource:
        workspace = self.get(subscription_id, group, name)
        self._cloud.arm.roles.authorize(caller, f"{WORKSPACE_TYPE}/read", workspace.id)
        return workspace

    def by_id(self, resource_id: str) -> Resource | None:
        found = self._registry.get(resource_id)
        return found if found is not None and found.type == WORKSPACE_TYPE else None

    def by_customer_id(self, customer_id: str) -> Resource | None:
        wanted = customer_id.lower()
        return next((w for w in self.all() if w.properties["customerId"].lower() == wanted), None)
