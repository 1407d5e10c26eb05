"""Every error the deployer raises, in one tree.

Each error knows the process exit code it maps to and carries a remedy: one line telling the
operator what to do next. The CLI prints ``error: <message>`` and ``hint: <remedy>`` and exits
with ``exit_code``; nothing else decides exit codes.

Exit codes: 0 healthy, 1 a check failed (or, for backfill, events were rejected), 2 usage or settings error,
3 an external system failed before a verdict could be reached, 130 stopped on request (Ctrl-C).

Hierarchy::

    DeployerError                         exit 3 unless a branch says otherwise
    ├── UsageError                        exit 2: the operator can fix the input and retry
    │   ├── ConfigError                   settings file, environment variable or flag (one line per problem)
    │   ├── InputError                    an unreadable or malformed input file
    │   │   └── KqlSyntaxError            a transform that does not parse (line, column)
    │   └── ConfirmationRefused           a destructive or production change was not confirmed
    ├── CheckFailed                       exit 1: the verdict is "unhealthy" (transform check, health report)
    ├── InternalError                     exit 3: an exception none of the branches expected
    └── ExternalError                     exit 3: a system we depend on failed
        ├── MiroError                     status, code, request id
        │   ├── MiroTokenInvalid          401: wrong, revoked or expired token
        │   ├── MiroAccessDenied          403: missing auditlogs:read, not Enterprise, not Company Admin
        │   ├── MiroRateLimited           429 after the retry budget
        │   └── MiroUnavailable           5xx, timeout, connection failure, malformed answer
        ├── AzureError                    status, code, request id
        │   ├── AzureUnavailable          unreachable, dropped connections, 5xx, after the retry budget
        │   ├── AzureAuthError            no credential, or a token was refused
        │   ├── ResourceNotFound          404 from ARM (get_* raise it; the engines create what is missing)
        │   ├── AzureRequestRejected      ARM refused a body (InvalidPayload and its details[])
        │   ├── IngestionForbidden        403: the principal lacks Monitoring Metrics Publisher on the DCR
        │   ├── IngestionThrottled        429 after the retry budget
        │   └── IngestionRejected         400/413: Azure refused a body (backfill splits it to find the events)
        ├── PreflightFailed               a prerequisite of the deployment is missing (one line each, with its remedy)
        ├── TerraformError                the command, its exit code and the last lines of stderr
        │   ├── TerraformNotFound
        │   ├── TerraformVersionTooOld
        │   ├── TerraformStateLocked      lock id and holder
        │   ├── TerraformAuthError
        │   ├── TerraformProviderUnavailable
        │   └── TerraformConfigInvalid
        ├── EnvironmentLocked             another run holds the environment's lock (who, since when)
        ├── HostError                     this machine refused: a file cannot be written, the disk is full
        └── LocalEnvironmentError         the local cloud could not be started or reached

Every message and remedy passes the redactor (``deployer.redaction``) when the error is made, so no
exception text can carry a secret; :func:`from_exception` turns any other exception into one of these.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from deployer.redaction import redact

__all__ = [
    "EXIT_EXTERNAL",
    "EXIT_INTERRUPTED",
    "EXIT_OK",
    "EXIT_UNHEALTHY",
    "EXIT_USAGE",
    "AzureAuthError",
    "AzureError",
    "AzureRequestRejected",
    "AzureUnavailable",
    "CheckFailed",
    "ConfigError",
    "ConfigProblem",
    "ConfirmationRefused",
    "DeployerError",
    "EnvironmentLocked",
    "ExternalError",
    "HostError",
    "IngestionForbidden",
    "IngestionRejected",
    "IngestionThrottled",
    "InputError",
    "InternalError",
    "KqlSyntaxError",
    "LocalEnvironmentError",
    "MiroAccessDenied",
    "MiroError",
    "MiroRateLimited",
    "MiroTokenInvalid",
    "MiroUnavailable",
    "PreflightFailed",
    "ResourceNotFound",
    "TerraformAuthError",
    "TerraformConfigInvalid",
    "TerraformError",
    "TerraformNotFound",
    "TerraformProviderUnavailable",
    "TerraformStateLocked",
    "TerraformVersionTooOld",
    "UsageError",
    "from_exception",
]

EXIT_OK = 0
EXIT_UNHEALTHY = 1
EXIT_USAGE = 2
EXIT_EXTERNAL = 3
#: Stopped on request (Ctrl-C, SIGTERM), as shells report a process ended by SIGINT.
EXIT_INTERRUPTED = 130


class DeployerError(Exception):
    """Root of every error the deployer raises on purpose.

    :param message: what went wrong, in one line, without secrets.
    :param remedy: what the operator should do next, in one line.
    """

    exit_code: int = EXIT_EXTERNAL
    default_remedy: str = "run again with --debug for the full traceback"

    def __init__(self, message: str, *, remedy: str | None = None) -> None:
        message = redact(message)
        super().__init__(message)
        self.message = message
        self.remedy = redact(remedy or self.default_remedy)

    def with_message(self, message: str) -> None:
        """Replace the message (redacted, as at creation)."""
        self.message = redact(message)
        self.args = (self.message,)


# --- usage (exit 2) -------------------------------------------------------------------------------------


class UsageError(DeployerError):
    """The input is wrong; fixing it and running again will help."""

    exit_code = EXIT_USAGE
    default_remedy = "fix the input named above and run the command again"


@dataclass(frozen=True)
class ConfigProblem:
    """One problem in the settings: where it came from, which field, and what is wrong."""

    source: str
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.source}: {self.field}: {self.message}"


class ConfigError(UsageError):
    """One or more settings are invalid; each problem is reported on its own line."""

    default_remedy = "fix the settings named above (see envs/example.toml for every key, with comments)"

    def __init__(self, problems: Sequence[ConfigProblem], *, remedy: str | None = None) -> None:
        self.problems = tuple(problems)
        super().__init__("\n".join(str(p) for p in self.problems), remedy=remedy)


class InputError(UsageError):
    """An input file is missing, unreadable or malformed."""

    def __init__(self, message: str, *, path: str | None = None, remedy: str | None = None) -> None:
        super().__init__(message, remedy=remedy)
        self.path = path


class KqlSyntaxError(InputError):
    """A KQL text does not parse; ``line`` is 1-based and ``column`` is 1-based."""

    default_remedy = "fix the KQL at the line and column shown"

    def __init__(
        self, message: str, *, line: int, column: int, path: str | None = None, remedy: str | None = None
    ) -> None:
        where = f"{path}:" if path else ""
        super().__init__(f"{where}{line}:{column}: {message}", path=path, remedy=remedy)
        self.line = line
        self.column = column


class ConfirmationRefused(UsageError):
    """A change that needs confirmation was not confirmed (no terminal and no --yes, or a wrong answer)."""

    default_remedy = "run in a terminal to confirm, or pass --yes when the change is intended"


# --- verdict (exit 1) -----------------------------------------------------------------------------------


class CheckFailed(DeployerError):
    """The command ran to a verdict, and the verdict is unhealthy; ``failures`` lists each one."""

    exit_code = EXIT_UNHEALTHY
    default_remedy = "see each failure above; TROUBLESHOOTING.md has a section per check"

    def __init__(self, message: str, *, failures: Sequence[str] = (), remedy: str | None = None) -> None:
        super().__init__(message, remedy=remedy)
        self.failures = tuple(failures)


class InternalError(DeployerError):
    """An exception that none of the deployer's own branches expected; ``kind`` is its type's name."""

    default_remedy = (
        "run again with --debug to see where it happened; if it persists, report it with that output "
        "(secrets are masked)"
    )

    def __init__(self, message: str, *, kind: str = "", remedy: str | None = None) -> None:
        super().__init__(message, remedy=remedy)
        self.kind = kind


# --- external systems (exit 3) --------------------------------------------------------------------------


class ExternalError(DeployerError):
    """A system we depend on failed before a verdict could be reached."""

    exit_code = EXIT_EXTERNAL


class _ServiceError(ExternalError):
    """An answer from a service: its HTTP status, its own error code, the request id to quote and, when the
    service said how long to wait before trying again, ``retry_after`` in seconds."""

    def __init__(
        self,
        message: str,
        *,
        status_code: int | None = None,
        error_code: str | None = None,
        request_id: str | None = None,
        retry_after: float | None = None,
        remedy: str | None = None,
    ) -> None:
        super().__init__(message, remedy=remedy)
        self.status_code = status_code
        self.error_code = error_code
        self.request_id = request_id
        self.retry_after = retry_after


class MiroError(_ServiceError):
    """Miro answered with an error, or could not be reached."""

    default_remedy = "check https://status.miro.com and the token, then run `miro-sentinel check-token`"


class MiroTokenInvalid(MiroError):
    """401: the token is wrong, revoked (SIEM toggle turned off, app uninstalled) or expired."""

    default_remedy = (
        "create a new token (Miro Company Settings > Enterprise integrations > SIEM, or a non-expiring "
        "OAuth app with auditlogs:read) and put it in MIRO_ACCESS_TOKEN"
    )


class MiroAccessDenied(MiroError):
    """403: the token lacks auditlogs:read, the organisation is not on Enterprise, or not a Company Admin."""

    default_remedy = (
        "use a token with the auditlogs:read scope, issued by a Company Admin of an Enterprise-plan organisation"
    )


class MiroRateLimited(MiroError):
    """429: Miro's credit budget was spent and did not recover within our retry budget."""

    default_remedy = "wait a minute and run again; another integration may be using the same token's budget"

    def __init__(
        self,
        message: str,
        *,
        wait_seconds: float | None = None,
        status_code: int | None = None,
        error_code: str | None = None,
        request_id: str | None = None,
        remedy: str | None = None,
    ) -> None:
        super().__init__(message, status_code=status_code, error_code=error_code, request_id=request_id, remedy=remedy)
        #: How long Miro said (or the budget's reset implies) to wait; None when unknown.
        self.wait_seconds = wait_seconds


