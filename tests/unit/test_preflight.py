"""Preflight's verdicts on Azure's answers: providers, region, Sentinel, and the rights to grant the role."""

from __future__ import annotations

from typing import Any

import pytest

from deployer.dcr.spec import load_spec
from deployer.errors import AzureAuthError, ResourceNotFound
from deployer.preflight import ROLE_ASSIGNMENT_WRITE, allows, run_preflight
from deployer.provision import PreflightCheck
from tests.support import sample_target

OWNER = {"actions": ["*"], "notActions": []}
CONTRIBUTOR = {
    "actions": ["*"],
    "notActions": [
        "Microsoft.Authorization/*/Delete",
        "Microsoft.Authorization/*/Write",
        "Microsoft.Authorization/elevateAccess/Action",
    ],
}
USER_ACCESS_ADMINISTRATOR = {
    "actions": ["*/read", "Microsoft.Authorization/*", "Microsoft.Support/*"],
    "notActions": [],
}
RBAC_ADMINISTRATOR = {
    "actions": ["Microsoft.Authorization/roleAssignments/write", "Microsoft.Authorization/roleAssignments/delete"],
    "notActions": [],
}
READER = {"actions": ["*/read"], "notActions": []}


@pytest.mark.parametrize(
    ("permissions", "allowed"),
    [
        ([OWNER], True),
        ([USER_ACCESS_ADMINISTRATOR], True),
        ([RBAC_ADMINISTRATOR], True),
        ([CONTRIBUTOR], False),
        ([READER], False),
        ([], False),
        ([CONTRIBUTOR, USER_ACCESS_ADMINISTRATOR], True),
    ],
    ids=["owner", "uaa", "rbac-admin", "contributor", "reader", "nothing", "contributor-and-uaa"],
)
def test_role_assignment_rights_follow_actions_minus_not_actions(
    permissions: list[dict[str, list[str]]], allowed: bool
) -> None:
    assert allows(permissions, ROLE_ASSIGNMENT_WRITE) is allowed


def test_actions_match_without_regard_to_case() -> None:
    assert allows([{"actions": ["microsoft.authorization/ROLEASSIGNMENTS/*"]}], ROLE_ASSIGNMENT_WRITE)


class FakeArm:
    """Azure's answers for one preflight (the shapes of the Providers, Permissions and Sentinel APIs)."""

    def __init__(
        self,
        *,
        states: dict[str, str] | None = None,
        dce_locations: tuple[str, ...] = ("West Europe", "East US"),
        permissions: list[dict[str, list[str]]] | None = None,
        onboarded: bool = True,
        provider_error: Exception | None = None,
        role_held: bool = False,
    ) -> None:
        self.states = states or {}
        self.dce_locations = dce_locations
        self.permissions = [OWNER] if permissions is None else permissions
        self.onboarded = onboarded
        self.provider_error = provider_error
        self.role_held = role_held

    def get_provider(self, namespace: str) -> dict[str, Any]:
        if self.provider_error is not None:
            raise self.provider_error
        types = [{"resourceType": "dataCollectionEndpoints", "locations": list(self.dce_locations)}]
        return {
            "namespace": namespace,
            "registrationState": self.states.get(namespace, "Registered"),
            "resourceTypes": types,
        }

    def get_workspace(self, resource_group: str, name: str) -> dict[str, Any]:
        return {"name": name}

    def get_onboarding_state(self, workspace_id: str) -> dict[str, Any]:
        if not self.onboarded:
            raise ResourceNotFound("not onboarded", status_code=404)
        return {"name": "default"}

    def get_dcr(self, resource_group: str, name: str) -> dict[str, Any]:
        if not self.role_held:
            raise ResourceNotFound("no DCR yet", status_code=404)
        return {"name": name}

    def get_resource(self, resource_id: str, api_version: str) -> dict[str, Any]:
        if not self.role_held:
            raise ResourceNotFound("no role assignment", status_code=404)
        return {"id": resource_id, "name": resource_id.rsplit("/", 1)[1]}

    def list_role_assignments(self, scope: str, principal_id: str) -> list[dict[str, Any]]:
        return []

    def list_permissions(self, resource_group: str) -> list[dict[str, list[str]]]:
        return self.permissions


def checks(arm: FakeArm, *, writes: bool = True) -> dict[str, PreflightCheck]:
    found = run_preflight(arm, sample_target(), load_spec(), writes=writes)  # type: ignore[arg-type]
    return {c.id: c for c in found}


def test_everything_in_place_passes() -> None:
    assert {k: c.status for k, c in checks(FakeArm()).items()} == dict.fromkeys(
        ["providers", "region", "sentinel", "role_rights"], "ok"
    )


def test_an_unregistered_provider_is_named_with_the_command_that_registers_it() -> None:
    found = checks(FakeArm(states={"Microsoft.SecurityInsights": "NotRegistered"}))["providers"]
    assert found.status == "failed"
    assert found.line() == (
        "Resource providers: not registered in subscription 00000000-0000-0000-0000-000000000000: "
        "Microsoft.SecurityInsights (NotRegistered); run `az provider register --namespace Microsoft.SecurityInsights` "
        "(Contributor on the subscription), then wait until it shows Registered"
    )


def test_a_region_without_data_collection_endpoints_fails() -> None:
    found = checks(FakeArm(dce_locations=("East US",)))["region"]
    assert (found.status, found.detail) == ("failed", "westeurope offers no data collection endpoints")
    assert found.remedy == "set azure.location to a region that does, e.g. East US"


def test_a_workspace_without_sentinel_fails() -> None:
    found = checks(FakeArm(onboarded=False))["sentinel"]
    assert (found.status, found.detail) == ("failed", "not enabled on workspace law-miro")


def test_no_right_to_grant_the_role_fails_a_deploy_and_warns_a_plan() -> None:
    assert checks(FakeArm(permissions=[CONTRIBUTOR]))["role_rights"].status == "failed"
    assert checks(FakeArm(permissions=[CONTRIBUTOR]), writes=False)["role_rights"].status == "warn"


def test_no_right_is_needed_for_a_role_already_held() -> None:
    found = checks(FakeArm(permissions=[READER], role_held=True))["role_rights"]
    assert (found.status, found.detail) == ("ok", "the validation principal already holds its role on the DCR")


def test_a_check_that_cannot_be_made_is_skipped_saying_why() -> None:
    denied = AzureAuthError("Azure denied reading resource provider Microsoft.Insights (403 AuthorizationFailed)")
    found = checks(FakeArm(provider_error=denied))
    assert found["providers"].status == "skipped"
    assert found["providers"].detail == f"could not check: {denied.message}"
    assert found["sentinel"].status == "ok"
