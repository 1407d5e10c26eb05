"""The Blob service's errors: an XML ``<Error><Code/><Message/></Error>`` body and ``x-ms-error-code``.

Codes and statuses are Azure's (Learn, "Blob Storage error codes" and "Lease Blob"); the message
text is ours, followed by the request id and time as the service adds them.
"""

from __future__ import annotations

import datetime as dt
import uuid
from xml.sax.saxutils import escape

from emulator.core.errors import EmulatorError
from emulator.core.http import Reply

__all__ = ["BlobAuthErrors", "blob_error", "service_error"]


def blob_error(status: int, code: str, message: str) -> EmulatorError:
    """The Blob service's error reply for ``code``."""
    request_id = str(uuid.uuid4())
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%f0Z")
    body = (
        '<?xml version="1.0" encoding="utf-8"?>'
        f"<Error><Code>{escape(code)}</Code><Message>{escape(message)}\nRequestId:{request_id}\nTime:{now}</Message></Error>"
    ).encode()
    headers = {"x-ms-error-code": code, "x-ms-request-id": request_id, "Content-Type": "application/xml"}
    return EmulatorError(Reply(status, body, headers))


def container_not_found() -> EmulatorError:
    return blob_error(404, "ContainerNotFound", "The specified container does not exist.")


def blob_not_found() -> EmulatorError:
    return blob_error(404, "BlobNotFound", "The specified blob does not exist.")


def blob_already_exists() -> EmulatorError:
    return blob_error(409, "BlobAlreadyExists", "The specified blob already exists.")


def invalid_header(name: str, value: str) -> EmulatorError:
    return blob_error(
        400,
        "InvalidHeaderValue",
        f"The value for one of the HTTP headers is not in the correct format ({name}: {value}).",
    )


def missing_header(name: str) -> EmulatorError:
    return blob_error(
        400, "MissingRequiredHeader", f"An HTTP header that's mandatory for this request is not specified ({name})."
    )


def lease(status: int, code: str) -> EmulatorError:
    """A lease refusal; the message says what the code names."""
    messages = {
        "LeaseAlreadyPresent": "There is already a lease present.",
        "LeaseIdMismatchWithLeaseOperation": "The lease ID specified did not match the lease ID for the blob.",
        "LeaseNotPresentWithLeaseOperation": "There is currently no lease on the blob.",
        "LeaseIsBreakingAndCannotBeAcquired": "The lease ID matched, but the lease is currently in breaking state and cannot be acquired until it is broken.",
        "LeaseIsBrokenAndCannotBeRenewed": "The lease ID matched, but the lease has been broken explicitly and cannot be renewed.",
        "LeaseIdMissing": "There is currently a lease on the blob and no lease ID was specified in the request.",
        "LeaseIdMismatchWithBlobOperation": "The lease ID specified did not match the lease ID for the blob.",
        "LeaseNotPresentWithBlobOperation": "There is currently no lease on the blob.",
    }
    return blob_error(status, code, messages[code])


def authorization_mismatch() -> EmulatorError:
    return blob_error(
        403,
        "AuthorizationPermissionMismatch",
        "This request is not authorized to perform this operation using this permission.",
    )


def not_implemented(what: str) -> EmulatorError:
    return blob_error(501, "NotImplemented", f"{what} is not implemented by the local cloud; see emulator/COVERAGE.md")


def service_error(status: int, message: str) -> EmulatorError:
    codes = {500: "InternalError", 503: "ServerBusy"}
    return blob_error(status, codes.get(status, "InjectedFault"), message)


class BlobAuthErrors:
    """401 answers of the Blob service to a bearer token it cannot use."""

    def missing(self) -> EmulatorError:
        return blob_error(
            401,
            "NoAuthenticationInformation",
            "Server failed to authenticate the request. Please refer to the information in the www-authenticate header.",
        )

    def invalid(self, reason: str) -> EmulatorError:
        return blob_error(401, "InvalidAuthenticationInfo", f"Server failed to authenticate the request: {reason}.")

    def expired(self, expired_at: dt.datetime) -> EmulatorError:
        return blob_error(
            401,
            "InvalidAuthenticationInfo",
            f"Lifetime validation failed. The token is expired ({expired_at.isoformat()}).",
        )

    def wrong_audience(self, audience: str, allowed: tuple[str, ...]) -> EmulatorError:
        return blob_error(
            401, "InvalidAuthenticationInfo", f"Audience validation failed. Audience did not match ({audience})."
        )
