"""Backfill and gap repair: Miro's audit history into the table, exactly once, at Miro's pace.

One module per job: :mod:`.timerange` (the range and its windows), :mod:`.source` (Miro's events of a
window), :mod:`.table` (the ids the table already has), :mod:`.batches` and :mod:`.sink` (sending to
the Logs Ingestion API), :mod:`.pacing` (a share of Miro's credits), :mod:`.checkpoint` (resuming),
:mod:`.runner` (the run itself), :mod:`.threads` (a client per thread) and :mod:`.model` (what it reports). :func:`start` wires them to one
environment's clients.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable

from deployer.backfill.checkpoint import Checkpoint, CheckpointTarget
from deployer.backfill.model import BackfillResult, DayTally, Progress
from deployer.backfill.pacing import CreditPacer
from deployer.backfill.runner import Backfill, BackfillOptions
from deployer.backfill.sink import Sink
from deployer.backfill.table import TableRows
from deployer.backfill.timerange import Interval, resolve_range
from deployer.environment import Environment
from deployer.provision import DeploymentOutputs

__all__ = [
    "CHECKPOINT_FILE",
    "BackfillResult",
    "DayTally",
    "Interval",
    "Progress",
    "describe",
    "resolve_range",
    "start",
]

CHECKPOINT_FILE = "backfill-checkpoint.json"


def start(
    env: Environment,
    outputs: DeploymentOutputs,
    span: Interval,
    *,
    dry_run: bool,
    stop: threading.Event,
    display: Callable[[Progress], None],
    say: Callable[[str], None],
) -> Backfill:
    """A backfill of ``span`` into the deployment's table, ready to :meth:`~Backfill.run`."""
    s = env.settings.backfill
    pacer = CreditPacer(s.miro_budget_share, stop=stop)
    checkpoint = Checkpoint.load(
        env.work_dir / CHECKPOINT_FILE,
        CheckpointTarget(outputs.workspace_customer_id, outputs.table_name, outputs.dcr_immutable_id),
    )
    sink = None
    if not dry_run:
        sink = Sink(
            lambda: env.ingestion(outputs),
            outputs.dcr_immutable_id,
            outputs.stream_name,
            in_flight=s.uploads_in_flight,
            retry_budget=s.retry_budget_seconds,
            forbidden_budget=s.forbidden_retry_seconds,
            progress=say,
        )
    options = BackfillOptions(
        span=span,
        window=dt.timedelta(minutes=s.window_minutes),
        parallel=s.parallel_windows,
        dry_run=dry_run,
        ingestion_latency=dt.timedelta(minutes=s.ingestion_latency_minutes),
    )
    return Backfill(
        options,
        miro=lambda: env.miro(pacer=pacer),
        table=TableRows(env.query(outputs), outputs.table_name),
        sink=sink,
        checkpoint=checkpoint,
        pacer=pacer,
        stop=stop,
        now=env.now,
        display=display,
        say=say,
    )


def describe(result: BackfillResult) -> str:
    """One line: how far the run got, the events it found and sent, and what to do next."""
    windows = result.windows_done + result.windows_from_checkpoint
    found = f"{result.fetched:,} events in Miro, {result.present:,} already in the table"
    if result.dry_run:
        return f"dry run over {result.windows_total} windows: {found}, {result.missing:,} would be sent"
    sent = f"{found}, {result.sent:,} sent"
    again = f"run the same command again to continue from the checkpoint {result.checkpoint_path}"
    if result.status == "failed":
        return f"stopped after {windows} of {result.windows_total} windows: {sent}; {again}"
    if result.status == "interrupted":
        return f"interrupted after {windows} of {result.windows_total} windows: {sent}; nothing is lost: {again}"
    if result.status == "rejected":
        return (
            f"{result.rejected:,} events rejected by the Logs Ingestion API; {sent}; their windows stay "
            "unfinished, so a run after the fix sends only what is missing"
        )
    return f"complete: {result.windows_total} windows; {sent} in {_duration(result.seconds)}"


def _duration(seconds: float) -> str:
    minutes, rest = divmod(round(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h {minutes:02d}m" if hours else f"{minutes}m {rest:02d}s" if minutes else f"{rest}s"
