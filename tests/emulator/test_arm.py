"""ARM's front door: tokens, api-versions, unknown routes, RBAC, and the seeded workspace."""

from __future__ import annotations

from typing import Any

import pytest
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError
from azure.mgmt.loganalytics import LogAnalyticsManagementClient
from local_cloud import MONITOR, Http, signed_in


def workspace_path(info: dict[str, Any]) -> str:
    return info["workspace_resource_id"]


def test_the_seeded_workspace_has_its_customer_id(
    emulator: dict[str, Any], loganalytics: LogAnalyticsManagementClient
) -> None:
    workspace = loganalytics.workspaces.get(emulator["resource_group"], emulator["workspace_name"])

    assert workspace.id == emulator["workspace_resource_id"]
    assert workspace.properties.customer_id == emulator["workspace_customer_id"]
    assert workspace.location == emulator["location"]


def test_an_unknown_workspace_is_resource_not_found(
    emulator: dict[str, Any], loganalytics: LogAnalyticsManagementClient
) -> None:
    with pytest.raises(ResourceNotFoundError) as caught:
        loganalytics.workspaces.get(emulator["resource_group"], "nope")

    assert caught.value.error.code == "ResourceNotFound"
    assert "Microsoft.OperationalInsights/workspaces/nope" in caught.value.error.message


def test_an_unknown_resource_group_is_named(emulator: dict[str, Any], http: Http) -> None:
    response = http.arm(
        "GET", f"/subscriptions/{emulator['subscription_id']}/resourceGroups/other", api_version="2021-04-01"
    )

    assert response.status_code == 404
    assert response.json()["error"] == {
        "code": "ResourceGroupNotFound",
        "message": "Resource group 'other' could not be found.",
    }


def test_a_missing_token_is_refused(emulator: dict[str, Any], http: Http) -> None:
    response = http.session.get(
        emulator["arm_endpoint"] + workspace_path(emulator), params={"api-version": "2025-07-01"}
    )

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "AuthenticationFailed"
    assert response.headers["x-ms-error-code"] == "AuthenticationFailed"
    assert response.headers["x-ms-request-id"]
    assert "WWW-Authenticate" in response.headers


def test_a_token_for_another_audience_is_refused(emulator: dict[str, Any], http: Http) -> None:
    response = http.arm("GET", workspace_path(emulator), api_version="2025-07-01", token=http.token(MONITOR))

    assert response.status_code == 401
    error = response.json()["error"]
    assert error["code"] == "InvalidAuthenticationTokenAudience"
    assert "wrong audience or resource 'https://monitor.azure.com'" in error["message"]


def test_an_expired_token_is_refused(emulator: dict[str, Any], http: Http) -> None:
    expired = http.control("POST", "/tokens", {"audience": "https://management.azure.com", "lifetime_seconds": -120})

    response = http.arm("GET", workspace_path(emulator), api_version="2025-07-01", token=expired["access_token"])

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "ExpiredAuthenticationToken"
    assert "is earlier than current UTC time" in response.json()["error"]["message"]


def test_a_forged_token_is_refused(emulator: dict[str, Any], http: Http) -> None:
    token = http.token()
    forged = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")

    response = http.arm("GET", workspace_path(emulator), api_version="2025-07-01", token=forged)

    assert response.status_code == 401
    assert response.json()["error"] == {"code": "InvalidAuthenticationToken", "message": "The access token is invalid."}


def test_an_unknown_api_version_is_refused_with_the_supported_ones(emulator: dict[str, Any], http: Http) -> None:
    response = http.arm("GET", workspace_path(emulator), api_version="2019-01-01")

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "InvalidApiVersionParameter"
    assert error["message"].startswith("The api-version '2019-01-01' is invalid. The supported versions are '")
    assert "2025-07-01" in error["message"]


def test_a_missing_api_version_is_refused(emulator: dict[str, Any], http: Http) -> None:
    response = http.arm("GET", workspace_path(emulator), api_version=None)

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "MissingApiVersionParameter"


def test_an_unknown_route_answers_501_naming_it(emulator: dict[str, Any], http: Http) -> None:
    path = f"/subscriptions/{emulator['subscription_id']}/providers/Microsoft.Storage/storageAccounts"

    response = http.arm("GET", path, api_version="2023-01-01")

    assert response.status_code == 501
    error = response.json()["error"]
    assert error["code"] == "NotImplemented"
    assert error["message"] == f"GET {path} is not implemented by the local cloud; see emulator/COVERAGE.md"


def test_a_principal_without_a_role_is_not_authorized(emulator: dict[str, Any], http: Http) -> None:
    registered = http.control("POST", "/principals", {"display_name": "no-role"})
    with (
        signed_in(emulator, registered["client_id"], registered["client_secret"]) as credential,
        LogAnalyticsManagementClient(
            credential,
            emulator["subscription_id"],
            base_url=emulator["arm_endpoint"],
            connection_verify=emulator["ca_cert"],
        ) as client,
        pytest.raises(HttpResponseError) as caught,
    ):
        client.workspaces.get(emulator["resource_group"], emulator["workspace_name"])

    assert caught.value.status_code == 403
    assert caught.value.error.code == "AuthorizationFailed"
    assert (
        f"with object id '{registered['object_id']}' does not have authorization to perform action "
        f"'Microsoft.OperationalInsights/workspaces/read' over scope '{emulator['workspace_resource_id']}'"
    ) in caught.value.error.message
