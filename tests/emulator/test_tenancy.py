"""What a real tool needs from ARM beyond our resources, and the first-deployment states Azure can be in:
tenants, subscriptions, groups and resource lists, providers and their registration, role definitions,
user principals, Sentinel onboarding, a Content Hub install, 405s and the metrics API's odd inputs."""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import quote

import pytest
from local_cloud import MONITORING_METRICS_PUBLISHER, Http, Pipeline, make_credential


def sub(emulator: dict[str, Any]) -> str:
    return f"/subscriptions/{emulator['subscription_id']}"


def error_of(response: Any) -> tuple[int, str]:
    return response.status_code, response.json()["error"]["code"]


# --- tenants, subscriptions, lists -----------------------------------------------------------------------


def test_the_caller_sees_its_tenant_and_the_subscriptions_it_holds_a_role_in(
    emulator: dict[str, Any], http: Http
) -> None:
    tenants = http.arm("GET", "/tenants", api_version="2022-12-01").json()["value"]
    assert [t["tenantId"] for t in tenants] == [emulator["tenant_id"]]
    [subscription] = http.arm("GET", "/subscriptions", api_version="2022-12-01").json()["value"]
    assert (subscription["subscriptionId"], subscription["tenantId"], subscription["state"]) == (
        emulator["subscription_id"],
        emulator["tenant_id"],
        "Enabled",
    )
    stranger = http.control("POST", "/principals", {})
    credential = make_credential(emulator, stranger["client_id"], stranger["client_secret"])
    token = credential.get_token("https://management.azure.com/.default").token
    assert http.arm("GET", "/subscriptions", api_version="2022-12-01", token=token).json()["value"] == []


def test_groups_and_tracked_resources_are_listed(emulator: dict[str, Any], http: Http, pipeline: Pipeline) -> None:
    groups = http.arm("GET", sub(emulator) + "/resourcegroups", api_version="2024-11-01").json()["value"]
    assert [g["name"] for g in groups] == [emulator["resource_group"]]
    listed = http.arm("GET", sub(emulator) + "/resources", api_version="2024-11-01").json()["value"]
    assert {r["id"].lower() for r in listed} == {
        emulator["workspace_resource_id"].lower(),
        pipeline.dce_id.lower(),
        pipeline.rule_id.lower(),
    }
    assert all(set(r) <= {"id", "name", "type", "location", "tags", "kind"} for r in listed)


# --- providers ------------------------------------------------------------------------------------------


def test_provider_metadata_lists_resource_types_and_api_versions(emulator: dict[str, Any], http: Http) -> None:
    provider = http.arm("GET", sub(emulator) + "/providers/Microsoft.Insights", api_version="2024-11-01").json()
    assert provider["registrationState"] == "Registered"
    types = {t["resourceType"]: t["apiVersions"] for t in provider["resourceTypes"]}
    assert types["dataCollectionRules"] == ["2024-03-11", "2023-03-11"]


def test_a_write_to_an_unregistered_namespace_is_refused_until_it_is_registered_again(
    emulator: dict[str, Any], http: Http
) -> None:
    base = sub(emulator) + "/providers/Microsoft.Insights"
    assert http.arm("POST", base + "/unregister", api_version="2024-11-01").json()["registrationState"] == (
        "NotRegistered"
    )
    dce = f"{sub(emulator)}/resourceGroups/{emulator['resource_group']}/providers/Microsoft.Insights/dataCollectionEndpoints/dce-x"
    refused = http.arm("PUT", dce, api_version="2023-03-11", body={"location": emulator["location"], "properties": {}})
    assert error_of(refused) == (409, "MissingSubscriptionRegistration")
    assert refused.json()["error"]["message"].startswith(
        "The subscription is not registered to use namespace 'Microsoft.Insights'."
    )
    http.arm("POST", base + "/register", api_version="2024-11-01")
    again = http.arm("PUT", dce, api_version="2023-03-11", body={"location": emulator["location"], "properties": {}})
    assert again.status_code == 201


# --- role definitions and principals ----------------------------------------------------------------------


def test_role_definitions_are_found_by_id_and_by_name(emulator: dict[str, Any], http: Http) -> None:
    path = sub(emulator) + "/providers/Microsoft.Authorization/roleDefinitions"
    by_id = http.arm("GET", f"{path}/{MONITORING_METRICS_PUBLISHER}", api_version="2022-04-01").json()
    assert by_id["properties"]["roleName"] == "Monitoring Metrics Publisher"
    answer = http.session.get(
        emulator["arm_endpoint"] + path,
        params={"api-version": "2022-04-01", "$filter": "roleName eq 'Monitoring Metrics Publisher'"},
        headers={"Authorization": f"Bearer {http.token()}"},
        timeout=30,
    )
    assert [d["name"] for d in answer.json()["value"]] == [MONITORING_METRICS_PUBLISHER]


def user_token(emulator: dict[str, Any], http: Http, user: dict[str, Any]) -> str:
    answer = http.session.post(
        f"{emulator['authority']}/{emulator['tenant_id']}/oauth2/v2.0/token",
        data={
            "grant_type": "password",
            "client_id": "04b07795-8ddb-461a-bbee-02f9e1bf7b46",
            "username": user["user_name"],
            "password": user["client_secret"],
            "scope": "https://management.azure.com//.default",
        },
        timeout=30,
    )
    assert answer.status_code == 200, answer.text
    return str(answer.json()["access_token"])


