"""``miro-sentinel deploy``: the whole job, from token check to health report."""

from __future__ import annotations

import click

from deployer import pipeline
from deployer.cli._common import State, env_options, load, output_option, pass_state
from deployer.cli._run import run_command

__all__ = ["deploy"]


@click.command()
@env_options
@click.option(
    "--yes", is_flag=True, help="Apply without asking (needed when there is no terminal and something changes)."
)
@output_option()
@pass_state
def deploy(state: State, env_name: str, overrides: tuple[str, ...], yes: bool, output: str) -> None:
    """Deploy the pipeline into ENV and prove it works.

    Steps: check the Miro token (nothing in Azure is touched if it fails), plan, confirm (Azure
    environments, in a terminal, unless --yes), apply, send a validation record and wait until it is
    visible, then print the health report. Exit 0 healthy, 1 unhealthy, 2 usage or settings, 3 external failure.
    """
    settings = load(state, env_name, overrides, need_token=True)
    run_command(state, settings, output, lambda env, ui: pipeline.deploy(env, ui, yes=yes))
