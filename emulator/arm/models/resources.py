"""Generic ARM resources: an id, a type and a JSON body, kept in the store.

ARM ids and names are case-insensitive: resources are found by their lower-cased id and keep the
casing they were created with.
"""

from __future__ import annotations

import copy
import datetime as dt
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from emulator.arm import errors
from emulator.store import Store

__all__ = [
    "Resource",
    "ResourceRegistry",
    "covers",
    "group_of",
    "id_name",
    "normalize_location",
    "parent_id",
    "system_data",
    "tracked_resource",
]


@dataclass
class Resource:
    """An ARM resource: ``body`` holds everything but ``id``, ``name`` and ``type``."""

    id: str
    type: str
    body: dict[str, Any]

    @property
    def name(self) -> str:
        return id_name(self.id)

    @property
    def properties(self) -> dict[str, Any]:
        props: dict[str, Any] = self.body.setdefault("properties", {})
        return props

    def to_dict(self) -> dict[str, Any]:
        """The ARM representation (a copy)."""
        return {"id": self.id, "name": self.name, "type": self.type, **copy.deepcopy(self.body)}

    def new_etag(self) -> None:
        self.body["etag"] = f'"{uuid.uuid4()}"'


def id_name(resource_id: str) -> str:
    return resource_id.rstrip("/").rsplit("/", 1)[-1]


def parent_id(resource_id: str) -> str:
    """The id one level up (drops ``/<type>/<name>``)."""
    parts = resource_id.rstrip("/").split("/")
    return "/".join(parts[:-2])


def group_of(resource_id: str) -> str | None:
    """The resource group named in ``resource_id``, if any."""
    parts = resource_id.split("/")
    lowered = [p.lower() for p in parts]
    if "resourcegroups" in lowered and lowered.index("resourcegroups") + 1 < len(parts):
        return parts[lowered.index("resourcegroups") + 1]
    return None


def system_data(previous: Resource | None, who: str, now: dt.datetime) -> dict[str, str]:
    """ARM's ``systemData``: who created the resource and when, who changed it last and when."""
    stamp = now.isoformat().replace("+00:00", "Z")
    kept = previous.body.get("systemData", {}) if previous is not None else {}
    return {
        "createdBy": kept.get("createdBy", who),
        "createdByType": kept.get("createdByType", "Application"),
        "createdAt": kept.get("createdAt", stamp),
        "lastModifiedBy": who,
        "lastModifiedByType": "Application",
        "lastModifiedAt": stamp,
    }


def normalize_location(value: str) -> str:
    """ARM region names compare without spaces or case (``East US`` is ``eastus``)."""
    return value.replace(" ", "").lower()


def tracked_resource(
    resource_id: str,
    resource_type: str,
    body: Any,
    properties: dict[str, Any],
    *,
    previous: Resource | None,
    who: str,
    now: dt.datetime,
) -> Resource:
    """A resource with a location as ARM keeps it from a PUT ``body``: location, tags, kind, properties,
    ``systemData`` and a new etag. Raises ARM's 400 when the location is missing or would change.
    """
    location = body.get("location") if isinstance(body, dict) else None
    if not isinstance(location, str) or not location.strip():
        raise errors.bad_request("LocationRequired", "The location property is required for this definition.")
    location = normalize_location(location)
    if previous is not None and previous.body["location"] != location:
        raise errors.bad_request(
            "InvalidResourceLocation",
            f"The resource '{id_name(resource_id)}' already exists in location '{previous.body['location']}' in "
            f"resource group '{group_of(resource_id)}'. A resource with the same name cannot be created in "
            f"location '{location}'. Please select a new resource name.",
        )
    kind = str(body["kind"]).strip() if body.get("kind") else None
    resource = Resource(
        resource_id,
        resource_type,
        {
            "location": location,
            "tags": body.get("tags") or {},
            **({"kind": kind} if kind else {}),
            "properties": properties,
            "systemData": system_data(previous, who, now),
        },
    )
    resource.new_etag()
    return resource


def covers(scope: str, resource_id: str) -> bool:
    """Whether ``scope`` is ``resource_id`` or one of its ancestors (case-insensitive)."""
    scope_l, target = scope.rstrip("/").lower(), resource_id.rstrip("/").lower()
    return target == scope_l or target.startswith(scope_l + "/")


class ResourceRegistry:
    """Every ARM resource of the cloud, by id."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self._lock = threading.RLock()
        self._resources: dict[str, Resource] = {}
        for body in store.documents("arm").values():
            resource = Resource(body.pop("id"), body.pop("type"), body)
            self._resources[resource.id.lower()] = resource

    def get(self, resource_id: str) -> Resource | None:
        with self._lock:
            found = self._resources.get(resource_id.rstrip("/").lower())
            return copy.deepcopy(found) if found else None

    def put(self, resource: Resource) -> None:
        with self._lock:
            self._resources[resource.id.lower()] = copy.deepcopy(resource)
            self._store.put_document(
                "arm", resource.id.lower(), {"id": resource.id, "type": resource.type, **resource.body}
            )

    def delete(self, resource_id: str) -> bool:
        with self._lock:
            removed = self._resources.pop(resource_id.rstrip("/").lower(), None)
            if removed is not None:
                self._store.delete_document("arm", resource_id.rstrip("/").lower())
            return removed is not None

    def find(self, predicate: Callable[[Resource], bool]) -> list[Resource]:
        """Resources for which ``predicate`` holds, sorted by id."""
        with self._lock:
            found = [copy.deepcopy(r) for r in self._resources.values() if predicate(r)]
        return sorted(found, key=lambda r: r.id.lower())

    def first(self, predicate: Callable[[Resource], bool]) -> Resource | None:
        """A copy of the first resource (by id) for which ``predicate`` holds; copies nothing else."""
        with self._lock:
            found = sorted((r for r in self._resources.values() if predicate(r)), key=lambda r: r.id.lower())
            return copy.deepcopy(found[0]) if found else None

    def any(self, predicate: Callable[[Resource], bool]) -> bool:
        """Whether ``predicate`` holds for a resource (it must not change what it is given)."""
        with self._lock:
            return any(predicate(r) for r in self._resources.values())

    def of_type(self, resource_type: str, *, under: str | None = None) -> list[Resource]:
        """Resources of ``resource_type`` (case-insensitive), optionally below scope ``under``."""
        wanted = resource_type.lower()
        return self.find(lambda r: r.type.lower() == wanted and (under is None or covers(under, r.id)))

    def clear(self) -> None:
        with self._lock:
            self._resources.clear()
            self._store.clear_documents("arm")
