"""ARM's state and rules, one module per resource kind, composed by :class:`ArmBackend`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from emulator.arm.models.endpoints import DataCollectionEndpoints
from emulator.arm.models.operations import AsyncOperations
from emulator.arm.models.providers import Providers
from emulator.arm.models.resources import ResourceRegistry
from emulator.arm.models.roles import RoleAssignments
from emulator.arm.models.rules import DataCollectionRules
from emulator.arm.models.tables import Tables
from emulator.arm.models.workspaces import Workspaces

if TYPE_CHECKING:
    from emulator.cloud import Cloud

__all__ = ["ArmBackend"]


class ArmBackend:
    """Every ARM resource of the cloud: the seeded scopes, tables, DCEs, DCRs and role assignments."""

    def __init__(self, cloud: Cloud) -> None:
        self._cloud = cloud
        self.registry = ResourceRegistry(cloud.store)
        self.roles = RoleAssignments(cloud, self.registry)
        self.workspaces = Workspaces(cloud, self.registry)
        self.tables = Tables(cloud, self.registry)
        self.endpoints = DataCollectionEndpoints(cloud, self.registry)
        self.rules = DataCollectionRules(cloud, self.registry)
        self.operations = AsyncOperations(cloud)
        self.providers = Providers(cloud)
        self.seed()

    def seed(self) -> None:
        """The seeded subscription, resource group, workspace, and the seeded principal as Owner."""
        self.workspaces.seed()
        identity = self._cloud.identity
        self.roles.seed_owner(identity.principal_object_id, f"/subscriptions/{identity.subscription_id}")

    def reset(self) -> None:
        """Remove every resource and row, then seed again."""
        for workspace in self.workspaces.all():
            self._cloud.logs.drop_all(workspace.properties["customerId"])
        self.registry.clear()
        self.rules.clear_cache()
        self.operations.reset()
        self.providers.reset()
        self.seed()