class MiroUnavailable(MiroError):
    """5xx, timeout, connection failure or a malformed answer from Miro."""


class AzureError(_ServiceError):
    """Azure answered with an error, or could not be reached."""

    default_remedy = "check the Azure settings of this environment and https://status.azure.com"


class AzureUnavailable(AzureError):
    """Azure could not be reached, dropped the connection, or failed with 5xx, beyond the retry budget."""

    default_remedy = (
        "check this machine's connection to Azure and https://status.azure.com, then run again "
        "(a deploy resumes where it stopped); raise azure.retry_budget_seconds to wait longer"
    )


class AzureAuthError(AzureError):
    """No usable Azure credential, or Azure refused the token."""

    default_remedy = "sign in (az login, or OIDC in GitHub Actions) as a principal with rights on the resource group"


class ResourceNotFound(AzureError):
    """404 from ARM: the resource does not exist (yet)."""

    default_remedy = "run `miro-sentinel deploy` to create it"


class AzureRequestRejected(AzureError):
    """ARM refused a request body; ``details`` holds Azure's ``error.details[]`` messages in full."""

    def __init__(
        self,
        message: str,
        *,
        details: Sequence[str] = (),
        status_code: int | None = None,
        error_code: str | None = None,
        request_id: str | None = None,
        remedy: str | None = None,
    ) -> None:
        full = message if not details else message + "\n" + "\n".join(f"  - {d}" for d in details)
        super().__init__(full, status_code=status_code, error_code=error_code, request_id=request_id, remedy=remedy)
        self.details = tuple(details)


