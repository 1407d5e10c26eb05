"""Serving the local cloud: HTTPS on 127.0.0.1 with uvicorn, in a background thread.

In tests and in the deployer's local mode::

    with EmulatorServer(state_dir=tmp, port=0, time_scale=60) as server:
        info = server.info          # the ready line's keys: endpoints, ids, secret, CA path, control token
        ready = server.ready        # the same, typed (emulator.ready.ReadyInfo)
        ...

From a shell: ``python -m emulator serve`` (see :mod:`emulator.cli`), which prints the same keys as
one JSON line on stdout when ready.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import socket
import threading
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

from emulator.app import ServiceFactory, build_app
from emulator.cloud import Cloud, Settings
from emulator.ready import ReadyInfo
from emulator.statedir import ensure_private_dir, write_private
from emulator.tls import ensure_tls

__all__ = ["PORT_FILE", "EmulatorServer", "ListenError"]

#: In the state directory: the port of the last start, taken again when free.
PORT_FILE = "port"

_log = logging.getLogger(__name__)


class ListenError(OSError):
    """The server cannot listen on the address and port asked for (in use, not this machine's, not allowed)."""


class _DropNoise(logging.Filter):
    """Hide uvicorn's complaint about the connections the emulator drops on purpose (a fault)."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith("ASGI callable should return None")


class _Protocol(H11Protocol):
    """uvicorn's HTTP/1.1 protocol, keeping the TCP transport under TLS so a stop can cut it.

    asyncio forgets a TLS transport's inner transport once it has been closed twice (uvicorn does that
    for an idle keep-alive connection at shutdown), and its TLS close then waits up to 30 s for the
    peer; aborting the inner transport ends it at once.
    """

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]  # as uvicorn
        super().connection_made(transport)
        self.socket_transport = getattr(getattr(transport, "_ssl_protocol", None), "_transport", None)


class EmulatorServer:
    """The local cloud served over HTTPS from a background thread.

    :param state_dir: where certificates, keys and the DuckDB store live (reused when they exist).
    :param host: the address to listen on (``127.0.0.1``).
    :param port: the port, 0 for any free one.
    :param time_scale: virtual seconds per real second.
    :param seed: makes generated ids reproducible.
    :param settings: initial runtime settings (what the control API's reset returns to).
    :param role_propagation_seconds: shortcut for that setting (virtual seconds).
    :param ingestion_latency_seconds: shortcut for that setting (virtual seconds).
    :param services: the services to serve (default: all of part 1).
    :param quirks: variants of Azure's open questions (name -> variant; :mod:`emulator.quirks`).
    """

    def __init__(
        self,
        state_dir: Path | str,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        time_scale: float = 1.0,
        seed: int | None = None,
        settings: Settings | None = None,
        role_propagation_seconds: float | None = None,
        ingestion_latency_seconds: float | None = None,
        services: Sequence[ServiceFactory] | None = None,
        quirks: Mapping[str, str] | None = None,
    ) -> None:
        self.state_dir = Path(state_dir).resolve()
        self.host = host
        self.port = port
        self.time_scale = time_scale
        self.seed = seed
        self.settings = dataclasses.replace(settings or Settings())
        if role_propagation_seconds is not None:
            self.settings.role_propagation_seconds = role_propagation_seconds
        if ingestion_latency_seconds is not None:
            self.settings.ingestion_latency_seconds = ingestion_latency_seconds
        self.services = services
        self.quirks = dict(quirks or {})
        self.cloud: Cloud | None = None
        self.ready: ReadyInfo | None = None
        self.info: dict[str, Any] = {}
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._socket: socket.socket | None = None
        self._failure: BaseException | None = None

    def _bind(self) -> socket.socket:
        """A listening socket on ``port``; with port 0, the port of the last start first, if still free.

        :raises ListenError: the address cannot be bound.
        """
        wanted = [self.port]
        if self.port == 0:
            with contextlib.suppress(OSError, ValueError):
                wanted.insert(0, int((self.state_dir / PORT_FILE).read_text()))
        for index, port in enumerate(wanted):
            # proto=IPPROTO_TCP makes asyncio set TCP_NODELAY on accepted connections; without it every
            # answer waits ~40 ms for the client's delayed ACK (Nagle), which made each call 45 ms.
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                sock.bind((self.host, port))
                sock.listen(128)
            except OSError as exc:
                sock.close()
                if index == len(wanted) - 1:
                    raise ListenError(f"cannot listen on {self.host}:{port}: {exc.strerror or exc}") from exc
                continue
            return sock
        raise RuntimeError("unreachable")

    def start(self, *, timeout: float = 30.0) -> dict[str, Any]:
        """Start serving; returns the ready info. Raises ``RuntimeError`` if the server does not come up."""
        if self._thread is not None:
            return self.info
        ensure_private_dir(self.state_dir)
        tls = ensure_tls(self.state_dir / "tls")
        sock = self._bind()
        self._socket = sock
        bound_host, port = sock.getsockname()[:2]
        # Resources keep this URL (a DCE's logs-ingestion endpoint, a connector's Miro URL): with the same
        # state directory, the next start takes the same port when it is free.
        write_private(self.state_dir / PORT_FILE, str(port).encode("ascii"))
        visible_host = "127.0.0.1" if self.host in ("0.0.0.0", "") else self.host  # nosec B104 # compares the requested host to the wildcard, binds nothing
        base_url = f"https://{visible_host}:{port}"
        try:
            self.cloud = Cloud(
                self.state_dir,
                base_url=base_url,
                time_scale=self.time_scale,
                seed=self.seed,
                settings=self.settings,
                ca_cert=tls.ca_cert,
                bound=(str(bound_host), int(port)),
                quirks=self.quirks,
            )
        except BaseException:
            sock.close()
            self._socket = None
            raise
        app = build_app(self.cloud, self.services)
        config = uvicorn.Config(
            app,
            ssl_certfile=str(tls.server_cert),
            ssl_keyfile=str(tls.server_key),
            http=_Protocol,
            ws="none",
            lifespan="off",
            access_log=False,  # the emulator keeps its own request log, without query strings or headers
            log_config=None,
            proxy_headers=False,
            server_header=False,
            timeout_graceful_shutdown=5,
        )
        logging.getLogger("uvicorn.error").addFilter(_DropNoise())
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._serve, name="emulator-server", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if self._failure is not None or not self._thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"the local cloud did not start: {self._failure or 'timed out'}")
            time.sleep(0.01)
        self.cloud.start()
        self.ready = self.cloud.ready_info()
        self.info = self.ready.to_dict()
        _log.info("local cloud ready at %s (state in %s)", base_url, self.state_dir)
        return self.info

    def _serve(self) -> None:
        try:
            asyncio.run(self._serve_until_stopped())
        except BaseException as exc:  # reported by start() or stop()
            self._failure = exc

    async def _serve_until_stopped(self) -> None:
        assert self._server is not None and self._socket is not None
        await self._server.serve(sockets=[self._socket])
        # Connections still open (idle keep-alive ones, a TLS close waiting for the peer) are cut now,
        # before the event loop goes away, so no transport is left unclosed.
        for connection in list(self._server.server_state.connections):
            transport = getattr(connection, "socket_transport", None) or getattr(connection, "transport", None)
            if transport is not None:
                transport.abort()
        await asyncio.sleep(0.05)

    def stop(self) -> None:
        """Stop serving and close the store (the state stays in the state directory)."""
        if self.cloud is not None:
            self.cloud.quiesce()  # the CCF pollers call this server: they stop first
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None and self._server is not None:
            # Requests in flight may finish; idle keep-alive TLS connections are not waited for.
            deadline = time.monotonic() + 10
            while self._thread.is_alive() and time.monotonic() < deadline:
                if not self._server.server_state.tasks:
                    self._server.force_exit = True
                self._thread.join(timeout=0.05)
        if self._thread is not None:
            self._thread.join(timeout=30)
            self._thread = None
        if self._socket is not None:
            self._socket.close()
            self._socket = None
        if self.cloud is not None:
            self.cloud.close()
            self.cloud = None
        self._server = None

    def __enter__(self) -> EmulatorServer:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
