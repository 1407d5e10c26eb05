"""``miro-sentinel check-token``: is the Miro token fit for the connector?"""

from __future__ import annotations

import click

from deployer import pipeline
from deployer.cli._common import State, env_options, load, output_option, pass_state
from deployer.cli._run import run_command

__all__ = ["check_token"]


@click.command("check-token")
@env_options
@output_option("text", "json")
@pass_state
def check_token(state: State, env_name: str, overrides: tuple[str, ...], output: str) -> None:
    """Check the token in MIRO_ACCESS_TOKEN (or stdin) against Miro; nothing in Azure is touched.

    Exit 0 when the token can read the audit log; 3 with the precise reason otherwise: wrong or revoked
    token, missing auditlogs:read, organisation not on Enterprise or token not from a Company Admin,
    rate limited, or Miro unreachable.
    """
    settings = load(state, env_name, overrides, need_token=True)
    run_command(state, settings, output, pipeline.check_token_only)
