"""The environment's lock in Azure: a lease on one blob beside the Terraform state (Lease Blob).

A run takes the lease for ``lease_seconds`` (15 to 60, Azure's range) and renews it while it lasts; a run
that dies stops renewing, so its lease expires within that time and nobody ever breaks a lock by hand. Who holds it
(pid, host, command, since) is written into the blob's metadata under the lease, so a second run,
refused with ``409 LeaseAlreadyPresent``, can name the holder. The client is Azure's own
(azure-storage-blob); only transient faults are retried here, as for every Azure client.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import TypeVar

from azure.core.credentials import TokenCredential
from azure.core.exceptions import AzureError as SdkError
from azure.core.exceptions import HttpResponseError, ResourceExistsError
from azure.storage.blob import BlobClient, BlobLeaseClient

from deployer.azure.arm import azure_error
from deployer.azure.cloud import AzureCloud
from deployer.azure.transport import client_options, retrying
from deployer.errors import AzureAuthError, AzureError, ResourceNotFound
from deployer.retry import RetryPolicy

__all__ = ["BlobLease"]

_LOG = logging.getLogger(__name__)

T = TypeVar("T")

#: Lease Blob's answers when someone else holds the lease.
_HELD = ("LeaseAlreadyPresent", "LeaseIsBreakingAndCannotBeAcquired")


class BlobLease:
    """The lease on ``account/container/blob``, taken by :meth:`try_acquire` and given back by :meth:`release`."""

    def __init__(
        self,
        credential: TokenCredential,
        cloud: AzureCloud,
        *,
        account: str,
        container: str,
        blob: str,
        lease_seconds: int = 60,
        retry: RetryPolicy | None = None,
    ) -> None:
        self.where = f"blob {container}/{blob} in storage account {account}"
        self._client = BlobClient(
            cloud.blob_account_url(account), container, blob, credential=credential, **client_options(cloud)
        )
        self._lease: BlobLeaseClient | None = None
        self.lease_seconds = lease_seconds
        #: How often a holder renews: three chances before the lease would run out.
        self.renew_every = lease_seconds / 3
        self._retry = retry or RetryPolicy()

    def try_acquire(self, holder: Mapping[str, str]) -> dict[str, str] | None:
        """Take the lease and write ``holder`` under it: None when taken, else the metadata of whoever has it.

        :raises AzureError: the container is missing, the principal may not use it, or Azure cannot be reached.
        """
        self._call("creating the lock", self._create_blob)
        lease = BlobLeaseClient(self._client)
        what = "taking the lock"
        try:
            retrying(self._retry, f"{what} ({self.where})", lambda: lease.acquire(lease_duration=self.lease_seconds))
        except HttpResponseError as exc:
            if exc.status_code == 409 and getattr(exc, "error_code", None) in _HELD:
                properties = self._call("reading who holds the lock", self._client.get_blob_properties)
                return dict(properties.metadata or {})
            raise self._error(exc, what) from exc
        except SdkError as exc:
            raise self._error(exc, what) from exc
        self._lease = lease
        self._call("naming the lock's holder", lambda: self._client.set_blob_metadata(dict(holder), lease=lease))
        return None

    def renew(self) -> None:
        """Keep the lease for another ``lease_seconds``."""
        lease = self._lease
        if lease is not None:
            self._call("renewing the lock", lease.renew)

    def release(self) -> None:
        """Give the lease back (another run may take it at once); its metadata is cleared first."""
        lease, self._lease = self._lease, None
        if lease is None:
            return
        self._call("clearing the lock's holder", lambda: self._client.set_blob_metadata({}, lease=lease))
        self._call("releasing the lock", lease.release)

    def close(self) -> None:
        self._client.close()

    # --- helpers ------------------------------------------------------------------------------------------

    def _create_blob(self) -> None:
        try:
            self._client.upload_blob(b"", overwrite=False)
        except ResourceExistsError:
            return  # made by an earlier run (whether or not its lease is held now)
        except HttpResponseError as exc:
            if getattr(exc, "error_code", None) == "LeaseIdMissing":
                return  # it exists and is leased: the acquire says by whom
            raise

    def _call(self, what: str, operation: Callable[[], T]) -> T:
        try:
            return retrying(self._retry, f"{what} ({self.where})", operation)
        except SdkError as exc:
            raise self._error(exc, what) from exc

    def _error(self, exc: Exception, what: str) -> AzureError:
        error = azure_error(exc, f"{what} ({self.where})")
        code = getattr(exc, "error_code", None)
        if isinstance(error, AzureAuthError) and getattr(exc, "status_code", None) == 403:
            error = AzureAuthError(
                error.message,
                status_code=403,
                error_code=code,
                remedy="grant the signed-in principal Storage Blob Data Contributor on the container (the Terraform "
                "backend needs it too), or set lock.storage_account to an account it may use",
            )
        elif code == "ContainerNotFound" or isinstance(error, ResourceNotFound):
            error = ResourceNotFound(
                f"the lock's container does not exist ({self.where})",
                status_code=404,
                error_code=code,
                remedy="create the container (it holds the Terraform state too), or set lock.container",
            )
        _LOG.debug("blob lease: %s failed: %s", what, error.message)
        return error
