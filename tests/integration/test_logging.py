"""Debug logs say what was asked of whom, with what answer; the canary token is in none of them.

The ``local_env`` fixture fails a test whose commands printed the canary token anywhere, or left it in any
file under the test's directory (settings, ``.miro-sentinel/``, the local cloud's state) or in a new
temporary file.
"""

from __future__ import annotations

import re

from tests.integration.conftest import CANARY, LocalEnv

SHORT_BUDGET = ("--set", "azure.retry_budget_seconds=2", "--set", "azure.max_attempts=3")
SDK_LINE = re.compile(r"^\S+ (DEBUG|INFO|WARNING) (azure|msal|urllib3)[\w.]*: ", re.MULTILINE)


def test_a_failing_deploy_with_debug_logs_each_request_and_step_but_never_the_token(local_env: LocalEnv) -> None:
    local_env.control("POST", "/faults", {"service": "ingestion", "drop": True})
    run = local_env.cli("--debug", "deploy", "--env", "local", *SHORT_BUDGET)
    assert run.code == 3
    log = run.stderr
    # Miro: method, URL without secrets, status, time.
    assert re.search(
        r"DEBUG deployer\.miro\.client: GET https://127\.0\.0\.1:\d+/\S*v1/oauth-token -> 200 in \d+ ms", log
    )
    # ARM through the SDK: every request with its status and request id.
    assert re.search(
        r"DEBUG deployer\.azure\.http: PUT https://127\.0\.0\.1:\d+/subscriptions/\S+/tables/MiroAuditLogs_CL"
        r"\?api-version=[\d-]+ -> 20\d in \d+ ms \(request id [\w-]+\)",
        log,
    )
    # Retries and the decision to stop.
    assert re.search(r"INFO deployer\.retry: sending 1 record\(s\) to stream \S+: connection dropped; retrying in", log)
    assert "giving up after 3 attempt(s)" in log
    # Steps, and the traceback --debug promises.
    assert re.search(r"DEBUG deployer\.pipeline: step apply: ok in [\d.]+ s", log)
    assert "Traceback (most recent call last)" in log
    assert not SDK_LINE.search(log), "the SDKs' loggers stay quiet without --debug-sdk"
    assert CANARY not in log + run.stdout


def test_the_sdks_lines_come_with_debug_sdk_and_are_masked(local_env: LocalEnv) -> None:
    local_env.control("POST", "/faults", {"service": "ingestion", "drop": True})
    run = local_env.cli("-vvv", "deploy", "--env", "local", *SHORT_BUDGET)
    assert run.code == 3
    assert SDK_LINE.search(run.stderr)
    assert "'Authorization': '********'" in run.stderr  # the SDK's header dump, masked
    assert local_env.info["client_secret"] not in run.stderr
    assert CANARY not in run.stderr + run.stdout


def test_without_flags_there_are_no_log_lines_at_all_on_success(local_env: LocalEnv) -> None:
    run = local_env.cli("deploy", "--env", "local")
    assert run.code == 0, run.stderr
    assert not re.search(r"^(DEBUG|INFO|WARNING)[: ]", run.stderr, re.MULTILINE), run.stderr
