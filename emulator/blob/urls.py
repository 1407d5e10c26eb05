"""Blob routes, path-style under ``/blob`` (``blob_endpoint`` in the ready line): ``/blob/{account}/{container}/{blob}``.

Azure serves ``https://{account}.blob.core.windows.net/{container}/{blob}``; the SDK takes a path-style
account URL for an address without a name (as it does for Azurite), so clients run unmodified.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from emulator.blob import errors
from emulator.blob.models import BlobBackend
from emulator.blob.responses import BlobResponses
from emulator.core.auth import Authenticator
from emulator.core.http import Route, Service

if TYPE_CHECKING:
    from emulator.cloud import Cloud

__all__ = ["STORAGE_AUDIENCES", "backend", "service"]

STORAGE_AUDIENCES = ("https://storage.azure.com",)
_PATH = "/blob/{account}/{container}/{blob:path}"


def backend(cloud: Cloud) -> BlobBackend:
    """The cloud's Blob service (created on first use)."""
    return cloud.backend("blob", BlobBackend)


def service(cloud: Cloud) -> Service:
    auth = Authenticator(STORAGE_AUDIENCES, errors.BlobAuthErrors(), cloud.tokens)
    r = BlobResponses(backend(cloud), auth)
    return Service(
        "blob",
        (
            Route("PUT", _PATH, r.put, operation="PutBlob"),
            Route("HEAD", _PATH, r.head, operation="GetBlobProperties"),
            Route("GET", _PATH, r.not_served, operation="GetBlob"),
            Route("DELETE", _PATH, r.not_served, operation="DeleteBlob"),
        ),
        errors.service_error,
    )
