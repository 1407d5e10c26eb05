"""The Miro token from a Key Vault secret (``miro.token_source = "keyvault"``)."""

from __future__ import annotations

from typing import Any

from azure.core.credentials import TokenCredential
from azure.core.exceptions import AzureError as SdkError
from azure.keyvault.secrets import SecretClient

from deployer.azure.arm import azure_error
from deployer.azure.cloud import AzureCloud
from deployer.azure.transport import client_options, retrying
from deployer.config import Secret
from deployer.config.secret import checked_token
from deployer.errors import AzureError, ConfigError, ConfigProblem
from deployer.retry import RetryPolicy

__all__ = ["read_secret"]


def read_secret(
    secret_id: str, credential: TokenCredential, cloud: AzureCloud, *, retry: RetryPolicy | None = None
) -> Secret:
    """The value of ``https://<vault>/secrets/<name>[/<version>]``, wrapped so it never prints.

    :raises AzureError: the secret cannot be read (missing, no ``get`` permission, vault unreachable).
    """
    vault, _, rest = secret_id.partition("/secrets/")
    name, _, version = rest.partition("/")
    kwargs: dict[str, Any] = client_options(cloud, retry_total=3)
    if cloud.ca_bundle:
        kwargs["verify_challenge_resource"] = False
    client = SecretClient(vault, credential, **kwargs)
    policy = retry or RetryPolicy()
    try:
        secret = retrying(policy, f"reading Key Vault secret {name}", lambda: client.get_secret(name, version or None))
    except SdkError as exc:
        raise azure_error(exc, f"reading the Miro token from Key Vault secret {name}") from exc
    finally:
        client.close()
    if not secret.value or not secret.value.strip():
        raise AzureError(f"the Key Vault secret {name} is empty", remedy="store the Miro token in it")
    problems: list[ConfigProblem] = []
    token = checked_token(secret.value, f"Key Vault secret {name}", problems)
    if token is None:
        raise ConfigError(problems, remedy=f"store the Miro token alone in the Key Vault secret {name}")
    return token
