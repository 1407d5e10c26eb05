"""The Miro token: kept in a :class:`Secret` that never shows itself, read from a variable or standard input.

A Key Vault reference is resolved later by the Azure client, because reading it needs a credential.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from typing import TYPE_CHECKING, TextIO

from deployer.errors import ConfigProblem

if TYPE_CHECKING:
    from deployer.config.schema import MiroSettings


class Secret:
    """A secret string that does not show itself: ``repr``/``str``/format give ``********``."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

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
        value = env.get(miro.token_env_var, "").strip()
        if value:
            sources["miro.token"] = miro.token_env_var
            return Secret(value)
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
    value = stream.readline().strip()
    if not value:
        problems.append(ConfigProblem("stdin", "miro.token", "standard input was empty"))
        return None
    sources["miro.token"] = "stdin"
    return Secret(value)
