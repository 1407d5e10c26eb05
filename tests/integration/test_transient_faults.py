"""Dropped connections on each Azure service: retried within the budget, then exit 3 with a remedy; never "a bug"."""

from __future__ import annotations

from typing import Any

import pytest

from tests.integration.conftest import LocalEnv, Run
from tests.integration.test_deploy import checks, deploy

#: The emulator's service names for Entra ID, ARM, the Logs Ingestion API and the query API.
SERVICES = ["entra", "arm", "ingestion", "query"]

#: A small budget, so that a fault that never clears ends the run quickly.
SHORT_BUDGET = ("--set", "azure.retry_budget_seconds=3", "--set", "azure.max_attempts=3")


def drop(local_env: LocalEnv, service: str, count: int | None = None) -> dict[str, Any]:
    spec: dict[str, Any] = {"service": service, "drop": True}
    if count is not None:
        spec["count"] = count
    fault: dict[str, Any] = local_env.control("POST", "/faults", spec)
    return fault


def hits(local_env: LocalEnv, fault: dict[str, Any]) -> int:
    return int(local_env.control("GET", f"/faults/{fault['id']}")["hits"])


def no_bug(run: Run) -> None:
    said = (run.stdout + run.stderr).replace("--debug", "").lower()
    assert " bug" not in said and "traceback" not in said


@pytest.mark.parametrize("service", SERVICES)
def test_one_dropped_connection_is_retried_and_the_deploy_succeeds(local_env: LocalEnv, service: str) -> None:
    fault = drop(local_env, service, count=1)
    run = local_env.cli("deploy", "--env", "local", "--output", "json")
    assert run.code == 0, run.stderr
    assert hits(local_env, fault) == 1
    assert run.json()["status"] == "healthy"


@pytest.mark.parametrize(
    ("service", "first_line"),
    [
        ("entra", "error: Entra ID could not be reached (connection dropped) while "),
        ("arm", "error: cannot reach Azure while reading table MiroAuditLogs_CL (connection dropped)"),
        ("ingestion", "error: cannot reach Azure while sending to the Logs Ingestion API (connection dropped)"),
        ("query", "error: cannot reach Azure while querying Log Analytics (connection dropped)"),
    ],
)
def test_a_fault_that_does_not_clear_ends_in_exit_3_with_a_remedy(
    local_env: LocalEnv, service: str, first_line: str
) -> None:
    fault = drop(local_env, service)
    run = local_env.cli("deploy", "--env", "local", *SHORT_BUDGET)
    assert run.code == 3
    assert run.errors[0].startswith(first_line), run.errors
    hint = run.errors[-1]
    assert hint.startswith("hint: ")
    assert "run again" in hint
    assert "az login" not in hint  # an unreachable service is not a sign-in problem
    assert hits(local_env, fault) >= 2  # it was retried before giving up
    no_bug(run)


def test_a_health_check_that_cannot_run_is_skipped_saying_why(local_env: LocalEnv) -> None:
    deploy(local_env)
    drop(local_env, "query")
    run = local_env.cli("health", "--env", "local", "--output", "json", *SHORT_BUDGET)
    assert run.code == 3  # unknown: a system failed before a verdict
    found = checks(run.json())
    for check_id in ("freshness", "fetch_failures"):
        assert found[check_id]["status"] == "SKIPPED"
        assert found[check_id]["detail"] == (
            "could not check: cannot reach Azure while querying Log Analytics (connection dropped)"
        )
        assert "run again" in found[check_id]["remedy"]
    assert found["dcr"]["status"] == "OK"  # ARM still answers
    no_bug(run)


def test_arm_dropping_during_health_skips_its_checks(local_env: LocalEnv) -> None:
    deploy(local_env)
    local_env.control(
        "POST", "/faults", {"service": "arm", "drop": True, "method": "GET", "path": "dataCollectionRules"}
    )
    run = local_env.cli("health", "--env", "local", "--output", "json", *SHORT_BUDGET)
    assert run.code == 3
    found = checks(run.json())
    assert found["dcr"]["status"] == "SKIPPED"
    assert found["dcr"]["detail"].startswith("could not check: cannot reach Azure while reading DCR ")
    assert found["table"]["status"] == "OK"
    no_bug(run)
