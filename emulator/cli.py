"""``python -m emulator serve``: run the local cloud until SIGINT or SIGTERM.

When the cloud is ready, exactly one JSON line goes to stdout with everything a client needs
(endpoints, ids, the client secret, the CA path); logs go to stderr. Exit status 0 after a clean
shutdown, 2 for bad arguments, 1 when the cloud cannot start.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import sys
import threading
from pathlib import Path

from emulator.cloud import Settings
from emulator.server import EmulatorServer

__all__ = ["main"]

DEFAULT_STATE_DIR = ".miro-sentinel/local"
#: Written into the state directory while serving: the ready info and the server's process id.
SERVER_FILE = "server.json"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m emulator", description="The miro-sentinel local cloud.")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="serve the local cloud over HTTPS until interrupted")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
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
    serve.add_argument("--log-level", default="INFO", help="log level on stderr (default INFO)")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(
        stream=sys.stderr, level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    if args.time_scale <= 0 or args.role_propagation_seconds < 0 or args.ingestion_latency_seconds < 0:
        print("error: --time-scale must be > 0 and the durations >= 0", file=sys.stderr)
        return 2
    stop = threading.Event()

    def request_stop(signum: int, frame: object) -> None:
        stop.set()

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    server = EmulatorServer(
        Path(args.state_dir),
        host=args.host,
        port=args.port,
        time_scale=args.time_scale,
        seed=args.seed,
        role_propagation_seconds=args.role_propagation_seconds,
        ingestion_latency_seconds=args.ingestion_latency_seconds,
    )
    try:
        info = server.start()
    except Exception as exc:
        logging.getLogger("emulator").error("the local cloud could not start: %s", exc)
        return 1
    # server.json lets other processes (miro-sentinel --env local) find this server instead of starting one.
    server_file = Path(args.state_dir) / SERVER_FILE
    try:
        server_file.write_text(json.dumps({**info, "pid": os.getpid()}))
        sys.stdout.write(json.dumps(info) + "\n")
        sys.stdout.flush()
        while not stop.wait(timeout=0.5):
            pass
    finally:
        server_file.unlink(missing_ok=True)
        server.stop()
    return 0
