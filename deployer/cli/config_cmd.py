"""``miro-sentinel config check``: validate an environment's settings and show where each value came from."""

from __future__ import annotations

import json

import click
from rich.table import Table

from deployer.cli._common import State, env_options, load, output_option, pass_state
from deployer.config import describe

__all__ = ["config"]


@click.group()
def config() -> None:
    """Inspect settings."""


@config.command("check")
@env_options
@output_option("text", "json")
@pass_state
def check(state: State, env_name: str, overrides: tuple[str, ...], output: str) -> None:
    """Validate envs/NAME.toml with environment variables and flags; print the resolved settings.

    Secrets are shown as ********. Exit 0 when valid, 2 with one line per problem otherwise.
    """
    settings = load(state, env_name, overrides)
    rows = describe(settings)
    if output == "json":
        click.echo(json.dumps({key: {"value": value, "source": source} for key, value, source in rows}, indent=2))
        state.document_printed = True
        return
    table = Table(title=f"settings of '{env_name}' (valid)", show_edge=False)
    table.add_column("key")
    table.add_column("value")
    table.add_column("source", style="dim")
    for key, value, source in rows:
        table.add_row(key, value, source)
    state.out.print(table)
