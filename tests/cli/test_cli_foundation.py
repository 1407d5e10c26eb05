"""The command line: exit codes 0/1/2, one error handler (error: + hint:), config check and dcr test."""

from __future__ import annotations

import json
from pathlib import Path

from tests.cli.conftest import CliRunner
from tests.support import REPO_ROOT


def test_help_lists_only_working_commands(cli: CliRunner) -> None:
    run = cli("--help")
    assert run.code == 0
    text = " ".join(run.stdout.split())
    assert "Exit codes: 0 healthy, 1 a check failed, 2 usage or settings error, 3 an external system failed" in text
    commands = [line.split()[0] for line in run.stdout.split("Commands:")[1].splitlines() if line.startswith("  ")]
    assert commands == sorted(
        [
            "backfill",
            "check-token",
            "config",
            "dcr",
            "deploy",
            "destroy",
            "emulator",
            "events",
            "health",
            "init",
            "plan",
            "preflight",
            "validate",
        ]
    )


def test_unknown_option_is_a_usage_error(cli: CliRunner) -> None:
    run = cli("dcr", "test", "--output", "xml")
    assert run.code == 2
    assert run.stderr.splitlines()[0].startswith("error: Invalid value for '--output': 'xml' is not one of")
    assert run.stderr.splitlines()[1] == "hint: run 'miro-sentinel dcr test --help'"


def test_dcr_test_passes_on_the_shipped_samples(cli: CliRunner) -> None:
    run = cli("dcr", "test")
    assert run.code == 0, run.stderr
    assert "OK: the transform is valid for a DCR and every row matches the table" in run.stdout


def test_dcr_test_json_prints_the_rows_azure_would_store(cli: CliRunner, tmp_path: Path) -> None:
    events = tmp_path / "page.json"
    events.write_text(
        json.dumps(
            {
                "type": "cursor-list",
                "size": 1,
                "data": [
                    {
                        "id": "e1",
                        "event": "sign_in_succeeded",
                        "category": "authentication",
                        "createdAt": "2024-03-01T10:00:00.123+0000",
                        "createdBy": {"type": "user", "id": "9", "name": "Åsa", "email": "asa@example.com"},
                        "context": {"ip": "192.0.2.1", "organization": {"id": "1", "name": "Org"}},
                        "details": {"authType": "SSO"},
                    }
                ],
            }
        )
    )
    run = cli("dcr", "test", "--events", str(events), "--output", "json")
    assert run.code == 0, run.stderr
    [row] = json.loads(run.stdout)
    assert list(row)[:3] == ["TimeGenerated", "id", "createdAt"]
    assert row["TimeGenerated"] == "2024-03-01T10:00:00.123Z"
    assert row["createdBy_name"] == "Åsa"
    assert row["context_team_id"] == ""
    assert row["details"] == {"authType": "SSO"}


def test_dcr_test_exit_1_lists_each_failure(cli: CliRunner, tmp_path: Path) -> None:
    transform = tmp_path / "t.kql"
    transform.write_text((REPO_ROOT / "dcr/transform.kql").read_text().rstrip() + "\n| summarize count() by id")
    run = cli("dcr", "test", "--transform", str(transform))
    assert run.code == 1
    fails = [line for line in run.stdout.splitlines() if line.startswith("FAIL ")]
    assert fails[0].startswith("FAIL transform: line 13, column 3: operator 'summarize' is not allowed")
    assert run.stderr.splitlines()[-2].startswith("error: the transform check found ")
    assert run.stderr.splitlines()[-1].startswith("hint: ")


def test_dcr_test_exit_2_on_kql_syntax_error(cli: CliRunner, tmp_path: Path) -> None:
    transform = tmp_path / "t.kql"
    transform.write_text("source\n| project id,")
    run = cli("dcr", "test", "--transform", str(transform))
    assert run.code == 2
    assert run.stderr.splitlines()[0].startswith(f"error: {transform}:2:14: mismatched input '<EOF>'")
    assert run.stderr.splitlines()[1] == "hint: fix the KQL at the line and column shown"


def test_dcr_test_exit_2_on_invalid_json(cli: CliRunner, tmp_path: Path) -> None:
    events = tmp_path / "e.json"
    events.write_text("[{")
    run = cli("dcr", "test", "--events", str(events))
    assert run.code == 2
    assert (
        run.stderr.splitlines()[0]
        == f"error: {events}:1:3: invalid JSON: Expecting property name enclosed in double quotes"
    )


def test_dcr_test_exit_2_on_missing_file(cli: CliRunner, tmp_path: Path) -> None:
    run = cli("dcr", "test", "--events", str(tmp_path / "nope.json"))
    assert run.code == 2
    assert run.stderr.splitlines()[0] == f"error: cannot read {tmp_path / 'nope.json'}: No such file or directory"


def test_config_check_shows_resolved_settings_with_sources(cli: CliRunner) -> None:
    run = cli("config", "check", "--env", "local", "--output", "json", env={"MIRO_ACCESS_TOKEN": "canary-cfg-token"})
    assert run.code == 0, run.stderr
    data = json.loads(run.stdout)
    assert data["cloud"] == {"value": "local", "source": "envs/local.toml"}
    assert data["miro.token"] == {"value": "********", "source": "MIRO_ACCESS_TOKEN"}
    assert "canary-cfg-token" not in run.stdout + run.stderr


def test_config_check_exit_2_one_line_per_problem(cli: CliRunner, tmp_path: Path) -> None:
    (tmp_path / "prod.toml").write_text(
        'cloud = "azure"\nengine = "arm"\n[workspace]\nname = "x"\n[azure]\nlocation = "mars"\n'
    )
    run = cli("--envs-dir", str(tmp_path), "config", "check", "--env", "prod")
    assert run.code == 2
    errors = [line for line in run.stderr.splitlines() if line.startswith("error: ")]
    assert (
        f"error: {tmp_path / 'prod.toml'}: azure.location: 'mars' is not an Azure location (use the short name, e.g. westeurope)"
        in errors
    )
    assert (
        f"error: {tmp_path / 'prod.toml'}: workspace.name: 'x' is not valid: 4-63 letters, digits or hyphens, starting and ending alphanumeric"
        in errors
    )
    assert run.stderr.splitlines()[-1].startswith("hint: fix the settings named above")


def test_debug_shows_the_traceback(cli: CliRunner) -> None:
    run = cli("--debug", "config", "check", "--env", "nope")
    assert run.code == 2
    assert "Traceback (most recent call last)" in run.stderr
    assert "error: envs/nope.toml: (file): no such environment file" in run.stderr
