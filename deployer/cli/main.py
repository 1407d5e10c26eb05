"""Root command group and the single error handler that maps errors to messages and exit codes."""

from __future__ import annotations

import sys
import traceback
from pathlib import Path

import click

from deployer import __version__
from deployer.cli import check_token, config_cmd, dcr_cmd, deploy, destroy, emulator_cmd, health, plan, validate
from deployer.cli._common import State
from deployer.errors import EXIT_EXTERNAL, EXIT_USAGE, ConfigError, DeployerError

__all__ = ["cli", "main"]


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 110})
@click.version_option(__version__, prog_name="miro-sentinel")
@click.option("--debug", is_flag=True, help="Show tracebacks and debug logs (secrets stay redacted).")
@click.option(
    "--envs-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("envs"),
    show_default=True,
    help="Where envs/<name>.toml files live.",
)
@click.pass_context
def cli(ctx: click.Context, debug: bool, envs_dir: Path) -> None:
    """Deploy a Miro Audit Logs → Microsoft Sentinel pipeline, prove it works, and report its health.

    Exit codes: 0 healthy, 1 a check failed, 2 usage or settings error, 3 an external system failed.
    """
    ctx.obj = State(debug=debug, envs_dir=envs_dir)


for command in (
    deploy.deploy,
    plan.plan,
    destroy.destroy,
    check_token.check_token,
    validate.validate,
    health.health,
    dcr_cmd.dcr,
    config_cmd.config,
    emulator_cmd.emulator,
):
    cli.add_command(command)


def _print_error(error: DeployerError) -> None:
    lines = [str(p) for p in error.problems] if isinstance(error, ConfigError) else error.message.splitlines() or [""]
    for line in lines:
        click.echo(f"error: {line}", err=True)
    click.echo(f"hint: {error.remedy}", err=True)


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point: run the CLI and exit with the code the outcome maps to."""
    args = sys.argv[1:] if argv is None else argv
    debug = "--debug" in args
    try:
        # Without standalone mode, click returns (not raises) the code of an Exit raised by a command.
        code = cli.main(args=args, prog_name="miro-sentinel", standalone_mode=False)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.Abort:
        click.echo("error: aborted", err=True)
        sys.exit(EXIT_USAGE)
    except click.UsageError as exc:
        command = exc.ctx.command_path if exc.ctx else "miro-sentinel"
        click.echo(f"error: {exc.format_message()}", err=True)
        click.echo(f"hint: run '{command} --help'", err=True)
        sys.exit(EXIT_USAGE)
    except DeployerError as exc:
        if debug:
            traceback.print_exc()
        _print_error(exc)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        click.echo("error: interrupted", err=True)
        sys.exit(130)
    except Exception as exc:  # a bug: say so plainly rather than dump a traceback on an operator
        if debug:
            traceback.print_exc()
        click.echo(f"error: unexpected {type(exc).__name__}: {exc}", err=True)
        click.echo("hint: this is a bug in miro-sentinel; run again with --debug and report the traceback", err=True)
        sys.exit(EXIT_EXTERNAL)
    sys.exit(code if isinstance(code, int) else 0)
