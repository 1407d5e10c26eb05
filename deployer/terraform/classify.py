"""Turn a failed terraform command into the typed error an operator can act on.

Terraform's ``-json`` diagnostics are read where the command prints them; otherwise stderr. The
patterns are the whole table, in one screen, in the order they are tried.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from deployer.errors import (
    TerraformAuthError,
    TerraformConfigInvalid,
    TerraformError,
    TerraformProviderUnavailable,
    TerraformStateLocked,
)
from deployer.terraform._process import CommandResult

__all__ = ["Diagnostic", "classify_failure", "error_diagnostics", "parse_diagnostics"]

_TAIL_LINES = 20

_STATE_LOCKED = re.compile(r"Error acquiring the state lock", re.I)
_LOCK_ID = re.compile(r"^\s*ID:\s*(\S+)", re.M)
_LOCK_WHO = re.compile(r"^\s*Who:\s*(.+?)\s*$", re.M)
_LOCK_OPERATION = re.compile(r"^\s*Operation:\s*(\S+)", re.M)
_LOCK_CREATED = re.compile(r"^\s*Created:\s*(.+?)\s*$", re.M)

_PROVIDER_UNAVAILABLE = re.compile(
    r"Failed to query available provider packages|Failed to install provider|could not connect to registry"
    r"|Required plugins are not installed|Missing required provider",
    re.I,
)
_NOT_AUTHORIZED = re.compile(r"AuthorizationFailed|does not have authorization to perform", re.I)
_NOT_AUTHENTICATED = re.compile(
    r"unable to build authori[sz]er|(Default|Chained)TokenCredential|AzureCLICredential|ManagedIdentityCredential"
    r"|ClientSecretCredential|failed to acquire a token|AADSTS\d+|run 'az login'|Please run az login"
    r"|obtain(?:ing)? (?:an? )?(?:authorization|access) token|building (?:AzureRM client|ARM config|account)"
    r"|InvalidAuthenticationToken|ExpiredAuthenticationToken|StatusCode=401",
    re.I,
)
_CONFIG_INVALID = re.compile(
    r"Invalid value for (?:input )?variable|No value for required variable|Value for undeclared variable"
    r"|Unsupported argument|Missing required argument|Reference to undeclared|Invalid reference"
    r"|Unsupported attribute|Unsupported block type|Invalid function argument|Error in function call"
    r"|Invalid template interpolation value|Invalid expression|Argument or block definition required"
    r"|precondition failed|postcondition failed|Backend configuration changed|Backend initialization required"
    r"|Module not installed|Invalid backend configuration|Variables not allowed|Ephemeral value not allowed",
    re.I,
)
_STALE_PLAN = re.compile(r"Saved plan is stale", re.I)


@dataclass(frozen=True)
class Diagnostic:
    """One Terraform diagnostic (from a ``-json`` UI stream)."""

    severity: str
    summary: str
    detail: str = ""
    #: What the diagnostic is about, e.g. ``var.location`` or ``module.pipeline.azapi_resource.this``.
    subject: str | None = None

    def __str__(self) -> str:
        where = f" {self.subject}" if self.subject else ""
        return f"{self.summary}{where}: {self.detail}" if self.detail else f"{self.summary}{where}"


_DECLARATION = re.compile(r'^\s*(variable|output)\s+"([^"]+)"')
_BLOCK = re.compile(r'^\s*(resource|data)\s+"([^"]+)"\s+"([^"]+)"')


def _subject(raw: dict[str, Any]) -> str | None:
    """``address`` when Terraform gives one, else the variable or output the diagnostic points at."""
    address = raw.get("address")
    if isinstance(address, str) and address:
        return address
    snippet = raw.get("snippet")
    if not isinstance(snippet, dict):
        return None
    code = snippet.get("code")
    match = _DECLARATION.match(code) if isinstance(code, str) else None
    if match is not None:
        return f"{'var' if match.group(1) == 'variable' else 'output'}.{match.group(2)}"
    where = raw.get("range")
    filename = where.get("filename") if isinstance(where, dict) else None
    if isinstance(filename, str) and filename.endswith((".tfvars", ".tfvars.json")):
        # A value from a variables file: the snippet is that file's line, the traversal names the variable.
        for value in snippet.get("values") or []:
            traversal = value.get("traversal") if isinstance(value, dict) else None
            if isinstance(traversal, str) and traversal.startswith("var."):
                return traversal
    context = snippet.get("context")
    block = _BLOCK.match(context) if isinstance(context, str) else None
    if block is not None:
        prefix = "data." if block.group(1) == "data" else ""
        return f"{prefix}{block.group(2)}.{block.group(3)}"
    return None


def _as_diagnostic(message: Any) -> Diagnostic | None:
    if not isinstance(message, dict) or message.get("type") != "diagnostic":
        return None
    raw = message.get("diagnostic")
    if not isinstance(raw, dict):
        return None
    return Diagnostic(
        severity=str(raw.get("severity", "error")),
        summary=str(raw.get("summary", "")),
        detail=str(raw.get("detail", "")),
        subject=_subject(raw),
    )


def parse_diagnostics(lines: Iterable[str]) -> tuple[Diagnostic, ...]:
    """The diagnostics in a ``-json`` UI stream; lines that are not JSON are skipped."""
    found = []
    for line in lines:
        if not line.startswith("{"):
            continue
        try:
            diagnostic = _as_diagnostic(json.loads(line))
        except json.JSONDecodeError:
            continue
        if diagnostic is not None:
            found.append(diagnostic)
    return tuple(found)


def error_diagnostics(result: CommandResult) -> tuple[Diagnostic, ...]:
    return tuple(d for d in parse_diagnostics(result.stdout.splitlines()) if d.severity == "error")


_ERROR_LINE = re.compile(r"^[│\s]*Error:\s*(.+?)\s*$", re.M)


def _first_line(text: str) -> str:
    return next((line.strip() for line in text.splitlines() if line.strip()), "")


def _headline(text: str) -> str:
    """The first ``Error: ...`` line of human-readable output, else its first line."""
    match = _ERROR_LINE.search(text)
    return match.group(1) if match else _first_line(text)


def _lock_error(text: str, message: str, fields: dict[str, Any]) -> TerraformStateLocked:
    lock_id = _LOCK_ID.search(text)
    who = _LOCK_WHO.search(text)
    operation = _LOCK_OPERATION.search(text)
    created = _LOCK_CREATED.search(text)
    holder = who.group(1) if who else None
    if holder and (operation or created):
        since = f" since {created.group(1)}" if created else ""
        holder = f"{holder} ({operation.group(1) if operation else 'unknown operation'}{since})"
    described = f"the Terraform state is locked by {holder or 'another run'}" + (
        f" (lock id {lock_id.group(1)})" if lock_id else ""
    )
    remedy = "wait for the other run to finish" + (
        f"; if it died, run `terraform force-unlock {lock_id.group(1)}` in the working directory" if lock_id else ""
    )
    return TerraformStateLocked(
        f"{message}: {described}",
        lock_id=lock_id.group(1) if lock_id else None,
        holder=holder,
        remedy=remedy,
        **fields,
    )


def classify_failure(result: CommandResult, *, subcommand: str) -> TerraformError:
    """The most specific :class:`TerraformError` for a command that exited non-zero."""
    errors = error_diagnostics(result)
    diagnostic_text = "\n".join(f"{d.summary}\n{d.detail}" for d in errors)
    # Terraform wraps human-readable errors at 80 columns; join them so patterns match across lines.
    text = diagnostic_text + "\n" + result.stderr
    flat = " ".join(text.split())
    tail = "\n".join((diagnostic_text + "\n" + result.stderr).strip().splitlines()[-_TAIL_LINES:])
    summary = str(errors[0]) if errors else _headline(result.stderr) or f"exit status {result.exit_status}"
    message = f"terraform {subcommand} failed: {_first_line(summary)}"
    fields: dict[str, Any] = {
        "command": result.command,
        "exit_status": result.exit_status,
        "stderr_tail": tail,
    }
    if _STATE_LOCKED.search(flat):
        return _lock_error(text, f"terraform {subcommand} failed", fields)
    if _PROVIDER_UNAVAILABLE.search(flat):
        return TerraformProviderUnavailable(message, **fields)
    if _NOT_AUTHORIZED.search(flat):
        return TerraformAuthError(
            message,
            remedy="grant the signed-in principal the role it lacks (Contributor and User Access Administrator "
            "on the resource group, Microsoft Sentinel Contributor on the workspace), then run again",
            **fields,
        )
    if _NOT_AUTHENTICATED.search(flat):
        return TerraformAuthError(message, **fields)
    if _CONFIG_INVALID.search(flat):
        return TerraformConfigInvalid(message, **fields)
    if _STALE_PLAN.search(flat):
        return TerraformError(message, remedy="the state changed since the plan was made: run the plan again", **fields)
    return TerraformError(message, **fields)
