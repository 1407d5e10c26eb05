"""`deploy`, `plan`, `health`, `validate` and `destroy` against the local cloud, through the real CLI."""

from __future__ import annotations

import json
from typing import Any

import jsonschema
import pytest

from tests.integration.conftest import LocalEnv
from tests.support import REPO_ROOT

WRITES = {"PUT", "PATCH", "POST", "DELETE"}
AZURE_SERVICES = {"entra", "arm", "sentinel", "ingestion", "query"}
#: Our Sentinel content: 9 analytics rules, 4 hunting queries, the workbook, 2 metric alerts.
CONTENT = 16


def checks(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["id"]: c for c in document["health"]["checks"]}


def deploy(local_env: LocalEnv, *args: str) -> dict[str, Any]:
    run = local_env.cli("deploy", "--env", "local", "--output", "json", *args)
    assert run.code == 0, run.stderr
    return run.json()


def test_deploy_from_scratch_is_healthy(local_env: LocalEnv) -> None:
    document = deploy(local_env)
    jsonschema.validate(document, json.loads((REPO_ROOT / "docs/run.schema.json").read_text()))
    assert document["status"] == "healthy"
    assert document["changes"] == {"created": 6 + CONTENT, "updated": 0, "deleted": 0, "adopted": 0}
    assert [s["name"] for s in document["steps"]] == [
        "settings",
        "token",
        "preflight",
        "plan",
        "apply",
        "validation",
        "first poll",
        "health",
    ]
    assert document["validation"]["accepted"] and document["validation"]["visible"]
    assert document["validation"]["record_id"].startswith("miro-sentinel-validation-")
    assert {c["id"]: c["status"] for c in document["health"]["checks"]} == dict.fromkeys(
        [
            "settings",
            "miro_token",
            "table",
            "dce",
            "dcr",
            "role",
            "connector",
            "freshness",
            "fetch_failures",
            "dcr_metrics",
            "validation",
            "other_feeds",
            "content",
            "rule_runs",
        ],
        "OK",
    )
    # The connector polled the local Miro: real events arrived beside the validation record.
    assert checks(document)["freshness"]["data"]["events_in_lookback"] > 0


def test_second_deploy_writes_nothing(local_env: LocalEnv) -> None:
    deploy(local_env)
    local_env.clear_requests()
    document = deploy(local_env)
    assert document["plan"] == []
    assert document["changes"] == {"created": 0, "updated": 0, "deleted": 0, "adopted": 0}
    writes = [r for r in local_env.requests_log() if r["service"] in ("arm", "sentinel") and r["method"] in WRITES]
    assert writes == []


def test_a_basic_table_with_12_years_of_retention_deploys_and_stays_unchanged(local_env: LocalEnv) -> None:
    basic = ("--set", "table.plan=Basic", "--set", "table.total_retention_in_days=4383")

    first = deploy(local_env, *basic)
    second = deploy(local_env, *basic)

    assert first["status"] == "healthy"
    assert second["plan"] == []
    with local_env.arm() as arm:
        table = arm.get_table(local_env.info["resource_group"], local_env.info["workspace_name"], "MiroAuditLogs_CL")
    assert (table["properties"]["plan"], table["properties"]["totalRetentionInDays"]) == ("Basic", 4383)


def test_plan_names_the_drift_and_deploy_repairs_it(local_env: LocalEnv) -> None:
    deploy(local_env)
    drift = local_env.cli("plan", "--env", "local", "--output", "json").json()
    assert drift["plan"] == []
    local_env.control("POST", "/reset")  # everything gone behind our back
    again = local_env.cli("plan", "--env", "local", "--output", "json")
    assert again.code == 0
    assert [c["action"] for c in again.json()["plan"]] == ["create"] * (6 + CONTENT)


def test_destroy_needs_yes_without_a_terminal_and_then_leaves_nothing(local_env: LocalEnv) -> None:
    deploy(local_env)
    refused = local_env.cli("destroy", "--env", "local")
    assert refused.code == 2
    assert refused.errors[0] == (
        "error: refusing to destroy 'local' without confirmation: there is no terminal to ask, and --yes was not given"
    )
    done = local_env.cli("destroy", "--env", "local", "--yes", "--output", "json")
    assert done.code == 0, done.stderr
    assert done.json()["changes"] == {"created": 0, "updated": 0, "deleted": 6 + CONTENT, "adopted": 0}
    after = local_env.cli("destroy", "--env", "local", "--yes", "--output", "json").json()
    assert after["plan"] == [] and after["changes"]["deleted"] == 0
    planned = local_env.cli("plan", "--env", "local", "--output", "json").json()
    assert [c["action"] for c in planned["plan"]] == ["create"] * (6 + CONTENT)


@pytest.mark.parametrize(
    ("preset", "message"),
    [
        ("revoked", "error: Miro refused the token (401 unauthorized"),
        ("no_audit_scope", "error: the Miro token lacks the auditlogs:read scope (it has: boards:read, boards:write)"),
        ("not_enterprise", "error: Miro denied access to /v2/audit/logs (403"),
        ("not_company_admin", "error: Miro denied access to /v2/audit/logs (403"),
    ],
)
def test_a_bad_token_stops_deploy_before_azure_is_touched(local_env: LocalEnv, preset: str, message: str) -> None:
    local_env.register_canary(preset)
    local_env.clear_requests()
    run = local_env.cli("deploy", "--env", "local")
    assert run.code == 3
    assert run.errors[0].startswith(message), run.errors
    assert run.errors[-1].startswith("hint: ")
    assert {r["service"] for r in local_env.requests_log()} <= {"miro"}


