"""ARM bodies built from dcr/: what the arm engine sends (Terraform's equality is in tests/terraform)."""

from __future__ import annotations

import json
import uuid

import pytest

from deployer.dcr import bodies
from deployer.dcr.spec import load_spec

SPEC = load_spec()


def test_dcr_routes_the_stream_through_the_transform_into_the_table() -> None:
    body = bodies.dcr_body(
        SPEC,
        location="westeurope",
        dce_id="/dce",
        workspace_resource_id="/ws",
        tags={"owner": "secops"},
        token_version="3",
    )
    props = body["properties"]
    assert props["dataCollectionEndpointId"] == "/dce"
    assert list(props["streamDeclarations"]) == ["Custom-MiroAuditLogs_CL"]
    [flow] = props["dataFlows"]
    assert flow == {
        "streams": ["Custom-MiroAuditLogs_CL"],
        "destinations": [bodies.DCR_DESTINATION_NAME],
        "transformKql": SPEC.transform,
        "outputStream": "Custom-MiroAuditLogs_CL",
    }
    assert body["tags"] == {"owner": "secops", "managed-by": "miro-sentinel", bodies.TOKEN_VERSION_TAG: "3"}


@pytest.mark.parametrize(
    ("plan", "retention", "total", "sent"),
    [
        ("Analytics", 90, 365, {"retentionInDays": 90, "totalRetentionInDays": 365}),
        ("Analytics", -1, -1, {}),
        ("Analytics", -1, 730, {"totalRetentionInDays": 730}),
        ("Analytics", 30, -1, {"retentionInDays": 30}),
        ("Basic", -1, 4383, {"totalRetentionInDays": 4383}),
        ("Basic", -1, -1, {}),
        ("Auxiliary", -1, 365, {"totalRetentionInDays": 365}),
    ],
)
def test_table_retention_of_minus_one_and_basic_retention_are_left_to_azure(
    plan: str, retention: int, total: int, sent: dict[str, int]
) -> None:
    # -1 means Azure's default; retentionInDays is read-only for Basic and Auxiliary tables (30 days).
    properties = bodies.table_body(SPEC, plan=plan, retention_in_days=retention, total_retention_in_days=total)[
        "properties"
    ]

    assert {k: v for k, v in properties.items() if k not in ("schema", "plan")} == sent
    assert properties["plan"] == plan


def test_managed_by_tag_cannot_be_overridden() -> None:
    assert bodies.dce_body(location="x", tags={"managed-by": "someone"})["tags"]["managed-by"] == "miro-sentinel"


def test_connector_body_carries_no_token_and_points_at_our_dcr() -> None:
    body = bodies.connector_body(
        SPEC,
        definition_name="MiroSentinelAuditLogs",
        dce_logs_ingestion_endpoint="https://dce.example.ingest.monitor.azure.com",
        dcr_immutable_id="dcr-0123",
        miro_api_base_url="https://api.miro.com/",
    )
    assert body["kind"] == "RestApiPoller"
    props = body["properties"]
    assert props["dcrConfig"] == {
        "dataCollectionEndpoint": "https://dce.example.ingest.monitor.azure.com",
        "dataCollectionRuleImmutableId": "dcr-0123",
        "streamName": "Custom-MiroAuditLogs_CL",
    }
    assert props["request"]["apiEndpoint"] == "https://api.miro.com/v2/audit/logs"
    assert props["paging"]["nextPageTokenJsonPath"] == "$.cursor"
    assert props["auth"] == {"type": "APIKey", "ApiKeyName": "Authorization", "IsAPIKeyInPostPayload": False}
    assert "Bearer" not in json.dumps(body)


def test_connector_secret_holds_only_the_bearer_header_value() -> None:
    assert bodies.connector_secret("t0k") == {"properties": {"auth": {"APIKey": "Bearer t0k"}}}


def test_definition_names_the_table_everywhere() -> None:
    body = bodies.connector_definition_body(SPEC, definition_name="MyDefinition")
    ui = body["properties"]["connectorUiConfig"]
    assert ui["id"] == "MyDefinition"
    assert ui["graphQueriesTableName"] == "MiroAuditLogs_CL"
    assert ui["dataTypes"][0]["lastDataReceivedQuery"].startswith("MiroAuditLogs_CL\n")


def test_role_assignment_name_is_a_stable_guid() -> None:
    first = bodies.role_assignment_name("/subscriptions/S/x", "ABC")
    assert first == bodies.role_assignment_name("/SUBSCRIPTIONS/s/X", "abc")
    assert uuid.UUID(first).version == 5
    assert first != bodies.role_assignment_name("/subscriptions/S/x", "other")


