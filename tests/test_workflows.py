"""GitHub Actions workflows, checked offline: the official schema, and every `run:` calls something real."""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path
from typing import Any

import click
import pytest
from ruamel.yaml import YAML

from deployer.cli.main import cli
from deployer.config import MiroSettings, TerraformSettings, ValidationSettings
from deployer.terraform.runner import Timeouts
from tests.support import REPO_ROOT, workflow_schema_errors

WORKFLOWS = sorted((REPO_ROOT / ".github" / "workflows").glob("*.yml"))
MAKE_TARGETS = set(re.findall(r"^([a-z][a-z0-9-]*):", (REPO_ROOT / "Makefile").read_text(), re.M))


def _load(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = YAML(typ="safe").load(path.read_text())
    return data


def _run_lines(workflow: dict[str, Any]) -> list[str]:
    return [step["run"] for job in workflow["jobs"].values() for step in job.get("steps", []) if "run" in step]


def _commands(script: str) -> list[list[str]]:
    """Each simple command of a `run:` script, without redirections."""
    commands = []
    for line in script.strip().splitlines():
        for part in re.split(r"&&|\|\||;|\|", line):
            words = shlex.split(re.sub(r"\s*>>?\s*\S+", "", part))
            if words:
                commands.append(words)
    return commands


def _cli_command_exists(args: list[str]) -> bool:
    command: Any = cli
    for word in args:
        if word.startswith("-"):
            break
        if not isinstance(command, click.Group):
            break
        command = command.get_command(click.Context(command), word)
        if command is None:
            return False
    return True


def test_there_are_the_four_workflows() -> None:
    assert [p.name for p in WORKFLOWS] == ["acceptance.yml", "ci.yml", "deploy.yml", "smoke.yml"]


def test_workflows_match_the_github_workflow_schema() -> None:
    assert workflow_schema_errors(WORKFLOWS) == ""


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_every_run_step_calls_a_command_of_the_project(path: Path) -> None:
    for script in _run_lines(_load(path)):
        for words in _commands(script):
            program = words[0]
            if program == "make":
                targets = {w for w in words[1:] if "=" not in w}  # NAME=value words set make variables
                assert targets <= MAKE_TARGETS, f"{path.name}: make target {words[1:]} not in the Makefile"
            elif program == ".venv/bin/miro-sentinel":
                assert _cli_command_exists(words[1:]), (
                    f"{path.name}: `miro-sentinel {' '.join(words[1:])}` is not a command"
                )
            else:
                assert (REPO_ROOT / program).is_file(), f"{path.name}: `{program}` is not a file of the project"


def test_ci_runs_exactly_what_the_readme_says() -> None:
    steps = ["make az-cli", "make test", "make reliability", "make extended"]
    assert _run_lines(_load(REPO_ROOT / ".github/workflows/ci.yml")) == steps
    ci_run = (REPO_ROOT / ".ci/run").read_text()
    assert [line for line in ci_run.splitlines() if line.startswith("make ")] == steps


def test_deploy_uses_oidc_and_stores_no_azure_secret() -> None:
    text = (REPO_ROOT / ".github/workflows/deploy.yml").read_text()
    workflow = _load(REPO_ROOT / ".github/workflows/deploy.yml")
    assert all(job["permissions"]["id-token"] == "write" for job in workflow["jobs"].values())
    assert "AZURE_CLIENT_SECRET" not in text and "ARM_CLIENT_SECRET" not in text
    assert workflow["jobs"]["deploy"]["concurrency"]["cancel-in-progress"] is False
    assert all("environment" in job for name, job in workflow["jobs"].items() if "steps" in job)


def test_the_pull_request_plan_gets_no_miro_token_and_signs_in_as_the_read_only_identity() -> None:
    # Code from a branch runs in the plan job: no secret may reach it, the Miro token least of all.
    workflow = _load(REPO_ROOT / ".github/workflows/deploy.yml")
    plan = workflow["jobs"]["plan"]
    seen = json.dumps({"workflow_env": workflow.get("env", {}), "job": plan})

    assert "secrets." not in seen
    assert "MIRO_ACCESS_TOKEN" not in seen
    assert plan["environment"].endswith("-plan")
    assert workflow["jobs"]["deploy"]["environment"] == "${{ inputs.environment || 'prod' }}"


def test_the_smoke_test_runs_after_each_finished_deploy_and_every_hour() -> None:
    deploy = _load(REPO_ROOT / ".github/workflows/deploy.yml")
    smoke = _load(REPO_ROOT / ".github/workflows/smoke.yml")
    triggers = smoke[True] if True in smoke else smoke["on"]
    [after_deploy] = [job for job in deploy["jobs"].values() if job.get("uses") == "./.github/workflows/smoke.yml"]

    assert set(triggers) == {"workflow_call", "schedule", "workflow_dispatch"}
    assert triggers["schedule"] == [{"cron": "17 * * * *"}]
    assert after_deploy["needs"] == "deploy"
    assert after_deploy["with"] == {"environment": "${{ inputs.environment || 'prod' }}"}
    assert smoke["jobs"]["smoke"]["environment"] == "${{ inputs.environment || 'prod' }}-smoke"


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_third_party_actions_are_pinned_by_full_commit_sha(path: Path) -> None:
    workflow = _load(path)
    for job in workflow["jobs"].values():
        for step in job.get("steps", []):
            if "uses" in step:
                assert re.fullmatch(r"[\w.-]+/[\w./-]+@[0-9a-f]{40}", step["uses"]), step["uses"]
        if "uses" in job:
            assert (REPO_ROOT / job["uses"]).is_file(), job["uses"]


def _budgets() -> dict[tuple[str, str], float]:
    """Seconds each job may need by the settings' defaults (deploy: Terraform, token check, validation)."""
    miro, validation, terraform = MiroSettings(), ValidationSettings(), TerraformSettings()
    timeouts = Timeouts()
    token_check = miro.retry_budget_seconds + miro.max_attempts * miro.timeout_seconds
    validating = validation.role_propagation_timeout_seconds + validation.visibility_timeout_seconds
    planning = timeouts.init + terraform.timeout_seconds + timeouts.show
    return {
        ("deploy.yml", "plan"): planning,
        ("deploy.yml", "deploy"): planning + terraform.timeout_seconds + timeouts.output + token_check + validating,
        ("smoke.yml", "smoke"): token_check + validating,
    }


@pytest.mark.parametrize(("workflow", "job"), list(_budgets()), ids=lambda key: str(key))
def test_job_timeouts_exceed_the_budgets_of_what_they_run(workflow: str, job: str) -> None:
    timeout_minutes = _load(REPO_ROOT / ".github/workflows" / workflow)["jobs"][job]["timeout-minutes"]

    # Ten minutes on top for checkout, `make setup` and the health report's queries.
    assert timeout_minutes * 60 >= _budgets()[(workflow, job)] + 600


def test_the_readme_github_set_up_names_every_environment_variable_and_secret_the_workflows_use() -> None:
    readme = (REPO_ROOT / "README.md").read_text()
    section = readme[readme.index("### GitHub Actions") :]
    text = "\n".join(path.read_text() for path in WORKFLOWS)
    used = set(re.findall(r"\b(?:vars|secrets)\.(\w+)", text))
    environments = {
        suffix for suffix in re.findall(r"environment: \$\{\{ inputs\.environment \|\| 'prod' \}\}(-\w+)?", text)
    }

    assert used == {"AZURE_CLIENT_ID", "AZURE_TENANT_ID", "AZURE_SUBSCRIPTION_ID", "MIRO_ACCESS_TOKEN"}
    for name in used:
        assert f"`{name}`" in section, name
    assert environments == {"", "-plan", "-smoke"}
    for suffix in environments:
        assert f"`prod{suffix}`" in section
        assert f"repo:<owner>/<repo>:environment:prod{suffix}" in section


def test_deploy_plans_on_pull_requests_and_applies_on_main_or_by_hand() -> None:
    workflow = _load(REPO_ROOT / ".github/workflows/deploy.yml")
    triggers = workflow[True] if True in workflow else workflow["on"]  # YAML 1.1 reads `on` as a boolean
    assert {"pull_request", "push", "workflow_dispatch"} <= set(triggers)
    assert "miro-sentinel plan" in "\n".join(_run_lines({"jobs": {"plan": workflow["jobs"]["plan"]}}))
    assert "--yes" in "\n".join(_run_lines({"jobs": {"deploy": workflow["jobs"]["deploy"]}}))


def test_acceptance_runs_only_by_hand() -> None:
    workflow = _load(REPO_ROOT / ".github/workflows/acceptance.yml")
    assert set(workflow["on"]) == {"workflow_dispatch"}
    assert _run_lines(workflow) == ['make acceptance ENV="$ENVIRONMENT"']
