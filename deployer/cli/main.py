"""Root command group and the single error handler that maps errors to messages and exit codes."""

from __future__ import annotations

import datetime as dt
import importlib
import json
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path

import click

from deployer import __version__
from deployer.cli._common import State, command_name
from deployer.cli.failures import Failure, classify
from deployer.logs import configure_logging
from deployer.redaction import redact

__all__ = ["cli", "main"]

#: Each command and the module (in ``deployer.cli``) that defines it under the same name.
_COMMANDS = {
    "deploy": ("deploy", "deploy"),
    "plan": ("plan", "plan"),
    "preflight": ("preflight", "preflight"),
    "destroy": ("destroy", "destroy"),
    "check-token": ("check_token", "check_token"),
    "validate": ("validate", "validate"),
    "health": ("health", "health"),
    "backfill": ("backfill", "backfill"),
    "events": ("events_cmd", "events"),
    "dcr": ("dcr_cmd", "dcr"),
    "config": ("config_cmd", "config"),
    "emulator": ("emulator_cmd", "emulator"),
    "init": ("init_cmd", "init"),
}


class _LazyGroup(click.Group):
    """Imports a command's module only when the command runs: ``dcr test`` need not load the Azure SDK."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(super().list_commands(ctx)) | set(_COMMANDS))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in _COMMANDS and cmd_name not in self.commands:
            module, attribute = _COMMANDS[cmd_name]
            self.add_command(getattr(importlib.import_module(f"deployer.cli.{module}"), attribute), cmd_name)
        return super().get_command(ctx, cmd_name)


@click.group(cls=_LazyGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 110})
@click.version_option(__version__, prog_name="miro-sentinel")
@click.option("--debug", is_flag=True, help="Show debug logs and, on error, the traceback (secrets stay masked).")
@click.option(
    "-v",
    "--verbose",
    "verbosity",
    count=True,
    help="More log lines on stderr: -v retries and decisions, -vv every request (as --debug), -vvv the SDKs' too.",
)
@click.option("--debug-sdk", is_flag=True, help="With --debug: the Azure SDK's and MSAL's own log lines too.")
@click.option(
    "--envs-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("envs"),
    show_default=True,
    help="Where envs/<name>.toml files live (relative to the current directory, the deployment repository).",
)
@click.pass_context
def cli(ctx: click.Context, debug: bool, verbosity: int, debug_sdk: bool, envs_dir: Path) -> None:
    """Deploy a Miro Audit Logs → Microsoft Sentinel pipeline, prove it works, and report its health.

    Exit codes: 0 healthy, 1 a check failed, 2 usage or settings error, 3 an external system failed.
    """
    state = ctx.ensure_object(State)
    state.debug = debug or debug_sdk
    state.envs_dir = envs_dir
    state.verbosity = max(verbosity, 2 if state.debug else 0)
    state.command = ctx.invoked_subcommand
    if ctx.invoked_subcommand != "emulator":  # the local cloud in the foreground logs on its own
        configure_logging(state.verbosity, sdk=debug_sdk or verbosity >= 3)


def _written(args: Sequence[str], option: str) -> str | None:
    """An option's value as written on the command line, before (or whether or not) click could parse it."""
    found = None
    for i, arg in enumerate(args):
        if arg == option and i + 1 < len(args):
            found = args[i + 1]
        elif arg.startswith(option + "="):
            found = arg.split("=", 1)[1]
    return found


def _report(state: State, failure: Failure, started: dt.datetime, *, command: str | None) -> None:
    for line in failure.lines:
        click.echo(f"error: {line}", err=True)
    click.echo(f"hint: {failure.remedy}", err=True)
    if state.output == "json" and not state.document_printed:
        # Imported here: the renderers load the whole pipeline, which `dcr test` does without.
        from deployer.cli.render import failure_json

        # stdout holds exactly one document, whatever happened: here, the error's.
        document = failure_json(failure, command=command, environment=state.env_name, started_at=started)
        click.echo(json.dumps(document, indent=2))
        state.document_printed = True


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point: run the CLI and exit with the code the outcome maps to."""
    args = sys.argv[1:] if argv is None else argv
    state = State(debug="--debug" in args or "--debug-sdk" in args, output=_written(args, "--output") or "text")
    state.env_name = _written(args, "--env")
    started = dt.datetime.now(dt.UTC)
    try:
        # Without standalone mode, click returns (not raises) the code of an Exit raised by a command.
        code = cli.main(args=args, prog_name="miro-sentinel", standalone_mode=False, obj=state)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except BaseException as exc:  # every failure, whatever its type, leaves through classify()
        if isinstance(exc, SystemExit):
            raise
        command = state.command
        if isinstance(exc, click.UsageError) and exc.ctx is not None:
            command = command_name(exc.ctx)
        if state.debug and not isinstance(exc, click.UsageError | click.Abort | KeyboardInterrupt):
            click.echo(redact("".join(traceback.format_exception(exc))).rstrip(), err=True)
        failure = classify(exc)
        _report(state, failure, started, command=command)
        sys.exit(failure.exit_code)
    sys.exit(code if isinstance(code, int) else 0)
