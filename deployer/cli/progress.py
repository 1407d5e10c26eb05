"""How a run's steps are shown on stderr: live in a terminal, plain lines elsewhere (a file, a pipe, CI).

Live: the running step is one line that updates in place (a spinner, the step's name, its latest
detail, the time so far); when it ends, that line is replaced by a permanent one with ✓ or ✗, the
outcome and the time. The plan is printed once, under the plan step. Plain: one line when a step
starts, the details as they come, and the plan; outcomes are the report's job (stdout).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Protocol

from rich.console import Console, ConsoleOptions, RenderResult
from rich.live import Live
from rich.spinner import Spinner
from rich.table import Table
from rich.text import Text

from deployer.cli.render import change_line
from deployer.pipeline import StepResult
from deployer.provision import Change

__all__ = ["LiveSteps", "PlainSteps", "StepDisplay"]

_NAME_WIDTH = 11
_ICONS = {"ok": ("✓", "green"), "failed": ("✗", "bold red"), "skipped": ("–", "dim")}
_ACTION_STYLES = {"create": "green", "update": "yellow", "replace": "magenta", "delete": "red"}


class StepDisplay(Protocol):
    """Where a run's progress goes."""

    def started(self, name: str) -> None: ...

    def detail(self, line: str) -> None: ...

    def finished(self, step: StepResult) -> None: ...

    def plan(self, changes: Sequence[Change]) -> None: ...

    def close(self) -> None: ...


def _seconds(value: float) -> str:
    """``0.4 s``, ``12.0 s``, ``2 min 05 s``."""
    return f"{value:.1f} s" if value < 60 else f"{int(value // 60)} min {value % 60:02.0f} s"


def _row(icon: Text | Spinner, name: str, detail: Text, seconds: float | None, *, wrap: bool) -> Table:
    """``✓ name        detail ...                 1.2 s``: the detail wraps (a finished step) or is cut (a running one)."""
    grid = Table.grid(padding=(0, 1), expand=True)
    grid.add_column(width=1, no_wrap=True)
    grid.add_column(width=_NAME_WIDTH, no_wrap=True)
    grid.add_column(ratio=1, no_wrap=not wrap, overflow="fold" if wrap else "ellipsis")
    grid.add_column(justify="right", no_wrap=True)
    shown = Text(_seconds(seconds), style="dim") if seconds is not None else Text("")
    grid.add_row(icon, Text(name, style="bold"), detail, shown)
    return grid


def _changes(changes: Sequence[Change]) -> Table:
    """The plan, under the detail column: action, then what it acts on (wrapped, never cut)."""
    grid = Table.grid(padding=(0, 1), expand=True)
    grid.add_column(width=1 + 1 + _NAME_WIDTH, no_wrap=True)
    grid.add_column(justify="right", no_wrap=True)
    grid.add_column(ratio=1, overflow="fold")
    for change in changes:
        detail = f"  ({change.detail})" if change.detail else ""
        grid.add_row("", Text(change.action, style=_ACTION_STYLES.get(change.action, "")), change.address + detail)
    return grid


class _Running:
    """The line of the running step; rendered anew on each refresh, so the spinner turns and the time counts."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.detail = ""
        self.started = time.monotonic()
        self.spinner = Spinner("dots", style="cyan")

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        detail = Text(self.detail, style="dim")
        yield _row(self.spinner, self.name, detail, time.monotonic() - self.started, wrap=False)


class LiveSteps:
    """A terminal: the running step updates in place; finished steps stay, each on its own line."""

    def __init__(self, console: Console, *, refresh_per_second: float = 12.5) -> None:
        self._console = console
        self._refresh = refresh_per_second
        self._live: Live | None = None
        self._running: _Running | None = None

    def started(self, name: str) -> None:
        self._stop()
        self._running = _Running(name)
        self._live = Live(
            self._running,
            console=self._console,
            transient=True,
            refresh_per_second=self._refresh,
            redirect_stdout=False,
            redirect_stderr=False,
        )
        self._live.start()

    def detail(self, line: str) -> None:
        if self._running is not None and self._live is not None:
            self._running.detail = line
            self._live.refresh()
        else:  # outside a step: a note that stays
            self._console.print(Text(f"  {line}", style="dim"))

    def finished(self, step: StepResult) -> None:
        self._stop()
        icon, style = _ICONS.get(step.status, ("•", ""))
        # A step decided without running (settings) took no time worth showing.
        seconds = step.seconds if step.seconds else None
        self._console.print(_row(Text(icon, style=style), step.name, Text(step.detail), seconds, wrap=True))

    def plan(self, changes: Sequence[Change]) -> None:
        if changes:
            self._console.print(_changes(changes))

    def close(self) -> None:
        self._stop()

    def _stop(self) -> None:
        if self._live is not None:
            self._live.stop()
        self._live = None
        self._running = None


class PlainSteps:
    """No terminal, or CI: plain lines, nothing rewritten, no colour."""

    def __init__(self, console: Console) -> None:
        self._console = console

    def _line(self, text: str) -> None:
        self._console.print(text, markup=False, highlight=False)

    def started(self, name: str) -> None:
        self._line(f"{name}…")

    def detail(self, line: str) -> None:
        self._line(line)

    def finished(self, step: StepResult) -> None:
        """Nothing: the report on stdout gives each step's outcome and time."""

    def plan(self, changes: Sequence[Change]) -> None:
        for change in changes:
            self._line(change_line(change))

    def close(self) -> None:
        """Nothing to stop."""
