"""Entra's OAuth error answers: ``{"error", "error_description": "AADSTS...", "error_codes", ...}``.

Messages follow the AADSTS texts Entra returns for the same mistakes, so a client's error output reads
as it would against Azure.
"""

from __future__ import annotations

import datetime as dt
import uuid

from emulator.core.errors import EmulatorError
from emulator.core.http import Reply

__all__ = [
    "invalid_client_secret",
    "invalid_request",
    "invalid_resource",
    "invalid_scope",
    "invalid_user_password",
    "oauth_error",
    "tenant_not_found",
    "unknown_client",
    "unsupported_grant_type",
]


def oauth_error(status: int, error: str, code: int, description: str) -> EmulatorError:
    """Entra's error body; ``description`` is prefixed with ``AADSTS<code>`` and the trace ids."""
    trace, correlation = str(uuid.uuid4()), str(uuid.uuid4())
    stamp = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M:%SZ")
    body = {
        "error": error,
        "error_description": (
            f"AADSTS{code}: {description} Trace ID: {trace} Correlation ID: {correlation} Timestamp: {stamp}"
        ),
        "error_codes": [code],
        "timestamp": stamp,
        "trace_id": trace,
        "correlation_id": correlation,
        "error_uri": f"https://login.microsoftonline.com/error?code={code}",
    }
    return EmulatorError(Reply(status, body))


def invalid_client_secret(client_id: str) -> EmulatorError:
    return oauth_error(
        401,
        "invalid_client",
        7000215,
        "Invalid client secret provided. Ensure the secret being sent in the request is the client secret "
        f"value, not the client secret ID, for a secret added to app '{client_id}'.",
    )


def invalid_user_password() -> EmulatorError:
    return oauth_error(400, "invalid_grant", 50126, "Error validating credentials due to invalid username or password.")


def unknown_client(client_id: str, tenant: str) -> EmulatorError:
    return oauth_error(
        400,
        "unauthorized_client",
        700016,
        f"Application with identifier '{client_id}' was not found in the directory '{tenant}'. This can "
        "happen if the application has not been installed by the administrator of the tenant or consented "
        "to by any user in the tenant. You may have sent your authentication request to the wrong tenant.",
    )


def tenant_not_found(tenant: str) -> EmulatorError:
    return oauth_error(
        400,
        "invalid_request",
        90002,
        f"Tenant '{tenant}' not found. Check to make sure you have the correct tenant ID and are signing "
        "into the correct cloud.",
    )


def invalid_scope(scope: str) -> EmulatorError:
    return oauth_error(
        400,
        "invalid_scope",
        1002012,
        f"The provided value for scope {scope} is not valid. Client credential flows must have a scope "
        "value with /.default suffixed to the resource identifier (application ID URI).",
    )


def invalid_resource(resource: str, tenant: str) -> EmulatorError:
    return oauth_error(
        400,
        "invalid_resource",
        500011,
        f"The resource principal named {resource} was not found in the tenant named {tenant}. This can "
        "happen if the application has not been installed by the administrator of the tenant or consented "
        "to by any user in the tenant. You might have sent your authentication request to the wrong tenant.",
    )


def unsupported_grant_type(grant_type: str) -> EmulatorError:
    return oauth_error(
        400,
        "unsupported_grant_type",
        70003,
        f"The app requested an unsupported grant type '{grant_type}'. The local cloud issues tokens for "
        "client_credentials with a client secret only.",
    )


def invalid_request(message: str, code: int = 900144) -> EmulatorError:
    return oauth_error(400, "invalid_request", code, message)


def service_error(status: int, message: str) -> EmulatorError:
    """An Entra-shaped error for an injected fault."""
    return oauth_error(status, "temporarily_unavailable" if status >= 500 else "invalid_request", 90033, message)
