"""Any exception becomes an exit code, ``error:`` lines and a hint: never a traceback, the word "bug" or a secret."""

from __future__ import annotations

import errno
import json

import click
import pytest

from deployer.cli.failures import EXIT_INTERRUPTED, Failure, classify
from deployer.errors import (
    AzureUnavailable,
    ConfigError,
    ConfigProblem,
    EnvironmentLocked,
    HostError,
    InternalError,
    MiroTokenInvalid,
)
from deployer.redaction import register_secret

SECRET = "canary-failures-7f3a9"


def _recursion() -> RecursionError:
    return RecursionError("maximum recursion depth exceeded while calling a Python object")


def _abort_from_ctrl_c() -> click.Abort:
    """What click raises for a Ctrl-C inside a command: Abort, caused by the KeyboardInterrupt."""
    try:
        try:
            raise KeyboardInterrupt
        except KeyboardInterrupt as exc:
            raise click.Abort() from exc
    except click.Abort as abort:
        return abort


CORPUS: list[tuple[str, BaseException, int, str, str]] = [
    # (name, exception, exit code, error type, first line starts with)
    (
        "config",
        ConfigError([ConfigProblem("--set", "x.y", "unknown key")]),
        2,
        "ConfigError",
        "--set: x.y: unknown key",
    ),
    ("usage", click.UsageError("No such option '--bogus'."), 2, "UsageError", "No such option"),
    ("abort", click.Abort(), 2, "Aborted", "aborted"),
    ("interrupt", KeyboardInterrupt(), EXIT_INTERRUPTED, "Interrupted", "interrupted"),
    ("ctrl-c through click", _abort_from_ctrl_c(), EXIT_INTERRUPTED, "Interrupted", "interrupted"),
    ("miro 401", MiroTokenInvalid("Miro refused the token (401)"), 3, "MiroTokenInvalid", "Miro refused the token"),
    ("azure down", AzureUnavailable("cannot reach Azure (connection dropped)"), 3, "AzureUnavailable", "cannot reach"),
    ("locked", EnvironmentLocked("environment 'prod' is locked by x"), 3, "EnvironmentLocked", "environment 'prod'"),
    (
        "disk full",
        OSError(errno.ENOSPC, "No space left on device", ".miro-sentinel/prod/run.lock"),
        3,
        "HostError",
        "this machine refused an operation (.miro-sentinel/prod/run.lock): No space left on device",
    ),
    ("permission", PermissionError(errno.EACCES, "Permission denied", "envs"), 3, "HostError", "this machine refused"),
    ("memory", MemoryError(), 3, "HostError", "this machine ran out of memory"),
    ("recursion", _recursion(), 3, "InternalError", "an input is nested too deeply to process"),
    (
        "unicode",
        UnicodeEncodeError("latin-1", "€", 0, 1, "ordinal not in range(256)"),
        3,
        "InternalError",
        "unexpected UnicodeEncodeError",
    ),
    ("value", ValueError("Invalid header value b'Bearer " + SECRET + "'"), 3, "InternalError", "unexpected ValueError"),
    ("runtime", RuntimeError("boom\nsecond line"), 3, "InternalError", "unexpected RuntimeError: boom"),
    ("empty", RuntimeError(), 3, "InternalError", "unexpected RuntimeError"),
]


@pytest.mark.parametrize(("name", "exc", "code", "kind", "first"), CORPUS, ids=[c[0] for c in CORPUS])
def test_every_exception_is_classified(name: str, exc: BaseException, code: int, kind: str, first: str) -> None:
    register_secret(SECRET)
    failure = classify(exc)
    assert failure.exit_code == code
    assert failure.kind == kind
    assert failure.lines[0].startswith(first)
    text = failure.message + failure.remedy
    assert "bug" not in text.replace("--debug", "").lower()
    assert "Traceback" not in text
    assert SECRET not in text
    assert failure.remedy


def test_an_unexpected_exception_keeps_its_first_line_only_and_is_redacted() -> None:
    register_secret(SECRET)
    failure = classify(ValueError(f"Invalid header: 'Bearer {SECRET}'\nmore detail"))
    assert failure.lines == ("unexpected ValueError: Invalid header: 'Bearer ********'",)
    assert failure.remedy.startswith("run again with --debug to see where it happened")


def test_a_settings_error_gives_one_line_per_problem() -> None:
    error = ConfigError([ConfigProblem("a.toml", "x", "bad"), ConfigProblem("B", "y", "worse")])
    assert classify(error).lines == ("a.toml: x: bad", "B: y: worse")


def test_an_exception_whose_text_fails_still_gets_a_line() -> None:
    class Odd(Exception):
        def __str__(self) -> str:
            raise RuntimeError("no text")

    failure = classify(Odd())
    assert failure == Failure(3, "InternalError", ("unexpected Odd",), InternalError.default_remedy)


def test_a_host_error_names_the_path_and_what_to_check() -> None:
    failure = classify(HostError("cannot write x"))
    assert failure.remedy == "check the permissions and free space of the path named above, then run again"
    assert json.dumps(failure.lines)  # plain strings, ready for the JSON document
