"""Progress lines: a line that updates in place is the running step's line in a terminal, and is thinned elsewhere."""

from __future__ import annotations

import io

import pytest
from rich.console import Console

from deployer.cli import ui as ui_module
from deployer.cli._common import State
from deployer.cli.ui import TerminalUi
from deployer.pipeline import StepResult
from tests.support import screen


def terminal_ui(*, terminal: bool) -> tuple[TerminalUi, io.StringIO]:
    state = State()
    buffer = io.StringIO()
    state.err = Console(file=buffer, force_terminal=terminal, width=80, soft_wrap=True, highlight=False)
    state.live = terminal
    return TerminalUi(state), buffer


def test_without_a_terminal_an_updating_line_is_printed_once_per_interval(monkeypatch: pytest.MonkeyPatch) -> None:
    now = [100.0]
    monkeypatch.setattr(ui_module.time, "monotonic", lambda: now[0])
    ui, buffer = terminal_ui(terminal=False)
    for second in range(0, 40, 5):
        now[0] = 100.0 + second
        ui.progress(f"403, retry {second}", replace=True)
    ui.progress("validation: accepted")
    assert buffer.getvalue().splitlines() == ["403, retry 0", "403, retry 30", "validation: accepted"]


def test_in_a_terminal_an_updating_line_is_the_running_steps_line_and_leaves_no_trace() -> None:
    ui, buffer = terminal_ui(terminal=True)
    ui.step_started("validation")
    ui.progress("403, retry 1", replace=True)
    ui.progress("403, retry 2", replace=True)
    ui.step_finished(StepResult("validation", "ok", "accepted", 1.0))
    raw = buffer.getvalue()
    assert "403, retry 1" in raw and "403, retry 2" in raw
    assert [line.split()[:3] for line in screen(raw)] == [["✓", "validation", "accepted"]]


def test_progress_lines_are_redacted() -> None:
    ui, buffer = terminal_ui(terminal=False)
    ui.progress("sent {'Authorization': 'Bearer abc.def'}")
    assert buffer.getvalue() == "sent {'Authorization': '********'}\n"
