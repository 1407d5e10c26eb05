"""The whole configuration (terraform/ → modules/pipeline → modules/bodies) with the variables the engine writes.

The azapi provider cannot be downloaded here, so a copy of terraform/ has each ``azapi_resource`` replaced by a
``terraform_data`` stand-in whose ``input`` holds the resource's arguments (type, name, parent, body, ...) and
answers with the properties Azure would (DCE endpoint, DCR immutable id, workspace id). Applying that copy
with the real terraform proves that every module accepts the variables the engine writes for each settings
case, and that each resource is given exactly the body the arm engine sends.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from deployer.terraform import target_variables
from tests.terraform.settings_cases import CASES, ENDPOINT, IMMUTABLE_ID, REPO, python_bodies, resolve

pytestmark = pytest.mark.terraform

TOKEN = "canary-root-offline-5b1e"

#: What Azure answers with, for the properties the configuration reads back.
ANSWERED = (
    f'properties = {{ immutableId = "{IMMUTABLE_ID}", logsIngestion = {{ endpoint = "{ENDPOINT}" }}, '
    'customerId = "00000000-0000-0000-0000-0000000000cc" }'
)

_BLOCK = re.compile(r'^(resource|data) "azapi_resource" "(\w+)" \{\n', re.M)


def _stand_in(text: str) -> str:
    """Each azapi block of ``text`` as a terraform_data whose input holds its arguments (the token aside)."""
    out, pos = [], 0
    for match in _BLOCK.finditer(text):
        depth, end = 1, match.end()
        while depth:
            depth += {"{": 1, "}": -1}.get(text[end], 0)
            end += 1
        meta, arguments = [], []
        for line in text[match.end() : end - 1].splitlines():
            stripped = line.strip()
            if re.match(r"(count|for_each|depends_on)\s*=", stripped):
                meta.append(stripped)
            elif stripped and not stripped.startswith("#") and not re.match(r"sensitive_body\s*=", stripped):
                arguments.append(line)  # the write-only token cannot go into a stored input
        name = match.group(2) if match.group(1) == "resource" else f"{match.group(2)}_read"
        out += [text[pos : match.start()], f'resource "terraform_data" "{name}" {{\n  ', "\n  ".join(meta)]
        out += ["\n  input = {\n", "\n".join(arguments), f"\n    {ANSWERED}\n  }}\n}}\n"]
        pos = end
    out.append(text[pos:])
    text = "".join(out).replace("data.azapi_resource.workspace", "terraform_data.workspace_read")
    text = re.sub(r"azapi_resource\.(\w+)\.name\b", r"terraform_data.\1.output.name", text)
    return text.replace("azapi_resource.", "terraform_data.")


def stand_in_copy(root: Path, dcr_dir: Path) -> Path:
    """A provider-free copy of terraform/ (and dcr/ beside it, where the engine puts it)."""
    config = root / "config"
    shutil.copytree(REPO / "terraform", config, ignore=shutil.ignore_patterns("tests", "examples", ".terraform*"))
    shutil.copytree(dcr_dir, root / "dcr")
    shutil.copytree(REPO / "content", root / "content")
    # The provider's settings stay evaluated, as locals.
    provider = (config / "providers.tf").read_text(encoding="utf-8")
    (config / "providers.tf").write_text(provider.replace('provider "azapi" {', "locals {"), encoding="utf-8")
    for path in (config / "terraform.tf", config / "modules" / "pipeline" / "terraform.tf"):
        text = re.sub(r"\n  required_providers \{.*?\n  \}\n", "\n", path.read_text(encoding="utf-8"), flags=re.S)
        path.write_text(text.replace('backend "azurerm" {}', ""), encoding="utf-8")
    for path in (config / "modules" / "pipeline").glob("*.tf"):
        path.write_text(_stand_in(path.read_text(encoding="utf-8")), encoding="utf-8")
    return config


def apply_offline(config: Path, variables: dict[str, Any], terraform_binary: str) -> dict[str, dict[str, Any]]:
    """Apply the stand-in copy; returns each resource's stored input by address."""
    (config / "target.auto.tfvars.json").write_text(json.dumps(variables), encoding="utf-8")
    env = {
        **os.environ,
        "TF_DATA_DIR": str(config.parent / "tf-data"),
        "TF_VAR_miro_token": TOKEN,
        "CHECKPOINT_DISABLE": "1",
    }

    def terraform(*args: str) -> str:
        done = subprocess.run(
            [terraform_binary, *args, "-no-color"],
            cwd=config,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    terraform("init", "-input=false")
    terraform("apply", "-input=false", "-auto-approve")
    state = json.loads(terraform("show", "-json"))
    resources = state["values"]["root_module"]["child_modules"][0]["resources"]
    return {r["address"]: r["values"]["input"] for r in resources}


#: Stand-in address → the python_bodies() key of the body it must be given.
BODIES = {
    "module.pipeline.terraform_data.table": "table_body",
    "module.pipeline.terraform_data.data_collection_endpoint": "dce_body",
    "module.pipeline.terraform_data.this": "dcr_body",
    "module.pipeline.terraform_data.role_assignment[0]": "role_assignment_body",
    "module.pipeline.terraform_data.connector_definition": "connector_definition_body",
    "module.pipeline.terraform_data.connector": "connector_body",
}

ROOT_CASES = sorted(name for name, case in CASES.items() if not case.required_attributes_only)


def applied(name: str, tmp_path: Path, terraform_binary: str) -> tuple[dict[str, Any], dict[str, Any], str]:
    """What each stand-in resource was given for settings case ``name``, what Python builds, and the table name."""
    settings, spec, target = resolve(CASES[name], tmp_path)
    config = stand_in_copy(tmp_path / "work", spec.root)
    written = target_variables(target, table_name=spec.table.name, create_resource_group=settings.workspace.create)
    return apply_offline(config, written, terraform_binary), python_bodies(spec, target), spec.table.name


@pytest.mark.parametrize("name", ROOT_CASES)
def test_every_module_accepts_the_engine_variables_and_each_resource_gets_the_arm_engine_body(
    name: str, tmp_path: Path, terraform_binary: str
) -> None:
    given, expected, table_name = applied(name, tmp_path, terraform_binary)

    for address, body in BODIES.items():
        assert given[address]["body"] == expected[body], address
    assert given["module.pipeline.terraform_data.table"]["name"] == table_name
    assert given["module.pipeline.terraform_data.role_assignment[0]"]["name"] == expected["role_assignment_name"]
    assert TOKEN not in json.dumps(given)


#: Stand-in resource of each kind of content → the python_bodies() key of its bodies (by content file).
CONTENT = {
    "alert_rule": "content_alert_rules",
    "hunting_query": "content_hunting_queries",
    "metric_alert": "content_metric_alerts",
}


@pytest.mark.parametrize("name", ["required-keys-only", "content-tuned-and-partly-disabled"])
def test_each_content_resource_gets_the_arm_engine_name_and_body(
    name: str, tmp_path: Path, terraform_binary: str
) -> None:
    settings, spec, target = resolve(CASES[name], tmp_path)
    config = stand_in_copy(tmp_path / "work", spec.root)
    written = target_variables(target, table_name=spec.table.name, create_resource_group=settings.workspace.create)

    given = apply_offline(config, written, terraform_binary)
    expected = python_bodies(spec, target)

    for resource, key in CONTENT.items():
        for file, named in expected[key].items():
            stored = given[f'module.pipeline.terraform_data.{resource}["{file}"]']
            assert (stored["name"], stored["body"]) == (named["name"], named["body"]), file
    workbook = given["module.pipeline.terraform_data.workbook"]
    assert (workbook["name"], workbook["body"]) == (
        expected["content_workbook"]["name"],
        expected["content_workbook"]["body"],
    )
