"""``miro-sentinel init``: start a deployment repository (settings, workflows, .gitignore, README)."""

from __future__ import annotations

import shlex
from pathlib import Path

import click

from deployer.cli._common import State, pass_state
from deployer.scaffold import install_command, write_deployment

__all__ = ["init"]


@click.command()
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path), default=Path("."))
@click.option("--force", is_flag=True, help="Overwrite files that already exist.")
@pass_state
def init(state: State, directory: Path, force: bool) -> None:
    """Write envs/example.toml, envs/local.toml, GitHub workflows, .gitignore and a README into DIRECTORY.

    DIRECTORY (default: the current one) becomes a deployment repository: run miro-sentinel there, and
    `--env NAME` reads its envs/NAME.toml. Existing files are left alone unless --force is given (exit 2).
    """
    written = write_deployment(directory, force=force)
    for path in written:
        state.out.print(f"wrote {directory / path}", markup=False, highlight=False)
    # The command the operator can paste: no `cd` into where they already are, a quoted path otherwise.
    cd = "" if directory.resolve() == Path.cwd().resolve() else f"cd {shlex.quote(str(directory))} && "
    state.out.print(
        f"next: {cd}miro-sentinel deploy --env local; the workflows run `{install_command()}`",
        markup=False,
        highlight=False,
    )
