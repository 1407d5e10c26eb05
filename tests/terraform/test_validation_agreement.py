"""The settings and the Terraform module judge values alike: whatever the settings accept, modules/bodies accepts.

The settings are the first gate (one clear line per problem); the module's validation is there for users who
call it directly. Each boundary value below goes through both: ``load_settings`` with the value as a ``--set``
flag, and one ``terraform test`` run of modules/bodies whose ``target`` is what the terraform engine writes for
the required-keys-only settings, with that value in its attribute. Both must accept it, or both refuse it
naming the same field.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from deployer.config import load_settings
from deployer.environment import spec_for, target_for
from deployer.errors import ConfigError
from deployer.terraform import target_variables
from tests.terraform.settings_cases import PRINCIPAL, REPO, REQUIRED_ONLY

pytestmark = pytest.mark.terraform

#: settings key → the attribute of Terraform's ``target`` it becomes (deployer.environment.target_for).
ATTRIBUTE = {
    "azure.resource_group": "resource_group",
    "azure.location": "location",
    "workspace.name": "workspace_name",
    "table.plan": "table_plan",
    "table.retention_in_days": "retention_in_days",
    "table.total_retention_in_days": "total_retention_in_days",
    "resources.dce_name": "dce_name",
    "resources.dcr_name": "dcr_name",
    "resources.connector_name": "connector_name",
    "resources.tags": "tags",
    "miro.token_version": "token_version",
}


def tags(count: int) -> dict[str, str]:
    return {f"tag{i}": "v" for i in range(count)}


# (settings values, accepted?): a value set at once; for refusals, the first key is the field blamed.
CASES: dict[str, tuple[dict[str, Any], bool]] = {
    "retention -1 (workspace default)": ({"table.retention_in_days": -1}, True),
    "retention 4": ({"table.retention_in_days": 4, "table.total_retention_in_days": 4}, True),
    "retention 730": ({"table.retention_in_days": 730, "table.total_retention_in_days": 730}, True),
    "retention 3": ({"table.retention_in_days": 3}, False),
    "retention 731": ({"table.retention_in_days": 731}, False),
    "retention -2": ({"table.retention_in_days": -2}, False),
    "total -1 with retention 90": ({"table.total_retention_in_days": -1, "table.retention_in_days": 90}, True),
    "total 4383 (12 years)": ({"table.total_retention_in_days": 4383, "table.retention_in_days": 730}, True),
    "total 4384": ({"table.total_retention_in_days": 4384}, False),
    "total 3": ({"table.total_retention_in_days": 3}, False),
    "total below retention": ({"table.total_retention_in_days": 89, "table.retention_in_days": 90}, False),
    "total equal to retention": ({"table.total_retention_in_days": 90, "table.retention_in_days": 90}, True),
    "Basic plan, 12 years total": ({"table.plan": "Basic", "table.total_retention_in_days": 4383}, True),
    "Basic plan, default retention": ({"table.plan": "Basic"}, True),
    "Basic plan with a retention": ({"table.retention_in_days": 30, "table.plan": "Basic"}, False),
    "plan in lower case": ({"table.plan": "basic"}, False),
    "48 tags": ({"resources.tags": tags(48)}, True),
    "49 tags": ({"resources.tags": tags(49)}, False),
    "tag name with a slash": ({"resources.tags": {"cost/center": "42"}}, False),
    "tag value of 256 characters": ({"resources.tags": {"note": "x" * 256}}, True),
    "tag value of 257 characters": ({"resources.tags": {"note": "x" * 257}}, False),
    "resource group with Unicode letters": ({"azure.resource_group": "rg-müller-数据"}, True),
    "resource group of 90 characters": ({"azure.resource_group": "r" * 90}, True),
    "resource group ending with a dot": ({"azure.resource_group": "rg-miro."}, False),
    "location as a display name": ({"azure.location": "West Europe"}, False),
    "workspace of 4 characters": ({"workspace.name": "law1"}, True),
    "workspace of 3 characters": ({"workspace.name": "law"}, False),
    "DCE of 3 characters": ({"resources.dce_name": "dce"}, True),
    "DCE ending with a hyphen": ({"resources.dce_name": "dce-miro-"}, False),
    "DCR of 64 characters": ({"resources.dcr_name": "d" * 64}, True),
    "DCR of 65 characters": ({"resources.dcr_name": "d" * 65}, False),
    "DCR ending with a dot": ({"resources.dcr_name": "dcr-miro."}, False),
    "connector of 64 characters": ({"resources.connector_name": "c" * 64}, True),
    "connector of 1 character": ({"resources.connector_name": "c"}, False),
    "token version with dots": ({"miro.token_version": "2026-12.1"}, True),
    "token version with a space": ({"miro.token_version": "2026 12"}, False),
}


def write_settings(directory: Path) -> Path:
    (directory / "prod.toml").write_text(REQUIRED_ONLY, encoding="utf-8")
    return directory


def flag(key: str, value: Any) -> str:
    return f"{key}={json.dumps(value) if isinstance(value, dict) else value}"


def settings_verdict(envs: Path, values: dict[str, Any]) -> tuple[bool, list[str]]:
    """(accepted, the fields blamed) by the settings."""
    try:
        load_settings("prod", envs_dir=envs, overrides=[flag(k, v) for k, v in values.items()], environ={})
    except ConfigError as exc:
        return False, [p.field for p in exc.problems]
    return True, []


@pytest.fixture(scope="module")
def terraform_verdicts(
    tmp_path_factory: pytest.TempPathFactory, terraform_binary: str
) -> dict[str, tuple[bool, list[str]]]:
    """(accepted, the ``target`` attributes blamed) by modules/bodies, for every case, from one ``terraform test``."""
    envs = write_settings(tmp_path_factory.mktemp("envs"))
    settings = load_settings("prod", envs_dir=envs, environ={})
    base = target_variables(target_for(settings, principal_id=PRINCIPAL), table_name=spec_for(settings).table.name)
    root = tmp_path_factory.mktemp("agreement")
    module = root / "terraform" / "modules" / "bodies"
    shutil.copytree(REPO / "terraform" / "modules" / "bodies", module, ignore=shutil.ignore_patterns("tests"))
    shutil.copytree(REPO / "dcr", root / "dcr")
    shutil.copytree(REPO / "content", root / "content")
    # One file per case: within a file, the runs after a failed one are skipped.
    (module / "tests").mkdir()
    names = {}
    for i, (name, (values, _)) in enumerate(CASES.items()):
        target = {**base["target"], **{ATTRIBUTE[k]: v for k, v in values.items()}}
        path = f"tests/case_{i}.tftest.hcl"
        names[path] = name
        (module / path).write_text(
            'variables {\n  dce_logs_ingestion_endpoint = "https://dce.westeurope-1.ingest.monitor.azure.com"\n'
            '  dcr_immutable_id = "dcr-0123456789abcdef0123456789abcdef"\n}\n\n'
            f'run "case" {{\n  command = plan\n  variables {{\n    target = {json.dumps(target)}\n  }}\n}}\n',
            encoding="utf-8",
        )
    env = {**os.environ, "TF_DATA_DIR": str(root / "tf-data"), "CHECKPOINT_DISABLE": "1"}

    def terraform(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [terraform_binary, *args], cwd=module, env=env, capture_output=True, text=True, timeout=600, check=False
        )

    assert terraform("init", "-input=false", "-no-color").returncode == 0
    done = terraform("test", "-json", "-no-color")
    verdicts: dict[str, tuple[bool, list[str]]] = {}
    for line in done.stdout.splitlines():
        event = json.loads(line)
        case = names.get(event.get("@testfile", ""))
        if case is None or event.get("@testrun") != "case":
            continue
        if event.get("type") == "test_run" and event["test_run"].get("progress") == "complete":
            verdicts.setdefault(case, (event["test_run"]["status"] == "pass", []))
        elif event.get("type") == "diagnostic":
            detail = event["diagnostic"].get("detail", "")
            verdicts.setdefault(case, (False, []))[1].append(detail.split(" ", 1)[0].removeprefix("target."))
    return verdicts


@pytest.mark.parametrize("name", list(CASES))
def test_settings_and_terraform_agree(name: str, tmp_path: Path, terraform_verdicts: dict[str, Any]) -> None:
    values, accepted = CASES[name]

    settings_ok, settings_fields = settings_verdict(write_settings(tmp_path), values)
    terraform_ok, terraform_fields = terraform_verdicts[name]

    assert (settings_ok, terraform_ok) == (accepted, accepted)
    if not accepted:
        first = next(iter(values))
        assert first in settings_fields
        assert ATTRIBUTE[first] in terraform_fields
