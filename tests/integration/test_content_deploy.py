"""Our Sentinel content through the real CLI: disabling rules, drift repaired, health, and Azure's refusals named."""

from __future__ import annotations

from typing import Any

import pytest

from deployer.content.bodies import ALERT_RULES_API
from deployer.errors import AzureRequestRejected
from tests.integration.conftest import LocalEnv
from tests.integration.test_deploy import WRITES, checks, deploy

RULES = "/providers/Microsoft.SecurityInsights/alertRules"
SILENT = "dc056b8d-6eef-4232-9452-2cfc8e00a728"  # content/rules/miro-events-silent.yaml


def rule(local_env: LocalEnv, name: str) -> dict[str, Any]:
    with local_env.arm() as arm:
        return dict(arm.request("GET", f"{local_env.info['workspace_resource_id']}{RULES}/{name}", ALERT_RULES_API))


def plan(local_env: LocalEnv, *args: str) -> list[dict[str, Any]]:
    run = local_env.cli("plan", "--env", "local", "--output", "json", *args)
    assert run.code == 0, run.stderr
    return list(run.json()["plan"])


def test_disabling_one_rule_updates_that_rule_only_and_writes_it_disabled(local_env: LocalEnv) -> None:
    deploy(local_env)
    disable = ("--set", "content.disabled_rules=miro-events-silent")

    planned = plan(local_env, *disable)
    done = deploy(local_env, *disable)

    assert [(c["action"], c["address"]) for c in planned] == [("update", "analytics rule miro-events-silent")]
    assert "properties.enabled" in planned[0]["detail"]
    assert done["changes"] == {"created": 0, "updated": 1, "deleted": 0, "adopted": 0}
    assert rule(local_env, SILENT)["properties"]["enabled"] is False
    assert checks(done)["content"]["status"] == "OK"
    assert deploy(local_env, *disable)["plan"] == []


def test_disabling_the_whole_set_writes_every_rule_and_metric_alert_disabled(local_env: LocalEnv) -> None:
    deploy(local_env)

    done = deploy(local_env, "--set", "content.enabled=false")

    updated = sorted(c["address"].split(" ", 2)[0] + " " + c["address"].split(" ", 2)[1] for c in done["plan"])
    assert done["changes"] == {"created": 0, "updated": 11, "deleted": 0, "adopted": 0}
    assert updated == ["analytics rule"] * 9 + ["metric alert"] * 2
    assert checks(done)["rule_runs"]["status"] == "SKIPPED"


def test_a_rule_changed_in_the_portal_fails_health_and_deploy_puts_it_back(local_env: LocalEnv) -> None:
    deploy(local_env)
    current = rule(local_env, SILENT)
    changed = {"kind": "Scheduled", "properties": {**current["properties"], "severity": "Low", "enabled": False}}
    with local_env.arm() as arm:
        arm.request("PUT", f"{local_env.info['workspace_resource_id']}{RULES}/{SILENT}", ALERT_RULES_API, body=changed)

    health = local_env.cli("health", "--env", "local", "--output", "json")
    repaired = deploy(local_env)

    assert health.code == 1
    content = checks(health.json())["content"]
    assert content["status"] == "FAIL"
    assert content["detail"] == "analytics rule miro-events-silent is disabled, but the settings enable it"
    assert repaired["changes"]["updated"] == 1
    assert rule(local_env, SILENT)["properties"]["severity"] == "Medium"


def test_azure_refuses_a_rule_whose_query_does_not_compile_and_the_deployer_says_why(local_env: LocalEnv) -> None:
    deploy(local_env)
    body = rule(local_env, SILENT)
    broken = {"kind": "Scheduled", "properties": {**body["properties"], "query": "MiroAuditLog_CL | take 1"}}

    with local_env.arm() as arm, pytest.raises(AzureRequestRejected) as refused:
        arm.request("PUT", f"{local_env.info['workspace_resource_id']}{RULES}/{SILENT}", ALERT_RULES_API, body=broken)

    assert refused.value.message == (
        "Azure rejected the request (400 BadRequest): Failed to run the analytics rule query. One of the tables does not exist."
    )


def test_redeploying_content_writes_nothing_and_destroy_removes_it(local_env: LocalEnv) -> None:
    deploy(local_env)
    local_env.clear_requests()

    again = deploy(local_env)
    writes = [r for r in local_env.requests_log() if r["method"] in WRITES and r["service"] in ("arm", "sentinel")]
    destroyed = local_env.cli("destroy", "--env", "local", "--yes", "--output", "json").json()

    assert again["plan"] == [] and writes == []
    deleted = [c["address"] for c in destroyed["plan"]]
    assert deleted[:16] == [a for a in deleted if a.split(" ")[0] in ("analytics", "hunting", "workbook", "metric")]
    state = local_env.control("GET", "/state")["resources"]
    assert [
        r["type"] for r in state if r["type"].endswith(("alertRules", "savedSearches", "workbooks", "metricAlerts"))
    ] == []
