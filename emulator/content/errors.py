"""The errors of saved searches, workbooks and metric alerts, in ARM's shape.

The providers' exact codes and texts for these refusals are unconfirmed; the choices are in
``emulator/COVERAGE.md``.
"""

from __future__ import annotations

from collections.abc import Sequence

from emulator.core.errors import EmulatorError, azure_error

__all__ = ["invalid_properties", "not_found"]


def invalid_properties(problems: Sequence[tuple[str, str]]) -> EmulatorError:
    """Every problem of a body, one ``details`` entry each; the message lists them too."""
    listed = "; ".join(f"{target}: {message}" for target, message in problems)
    return azure_error(
        400,
        "BadRequest",
        f"The request body is invalid: {listed}",
        details=[{"code": "InvalidParameter", "target": target, "message": message} for target, message in problems],
    )


def not_found(kind: str, name: str) -> EmulatorError:
    return azure_error(404, "ResourceNotFound", f"The {kind} '{name}' was not found.")
