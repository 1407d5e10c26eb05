"""Guidance that fits the failure: Entra failing is not a sign-in problem, one rate-limit wait, one 403 line, a hint."""

from __future__ import annotations

import json
import queue
import re
import subprocess
import threading
import time

from tests.integration.conftest import LocalEnv
from tests.integration.test_deploy import checks, deploy

SHORT_BUDGET = ("--set", "azure.retry_budget_seconds=2", "--set", "azure.max_attempts=2")
SDK_NOISE = re.compile(
    r"ClientSecretCredential|DefaultAzureCredential|azure\.(identity|core|mgmt|monitor)|msal|urllib3|Retrying"
)


def test_entra_failing_on_its_side_does_not_ask_to_sign_in_and_makes_no_sdk_noise(local_env: LocalEnv) -> None:
    local_env.control("POST", "/faults", {"service": "entra", "status": 500})
    run = local_env.cli("deploy", "--env", "local", *SHORT_BUDGET)
    assert run.code == 3
    assert run.errors[0].startswith("error: Entra ID failed on its side (500) while "), run.errors
    assert "az login" not in run.errors[-1]
    assert "status.azure.com" in run.errors[-1]
    assert not [line for line in run.stderr.splitlines() if SDK_NOISE.search(line)], run.stderr


def test_the_sdks_own_lines_appear_with_debug_sdk_masked(local_env: LocalEnv) -> None:
    local_env.control("POST", "/faults", {"service": "entra", "status": 500})
    run = local_env.cli("--debug-sdk", "check-token", "--env", "local")  # no Azure call: a clean run
    assert run.code == 0, run.stderr
    run = local_env.cli("--debug-sdk", "plan", "--env", "local", *SHORT_BUDGET)
    assert run.code == 3
    assert "azure.identity" in run.stderr or "azure.core" in run.stderr
    assert local_env.info["client_secret"] not in run.stderr


def test_a_refused_credential_still_asks_to_sign_in(local_env: LocalEnv) -> None:
    server = local_env.root / "state" / "server.json"
    info = json.loads(server.read_text())
    server.write_text(json.dumps({**info, "client_secret": "not-the-secret-0000"}))
    run = local_env.cli("plan", "--env", "local", *SHORT_BUDGET)
    assert run.code == 3
    assert run.errors[0].startswith("error: Azure refused the credential while "), run.errors
    assert "AADSTS7000215" in run.errors[0]
    assert run.errors[-1].startswith("hint: sign in (az login")


def test_a_miro_rate_limit_gives_one_wait_said_the_same_way_twice(local_env: LocalEnv) -> None:
    # Miro's Retry-After is unconfirmed: without it the wait comes from X-RateLimit-Reset, on the local
    # cloud's clock, which runs far ahead of this one; a per-minute budget never needs more than a minute.
    local_env.control("POST", "/miro/faults", {"kind": "status", "status": 429, "operation": "token_info"})
    run = local_env.cli("check-token", "--env", "local")
    assert run.code == 3
    said = re.search(r"it resets in about (\d+) s, beyond the retry budget of 5 s$", run.errors[0])
    assert said is not None, run.errors
    seconds = int(said.group(1))
    assert 1 <= seconds <= 61
    assert run.errors[-1].startswith(f"hint: wait about {seconds} s and run again")


def test_role_propagation_retries_back_off_on_one_progress_line(local_env: LocalEnv) -> None:
    # 10 emulated minutes before a new role assignment is honoured: 5 real seconds at 120x.
    local_env.control("PATCH", "/settings", {"role_propagation_seconds": 600})
    document = deploy(local_env)
    retries = document["validation"]["forbidden_retries"]
    assert retries >= 2
    assert retries <= 8  # a fixed 0.2 s interval would have made about 25 tries in 5 s
    lines = [line for line in local_env.outputs[-1].splitlines() if line.startswith("validation: 403")]
    assert len(lines) == 1, lines
    assert lines[0].startswith("validation: 403, retry 1 in ")
    assert lines[0].endswith("; new role assignments take up to 30 minutes")


def test_a_403_that_outlasts_the_wait_ends_with_a_hint(local_env: LocalEnv) -> None:
    local_env.control("PATCH", "/settings", {"role_propagation_seconds": 10**7})
    run = local_env.cli(
        "deploy", "--env", "local", "--set", "validation.role_propagation_timeout_seconds=1", "--output", "json"
    )
    assert run.code == 1
    assert checks(run.json())["validation"]["status"] == "FAIL"
    verdict = [line for line in run.stderr.splitlines() if line.startswith(("unhealthy: ", "hint: "))]
    assert verdict[0].startswith("unhealthy: validation record: still refused after 1 s: ")
    assert verdict[1].startswith("hint: grant Monitoring Metrics Publisher on the DCR to the principal")


def test_deploy_waits_for_a_fresh_poll_after_a_miro_fault_clears(local_env: LocalEnv) -> None:
    deploy(local_env)
    fault = local_env.control("POST", "/miro/faults", {"kind": "status", "status": 500, "operation": "audit_logs"})
    deadline = time.monotonic() + 120
    while local_env.poller().get("last_status") != "Failure":
        assert time.monotonic() < deadline, f"the poller never failed: {local_env.poller()}"
        local_env.advance(minutes=5)
        time.sleep(0.2)
    # The fault clears, but the poller has not fetched again when the next deploy reaches its first-poll step.
    local_env.control("POST", "/ccf/pause")
    local_env.control("DELETE", f"/miro/faults/{fault['id']}")
    process = local_env.popen("deploy", "--env", "local", "--output", "json")
    lines = stderr_lines(process)
    try:
        seen = next_line(lines, "first poll…", timeout=150)
        assert seen, "the deploy never reached its first-poll step"
        # Had the step taken the failed fetch from before the deploy for its answer, health would follow at once.
        assert not next_line(lines, "health…", timeout=3)
        local_env.control("POST", "/ccf/resume")
        out, _ = process.communicate(timeout=150)
    finally:
        local_env.control("POST", "/ccf/resume")
        if process.poll() is None:
            process.kill()
            process.communicate()
    local_env.outputs.append(out)
    assert process.returncode == 0
    document = json.loads(out)
    assert checks(document)["fetch_failures"]["status"] in ("OK", "WARN")
    assert "last fetch: Success" in next(s for s in document["steps"] if s["name"] == "first poll")["detail"]


def stderr_lines(process: subprocess.Popen[str]) -> queue.Queue[str]:
    """The process's stderr, line by line, read in a thread so a test can wait for a line with a timeout."""
    lines: queue.Queue[str] = queue.Queue()

    def read() -> None:
        assert process.stderr is not None
        for line in process.stderr:
            lines.put(line.rstrip("\n"))

    threading.Thread(target=read, daemon=True).start()
    return lines


def next_line(lines: queue.Queue[str], wanted: str, *, timeout: float) -> bool:
    """Whether a line equal to ``wanted`` arrives within ``timeout`` seconds (earlier lines are skipped)."""
    deadline = time.monotonic() + timeout
    while (left := deadline - time.monotonic()) > 0:
        try:
            if lines.get(timeout=left) == wanted:
                return True
        except queue.Empty:
            return False
    return False
