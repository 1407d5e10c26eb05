"""ARM's named errors: ``{"error": {"code", "message", ...}}`` with ``x-ms-error-code``.

Messages follow the texts ARM and the resource providers return for the same mistakes. Where the
reference marks a body UNCONFIRMED, the choice is written down in ``emulator/COVERAGE.md``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from emulator.core.errors import EmulatorError, azure_error

__all__ = [
    "ArmAuthErrors",
    "authorization_failed",
    "bad_request",
    "conflict",
    "invalid_api_version",
    "invalid_parameter",
    "invalid_payload",
    "invalid_request_content",
    "missing_api_version",
    "not_found",
    "resource_group_not_found",
    "resource_not_found",
    "service_error",
    "subscription_not_found",
]


def missing_api_version() -> EmulatorError:
    return azure_error(
        400,
        "MissingApiVersionParameter",
        "The api-version query parameter (?api-version=) is required for all requests.",
    )


def invalid_api_version(version: str, supported: Sequence[str]) -> EmulatorError:
    return azure_error(
        400,
        "InvalidApiVersionParameter",
        f"The api-version '{version}' is invalid. The supported versions are '{','.join(supported)}'.",
    )


def invalid_request_content(reason: str) -> EmulatorError:
    return azure_error(
        400, "InvalidRequestContent", f"The request content was invalid and could not be deserialized: {reason}"
    )


def subscription_not_found(subscription: str) -> EmulatorError:
    return azure_error(404, "SubscriptionNotFound", f"The subscription '{subscription}' could not be found.")


def resource_group_not_found(group: str) -> EmulatorError:
    return azure_error(404, "ResourceGroupNotFound", f"Resource group '{group}' could not be found.")


def resource_not_found(resource_type: str, name: str, group: str | None) -> EmulatorError:
    where = f" under resource group '{group}'" if group else ""
    return azure_error(
        404,
        "ResourceNotFound",
        f"The Resource '{resource_type}/{name}'{where} was not found. For more details please go to "
        "https://aka.ms/ARMResourceNotFoundFix",
    )


def authorization_failed(client_id: str, object_id: str, action: str, scope: str) -> EmulatorError:
    return azure_error(
        403,
        "AuthorizationFailed",
        f"The client '{client_id}' with object id '{object_id}' does not have authorization to perform action "
        f"'{action}' over scope '{scope}' or the scope is invalid. If access was recently granted, please "
        "refresh your credentials.",
    )


def invalid_parameter(
    message: str, *, target: str | None = None, details: Sequence[Mapping[str, Any]] | None = None
) -> EmulatorError:
    return azure_error(400, "InvalidParameter", message, target=target, details=details)


def invalid_payload(details: Sequence[Mapping[str, Any]]) -> EmulatorError:
    """A data collection rule refused: Azure's ``InvalidPayload`` with one entry per problem."""
    return azure_error(400, "InvalidPayload", "Data collection rule is invalid", details=details)


def bad_request(code: str, message: str) -> EmulatorError:
    return azure_error(400, code, message)


def not_found(code: str, message: str) -> EmulatorError:
    return azure_error(404, code, message)


def conflict(code: str, message: str) -> EmulatorError:
    return azure_error(409, code, message)


def service_error(status: int, message: str) -> EmulatorError:
    """ARM's shape for an injected fault or a method the path does not serve."""
    codes = {
        405: "MethodNotAllowed",
        429: "TooManyRequests",
        500: "InternalServerError",
        502: "BadGateway",
        503: "ServiceUnavailable",
    }
    return azure_error(status, codes.get(status, "InjectedFault"), message)


def _arm_time(value: dt.datetime) -> str:
    # ARM writes these times in .NET's en-US general format: 11/26/2026 8:00:00 PM
    return f"{value.month}/{value.day}/{value.year} {value.strftime('%I:%M:%S %p').lstrip('0')}"


class ArmAuthErrors:
    """How ARM answers a missing, invalid, expired or misdirected token (401, with WWW-Authenticate)."""

    def __init__(self, tenant_id: str) -> None:
        self._tenant = tenant_id

    def _challenge(self, description: str) -> dict[str, str]:
        return {
            "WWW-Authenticate": (
                f'Bearer authorization_uri="https://login.windows.net/{self._tenant}", error="invalid_token", '
                f'error_description="{description}"'
            )
        }

    def missing(self) -> EmulatorError:
        return azure_error(
            401,
            "AuthenticationFailed",
            "Authentication failed. The 'Authorization' header is missing.",
            headers=self._challenge("The authentication failed because of missing 'Authorization' header."),
        )

    def invalid(self, reason: str) -> EmulatorError:
        return azure_error(
            401,
            "InvalidAuthenticationToken",
            "The access token is invalid.",
            headers=self._challenge("The access token is invalid."),
        )

    def expired(self, expired_at: dt.datetime) -> EmulatorError:
        now = dt.datetime.now(dt.UTC)
        return azure_error(
            401,
            "ExpiredAuthenticationToken",
            f"The access token expiry UTC time '{_arm_time(expired_at)}' is earlier than current UTC time "
            f"'{_arm_time(now)}'.",
            headers=self._challenge("The access token has expired."),
        )

    def wrong_audience(self, audience: str, allowed: tuple[str, ...]) -> EmulatorError:
        listed = ",".join(f"'{a}'" for a in allowed)
        return azure_error(
            401,
            "InvalidAuthenticationTokenAudience",
            f"The access token has been obtained for wrong audience or resource '{audience}'. It should exactly "
            f"match with one of the allowed audiences {listed}.",
            headers=self._challenge("The access token audience is invalid."),
        )