def test_enterprise_and_admin_refusals_are_explained(local_env: LocalEnv) -> None:
    local_env.register_canary("not_enterprise")
    run = local_env.cli("check-token", "--env", "local")
    assert run.code == 3
    assert (
        "the organisation is not on the Enterprise plan, or the token was not issued by a Company Admin"
        in run.errors[0]
    )


def test_check_token_passes_for_a_good_token(local_env: LocalEnv) -> None:
    run = local_env.cli("check-token", "--env", "local", "--output", "json")
    assert run.code == 0, run.stderr
    token = run.json()["token"]
    assert token["scopes"] and "auditlogs:read" in token["scopes"]
    assert token["rate_limit_remaining"] is not None


def test_rate_limited_beyond_the_budget_is_an_external_failure(local_env: LocalEnv) -> None:
    local_env.control(
        "POST", "/miro/faults", {"kind": "status", "status": 429, "operation": "token_info", "retry_after": 30}
    )
    local_env.clear_requests()
    run = local_env.cli("check-token", "--env", "local")
    assert run.code == 3
    assert run.errors[0].startswith("error: Miro's rate limit is spent (429 tooManyRequests")
    assert "beyond the retry budget" in run.errors[0]
    assert [r["service"] for r in local_env.requests_log()] == ["miro"]


def test_miro_down_is_retried_then_reported(local_env: LocalEnv) -> None:
    local_env.control("POST", "/miro/faults", {"kind": "status", "status": 503, "operation": "token_info"})
    local_env.clear_requests()
    run = local_env.cli("check-token", "--env", "local")
    assert run.code == 3
    assert run.errors[0].startswith("error: Miro failed with 503 on /v1/oauth-token")
    assert len(local_env.requests_log()) == 3  # miro.max_attempts in the test settings


def test_missing_role_is_retried_until_it_propagates(local_env: LocalEnv) -> None:
    # 10 emulated minutes before a new role assignment is honoured: 5 real seconds at 120x.
    local_env.control("PATCH", "/settings", {"role_propagation_seconds": 3000})
    document = deploy(local_env)
    validation = document["validation"]
    assert validation["visible"]
    assert validation["forbidden_retries"] >= 1
    assert "IsRbacPresent" in local_env.outputs[-1] or "no role on the DCR yet" in local_env.outputs[-1]


def test_a_record_that_never_becomes_visible_fails_with_exit_1(local_env: LocalEnv) -> None:
    local_env.control("PATCH", "/settings", {"ingestion_latency_seconds": 10**7})
    run = local_env.cli(
        "deploy", "--env", "local", "--output", "json", "--set", "validation.visibility_timeout_seconds=2"
    )
    assert run.code == 1
    document = run.json()
    assert document["status"] == "unhealthy"
    validation = checks(document)["validation"]
    assert validation["status"] == "FAIL"
    assert validation["detail"] == "accepted (204) but not visible in MiroAuditLogs_CL after 2 s"
    assert "visibility_timeout_seconds" in validation["remedy"]


def test_validate_alone_sends_and_finds_a_record(local_env: LocalEnv) -> None:
    deploy(local_env)
    run = local_env.cli("validate", "--env", "local", "--output", "json", token=None)
    assert run.code == 0, run.stderr
    assert run.json()["validation"]["visible"] is True


def test_the_local_cloud_works_without_a_token_of_ours(local_env: LocalEnv) -> None:
    run = local_env.cli("deploy", "--env", "local", "--output", "json", token=None)
    assert run.code == 0, run.stderr
    assert run.json()["token"]["organization_name"]


def test_a_rotation_whose_connector_write_failed_is_retried_by_the_next_deploy(local_env: LocalEnv) -> None:
    deploy(local_env)
    rotate = ("--set", "miro.token_version=2")
    local_env.control(
        "POST",
        "/faults",
        {"method": "PUT", "path": "/dataConnectors/MiroSentinelAuditLogsPoller$", "status": 400, "message": "refused"},
    )
    failed = local_env.cli("deploy", "--env", "local", *rotate)
    assert failed.code == 3
    assert failed.errors[0].startswith("error: Azure rejected the request (400 "), failed.errors
    local_env.control("DELETE", "/faults")

    planned = local_env.cli("plan", "--env", "local", "--output", "json", *rotate).json()["plan"]
    assert [(c["action"], c["address"], c["detail"]) for c in planned] == [
        (
            "update",
            "data connector MiroSentinelAuditLogsPoller",
            "differs at token (miro.token_version is now 2)",
        )
    ]
    local_env.clear_requests()
    assert deploy(local_env, *rotate)["status"] == "healthy"
    writes = [(r["method"], r["path"].rsplit("/", 2)[-2]) for r in local_env.requests_log() if r["method"] == "PUT"]
    assert writes == [("PUT", "dataConnectors"), ("PUT", "dataCollectionRules")]
    assert local_env.cli("plan", "--env", "local", "--output", "json", *rotate).json()["plan"] == []
