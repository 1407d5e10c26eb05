"""Running a pipeline command: open the environment, run, render, exit with the run's code."""

from __future__ import annotations

from collections.abc import Callable

import click

from deployer.cli._common import State
from deployer.cli.render import emit
from deployer.cli.ui import TerminalUi
from deployer.config import Settings
from deployer.environment import Environment
from deployer.pipeline import RunReport, Ui

__all__ = ["run_command"]


def run_command(state: State, settings: Settings, output: str, action: Callable[[Environment, Ui], RunReport]) -> None:
    """Run ``action``; print its report; re-raise its error for the one handler, or exit with its code."""
    ui = TerminalUi(state)
    env = Environment(settings, progress=ui.progress)
    try:
        report = action(env, ui)
    finally:
        ui.close()
        env.close()
    emit(report, output, state.out, steps_shown=state.steps_shown_live)
    state.document_printed = output == "json"
    if report.error is not None:
        raise report.error
    verdict = report.verdict()
    if verdict is not None:
        message, remedy = verdict
        click.echo(f"unhealthy: {message}", err=True)
        if remedy:
            click.echo(f"hint: {remedy}", err=True)
    if report.exit_code:
        raise click.exceptions.Exit(report.exit_code)
