"""The Logs Ingestion API's errors: Azure.Core's ``{"error": {"code", "message"}}`` with ``x-ms-error-code``.

Only the 403 and 413 bodies are known from the real service (see the reference, section 1.5); the
others are the conservative choices written down in ``emulator/COVERAGE.md``.
"""

from __future__ import annotations

import datetime as dt
import math

from emulator.core.errors import EmulatorError, azure_error

__all__ = [
    "IngestionAuthErrors",
    "content_too_large",
    "forbidden",
    "invalid_api_version",
    "invalid_content",
    "rule_not_found",
    "service_error",
    "stream_not_found",
    "throttled",
]


def invalid_api_version(version: str | None, supported: tuple[str, ...]) -> EmulatorError:
    return azure_error(
        400,
        "InvalidApiVersion",
        f"The api-version '{version or ''}' is not supported. Supported versions: {', '.join(supported)}.",
    )


def content_too_large(limit: int, provided: int) -> EmulatorError:
    return azure_error(
        413,
        "ContentLengthLimitExceeded",
        f"Maximum allowed content length: {limit} bytes ({limit // 1_048_576} MB). Provided content length: {provided} bytes.",
    )


def rule_not_found(immutable_id: str) -> EmulatorError:
    return azure_error(404, "NotFound", f"Data collection rule with immutable Id '{immutable_id}' not found.")


def stream_not_found(stream: str, immutable_id: str) -> EmulatorError:
    return azure_error(
        400,
        "InvalidStream",
        f"Stream '{stream}' is not declared in the data collection rule with immutable Id '{immutable_id}', or "
        "no data flow uses it.",
    )


def forbidden(immutable_id: str, rule_id: str, tenant_id: str, object_id: str) -> EmulatorError:
    return azure_error(
        403,
        "OperationFailed",
        "The authentication token provided does not have access to ingest data for the data collection rule "
        f"with immutable Id '{immutable_id}' PipelineAccessResult: AccessGranted: False, IsRbacPresent: False, "
        f"IsDcrDceBindingValid: , DcrArmId: {rule_id}, Message: Required authorization action was not found for "
        f"tenantId {tenant_id} objectId {object_id} on resourceId {rule_id} ConfigurationId: {immutable_id}..",
    )


def throttled(limit: str, retry_after: float) -> EmulatorError:
    return azure_error(
        429,
        "TooManyRequests",
        f"The data collection rule has exceeded its limit of {limit} per minute. Retry after the time the "
        "Retry-After header gives.",
        headers={"Retry-After": str(max(math.ceil(retry_after), 0))},
    )


def invalid_content(message: str) -> EmulatorError:
    return azure_error(400, "InvalidRequestContent", message)


def service_error(status: int, message: str) -> EmulatorError:
    codes = {429: "TooManyRequests", 500: "InternalServerError", 503: "ServiceUnavailable"}
    return azure_error(status, codes.get(status, "InjectedFault"), message)


class IngestionAuthErrors:
    """401 answers of the Logs Ingestion API (bodies UNCONFIRMED; codes follow ARM's names)."""

    def missing(self) -> EmulatorError:
        return azure_error(401, "AuthenticationFailed", "Authentication failed. The 'Authorization' header is missing.")

    def invalid(self, reason: str) -> EmulatorError:
        return azure_error(401, "InvalidAuthenticationToken", f"The access token is invalid: {reason}.")

    def expired(self, expired_at: dt.datetime) -> EmulatorError:
        return azure_error(
            401,
            "ExpiredAuthenticationToken",
            f"The access token expired at {expired_at.isoformat().replace('+00:00', 'Z')}.",
        )

    def wrong_audience(self, audience: str, allowed: tuple[str, ...]) -> EmulatorError:
        return azure_error(
            401,
            "InvalidAuthenticationTokenAudience",
            f"The access token has been obtained for wrong audience or resource '{audience}'. It should exactly "
            f"match with one of the allowed audiences {','.join(repr(a) for a in allowed)}.",
        )
