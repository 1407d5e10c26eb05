"""The backfill's progress: a bar on the step's live line in a terminal, a plain line every few seconds elsewhere."""

from __future__ import annotations

import time
from collections.abc import Callable
from types import TracebackType

from rich.console import Console

from deployer.backfill import Progress as BackfillProgress

__all__ = ["BackfillDisplay", "bar_line", "progress_line"]

_BAR_WIDTH = 20


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


def bar_line(p: BackfillProgress) -> str:
    """The terminal form: a bar of the windows done, then the same figures."""
    done = round(_BAR_WIDTH * p.windows_done / p.windows_total) if p.windows_total else 0
    bar = "█" * done + "░" * (_BAR_WIDTH - done)
    return f"{bar} {p.windows_done}/{p.windows_total} windows, {_figures(p)}, {_eta(p.eta_seconds)}"


class BackfillDisplay:
    """Shows :class:`~deployer.backfill.Progress` snapshots while it is entered.

    In a terminal (``live``), each snapshot becomes the running step's line through ``show``, which updates
    it in place (one live display at a time: the step's). Elsewhere (CI logs, files), one plain line on
    ``console`` every ``every`` seconds, and one at the end.
    """

    def __init__(self, console: Console, *, live: bool, show: Callable[[str], None], every: float = 10.0) -> None:
        self._console = console
        self._live = live
        self._show = show
        self._every = every
        self._last = 0.0
        self._latest: BackfillProgress | None = None

    def __enter__(self) -> BackfillDisplay:
        self._last = time.monotonic()
        return self

    def update(self, p: BackfillProgress) -> None:
        """Show ``p`` (a terminal) or keep it for the next plain line (elsewhere)."""
        if p.windows_total == 0:
            return
        if self._live:
            self._show(bar_line(p))
            return
        self._latest = p
        now = time.monotonic()
        if now - self._last >= self._every:
            self._last = now
            self._print(p)

    def _print(self, p: BackfillProgress) -> None:
        self._console.print(progress_line(p), markup=False, highlight=False)

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        if not self._live and self._latest is not None:
            self._print(self._latest)  # the last figures, however long since the previous line
