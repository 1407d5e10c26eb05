"""The terminal side of a run: progress lines and questions. Plain lines when not a terminal."""

from __future__ import annotations

import sys

import click
from rich.console import Console

from deployer.cli._common import State

__all__ = ["TerminalUi"]


class TerminalUi:
    """Progress to stderr (dimmed in a terminal, plain elsewhere); questions only when stdin is a terminal."""

    def __init__(self, state: State) -> None:
        self._err: Console = state.err
        self.interactive = sys.stdin.isatty() and sys.stderr.isatty()

    def progress(self, line: str) -> None:
        if self._err.is_terminal:
            self._err.print(f"[dim]›[/dim] {line}", markup=True, highlight=False)
        else:
            self._err.print(line, markup=False, highlight=False)

    def confirm(self, question: str, *, expected: str | None = None) -> bool:
        if expected is None:
            return click.confirm(question, default=False, err=True)
        answer = click.prompt(question, default="", show_default=False, err=True)
        return str(answer).strip() == expected