class IngestionForbidden(AzureError):
    """403 from the Logs Ingestion API after the propagation budget: the role is missing on the DCR."""

    default_remedy = (
        "grant Monitoring Metrics Publisher on the DCR to the principal that sends the validation record "
        "(deploy does this), or wait up to 30 minutes for a new assignment to propagate"
    )


class IngestionThrottled(AzureError):
    """429 from the Logs Ingestion API after the retry budget."""

    default_remedy = "wait a minute and retry; the DCR allows 12,000 requests and 2 GB a minute"


class IngestionRejected(AzureError):
    """400 or 413 from the Logs Ingestion API: Azure refused the body itself (too large, or not what the stream takes)."""

    default_remedy = "check the events against the DCR stream with `miro-sentinel dcr test --events FILE`"


class TerraformError(ExternalError):
    """A Terraform command failed; ``command`` has no secrets, ``stderr_tail`` its last lines."""

    default_remedy = "read the Terraform output above; run with --debug for the whole of it"

    def __init__(
        self,
        message: str,
        *,
        command: Sequence[str] = (),
        exit_status: int | None = None,
        stderr_tail: str = "",
        remedy: str | None = None,
    ) -> None:
        super().__init__(message, remedy=remedy)
        self.command = tuple(command)
        self.exit_status = exit_status
        self.stderr_tail = stderr_tail


