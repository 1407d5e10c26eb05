"""The terminal side of a run: progress lines and questions. Plain lines when not a terminal."""

from __future__ import annotations

import sys
import time

import click
from rich.console import Console

from deployer.cli._common import State
from deployer.redaction import redact

__all__ = ["TerminalUi"]

#: Without a terminal, a line that updates in place is printed at most this often (the first always).
REPLACE_EVERY_SECONDS = 30.0


class TerminalUi:
    """Progress to stderr (dimmed in a terminal, plain elsewhere); questions only when stdin is a terminal."""

    def __init__(self, state: State) -> None:
        self._err: Console = state.err
        self.interactive = sys.stdin.isatty() and sys.stderr.isatty()
        self._open = False  # a replaceable line is on screen, without its newline
        self._last_replace: float | None = None

    def progress(self, line: str, *, replace: bool = False) -> None:
        line = redact(line)
        if self._err.is_terminal:
            if replace:
                # Rewrite the same screen line: carriage return, clear to its end, the new text, cut to fit
                # (a line that wrapped could not be rewritten).
                self._err.file.write(f"\r\x1b[2K› {line[: max(10, self._err.width - 3)]}")
                self._err.file.flush()
                self._open = True
                return
            self.finish()
            self._err.print(f"[dim]›[/dim] {line}", markup=True, highlight=False)
            return
        if replace:
            now = time.monotonic()
            if self._last_replace is not None and now - self._last_replace < REPLACE_EVERY_SECONDS:
                return
            self._last_replace = now
        else:
            self._last_replace = None
        self._err.print(line, markup=False, highlight=False)

    def finish(self) -> None:
        """End a line left open by ``replace`` (before anything else is printed)."""
        if self._open:
            self._err.file.write("\n")
            self._open = False

    def confirm(self, question: str, *, expected: str | None = None) -> bool:
        self.finish()
        if expected is None:
            return click.confirm(question, default=False, err=True)
        answer = click.prompt(question, default="", show_default=False, err=True)
        return str(answer).strip() == expected
