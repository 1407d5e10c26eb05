"""What an operator sees when a run cannot start: odd tokens refused unseen, one JSON document whatever happens."""

from __future__ import annotations

import json
import logging
from typing import Any

import jsonschema
import pytest

from deployer.cli import main as cli_main
from deployer.logs import SDK_LOGGERS
from tests.cli.conftest import CliRunner, Run
from tests.support import REPO_ROOT

SCHEMA = json.loads((REPO_ROOT / "docs/run.schema.json").read_text())

ODD_TOKENS = {
    "line feed": ("canary-mid\n-1234", "contains a line break (character 11); copy the token again without it"),
    "carriage return": ("canary-mid\r-1234", "contains a line break (character 11); copy the token again without it"),
    "escape": ("canary-\x1b]0;owned\x07-1234", "contains a control character (character 8); copy the token again"),
    "euro": ("canary-€-1234", "contains a character outside ASCII (character 8), which an HTTP header cannot carry"),
    "space": ("canary mid-1234", "contains a space or tab (character 7); a token is one word, copy it again"),
    "too long": ("canary" + "x" * 5000, "is 5006 characters long, more than the 4096 accepted"),
}


def one_document(run: Run) -> dict[str, Any]:
    """stdout is exactly one JSON document, valid against the published schema."""
    document: dict[str, Any] = json.loads(run.stdout)
    jsonschema.validate(document, SCHEMA)
    return document


@pytest.mark.parametrize("name", list(ODD_TOKENS))
@pytest.mark.parametrize("flags", [(), ("--debug",), ("-vvv",)], ids=["plain", "debug", "verbose"])
def test_an_odd_token_is_refused_at_settings_time_and_never_shown(
    cli: CliRunner, name: str, flags: tuple[str, ...]
) -> None:
    token, rule = ODD_TOKENS[name]
    run = cli(*flags, "check-token", "--env", "local", env={"MIRO_ACCESS_TOKEN": token})
    assert run.code == 2
    assert f"error: MIRO_ACCESS_TOKEN: miro.token: {rule}" in run.stderr
    assert run.stderr.rstrip().splitlines()[-1].startswith("hint: copy the token again from Miro")
    assert "canary" not in run.stdout + run.stderr
    assert "local cloud" not in run.stderr  # refused before anything started


@pytest.mark.parametrize("name", ["line feed", "euro"])
def test_an_odd_token_gives_a_json_error_document_without_it(cli: CliRunner, name: str) -> None:
    token, rule = ODD_TOKENS[name]
    run = cli("deploy", "--env", "local", "--output", "json", env={"MIRO_ACCESS_TOKEN": token})
    assert run.code == 2
    document = one_document(run)
    assert document["error"]["type"] == "ConfigError"
    assert document["error"]["message"].startswith(f"MIRO_ACCESS_TOKEN: miro.token: {rule}")
    assert "canary" not in run.stdout + run.stderr


def test_an_odd_token_in_markdown_mode_is_refused_the_same_way(cli: CliRunner) -> None:
    run = cli("deploy", "--env", "local", "--output", "markdown", env={"MIRO_ACCESS_TOKEN": "canary-€-1234"})
    assert run.code == 2
    assert run.stdout == ""
    assert "canary" not in run.stderr


