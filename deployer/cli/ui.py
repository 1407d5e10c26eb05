"""The terminal side of a run: progress on stderr (live in a terminal, plain lines elsewhere) and questions."""

from __future__ import annotations

import sys
import time
from collections.abc import Sequence

import click

from deployer.cli._common import State
from deployer.cli.progress import LiveSteps, PlainSteps, StepDisplay
from deployer.pipeline import StepResult
from deployer.provision import Change
from deployer.redaction import redact

__all__ = ["TerminalUi"]

#: Without a terminal, a line that updates in place is printed at most this often (the first always).
REPLACE_EVERY_SECONDS = 30.0


class TerminalUi:
    """What the pipeline needs from a person at a terminal, or from CI.

    Live progress needs stderr to be a terminal outside CI (``State.live``); questions need stdin and
    stderr to be terminals. Every line shown passes the redactor.
    """

    def __init__(self, state: State) -> None:
        self.live = state.live
        self.interactive = sys.stdin.isatty() and sys.stderr.isatty()
        self._display: StepDisplay = LiveSteps(state.err) if self.live else PlainSteps(state.err)
        self._last_replace: float | None = None

    def step_started(self, name: str) -> None:
        self._display.started(name)

    def step_finished(self, step: StepResult) -> None:
        self._display.finished(step)

    def progress(self, line: str, *, replace: bool = False) -> None:
        line = redact(line)
        if not self.live:
            # A line that updates in place would flood a log: keep one per interval.
            if replace:
                now = time.monotonic()
                if self._last_replace is not None and now - self._last_replace < REPLACE_EVERY_SECONDS:
                    return
                self._last_replace = now
            else:
                self._last_replace = None
        self._display.detail(line)

    def show_plan(self, changes: Sequence[Change]) -> None:
        self._display.plan(changes)

    def confirm(self, question: str, *, expected: str | None = None) -> bool:
        self._display.close()
        if expected is None:
            return click.confirm(question, default=False, err=True)
        answer = click.prompt(question, default="", show_default=False, err=True)
        return str(answer).strip() == expected

    def close(self) -> None:
        """Stop the live line, if one is running (an error ended the run mid-step)."""
        self._display.close()
