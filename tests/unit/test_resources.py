"""The one resource table: what both engines deploy, under which ARM type, api-version and Terraform address."""

from __future__ import annotations

import re

from deployer import resources
from deployer.content.bodies import content_resources
from deployer.dcr.spec import load_spec
from deployer.resources import Deployment
from tests.support import REPO_ROOT, sample_target

TARGET = sample_target()
#: The pipeline's resources (table to connector) come first; our Sentinel content follows.
PIPELINE = 6


def terraform_resources() -> dict[str, str]:
    """``{"module.pipeline.azapi_resource.<name>": "<type>@<api-version>"}`` from the pipeline module."""
    found = {}
    for path in (REPO_ROOT / "terraform" / "modules" / "pipeline").glob("*.tf"):
        text = path.read_text(encoding="utf-8")
        for name, body in re.findall(r'resource "azapi_resource" "(\w+)" \{(.*?)\n\}', text, flags=re.S):
            found[f"module.pipeline.azapi_resource.{name}"] = re.search(r'type\s*=\s*"([^"]+)"', body).group(1)  # type: ignore[union-attr]
    return found


def test_every_kind_is_the_terraform_resource_of_the_same_type_and_api_version() -> None:
    declared = terraform_resources()
    for kind in resources.KINDS:
        resource = kind.terraform_address.removesuffix("[0]")  # a resource with count (role assignment)
        assert declared.get(resource) == f"{kind.arm_type}@{kind.api_version}", kind.key


def test_resources_come_in_dependency_order_with_the_ids_azure_gives_them() -> None:
    workspace = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-sentinel/providers/Microsoft.OperationalInsights/workspaces/law-miro"
    group = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-miro"
    found = resources.resources(Deployment(TARGET, load_spec()))[:PIPELINE]
    assert [(r.kind.key, r.resource_id) for r in found] == [
        ("table", f"{workspace}/tables/MiroAuditLogs_CL"),
        ("dce", f"{group}/providers/Microsoft.Insights/dataCollectionEndpoints/dce-miro"),
        ("dcr", f"{group}/providers/Microsoft.Insights/dataCollectionRules/dcr-miro"),
        (
            "role_assignment",
            f"{group}/providers/Microsoft.Insights/dataCollectionRules/dcr-miro"
            f"/providers/Microsoft.Authorization/roleAssignments/{found[3].name}",
        ),
        (
            "connector_definition",
            f"{workspace}/providers/Microsoft.SecurityInsights/dataConnectorDefinitions/MiroAuditLogs",
        ),
        ("connector", f"{workspace}/providers/Microsoft.SecurityInsights/dataConnectors/MiroAuditLogsPoller"),
    ]
    assert found[2].resource_id == TARGET.dcr_resource_id and found[1].resource_id == TARGET.dce_resource_id


def test_plans_name_a_resource_by_its_kind_and_name() -> None:
    found = resources.resources(Deployment(TARGET, load_spec()))[:PIPELINE]
    assert [r.address for r in found] == [
        "table MiroAuditLogs_CL",
        "data collection endpoint dce-miro",
        "data collection rule dcr-miro",
        "role assignment Monitoring Metrics Publisher for 11111111-1111-1111-1111-111111111111 on dcr-miro",
        "connector definition MiroAuditLogs",
        "data connector MiroAuditLogsPoller",
    ]


def test_our_sentinel_content_follows_the_pipeline_one_resource_per_file_of_content() -> None:
    found = resources.resources(Deployment(TARGET, load_spec()))[PIPELINE:]
    content = content_resources(TARGET, "MiroAuditLogs_CL")
    assert [(r.resource_id, r.address, r.body()) for r in found] == [
        (c.resource_id, c.address, c.body) for c in content
    ]
    assert [r.kind.key for r in found] == ["alert_rule"] * 9 + ["hunting_query"] * 4 + ["workbook"] + [
        "metric_alert"
    ] * 2


def test_the_connector_body_waits_for_values_learned_from_earlier_resources() -> None:
    connector = resources.by_key(Deployment(TARGET, load_spec()), "connector")
    pending = connector.body()["properties"]["dcrConfig"]
    learned = connector.body({"dce_endpoint": "https://dce.example", "dcr_immutable_id": "dcr-0123"})
    assert pending["dataCollectionEndpoint"] == resources.PENDING
    assert learned["properties"]["dcrConfig"]["dataCollectionEndpoint"] == "https://dce.example"
    assert learned["properties"]["dcrConfig"]["dataCollectionRuleImmutableId"] == "dcr-0123"
