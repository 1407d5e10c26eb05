"""One body, two engines: terraform/modules/bodies renders exactly what deployer/dcr/bodies.py builds.

The real terraform binary applies the provider-free module (a temporary copy, beside a copy of dcr/)
and ``terraform output -json`` gives its bodies; each must serialise to the same canonical JSON as the
Python body (same keys, values and JSON types: ``true`` is not ``1``, ``10`` is not ``10.0``).
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from deployer.dcr import bodies
from deployer.dcr.spec import DEFAULT_DCR_DIR, DcrSpec, load_spec
from deployer.terraform import TerraformRunner

pytestmark = pytest.mark.terraform

REPO = Path(__file__).resolve().parents[2]
SPELLINGS = REPO / "terraform" / "modules" / "bodies" / "tests" / "fixtures" / "dcr-spellings"

SUBSCRIPTION = "00000000-0000-0000-0000-000000000000"
ENDPOINT = "https://dce-miro-abcd.westeurope-1.ingest.monitor.azure.com"
IMMUTABLE_ID = "dcr-0123456789abcdef0123456789abcdef"


def canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def python_bodies(spec: DcrSpec, inputs: dict[str, Any]) -> dict[str, Any]:
    """What the `arm` engine sends for these inputs."""
    resource_group = f"/subscriptions/{SUBSCRIPTION}/resourceGroups/{inputs['resource_group_name']}"
    workspace_group = inputs.get("workspace_resource_group_name") or inputs["resource_group_name"]
    workspace = (
        f"/subscriptions/{SUBSCRIPTION}/resourceGroups/{workspace_group}"
        f"/providers/Microsoft.OperationalInsights/workspaces/{inputs['workspace_name']}"
    )
    dce = f"{resource_group}/providers/Microsoft.Insights/dataCollectionEndpoints/{inputs['data_collection_endpoint_name']}"
    dcr = f"{resource_group}/providers/Microsoft.Insights/dataCollectionRules/{inputs['data_collection_rule_name']}"
    return {
        "table_body": bodies.table_body(
            spec,
            plan=inputs["table_plan"],
            retention_in_days=inputs["retention_in_days"],
            total_retention_in_days=inputs["total_retention_in_days"],
        ),
        "dce_body": bodies.dce_body(location=inputs["location"], tags=inputs["tags"]),
        "dcr_body": bodies.dcr_body(
            spec,
            location=inputs["location"],
            dce_id=dce,
            workspace_resource_id=workspace,
            tags=inputs["tags"],
            token_version=inputs["miro_token_version"],
        ),
        "connector_definition_body": bodies.connector_definition_body(
            spec, definition_name=inputs["connector_definition_name"]
        ),
        "connector_body": bodies.connector_body(
            spec,
            definition_name=inputs["connector_definition_name"],
            dce_logs_ingestion_endpoint=inputs["dce_logs_ingestion_endpoint"],
            dcr_immutable_id=inputs["dcr_immutable_id"],
            miro_api_base_url=inputs["miro_api_base_url"],
        ),
        "role_assignment_body": bodies.role_assignment_body(
            subscription_id=SUBSCRIPTION,
            principal_id=inputs["validation_principal_id"],
            principal_type=inputs["validation_principal_type"],
        ),
        "role_assignment_name": bodies.role_assignment_name(dcr, inputs["validation_principal_id"]),
        "table_name": spec.table.name,
        "stream_name": spec.stream.name,
        "dce_resource_id": dce,
        "dcr_resource_id": dcr,
        "workspace_resource_id": workspace,
    }


BASE = {
    "connector_definition_name": "MiroAuditLogs",
    "connector_name": "MiroAuditLogsPoller",
    "data_collection_endpoint_name": "dce-miro",
    "data_collection_rule_name": "dcr-miro",
    "dce_logs_ingestion_endpoint": ENDPOINT,
    "dcr_immutable_id": IMMUTABLE_ID,
    "location": "westeurope",
    "miro_api_base_url": "https://api.miro.com",
    "miro_token_version": "1",
    "resource_group_name": "rg-miro",
    "retention_in_days": 90,
    "subscription_id": SUBSCRIPTION,
    "table_plan": "Analytics",
    "tags": {},
    "total_retention_in_days": 90,
    "validation_principal_id": "11111111-1111-1111-1111-111111111111",
    "validation_principal_type": "ServicePrincipal",
    "workspace_name": "law-miro",
}

CASES = {
    "repository-dcr": (DEFAULT_DCR_DIR, BASE),
    "spellings-tags-other-workspace-group": (
        SPELLINGS,
        {
            **BASE,
            "miro_api_base_url": "https://miro.example.test//",
            "retention_in_days": 30,
            "table_plan": "Basic",
            "tags": {"env": "prod", "managed-by": "someone-else", "ünïcode": "välue"},
            "total_retention_in_days": 4383,
            "validation_principal_id": "AAAAAAAA-BBBB-CCCC-DDDD-EEEEEEEEEEEE",
            "validation_principal_type": "Group",
            "workspace_resource_group_name": "rg-sentinel",
            "miro_token_version": "2026-11.rotated",
        },
    ),
}


@pytest.fixture(scope="module")
def render(
    tmp_path_factory: pytest.TempPathFactory, terraform_binary: str
) -> Callable[[Path, dict[str, Any]], dict[str, Any]]:
    """Renders the bodies module with the real terraform and returns its outputs."""

    def run(dcr_dir: Path, inputs: dict[str, Any]) -> dict[str, Any]:
        root = tmp_path_factory.mktemp("bodies")
        module = root / "terraform" / "modules" / "bodies"
        shutil.copytree(REPO / "terraform" / "modules" / "bodies", module, ignore=shutil.ignore_patterns("tests"))
        shutil.copytree(dcr_dir, root / "dcr")  # where the module looks by default
        with TerraformRunner(module, binary=terraform_binary, env=dict(os.environ)) as runner:
            runner.init()
            runner.apply(runner.plan(inputs))
            return {name: output.value for name, output in runner.output().items()}

    return run


@pytest.fixture(scope="module", params=sorted(CASES))
def both(
    request: pytest.FixtureRequest, render: Callable[[Path, dict[str, Any]], dict[str, Any]]
) -> tuple[dict[str, Any], dict[str, Any]]:
    dcr_dir, inputs = CASES[request.param]
    return render(dcr_dir, inputs), python_bodies(load_spec(dcr_dir), inputs)


@pytest.mark.parametrize(
    "body",
    [
        "table_body",
        "dce_body",
        "dcr_body",
        "connector_definition_body",
        "connector_body",
        "role_assignment_body",
        "role_assignment_name",
        "table_name",
        "stream_name",
        "dce_resource_id",
        "dcr_resource_id",
        "workspace_resource_id",
    ],
)
def test_terraform_and_python_build_the_same_body(body: str, both: tuple[dict[str, Any], dict[str, Any]]) -> None:
    terraform, python = both

    assert canonical(terraform[body]) == canonical(python[body])


def test_the_secret_path_points_where_python_puts_the_token(both: tuple[dict[str, Any], dict[str, Any]]) -> None:
    terraform, _ = both
    secret: Any = bodies.connector_secret("token-value")

    for step in terraform["connector_secret_path"].split("."):
        secret = secret[step]

    assert secret == "Bearer token-value"
