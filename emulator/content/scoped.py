"""Resources that live in a resource group under one ARM type: read, listed and deleted the same way.

Azure authorizes each call against the resource's ``<type>/read`` or ``<type>/delete`` action (the list
against the group), and answers a missing one with 404 naming the noun.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from emulator.arm.models.resources import Resource
from emulator.content import errors
from emulator.core.auth import Principal

if TYPE_CHECKING:
    from emulator.cloud import Cloud

__all__ = ["GroupScoped"]


class GroupScoped:
    """Get, list and delete of the ``TYPE`` resources of a group; subclasses add the write and its checks."""

    TYPE: ClassVar[str]
    #: What a 404 calls one of them ("workbook", "metric alert").
    NOUN: ClassVar[str]

    def __init__(self, cloud: Cloud) -> None:
        self._cloud = cloud
        self._registry = cloud.arm.registry

    def resource_id(self, group_id: str, name: str) -> str:
        return f"{group_id}/providers/{self.TYPE}/{name}"

    def get(self, caller: Principal, group_id: str, name: str) -> Resource:
        resource_id = self.resource_id(group_id, name)
        self._cloud.arm.roles.authorize(caller, f"{self.TYPE}/read", resource_id)
        found = self._registry.get(resource_id)
        if found is None or found.type != self.TYPE:
            raise errors.not_found(self.NOUN, name)
        return found

    def list_in_group(self, caller: Principal, group_id: str) -> list[Resource]:
        self._cloud.arm.roles.authorize(caller, f"{self.TYPE}/read", group_id)
        return self._registry.of_type(self.TYPE, under=group_id)

    def delete(self, caller: Principal, group_id: str, name: str) -> bool:
        resource_id = self.resource_id(group_id, name)
        self._cloud.arm.roles.authorize(caller, f"{self.TYPE}/delete", resource_id)
        return self._registry.delete(resource_id)
