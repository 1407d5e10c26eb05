"""Requests and replies as the services see them, and the routes that connect the two.

A handler is a plain function ``Call -> Reply`` run in a worker thread (the state lives in DuckDB, whose
calls block). It raises :class:`~emulator.core.errors.EmulatorError` for anything but success.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from emulator.core.auth import Authenticator, Principal
    from emulator.core.errors import EmulatorError

__all__ = ["Call", "Handler", "Reply", "Route", "RouteMatch", "Router", "Service"]


@dataclass
class Call:
    """One incoming request, parsed: path parameters, query (case-insensitive names), headers and body."""

    method: str
    path: str
    params: dict[str, str]
    query: Mapping[str, str]
    headers: Mapping[str, str]
    body: bytes
    request_id: str
    base_url: str
    principal: Principal | None = None

    def arg(self, name: str) -> str | None:
        """A query parameter, its name matched case-insensitively (ARM treats them so)."""
        if name in self.query:
            return self.query[name]
        lowered = name.lower()
        for key, value in self.query.items():
            if key.lower() == lowered:
                return value
        return None

    def json(self) -> Any:
        """The body parsed as JSON; raises ``ValueError`` when it is not JSON."""
        return json.loads(self.body)


@dataclass
class Reply:
    """What a handler answers: status, a JSON-serialisable body (or raw bytes, or nothing) and headers."""

    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)

    def encoded(self) -> bytes:
        if self.body is None:
            return b""
        if isinstance(self.body, bytes):
            return self.body
        return json.dumps(self.body, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


Handler = Callable[[Call], Reply]


@dataclass(frozen=True)
class Route:
    """``method`` + path ``template`` -> ``handler``.

    Templates use ``{name}`` for one path segment and ``{name:path}`` for several (an ARM scope).
    Literal segments match case-insensitively, as ARM paths do. ``auth`` names who may call it.
    """

    method: str
    template: str
    handler: Handler
    auth: Authenticator | None = None
    operation: str = ""

    def compile(self) -> re.Pattern[str]:
        parts = []
        for piece in re.split(r"(\{[A-Za-z_][A-Za-z0-9_]*(?::path)?\})", self.template):
            if piece.startswith("{") and piece.endswith("}"):
                name, _, kind = piece[1:-1].partition(":")
                parts.append(f"(?P<{name}>.+)" if kind == "path" else f"(?P<{name}>[^/]+)")
            else:
                parts.append(re.escape(piece))
        return re.compile("^" + "".join(parts) + "/?$", re.IGNORECASE)


@dataclass(frozen=True)
class Service:
    """One emulated service: its name (for faults and the request log), routes, and error shape.

    ``error`` builds the service's own error for a status and message; injected faults use it so a
    client sees the body it would get from that service.
    """

    name: str
    routes: tuple[Route, ...]
    error: Callable[[int, str], EmulatorError]


@dataclass(frozen=True)
class RouteMatch:
    service: Service
    route: Route
    params: dict[str, str]


class Router:
    """Finds the route for a method and path, in registration order."""

    def __init__(self, services: list[Service]) -> None:
        self._table: list[tuple[re.Pattern[str], Service, Route]] = [
            (route.compile(), service, route) for service in services for route in service.routes
        ]

    def methods_for(self, path: str) -> tuple[Service | None, list[str]]:
        """The service that serves ``path`` with some method, and those methods (for a 405)."""
        service: Service | None = None
        methods: list[str] = []
        for pattern, owner, route in self._table:
            if pattern.match(path) and route.method not in methods:
                service = service or owner
                methods.append(route.method)
        return service, methods

    def match(self, method: str, path: str) -> RouteMatch | None:
        for pattern, service, route in self._table:
            if route.method != method:
                continue
            found = pattern.match(path)
            if found:
                return RouteMatch(service, route, {k: v for k, v in found.groupdict().items() if v is not None})
        return None
