"""Azure Monitor workbooks (``Microsoft.Insights/workbooks``), as Sentinel's workbooks are kept.

From the 2023-06-01 ``workbooks_API.json`` spec: the resource name "must be an UUID"; ``location`` is
required; ``properties.displayName``, ``category`` and ``serializedData`` are required, and
``serializedData`` is "a string containing valid JSON"; ``kind`` is ``shared``. Azure adds ``revision``,
``timeModified`` and ``userId``. The workbook is not rendered.
"""

from __future__ import annotations

import copy
import json
import re
import uuid
from typing import Any

from emulator.arm.models.resources import Resource, tracked_resource
from emulator.content import errors
from emulator.content.scoped import GroupScoped
from emulator.core.auth import Principal

__all__ = ["WORKBOOK_TYPE", "Workbooks", "workbook_problems"]

WORKBOOK_TYPE = "Microsoft.Insights/workbooks"
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


def workbook_problems(name: str, body: Any) -> list[tuple[str, str]]:
    problems = []
    if not _UUID.fullmatch(name):
        problems.append(("resourceName", f"'{name}' is not valid: the name of a workbook must be a UUID"))
    if not isinstance(body, dict) or not isinstance(body.get("properties"), dict):
        return [*problems, ("properties", "is required and must be an object")]
    if body.get("kind") not in (None, "shared"):
        problems.append(("kind", f"'{body.get('kind')}' is not a workbook kind (shared)"))
    props = body["properties"]
    for name_ in ("displayName", "category", "serializedData"):
        if not isinstance(props.get(name_), str) or not props[name_].strip():
            problems.append((f"properties.{name_}", "is required and must be a non-empty string"))
    data = props.get("serializedData")
    if isinstance(data, str) and data.strip():
        try:
            json.loads(data)
        except ValueError as exc:
            problems.append(("properties.serializedData", f"is not valid JSON: {exc}"))
    return problems


class Workbooks(GroupScoped):
    TYPE = WORKBOOK_TYPE
    NOUN = "workbook"

    def put(self, caller: Principal, group_id: str, name: str, body: Any) -> tuple[Resource, bool]:
        resource_id = self.resource_id(group_id, name)
        self._cloud.arm.roles.authorize(caller, f"{self.TYPE}/write", resource_id)
        problems = workbook_problems(name, body)
        if problems:
            raise errors.invalid_properties(problems)
        previous = self._registry.get(resource_id)
        now = self._cloud.clock.now()
        props = copy.deepcopy(body["properties"])
        props.update(
            {
                "timeModified": now.isoformat().replace("+00:00", "Z"),
                "revision": uuid.uuid4().hex,
                "userId": caller.object_id,
            }
        )
        resource = tracked_resource(
            resource_id,
            WORKBOOK_TYPE,
            {**body, "kind": body.get("kind") or "shared"},
            props,
            previous=previous,
            who=caller.app_id or caller.object_id,
            now=now,
        )
        self._registry.put(resource)
        return resource, previous is None
