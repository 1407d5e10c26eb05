"""`backfill` against the local cloud, through the real CLI: every event of the range lands exactly once.

The local Miro generates a deterministic history (``events_per_minute`` a minute, as far back as Miro's
90 days), and serves it with its rate limit; the connector deployed by ``deploy`` polls it meanwhile.
Each test compares the table with what Miro holds over the range: the same ids, one row each.
The budget is raised so pacing does not make the tests slow (pacing has its own tests and benchmark).
``make test`` runs the 30-day run, the connector overlap, the lock, the terminal and the refusals; the kills, faults and quirks
take minutes together, so they are marked ``extended`` (``make extended``).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import signal
import time
from pathlib import Path
from typing import Any

import pytest

from deployer.locking import environment_lock
from tests.integration.conftest import LocalEnv, Run

pytestmark = pytest.mark.slow

TABLE = "MiroAuditLogs_CL"
CHECKPOINT = Path(".miro-sentinel/local/backfill-checkpoint.json")


def iso(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


def instant(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


def prepare(local_env: LocalEnv, *, events_per_minute: float = 0.3) -> None:
    """A Miro history of ``events_per_minute``, a budget that does not slow the test, and a deployment."""
    local_env.control(
        "PATCH", "/miro/settings", {"credits_per_minute": 1_000_000, "events_per_minute": events_per_minute}
    )
    run = local_env.cli("deploy", "--env", "local", "--output", "json")
    assert run.code == 0, run.stderr


def pause_connector(local_env: LocalEnv) -> None:
    """Stop the deployed connector's polling, so faults injected into Miro meet the backfill alone."""
    local_env.control("POST", "/ccf/pause")


def now(local_env: LocalEnv) -> dt.datetime:
    return dt.datetime.fromisoformat(local_env.control("GET", "/clock")["now"]).astimezone(dt.UTC)


def past_range(local_env: LocalEnv, days: float) -> tuple[str, str]:
    """``--from``/``--to`` for the last ``days``, ending an hour ago (well before the settle time)."""
    end = now(local_env).replace(second=0, microsecond=0) - dt.timedelta(hours=1)
    return iso(end - dt.timedelta(days=days)), iso(end)


def backfill(local_env: LocalEnv, *args: str) -> Run:
    return local_env.cli("backfill", "--env", "local", "--output", "json", *args)


def miro_ids(local_env: LocalEnv, start: str, end: str) -> list[str]:
    page = local_env.control("GET", f"/miro/events?createdAfter={start}&createdBefore={end}")
    return [e["id"] for e in page["data"]]


def table_ids(local_env: LocalEnv, start: str, end: str) -> list[str]:
    rows = local_env.query(
        f"{TABLE} | where createdAt >= datetime({start}) and createdAt < datetime({end}) | project id"
    )
    return [r["id"] for r in rows]


def assert_exactly_once(local_env: LocalEnv, start: str, end: str) -> int:
    """The table holds each of Miro's events of [start, end) once, and nothing else of that range."""
    expected = miro_ids(local_env, start, end)
    found = table_ids(local_env, start, end)
    assert len(found) == len(set(found)), f"{len(found) - len(set(found))} duplicate rows"  # count() == dcount(id)
    assert sorted(found) == sorted(expected)
    return len(expected)


def test_a_30_day_backfill_lands_every_event_exactly_once(local_env: LocalEnv) -> None:
    prepare(local_env, events_per_minute=0.1)
    start, end = past_range(local_env, days=30)
    run = backfill(local_env, "--from", start, "--to", end)
    assert run.code == 0, run.stderr
    document = run.json()
    result = document["backfill"]
    assert document["status"] == "ok" and result["status"] == "complete"
    total = assert_exactly_once(local_env, start, end)
    assert total > 4_000
    assert result["events"]["fetched"] == total
    assert result["events"]["sent"] + result["events"]["already_present"] == total
    assert result["miro"]["throttled"] == 0
    assert result["windows"] == {"total": 31, "from_checkpoint": 0, "done": 31}
    covered = json.loads((local_env.root / CHECKPOINT).read_text())["covered"]
    assert [[instant(a), instant(b)] for a, b in covered] == [[instant(start), instant(end)]]