class TerraformNotFound(TerraformError):
    """No terraform binary on PATH (or at terraform.binary)."""

    default_remedy = (
        "install Terraform >= 1.11 (https://developer.hashicorp.com/terraform/install) or run "
        'scripts/install-terraform; or set engine.kind = "arm"'
    )


class TerraformVersionTooOld(TerraformError):
    """The terraform binary is older than the minimum we need (write-only arguments)."""

    default_remedy = "install Terraform >= 1.11; write-only arguments keep the Miro token out of plan and state"


class TerraformStateLocked(TerraformError):
    """Another run holds the state lock."""

    default_remedy = (
        "wait for the other run to finish; if it died, run `terraform force-unlock <lock id>` in terraform/"
    )

    def __init__(
        self,
        message: str,
        *,
        lock_id: str | None = None,
        holder: str | None = None,
        command: Sequence[str] = (),
        exit_status: int | None = None,
        stderr_tail: str = "",
        remedy: str | None = None,
    ) -> None:
        super().__init__(message, command=command, exit_status=exit_status, stderr_tail=stderr_tail, remedy=remedy)
        self.lock_id = lock_id
        self.holder = holder


class TerraformAuthError(TerraformError):
    """Terraform (provider or backend) could not authenticate to Azure."""

    default_remedy = "sign in (az login, or ARM_USE_OIDC=true with ARM_CLIENT_ID/ARM_TENANT_ID in CI)"


class TerraformProviderUnavailable(TerraformError):
    """`terraform init` could not download the providers (offline, or the registry is blocked)."""

    default_remedy = (
        "allow access to registry.terraform.io, or configure a provider mirror (provider_installation in "
        '~/.terraformrc); or set engine.kind = "arm"'
    )


class TerraformConfigInvalid(TerraformError):
    """The configuration or a variable value is invalid."""

    default_remedy = "fix the variable or configuration named above"


class EnvironmentLocked(ExternalError):
    """Another run holds this environment's lock (deploy, destroy and backfill take it)."""

    default_remedy = (
        "wait for that run to finish, or set lock.wait_seconds (MIRO_SENTINEL_LOCK_WAIT_SECONDS) to wait for it"
    )

    def __init__(self, message: str, *, holder: str = "", remedy: str | None = None) -> None:
        super().__init__(message, remedy=remedy)
        self.holder = holder


class HostError(ExternalError):
    """This machine refused an operation: a file or directory cannot be read or written, the disk is full."""

    default_remedy = "check the permissions and free space of the path named above, then run again"


class PreflightFailed(ExternalError):
    """A prerequisite Azure must offer before anything is written is missing; ``failures`` holds one line each."""

    def __init__(self, failures: Sequence[str], *, remedy: str | None = None) -> None:
        self.failures = tuple(failures)
        super().__init__("\n".join(self.failures), remedy=remedy)


class LocalEnvironmentError(ExternalError):
    """The local cloud (emulator) could not be started or reached."""

    default_remedy = "run `miro-sentinel emulator serve` to see why it does not start, or delete .miro-sentinel/local"


def from_exception(exc: BaseException) -> DeployerError:
    """``exc`` as an error of this tree: itself if it is one, otherwise the closest branch.

    Clients translate their libraries' exceptions themselves; this handles what is left, whatever it is
    (a full disk, a file without permission, memory, input nested too deeply, anything else), so that
    no exception reaches the operator untyped. The text is redacted like every other message.
    """
    if isinstance(exc, DeployerError):
        return exc
    kind = type(exc).__name__
    said = _first_line(exc)
    if isinstance(exc, OSError):
        where = f" ({exc.filename})" if getattr(exc, "filename", None) else ""
        reason = exc.strerror or said or kind
        return HostError(f"this machine refused an operation{where}: {reason}")
    if isinstance(exc, MemoryError):
        return HostError("this machine ran out of memory", remedy="free memory or use a smaller input, then run again")
    if isinstance(exc, RecursionError):
        return InternalError(
            "an input is nested too deeply to process",
            kind=kind,
            remedy="reduce the nesting of the input (JSON or KQL); see --debug for which step met it",
        )
    return InternalError(f"unexpected {kind}{': ' + said if said else ''}", kind=kind)


def _first_line(exc: BaseException) -> str:
    try:
        text = str(exc)
    except Exception:  # an exception whose __str__ fails still gets a line
        return ""
    lines = text.strip().splitlines()
    return lines[0][:500] if lines else ""