def test_template_refuses_missing_placeholders_and_unsafe_values() -> None:
    with pytest.raises(ValueError, match=r"placeholder \$\{name\} has no value"):
        bodies.render_template('{"a": "${name}"}', {})
    with pytest.raises(ValueError, match="contains a quote, backslash or control character"):
        bodies.render_template('{"a": "${name}"}', {"name": 'x", "b": "y'})


def test_jsonpath_dollars_are_not_placeholders() -> None:
    assert bodies.render_template('{"p": "$.data", "q": "${v}"}', {"v": "1"}) == {"p": "$.data", "q": "1"}


def test_a_role_assignment_without_a_known_principal_type_leaves_it_to_azure() -> None:
    body = bodies.role_assignment_body(subscription_id="S", principal_id="P", principal_type="")
    assert body == {
        "properties": {
            "roleDefinitionId": f"/subscriptions/S/providers/Microsoft.Authorization/roleDefinitions/{bodies.MONITORING_METRICS_PUBLISHER_ROLE_ID}",
            "principalId": "P",
        }
    }
    typed = bodies.role_assignment_body(subscription_id="S", principal_id="P", principal_type="User")
    assert typed["properties"]["principalType"] == "User"


def test_the_table_body_declares_every_column_with_its_plan_and_retention() -> None:
    body = bodies.table_body(SPEC, plan="Analytics", retention_in_days=30, total_retention_in_days=365)

    assert body == {
        "properties": {
            "schema": {
                "name": "MiroAuditLogs_CL",
                "description": SPEC.table.description,
                "columns": [{"name": c.name, "type": c.type, "description": c.description} for c in SPEC.table.columns],
            },
            "plan": "Analytics",
            "retentionInDays": 30,
            "totalRetentionInDays": 365,
        }
    }
    assert body["properties"]["schema"]["columns"][0] == {
        "name": "TimeGenerated",
        "type": "datetime",
        "description": SPEC.table.columns[0].description,
    }


def test_the_dce_body_is_a_public_ingestion_endpoint_with_our_tags() -> None:
    assert bodies.dce_body(location="westeurope", tags={"owner": "secops"}) == {
        "location": "westeurope",
        "tags": {"owner": "secops", "managed-by": "miro-sentinel"},
        "properties": {
            "description": "Logs ingestion endpoint for Miro audit events (miro-sentinel).",
            "networkAcls": {"publicNetworkAccess": "Enabled"},
        },
    }


def test_the_dcr_body_declares_the_stream_and_sends_it_to_the_workspace() -> None:
    body = bodies.dcr_body(
        SPEC, location="westeurope", dce_id="/dce", workspace_resource_id="/ws", tags={}, token_version="1"
    )

    assert body["location"] == "westeurope"
    props = body["properties"]
    assert props["description"] == "Miro audit events into the custom table (miro-sentinel)."
    assert props["streamDeclarations"] == {
        "Custom-MiroAuditLogs_CL": {"columns": [{"name": c.name, "type": c.type} for c in SPEC.stream.columns]}
    }
    assert props["streamDeclarations"]["Custom-MiroAuditLogs_CL"]["columns"][0] == {"name": "id", "type": "string"}
    assert props["destinations"] == {"logAnalytics": [{"workspaceResourceId": "/ws", "name": "sentinelWorkspace"}]}


def test_the_connector_calls_miro_without_a_doubled_slash() -> None:
    body = bodies.connector_body(
        SPEC,
        definition_name="D",
        dce_logs_ingestion_endpoint="https://dce",
        dcr_immutable_id="dcr-1",
        miro_api_base_url="https://127.0.0.1:8443/miro/",
    )

    assert body["properties"]["request"]["apiEndpoint"] == "https://127.0.0.1:8443/miro/v2/audit/logs"


def test_the_role_assignment_name_is_uuid5_of_the_lowercased_scope_principal_and_role() -> None:
    # The value Terraform's uuidv5("url", lower("/subscriptions/s/x|abc|role")) gives too.
    expected = "6cbd0ee0-fb8d-5711-afa0-3cbbb2e8a244"

    assert bodies.role_assignment_name("/subscriptions/s/x", "abc", "role") == expected
    assert bodies.role_assignment_name("/SUBSCRIPTIONS/S/X", "ABC", "ROLE") == expected
