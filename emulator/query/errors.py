"""The query API's errors, in its OneAPI shape (Learn: "Azure Monitor Log Analytics API errors").

``{"error": {"message", "code", "correlationId", "innererror": {...}}}``; syntax and semantic errors
carry Kusto's inner error codes (``SYN0002``, ``SEM0100``).
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from emulator.core.errors import EmulatorError
from emulator.core.http import Reply

__all__ = [
    "QueryAuthErrors",
    "bad_argument",
    "engine_gap",
    "insufficient_access",
    "path_not_found",
    "semantic_error",
    "service_error",
    "syntax_error",
]


def _error(status: int, code: str, message: str, innererror: dict[str, Any] | None = None) -> EmulatorError:
    error: dict[str, Any] = {"message": message, "code": code, "correlationId": str(uuid.uuid4())}
    if innererror is not None:
        error["innererror"] = innererror
    return EmulatorError(Reply(status, {"error": error}, {"x-ms-error-code": code}))


def bad_argument(code: str, message: str) -> EmulatorError:
    return _error(
        400, "BadArgumentError", "The request had some invalid properties", {"code": code, "message": message}
    )


def syntax_error(message: str, *, line: int | None, pos: int | None, token: str | None) -> EmulatorError:
    detail: dict[str, Any] = {"code": "SYN0002", "message": message}
    if line is not None:
        detail.update({"line": line, "pos": pos, "token": token})
    return _error(
        400,
        "BadArgumentError",
        "The request had some invalid properties",
        {"code": "SyntaxError", "message": "A recognition error occurred in the query.", "innererror": detail},
    )


def semantic_error(message: str) -> EmulatorError:
    return _error(
        400,
        "BadArgumentError",
        "The request had some invalid properties",
        {
            "code": "SemanticError",
            "message": "A semantic error occurred.",
            "innererror": {"code": "SEM0100", "message": message},
        },
    )


def engine_gap(message: str) -> EmulatorError:
    return _error(
        501,
        "NotImplemented",
        f"The local cloud's KQL engine cannot run this query (Log Analytics may): {message}. See emulator/COVERAGE.md",
    )


def path_not_found(workspace: str) -> EmulatorError:
    return _error(
        404,
        "PathNotFoundError",
        "The requested path does not exist",
        {"code": "WorkspaceNotFoundError", "message": f"The workspace '{workspace}' could not be found."},
    )


def insufficient_access(object_id: str, workspace: str) -> EmulatorError:
    return _error(
        403,
        "InsufficientAccessError",
        "The provided credentials have insufficient access to perform the requested operation",
        {
            "code": "UnauthorizedClient",
            "message": f"The service principal does not have sufficient permissions to access this resource: {workspace} "
            f"(object id {object_id})",
        },
    )


def service_error(status: int, message: str) -> EmulatorError:
    codes = {429: "ThrottledError", 500: "InternalServerError", 503: "ServiceUnavailableError"}
    return _error(status, codes.get(status, "InjectedFault"), message)


class QueryAuthErrors:
    """401 when no token is sent, 403 for a token that is invalid, expired or for another audience."""

    def missing(self) -> EmulatorError:
        return _error(401, "AuthenticationFailed", "Authentication failed. The 'Authorization' header is missing.")

    def invalid(self, reason: str) -> EmulatorError:
        return _error(
            403,
            "InvalidAuthenticationToken",
            "The access token is invalid.",
            {"code": "InvalidToken", "message": reason},
        )

    def expired(self, expired_at: dt.datetime) -> EmulatorError:
        return _error(
            403,
            "InvalidAuthenticationToken",
            "The access token is invalid.",
            {
                "code": "TokenExpired",
                "message": f"The token expired at {expired_at.isoformat().replace('+00:00', 'Z')}.",
            },
        )

    def wrong_audience(self, audience: str, allowed: tuple[str, ...]) -> EmulatorError:
        return _error(
            403,
            "InvalidAuthenticationTokenAudience",
            f"The access token has been obtained from wrong audience or resource '{audience}'. It should exactly match "
            f"(including forward slash) with one of the allowed audiences {','.join(repr(a) for a in allowed)}.",
        )
