"""A Miro token that cannot travel in an HTTP header is refused with the settings, naming the rule, never the token."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from deployer.config import load_settings
from deployer.config.secret import MAX_TOKEN_LENGTH
from deployer.errors import EXIT_USAGE, ConfigError
from deployer.redaction import REDACTOR
from tests.unit.test_config import VALID_AZURE


@pytest.fixture
def envs(tmp_path: Path) -> Path:
    (tmp_path / "prod.toml").write_text(VALID_AZURE)
    return tmp_path


@pytest.mark.parametrize(
    ("token", "message"),
    [
        ("canary-mid\n-1234", "contains a line break (character 11); copy the token again without it"),
        ("canary-mid\r-1234", "contains a line break (character 11); copy the token again without it"),
        ("canary-mid\x00-1234", "contains a control character (character 11); copy the token again"),
        ("canary-mid\x1b[2J", "contains a control character (character 11); copy the token again"),
        ("canary-mid\x7f-1234", "contains a control character (character 11); copy the token again"),
        ("canary-mid -1234", "contains a space or tab (character 11); a token is one word, copy it again"),
        ("canary-mid\t-1234", "contains a space or tab (character 11); a token is one word, copy it again"),
        ("canary-€-1234", "contains a character outside ASCII (character 8), which an HTTP header cannot carry"),
        ("canary-\u200b-1234", "contains a character outside ASCII (character 8), which an HTTP header cannot carry"),
        ("canary-\udcff-1234", "contains a character outside ASCII (character 8), which an HTTP header cannot carry"),
        (
            "c" * (MAX_TOKEN_LENGTH + 1),
            f"is {MAX_TOKEN_LENGTH + 1} characters long, more than the {MAX_TOKEN_LENGTH} accepted",
        ),
    ],
    ids=[
        "LF",
        "CR",
        "NUL",
        "escape sequence",
        "DEL",
        "space",
        "tab",
        "euro",
        "zero-width space",
        "surrogate",
        "too long",
    ],
)
def test_a_token_that_cannot_be_a_header_value_is_refused_without_being_echoed(
    envs: Path, token: str, message: str
) -> None:
    with pytest.raises(ConfigError) as exc:
        load_settings("prod", envs_dir=envs, environ={"MIRO_ACCESS_TOKEN": token}, need_token=True)
    [problem] = exc.value.problems
    assert (problem.source, problem.field) == ("MIRO_ACCESS_TOKEN", "miro.token")
    assert problem.message.startswith(message)
    assert exc.value.exit_code == EXIT_USAGE
    text = f"{exc.value.message} {exc.value.remedy} {exc.value!s} {exc.value!r}"
    assert token not in text
    assert "canary" not in text
    assert "copy the token again from Miro" in exc.value.remedy


def test_surrounding_whitespace_is_trimmed_not_refused(envs: Path) -> None:
    settings = load_settings("prod", envs_dir=envs, environ={"MIRO_ACCESS_TOKEN": "  good-token-123\n"})
    assert settings.miro_token is not None and settings.miro_token.reveal() == "good-token-123"


def test_the_longest_accepted_token_is_accepted(envs: Path) -> None:
    token = "t" * MAX_TOKEN_LENGTH
    settings = load_settings("prod", envs_dir=envs, environ={"MIRO_ACCESS_TOKEN": token})
    assert settings.miro_token is not None and settings.miro_token.reveal() == token


def test_a_refused_token_from_standard_input_names_stdin(envs: Path) -> None:
    (envs / "prod.toml").write_text(VALID_AZURE + '[miro]\ntoken_source = "stdin"\n')
    with pytest.raises(ConfigError) as exc:
        load_settings("prod", envs_dir=envs, environ={}, stdin=io.StringIO("canary-€-stdin\n"), need_token=True)
    assert [str(p) for p in exc.value.problems] == [
        "stdin: miro.token: contains a character outside ASCII (character 8), which an HTTP header cannot carry; "
        "copy the token again from Miro (a rich-text editor may have changed a character)"
    ]


def test_standard_input_is_read_only_as_far_as_a_token_can_reach(envs: Path) -> None:
    (envs / "prod.toml").write_text(VALID_AZURE + '[miro]\ntoken_source = "stdin"\n')
    endless = io.StringIO("x" * (MAX_TOKEN_LENGTH * 50))
    with pytest.raises(ConfigError) as exc:
        load_settings("prod", envs_dir=envs, environ={}, stdin=endless, need_token=True)
    assert str(exc.value.problems[0]) == f"stdin: miro.token: is longer than the {MAX_TOKEN_LENGTH} characters accepted"
    assert endless.tell() <= MAX_TOKEN_LENGTH + 2


def test_a_refused_token_is_still_masked_should_anything_quote_it(envs: Path) -> None:
    with pytest.raises(ConfigError):
        load_settings("prod", envs_dir=envs, environ={"MIRO_ACCESS_TOKEN": "canary-refused\n-9876"})
    assert REDACTOR.redact("it was 'canary-refused\\n-9876'") == "it was '********'"
