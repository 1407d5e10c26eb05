"""What every command shares: the ``--env``/``--set`` options, output format, consoles and settings loading."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click
from rich.console import Console

from deployer.config import Settings, load_display, load_settings

__all__ = ["OUTPUT_FORMATS", "State", "env_options", "load", "output_option", "pass_state"]

OUTPUT_FORMATS = ("text", "json", "markdown")

F = TypeVar("F", bound=Callable[..., Any])


class State:
    """Global options, passed from the root group to each command, and what the error handler needs to know.

    ``command``, ``env_name`` and ``output`` are filled in as the command line is parsed, so that an error
    at any point (even in the settings) can still be reported as the JSON document asked for;
    ``document_printed`` says whether stdout already holds one.
    """

    def __init__(self, *, debug: bool = False, envs_dir: Path = Path("envs"), output: str = "text") -> None:
        self.debug = debug
        self.envs_dir = envs_dir
        self.verbosity = 0
        self.output = output
        self.command: str | None = None
        self.env_name: str | None = None
        self.document_printed = False
        # Results go to stdout; progress, warnings and errors to stderr. Colour switches off without a TTY,
        # and output that goes to a file or a CI log gets a fixed width instead of the 80-column default.
        self.out = Console(soft_wrap=True, highlight=False, width=None if sys.stdout.isatty() else 140)
        self.err = Console(stderr=True, soft_wrap=True, highlight=False, width=None if sys.stderr.isatty() else 140)
        # Progress is live (lines updated in place) only in a terminal, and never under CI, whose logs keep
        # every rewrite; the results then leave out what the live lines already showed on the same screen.
        self.live = self.err.is_terminal and not load_display().ci
        self.steps_shown_live = self.live and self.out.is_terminal


pass_state = click.make_pass_decorator(State)


def env_options(func: F) -> F:
    """``--env NAME`` (required) and repeatable ``--set section.key=value``."""
    func = click.option(
        "--set",
        "overrides",
        multiple=True,
        metavar="KEY=VALUE",
        help="Override one setting, e.g. --set azure.location=westeurope (repeatable). Never for secrets.",
    )(func)
    func = click.option(
        "--env",
        "env_name",
        required=True,
        metavar="NAME",
        help="Environment: envs/NAME.toml.",
        callback=_remember_env,
    )(func)
    return func


def _remember_env(ctx: click.Context, _param: click.Parameter, value: str | None) -> str | None:
    state = ctx.find_object(State)
    if state is not None and value is not None:
        state.env_name = value
    return value


def _remember_output(ctx: click.Context, _param: click.Parameter, value: str) -> str:
    state = ctx.find_object(State)
    if state is not None:
        state.output = value
        state.command = command_name(ctx)
    return value


def command_name(ctx: click.Context) -> str | None:
    """``deploy``, ``dcr test``...: the command path without the program's name (None for the root)."""
    parts = ctx.command_path.split(" ", 1)
    return parts[1] if len(parts) > 1 else None


def output_option(*formats: str) -> Callable[[F], F]:
    """``--output`` with the given formats (text first, the default)."""
    return click.option(
        "--output",
        "output",
        type=click.Choice(formats or OUTPUT_FORMATS),
        default="text",
        show_default=True,
        help="How to print the result.",
        callback=_remember_output,
    )


def load(state: State, env_name: str, overrides: tuple[str, ...], *, need_token: bool = False) -> Settings:
    """Resolve and validate the settings; raises ConfigError (exit 2) before anything else happens."""
    return load_settings(env_name, envs_dir=state.envs_dir, overrides=overrides, need_token=need_token)
