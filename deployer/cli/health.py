"""``miro-sentinel health``: the health report of a deployed pipeline."""

from __future__ import annotations

import click

from deployer import pipeline
from deployer.cli._common import State, env_options, load, output_option, pass_state
from deployer.cli._run import run_command

__all__ = ["health"]


@click.command()
@env_options
@output_option()
@pass_state
def health(state: State, env_name: str, overrides: tuple[str, ...], output: str) -> None:
    """Check every part of ENV's pipeline: token, table, DCE, DCR, role, connector, freshness, fetches, metrics.

    Each check is OK, WARN, FAIL or SKIPPED, with a remedy. Exit 0 healthy (warnings allowed), 1 a check
    failed, 3 a system could not be reached to decide. `--output markdown` suits $GITHUB_STEP_SUMMARY.
    """
    settings = load(state, env_name, overrides)
    run_command(
        state,
        settings,
        output,
        lambda env, ui: pipeline.health(
            env, ui, with_token=settings.miro_token is not None or settings.miro.token_source == "keyvault"
        ),
    )
