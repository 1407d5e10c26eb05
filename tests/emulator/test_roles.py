"""Role assignments (2022-04-01): create, duplicates, filters, and the checks on principal and role."""

from __future__ import annotations

import uuid
from typing import Any

from local_cloud import ARM, MONITORING_METRICS_PUBLISHER, Http, Pipeline, signed_in


def role_id(info: dict[str, Any], guid: str = MONITORING_METRICS_PUBLISHER) -> str:
    return f"/subscriptions/{info['subscription_id']}/providers/Microsoft.Authorization/roleDefinitions/{guid}"


def assign(http: Http, scope: str, body: dict[str, Any], name: str | None = None) -> Any:
    return http.arm(
        "PUT",
        f"{scope}/providers/Microsoft.Authorization/roleAssignments/{name or uuid.uuid4()}",
        api_version="2022-04-01",
        body=body,
    )


def test_an_assignment_on_a_dcr_is_created(emulator: dict[str, Any], http: Http, pipeline: Pipeline) -> None:
    registered = http.control("POST", "/principals", {})
    body = {
        "properties": {
            "roleDefinitionId": role_id(emulator),
            "principalId": registered["object_id"],
            "principalType": "ServicePrincipal",
        }
    }
    name = str(uuid.uuid4())

    response = assign(http, pipeline.rule_id, body, name)

    assert response.status_code == 201
    created = response.json()
    assert created["id"] == f"{pipeline.rule_id}/providers/Microsoft.Authorization/roleAssignments/{name}"
    assert created["type"] == "Microsoft.Authorization/roleAssignments"
    assert created["properties"]["scope"] == pipeline.rule_id
    assert created["properties"]["principalId"] == registered["object_id"]
    assert created["properties"]["roleDefinitionId"].endswith(MONITORING_METRICS_PUBLISHER)


def test_the_same_assignment_under_another_name_conflicts(
    emulator: dict[str, Any], http: Http, pipeline: Pipeline
) -> None:
    body = {"properties": {"roleDefinitionId": role_id(emulator), "principalId": emulator["principal_object_id"]}}

    response = assign(http, pipeline.rule_id, body)  # the pipeline fixture already made this one

    assert response.status_code == 409
    assert response.json()["error"] == {
        "code": "RoleAssignmentExists",
        "message": "The role assignment already exists.",
    }


def test_repeating_a_put_with_the_same_name_is_accepted(
    emulator: dict[str, Any], http: Http, pipeline: Pipeline
) -> None:
    registered = http.control("POST", "/principals", {})
    body = {"properties": {"roleDefinitionId": role_id(emulator), "principalId": registered["object_id"]}}
    name = str(uuid.uuid4())

    statuses = [assign(http, pipeline.rule_id, body, name).status_code for _ in range(2)]

    assert statuses == [201, 201]


def test_list_with_a_principal_filter_includes_inherited_assignments(
    emulator: dict[str, Any], http: Http, pipeline: Pipeline
) -> None:
    response = http.session.get(
        f"{emulator['arm_endpoint']}{pipeline.rule_id}/providers/Microsoft.Authorization/roleAssignments",
        params={"api-version": "2022-04-01", "$filter": f"principalId eq '{emulator['principal_object_id']}'"},
        headers={"Authorization": f"Bearer {http.token()}"},
    )

    scopes = sorted(a["properties"]["scope"] for a in response.json()["value"])
    assert response.status_code == 200
    assert scopes == sorted([pipeline.rule_id, f"/subscriptions/{emulator['subscription_id']}"])


def test_at_scope_leaves_out_assignments_below(emulator: dict[str, Any], http: Http, pipeline: Pipeline) -> None:
    group = f"/subscriptions/{emulator['subscription_id']}/resourceGroups/{emulator['resource_group']}"
    response = http.session.get(
        f"{emulator['arm_endpoint']}{group}/providers/Microsoft.Authorization/roleAssignments",
        params={"api-version": "2022-04-01", "$filter": "atScope()"},
        headers={"Authorization": f"Bearer {http.token()}"},
    )

    scopes = [a["properties"]["scope"] for a in response.json()["value"]]
    assert scopes == [f"/subscriptions/{emulator['subscription_id']}"]


