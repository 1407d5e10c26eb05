"""``miro-sentinel backfill``: Miro's audit history into the table, each event once, resumable."""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

import click

from deployer import pipeline
from deployer.backfill.timerange import check_request
from deployer.cli._common import State, env_options, load, output_option, pass_state
from deployer.cli._run import run_command
from deployer.cli.backfill_progress import BackfillDisplay
from deployer.environment import Environment
from deployer.pipeline import BackfillRequest, RunReport, Ui

__all__ = ["backfill"]


@contextmanager
def _stop_on_signals(stop: threading.Event) -> Iterator[None]:
    """Ctrl-C (or SIGTERM) sets ``stop``: the run finishes its batches in flight; a second Ctrl-C quits at once."""

    def handler(signum: int, frame: FrameType | None) -> None:
        if stop.is_set():
            raise KeyboardInterrupt
        stop.set()
        click.echo(
            "stopping: finishing the batches already sent to Azure, then saving the checkpoint "
            "(Ctrl-C again to quit at once)",
            err=True,
        )

    previous = {s: signal.signal(s, handler) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for number, old in previous.items():
            signal.signal(number, old)


@click.command()
@env_options
@click.option("--since", metavar="DURATION", help="How far back: 30d, 12h or 90m (default: 90d, all Miro keeps).")
@click.option(
    "--from", "start", metavar="TIME", help="Start of the range, ISO 8601 (e.g. 2025-03-01 or 2025-03-01T08:00Z)."
)
@click.option("--to", "end", metavar="TIME", help="End of the range (default: backfill.settle_minutes ago).")
@click.option(
    "--dry-run", is_flag=True, help="Send nothing: report per day what Miro has, what the table has, and the gap."
)
@output_option("text", "json")
@pass_state
def backfill(
    state: State,
    env_name: str,
    overrides: tuple[str, ...],
    since: str | None,
    start: str | None,
    end: str | None,
    dry_run: bool,
    output: str,
) -> None:
    """Send Miro's audit events of a past range (up to 90 days) to the table, each exactly once.

    Events the table already holds (collected by the connector, or by an earlier backfill) are skipped,
    so a backfill also repairs gaps after an outage. Progress is checkpointed per environment; after a
    stop (Ctrl-C, a failure, even a kill) the same command continues where it stopped. Miro calls use at
    most backfill.miro_budget_share of the token's credits a minute, leaving the rest to the connector.

    Exit 0 complete, 1 events were rejected by Azure, 2 bad input, 3 Azure or Miro failed, 130 stopped.
    """
    check_request(since=since, start=start, end=end)  # before anything starts: bad flags cost nothing
    settings = load(state, env_name, overrides, need_token=True)
    request = BackfillRequest(since=since, start=start, end=end, dry_run=dry_run)
    stop = threading.Event()

    def action(env: Environment, ui: Ui) -> RunReport:
        shown = BackfillDisplay(state.err, live=state.live, show=lambda line: ui.progress(line, replace=True))
        with shown as display:
            return pipeline.backfill(env, ui, request, stop=stop, display=display.update)

    with _stop_on_signals(stop):
        run_command(state, settings, output, action)
