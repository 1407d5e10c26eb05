"""Static checks of terraform/ that need no binary: the deployer and the configuration agree on names.

Terraform is read with a few regular expressions (blocks, names, attributes); enough for these rules.
"""

from __future__ import annotations

import re
from dataclasses import fields
from pathlib import Path

import pytest

from deployer.provision import DeploymentOutputs, Target
from deployer.terraform.engine import TOKEN_VARIABLE, target_variables

REPO = Path(__file__).resolve().parents[2]
TERRAFORM = REPO / "terraform"
MODULES = TERRAFORM / "modules"
ENGINE_ROOT = Path(__file__).resolve().parent / "fixtures" / "engine_root"

_BLOCK = re.compile(r'^(variable|output|resource|data|module|provider)\s+"([^"]+)"(?:\s+"([^"]+)")?\s*\{', re.M)


def blocks(directory: Path, kind: str) -> dict[str, str]:
    """``{name: body}`` of every top-level block of ``kind`` in the directory's *.tf files."""
    found: dict[str, str] = {}
    for path in sorted(directory.glob("*.tf")):
        text = path.read_text(encoding="utf-8")
        for match in _BLOCK.finditer(text):
            if match.group(1) != kind:
                continue
            depth, end = 0, match.end() - 1
            for end in range(match.end() - 1, len(text)):
                depth += {"{": 1, "}": -1}.get(text[end], 0)
                if depth == 0:
                    break
            name = match.group(2) if match.group(3) is None else f"{match.group(2)}.{match.group(3)}"
            found[name] = text[match.end() : end]
    return found


def declared_order(directory: Path) -> list[str]:
    return [m.group(2) for m in _BLOCK.finditer((directory / "variables.tf").read_text()) if m.group(1) == "variable"]


def test_the_engine_sets_every_input_of_the_root_configuration_but_the_token_and_dcr_directory(
    target: Target,
) -> None:
    assert set(target_variables(target)) == set(blocks(TERRAFORM, "variable")) - {TOKEN_VARIABLE, "dcr_directory"}


def test_the_engine_test_fixture_declares_the_same_inputs() -> None:
    assert set(blocks(ENGINE_ROOT, "variable")) == set(blocks(TERRAFORM, "variable")) - {"dcr_directory"}


def test_root_outputs_include_every_deployment_output() -> None:
    wanted = {f.name for f in fields(DeploymentOutputs)}

    assert wanted <= set(blocks(TERRAFORM, "output"))
    assert wanted == set(blocks(ENGINE_ROOT, "output"))


def test_root_passes_every_input_to_the_pipeline_module() -> None:
    call = blocks(TERRAFORM, "module")["pipeline"]

    assert set(re.findall(r"^\s+(\w+)\s+= var\.(\w+)$", call, re.M)) == {
        (name, name) for name in blocks(MODULES / "pipeline", "variable")
    }
    assert set(blocks(MODULES / "pipeline", "variable")) == set(blocks(TERRAFORM, "variable")) - {"tenant_id"}


def test_the_token_is_ephemeral_and_sensitive_wherever_it_is_declared() -> None:
    for directory in (TERRAFORM, MODULES / "pipeline", TERRAFORM / "examples" / "default"):
        body = blocks(directory, "variable")[TOKEN_VARIABLE]
        assert re.search(r"^\s*ephemeral\s*=\s*true$", body, re.M), directory
        assert re.search(r"^\s*sensitive\s*=\s*true$", body, re.M), directory


def test_the_token_reaches_azure_only_through_the_write_only_sensitive_body() -> None:
    connector = blocks(MODULES / "pipeline", "resource")["azapi_resource.connector"]
    uses = [
        line.strip()
        for path in sorted((MODULES / "pipeline").glob("*.tf"))
        for line in path.read_text().splitlines()
        if "var.miro_token" in line and "var.miro_token_version" not in line
    ]

    assert "sensitive_body = local.connector_secret" in connector
    # The version follows the token's version and the connector body: any update re-sends the token.
    assert (
        '(module.bodies.connector_secret_path) = "${var.miro_token_version}-'
        '${substr(sha256(jsonencode(module.bodies.connector_body)), 0, 16)}"'
    ) in connector
    assert uses == [
        'connector_secret = var.miro_token == null ? null : { properties = { auth = { APIKey = "Bearer ${var.miro_token}" } } }'
    ]


@pytest.mark.parametrize("module", ["bodies", "pipeline"])
def test_modules_follow_the_avm_file_layout_without_provider_blocks(module: str) -> None:
    directory = MODULES / module

    assert {p.name for p in directory.glob("*.tf")} >= {
        "terraform.tf",
        "variables.tf",
        "outputs.tf",
        "main.tf",
        "locals.tf",
    }
    assert blocks(directory, "provider") == {}


@pytest.mark.parametrize("directory", [MODULES / "bodies", MODULES / "pipeline", TERRAFORM])
def test_variables_are_typed_described_and_required_before_optional_alphabetically(directory: Path) -> None:
    variables = blocks(directory, "variable")
    order = declared_order(directory)
    required = [n for n in order if "default" not in variables[n]]
    optional = [n for n in order if "default" in variables[n]]

    assert order == sorted(required) + sorted(optional)
    for name, body in variables.items():
        assert re.search(r"^\s*type\s*=", body, re.M), name
        assert re.search(r'^\s*description\s*=\s*"', body, re.M), name


def test_every_validation_of_the_bodies_module_has_a_test_expecting_it_to_fail() -> None:
    validated = {name for name, body in blocks(MODULES / "bodies", "variable").items() if "validation {" in body}
    tests = "\n".join(p.read_text() for p in (MODULES / "bodies" / "tests").glob("*.tftest.hcl"))
    expected = set(re.findall(r"expect_failures = \[var\.(\w+)\]", tests))

    assert validated
    assert validated == expected


def test_primary_resource_is_named_this_and_no_output_returns_a_whole_resource() -> None:
    resources = blocks(MODULES / "pipeline", "resource")

    assert "azapi_resource.this" in resources
    assert (
        'type                   = "Microsoft.Insights/dataCollectionRules@2023-03-11"'
        in resources["azapi_resource.this"]
    )
    for name, body in blocks(MODULES / "pipeline", "output").items():
        assert not re.search(r"value\s*=\s*azapi_resource\.\w+\s*$", body, re.M), name


def test_target_maps_to_the_root_configuration_inputs(target: Target) -> None:
    variables = target_variables(target, create_resource_group=True)

    assert variables["data_collection_endpoint_name"] == "dce-miro"
    assert variables["workspace_resource_group_name"] == "rg-sentinel"
    assert variables["resource_group_creation_enabled"] is True
    assert variables["workspace_creation_enabled"] is False
    assert variables["tags"] == {"env": "test"}
    assert "miro_token" not in variables
