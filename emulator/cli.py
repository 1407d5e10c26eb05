"""``python -m emulator serve``: run the local cloud until SIGINT, SIGTERM or SIGHUP.

When the cloud is ready, exactly one JSON line goes to stdout (:class:`emulator.ready.ReadyInfo`:
endpoints, ids, the client secret, the CA path, the control token, the address really bound); logs
go to stderr. While it serves, ``server.json`` in the state directory holds the same and says who
owns the cloud: ``serve`` (started explicitly; other commands may attach to it) or, with
``--parent-pid``, ``child`` (started by a command for itself, and ending with it).

Exit status 0 after a clean shutdown, 2 for bad arguments (one line on stderr), 1 when the cloud cannot
start.

The cloud listens on loopback only, unless ``--allow-remote`` is given for another address (then a
warning says so). The process runs with umask 077, so everything it creates in the state directory
(0700) is readable by its owner only, DuckDB's own files included.
"""

from __future__ import annotations

import argparse
import ctypes
import ipaddress
import logging
import math
import os
import signal
import socket
import sys
import threading
from pathlib import Path
from typing import NoReturn

from emulator.cloud import Settings
from emulator.quirks import parse_quirk_options
from emulator.ready import OWNER_CHILD, OWNER_SERVE, SERVER_FILE, ServerRecord
from emulator.server import EmulatorServer, ListenError
from emulator.statedir import StateDirError, ensure_private_dir, private_umask

__all__ = ["main"]

DEFAULT_STATE_DIR = ".miro-sentinel/local"

_log = logging.getLogger("emulator")


class _UsageError(Exception):
    """Bad arguments: one line on stderr (and a ``hint:`` line where there is a remedy), exit 2."""

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.hint = hint


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        # One line, not argparse's usage block: the caller may be a program reading stderr.
        raise _UsageError(f"{message} (see: {self.prog} --help)")


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="python -m emulator", description="The miro-sentinel local cloud.")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="serve the local cloud over HTTPS until interrupted")
    serve.add_argument("--host", default="127.0.0.1", help="loopback address to listen on (default 127.0.0.1)")
    serve.add_argument(
        "--allow-remote",
        action="store_true",
        help="allow a --host that is not a loopback address (the cloud is then reachable from other machines)",
    )
    serve.add_argument("--port", type=int, default=0, help="port to listen on (default 0: any free port)")
    serve.add_argument("--state-dir", default=DEFAULT_STATE_DIR, help=f"state directory (default {DEFAULT_STATE_DIR})")
    serve.add_argument("--time-scale", type=float, default=1.0, help="virtual seconds per real second (default 1)")
    serve.add_argument("--seed", type=int, default=None, help="make generated ids reproducible")
    serve.add_argument(
        "--role-propagation-seconds",
        type=float,
        default=Settings.role_propagation_seconds,
        help="virtual seconds before a new role assignment is honoured",
    )
    serve.add_argument(
        "--ingestion-latency-seconds",
        type=float,
        default=Settings.ingestion_latency_seconds,
        help="virtual seconds before ingested rows become visible to queries",
    )
    serve.add_argument(
        "--parent-pid",
        type=int,
        default=None,
        help="end with process PID: for a command that starts the cloud for itself, holding a pipe on "
        "its standard input (its end means the command is gone); nobody else attaches to such a cloud",
    )
    serve.add_argument(
        "--quirk",
        action="append",
        default=[],
        metavar="NAME=VARIANT",
        help="choose a variant of one of Azure's open questions (repeatable; see GET /_emulator/quirks)",
    )
    serve.add_argument("--log-level", default="INFO", help="log level on stderr (default INFO)")
    return parser


def _check(args: argparse.Namespace) -> bool:
    """Validate the arguments; returns whether the host is remote. Raises :class:`_UsageError`."""
    if not math.isfinite(args.time_scale) or args.time_scale <= 0:
        raise _UsageError(f"--time-scale must be a finite number > 0, not {args.time_scale:g}")
    for flag, value in (
        ("--role-propagation-seconds", args.role_propagation_seconds),
        ("--ingestion-latency-seconds", args.ingestion_latency_seconds),
    ):
        if not math.isfinite(value) or value < 0:
            raise _UsageError(f"{flag} must be a finite number >= 0, not {value:g}")
    if not 0 <= args.port <= 65535:
        raise _UsageError(f"--port must be between 0 and 65535, not {args.port}")
    if args.parent_pid is not None and args.parent_pid <= 0:
        raise _UsageError(f"--parent-pid must be a process id > 0, not {args.parent_pid}")
    if args.log_level.upper() not in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"):
        raise _UsageError(f"--log-level must be DEBUG, INFO, WARNING or ERROR, not {args.log_level!r}")
    return _is_remote(args.host, allow_remote=args.allow_remote)


