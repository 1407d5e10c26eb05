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


def type_expression(directory: Path) -> str:
    """The type constraint of ``variable "target"`` in the directory, whitespace normalised."""
    body = blocks(directory, "variable")["target"]
    start = body.index("type = object({")
    depth, end = 0, start
    for end in range(start, len(body)):
        depth += {"(": 1, ")": -1}.get(body[end], 0)
        if depth == 0 and body[end] == ")":
            break
    return " ".join(body[start : end + 1].split())


def target_attributes(directory: Path) -> list[str]:
    """The attributes of the target object (those of objects nested in it, such as ``content``, left out)."""
    expression = type_expression(directory)
    pattern = re.compile(r"(\w+)\s+=\s+(?:optional\()?(?:string|number|bool|map|list|object)")
    return [
        m.group(1)
        for m in pattern.finditer(expression)
        if expression[: m.start()].count("{") - expression[: m.start()].count("}") == 1
    ]


def declared_order(directory: Path) -> list[str]:
    return [m.group(2) for m in _BLOCK.finditer((directory / "variables.tf").read_text()) if m.group(1) == "variable"]


def test_the_engine_sets_every_input_of_the_root_configuration_but_the_token_and_the_source_directories(
    target: Target,
) -> None:
    written = target_variables(target, table_name="MiroAuditLogs_CL")

    assert set(written) == set(blocks(TERRAFORM, "variable")) - {TOKEN_VARIABLE, "dcr_directory", "content_directory"}


def test_the_target_object_has_an_attribute_for_every_field_of_target_by_the_same_name() -> None:
    declared = set(target_attributes(TERRAFORM))

    assert declared == {f.name for f in fields(Target)} - {"environment"} | {"table_name", "create_resource_group"}


def test_the_engine_writes_every_attribute_of_the_target_object(target: Target) -> None:
    written = target_variables(target, table_name="Other_CL", create_resource_group=True)["target"]

    assert set(written) == set(target_attributes(TERRAFORM))
    assert written["table_name"] == "Other_CL"
    assert written["create_resource_group"] is True
    assert written["dce_name"] == "dce-miro"
    assert written["workspace_resource_group"] == "rg-sentinel"
    assert written["tags"] == {"env": "test"}


@pytest.mark.parametrize("directory", [TERRAFORM, MODULES / "pipeline"])
def test_every_layer_declares_the_target_object_exactly_as_modules_bodies_does(directory: Path) -> None:
    assert type_expression(directory) == type_expression(MODULES / "bodies")


@pytest.mark.parametrize("directory", [TERRAFORM, MODULES / "pipeline", MODULES / "bodies"])
def test_every_attribute_of_target_that_the_configuration_reads_is_declared(directory: Path) -> None:
    read = {
        name
        for path in directory.glob("*.tf")
        for name in re.findall(r"var\.target\.(\w+)", path.read_text(encoding="utf-8"))
    }

    assert read
    assert read <= set(target_attributes(directory))


def test_the_engine_test_fixture_declares_the_same_inputs() -> None:
    assert set(blocks(ENGINE_ROOT, "variable")) == set(blocks(TERRAFORM, "variable")) - {
        "dcr_directory",
        "content_directory",
    }


def test_root_outputs_include_every_deployment_output() -> None:
    wanted = {f.name for f in fields(DeploymentOutputs)}

    assert wanted <= set(blocks(TERRAFORM, "output"))
    assert wanted == set(blocks(ENGINE_ROOT, "output"))


def test_root_passes_every_input_to_the_pipeline_module_unchanged() -> None:
    call = blocks(TERRAFORM, "module")["pipeline"]

    assert set(re.findall(r"^\s+(\w+)\s+= var\.(\w+)$", call, re.M)) == {
        (name, name) for name in blocks(MODULES / "pipeline", "variable")
    }
    assert set(blocks(MODULES / "pipeline", "variable")) == set(blocks(TERRAFORM, "variable"))


def test_the_pipeline_passes_the_target_object_to_the_bodies_module_unchanged() -> None:
    call = blocks(MODULES / "pipeline", "module")["bodies"]

    assert re.search(r"^\s+target\s+= var\.target$", call, re.M)


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
        '(module.bodies.connector_secret_path) = "${var.target.token_version}-'
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
    optional = [n for n in order if re.search(r"^\s*default\s*=", variables[n], re.M)]
    required = [n for n in order if n not in optional]

    assert order == sorted(required) + sorted(optional)
    for name, body in variables.items():
        assert re.search(r"^\s*type\s*=", body, re.M), name
        assert re.search(r'^\s*description\s*=\s*("|<<-EOT$)', body, re.M), name


def test_every_validation_of_the_bodies_module_has_a_test_expecting_it_to_fail() -> None:
    # A validation of `target` names its attribute first in its message; its runs are named after that attribute.
    validated: list[str] = []
    for name, body in blocks(MODULES / "bodies", "variable").items():
        messages = re.findall(r'^\s+error_message = "(?:target\.(\w+))?', body, re.M)
        validated += [f"target.{attribute}" if attribute else name for attribute in messages]
    tests = "\n".join(p.read_text() for p in (MODULES / "bodies" / "tests").glob("*.tftest.hcl"))
    expected = [
        f"target.{run}" if failing == ["target"] else failing[0]
        for run, body in re.findall(r'^run "(\w+)" \{(.*?)^\}', tests, re.M | re.S)
        if (failing := re.findall(r"expect_failures = \[var\.(\w+)\]", body))
    ]

    assert len(validated) > 20
    for check in set(validated):
        runs = [run for run in expected if run == check or run.startswith(f"{check}_refuses_")]
        assert len(runs) >= validated.count(check), check


def test_primary_resource_is_named_this_and_no_output_returns_a_whole_resource() -> None:
    resources = blocks(MODULES / "pipeline", "resource")

    assert "azapi_resource.this" in resources
    assert (
        'type                   = "Microsoft.Insights/dataCollectionRules@2023-03-11"'
        in resources["azapi_resource.this"]
    )
    for name, body in blocks(MODULES / "pipeline", "output").items():
        assert not re.search(r"value\s*=\s*azapi_resource\.\w+\s*$", body, re.M), name


def test_the_table_resource_ignores_the_casing_azure_answers_column_types_in() -> None:
    # Azure answers `dateTime` for a column sent as `datetime`; azapi keeps the answer in state and would
    # plan an in-place update on every run unless it compares values case-insensitively.
    table = blocks(MODULES / "pipeline", "resource")["azapi_resource.table"]

    assert re.search(r"^\s*ignore_casing\s*=\s*true$", table, re.M)


@pytest.mark.parametrize(
    "directory", [TERRAFORM, MODULES / "pipeline", TERRAFORM / "examples" / "default"], ids=lambda d: d.name
)
def test_azapi_is_at_least_2_8_which_accepts_sensitive_body_version_without_a_sensitive_body(directory: Path) -> None:
    # Before 2.8.0 azapi panics when sensitive_body_version is set and sensitive_body is null (GH-999),
    # which is what a plan without the Miro token gives.
    text = (directory / "terraform.tf").read_text(encoding="utf-8")

    assert re.search(r'source\s*=\s*"Azure/azapi"\s*\n\s*version\s*=\s*">= 2\.8\.0, < 3\.0\.0"', text)
