"""``miro-sentinel plan``: what deploy would change, without changing anything."""

from __future__ import annotations

import click

from deployer import pipeline
from deployer.cli._common import State, env_options, load, output_option, pass_state
from deployer.cli._run import run_command

__all__ = ["plan"]


@click.command()
@env_options
@output_option()
@pass_state
def plan(state: State, env_name: str, overrides: tuple[str, ...], output: str) -> None:
    """Show what `deploy` would create or update in ENV, and which fields differ (drift). Reads only."""
    settings = load(state, env_name, overrides)
    run_command(state, settings, output, pipeline.plan)
