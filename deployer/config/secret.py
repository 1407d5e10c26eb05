"""The Miro token: kept in a :class:`Secret` that never shows itself, read from a variable or standard input.

A Key Vault reference is resolved later by the Azure client, because reading it needs a credential.

A token must be usable as an HTTP header value and safe to show nowhere: :func:`token_problem` refuses
one with a line break, another control character, a space, a character outside ASCII, or more than
:data:`MAX_TOKEN_LENGTH` characters, naming the rule it broke and never the token. Surrounding
whitespace (the newline of ``echo`` or of a file) is trimmed first.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from typing import TYPE_CHECKING, TextIO

from deployer.errors import ConfigProblem
from deployer.redaction import register_secret

if TYPE_CHECKING:
    from deployer.config.schema import MiroSettings


#: The longest token accepted. Miro's tokens are a few dozen characters; 4096 leaves room for any
#: token format while keeping the header well under the 8 KB most servers accept.
MAX_TOKEN_LENGTH = 4096


class Secret:
    """A secret string that does not show itself: ``repr``/``str``/format give ``********``.

    Creating one registers its value with the redactor, so no error text or log line can show it.
    """

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value
        register_secret(value)

    def reveal(self) -> str:
        """The secret itself, for the one call that sends it."""
        return self._value

    def __repr__(self) -> str:
        return "Secret('********')"

    def __str__(self) -> str:
        return "********"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


def token_problem(value: str) -> str | None:
    """What makes ``value`` unusable as a token, in words that never quote it; None when it is usable.

    A token travels in an HTTP header (``Authorization: Bearer <token>``), so it must be printable ASCII
    without spaces (RFC 9110 field values; RFC 6750 bearer tokens have no spaces).
    """
    if len(value) > MAX_TOKEN_LENGTH:
        return (
            f"is {len(value)} characters long, more than the {MAX_TOKEN_LENGTH} accepted; "
            "copy the token alone, not a file or a page around it"
        )
    for position, char in enumerate(value, start=1):
        if char in "\r\n":
            return f"contains a line break (character {position}); copy the token again without it"
        if char in " \t":
            return f"contains a space or tab (character {position}); a token is one word, copy it again"
        if ord(char) < 0x20 or ord(char) == 0x7F:
            return f"contains a control character (character {position}); copy the token again"
        if ord(char) > 0x7E:
            return (
                f"contains a character outside ASCII (character {position}), which an HTTP header cannot carry; "
                "copy the token again from Miro (a rich-text editor may have changed a character)"
            )
    return None


def checked_token(value: str, source: str, problems: list[ConfigProblem]) -> Secret | None:
    """``value`` (trimmed) as a :class:`Secret`, or None with a problem blamed on ``source``."""
    value = value.strip()
    problem = token_problem(value)
    if problem is not None:
        register_secret(value)  # refused, but masked all the same should anything ever quote it
        problems.append(ConfigProblem(source, "miro.token", problem))
        return None
    return Secret(value)


def read_token(
    miro: MiroSettings,
    env: Mapping[str, str],
    stdin: TextIO | None,
    need: bool,
    problems: list[ConfigProblem],
    sources: dict[str, str],
) -> Secret | None:
    """The Miro token from the variable ``miro.token_env_var`` of ``env`` or from standard input, or None.

    :param need: report a problem when there is none (standard input is read only then).
    :param sources: gets ``miro.token`` → where the token came from.
    """
    if miro.token_source == "env":
        value = env.get(miro.token_env_var, "")
        if value.strip():
            sources["miro.token"] = miro.token_env_var
            return checked_token(value, miro.token_env_var, problems)
        if need:
            problems.append(
                ConfigProblem(
                    miro.token_env_var,
                    "miro.token",
                    f"is not set; export {miro.token_env_var} (the SIEM or OAuth token with auditlogs:read)",
                )
            )
        return None
    if not need:
        return None
    stream = stdin if stdin is not None else sys.stdin
    if stream.isatty():
        problems.append(
            ConfigProblem("stdin", "miro.token", 'token_source = "stdin" needs the token piped in, not a terminal')
        )
        return None
    # Bounded: a token is one short line, whatever is piped in.
    value = stream.readline(MAX_TOKEN_LENGTH + 2)
    if not value.strip():
        problems.append(ConfigProblem("stdin", "miro.token", "standard input was empty"))
        return None
    sources["miro.token"] = "stdin"
    if len(value.rstrip("\r\n")) > MAX_TOKEN_LENGTH:
        problems.append(
            ConfigProblem("stdin", "miro.token", f"is longer than the {MAX_TOKEN_LENGTH} characters accepted")
        )
        return None
    return checked_token(value, "stdin", problems)
