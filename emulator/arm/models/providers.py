"""Resource providers of the subscription: their metadata and registration state (``Providers_*`` in the specs).

Azure refuses a write to a namespace the subscription is not registered for with 409
``MissingSubscriptionRegistration``; ``POST /subscriptions/{id}/providers/{namespace}/register`` (or
``unregister``) changes the state, as on a real subscription. Every namespace starts registered;
``Microsoft.Authorization`` and ``Microsoft.Resources`` cannot be unregistered.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from emulator.arm import errors
from emulator.arm.apiversions import API_VERSIONS
from emulator.core.errors import EmulatorError, azure_error

if TYPE_CHECKING:
    from emulator.cloud import Cloud

__all__ = ["NAMESPACES", "Providers"]

_SENTINEL_VERSIONS = ("2025-03-01", "2025-09-01")

#: Namespace -> resource type -> api-versions (what provider metadata lists; ``az`` picks from it).
NAMESPACES: dict[str, dict[str, tuple[str, ...]]] = {
    "Microsoft.OperationalInsights": {
        "workspaces": API_VERSIONS["workspaces"],
        "workspaces/tables": API_VERSIONS["tables"],
        "locations/operationStatuses": API_VERSIONS["tables"],
    },
    "Microsoft.Insights": {
        "dataCollectionRules": API_VERSIONS["dataCollectionRules"],
        "dataCollectionEndpoints": API_VERSIONS["dataCollectionEndpoints"],
        "metrics": API_VERSIONS["metrics"],
    },
    "Microsoft.SecurityInsights": {
        "dataConnectors": _SENTINEL_VERSIONS,
        "dataConnectorDefinitions": _SENTINEL_VERSIONS,
        "onboardingStates": _SENTINEL_VERSIONS,
    },
    "Microsoft.Authorization": {
        "roleAssignments": API_VERSIONS["roleAssignments"],
        "roleDefinitions": API_VERSIONS["roleDefinitions"],
    },
    "Microsoft.Resources": {
        "subscriptions": API_VERSIONS["subscriptions"],
        "resourceGroups": API_VERSIONS["resourceGroups"],
        "tenants": API_VERSIONS["subscriptions"],
    },
}
_ALWAYS = {"microsoft.authorization", "microsoft.resources"}
_DOCUMENTS = "arm.providers"
_PROVIDER_SEGMENT = re.compile(r"/providers/([^/]+)/", re.IGNORECASE)


class Providers:
    """Registration state per namespace, kept in the state directory."""

    def __init__(self, cloud: Cloud) -> None:
        self._cloud = cloud

    def _namespace(self, namespace: str) -> str:
        known = {n.lower(): n for n in NAMESPACES}
        found = known.get(namespace.lower())
        if found is None:
            raise azure_error(
                404,
                "InvalidResourceNamespace",
                f"The resource namespace '{namespace}' is invalid (the local cloud knows {', '.join(NAMESPACES)}).",
            )
        return found

    def is_registered(self, namespace: str) -> bool:
        state = self._cloud.store.document(_DOCUMENTS, namespace.lower())
        return state is None or state == "Registered"

    def set_registered(self, namespace: str, registered: bool) -> dict[str, Any]:
        """Register or unregister ``namespace``; returns its metadata."""
        name = self._namespace(namespace)
        if not registered and name.lower() in _ALWAYS:
            raise errors.bad_request("CannotUnregisterProvider", f"The namespace '{name}' cannot be unregistered.")
        self._cloud.store.put_document(_DOCUMENTS, name.lower(), "Registered" if registered else "NotRegistered")
        return self.describe(name)

    def reset(self) -> None:
        self._cloud.store.clear_documents(_DOCUMENTS)

    def describe(self, namespace: str) -> dict[str, Any]:
        """The provider as ``GET /subscriptions/{id}/providers/{namespace}`` answers it."""
        name = self._namespace(namespace)
        location = self._cloud.identity.location
        return {
            "id": f"/subscriptions/{self._cloud.identity.subscription_id}/providers/{name}",
            "namespace": name,
            "registrationState": "Registered" if self.is_registered(name) else "NotRegistered",
            "registrationPolicy": "RegistrationRequired",
            "resourceTypes": [
                {"resourceType": kind, "locations": [location], "apiVersions": sorted(versions, reverse=True)}
                for kind, versions in NAMESPACES[name].items()
            ],
        }

    def all(self) -> list[dict[str, Any]]:
        return [self.describe(n) for n in NAMESPACES]

    def require_registered(self, path: str) -> None:
        """Refuse a write under ``path`` when the namespace it names last is not registered (409)."""
        segments = _PROVIDER_SEGMENT.findall(path + "/")
        if not segments:
            return
        namespace = segments[-1]
        if namespace.lower() in {n.lower() for n in NAMESPACES} and not self.is_registered(namespace):
            raise missing_registration(self._namespace(namespace))


def missing_registration(namespace: str) -> EmulatorError:
    message = (
        f"The subscription is not registered to use namespace '{namespace}'. See https://aka.ms/rps-not-found for "
        "how to register subscriptions."
    )
    return azure_error(
        409,
        "MissingSubscriptionRegistration",
        message,
        details=[{"code": "MissingSubscriptionRegistration", "target": namespace, "message": message}],
    )
