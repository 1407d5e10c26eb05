"""Preflight, through the real CLI, against the local cloud put in each failing state by Azure's own operations.

The same operations (deleting ``onboardingStates/default``, unregistering a resource provider) reproduce
each state on a real tenant.
"""

from __future__ import annotations

from typing import Any

from tests.integration.conftest import LocalEnv
from tests.integration.test_deploy import WRITES, deploy

SENTINEL_API = "2025-09-01"
RESOURCES_API = "2025-04-01"


def onboarding_state(local_env: LocalEnv) -> str:
    info = local_env.info
    return (
        f"/subscriptions/{info['subscription_id']}/resourceGroups/{info['resource_group']}/providers/"
        f"Microsoft.OperationalInsights/workspaces/{info['workspace_name']}/providers/"
        "Microsoft.SecurityInsights/onboardingStates/default"
    )


def writes(local_env: LocalEnv) -> list[dict[str, Any]]:
    return [r for r in local_env.requests_log() if r["service"] in ("arm", "sentinel") and r["method"] in WRITES]


def test_the_local_cloud_meets_every_prerequisite(local_env: LocalEnv) -> None:
    run = local_env.cli("preflight", "--env", "local", "--output", "json")

    assert run.code == 0, run.stderr
    checks = {c["id"]: c for c in run.json()["preflight"]}
    assert {k: c["status"] for k, c in checks.items()} == dict.fromkeys(
        ["providers", "region", "sentinel", "role_rights"], "ok"
    )


def test_a_workspace_without_sentinel_stops_deploy_at_preflight_and_deploys_once_onboarded(
    local_env: LocalEnv,
) -> None:
    with local_env.arm() as arm:
        arm.delete_resource(onboarding_state(local_env), SENTINEL_API)
    local_env.clear_requests()

    run = local_env.cli("deploy", "--env", "local", "--output", "json")

    assert run.code == 3
    assert run.errors == [
        f"error: Microsoft Sentinel: not enabled on workspace {local_env.info['workspace_name']}; add Microsoft "
        "Sentinel to the workspace (portal: Microsoft Sentinel > Create), or set workspace.onboard_sentinel = true "
        "with the terraform engine",
        "hint: fix each line above, then run `miro-sentinel preflight --env local`",
    ]
    document = run.json()
    assert [(s["name"], s["status"]) for s in document["steps"]][-1] == ("preflight", "failed")
    assert document["plan"] is None
    assert writes(local_env) == []

    with local_env.arm() as arm:
        arm.put_resource(onboarding_state(local_env), SENTINEL_API, {"properties": {}})
    assert deploy(local_env)["status"] == "healthy"


def test_plan_runs_the_same_preflight(local_env: LocalEnv) -> None:
    with local_env.arm() as arm:
        arm.delete_resource(onboarding_state(local_env), SENTINEL_API)

    run = local_env.cli("plan", "--env", "local")

    assert run.code == 3
    assert run.errors[0].startswith("error: Microsoft Sentinel: not enabled on workspace ")


def test_an_unregistered_resource_provider_stops_deploy_at_preflight_until_it_is_registered(
    local_env: LocalEnv,
) -> None:
    providers = f"/subscriptions/{local_env.info['subscription_id']}/providers/Microsoft.SecurityInsights"
    with local_env.arm() as arm:
        arm.request("POST", f"{providers}/unregister", RESOURCES_API)
    local_env.clear_requests()

    run = local_env.cli("deploy", "--env", "local")

    assert run.code == 3
    assert run.errors == [
        f"error: Resource providers: not registered in subscription {local_env.info['subscription_id']}: "
        "Microsoft.SecurityInsights (NotRegistered); run `az provider register --namespace Microsoft.SecurityInsights` "
        "(Contributor on the subscription), then wait until it shows Registered",
        "hint: fix each line above, then run `miro-sentinel preflight --env local`",
    ]
    assert writes(local_env) == []

    with local_env.arm() as arm:
        arm.request("POST", f"{providers}/register", RESOURCES_API)
    assert deploy(local_env)["status"] == "healthy"