@pytest.mark.extended
def test_a_second_run_over_the_same_range_sends_nothing(local_env: LocalEnv) -> None:
    prepare(local_env)
    start, end = past_range(local_env, days=3)
    assert backfill(local_env, "--from", start, "--to", end).code == 0
    (local_env.root / CHECKPOINT).unlink()  # not the checkpoint: the table itself says what is there
    again = backfill(local_env, "--from", start, "--to", end)
    assert again.code == 0, again.stderr
    events = again.json()["backfill"]["events"]
    assert events["sent"] == 0 and events["already_present"] == events["fetched"] > 0
    assert_exactly_once(local_env, start, end)


def test_a_range_the_connector_already_covered_sends_nothing(local_env: LocalEnv) -> None:
    prepare(local_env, events_per_minute=2)
    local_env.advance(minutes=90)
    deadline = time.monotonic() + 60
    while (state := local_env.poller()).get("windows_done", 0) < 12:
        assert time.monotonic() < deadline, state
        time.sleep(0.2)
    start = dt.datetime.fromtimestamp(state["origin_us"] / 1e6, dt.UTC)
    end = start + dt.timedelta(minutes=60)
    run = backfill(local_env, "--from", iso(start), "--to", iso(end))
    assert run.code == 0, run.stderr
    events = run.json()["backfill"]["events"]
    assert events["fetched"] > 50
    assert events["sent"] == 0 and events["already_present"] == events["fetched"]
    assert_exactly_once(local_env, iso(start), iso(end))


@pytest.mark.extended
def test_the_dry_run_reports_the_gap_per_day_and_sends_nothing(local_env: LocalEnv) -> None:
    prepare(local_env)
    start, end = past_range(local_env, days=3)
    middle = iso(instant(start) + dt.timedelta(days=1))
    assert backfill(local_env, "--from", start, "--to", middle).code == 0
    local_env.clear_requests()
    run = backfill(local_env, "--from", start, "--to", end, "--dry-run")
    assert run.code == 0, run.stderr
    days = run.json()["backfill"]["days"]
    assert [d["miro"] for d in days] == [d["present"] + d["missing"] for d in days]
    assert sum(d["present"] for d in days) == len(miro_ids(local_env, start, middle))
    assert sum(d["missing"] for d in days) == len(miro_ids(local_env, middle, end))
    assert not [r for r in local_env.requests_log() if r["service"] == "ingestion"]
    assert (
        "day          in Miro   in table    missing"
        in backfill(local_env, "--from", start, "--to", end, "--dry-run", "--output", "text").stdout
    )


