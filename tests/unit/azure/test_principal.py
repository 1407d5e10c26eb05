"""Who is signed in, from the token's claims: the object id, and the principal type a role assignment needs."""

from __future__ import annotations

import pytest

from deployer.azure.credentials import SignedIn, principal_from_claims
from deployer.errors import AzureAuthError

OID = "22222222-2222-2222-2222-222222222222"


def test_a_person_signed_in_with_az_login_is_a_user() -> None:
    assert principal_from_claims({"oid": OID, "idtyp": "user", "upn": "ops@example.com"}) == SignedIn(OID, "User")


def test_an_application_or_managed_identity_is_a_service_principal() -> None:
    assert principal_from_claims({"oid": OID, "idtyp": "app"}) == SignedIn(OID, "ServicePrincipal")


def test_a_token_without_idtyp_that_names_a_user_is_a_user() -> None:
    assert principal_from_claims({"oid": OID, "scp": "user_impersonation"}) == SignedIn(OID, "User")


def test_an_unknown_kind_is_left_for_azure_to_work_out() -> None:
    assert principal_from_claims({"oid": OID}) == SignedIn(OID, "")


def test_a_token_without_an_object_id_names_the_setting_to_use() -> None:
    with pytest.raises(AzureAuthError) as caught:
        principal_from_claims({"idtyp": "app"})
    assert caught.value.message == "the Azure token has no object id (oid claim)"
    assert "validation.principal_object_id" in caught.value.remedy
