"""A thin, automation-safe wrapper around the ``terraform`` CLI: JSON in, JSON out, typed errors.

Rules it keeps, whatever the caller does:

- inputs go through a generated, multi-line ``*.auto.tfvars.json`` (0600, removed afterwards), never
  ``-var``; secrets go only into the child's environment as ``TF_VAR_<name>``;
- every command runs with ``-input=false -no-color`` and ``TF_IN_AUTOMATION=1``, with a timeout;
- saved plans live in a private temporary directory and are deleted once applied or discarded;
- output is streamed line by line to ``on_output``, with secret values replaced by ``***``.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
import weakref
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

from deployer.errors import (
    TerraformConfigInvalid,
    TerraformError,
    TerraformNotFound,
    TerraformVersionTooOld,
)
from deployer.redaction import redact, register_secrets
from deployer.terraform._environment import child_environment
from deployer.terraform._process import CommandResult, CommandTimedOut, run_command
from deployer.terraform.classify import classify_failure, parse_diagnostics
from deployer.terraform.results import OutputValue, PlanResult, parse_outputs, parse_plan

__all__ = ["MIN_TERRAFORM_VERSION", "VAR_FILE_NAME", "TerraformRunner", "TerraformVersion", "Timeouts"]

#: Write-only arguments (the token in ``sensitive_body``) need Terraform 1.11.
MIN_TERRAFORM_VERSION = (1, 11, 0)

#: Name of the generated variables file in the working directory (Terraform loads ``*.auto.tfvars.json``).
VAR_FILE_NAME = "miro-sentinel.auto.tfvars.json"

_VERSION = re.compile(r"^(\d+)\.(\d+)\.(\d+)")

OutputCallback = Callable[[str], None]


@dataclass(frozen=True)
class Timeouts:
    """Seconds each kind of command may run before it is interrupted (then killed)."""

    version: float = 30
    init: float = 600
    plan: float = 1800
    show: float = 300
    apply: float = 3600
    output: float = 300
    #: After an interrupt, how long Terraform gets to release the lock and save state.
    interrupt_grace: float = 15


@dataclass(frozen=True)
class TerraformVersion:
    """``terraform version -json``: the version and where the binary is."""

    text: str
    parts: tuple[int, int, int]
    binary: str


def _version_text(version: tuple[int, ...]) -> str:
    return ".".join(str(p) for p in version)


class TerraformRunner:
    """Runs terraform in ``working_dir``.

    :param working_dir: the root configuration (its ``*.auto.tfvars.json`` are loaded from here).
    :param binary: name or path of the terraform executable.
    :param data_dir: ``TF_DATA_DIR`` (providers, modules, backend settings); default ``<working_dir>/.terraform``.
    :param env: environment the child starts from (default: this process's environment, for credentials
        such as ``ARM_*``); inherited ``TF_VAR_*`` and ``TF_CLI_ARGS*`` are removed.
    :param on_output: receives every line of progress and error output, secrets redacted.
    :param lock_timeout: seconds to wait for a state lock before failing.
    :param strict_variables: treat "Value for undeclared variable" as an error (a misspelt input).
    """

    def __init__(
        self,
        working_dir: Path,
        *,
        binary: str = "terraform",
        data_dir: Path | None = None,
        env: Mapping[str, str],
        on_output: OutputCallback | None = None,
        timeouts: Timeouts | None = None,
        lock_timeout: int = 0,
        strict_variables: bool = True,
    ) -> None:
        self.working_dir = Path(working_dir)
        self.binary = binary
        self.data_dir = data_dir
        # The environment Terraform runs in (from the settings, the only reader of the process
        # environment): credentials (ARM_*, AZURE_*, the OIDC request variables) reach Terraform that way.
        self._base_env = dict(env)
        self._on_output = on_output
        self.timeouts = timeouts or Timeouts()
        self.lock_timeout = lock_timeout
        self.strict_variables = strict_variables
        self._version: TerraformVersion | None = None
        self._plan_dir: Path | None = None

    # --- lifecycle ------------------------------------------------------------------------------------

    def __enter__(self) -> TerraformRunner:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        """Delete every saved plan this runner made (and its private directory)."""
        if self._plan_dir is not None:
            shutil.rmtree(self._plan_dir, ignore_errors=True)
            self._plan_dir = None

    # --- commands -------------------------------------------------------------------------------------

    def version(self) -> TerraformVersion:
        """The binary's version, checked once against :data:`MIN_TERRAFORM_VERSION`.

        :raises TerraformNotFound: no such executable.
        :raises TerraformVersionTooOld: older than the minimum.
        """
        if self._version is not None:
            return self._version
        env = child_environment(self._base_env, secrets={})
        resolved = shutil.which(self.binary, path=env.get("PATH"))
        if resolved is None:
            raise TerraformNotFound(f"terraform binary {self.binary!r} not found", command=(self.binary, "version"))
        result = self._run(["version", "-json"], timeout=self.timeouts.version, secrets={}, stream=False)
        try:
            text = str(json.loads(result.stdout)["terraform_version"])
        except (ValueError, KeyError, TypeError) as exc:
            raise TerraformError(
                f"{resolved} did not answer `terraform version -json` with a version",
                command=result.command,
                exit_status=result.exit_status,
                stderr_tail=result.stderr[-2000:],
            ) from exc
        match = _VERSION.match(text)
        if match is None:
            raise TerraformError(f"cannot read the Terraform version {text!r}", command=result.command)
        parts = (int(match.group(1)), int(match.group(2)), int(match.group(3)))
        if parts < MIN_TERRAFORM_VERSION:
            raise TerraformVersionTooOld(
                f"Terraform {text} at {resolved} is older than {_version_text(MIN_TERRAFORM_VERSION)}",
                command=result.command,
            )
        self._version = TerraformVersion(text=text, parts=parts, binary=resolved)
        return self._version

    def init(self, *, backend_config: Path | None = None, upgrade: bool = False) -> None:
        """``terraform init``; ``backend_config`` is a partial backend configuration file (no secrets).

        :raises TerraformProviderUnavailable: providers could not be downloaded.
        :raises TerraformAuthError: the backend could not authenticate.
        """
        args = ["init", "-input=false", "-no-color", "-json", f"-lock-timeout={self.lock_timeout}s"]
        if backend_config is not None:
            args.append(f"-backend-config={backend_config}")
        if upgrade:
            args.append("-upgrade")
        self._checked(args, timeout=self.timeouts.init, secrets={})

    def plan(
        self,
        variables: Mapping[str, Any],
        *,
        secrets: Mapping[str, str] | None = None,
        destroy: bool = False,
        lock: bool = True,
    ) -> PlanResult:
        """``plan -out`` then ``show -json``: what would change. Keep the result to :meth:`apply` it.

        :param variables: non-secret inputs, written to the generated variables file.
        :param secrets: secret inputs by variable name, passed only as ``TF_VAR_<name>``.
        :param lock: take the state lock. A plan writes no state, and applying a saved plan checks that the
            state has not changed since; without the lock, reading the state is enough (the azurerm
            backend's lock is a blob lease, which needs write access).
        :raises TerraformConfigInvalid: a bad variable value, an undeclared variable, invalid configuration.
        :raises TerraformStateLocked: another run holds the state lock.
        """
        secrets = dict(secrets or {})
        plan_file = self._new_plan_path()
        args = [
            "plan",
            "-input=false",
            "-no-color",
            "-json",
            "-detailed-exitcode",
            f"-lock-timeout={self.lock_timeout}s" if lock else "-lock=false",
            f"-out={plan_file}",
        ]
        if destroy:
            args.append("-destroy")
        try:
            with self._var_file(variables):
                result = self._run(args, timeout=self.timeouts.plan, secrets=secrets)
            if result.exit_status not in (0, 2):
                raise classify_failure(result, subcommand="plan")
            self._refuse_undeclared_variables(result)
            shown = self._checked(
                ["show", "-json", "-no-color", str(plan_file)],
                timeout=self.timeouts.show,
                secrets=secrets,
                stream=False,
            )
            document = json.loads(shown.stdout)
        except BaseException:
            plan_file.unlink(missing_ok=True)
            raise
        return parse_plan(document, plan_file=plan_file, destroy=destroy)

    def apply(self, plan: PlanResult, *, secrets: Mapping[str, str] | None = None) -> None:
        """Apply a saved plan (nothing else), then delete it, whether the apply worked or not.

        Ephemeral variables set at plan time must be given again: pass the same ``secrets``.
        """
        if plan.plan_file is None or not plan.plan_file.exists():
            raise TerraformError(
                "this plan has no saved plan file (already applied or discarded)",
                remedy="make a new plan and apply that",
            )
        try:
            args = ["apply", "-input=false", "-no-color", "-json", f"-lock-timeout={self.lock_timeout}s"]
            self._checked([*args, str(plan.plan_file)], timeout=self.timeouts.apply, secrets=dict(secrets or {}))
        finally:
            self.discard(plan)

    def destroy(self, variables: Mapping[str, Any], *, secrets: Mapping[str, str] | None = None) -> PlanResult:
        """Plan the destruction of everything in state and apply it; returns what was destroyed."""
        plan = self.plan(variables, secrets=secrets, destroy=True)
        if plan.applyable:
            self.apply(plan, secrets=secrets)
        else:
            self.discard(plan)
        return plan

    def output(self) -> dict[str, OutputValue]:
        """Every root output from state (``output -json``); sensitive ones included, marked as such."""
        result = self._checked(["output", "-json", "-no-color"], timeout=self.timeouts.output, secrets={}, stream=False)
        try:
            document = json.loads(result.stdout or "{}")
        except json.JSONDecodeError as exc:
            raise TerraformError("terraform output -json did not print JSON", command=result.command) from exc
        return parse_outputs(document)

    def managed_addresses(self) -> frozenset[str]:
        """Addresses of the managed resources in state (``show -json``); empty before the first apply."""
        result = self._checked(["show", "-json", "-no-color"], timeout=self.timeouts.output, secrets={}, stream=False)
        try:
            document = json.loads(result.stdout or "{}")
        except json.JSONDecodeError as exc:
            raise TerraformError("terraform show -json did not print JSON", command=result.command) from exc
        return frozenset(_managed(document.get("values", {}).get("root_module", {})))

    @staticmethod
    def discard(plan: PlanResult) -> None:
        """Delete a saved plan without applying it."""
        if plan.plan_file is not None:
            plan.plan_file.unlink(missing_ok=True)

    # --- plumbing -------------------------------------------------------------------------------------

    def _new_plan_path(self) -> Path:
        if self._plan_dir is None or not self._plan_dir.is_dir():
            # mkdtemp creates the directory 0700: only this user can read the plans in it. Should the
            # caller never close() the runner, the directory still goes when the runner is collected
            # or the interpreter exits.
            self._plan_dir = Path(tempfile.mkdtemp(prefix="miro-sentinel-tfplan-"))
            weakref.finalize(self, shutil.rmtree, self._plan_dir, True)
        handle, name = tempfile.mkstemp(suffix=".tfplan", dir=self._plan_dir)
        os.close(handle)
        return Path(name)

    @contextmanager
    def _var_file(self, variables: Mapping[str, Any]) -> Iterator[Path]:
        """The generated variables file: multi-line JSON (Terraform echoes the offending line on errors), 0600."""
        path = self.working_dir / VAR_FILE_NAME
        text = json.dumps(dict(variables), indent=2, sort_keys=True) + "\n"
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            os.fchmod(descriptor, 0o600)
            os.write(descriptor, text.encode("utf-8"))
        finally:
            os.close(descriptor)
        try:
            yield path
        finally:
            path.unlink(missing_ok=True)

    def _refuse_undeclared_variables(self, result: CommandResult) -> None:
        if not self.strict_variables:
            return
        undeclared = [
            d for d in parse_diagnostics(result.stdout.splitlines()) if d.summary == "Value for undeclared variable"
        ]
        if undeclared:
            raise TerraformConfigInvalid(
                f"terraform plan was given a variable the configuration does not declare: {undeclared[0].detail}",
                command=result.command,
                exit_status=result.exit_status,
                remedy="remove or rename the variable so that it matches a variable block",
            )

    def _checked(
        self, args: list[str], *, timeout: float, secrets: Mapping[str, str], stream: bool = True
    ) -> CommandResult:
        result = self._run(args, timeout=timeout, secrets=secrets, stream=stream)
        if result.exit_status != 0:
            raise classify_failure(result, subcommand=args[0])
        return result

    def _run(
        self, args: list[str], *, timeout: float, secrets: Mapping[str, str], stream: bool = True
    ) -> CommandResult:
        if args[0] != "version":
            self.version()
        register_secrets(secrets.values())  # the one redactor masks them in every line and error from here on
        env = child_environment(self._base_env, secrets=secrets, data_dir=self.data_dir)
        argv = [self.binary, *args]

        def forward(line: str, _stream: str) -> None:
            if self._on_output is not None and stream:
                for text in _progress_lines(line):
                    self._on_output(redact(text))

        try:
            result = run_command(
                argv,
                cwd=self.working_dir,
                env=env,
                timeout=timeout,
                on_line=forward,
                interrupt_grace=self.timeouts.interrupt_grace,
            )
        except FileNotFoundError as exc:
            raise TerraformNotFound(f"terraform binary {self.binary!r} not found", command=tuple(argv)) from exc
        except CommandTimedOut as exc:
            raise TerraformError(
                f"terraform {args[0]} timed out after {exc.timeout:g} s and was interrupted",
                command=exc.command,
                stderr_tail=redact(exc.stderr)[-2000:],
                remedy="run again; if the state lock is still held, run `terraform force-unlock <lock id>`",
            ) from None
        return CommandResult(
            command=result.command,
            exit_status=result.exit_status,
            stdout=redact(result.stdout),
            stderr=redact(result.stderr),
        )


def _managed(module: Mapping[str, Any]) -> list[str]:
    found = [str(r["address"]) for r in module.get("resources") or [] if r.get("mode") == "managed"]
    for child in module.get("child_modules") or []:
        found += _managed(child)
    return found


def _progress_lines(line: str) -> list[str]:
    """Human text for one output line: a ``-json`` UI message becomes its ``@message`` (and detail)."""
    if not line.startswith("{"):
        return [line]
    try:
        message = json.loads(line)
    except json.JSONDecodeError:
        return [line]
    if not isinstance(message, dict) or "@message" not in message:
        return [line]
    texts = str(message["@message"]).splitlines() or [""]
    diagnostic = message.get("diagnostic")
    if message.get("type") == "diagnostic" and isinstance(diagnostic, dict) and diagnostic.get("detail"):
        texts.extend(f"  {d}" for d in str(diagnostic["detail"]).splitlines())
    return texts
