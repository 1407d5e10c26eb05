"""Where Azure is: endpoints and audiences for the public cloud, or for the local cloud."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["PUBLIC_CLOUD", "AzureCloud"]


@dataclass(frozen=True)
class AzureCloud:
    """Endpoints and token audiences; ``ca_bundle`` is set only for the local cloud's own CA."""

    arm_endpoint: str
    query_endpoint: str
    authority: str
    arm_audience: str = "https://management.azure.com"
    monitor_audience: str = "https://monitor.azure.com"
    query_audience: str = "https://api.loganalytics.io"
    ca_bundle: str | None = None
    #: Where storage accounts' Blob services are, path-style (``{blob_endpoint}/{account}``); None: Azure's
    #: ``https://{account}.blob.core.windows.net``.
    blob_endpoint: str | None = None

    def blob_account_url(self, account: str) -> str:
        """The Blob service URL of storage account ``account``."""
        if self.blob_endpoint:
            return f"{self.blob_endpoint.rstrip('/')}/{account}"
        return f"https://{account}.blob.core.windows.net"

    @property
    def verify(self) -> bool | str:
        """For ``requests``-style ``verify=`` and azure-core's ``connection_verify=``."""
        return self.ca_bundle or True


PUBLIC_CLOUD = AzureCloud(
    arm_endpoint="https://management.azure.com",
    query_endpoint="https://api.loganalytics.io",
    authority="https://login.microsoftonline.com",
)
