"""GitHub Actions workflows, checked offline: the official schema, and every `run:` calls something real."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from deployer.cli.main import cli
from tests.support import REPO_ROOT

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
        if not hasattr(command, "commands"):
            break
        if word not in command.commands:
            return False
        command = command.commands[word]
    return True


def test_there_are_the_three_workflows() -> None:
    assert [p.name for p in WORKFLOWS] == ["ci.yml", "deploy.yml", "smoke.yml"]


def test_workflows_match_the_github_workflow_schema() -> None:
    done = subprocess.run(
        [
            Path(sys.executable).parent / "check-jsonschema",
            "--builtin-schema",
            "vendor.github-workflows",
            *map(str, WORKFLOWS),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_every_run_step_calls_a_command_of_the_project(path: Path) -> None:
    for script in _run_lines(_load(path)):
        for words in _commands(script):
            program = words[0]
            if program == "make":
                assert set(words[1:]) <= MAKE_TARGETS, f"{path.name}: make target {words[1:]} not in the Makefile"
            elif program == ".venv/bin/miro-sentinel":
                assert _cli_command_exists(words[1:]), (
                    f"{path.name}: `miro-sentinel {' '.join(words[1:])}` is not a command"
                )
            else:
                assert (REPO_ROOT / program).is_file(), f"{path.name}: `{program}` is not a file of the project"


def test_ci_runs_exactly_what_the_readme_says() -> None:
    assert _run_lines(_load(REPO_ROOT / ".github/workflows/ci.yml")) == ["make test"]
    assert "make test" in (REPO_ROOT / ".ci/run").read_text()


def test_deploy_uses_oidc_and_stores_no_azure_secret() -> None:
    text = (REPO_ROOT / ".github/workflows/deploy.yml").read_text()
    workflow = _load(REPO_ROOT / ".github/workflows/deploy.yml")
    assert workflow["permissions"]["id-token"] == "write"
    assert "AZURE_CLIENT_SECRET" not in text and "ARM_CLIENT_SECRET" not in text
    assert workflow["concurrency"]["cancel-in-progress"] is False
    assert all("environment" in job for job in workflow["jobs"].values())


def test_deploy_plans_on_pull_requests_and_applies_on_main_or_by_hand() -> None:
    workflow = _load(REPO_ROOT / ".github/workflows/deploy.yml")
    triggers = workflow[True] if True in workflow else workflow["on"]  # YAML 1.1 reads `on` as a boolean
    assert {"pull_request", "push", "workflow_dispatch"} <= set(triggers)
    assert "miro-sentinel plan" in "\n".join(_run_lines({"jobs": {"plan": workflow["jobs"]["plan"]}}))
    assert "--yes" in "\n".join(_run_lines({"jobs": {"deploy": workflow["jobs"]["deploy"]}}))
