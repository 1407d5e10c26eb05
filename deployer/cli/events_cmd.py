"""``miro-sentinel events``: the Miro event and category values the table holds, with counts."""

from __future__ import annotations

import json

import click
from rich.table import Table

from deployer.cli._common import State, env_options, load, output_option, pass_state
from deployer.cli.ui import TerminalUi
from deployer.environment import Environment
from deployer.errors import ConfigError, ConfigProblem
from deployer.events import event_counts, parse_since

__all__ = ["events"]


@click.command()
@env_options
@click.option("--since", default="7d", show_default=True, help="How far back to look: 90m, 24h, 7d...")
@output_option("text", "json")
@pass_state
def events(state: State, env_name: str, overrides: tuple[str, ...], since: str, output: str) -> None:
    """List the distinct `event` and `category` values in ENV's Miro table, with counts.

    Miro does not publish every event name: compare these with content.sign_in_failure_events,
    content.sign_in_success_events and content.admin_categories in envs/ENV.toml, which the analytics
    rules read. Validation records are left out. Exit 0, 2 for bad input, 3 when Azure failed.
    """
    settings = load(state, env_name, overrides)
    try:
        span = parse_since(since)
    except ValueError as exc:
        raise ConfigError(
            [ConfigProblem("command line", "--since", str(exc))], remedy="for example: --since 7d"
        ) from None
    ui = TerminalUi(state)
    env = Environment(settings, progress=ui.progress)
    try:
        outputs = env.engine(plan_only=True).outputs()
        found = event_counts(env.query(outputs), outputs.table_name, span)
    finally:
        env.close()
    if output == "json":
        document = {
            "environment": settings.env_name,
            "table": settings.table.name,
            "since": since,
            "events": [
                {
                    "event": e.event,
                    "category": e.category,
                    "count": e.count,
                    "first_seen": e.first_seen.isoformat().replace("+00:00", "Z") if e.first_seen else None,
                    "last_seen": e.last_seen.isoformat().replace("+00:00", "Z") if e.last_seen else None,
                }
                for e in found
            ],
        }
        click.echo(json.dumps(document, indent=2, ensure_ascii=False))
        return
    if not found:
        state.out.print(f"No Miro events in {settings.table.name} in the last {since}.")
        return
    table = Table(title=f"Miro events in {settings.table.name}, last {since}")
    for column in ("event", "category", "count", "last seen"):
        table.add_column(column, justify="right" if column == "count" else "left")
    for e in found:
        table.add_row(e.event, e.category, str(e.count), e.last_seen.strftime("%Y-%m-%d %H:%M") if e.last_seen else "")
    state.out.print(table)
    state.out.print(
        "Compare with content.sign_in_failure_events, content.sign_in_success_events and content.admin_categories "
        f"in envs/{settings.env_name}.toml."
    )
