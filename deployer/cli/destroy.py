"""``miro-sentinel destroy``: remove everything deploy created."""

from __future__ import annotations

import click

from deployer import pipeline
from deployer.cli._common import State, env_options, load, output_option, pass_state
from deployer.cli._run import run_command

__all__ = ["destroy"]


@click.command()
@env_options
@click.option("--yes", is_flag=True, help="Delete without asking (required when there is no terminal).")
@output_option()
@pass_state
def destroy(state: State, env_name: str, overrides: tuple[str, ...], yes: bool, output: str) -> None:
    """Delete the connector, connector definition, role assignment, DCR, DCE and table (with its data) of ENV.

    In a terminal you must type the environment's name to confirm; without one, --yes is required.
    """
    settings = load(state, env_name, overrides)
    run_command(state, settings, output, lambda env, ui: pipeline.destroy(env, ui, yes=yes))
