"""Azure credentials, chosen by ``azure.credential``; and who the signed-in principal is."""

from __future__ import annotations

import base64
import json
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

__all__ = ["TokenCredential", "client_secret_credential", "credential_for", "signed_in_object_id"]


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


def signed_in_object_id(credential: TokenCredential, cloud: AzureCloud, *, retry: RetryPolicy | None = None) -> str:
    """The ``oid`` claim of an ARM token: the object id of whoever is signed in.

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
        return str(claims["oid"])
    except (IndexError, KeyError, ValueError) as exc:
        raise AzureAuthError(
            "the Azure token has no object id (oid claim)",
            remedy="set validation.principal_object_id to the object id of the principal that sends validation records",
        ) from exc
