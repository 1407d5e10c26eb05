"""Azure credentials, chosen by ``azure.credential``; and who the signed-in principal is."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from typing import Any

from azure.core.credentials import TokenCredential
from azure.core.exceptions import AzureError as SdkError
from azure.identity import (
    AzureCliCredential,
    ClientSecretCredential,
    DefaultAzureCredential,
    EnvironmentCredential,
    ManagedIdentityCredential,
    WorkloadIdentityCredential,
)

from deployer.azure.arm import azure_error
from deployer.azure.cloud import AzureCloud
from deployer.azure.transport import retrying
from deployer.errors import AzureAuthError
from deployer.retry import RetryPolicy

__all__ = [
    "SignedIn",
    "TokenCredential",
    "client_secret_credential",
    "credential_for",
    "principal_from_claims",
    "signed_in",
]


def credential_for(kind: str, *, tenant_id: str) -> TokenCredential:
    """A credential for a real tenant. ``default`` tries environment, workload identity, managed identity, CLI."""
    if kind == "cli":
        return AzureCliCredential(tenant_id=tenant_id) if tenant_id else AzureCliCredential()
    if kind == "environment":
        return EnvironmentCredential()
    if kind == "workload_identity":
        return WorkloadIdentityCredential(tenant_id=tenant_id or None)
    if kind == "managed_identity":
        return ManagedIdentityCredential()
    return DefaultAzureCredential(exclude_interactive_browser_credential=True, additionally_allowed_tenants=["*"])


def client_secret_credential(
    cloud: AzureCloud, *, tenant_id: str, client_id: str, client_secret: str
) -> TokenCredential:
    """A service principal with a secret; used for the local cloud, whose authority is not Microsoft's."""
    kwargs: dict[str, Any] = {"authority": cloud.authority, "disable_instance_discovery": True}
    if cloud.ca_bundle:
        kwargs["connection_verify"] = cloud.ca_bundle
    return ClientSecretCredential(tenant_id, client_id, client_secret, **kwargs)


@dataclass(frozen=True)
class SignedIn:
    """Who is signed in: the object id, and the role-assignment principal type (``""`` when unknown)."""

    object_id: str
    principal_type: str


#: The token's ``idtyp`` claim (Entra ID access tokens, v1 and v2) as a role-assignment ``principalType``.
_PRINCIPAL_TYPES = {"app": "ServicePrincipal", "user": "User"}


def principal_from_claims(claims: dict[str, Any]) -> SignedIn:
    """The principal an ARM token was issued to.

    ``idtyp`` says ``app`` for an application (service principal, managed identity, workload identity)
    and ``user`` for a person; without it (older tokens) a token that names a user (``upn``, ``scp``) is a
    user's. An unknown type stays ``""``, so the role assignment omits it and Azure works it out.

    :raises AzureAuthError: the token has no ``oid``.
    """
    if not claims.get("oid"):
        raise AzureAuthError(
            "the Azure token has no object id (oid claim)",
            remedy="set validation.principal_object_id to the object id of the principal that sends validation records",
        )
    kind = str(claims.get("idtyp", "")).lower()
    if not kind and (claims.get("upn") or claims.get("scp")):
        kind = "user"
    return SignedIn(str(claims["oid"]), _PRINCIPAL_TYPES.get(kind, ""))


def signed_in(credential: TokenCredential, cloud: AzureCloud, *, retry: RetryPolicy | None = None) -> SignedIn:
    """Who the credential signs in as, from the claims of an ARM token.

    Only our own token's claims are read, so its signature need not be checked here.

    :raises AzureAuthError: no token, or a token without ``oid``.
    """
    try:
        token = retrying(
            retry or RetryPolicy(), "signing in", lambda: credential.get_token(f"{cloud.arm_audience}/.default")
        ).token
    except SdkError as exc:
        raise azure_error(exc, "signing in") from exc
    try:
        payload = token.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (IndexError, ValueError) as exc:
        raise AzureAuthError(
            "the Azure token is not a JWT; its object id cannot be read",
            remedy="set validation.principal_object_id to the object id of the principal that sends validation records",
        ) from exc
    return principal_from_claims(claims if isinstance(claims, dict) else {})
