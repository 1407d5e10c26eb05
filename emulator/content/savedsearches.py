"""Log Analytics saved searches (``workspaces/savedSearches``), where Sentinel keeps hunting queries.

From the 2025-07-01 ``SavedSearches.json`` spec: ``properties.category``, ``displayName`` and ``query`` are
required; ``tags`` is a list of ``{name, value}``; every operation answers 200 (no long-running operation).
The query is kept as given: Log Analytics does not compile a saved search when it is saved.
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any

from emulator.arm.models.resources import Resource
from emulator.content import errors
from emulator.core.auth import Principal

if TYPE_CHECKING:
    from emulator.cloud import Cloud

__all__ = ["SAVED_SEARCH_TYPE", "SavedSearches", "saved_search_problems"]

SAVED_SEARCH_TYPE = "Microsoft.OperationalInsights/workspaces/savedSearches"


def saved_search_problems(body: Any) -> list[tuple[str, str]]:
    if not isinstance(body, dict) or not isinstance(body.get("properties"), dict):
        return [("properties", "is required and must be an object")]
    props = body["properties"]
    problems = [
        (f"properties.{name}", "is required and must be a non-empty string")
        for name in ("category", "displayName", "query")
        if not isinstance(props.get(name), str) or not props[name].strip()
    ]
    tags = props.get("tags")
    if tags is not None and (
        not isinstance(tags, list) or not all(isinstance(t, dict) and "name" in t and "value" in t for t in tags)
    ):
        problems.append(("properties.tags", "must be a list of {name, value}"))
    return problems


class SavedSearches:
    def __init__(self, cloud: Cloud) -> None:
        self._cloud = cloud
        self._registry = cloud.arm.registry

    def put(self, caller: Principal, workspace: Resource, name: str, body: Any) -> tuple[Resource, bool]:
        resource_id = f"{workspace.id}/savedSearches/{name}"
        self._cloud.arm.roles.authorize(caller, f"{SAVED_SEARCH_TYPE}/write", resource_id)
        problems = saved_search_problems(body)
        if problems:
            raise errors.invalid_properties(problems)
        previous = self._registry.get(resource_id)
        resource = Resource(resource_id, SAVED_SEARCH_TYPE, {"properties": copy.deepcopy(body["properties"])})
        resource.new_etag()
        self._registry.put(resource)
        return resource, previous is None

    def get(self, caller: Principal, workspace: Resource, name: str) -> Resource:
        resource_id = f"{workspace.id}/savedSearches/{name}"
        self._cloud.arm.roles.authorize(caller, f"{SAVED_SEARCH_TYPE}/read", resource_id)
        found = self._registry.get(resource_id)
        if found is None or found.type != SAVED_SEARCH_TYPE:
            raise errors.not_found("saved search", name)
        return found

    def list_searches(self, caller: Principal, workspace: Resource) -> list[Resource]:
        self._cloud.arm.roles.authorize(caller, f"{SAVED_SEARCH_TYPE}/read", workspace.id)
        return self._registry.of_type(SAVED_SEARCH_TYPE, under=workspace.id)

    def delete(self, caller: Principal, workspace: Resource, name: str) -> bool:
        resource_id = f"{workspace.id}/savedSearches/{name}"
        self._cloud.arm.roles.authorize(caller, f"{SAVED_SEARCH_TYPE}/delete", resource_id)
        return self._registry.delete(resource_id)
