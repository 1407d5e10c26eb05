"""``miro-sentinel init``: a deployment repository's files, never overwritten without --force."""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Any

import click
from ruamel.yaml import YAML

from deployer import __version__
from deployer.cli.main import cli as root_command
from deployer.scaffold import WORKFLOWS
from tests.cli.conftest import CliRunner
from tests.support import REPO_ROOT, workflow_schema_errors

FILES = sorted(
    [".gitignore", "README.md", "envs/example.toml", "envs/local.toml"] + [f".github/workflows/{n}" for n in WORKFLOWS]
)
INSTALL = f'pipx install "miro-sentinel=={__version__}"'


def files_in(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


def run_steps(path: Path) -> list[str]:
    workflow: dict[str, Any] = YAML(typ="safe").load(path.read_text())
    return [step["run"] for job in workflow["jobs"].values() for step in job.get("steps", []) if "run" in step]


def test_init_writes_settings_workflows_gitignore_and_readme(cli: CliRunner, tmp_path: Path) -> None:
    run = cli("init", str(tmp_path / "deployments"))

    assert run.code == 0, run.stderr
    assert files_in(tmp_path / "deployments") == FILES
    assert (tmp_path / "deployments/envs/local.toml").read_text() == (REPO_ROOT / "envs/local.toml").read_text()
    assert (tmp_path / "deployments/envs/example.toml").read_text() == (REPO_ROOT / "envs/example.toml").read_text()
    assert ".miro-sentinel/" in (tmp_path / "deployments/.gitignore").read_text().splitlines()


def test_init_defaults_to_the_current_directory(cli: CliRunner, tmp_path: Path) -> None:
    run = cli("init", cwd=tmp_path)

    assert run.code == 0, run.stderr
    assert files_in(tmp_path) == FILES


def test_init_ends_with_the_next_command_to_paste(cli: CliRunner, tmp_path: Path) -> None:
    elsewhere = cli("init", str(tmp_path / "my deployments"), cwd=tmp_path)
    here = cli("init", "--force", cwd=tmp_path / "my deployments")

    deploy = f"miro-sentinel deploy --env local; the workflows run `{INSTALL}`"
    assert elsewhere.stdout.splitlines()[-1] == f"next: cd '{tmp_path / 'my deployments'}' && {deploy}"
    assert here.stdout.splitlines()[-1] == f"next: {deploy}"


def test_init_refuses_to_overwrite_and_names_the_files(cli: CliRunner, tmp_path: Path) -> None:
    (tmp_path / "envs").mkdir()
    (tmp_path / "envs/local.toml").write_text("# mine\n")
    (tmp_path / "README.md").write_text("mine\n")

    run = cli("init", str(tmp_path))

    assert run.code == 2
    assert run.stderr.splitlines() == [
        f"error: {tmp_path} already has envs/local.toml, README.md; nothing was written",
        "hint: pass --force to overwrite them, or choose another directory",
    ]
    assert files_in(tmp_path) == ["README.md", "envs/local.toml"]
    assert (tmp_path / "envs/local.toml").read_text() == "# mine\n"


def test_init_force_overwrites(cli: CliRunner, tmp_path: Path) -> None:
    (tmp_path / "README.md").write_text("mine\n")

    run = cli("init", "--force", str(tmp_path))

    assert run.code == 0, run.stderr
    assert INSTALL in (tmp_path / "README.md").read_text()


def test_the_workflows_install_the_pinned_release_and_run_only_the_tool(cli: CliRunner, tmp_path: Path) -> None:
    cli("init", str(tmp_path))

    for name in WORKFLOWS:
        for script in run_steps(tmp_path / ".github/workflows" / name):
            for line in script.strip().splitlines():
                words = shlex.split(re.sub(r"\s*>>?\s*\S+", "", line))
                if words[0] == "pipx":
                    assert line == INSTALL, name
                    continue
                assert words[0] == "miro-sentinel", f"{name}: `{line}` runs something a deployment repo lacks"
                assert words[1] in root_command.list_commands(click.Context(root_command)), (
                    f"{name}: `{line}` is not a command"
                )


def test_the_workflows_trigger_on_settings_changes_only(cli: CliRunner, tmp_path: Path) -> None:
    cli("init", str(tmp_path))
    text = (tmp_path / ".github/workflows/deploy.yml").read_text()

    assert (
        re.findall(r"paths: (\[.*\])", text)
        == ['["envs/**", ".github/workflows/deploy.yml", ".github/workflows/smoke.yml"]'] * 2
    )
    assert ".venv" not in text and "make " not in text


def test_the_workflows_match_the_github_workflow_schema(cli: CliRunner, tmp_path: Path) -> None:
    cli("init", str(tmp_path))

    assert workflow_schema_errors(tmp_path / ".github/workflows" / name for name in WORKFLOWS) == ""
