"""Progress on stderr: one line per step updated in place in a terminal, plain lines elsewhere."""

from __future__ import annotations

import io
import re

import pytest
from rich.console import Console

from deployer.cli.progress import LiveSteps, PlainSteps
from deployer.cli.render import emit
from deployer.config import load_display
from deployer.pipeline import RunReport, StepResult
from deployer.provision import ApplyResult, Change
from tests.support import screen

WIDTH = 80
CHANGES = [
    Change("table MiroAuditLogs_CL", "create", "Microsoft.OperationalInsights/workspaces/tables"),
    Change("data collection rule dcr-miro", "update", "Microsoft.Insights/dataCollectionRules", "transformKql"),
]


def terminal() -> tuple[Console, io.StringIO]:
    buffer = io.StringIO()
    return Console(file=buffer, force_terminal=True, width=WIDTH, color_system=None, legacy_windows=False), buffer


def outcome_line(icon: str, name: str, detail: str, time: str) -> str:
    left = f"{icon} {name:<11} {detail}"
    return left + " " * (WIDTH - len(left) - len(time)) + time


def test_a_running_step_is_one_line_updated_in_place_then_replaced_by_its_outcome() -> None:
    console, buffer = terminal()
    steps = LiveSteps(console)

    steps.started("apply")
    steps.detail("create: table MiroAuditLogs_CL")
    steps.detail("create: data collection rule dcr-miro")
    steps.finished(StepResult("apply", "ok", "1 created, 1 updated, 0 deleted", 2.345))

    raw = buffer.getvalue()
    assert re.search(r"[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏] apply +create: data collection rule dcr-miro +\d+\.\d s", raw)
    assert "\x1b[2K" in raw  # the running line is erased, not scrolled
    assert screen(raw) == [outcome_line("✓", "apply", "1 created, 1 updated, 0 deleted", "2.3 s")]


def test_a_failed_step_shows_a_cross_and_what_failed() -> None:
    console, buffer = terminal()
    steps = LiveSteps(console)

    steps.started("token")
    steps.finished(StepResult("token", "failed", "the Miro token was refused (401)", 0.5))

    assert screen(buffer.getvalue()) == [outcome_line("✗", "token", "the Miro token was refused (401)", "0.5 s")]


def test_the_running_line_cuts_a_long_detail_and_the_outcome_wraps_it() -> None:
    console, buffer = terminal()
    steps = LiveSteps(console)
    long = "the connector polled the local Miro: " + "window " * 12 + "end"

    steps.started("first poll")
    steps.detail(long)
    running = buffer.getvalue()
    steps.finished(StepResult("first poll", "ok", long, 61.0))

    frames = [re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", f) for f in re.split(r"\r|\n", running) if "connector" in f]
    assert frames
    assert [(len(f) <= WIDTH, "…" in f) for f in frames] == [(True, True)] * len(frames)
    first, *rest = screen(buffer.getvalue())
    assert first.startswith("✓ first poll  the connector polled the local Miro: window") and first.endswith(
        "1 min 01 s"
    )
    assert rest and all(line.startswith(" " * 14) for line in rest) and rest[-1].endswith("end")
    assert " ".join(w for line in [first[14:-10], *rest] for w in line.split()) == long


def test_the_plan_is_printed_once_under_the_step_detail() -> None:
    console, buffer = terminal()
    steps = LiveSteps(console)

    steps.started("plan")
    steps.finished(StepResult("plan", "ok", "1 to create, 1 to update, 0 to delete", 0.25))
    steps.plan(CHANGES)

    assert screen(buffer.getvalue())[1:] == [
        " " * 14 + "create table MiroAuditLogs_CL",
        " " * 14 + "update data collection rule dcr-miro  (transformKql)",
    ]


def test_a_note_between_steps_stays_on_screen() -> None:
    console, buffer = terminal()
    steps = LiveSteps(console)

    steps.detail("local cloud: ready at https://127.0.0.1:1234")
    steps.started("token")
    steps.detail("checking the token")
    steps.close()

    assert screen(buffer.getvalue()) == ["  local cloud: ready at https://127.0.0.1:1234"]


def test_without_a_terminal_each_step_and_detail_is_one_plain_line() -> None:
    buffer = io.StringIO()
    steps = PlainSteps(Console(file=buffer, width=140))

    steps.started("plan")
    steps.detail("reading the current resources")
    steps.finished(StepResult("plan", "ok", "1 to create", 0.2))
    steps.plan(CHANGES)

    assert buffer.getvalue().splitlines() == [
        "plan…",
        "reading the current resources",
        "   create  table MiroAuditLogs_CL",
        "   update  data collection rule dcr-miro  (transformKql)",
    ]


def deploy_report() -> RunReport:
    report = RunReport("deploy", "local", "arm")
    report.steps = [StepResult("settings", "ok", "valid"), StepResult("apply", "ok", "1 created", 1.25)]
    report.applied = ApplyResult(changes=tuple(CHANGES[:1]), outputs=None)
    return report


def test_the_text_report_recaps_steps_with_their_time() -> None:
    buffer = io.StringIO()

    emit(deploy_report(), "text", Console(file=buffer, width=140), steps_shown=False)

    assert buffer.getvalue().splitlines() == [
        "     ok settings    valid",
        "     ok apply       1 created (1.2 s)",
        "changes: 1 created, 0 updated, 0 deleted",
    ]


def test_the_text_report_leaves_out_what_the_live_lines_showed() -> None:
    buffer = io.StringIO()

    emit(deploy_report(), "text", Console(file=buffer, width=140), steps_shown=True)

    assert buffer.getvalue() == ""


@pytest.mark.parametrize(
    ("environ", "ci"),
    [({}, False), ({"CI": ""}, False), ({"CI": "false"}, False), ({"CI": "0"}, False), ({"CI": "true"}, True)],
)
def test_ci_is_read_from_the_ci_variable(environ: dict[str, str], ci: bool) -> None:
    assert load_display(environ).ci is ci
