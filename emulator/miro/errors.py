"""Miro's errors, one named factory each, with Miro's body.

Body shape (Miro OpenAPI ``ErrorResponse`` and the v1 rate-limit page):
``{"status": 403, "code": "forbidden", "message": "...", "type": "error"}``, plus ``context`` when there
is more to say. The exact real texts for 401/403 are unconfirmed; the messages here differ per cause so
that a client (and a person reading SentinelHealth) can tell the 403 cases apart. See ``COVERAGE.md``.

Messages never contain a token.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = [
    "MiroError",
    "bad_request",
    "forbidden_not_company_admin",
    "forbidden_not_enterprise",
    "forbidden_scope",
    "not_found",
    "not_implemented",
    "server_error",
    "too_many_requests",
    "unauthorized",
]

_CODES = {
    400: "badRequest",
    401: "unauthorized",
    403: "forbidden",
    404: "notFound",
    405: "methodNotAllowed",
    409: "conflict",
    429: "tooManyRequests",
    500: "internalServerError",
    501: "notImplemented",
    502: "badGateway",
    503: "serviceUnavailable",
    504: "gatewayTimeout",
}


class MiroError(Exception):
    """A Miro error answer: HTTP status, Miro ``code`` and ``message``, and extra headers."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        code: str | None = None,
        context: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(f"{status} {message}")
        self.status = status
        self.code = code or _CODES.get(status, "error")
        self.message = message
        self.context = dict(context) if context else None
        self.headers = dict(headers or {})

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"status": self.status, "code": self.code, "message": self.message}
        if self.context:
            body["context"] = self.context
        body["type"] = "error"
        return body


def bad_request(message: str, *, parameter: str | None = None) -> MiroError:
    context = {"error": f"Invalid parameter: {parameter}"} if parameter else None
    return MiroError(400, message, context=context)


def unauthorized() -> MiroError:
    # One answer for a missing, unknown and revoked token: Miro does not say which (unconfirmed).
    return MiroError(401, "Authentication failed: the access token is missing, invalid or revoked.")


def forbidden_scope(scope: str) -> MiroError:
    return MiroError(403, f"The access token does not have the required scope: {scope}.")


def forbidden_not_enterprise() -> MiroError:
    return MiroError(403, "Audit logs are available only for organizations on the Enterprise plan.")


def forbidden_not_company_admin() -> MiroError:
    return MiroError(403, "Only Company Admins can access audit logs.")


def too_many_requests(headers: Mapping[str, str]) -> MiroError:
    return MiroError(429, "Too many requests: the credit limit for this minute is spent.", headers=headers)


def not_found(path: str) -> MiroError:
    return MiroError(404, f"Not found: {path}")


def not_implemented(method: str, path: str) -> MiroError:
    return MiroError(501, f"{method} {path} is not implemented by the local Miro; see emulator/COVERAGE.md")


def server_error(status: int, message: str | None = None) -> MiroError:
    return MiroError(status, message or "The server encountered an error. Please try again later.")
