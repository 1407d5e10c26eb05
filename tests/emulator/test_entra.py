"""Entra: the token endpoint as azure-identity uses it, and Entra's refusals."""

from __future__ import annotations

from typing import Any

import jwt
import pytest
from azure.core.exceptions import ClientAuthenticationError
from local_cloud import ARM, MONITOR, signed_in


def claims(token: str) -> dict[str, Any]:
    return jwt.decode(token, options={"verify_signature": False})


def test_client_secret_credential_gets_a_token_for_arm(emulator: dict[str, Any]) -> None:
    with signed_in(emulator) as credential:
        token = credential.get_token(ARM)

    got = claims(token.token)
    assert got["aud"] == "https://management.azure.com"
    assert got["oid"] == emulator["principal_object_id"]
    assert got["tid"] == emulator["tenant_id"]
    assert got["appid"] == emulator["client_id"]
    assert got["nbf"] <= got["iat"] < got["exp"]
    assert token.expires_on == got["exp"]


def test_double_slash_scope_gives_the_same_audience(emulator: dict[str, Any]) -> None:
    with signed_in(emulator) as credential:
        token = credential.get_token("https://monitor.azure.com//.default")

    assert claims(token.token)["aud"] == "https://monitor.azure.com"


def test_wrong_secret_is_refused_with_aadsts7000215(emulator: dict[str, Any]) -> None:
    with signed_in(emulator, secret="not-the-secret") as credential, pytest.raises(ClientAuthenticationError) as caught:
        credential.get_token(ARM)

    assert "AADSTS7000215: Invalid client secret provided" in caught.value.message


def test_token_endpoint_answers_entras_error_body(emulator: dict[str, Any], http: Any) -> None:
    response = http.session.post(
        f"{emulator['authority']}/{emulator['tenant_id']}/oauth2/v2.0/token",
        data={
            "client_id": emulator["client_id"],
            "client_secret": "wrong",
            "grant_type": "client_credentials",
            "scope": ARM,
        },
    )

    assert response.status_code == 401
    body = response.json()
    assert body["error"] == "invalid_client"
    assert body["error_codes"] == [7000215]
    assert body["error_description"].startswith("AADSTS7000215: Invalid client secret provided.")
    assert {"timestamp", "trace_id", "correlation_id"} <= set(body)


def test_unknown_client_is_refused(emulator: dict[str, Any]) -> None:
    with (
        signed_in(emulator, client_id="00000000-0000-0000-0000-000000000001") as credential,
        pytest.raises(ClientAuthenticationError) as caught,
    ):
        credential.get_token(ARM)

    assert (
        "AADSTS700016: Application with identifier '00000000-0000-0000-0000-000000000001' was not found"
        in caught.value.message
    )


def test_a_resource_the_tenant_does_not_know_is_refused(emulator: dict[str, Any]) -> None:
    # What LogsQueryClient asks for when given an endpoint but no audience: '<endpoint>/.default'.
    with signed_in(emulator) as credential, pytest.raises(ClientAuthenticationError) as caught:
        credential.get_token(f"{emulator['query_endpoint']}/.default")

    assert "AADSTS500011: The resource principal named" in caught.value.message


def test_openid_configuration_names_this_tenants_token_endpoint(emulator: dict[str, Any], http: Any) -> None:
    response = http.session.get(
        f"{emulator['authority']}/{emulator['tenant_id']}/v2.0/.well-known/openid-configuration"
    )

    assert response.status_code == 200
    body = response.json()
    assert body["token_endpoint"] == f"{emulator['authority']}/{emulator['tenant_id']}/oauth2/v2.0/token"
    assert body["issuer"] == f"{emulator['authority']}/{emulator['tenant_id']}/v2.0"


def test_unknown_tenant_is_refused(emulator: dict[str, Any], http: Any) -> None:
    response = http.session.get(f"{emulator['authority']}/not-a-tenant/v2.0/.well-known/openid-configuration")

    assert response.status_code == 400
    assert response.json()["error_codes"] == [90002]


def test_a_registered_client_gets_tokens_with_its_own_object_id(emulator: dict[str, Any], http: Any) -> None:
    registered = http.control("POST", "/principals", {"display_name": "no-role"})
    with signed_in(emulator, registered["client_id"], registered["client_secret"]) as credential:
        token = credential.get_token(MONITOR)

    assert claims(token.token)["oid"] == registered["object_id"] != emulator["principal_object_id"]
