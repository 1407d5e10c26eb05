"""Azure RBAC: role definitions, role assignments, and the check every call goes through.

An assignment grants its role at its scope and every scope below. It is honoured only
``role_propagation_seconds`` (virtual) after it was created, as Azure takes a while (up to 30 minutes
for the Logs Ingestion API) to propagate a new assignment.

Only the built-in roles below are known; their actions are those Azure publishes, trimmed to what the
local cloud's operations check.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from emulator.arm import errors
from emulator.arm.models.resources import Resource, ResourceRegistry, covers
from emulator.core.auth import Principal

if TYPE_CHECKING:
    from emulator.cloud import Cloud

__all__ = [
    "MONITORING_METRICS_PUBLISHER",
    "OWNER",
    "ROLE_ASSIGNMENT_TYPE",
    "ROLE_DEFINITIONS",
    "RoleAssignments",
    "RoleDefinition",
]

ROLE_ASSIGNMENT_TYPE = "Microsoft.Authorization/roleAssignments"


@dataclass(frozen=True)
class RoleDefinition:
    id: str
    name: str
    actions: tuple[str, ...] = ()
    not_actions: tuple[str, ...] = ()
    data_actions: tuple[str, ...] = ()

    def allows(self, action: str, *, data: bool) -> bool:
        if data:
            return any(_matches(p, action) for p in self.data_actions)
        return any(_matches(p, action) for p in self.actions) and not any(_matches(p, action) for p in self.not_actions)


def _matches(pattern: str, action: str) -> bool:
    regex = "^" + ".*".join(re.escape(part) for part in pattern.split("*")) + "$"
    return re.match(regex, action, re.IGNORECASE) is not None


OWNER = "8e3af657-a8ff-443b-a75f-50f8b0d7bc23"
MONITORING_METRICS_PUBLISHER = "3913510d-42f4-4e42-8a64-420c390055eb"

ROLE_DEFINITIONS: dict[str, RoleDefinition] = {
    r.id: r
    for r in (
        RoleDefinition(OWNER, "Owner", actions=("*",)),
        RoleDefinition(
            "b24988ac-6180-42a0-ab88-20f7382dd24c",
            "Contributor",
            actions=("*",),
            not_actions=(
                "Microsoft.Authorization/*/Delete",
                "Microsoft.Authorization/*/Write",
                "Microsoft.Authorization/elevateAccess/Action",
            ),
        ),
        RoleDefinition("acdd72a7-3385-48ef-bd9a-f6fedfe3e9b5", "Reader", actions=("*/read",)),
        RoleDefinition(
            "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9",
            "User Access Administrator",
            actions=("*/read", "Microsoft.Authorization/*", "Microsoft.Support/*"),
        ),
        RoleDefinition(
            MONITORING_METRICS_PUBLISHER,
            "Monitoring Metrics Publisher",
            actions=(
                "Microsoft.Insights/Register/Action",
                "Microsoft.Support/*",
                "Microsoft.Resources/subscriptions/resourceGroups/read",
            ),
            data_actions=("Microsoft.Insights/Metrics/Write", "Microsoft.Insights/Telemetry/Write"),
        ),
        RoleDefinition(
            "73c42c96-874c-492b-b04d-ab87d138a893",
            "Log Analytics Reader",
            actions=(
                "*/read",
                "Microsoft.OperationalInsights/workspaces/analytics/query/action",
                "Microsoft.OperationalInsights/workspaces/search/action",
                "Microsoft.Support/*",
            ),
            not_actions=("Microsoft.OperationalInsights/workspaces/sharedKeys/read",),
        ),
    )
}

_GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_ROLE_DEFINITION_ID = re.compile(
    r"^(?:/subscriptions/[^/]+)?/providers/Microsoft\.Authorization/roleDefinitions/(?P<guid>[^/]+)$", re.IGNORECASE
)


class RoleAssignments:
    """Role assignments (ARM resources under any scope) and authorization checks."""

    def __init__(self, cloud: Cloud, registry: ResourceRegistry) -> None:
        self._cloud = cloud
        self._registry = registry
        #: Object ids of Microsoft first-party services that Azure lets perform data actions without a role
        #: assignment the customer can see (part 2: Sentinel's codeless connectors sending to a DCR).
        self.first_party: set[str] = set()

    # --- checks -------------------------------------------------------------------------------------

    def is_allowed(self, object_id: str, action: str, resource_id: str, *, data: bool = False) -> bool:
        """Whether ``object_id`` may perform ``action`` on ``resource_id`` now (propagated assignments only)."""
        if data and object_id.lower() in self.first_party:
            return True
        now = self._cloud.clock.now()
        delay = dt.timedelta(seconds=self._cloud.settings.role_propagation_seconds)

        def grants(assignment: Resource) -> bool:
            props = assignment.properties
            if assignment.type != ROLE_ASSIGNMENT_TYPE or props.get("principalId", "").lower() != object_id.lower():
                return False
            if not covers(props["scope"], resource_id):
                return False
            if dt.datetime.fromisoformat(props["createdOn"].replace("Z", "+00:00")) + delay > now:
                return False
            role = ROLE_DEFINITIONS.get(_role_guid(props["roleDefinitionId"]))
            return role is not None and role.allows(action, data=data)

        return self._registry.any(grants)

    def permissions(self, object_id: str, scope: str) -> list[dict[str, list[str]]]:
        """The Permissions API's answer: one entry per role ``object_id`` holds at or above ``scope`` (propagated)."""
        now = self._cloud.clock.now()
        delay = dt.timedelta(seconds=self._cloud.settings.role_propagation_seconds)
        found = []
        for assignment in self._registry.of_type(ROLE_ASSIGNMENT_TYPE):
            props = assignment.properties
            if props.get("principalId", "").lower() != object_id.lower() or not covers(props["scope"], scope):
                continue
            if dt.datetime.fromisoformat(props["createdOn"].replace("Z", "+00:00")) + delay > now:
                continue
            role = ROLE_DEFINITIONS.get(_role_guid(props["roleDefinitionId"]))
            if role is not None:
                found.append(
                    {
                        "actions": list(role.actions),
                        "notActions": list(role.not_actions),
                        "dataActions": list(role.data_actions),
                        "notDataActions": [],
                    }
                )
        return found

    def authorize(self, principal: Principal, action: str, scope: str) -> None:
        """Raise ARM's 403 ``AuthorizationFailed`` unless ``principal`` may perform ``action`` at ``scope``."""
        if not self.is_allowed(principal.object_id, action, scope):
            raise errors.authorization_failed(principal.app_id, principal.object_id, action, scope)

    # --- operations ---------------------------------------------------------------------------------

    def create(self, caller: Principal, scope: str, name: str, body: Any) -> tuple[Resource, bool]:
        """Create (or repeat) an assignment; returns it and whether it is new."""
        if not _GUID.match(name):
            raise errors.bad_request(
                "InvalidRoleAssignmentId",
                f"The role assignment ID '{name}' is not valid. The role assignment ID must be a GUID.",
            )
        props = body.get("properties") if isinstance(body, dict) else None
        if not isinstance(props, dict):
            raise errors.invalid_request_content("'properties' is required")
        role_definition_id = props.get("roleDefinitionId")
        principal_id = props.get("principalId")
        if not isinstance(role_definition_id, str) or not isinstance(principal_id, str):
            raise errors.invalid_request_content(
                "'properties.roleDefinitionId' and 'properties.principalId' are required"
            )
        guid = _role_guid(role_definition_id)
        if guid not in ROLE_DEFINITIONS:
            raise errors.bad_request(
                "RoleDefinitionDoesNotExist", f"The specified role definition with ID '{guid}' does not exist."
            )
        principal = self._cloud.directory.by_object_id(principal_id)
        if principal is None:
            tenant = self._cloud.identity.tenant_id
            raise errors.bad_request(
                "PrincipalNotFound",
                f"Principal {principal_id.replace('-', '')} does not exist in the directory {tenant}. Check that "
                "you have the correct principal ID. If you are creating this principal and then immediately "
                "assigning a role, this error might be related to a replication delay. In this case, set the "
                "role assignment principalType property to a value, such as ServicePrincipal, User, or Group. "
                "See https://aka.ms/docs-principaltype",
            )
        stated = props.get("principalType")
        if stated is not None and str(stated) != principal.kind:
            raise errors.bad_request(
                "UnmatchedPrincipalType",
                f"The PrincipalId '{principal_id.replace('-', '')}' has type '{principal.kind}' , which is "
                f"different from specified PrincipalType '{stated}'.",
            )
        self.authorize(caller, "Microsoft.Authorization/roleAssignments/write", scope)
        assignment_id = f"{scope}/providers/Microsoft.Authorization/roleAssignments/{name}"
        existing = self._registry.get(assignment_id)
        if existing is not None:
            same = (
                existing.properties["principalId"].lower() == principal_id.lower()
                and _role_guid(existing.properties["roleDefinitionId"]) == guid
            )
            if not same:
                raise errors.conflict(
                    "RoleAssignmentUpdateNotPermitted",
                    "Tenant ID, application ID, principal ID, and scope are not allowed to be updated.",
                )
            return existing, False
        for other in self._registry.of_type(ROLE_ASSIGNMENT_TYPE):
            p = other.properties
            if (
                p["principalId"].lower() == principal_id.lower()
                and _role_guid(p["roleDefinitionId"]) == guid
                and p["scope"].lower() == scope.lower()
            ):
                raise errors.conflict("RoleAssignmentExists", "The role assignment already exists.")
        stamp = self._cloud.clock.now().isoformat().replace("+00:00", "Z")
        resource = Resource(
            assignment_id,
            ROLE_ASSIGNMENT_TYPE,
            {
                "properties": {
                    "roleDefinitionId": f"/subscriptions/{self._cloud.identity.subscription_id}/providers/"
                    f"Microsoft.Authorization/roleDefinitions/{guid}",
                    "principalId": principal_id,
                    "principalType": principal.kind,
                    "scope": scope,
                    "condition": props.get("condition"),
                    "conditionVersion": props.get("conditionVersion"),
                    "createdOn": stamp,
                    "updatedOn": stamp,
                    "createdBy": caller.object_id,
                    "updatedBy": caller.object_id,
                    "delegatedManagedIdentityResourceId": None,
                    "description": props.get("description"),
                }
            },
        )
        self._registry.put(resource)
        return resource, True

    def seed_owner(self, object_id: str, scope: str) -> None:
        """The seeded principal owns the subscription, effective from the start of time."""
        name = str(uuid.uuid5(uuid.NAMESPACE_URL, f"{scope}/{object_id}/owner"))
        assignment_id = f"{scope}/providers/Microsoft.Authorization/roleAssignments/{name}"
        if self._registry.get(assignment_id) is not None:
            return
        self._registry.put(
            Resource(
                assignment_id,
                ROLE_ASSIGNMENT_TYPE,
                {
                    "properties": {
                        "roleDefinitionId": f"{scope}/providers/Microsoft.Authorization/roleDefinitions/{OWNER}",
                        "principalId": object_id,
                        "principalType": "ServicePrincipal",
                        "scope": scope,
                        "condition": None,
                        "conditionVersion": None,
                        "createdOn": "2000-01-01T00:00:00Z",
                        "updatedOn": "2000-01-01T00:00:00Z",
                        "createdBy": object_id,
                        "updatedBy": object_id,
                        "delegatedManagedIdentityResourceId": None,
                        "description": "Seeded by the local cloud",
                    }
                },
            )
        )

    def get(self, caller: Principal, scope: str, name: str) -> Resource:
        self.authorize(caller, "Microsoft.Authorization/roleAssignments/read", scope)
        found = self._registry.get(f"{scope}/providers/Microsoft.Authorization/roleAssignments/{name}")
        if found is None:
            raise errors.not_found("RoleAssignmentNotFound", f"The role assignment '{name}' is not found.")
        return found

    def delete(self, caller: Principal, scope: str, name: str) -> Resource | None:
        self.authorize(caller, "Microsoft.Authorization/roleAssignments/delete", scope)
        assignment_id = f"{scope}/providers/Microsoft.Authorization/roleAssignments/{name}"
        found = self._registry.get(assignment_id)
        if found is not None:
            self._registry.delete(assignment_id)
        return found

    def list(self, caller: Principal, scope: str, query_filter: str | None) -> list[Resource]:
        """Assignments at, above and below ``scope``, narrowed by ``$filter`` as ARM narrows them."""
        self.authorize(caller, "Microsoft.Authorization/roleAssignments/read", scope)
        at_scope, principal = _parse_filter(query_filter)
        found = []
        for assignment in self._registry.of_type(ROLE_ASSIGNMENT_TYPE):
            p = assignment.properties
            above = covers(p["scope"], scope)
            below = covers(scope, p["scope"])
            if not (above or (below and not at_scope)):
                continue
            if principal is not None and p["principalId"].lower() != principal.lower():
                continue
            found.append(assignment)
        return found


def _role_guid(role_definition_id: str) -> str:
    match = _ROLE_DEFINITION_ID.match(role_definition_id.strip())
    return (match.group("guid") if match else role_definition_id.rsplit("/", 1)[-1]).lower()


_FILTER_CLAUSE = re.compile(
    r"^\s*(?:(?P<at>atScope\(\))|principalId\s+eq\s+'(?P<pid>[^']+)'|assignedTo\('(?P<to>[^']+)'\))\s*$", re.IGNORECASE
)


def _parse_filter(text: str | None) -> tuple[bool, str | None]:
    """``(at scope only, principal id)`` from a ``$filter``; raises ARM's 400 for anything else."""
    if not text:
        return False, None
    at_scope, principal = False, None
    for clause in re.split(r"\s+and\s+", text, flags=re.IGNORECASE):
        match = _FILTER_CLAUSE.match(clause)
        if not match:
            raise errors.bad_request(
                "UnsupportedQuery",
                f"The filter '{text}' is not supported. Supported: atScope(), principalId eq '{{id}}', "
                "assignedTo('{id}'), joined with 'and'.",
            )
        at_scope = at_scope or bool(match.group("at"))
        principal = match.group("pid") or match.group("to") or principal
    return at_scope, principal
