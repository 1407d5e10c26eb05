"""`health` finds what changed behind our back, and what the connector sees, as a customer would."""

from __future__ import annotations

from typing import Any

from tests.integration.conftest import LocalEnv
from tests.integration.test_deploy import checks, deploy


def health(local_env: LocalEnv, *, token: bool = True) -> tuple[int, dict[str, Any]]:
    kwargs: dict[str, Any] = {} if token else {"token": None}
    run = local_env.cli("health", "--env", "local", "--output", "json", **kwargs)
    return run.code, run.json()


def test_a_transform_changed_through_arm_is_named_and_deploy_puts_it_back(local_env: LocalEnv) -> None:
    deploy(local_env)
    with local_env.arm() as arm:
        dcr = arm.get_dcr(local_env.info["resource_group"], "dcr-miro-audit-logs")
        flow = dcr["properties"]["dataFlows"][0]
        flow["transformKql"] = flow["transformKql"].replace(
            "context_ip = tostring(context.ip)", 'context_ip = "hidden"'
        )
        arm.put_dcr(
            local_env.info["resource_group"],
            "dcr-miro-audit-logs",
            {k: dcr[k] for k in ("location", "tags", "properties")},
        )

    code, report = health(local_env)
    assert code == 1
    dcr_check = checks({"health": report["health"]})["dcr"]
    assert dcr_check["status"] == "FAIL"
    assert dcr_check["detail"] == "dcr-miro-audit-logs differs from dcr/ at: the transform (transformKql)"

    planned = local_env.cli("plan", "--env", "local", "--output", "json").json()["plan"]
    assert [(c["action"], c["address"]) for c in planned] == [("update", "data collection rule dcr-miro-audit-logs")]
    assert "transformKql" in planned[0]["detail"]

    repaired = deploy(local_env)
    assert repaired["changes"] == {"created": 0, "updated": 1, "deleted": 0, "adopted": 0}
    assert checks(repaired)["dcr"]["status"] == "OK"


def test_a_column_removed_through_arm_is_named_column_by_column(local_env: LocalEnv) -> None:
    deploy(local_env)
    group, workspace = local_env.info["resource_group"], local_env.info["workspace_name"]
    with local_env.arm() as arm:
        table = arm.get_table(group, workspace, "MiroAuditLogs_CL")
        columns = [c for c in table["properties"]["schema"]["columns"] if c["name"] != "object_name"]
        columns.append({"name": "extra_CF", "type": "string"})
        arm.put_table(
            group,
            workspace,
            "MiroAuditLogs_CL",
            {"properties": {"schema": {"name": "MiroAuditLogs_CL", "columns": columns}}},
        )

    code, report = health(local_env)
    assert code == 1
    table_check = checks({"health": report["health"]})["table"]
    assert table_check["status"] == "FAIL"
    assert table_check["detail"] == "MiroAuditLogs_CL differs from dcr/table.json: missing object_name (string)"
    assert table_check["data"]["extra"] == ["extra_CF (string)"]


def test_a_token_revoked_after_deploy_shows_in_health_through_sentinel_health(local_env: LocalEnv) -> None:
    deploy(local_env)
    token_id = local_env.miro_token()["id"]
    local_env.control("PATCH", f"/miro/tokens/{token_id}", {"revoked": True})
    failures_before = local_env.poller().get("failures", 0)
    local_env.advance(minutes=10)  # two polling windows become due; both fetches get 401
    local_env.wait_until(lambda: local_env.poller().get("failures", 0) > failures_before, what="a refused fetch")

    code, report = health(local_env, token=False)
    assert code == 1
    found = checks({"health": report["health"]})
    assert found["fetch_failures"]["status"] == "FAIL"
    assert "last: Failure" in found["fetch_failures"]["detail"]
    assert "HTTP 401" in found["fetch_failures"]["detail"]
    assert "revoked" in found["fetch_failures"]["remedy"]
    assert found["miro_token"]["status"] == "SKIPPED"

    # With the (revoked) token at hand, the token check names the cause too.
    code, report = health(local_env)
    assert code == 1
    token_check = checks({"health": report["health"]})["miro_token"]
    assert token_check["status"] == "FAIL"
    assert token_check["detail"].startswith("Miro refused the token (401 unauthorized")


def test_health_before_any_deploy_fails_with_remedies(local_env: LocalEnv) -> None:
    code, report = health(local_env)
    assert code == 1
    found = checks({"health": report["health"]})
    assert found["table"]["status"] == "FAIL" and found["table"]["remedy"] == "run `miro-sentinel deploy` to create it"
    assert found["freshness"]["status"] == "SKIPPED"
