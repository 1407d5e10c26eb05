"""Live progress of a long run (backfill): a bar in a terminal, a plain line every few seconds elsewhere."""

from __future__ import annotations

import time
from types import TracebackType

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn

from deployer.backfill import Progress as BackfillProgress

__all__ = ["BackfillDisplay", "progress_line"]


def _eta(seconds: float | None) -> str:
    if seconds is None:
        return "ETA --"
    minutes, rest = divmod(round(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"ETA {hours}h {minutes:02d}m" if hours else f"ETA {minutes}m {rest:02d}s"


def _figures(p: BackfillProgress) -> str:
    return (
        f"{p.fetched:,} fetched, {p.sent:,} sent, {p.present:,} skipped"
        + (f", {p.rejected:,} rejected" if p.rejected else "")
        + f", {p.events_per_second:,.0f} events/s, credits {p.credits_per_minute:,}/{p.credits_allowance:,} a minute"
    )


def progress_line(p: BackfillProgress) -> str:
    """The plain form: ``backfill: 12/30 windows, 1,234 fetched, ... ETA 3m 10s``."""
    return f"backfill: {p.windows_done}/{p.windows_total} windows, {_figures(p)}, {_eta(p.eta_seconds)}"


class BackfillDisplay:
    """Shows :class:`~deployer.backfill.Progress` snapshots on ``console`` (stderr) while it is entered.

    In a terminal, a bar (windows done) with the figures beside it; lines printed meanwhile appear above
    it. Elsewhere (CI logs, files), one plain line every ``every`` seconds, and one at the end.
    """

    def __init__(self, console: Console, *, every: float = 10.0) -> None:
        self._console = console
        self._every = every
        self._last = 0.0
        self._latest: BackfillProgress | None = None
        self._bar: Progress | None = None
        self._task: TaskID | None = None

    def __enter__(self) -> BackfillDisplay:
        if self._console.is_terminal:
            self._bar = Progress(
                TextColumn("[bold]backfill[/bold]"),
                BarColumn(bar_width=24),
                MofNCompleteColumn(),
                TextColumn("windows  {task.fields[figures]}  [dim]{task.fields[eta]}[/dim]"),
                console=self._console,
                refresh_per_second=4,
            )
            # Hidden until the run knows its windows (the token check and outputs come first).
            self._task = self._bar.add_task("backfill", total=None, figures="", eta="", visible=False)
            self._bar.start()
        self._last = time.monotonic()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        if self._bar is not None:
            self._bar.refresh()  # the last figures stay on screen
            self._bar.stop()
        elif self._latest is not None:
            self._console.print(progress_line(self._latest), markup=False, highlight=False)

    def update(self, p: BackfillProgress) -> None:
        self._latest = p
        if self._bar is not None and self._task is not None:
            self._bar.update(
                self._task,
                completed=p.windows_done,
                total=p.windows_total,
                figures=_figures(p),
                eta=_eta(p.eta_seconds),
                visible=True,
            )
            return
        now = time.monotonic()
        if now - self._last >= self._every:
            self._last = now
            self._console.print(progress_line(p), markup=False, highlight=False)
