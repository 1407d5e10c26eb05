"""Plans and outputs parsed from Terraform's JSON into the runner's results."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from deployer.provision import Change
from deployer.terraform.results import OutputValue, PlanResult, ResourceChange, parse_outputs, parse_plan

SHOW = {
    "format_version": "1.2",
    "applyable": True,
    "resource_changes": [
        {
            "address": "module.pipeline.azapi_resource.this",
            "mode": "managed",
            "type": "azapi_resource",
            "change": {
                "actions": ["delete", "create"],
                "before": {"type": "Microsoft.Insights/dataCollectionRules@2023-03-11"},
                "after": {"type": "Microsoft.Insights/dataCollectionRules@2023-03-11"},
                "replace_paths": [["name"]],
            },
        },
        {
            "address": "module.pipeline.azapi_resource.connector",
            "mode": "managed",
            "type": "azapi_resource",
            "change": {
                "actions": ["update"],
                "after": {"type": "Microsoft.SecurityInsights/dataConnectors@2025-09-01"},
            },
        },
        {
            "address": "module.pipeline.azapi_resource.table",
            "mode": "managed",
            "type": "azapi_resource",
            "change": {"actions": ["no-op"]},
        },
        {
            "address": "module.pipeline.data.azapi_resource.workspace[0]",
            "mode": "data",
            "type": "azapi_resource",
            "change": {"actions": ["read"]},
        },
        {
            "address": "terraform_data.old",
            "mode": "managed",
            "type": "terraform_data",
            "change": {"actions": ["forget"]},
        },
        {
            "address": "terraform_data.gone",
            "mode": "managed",
            "type": "terraform_data",
            "change": {"actions": ["delete"]},
        },
        {
            "address": "terraform_data.new",
            "mode": "managed",
            "type": "terraform_data",
            "change": {"actions": ["create"]},
        },
    ],
    "output_changes": {"resource_id": {"actions": ["update"]}, "table_name": {"actions": ["no-op"]}},
}


def test_only_real_changes_are_kept_with_their_arm_type() -> None:
    plan = parse_plan(SHOW, plan_file=Path("/tmp/p.tfplan"))

    assert plan.changes == (
        ResourceChange(
            "module.pipeline.azapi_resource.this",
            "azapi_resource",
            "replace",
            "Microsoft.Insights/dataCollectionRules",
            ("name",),
        ),
        ResourceChange(
            "module.pipeline.azapi_resource.connector",
            "azapi_resource",
            "update",
            "Microsoft.SecurityInsights/dataConnectors",
        ),
        ResourceChange("terraform_data.gone", "terraform_data", "delete"),
        ResourceChange("terraform_data.new", "terraform_data", "create"),
    )
    assert plan.output_changes == ("resource_id",)
    assert plan.applyable


def test_counts_and_addresses_follow_terraforms_summary() -> None:
    plan = parse_plan(SHOW)

    assert plan.counts() == {"add": 2, "change": 1, "destroy": 2}
    assert plan.to_add == ("module.pipeline.azapi_resource.this", "terraform_data.new")
    assert plan.to_change == ("module.pipeline.azapi_resource.connector",)
    assert plan.to_destroy == ("module.pipeline.azapi_resource.this", "terraform_data.gone")
    assert plan.replaces


def test_conversion_to_the_engine_contract() -> None:
    provision = parse_plan(SHOW).to_provision_plan()

    assert provision.engine == "terraform"
    assert provision.changes[0] == Change(
        "module.pipeline.azapi_resource.this",
        "replace",
        "Microsoft.Insights/dataCollectionRules",
        "replaced because name changed",
    )
    assert provision.changes[2] == Change("terraform_data.gone", "delete", "terraform_data", "")
    assert provision.counts() == {"created": 2, "updated": 1, "deleted": 2, "adopted": 0}


def test_a_plan_with_nothing_to_do() -> None:
    plan = parse_plan({"applyable": False, "resource_changes": [], "output_changes": {}})

    assert plan == PlanResult(changes=())
    assert not plan.has_changes and not plan.applyable and not plan.replaces


def test_applyable_is_derived_when_terraform_does_not_say() -> None:
    assert parse_plan({"output_changes": {"x": {"actions": ["create"]}}}).applyable
    assert not parse_plan({}).applyable


def test_outputs_keep_their_json_types_and_sensitivity() -> None:
    outputs = parse_outputs(
        {
            "tags": {"sensitive": False, "type": ["map", "string"], "value": {"a": "b"}},
            "enabled": {"sensitive": False, "type": "bool", "value": False},
            "note": {"sensitive": True, "type": "string", "value": "x"},
        }
    )

    assert outputs == {
        "tags": OutputValue({"a": "b"}, False, ["map", "string"]),
        "enabled": OutputValue(False, False, "bool"),
        "note": OutputValue("x", True, "string"),
    }


def test_an_import_is_an_adoption_updated_or_not() -> None:
    def entry(address: str, actions: list[str]) -> dict[str, Any]:
        return {
            "address": address,
            "mode": "managed",
            "type": "azapi_resource",
            "change": {
                "actions": actions,
                "after": {"type": "Microsoft.OperationalInsights/workspaces/tables@2025-07-01"},
                "importing": {"id": "/subscriptions/s/resourceGroups/rg/providers/x/tables/t?api-version=2025-07-01"},
            },
        }

    plan = parse_plan({"resource_changes": [entry("a.matches", ["no-op"]), entry("a.differs", ["update"])]})

    assert [c.to_change() for c in plan.changes] == [
        Change(
            "a.matches",
            "adopt",
            "Microsoft.OperationalInsights/workspaces/tables",
            "exists, not created by miro-sentinel: adopt existing (imported into the state)",
        ),
        Change(
            "a.differs",
            "adopt",
            "Microsoft.OperationalInsights/workspaces/tables",
            "exists, not created by miro-sentinel: adopt existing (imported into the state); then updated to match",
        ),
    ]
    assert plan.applyable