def _wait_for(condition: Any, what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def _covered(local_env: LocalEnv) -> bool:
    try:
        return bool(json.loads((local_env.root / CHECKPOINT).read_text())["covered"])
    except (OSError, ValueError):
        return False


def _fault_hit(local_env: LocalEnv, path: str) -> bool:
    return any(f["hits"] for f in local_env.control("GET", path)["value"])


@pytest.mark.extended
@pytest.mark.parametrize("point", ["paging Miro", "sending a batch", "after a checkpoint"])
def test_killed_at_any_point_then_run_again_every_event_lands_once(local_env: LocalEnv, point: str) -> None:
    prepare(local_env)
    pause_connector(local_env)
    start, end = past_range(local_env, days=8)
    if point == "paging Miro":
        local_env.control(
            "POST", "/miro/faults", {"kind": "slow", "delay": 5, "on": "next_page", "skip": 20, "count": 1}
        )
    if point == "sending a batch":
        local_env.control("POST", "/faults", {"service": "ingestion", "delay": 3, "count": 1})
    process = local_env.popen("backfill", "--env", "local", "--from", start, "--to", end)
    if point == "paging Miro":
        _wait_for(lambda: _fault_hit(local_env, "/miro/faults"), "a page in flight")
    elif point == "sending a batch":
        _wait_for(lambda: _fault_hit(local_env, "/faults"), "a batch in flight")
    else:
        _wait_for(lambda: _covered(local_env), "a checkpointed window")
    process.send_signal(signal.SIGKILL)
    killed = local_env.finish(process)
    assert killed.code == -signal.SIGKILL
    # Rows of a batch in flight at the kill may land after it: wait that long (virtual minutes) before reading.
    again = backfill(local_env, "--from", start, "--to", end, "--set", "backfill.ingestion_latency_minutes=20")
    assert again.code == 0, again.stderr
    assert again.json()["backfill"]["status"] == "complete"
    assert_exactly_once(local_env, start, end)


@pytest.mark.extended
def test_ctrl_c_stops_after_the_batches_in_flight_and_says_how_to_resume(local_env: LocalEnv) -> None:
    prepare(local_env)
    start, end = past_range(local_env, days=8)
    process = local_env.popen("backfill", "--env", "local", "--from", start, "--to", end, "--output", "json")
    _wait_for(lambda: _covered(local_env), "a checkpointed window")
    process.send_signal(signal.SIGINT)
    stopped = local_env.finish(process)
    assert stopped.code == 130, stopped.stderr
    assert stopped.json()["status"] == "interrupted"
    assert "stopping: finishing the batches already sent to Azure" in stopped.stderr
    detail = stopped.json()["steps"][-1]["detail"]
    assert "nothing is lost: run the same command again to continue from the checkpoint" in detail
    again = backfill(local_env, "--from", start, "--to", end)
    assert again.code == 0, again.stderr
    assert again.json()["backfill"]["windows"]["from_checkpoint"] > 0
    assert_exactly_once(local_env, start, end)


@pytest.mark.extended
def test_miro_throttling_failures_and_a_repeating_cursor_lose_nothing(local_env: LocalEnv) -> None:
    prepare(local_env, events_per_minute=2)  # every window has several full pages, so the cursor fault bites
    pause_connector(local_env)
    start, end = past_range(local_env, days=2)
    for fault in (
        {"kind": "status", "status": 429, "retry_after": 1, "on": "next_page", "count": 2},
        {"kind": "status", "status": 503, "on": "next_page", "count": 3},
        {"kind": "repeat_cursor", "on": "next_page", "count": 1},
        {"kind": "malformed", "on": "next_page", "skip": 4, "count": 1},
    ):
        local_env.control("POST", "/miro/faults", fault)
    run = backfill(local_env, "--from", start, "--to", end)
    assert run.code == 0, run.stderr
    assert all(f["hits"] == f["count"] for f in local_env.control("GET", "/miro/faults")["value"])
    assert "Miro returned a cursor it had already returned" in run.stderr
    assert_exactly_once(local_env, start, end)


@pytest.mark.extended
@pytest.mark.parametrize(("budget", "retry_after"), [("10000", "absent"), ("100000", "present")])
def test_pacing_keeps_within_each_miro_budget_and_a_429_is_honoured(
    local_env: LocalEnv, budget: str, retry_after: str
) -> None:
    """Under each variant of the Miro quirks: the documented budgets, and a 429 with or without Retry-After."""
    prepare(local_env, events_per_minute=2)
    pause_connector(local_env)
    local_env.control("PATCH", "/quirks", {"miro_credits_per_minute": budget, "miro_retry_after_on_429": retry_after})
    fault: dict[str, Any] = {"kind": "status", "status": 429, "on": "next_page", "count": 1}
    if retry_after == "present":
        fault["retry_after"] = 1
    local_env.control("POST", "/miro/faults", fault)
    start, end = past_range(local_env, days=0.25)
    local_env.clear_requests()
    run = backfill(local_env, "--from", start, "--to", end)
    assert run.code == 0, run.stderr
    answers = [r["status"] for r in local_env.requests_log() if r["service"] == "miro"]
    assert answers.count(429) == 1  # the injected one; pacing caused none
    assert run.json()["backfill"]["miro"]["credits_per_minute_limit"] == int(budget)
    assert_exactly_once(local_env, start, end)


@pytest.mark.extended
@pytest.mark.parametrize("bounds", ["closed", "open"])
def test_every_event_lands_once_whichever_edges_miros_date_filters_include(local_env: LocalEnv, bounds: str) -> None:
    prepare(local_env)
    local_env.control("PATCH", "/quirks", {"miro_created_bounds": bounds})
    start, end = past_range(local_env, days=2)
    local_env.control(
        "POST",
        "/miro/events",
        {"events": [{"createdAt": f"{day}T00:00:00.000+0000", "event": "on_a_window_edge"} for day in (end[:10],)]},
    )
    run = backfill(local_env, "--from", start, "--to", end)
    assert run.code == 0, run.stderr
    assert "on_a_window_edge" in {r["event"] for r in local_env.query(f"{TABLE} | where event == 'on_a_window_edge'")}
    assert_exactly_once(local_env, start, end)


@pytest.mark.extended
def test_ingestion_413_429_5xx_and_403_lose_nothing(local_env: LocalEnv) -> None:
    prepare(local_env, events_per_minute=1)
    start, end = past_range(local_env, days=5)
    forbidden = (
        "The authentication token provided does not have access to ingest data for the data collection rule "
        "PipelineAccessResult: AccessGranted: False, IsRbacPresent: False, IsDcrDceBindingValid: True"
    )
    for fault in (
        {"service": "ingestion", "status": 413, "count": 1},
        {"service": "ingestion", "status": 429, "retry_after": 1, "count": 2},
        {"service": "ingestion", "status": 500, "count": 2},
        {"service": "ingestion", "status": 403, "count": 2, "message": forbidden},
    ):
        local_env.control("POST", "/faults", fault)
    run = backfill(local_env, "--from", start, "--to", end)
    assert run.code == 0, run.stderr
    assert all(f["hits"] == f["count"] for f in local_env.control("GET", "/faults")["value"])
    ingestion = run.json()["backfill"]["ingestion"]
    assert ingestion["splits"] >= 1 and ingestion["retries"] >= 6
    assert "the principal has no role on the DCR yet (IsRbacPresent: False)" in run.stderr
    assert_exactly_once(local_env, start, end)


@pytest.mark.extended
def test_a_403_that_lasts_stops_with_the_explanation_and_a_rerun_finishes(local_env: LocalEnv) -> None:
    prepare(local_env)
    start, end = past_range(local_env, days=3)
    fault = local_env.control("POST", "/faults", {"service": "ingestion", "status": 403})
    run = backfill(local_env, "--from", start, "--to", end, "--set", "backfill.forbidden_retry_seconds=2")
    assert run.code == 3
    assert run.errors[0].startswith("error: the Logs Ingestion API refused the records (403")
    assert run.errors[-1].startswith("hint: grant Monitoring Metrics Publisher on the DCR")
    assert run.json()["backfill"]["status"] == "failed"
    local_env.control("DELETE", f"/faults/{fault['id']}")
    again = backfill(local_env, "--from", start, "--to", end)
    assert again.code == 0, again.stderr
    assert_exactly_once(local_env, start, end)


@pytest.mark.extended
def test_events_azure_rejects_exit_1_and_a_rerun_sends_only_them(local_env: LocalEnv) -> None:
    prepare(local_env)
    start, end = past_range(local_env, days=0.25)
    fault = local_env.control("POST", "/faults", {"service": "ingestion", "status": 400, "message": "InvalidStream"})
    run = backfill(local_env, "--from", start, "--to", end)
    assert run.code == 1, run.stderr
    result = run.json()["backfill"]
    assert result["status"] == "rejected" and result["events"]["rejected"] == result["events"]["missing"] > 0
    assert result["rejected_examples"][0]["reason"].startswith("the Logs Ingestion API refused the body (400")
    local_env.control("DELETE", f"/faults/{fault['id']}")
    again = backfill(local_env, "--from", start, "--to", end)
    assert again.code == 0, again.stderr
    assert again.json()["backfill"]["events"]["sent"] == result["events"]["rejected"]
    assert_exactly_once(local_env, start, end)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--since", "91d"],
            "error: --since 91d reaches back more than 90 days; Miro's API serves only the last 90 days; for older audit logs use the CSV export",
        ),
        (["--since", "a month"], "error: --since 'a month' is not a duration"),
        (["--since", "30d", "--from", "2026-01-01"], "error: --since and --from cannot be used together"),
        (["--from", "the beginning"], "error: --from 'the beginning' is not a date or time"),
        (["--output", "yaml"], "error: Invalid value for '--output'"),
    ],
)
def test_bad_flags_give_one_line_and_exit_2_before_anything_is_touched(
    local_env: LocalEnv, args: list[str], message: str
) -> None:
    local_env.clear_requests()
    run = local_env.cli("backfill", "--env", "local", *args)
    assert run.code == 2
    assert run.errors[0].startswith(message), run.errors
    assert len(run.errors) == 2 and run.errors[1].startswith("hint: ")
    assert local_env.requests_log() == []


