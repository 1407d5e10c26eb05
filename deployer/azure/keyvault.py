"""The Miro token from a Key Vault secret (``miro.token_source = "keyvault"``)."""

from __future__ import annotations

from typing import Any

from azure.core.credentials import TokenCredential
from azure.core.exceptions import ClientAuthenticationError, HttpResponseError, ServiceRequestError
from azure.keyvault.secrets import SecretClient

from deployer.azure.arm import azure_error
from deployer.azure.cloud import AzureCloud
from deployer.config import Secret
from deployer.errors import AzureError

__all__ = ["read_secret"]


def read_secret(secret_id: str, credential: TokenCredential, cloud: AzureCloud) -> Secret:
    """The value of ``https://<vault>/secrets/<name>[/<version>]``, wrapped so it never prints.

    :raises AzureError: the secret cannot be read (missing, no ``get`` permission, vault unreachable).
    """
    vault, _, rest = secret_id.partition("/secrets/")
    name, _, version = rest.partition("/")
    kwargs: dict[str, Any] = {"retry_total": 3}
    if cloud.ca_bundle:
        kwargs["connection_verify"] = cloud.ca_bundle
        kwargs["verify_challenge_resource"] = False
    client = SecretClient(vault, credential, **kwargs)
    try:
        secret = client.get_secret(name, version or None)
    except (HttpResponseError, ServiceRequestError, ClientAuthenticationError) as exc:
        raise azure_error(exc, f"reading the Miro token from Key Vault secret {name}") from exc
    finally:
        client.close()
    if not secret.value:
        raise AzureError(f"the Key Vault secret {name} is empty", remedy="store the Miro token in it")
    return Secret(secret.value)