def test_a_user_signs_in_with_a_password_and_its_token_says_user(emulator: dict[str, Any], http: Http) -> None:
    import jwt

    user = http.control("POST", "/principals", {"kind": "User", "user_name": "ada@contoso.example"})
    claims = jwt.decode(user_token(emulator, http, user), options={"verify_signature": False})
    assert (claims["idtyp"], claims["oid"], claims["upn"]) == ("user", user["object_id"], "ada@contoso.example")


@pytest.mark.parametrize(("stated", "status"), [("ServicePrincipal", 400), ("User", 201), (None, 201)])
def test_a_principal_type_that_does_not_match_the_principal_is_refused(
    emulator: dict[str, Any], http: Http, pipeline: Pipeline, stated: str | None, status: int
) -> None:
    user = http.control("POST", "/principals", {"kind": "User", "user_name": "ada@contoso.example"})
    properties = {
        "roleDefinitionId": f"{sub(emulator)}/providers/Microsoft.Authorization/roleDefinitions/{MONITORING_METRICS_PUBLISHER}",
        "principalId": user["object_id"],
    }
    if stated:
        properties["principalType"] = stated
    answer = http.arm(
        "PUT",
        f"{pipeline.rule_id}/providers/Microsoft.Authorization/roleAssignments/{uuid.uuid4()}",
        api_version="2022-04-01",
        body={"properties": properties},
    )
    assert answer.status_code == status, answer.text
    if status == 400:
        assert answer.json()["error"]["code"] == "UnmatchedPrincipalType"
        assert "which is different from specified PrincipalType 'ServicePrincipal'" in answer.json()["error"]["message"]
    else:
        assert answer.json()["properties"]["principalType"] == "User"


# --- Sentinel onboarding, the Content Hub -------------------------------------------------------------------


def test_without_onboarding_sentinel_writes_are_refused_as_azure_refuses_them(
    emulator: dict[str, Any], http: Http
) -> None:
    sentinel = f"{emulator['workspace_resource_id']}/providers/Microsoft.SecurityInsights"
    assert http.arm("DELETE", sentinel + "/onboardingStates/default", api_version="2025-09-01").status_code == 200
    refused = http.arm(
        "PUT", sentinel + "/dataConnectorDefinitions/Any", api_version="2025-09-01", body={"kind": "Customizable"}
    )
    assert error_of(refused) == (400, "BadRequest")
    assert "is not onboarded to Microsoft Sentinel" in refused.json()["error"]["message"]
    assert http.arm("GET", sentinel + "/onboardingStates/default", api_version="2025-09-01").status_code == 404


def test_the_content_hub_solution_can_be_installed_beforehand(emulator: dict[str, Any], http: Http) -> None:
    installed = http.control("POST", "/seed/content-hub-miro")
    table = http.arm("GET", installed["table"], api_version="2025-07-01").json()
    assert table["name"] == "MiroAuditLogs_CL" and len(table["properties"]["schema"]["columns"]) == 20
    rule = http.arm("GET", installed["data_collection_rule"], api_version="2023-03-11").json()
    assert rule["name"] == "MiroAuditLogsDCR"
    assert rule["properties"]["dataFlows"][0]["outputStream"] == "Custom-MiroAuditLogs_CL"


# --- methods, metrics inputs -------------------------------------------------------------------------------


def test_a_method_a_path_does_not_serve_is_405_in_the_services_shape(emulator: dict[str, Any], http: Http) -> None:
    arm = http.arm("DELETE", sub(emulator), api_version="2022-12-01")
    assert error_of(arm) == (405, "MethodNotAllowed") and arm.headers["Allow"] == "GET"
    miro = http.session.post(
        emulator["miro_base_url"] + "/v2/audit/logs",
        headers={"Authorization": f"Bearer {emulator['miro_token']}"},
        timeout=30,
    )
    assert miro.status_code == 405
    assert miro.json() == {
        "status": 405,
        "code": "methodNotAllowed",
        "message": "Method POST is not allowed for this resource.",
        "type": "error",
    }


def test_metrics_take_a_twice_encoded_timespan_and_full_as_one_point(
    emulator: dict[str, Any], http: Http, pipeline: Pipeline
) -> None:
    span = quote(quote("2026-01-01T00:00:00Z/2026-01-01T01:00:00Z", safe=""), safe="")
    url = (
        f"{emulator['arm_endpoint']}{pipeline.rule_id}/providers/Microsoft.Insights/metrics"
        f"?api-version=2024-02-01&metricnames=RowsReceived_Count&aggregation=Total&interval=FULL&timespan={span}"
    )
    answer = http.session.get(url, headers={"Authorization": f"Bearer {http.token()}"}, timeout=30)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["timespan"] == "2026-01-01T00:00:00Z/2026-01-01T01:00:00Z"
    [series] = body["value"][0]["timeseries"]
    assert len(series["data"]) == 1
