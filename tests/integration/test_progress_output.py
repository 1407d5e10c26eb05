"""What an operator sees while `deploy` runs: live lines in a terminal, plain lines in CI or a pipe."""

from __future__ import annotations

import re

from tests.integration.conftest import LocalEnv
from tests.support import screen

STEPS = ["settings", "token", "preflight", "plan", "apply", "validation", "first poll", "health"]
PLAN = [
    "create table MiroAuditLogs_CL",
    "create data collection endpoint dce-miro-audit-logs",
    "create data collection rule dcr-miro-audit-logs",
]
SPINNER = re.compile(r"[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏] (token|preflight|plan|apply|validation|first poll|health) ")
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def test_deploy_in_a_terminal_shows_each_step_once_then_the_plan_once_then_the_table(local_env: LocalEnv) -> None:
    run = local_env.cli_in_terminal("deploy", "--env", "local", env={"CI": None}, columns=120)

    assert run.code == 0, run.stdout
    assert SPINNER.search(ANSI.sub("", run.stdout)), "no running step was drawn with a spinner"
    shown = screen(run.stdout)
    outcomes = [line.split()[1:3] for line in shown if line.startswith("✓ ")]
    assert [" ".join(w) if w[0] == "first" else w[0] for w in outcomes] == STEPS
    assert all(re.search(r"\d+\.\d s$", line) for line in shown if line.startswith("✓ ") and "settings" not in line)
    for change in PLAN:
        assert [line.strip() for line in shown].count(change) == 1, change
    assert "Health of 'local': healthy" in shown
    assert not [line for line in shown if line.lstrip().startswith(("ok ", "changes:", "validation:"))]


def test_ci_gets_plain_lines_even_in_a_terminal(local_env: LocalEnv) -> None:
    run = local_env.cli_in_terminal("deploy", "--env", "local", env={"CI": "true"})

    assert run.code == 0, run.stdout
    assert not SPINNER.search(ANSI.sub("", run.stdout))
    assert "\x1b[2K" not in run.stdout and "\x1b[1A" not in run.stdout
    lines = ANSI.sub("", run.stdout).splitlines()
    assert [line for line in lines if line.endswith("…")] == [f"{step}…" for step in STEPS[1:]]
    assert any(re.fullmatch(r" +ok token +valid for organisation .* \(\d+\.\d s\)", line) for line in lines)


def test_without_a_terminal_the_plan_is_listed_once_and_the_report_recaps_the_steps(local_env: LocalEnv) -> None:
    run = local_env.cli("deploy", "--env", "local")

    assert run.code == 0, run.stderr
    assert "\x1b" not in run.stderr + run.stdout
    progress = [line.split(maxsplit=1) for line in run.stderr.splitlines()]
    created = [" ".join(words) for words in progress if words and words[0] == "create"]
    pipeline = [
        *PLAN,
        "create role assignment Monitoring Metrics Publisher for "
        + local_env.info["principal_object_id"]
        + " on dcr-miro-audit-logs",
        "create connector definition MiroSentinelAuditLogs",
        "create data connector MiroSentinelAuditLogsPoller",
    ]
    # The pipeline first, each once, then the content (analytics rules, workbook, ...), each once.
    assert created[: len(pipeline)] == pipeline
    assert len(set(created)) == len(created) > len(pipeline)
    recap = [line.split()[:2] for line in run.stdout.splitlines() if line.startswith("     ok ")]
    assert [name for _, name in recap] == [
        "settings",
        "token",
        "preflight",
        "plan",
        "apply",
        "validation",
        "first",
        "health",
    ]