def _is_remote(host: str, *, allow_remote: bool) -> bool:
    """Whether ``host`` is reachable from other machines; refused unless ``allow_remote``."""
    try:
        found = socket.getaddrinfo(host, None, socket.AF_INET, socket.SOCK_STREAM) if host else []
    except (socket.gaierror, UnicodeError):
        found = []
    if not found:
        raise _UsageError(f"--host {host!r} is not an IPv4 address or a name of one", hint="use 127.0.0.1")
    remote = any(not ipaddress.ip_address(entry[4][0]).is_loopback for entry in found)
    if remote and not allow_remote:
        raise _UsageError(
            f"--host {host} is not a loopback address, so the local cloud would be reachable from other machines",
            hint="use 127.0.0.1, or pass --allow-remote to serve it there anyway",
        )
    return remote


def main(argv: list[str] | None = None) -> int:
    try:
        args = _parser().parse_args(argv)
        remote = _check(args)
    except _UsageError as exc:
        print(f"error: {exc}", file=sys.stderr)
        if exc.hint:
            print(f"hint: {exc.hint}", file=sys.stderr)
        return 2
    logging.basicConfig(
        stream=sys.stderr, level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    # Everything created from here on (state files, DuckDB's database and WAL) is owner-only.
    private_umask()
    state_dir = Path(args.state_dir)
    try:
        ensure_private_dir(state_dir)
    except StateDirError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    try:
        quirks = parse_quirk_options(args.quirk)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    stop = threading.Event()

    def request_stop(signum: int, frame: object) -> None:
        stop.set()

    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, request_stop)
    if args.parent_pid is not None:
        _watch_parent(args.parent_pid, stop)
    server = EmulatorServer(
        state_dir,
        host=args.host,
        port=args.port,
        time_scale=args.time_scale,
        seed=args.seed,
        role_propagation_seconds=args.role_propagation_seconds,
        ingestion_latency_seconds=args.ingestion_latency_seconds,
        quirks=quirks,
    )
    try:
        server.start()
    except ListenError as exc:
        print(f"error: {exc}; choose another --host or --port", file=sys.stderr)
        return 2
    except Exception as exc:
        print(f"error: the local cloud could not start: {exc}", file=sys.stderr)
        return 1
    assert server.ready is not None
    ready = server.ready
    if remote:
        print(
            f"warning: the local cloud listens on {ready.bound_host}:{ready.bound_port}, reachable from other "
            "machines; only its control token guards the control API",
            file=sys.stderr,
        )
    owner = OWNER_SERVE if args.parent_pid is None else OWNER_CHILD
    server_file = state_dir / SERVER_FILE
    try:
        # server.json lets other commands find a cloud started with `serve` (and tells them not to use a child's).
        ServerRecord(ready, os.getpid(), owner, args.parent_pid).write(state_dir)
        sys.stdout.write(ready.to_json() + "\n")
        sys.stdout.flush()
        while not stop.wait(timeout=0.5):
            if args.parent_pid is not None and os.getppid() != args.parent_pid:
                _log.info("the command that started the local cloud has ended; stopping")
                break
    finally:
        server_file.unlink(missing_ok=True)
        server.stop()
    return 0


def _watch_parent(parent_pid: int, stop: threading.Event) -> None:
    """Stop when the parent ends, however it ends (SIGKILL included).

    Three signals, any of which suffices: end of file on standard input (the parent holds the pipe's
    other end, which the kernel closes when the parent dies), the parent death signal on Linux, and
    the parent process id changing (checked by the serve loop).
    """
    _term_when_parent_dies()
    if os.getppid() != parent_pid:  # the parent died before the death signal was armed
        stop.set()
        return

    def wait_for_end_of_input() -> None:
        try:
            while os.read(sys.stdin.fileno(), 4096):
                pass
        except (OSError, ValueError):
            pass
        _log.info("standard input closed: the command that started the local cloud has ended; stopping")
        stop.set()

    threading.Thread(target=wait_for_end_of_input, name="parent-watch", daemon=True).start()


_PR_SET_PDEATHSIG = 1


def _term_when_parent_dies() -> None:
    """Ask Linux for SIGTERM when the parent dies (elsewhere, standard input and the parent id suffice)."""
    if not sys.platform.startswith("linux"):
        return
    try:
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
    except (OSError, AttributeError):
        return
