"""``miro-sentinel validate``: send a validation record and prove it arrives."""

from __future__ import annotations

import click

from deployer import pipeline
from deployer.cli._common import State, env_options, load, output_option, pass_state
from deployer.cli._run import run_command

__all__ = ["validate"]


@click.command()
@env_options
@output_option()
@pass_state
def validate(state: State, env_name: str, overrides: tuple[str, ...], output: str) -> None:
    """Send one marked synthetic record through the Logs Ingestion API and wait until it is queryable.

    Retries 403 while a role assignment propagates (bounded by validation.role_propagation_timeout_seconds).
    Exit 0 when it arrived, 1 when it was refused or never became visible, 3 when Azure failed.
    """
    settings = load(state, env_name, overrides)
    run_command(state, settings, output, pipeline.validate)