def test_a_from_older_than_90_days_gives_one_line_naming_the_csv_export(local_env: LocalEnv) -> None:
    start = iso(now(local_env) - dt.timedelta(days=100))
    local_env.clear_requests()
    run = local_env.cli("backfill", "--env", "local", "--from", start)
    assert run.code == 2
    assert run.errors[0].startswith(f"error: --from {start[:-5]}"), run.errors
    assert "for older audit logs use the CSV export" in run.errors[0]
    assert len(run.errors) == 2
    assert not [r for r in local_env.requests_log() if r["service"] in ("miro", "ingestion", "query")]


def test_a_backfill_stops_at_once_while_a_deploy_holds_the_environment(local_env: LocalEnv) -> None:
    local_env.clear_requests()
    with environment_lock(
        local_env.root / ".miro-sentinel" / "local",
        env_name="local",
        command="deploy",
        wait_seconds=0,
        progress=lambda _line: None,
    ):
        run = backfill(local_env, "--since", "1d")
    assert run.code == 3
    error = run.json()["error"]
    assert error["type"] == "EnvironmentLocked"
    assert error["message"].startswith(f"environment 'local' is locked by `miro-sentinel deploy` (pid {os.getpid()})")
    assert local_env.requests_log() == []  # neither Miro nor Azure was asked anything


def test_in_a_terminal_the_backfill_steps_live_line_carries_the_bar(local_env: LocalEnv) -> None:
    prepare(local_env, events_per_minute=0.05)
    start, end = past_range(local_env, days=2)
    run = local_env.cli_in_terminal(
        "backfill", "--env", "local", "--from", start, "--to", end, env={"CI": None}, columns=200
    )
    assert run.code == 0, run.stdout
    assert re.search(r"█{20} 3/3 windows, [\d,]+ fetched, .* events/s, credits [\d,]+/[\d,]+ a minute", run.stdout)
    assert not re.search(r"backfill: \d+/\d+ windows", run.stdout)  # no plain progress line beside the live one


@pytest.mark.extended
def test_progress_goes_to_stderr_as_plain_lines_outside_a_terminal(local_env: LocalEnv) -> None:
    prepare(local_env)
    start, end = past_range(local_env, days=2)
    run = backfill(local_env, "--from", start, "--to", end, "--output", "text")
    assert run.code == 0, run.stderr
    assert "backfill: 3/3 windows, " in run.stderr and " events/s, credits " in run.stderr
    assert "\x1b[" not in run.stderr  # no terminal control codes in a log
    assert run.stdout.splitlines()[-1].startswith("  checkpoint: ")