@pytest.mark.parametrize(
    ("args", "code", "kind", "message", "command", "environment"),
    [
        (
            ("deploy", "--env", "nonexistent", "--output", "json"),
            2,
            "ConfigError",
            "envs/nonexistent.toml: (file): no such environment file",
            "deploy",
            "nonexistent",
        ),
        (
            ("health", "--env", "local", "--set", "azure.bogus=1", "--output", "json"),
            2,
            "ConfigError",
            "--set: azure.bogus: unknown key",
            "health",
            "local",
        ),
        (
            ("plan", "--env", "local", "--output=json", "--bogus"),
            2,
            "UsageError",
            "No such option '--bogus'.",
            "plan",
            "local",
        ),
        (("check-token", "--output", "json"), 2, "UsageError", "Missing option '--env'.", "check-token", None),
        (
            ("config", "check", "--env", "nope", "--output", "json"),
            2,
            "ConfigError",
            "envs/nope.toml",
            "config check",
            "nope",
        ),
        (
            ("dcr", "test", "--events", "/nonexistent/events.json", "--output", "json"),
            2,
            "InputError",
            "cannot read /nonexistent/events.json",
            "dcr test",
            None,
        ),
        (("bogus-command", "--output", "json"), 2, "UsageError", "No such command 'bogus-command'.", None, None),
    ],
    ids=["unknown env", "unknown --set", "unknown option", "missing --env", "config check", "dcr test", "no command"],
)
def test_json_output_is_one_document_whatever_stops_the_run(
    cli: CliRunner,
    args: tuple[str, ...],
    code: int,
    kind: str,
    message: str,
    command: str | None,
    environment: str | None,
) -> None:
    run = cli(*args)
    assert run.code == code
    document = one_document(run)
    assert document["status"] == "failed"
    assert document["exit_code"] == code
    assert document["command"] == command
    assert document["environment"] == environment
    assert document["error"]["type"] == kind
    assert document["error"]["message"].startswith(message)
    assert document["error"]["remedy"]
    assert run.stderr.splitlines()[0].startswith(f"error: {message}")  # the same error, for people


def in_process(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], target: str, error: Exception, *args: str
) -> Run:
    """Run the CLI in this process with ``target`` (a dotted name) replaced by a function raising ``error``."""

    def explode(*_args: object, **_kwargs: object) -> None:
        raise error

    monkeypatch.setattr(target, explode)
    try:
        with pytest.raises(SystemExit) as exited:
            cli_main(list(args))
    finally:
        _undo_logging_set_up()
    out, err = capsys.readouterr()
    return Run(int(exited.value.code or 0), out, err)


def _undo_logging_set_up() -> None:
    """The CLI configured this process's logging; leave it as the next test expects to find it."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        if handler.get_name() == "miro-sentinel":
            root.removeHandler(handler)
    for name in ("deployer", *SDK_LOGGERS):
        logging.getLogger(name).setLevel(logging.NOTSET)
    logging.captureWarnings(False)


def test_an_unexpected_error_in_a_run_is_a_json_document_too(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    error = ValueError("Invalid header value b'Bearer canary-unexpected-42'")
    run = in_process(
        monkeypatch,
        capsys,
        "deployer.pipeline.check_token_only",
        error,
        "check-token",
        "--env",
        "local",
        "--output",
        "json",
    )
    out, err = run.stdout, run.stderr
    assert run.code == 3
    document = one_document(run)
    assert document["error"]["type"] == "InternalError"
    assert document["error"]["message"] == "unexpected ValueError: Invalid header value b'Bearer ********'"
    assert "canary" not in out + err
    assert "bug" not in (out + err).replace("--debug", "")


def test_an_unexpected_error_before_the_run_is_a_json_document_too(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    error = RuntimeError("settings exploded")
    run = in_process(
        monkeypatch, capsys, "deployer.cli._common.load_settings", error, "plan", "--env", "local", "--output", "json"
    )
    err = run.stderr
    assert run.code == 3
    document = one_document(run)
    assert (document["command"], document["environment"]) == ("plan", "local")
    assert document["error"]["message"] == "unexpected RuntimeError: settings exploded"
    assert err.splitlines() == [
        "error: unexpected RuntimeError: settings exploded",
        "hint: run again with --debug to see where it happened; if it persists, report it with that output "
        "(secrets are masked)",
    ]


def test_debug_prints_the_traceback_redacted(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def explode(*args: object, **kwargs: object) -> None:
        raise RuntimeError("header {'Authorization': 'Bearer canary-tb-77'}")

    monkeypatch.setattr("deployer.cli._common.load_settings", explode)
    with pytest.raises(SystemExit):
        cli_main(["--debug", "plan", "--env", "local"])
    _, err = capsys.readouterr()
    assert "Traceback (most recent call last)" in err
    assert "canary" not in err
    assert "'Authorization': '********'" in err
