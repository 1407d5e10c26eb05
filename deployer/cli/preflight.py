"""``miro-sentinel preflight``: what a first deploy needs from Azure, checked without changing anything."""

from __future__ import annotations

import click

from deployer import pipeline
from deployer.cli._common import State, env_options, load, output_option, pass_state
from deployer.cli._run import run_command

__all__ = ["preflight"]


@click.command()
@env_options
@output_option()
@pass_state
def preflight(state: State, env_name: str, overrides: tuple[str, ...], output: str) -> None:
    """Check that ENV can be deployed: resource providers registered, Sentinel enabled on the workspace,
    rights to grant the role, a region with data collection endpoints, a readable Terraform state. Reads only.

    Each missing prerequisite is one line with its remedy; exit 3 when one is missing.
    """
    settings = load(state, env_name, overrides)
    run_command(state, settings, output, pipeline.preflight)
