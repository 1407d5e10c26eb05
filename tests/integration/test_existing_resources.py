"""Resources that exist before miro-sentinel touches them are adopted, named in the plan, never overwritten blindly.

The Content Hub's Miro solution creates ``MiroAuditLogs_CL`` in many workspaces; a principal may already
hold Monitoring Metrics Publisher on the DCR, granted by hand under another assignment name.
"""

from __future__ import annotations

import uuid
from typing import Any

from deployer.dcr.spec import load_spec
from deployer.resources import ALERT_RULE, HUNTING_QUERY, METRIC_ALERT, WORKBOOK
from tests.integration.conftest import LocalEnv
from tests.integration.test_deploy import WRITES, checks, deploy

TABLE = "MiroAuditLogs_CL"
PUBLISHER = "3913510d-42f4-4e42-8a64-420c390055eb"

#: How plans name the content resources (analytics rules, hunting queries, workbook, metric alerts).
CONTENT_NOUNS = tuple(k.noun + " " for k in (ALERT_RULE, HUNTING_QUERY, WORKBOOK, METRIC_ALERT))


def content_hub_table(**retyped: str) -> dict[str, Any]:
    """The table as the Content Hub solution creates it: our columns, its own (shorter) descriptions."""
    columns = [{"name": c.name, "type": retyped.get(c.name, c.type)} for c in load_spec().table.columns]
    return {"properties": {"schema": {"name": TABLE, "columns": columns}}}


def put_table(local_env: LocalEnv, body: dict[str, Any]) -> None:
    with local_env.arm() as arm:
        arm.put_table(local_env.info["resource_group"], local_env.info["workspace_name"], TABLE, body)


def plan(local_env: LocalEnv) -> list[dict[str, Any]]:
    run = local_env.cli("plan", "--env", "local", "--output", "json")
    assert run.code == 0, run.stderr
    planned: list[dict[str, Any]] = run.json()["plan"]
    return planned


def test_an_existing_content_hub_table_is_adopted_and_the_deploy_is_healthy(local_env: LocalEnv) -> None:
    put_table(local_env, content_hub_table())

    planned = plan(local_env)
    table = next(c for c in planned if c["address"] == f"table {TABLE}")
    assert table["action"] == "adopt"
    assert table["detail"].startswith("exists, not created by miro-sentinel: adopt existing; differs at ")
    assert "properties.schema.columns[0].description" in table["detail"]
    others = [c for c in planned if c is not table]
    assert {c["action"] for c in others} == {"create"}
    # Beside the table: the DCE, the DCR, its role, the connector definition and the connector, then the content.
    assert len([c for c in others if not c["address"].startswith(CONTENT_NOUNS)]) == 5

    document = deploy(local_env)
    assert document["changes"] == {"created": len(others), "updated": 0, "deleted": 0, "adopted": 1}
    assert checks(document)["table"]["status"] == "OK"
    assert plan(local_env) == []


def test_adopting_a_table_whose_column_types_differ_stops_before_any_write(local_env: LocalEnv) -> None:
    put_table(local_env, content_hub_table(event="dynamic"))

    planned = plan(local_env)
    table = next(c for c in planned if c["address"] == f"table {TABLE}")
    assert table["action"] == "adopt"
    assert "would change column types (event dynamic → string), which Azure refuses" in table["detail"]

    local_env.clear_requests()
    run = local_env.cli("deploy", "--env", "local")
    assert run.code == 2
    assert run.errors[0] == (
        f"error: Azure would refuse this deployment: table {TABLE}: would change column types "
        "(event dynamic → string), which Azure refuses; rename the table (table.name) or bring dcr/table.json in line with it"
    )
    writes = [r for r in local_env.requests_log() if r["service"] in ("arm", "sentinel") and r["method"] in WRITES]
    assert writes == []


def test_an_adopted_table_losing_columns_says_so(local_env: LocalEnv) -> None:
    body = content_hub_table()
    body["properties"]["schema"]["columns"].append({"name": "legacy_CF", "type": "string"})
    put_table(local_env, body)

    table = next(c for c in plan(local_env) if c["address"] == f"table {TABLE}")
    assert "removes columns legacy_CF (their data is no longer queryable)" in table["detail"]


def test_a_role_granted_by_hand_under_another_name_is_adopted_not_refused(local_env: LocalEnv) -> None:
    deploy(local_env)
    info = local_env.info
    principal = info["principal_object_id"]
    dcr = (
        f"/subscriptions/{info['subscription_id']}/resourceGroups/{info['resource_group']}"
        "/providers/Microsoft.Insights/dataCollectionRules/dcr-miro-audit-logs"
    )
    with local_env.arm() as arm:
        for assignment in arm.list_role_assignments(dcr, principal):
            if assignment["properties"]["scope"].lower() == dcr.lower():  # not the Owner role above it
                arm.delete_resource(assignment["id"], "2022-04-01")
        by_hand = f"{dcr}/providers/Microsoft.Authorization/roleAssignments/{uuid.uuid4()}"
        arm.put_resource(
            by_hand,
            "2022-04-01",
            {
                "properties": {
                    "roleDefinitionId": f"/subscriptions/{info['subscription_id']}/providers/Microsoft.Authorization/roleDefinitions/{PUBLISHER}",
                    "principalId": principal,
                    "principalType": "ServicePrincipal",
                }
            },
        )

    planned = plan(local_env)
    assert [(c["action"], c["address"]) for c in planned] == [
        ("adopt", f"role assignment Monitoring Metrics Publisher for {principal} on dcr-miro-audit-logs")
    ]
    assert planned[0]["detail"] == f"already granted by assignment {by_hand.rsplit('/', 1)[1]}; taken as is"

    document = deploy(local_env)
    assert document["status"] == "healthy"
    assert document["changes"]["adopted"] == 1


def test_a_workspace_with_the_content_hub_solution_installed_deploys_healthy(local_env: LocalEnv) -> None:
    local_env.control("POST", "/seed/content-hub-miro")

    table = next(c for c in plan(local_env) if c["address"] == f"table {TABLE}")
    assert table["action"] == "adopt"
    assert "would change column types" not in table["detail"]

    document = deploy(local_env)
    assert document["status"] == "healthy"
    assert document["changes"]["adopted"] == 1
    assert checks(document)["table"]["status"] == "OK"
    feeds = checks(document)["other_feeds"]  # the solution's own rule, which nothing sends to
    assert (feeds["status"], feeds["detail"]) == (
        "WARN",
        f"DCR MiroAuditLogsDCR also writes to {TABLE} (no Sentinel connector sends to it now, "
        "but anything that does stores events twice)",
    )