def test_an_unknown_principal_is_refused(emulator: dict[str, Any], http: Http, pipeline: Pipeline) -> None:
    body = {"properties": {"roleDefinitionId": role_id(emulator), "principalId": str(uuid.uuid4())}}

    response = assign(http, pipeline.rule_id, body)

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "PrincipalNotFound"


def test_an_unknown_role_definition_is_refused(emulator: dict[str, Any], http: Http, pipeline: Pipeline) -> None:
    body = {
        "properties": {
            "roleDefinitionId": role_id(emulator, "00000000-0000-0000-0000-000000000000"),
            "principalId": emulator["principal_object_id"],
        }
    }

    response = assign(http, pipeline.rule_id, body)

    assert response.status_code == 400
    assert response.json()["error"] == {
        "code": "RoleDefinitionDoesNotExist",
        "message": "The specified role definition with ID '00000000-0000-0000-0000-000000000000' does not exist.",
    }


def test_the_name_must_be_a_guid(emulator: dict[str, Any], http: Http, pipeline: Pipeline) -> None:
    body = {"properties": {"roleDefinitionId": role_id(emulator), "principalId": emulator["principal_object_id"]}}

    response = assign(http, pipeline.rule_id, body, name="not-a-guid")

    assert response.json()["error"]["code"] == "InvalidRoleAssignmentId"


def test_a_missing_scope_is_not_found(emulator: dict[str, Any], http: Http) -> None:
    scope = f"/subscriptions/{emulator['subscription_id']}/resourceGroups/{emulator['resource_group']}/providers/Microsoft.Insights/dataCollectionRules/none"
    body = {"properties": {"roleDefinitionId": role_id(emulator), "principalId": emulator["principal_object_id"]}}

    response = assign(http, scope, body)

    assert response.status_code == 404


def test_delete_answers_200_then_204(emulator: dict[str, Any], http: Http, pipeline: Pipeline) -> None:
    registered = http.control("POST", "/principals", {})
    name = str(uuid.uuid4())
    assign(
        http,
        pipeline.rule_id,
        {"properties": {"roleDefinitionId": role_id(emulator), "principalId": registered["object_id"]}},
        name,
    )
    path = f"{pipeline.rule_id}/providers/Microsoft.Authorization/roleAssignments/{name}"

    statuses = [http.arm("DELETE", path, api_version="2022-04-01").status_code for _ in range(2)]

    assert statuses == [200, 204]


def permissions(http: Http, group: str, token: str | None = None) -> Any:
    return http.arm(
        "GET",
        f"/subscriptions/{http.info['subscription_id']}/resourcegroups/{group}/providers/Microsoft.Authorization/permissions",
        api_version="2022-04-01",
        token=token,
    )


def test_the_permissions_api_lists_the_callers_roles_on_a_resource_group(emulator: dict[str, Any], http: Http) -> None:
    response = permissions(http, emulator["resource_group"])

    assert response.status_code == 200
    assert response.json() == {"value": [{"actions": ["*"], "notActions": [], "dataActions": [], "notDataActions": []}]}


def test_a_contributor_sees_that_authorization_writes_are_not_among_its_actions(
    emulator: dict[str, Any], http: Http
) -> None:
    registered = http.control("POST", "/principals", {})
    group = f"/subscriptions/{emulator['subscription_id']}/resourceGroups/{emulator['resource_group']}"
    contributor = "b24988ac-6180-42a0-ab88-20f7382dd24c"
    body = {"properties": {"roleDefinitionId": role_id(emulator, contributor), "principalId": registered["object_id"]}}
    assert assign(http, group, body).status_code == 201
    with signed_in(emulator, registered["client_id"], registered["client_secret"]) as credential:
        token = credential.get_token(ARM).token

    response = permissions(http, emulator["resource_group"], token)

    assert response.status_code == 200
    [entry] = response.json()["value"]
    assert entry["actions"] == ["*"]
    assert "Microsoft.Authorization/*/Write" in entry["notActions"]


def test_the_permissions_of_a_missing_resource_group_are_not_found(http: Http) -> None:
    response = permissions(http, "rg-absent")

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "ResourceGroupNotFound"
