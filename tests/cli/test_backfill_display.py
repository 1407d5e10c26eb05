"""The backfill's progress: a bar in a terminal, plain lines in a log, and the figures an operator watches."""

from __future__ import annotations

import io

import pytest
from rich.console import Console

from deployer.backfill import Progress
from deployer.cli.backfill_progress import BackfillDisplay, progress_line

SNAPSHOT = Progress(
    windows_total=30,
    windows_done=12,
    fetched=123_456,
    present=3_456,
    sent=120_000,
    rejected=0,
    elapsed=60.0,
    events_per_second=2_057.6,
    credits_per_minute=4_900,
    credits_allowance=5_000,
    eta_seconds=190,
)


def test_the_plain_line_names_windows_events_speed_credits_and_eta() -> None:
    assert progress_line(SNAPSHOT) == (
        "backfill: 12/30 windows, 123,456 fetched, 120,000 sent, 3,456 skipped, 2,058 events/s, "
        "credits 4,900/5,000 a minute, ETA 3m 10s"
    )


def test_outside_a_terminal_it_prints_plain_lines_spaced_out_and_one_at_the_end() -> None:
    out = io.StringIO()
    console = Console(file=out, force_terminal=False, width=200)
    with BackfillDisplay(console, live=False, show=pytest.fail, every=3600) as display:
        display.update(SNAPSHOT)
        display.update(SNAPSHOT)
    assert out.getvalue() == progress_line(SNAPSHOT) + "\n"


def test_in_a_terminal_the_steps_live_line_shows_a_bar_with_the_figures() -> None:
    out = io.StringIO()
    shown: list[str] = []
    with BackfillDisplay(Console(file=out, force_terminal=True), live=True, show=shown.append) as display:
        display.update(SNAPSHOT)
    assert shown == [
        "████████░░░░░░░░░░░░ 12/30 windows, 123,456 fetched, 120,000 sent, 3,456 skipped, 2,058 events/s, "
        "credits 4,900/5,000 a minute, ETA 3m 10s"
    ]
    assert out.getvalue() == ""  # the step's live line is the only display: no second one beside it
