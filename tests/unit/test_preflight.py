"""Reading the Permissions API's answer: may the caller create role assignments?"""

from __future__ import annotations

import pytest

from deployer.preflight import ROLE_ASSIGNMENT_WRITE, allows

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
