"""Data collection endpoints (``Microsoft.Insights/dataCollectionEndpoints``).

A DCE's ``logsIngestion.endpoint`` (and its other endpoints) is this local cloud's base URL, computed
when answering, so it stays right when a restarted cloud listens on another port.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from emulator.arm import errors
from emulator.arm.models.resources import Resource, ResourceRegistry, group_of, id_name, tracked_resource
from emulator.core.auth import Principal

if TYPE_CHECKING:
    from emulator.cloud import Cloud

__all__ = ["DCE_TYPE", "DataCollectionEndpoints"]

DCE_TYPE = "Microsoft.Insights/dataCollectionEndpoints"
_NETWORK_ACCESS = ("Enabled", "Disabled", "SecuredByPerimeter")


class DataCollectionEndpoints:
    def __init__(self, cloud: Cloud, registry: ResourceRegistry) -> None:
        self._cloud = cloud
        self._registry = registry

    def create_or_update(self, caller: Principal, resource_id: str, body: Any) -> tuple[Resource, bool]:
        """Create or replace a DCE; returns it and whether it is new."""
        self._cloud.arm.roles.authorize(caller, f"{DCE_TYPE}/write", resource_id)
        props = (body.get("properties") if isinstance(body, dict) else None) or {}
        if not isinstance(props, dict):
            raise errors.invalid_request_content("'properties' must be an object")
        access = (props.get("networkAcls") or {}).get("publicNetworkAccess", "Enabled")
        if access not in _NETWORK_ACCESS:
            raise errors.invalid_parameter(
                f"networkAcls.publicNetworkAccess must be one of {', '.join(_NETWORK_ACCESS)}, not '{access}'.",
                target="properties.networkAcls.publicNetworkAccess",
            )
        previous = self._registry.get(resource_id)
        stored = {k: v for k, v in props.items() if k not in _READ_ONLY}
        stored["networkAcls"] = {"publicNetworkAccess": access}
        stored["immutableId"] = previous.properties["immutableId"] if previous else f"dce-{self._cloud.ids.hex32()}"
        who = caller.app_id or caller.object_id
        resource = tracked_resource(
            resource_id, DCE_TYPE, body, stored, previous=previous, who=who, now=self._cloud.clock.now()
        )
        self._registry.put(resource)
        return resource, previous is None

    def get(self, caller: Principal, resource_id: str) -> Resource:
        self._cloud.arm.roles.authorize(caller, f"{DCE_TYPE}/read", resource_id)
        found = self.by_id(resource_id)
        if found is None:
            raise errors.resource_not_found(DCE_TYPE, id_name(resource_id), group_of(resource_id))
        return found

    def delete(self, caller: Principal, resource_id: str) -> bool:
        self._cloud.arm.roles.authorize(caller, f"{DCE_TYPE}/delete", resource_id)
        return self._registry.delete(resource_id) if self.by_id(resource_id) else False

    def list(self, caller: Principal, scope: str) -> list[Resource]:
        self._cloud.arm.roles.authorize(caller, f"{DCE_TYPE}/read", scope)
        return self._registry.of_type(DCE_TYPE, under=scope)

    def by_id(self, resource_id: str) -> Resource | None:
        found = self._registry.get(resource_id)
        return found if found is not None and found.type == DCE_TYPE else None

    def render(self, resource: Resource) -> dict[str, Any]:
        """The DCE as ARM answers it, with this cloud's endpoints."""
        body = resource.to_dict()
        base = self._cloud.base_url
        body["properties"] = {
            **body["properties"],
            "configurationAccess": {"endpoint": base},
            "logsIngestion": {"endpoint": base},
            "metricsIngestion": {"endpoint": base},
            "provisioningState": "Succeeded",
        }
        return body


_READ_ONLY = {"immutableId", "configurationAccess", "logsIngestion", "metricsIngestion", "provisioningState"}
