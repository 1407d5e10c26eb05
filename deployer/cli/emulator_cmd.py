"""``miro-sentinel emulator serve``: the local cloud in the foreground."""

from __future__ import annotations

from pathlib import Path

import click

from deployer import local

__all__ = ["emulator"]


@click.group()
def emulator() -> None:
    """The local cloud: emulated Azure (Entra, ARM, Logs Ingestion, Log Analytics, Sentinel) and Miro."""


@emulator.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Loopback address to listen on.")
@click.option(
    "--allow-remote",
    is_flag=True,
    help="Allow a --host that is not loopback: the local cloud is then reachable from other machines.",
)
@click.option("--port", type=click.IntRange(0, 65535), default=0, show_default=True, help="Port; 0 picks a free one.")
@click.option(
    "--state-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path(".miro-sentinel/local"),
    show_default=True,
    help="Certificates, the DuckDB store and generated events live here; a restart keeps them.",
)
@click.option(
    "--time-scale",
    type=click.FloatRange(min=0, min_open=True),
    default=1.0,
    show_default=True,
    help="Emulated seconds per real second.",
)
@click.option("--seed", type=int, default=None, help="Seed for generated Miro events and ids.")
def serve(host: str, allow_remote: bool, port: int, state_dir: Path, time_scale: float, seed: int | None) -> None:
    """Serve the local cloud over HTTPS until Ctrl-C (SIGINT), SIGTERM or SIGHUP.

    When ready it prints one JSON line on stdout: endpoints, ids, the emulator's own client secret, the CA
    certificate path, the control endpoint and the control token its calls need, and the address really
    bound. `--env local` commands then use this server instead of starting their own.
    """
    code = local.serve(state_dir, host=host, port=port, time_scale=time_scale, seed=seed, allow_remote=allow_remote)
    raise click.exceptions.Exit(code)
