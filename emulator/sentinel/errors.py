"""Microsoft Sentinel's (``Microsoft.SecurityInsights``) named errors, in ARM's error shape.

The resource provider's exact codes and texts for these refusals are unconfirmed; the choices are in
``emulator/COVERAGE.md``. Messages never contain an API key.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from emulator.core.errors import EmulatorError, azure_error

__all__ = [
    "bad_request",
    "columns_missing",
    "definition_in_use",
    "definition_not_found",
    "etag_mismatch",
    "etag_required",
    "invalid_properties",
    "not_found",
    "not_implemented",
    "not_onboarded",
    "query_missing_table",
    "query_semantic",
    "query_syntax",
]


def bad_request(
    message: str, *, target: str | None = None, details: Sequence[Mapping[str, Any]] | None = None
) -> EmulatorError:
    return azure_error(400, "BadRequest", message, target=target, details=details)


def invalid_properties(problems: Sequence[tuple[str, str]]) -> EmulatorError:
    """Every problem of a body, one ``details`` entry each; the message lists them too."""
    listed = "; ".join(f"{target}: {message}" for target, message in problems)
    return bad_request(
        f"The request body is invalid: {listed}",
        details=[{"code": "InvalidParameter", "target": target, "message": message} for target, message in problems],
    )


def not_implemented(problems: Sequence[tuple[str, str]]) -> EmulatorError:
    listed = "; ".join(f"{target}: {message}" for target, message in problems)
    return azure_error(
        501, "NotImplemented", f"Not implemented by the local cloud (see emulator/COVERAGE.md): {listed}"
    )


def not_found(kind: str, name: str, workspace: str) -> EmulatorError:
    return azure_error(404, "NotFound", f"The {kind} '{name}' was not found in workspace '{workspace}'.")


def definition_not_found(name: str, workspace: str) -> EmulatorError:
    return bad_request(
        f"The data connector definition '{name}' (connectorDefinitionName) does not exist in workspace '{workspace}'. "
        "Create the definition first.",
        target="properties.connectorDefinitionName",
    )


def definition_in_use(name: str, connectors: Sequence[str]) -> EmulatorError:
    return azure_error(
        409,
        "Conflict",
        f"The data connector definition '{name}' is used by the data connector(s) {', '.join(connectors)}; delete them first.",
    )


def not_onboarded(workspace: str) -> EmulatorError:
    # Azure's wording, as reported from real workspaces (Azure-Sentinel users' issues).
    return bad_request(
        f"Workspace '{workspace}' is not onboarded to Microsoft Sentinel. Please onboard through the portal "
        "(https://learn.microsoft.com/en-us/azure/sentinel/quickstart-onboard) or use the OnboardingStates ARM api "
        "to onboard to Sentinel (https://learn.microsoft.com/en-us/rest/api/securityinsights/"
        "sentinel-onboarding-states/create)."
    )


def etag_mismatch(name: str) -> EmulatorError:
    return azure_error(
        409,
        "Conflict",
        f"The etag of '{name}' does not match the current one: the resource was changed since it was read. "
        "Read it again and retry with its current etag, or send no etag.",
    )


def etag_required(name: str) -> EmulatorError:
    return bad_request(
        f"'{name}' already exists: an update must carry its current etag (read it with GET first).",
        target="etag",
    )


def query_syntax(line: int | None, column: int | None, token: str) -> EmulatorError:
    """The rule's query does not parse (Sentinel relays Log Analytics' syntax error)."""
    where = f" on line [{line},{column}]" if line is not None else ""
    return bad_request(
        f"Syntax error: SYN0002: Query could not be parsed at '{token}'{where}", target="properties.query"
    )


def query_missing_table() -> EmulatorError:
    """The rule's query reads a table the workspace does not have (Sentinel's own wording)."""
    return bad_request(
        "Failed to run the analytics rule query. One of the tables does not exist.", target="properties.query"
    )


def query_semantic(message: str) -> EmulatorError:
    """The rule's query names a column that does not exist: Sentinel wraps Log Analytics' error in its message."""
    inner = json.dumps(
        {
            "error": {
                "message": "The request had some invalid properties",
                "code": "BadArgumentError",
                "innererror": {
                    "code": "SemanticError",
                    "message": "A semantic error occurred.",
                    "innererror": {"code": "SEM0100", "message": message},
                },
            }
        }
    )
    return bad_request(f"FailedToResolveScalarExpression; Message: {inner}", target="properties.query")


def columns_missing(names: Sequence[str]) -> EmulatorError:
    """Entity mappings, custom details or alert overrides name columns the query does not return."""
    return bad_request(
        f"Column names {','.join(names)} do not exist. Please check the query results and try again",
        target="properties",
    )
